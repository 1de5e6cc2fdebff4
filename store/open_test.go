package store_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/webhook-mcp/webhook-mcp/store"
)

func TestParseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url, want, err string
	}{
		{url: "sqlite:///var/lib/webhook-mcp/app.db", want: "/var/lib/webhook-mcp/app.db"},
		{url: "sqlite://relative.db", want: "relative.db"},
		{url: "sqlite://dir/sub/app.db", want: "dir/sub/app.db"},
		{url: "sqlite:///tmp/with%20space.db", want: "/tmp/with space.db"},
		{url: "postgres://u:p@localhost/db", err: "names no SQLite file"},
		{url: "postgresql://localhost/db", err: "names no SQLite file"},
		{url: "mysql://localhost/db", err: "unsupported scheme"},
		{url: "/just/a/path.db", err: "want sqlite:///"},
		{url: "sqlite://", err: "no file path"},
		{url: "sqlite:///a.db?mode=ro", err: "not supported"},
		{url: "sqlite://:memory:", err: "in-memory"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			got, err := store.ParseURL(tt.url)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestOpenLocations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "nested", "data")
	s, err := store.Open(ctx, store.Options{DataDir: dir, Logger: quiet})
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "webhook-mcp.db"), s.Path())
	assert.Equal(t, "sqlite", s.Kind())
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "closing twice is a no-op")
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o750), fi.Mode().Perm())

	p := filepath.Join(t.TempDir(), "x", "by-url.db")
	s, err = store.Open(ctx, store.Options{URL: "sqlite://" + p, DataDir: "ignored", Logger: quiet})
	require.NoError(t, err)
	assert.Equal(t, p, s.Path())
	require.NoError(t, s.Close())
	_, err = os.Stat(p)
	require.NoError(t, err)

	_, err = store.Open(ctx, store.Options{DataDir: t.TempDir(), Synchronous: "OFF", Logger: quiet})
	require.ErrorContains(t, err, "synchronous")
}

func TestPragmas(t *testing.T) {
	t.Parallel()
	_, path := openStore(t)
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer db.Close()
	var mode string
	require.NoError(t, db.QueryRow("PRAGMA journal_mode").Scan(&mode))
	assert.Equal(t, "wal", mode, "WAL is persistent in the file")
}

func TestMigrationsTwiceAreNoOp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	countMigrations := func() int {
		db, err := sql.Open("sqlite", filepath.Join(dir, store.DBFileName))
		require.NoError(t, err)
		defer db.Close()
		var n int
		require.NoError(t, db.QueryRow("SELECT count(*) FROM schema_migrations").Scan(&n))
		return n
	}
	s, err := store.Open(ctx, store.Options{DataDir: dir, Logger: quiet})
	require.NoError(t, err)
	v1, err := s.SchemaVersion(ctx)
	require.NoError(t, err)
	assert.Equal(t, store.LatestSchemaVersion(), v1)
	assert.GreaterOrEqual(t, v1, 1)
	require.NoError(t, s.Close())
	n1 := countMigrations()

	s, err = store.Open(ctx, store.Options{DataDir: dir, Logger: quiet})
	require.NoError(t, err)
	v2, err := s.SchemaVersion(ctx)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	assert.Equal(t, v1, v2)
	assert.Equal(t, n1, countMigrations())
}

func TestNewerSchemaIsRejected(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, path := openStore(t)
	require.NoError(t, s.Close())
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	_, err = db.Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)")
	require.NoError(t, err)
	require.NoError(t, db.Close())
	_, err = store.Open(ctx, store.Options{URL: "sqlite://" + path, Logger: quiet})
	require.ErrorContains(t, err, "newer than this binary")
}
