package store_test

import (
	"context"
	neturl "net/url"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
	"github.com/webhook-mcp/webhook-mcp/store"
)

// TestOpenSelectsTheEngine: a postgres:// or postgresql:// DATABASE_URL opens
// PostgreSQL, anything else SQLite; a password never appears in an error.
func TestOpenSelectsTheEngine(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"postgres://u:s3cret@127.0.0.1:1/db", "POSTGRESQL://u:s3cret@127.0.0.1:1/db?connect_timeout=5"} {
		assert.True(t, store.IsPostgresURL(u), u)
		_, err := store.Open(context.Background(), store.Options{URL: u, Logger: quiet})
		require.Error(t, err, "nothing listens on port 1")
		assert.Contains(t, err.Error(), "127.0.0.1:1", "the URL's host is the one dialled")
		assert.NotContains(t, err.Error(), "s3cret")
	}
	_, err := store.Open(context.Background(), store.Options{URL: "postgres://u:s3cret@h/db?pool_max_conns=zero", Logger: quiet})
	require.ErrorContains(t, err, "invalid")
	assert.NotContains(t, err.Error(), "s3cret")
	assert.False(t, store.IsPostgresURL("sqlite:///tmp/x.db"))
	assert.False(t, store.IsPostgresURL("/postgres://x"))

	s, err := store.Open(context.Background(), store.Options{URL: sqliteURL(t), Logger: quiet})
	require.NoError(t, err)
	assert.Equal(t, "sqlite", s.Kind())
	require.NoError(t, s.Close())
}

// TestPostgresMigrations: a new database gets every migration once, opening
// again applies none, the URL's password is not in Path, and a database that a
// newer binary migrated is refused.
func TestPostgresMigrations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testkit.PostgresURL(t)
	parsed, err := neturl.Parse(url)
	require.NoError(t, err)
	password, _ := parsed.User.Password()
	count := func() (n int) {
		conn, err := pgx.Connect(ctx, url)
		require.NoError(t, err)
		defer conn.Close(ctx)
		require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n))
		return n
	}
	for range 2 {
		s, err := store.OpenPostgres(ctx, store.Options{URL: url, Logger: quiet})
		require.NoError(t, err)
		assert.Equal(t, "postgres", s.Kind())
		if password != "" {
			assert.NotContains(t, s.Path(), password)
		}
		assert.Contains(t, s.Path(), parsed.Host)
		v, err := s.SchemaVersion(ctx)
		require.NoError(t, err)
		assert.Equal(t, store.LatestPostgresSchemaVersion(), v)
		require.NoError(t, s.Close())
		assert.Equal(t, store.LatestPostgresSchemaVersion(), count(), "each migration recorded once")
	}

	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)")
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))
	_, err = store.Open(ctx, store.Options{URL: url, Logger: quiet})
	require.ErrorContains(t, err, "newer than this binary")
}
