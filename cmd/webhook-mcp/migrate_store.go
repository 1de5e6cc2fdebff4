package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/webhook-mcp/webhook-mcp/store"
)

const migrateStoreUsage = `webhook-mcp migrate-store --from sqlite:///path/webhook-mcp.db --to postgres://user@host/db

Copies the inbox, the knowledge graphs and the approvals with their audit
events and delivery attempts from a SQLite store into an empty PostgreSQL
database, in one transaction. Stop the server on the SQLite file first.
Reviewer sessions and pending in-client confirmations are not copied: sign in
again after the move.
`

// runMigrateStore copies a SQLite store into PostgreSQL.
func runMigrateStore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate-store", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { _, _ = io.WriteString(stderr, migrateStoreUsage) }
	from := fs.String("from", "", "the SQLite store: sqlite:///path/to/webhook-mcp.db")
	to := fs.String("to", "", "the PostgreSQL database: postgres://…")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if *from == "" || *to == "" || fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%w: migrate-store needs --from sqlite://… and --to postgres://…", errUsage)
	}
	if store.IsPostgresURL(*from) || !store.IsPostgresURL(*to) {
		return fmt.Errorf("%w: migrate-store copies from sqlite:// to postgres://", errUsage)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	src, err := store.OpenSQLite(ctx, store.Options{URL: *from, Logger: logger})
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := store.OpenPostgres(ctx, store.Options{URL: *to, Logger: logger})
	if err != nil {
		return err
	}
	defer dst.Close()
	counts, err := store.CopySQLiteToPostgres(ctx, src, dst)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "copied %s to %s: %d inbox entries, %d graph nodes, %d relationships, "+
		"%d approvals, %d audit events, %d delivery attempts\n", src.Path(), dst.Path(), counts["inbox_events"],
		counts["graph_nodes"], counts["graph_relationships"], counts["approvals"], counts["approval_events"],
		counts["approval_attempts"])
	return err
}
