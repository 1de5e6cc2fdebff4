package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// Compile-time checks that Postgres implements the stores the domain declares.
var (
	_ webhook.Inbox  = (*Postgres)(nil)
	_ graph.Store    = (*Postgres)(nil)
	_ approval.Store = (*Postgres)(nil)
	_ Store          = (*Postgres)(nil)
)

// defaultPGMaxConns is the pool size when the URL sets no pool_max_conns.
// Every replica holds up to this many connections: N replicas need N times it
// within the server's max_connections.
const defaultPGMaxConns = 16

// pgMaxRetries bounds how often a transaction that PostgreSQL aborted for a
// deadlock or a serialization failure is run again.
const pgMaxRetries = 5

// Postgres is the PostgreSQL store, for several replicas sharing one database.
// It is safe for concurrent use, within a process and across processes.
type Postgres struct {
	pool *pgxpool.Pool
	name string // the URL without its password
	log  *slog.Logger
	now  func() time.Time

	closed    atomic.Bool
	closeOnce sync.Once
}

// OpenPostgres connects to the PostgreSQL database named by opts.URL (a
// postgres:// or postgresql:// URL with pgx's parameters: sslmode, pool_max_conns
// (default 16), search_path to use a schema other than public, …), applies the
// pending migrations of store/pgmigrations under an advisory lock, so that
// replicas starting together migrate once, and returns the store.
func OpenPostgres(ctx context.Context, opts Options) (*Postgres, error) {
	if !IsPostgresURL(opts.URL) {
		return nil, fmt.Errorf("store: %q is not a postgres:// url", redactURL(opts.URL))
	}
	name := redactURL(opts.URL)
	// pgx knows a URL by its lower-case scheme only.
	scheme, rest, _ := strings.Cut(opts.URL, "://")
	cfg, err := pgxpool.ParseConfig(strings.ToLower(scheme) + "://" + rest)
	if err != nil {
		// pgx's message quotes the URL, password and all.
		return nil, fmt.Errorf("store: database url %s: invalid", name)
	}
	if u, err := url.Parse(opts.URL); err == nil && !u.Query().Has("pool_max_conns") {
		cfg.MaxConns = defaultPGMaxConns
	}
	p := &Postgres{name: name, log: opts.Logger, now: opts.Now}
	if p.log == nil {
		p.log = slog.Default()
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", name, err)
	}
	if err := p.pool.Ping(ctx); err != nil {
		p.pool.Close()
		return nil, fmt.Errorf("store: open %s: %w", name, err)
	}
	if err := p.migrate(ctx); err != nil {
		p.pool.Close()
		return nil, err
	}
	p.log.Debug("store opened", "kind", p.Kind(), "url", name, "max_conns", cfg.MaxConns)
	return p, nil
}

// redactURL is the URL without its password (or the input when it is no URL).
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable url)"
	}
	return u.Redacted()
}

// Close closes the pool, waiting for the connections in use to be released.
// Further calls return ErrClosed; closing again is a no-op.
func (p *Postgres) Close() error {
	p.closeOnce.Do(func() {
		p.closed.Store(true)
		p.pool.Close()
	})
	return nil
}

// Kind is the store kind reported by /api/status: "postgres".
func (p *Postgres) Kind() string { return "postgres" }

// Path is the database URL without its password.
func (p *Postgres) Path() string { return p.name }

// write runs fn in a read-committed transaction and commits it. A transaction
// that PostgreSQL aborted for a deadlock or a serialization failure is run
// again from the start, so fn must set its results afresh on each run.
func (p *Postgres) write(ctx context.Context, fn func(pgx.Tx) error) error {
	if p.closed.Load() {
		return ErrClosed
	}
	for attempt := 0; ; attempt++ {
		err := pgx.BeginFunc(ctx, p.pool, fn)
		if err == nil || attempt >= pgMaxRetries || !retryable(err) {
			return err
		}
		p.log.Debug("store: transaction retried", "attempt", attempt+1, "err", err)
	}
}

// read runs fn in a read-only repeatable-read transaction: every query of fn
// sees the same snapshot.
func (p *Postgres) read(ctx context.Context, fn func(pgx.Tx) error) error {
	if p.closed.Load() {
		return ErrClosed
	}
	return pgx.BeginTxFunc(ctx, p.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

// retryable reports a deadlock or serialization failure: the transaction was
// rolled back and may simply run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// pgArgs numbers the parameters of a query built piece by piece.
type pgArgs []any

// add appends v and returns its placeholder.
func (a *pgArgs) add(v any) string {
	*a = append(*a, v)
	return fmt.Sprintf("$%d", len(*a))
}

// Health reports whether the store can commit: it rewrites one probe row, so
// a lost connection, a read-only server (a standby, or a full disk that made
// it refuse writes) all fail it.
func (p *Postgres) Health(ctx context.Context) error {
	if p.closed.Load() {
		return ErrClosed
	}
	if _, err := p.pool.Exec(ctx, `INSERT INTO store_probe (id, at) VALUES (1, $1)
		ON CONFLICT (id) DO UPDATE SET at = excluded.at`, encTime(p.now())); err != nil {
		return fmt.Errorf("store %s cannot commit: %w", p.name, err)
	}
	return nil
}
