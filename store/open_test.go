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

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/store"
	"github.com/webhook-mcp/webhook-mcp/webhook"
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
		{url: "postgres://u:p@localhost/db", err: "PostgreSQL is not built into this binary yet"},
		{url: "postgresql://localhost/db", err: "PostgreSQL is not built into this binary yet"},
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

	_, err = store.Open(ctx, store.Options{URL: "postgres://localhost/x", Logger: quiet})
	require.ErrorContains(t, err, "PostgreSQL")
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

func TestSurvivesReopenAndStats(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := store.Open(ctx, store.Options{DataDir: dir, Logger: quiet})
	require.NoError(t, err)

	st, err := s.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, store.Stats{Inbox: map[string]int{}, Approvals: map[string]int{}}, st)

	for i, id := range []string{"e1", "e2", "e3"} {
		_, err := s.BeginEvent(ctx, event(id, "", t0), t0)
		require.NoError(t, err)
		if i < 2 {
			state := []webhook.EventState{webhook.StateProcessed, webhook.StateFailed}[i]
			require.NoError(t, s.CompleteEvent(ctx, id, webhook.Completion{State: state, At: t0}))
		}
	}
	require.NoError(t, s.MergeGraph(ctx, graphOf("client-1", 3, "Task"), "e1", t0))
	require.NoError(t, s.MergeGraph(ctx, graphOf("client-2", 1, "Task"), "e2", t0))
	createPending(t, s, "a1", t0)
	createPending(t, s, "a2", t0)
	_, err = s.TransitionApproval(ctx, approval.Transition{ID: "a2", From: []approval.State{approval.StatePending},
		To: approval.StateRejected, Actor: "reviewer", At: t0, Decision: true})
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s, err = store.Open(ctx, store.Options{DataDir: dir, Logger: quiet})
	require.NoError(t, err)
	defer s.Close()
	evs, err := s.ListEvents(ctx, webhook.EventFilter{})
	require.NoError(t, err)
	assert.Len(t, evs, 3)
	a, err := s.GetApproval(ctx, "a2")
	require.NoError(t, err)
	assert.Equal(t, approval.StateRejected, a.State)
	g, err := s.ClientGraph(ctx, graph.GraphQuery{ClientID: "client-1"})
	require.NoError(t, err)
	assert.Equal(t, 5, g.NodeCount)

	st, err = s.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, store.Stats{
		Inbox:     map[string]int{"received": 1, "processed": 1, "failed": 1},
		Approvals: map[string]int{"pending": 1, "rejected": 1},
		Clients:   2, Nodes: 5 + 3, Relationships: 6 + 2,
	}, st)
}
