package main

import (
	"bytes"
	"context"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
)

func TestPGRows(t *testing.T) {
	t.Parallel()
	open := func(target string, p99 float64, missed int64) phase {
		return phase{Suite: "webhook", Target: target, Payload: "seed", Mode: "open", Rate: 2000, OK: 10, Missed: missed,
			Latency: latencies{P99: p99}}
	}
	r := &report{Config: config{PGRate: 2000}, Postgres: &pgSummary{}, Phases: []phase{
		closedPhase("webhook", "webhook-mcp", "", "seed", 4000, 0),
		open("webhook-mcp", 2, 0),
		closedPhase("webhook", pgTarget(1), "", "seed", 1000, 0),
		open(pgTarget(1), 10, 3),
		closedPhase("webhook", pgTarget(2), "", "seed", 1400, 2),
	}}
	r.finish(time.Second)
	require.Len(t, r.Postgres.Rows, 2)
	one, two := r.Postgres.Rows[0], r.Postgres.Rows[1]
	assert.Equal(t, 0.25, one.ThroughputRatio)
	assert.Equal(t, 5.0, one.P99Ratio)
	assert.Equal(t, "PostgreSQL 1 replica: 1000 req/s, ratio to SQLite 0.25x (SQLite 4000 req/s); "+
		"open loop 2000 req/s: p99 10.00 ms, 0 errors, 3 missed, SQLite p99 2.00 ms (5.0x)", one.Text)
	assert.Equal(t, 0.35, two.ThroughputRatio)
	assert.Equal(t, "PostgreSQL 2 replicas on one database: 1400 req/s, 2 errors, ratio to SQLite 0.35x (SQLite 4000 req/s)", two.Text,
		"no open-loop phase, no open-loop text")
	var out bytes.Buffer
	r.print(&out)
	assert.Contains(t, out.String(), one.Text)
	assert.Contains(t, out.String(), two.Text)
	for _, c := range r.Checks {
		assert.NotContains(t, c.Target, "PostgreSQL", "informational rows are no targets")
	}
}

func TestPGRowsNotMeasured(t *testing.T) {
	t.Parallel()
	r := &report{Postgres: &pgSummary{}, Phases: []phase{closedPhase("webhook", pgTarget(1), "", "seed", 1000, 0)}}
	r.finish(time.Second)
	require.Len(t, r.Postgres.Rows, 2)
	assert.Equal(t, "PostgreSQL 1 replica: 1000 req/s, ratio to SQLite - (SQLite row not measured)", r.Postgres.Rows[0].Text)
	assert.Equal(t, "PostgreSQL 2 replicas on one database: "+notMeasured, r.Postgres.Rows[1].Text)
}

func TestPGSkippedWithoutDatabase(t *testing.T) {
	t.Parallel()
	rep := &report{}
	var seq atomic.Int64
	require.NoError(t, runPostgres(context.Background(), config{}, "/nonexistent/webhook-mcp", t.TempDir(), "s", nil, rep, &seq))
	require.NotNil(t, rep.Postgres)
	rep.finish(time.Second)
	assert.Empty(t, rep.Postgres.Rows)
	var out bytes.Buffer
	rep.print(&out)
	assert.Contains(t, out.String(), "PostgreSQL rows skipped: TEST_DATABASE_URL not set")
}

// recorder counts the requests it was given.
type recorder struct{ n atomic.Int64 }

func (r *recorder) do(context.Context, int64) error { r.n.Add(1); return nil }

func TestSplitTargetTakesTurns(t *testing.T) {
	t.Parallel()
	var a, b recorder
	split := splitTarget{&a, &b}
	for seq := int64(1); seq <= 10; seq++ {
		require.NoError(t, split.do(context.Background(), seq))
	}
	assert.Equal(t, int64(5), a.n.Load())
	assert.Equal(t, int64(5), b.n.Load())
}

func TestNewPGSchema(t *testing.T) {
	t.Parallel()
	base := testkit.RequirePostgres(t)
	ctx := context.Background()
	u, drop, err := newPGSchema(ctx, base)
	require.NoError(t, err)
	parsed, err := url.Parse(u)
	require.NoError(t, err)
	schema := parsed.Query().Get("search_path")
	require.NotEmpty(t, schema)
	conn, err := pgx.Connect(ctx, u)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var current string
	require.NoError(t, conn.QueryRow(ctx, "SELECT current_schema()").Scan(&current))
	assert.Equal(t, schema, current, "the URL names the new, existing schema")
	require.NoError(t, drop())
	var n int
	require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM pg_namespace WHERE nspname = $1", schema).Scan(&n))
	assert.Zero(t, n, "dropped")
}

func TestNewPGSchemaRefusesOtherURLs(t *testing.T) {
	t.Parallel()
	_, _, err := newPGSchema(context.Background(), "sqlite:///tmp/x.db")
	require.Error(t, err)
	_, _, err = newPGSchema(context.Background(), "postgres://u:secret@127.0.0.1:1/db?sslmode=bogus")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret")
}
