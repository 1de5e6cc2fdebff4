package testkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresEnv names the database the PostgreSQL tests use, a postgres:// URL;
// scripts/pg.sh starts a throwaway server and sets it.
const PostgresEnv = "TEST_DATABASE_URL"

// RequirePostgres returns the URL in TEST_DATABASE_URL. Without it the test is
// skipped, except in CI (CI set), where PostgreSQL must be there and the test
// fails instead.
func RequirePostgres(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(PostgresEnv)
	if u == "" {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%s is not set in CI: run the tests under scripts/pg.sh", PostgresEnv)
		}
		tb.Skipf("%s not set: run under scripts/pg.sh to include the PostgreSQL tests", PostgresEnv)
	}
	return u
}

// PostgresURL returns the URL of an empty schema of its own in the database
// of TEST_DATABASE_URL (its search_path names the schema), so that tests run in
// parallel, each apart from the others; the schema is dropped when the test
// ends. Without TEST_DATABASE_URL it skips or fails as RequirePostgres does.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	base := RequirePostgres(tb)
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s: want a postgres:// url", PostgresEnv)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connect to %s: %v", u.Redacted(), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema %s: %v", schema, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
