// Package store persists the webhook inbox, the per-client knowledge graphs and
// the approval requests of webhook-mcp, behind the interfaces declared by the
// webhook, graph and approval packages. Two engines implement them:
//
//   - SQLite (modernc.org/sqlite, pure Go, no cgo), the embedded default. All
//     writes go through one writer goroutine that group-commits the operations
//     of concurrent callers into one transaction; reads use a separate pool of
//     read-only connections, which WAL mode never blocks.
//   - PostgreSQL (pgx with a pool), selected by a postgres:// DATABASE_URL, for
//     several replicas on one database: every guarantee that SQLite gets from
//     its single writer comes from the database itself (unique keys, row locks,
//     FOR UPDATE SKIP LOCKED), so that it holds across processes.
//
// Both are tested by one suite, package storetest.
package store

import (
	"context"
	"strings"
	"time"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// Store is what every engine implements: the domain's stores, the facts that
// /api/status reports, and Close.
type Store interface {
	webhook.Inbox
	graph.Store
	approval.Store
	// Kind is the engine: "sqlite" or "postgres".
	Kind() string
	// Path names the database: a file path, or a URL without its password.
	Path() string
	// SchemaVersion is the highest migration applied to the database.
	SchemaVersion(ctx context.Context) (int, error)
	// Health fails while the store cannot commit.
	Health(ctx context.Context) error
	// Stats counts the store's rows.
	Stats(ctx context.Context) (Stats, error)
	// PutToken, GetToken, TakeToken and DeleteToken keep the short-lived
	// tokens that every process sharing the store honours (see Token).
	PutToken(ctx context.Context, tok Token, now time.Time) error
	GetToken(ctx context.Context, kind, id string, now time.Time) (Token, error)
	TakeToken(ctx context.Context, kind, id, binding string) (Token, error)
	DeleteToken(ctx context.Context, kind, id string) error
	// Close releases the store; writes after it return ErrClosed.
	Close() error
}

// Open opens the store that opts name: PostgreSQL for a postgres:// or
// postgresql:// URL (OpenPostgres), SQLite otherwise (OpenSQLite). Either
// applies its pending migrations first.
func Open(ctx context.Context, opts Options) (Store, error) {
	if IsPostgresURL(opts.URL) {
		return OpenPostgres(ctx, opts)
	}
	return OpenSQLite(ctx, opts)
}

// IsPostgresURL reports whether a DATABASE_URL names a PostgreSQL database.
func IsPostgresURL(databaseURL string) bool {
	scheme, _, ok := strings.Cut(databaseURL, "://")
	if !ok {
		return false
	}
	scheme = strings.ToLower(scheme)
	return scheme == "postgres" || scheme == "postgresql"
}
