package store_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/store"
	"github.com/webhook-mcp/webhook-mcp/store/storetest"
)

// quiet discards the store's logs.
var quiet = slog.New(slog.DiscardHandler)

// t0 is the base time of the tests.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Fixtures of the shared suite.
var (
	event   = storetest.Event
	graphOf = storetest.GraphOf
)

// openStore opens a fresh SQLite store in its own temporary directory, closed
// at the end of the test.
func openStore(t testing.TB) (*store.SQLite, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := store.OpenSQLite(context.Background(), store.Options{DataDir: dir, Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s, filepath.Join(dir, store.DBFileName)
}

// sqliteURL is the DATABASE_URL of a new SQLite file in the test's own
// temporary directory.
func sqliteURL(tb testing.TB) string {
	return "sqlite://" + filepath.Join(tb.TempDir(), store.DBFileName)
}
