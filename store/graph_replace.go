package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/webhook-mcp/webhook-mcp/graph"
)

// deleteClientGraph is the SQL of ReplaceGraph's first step in either engine
// (SQLite's ? and PostgreSQL's $1 both take one argument here as $1).
var deleteClientGraph = [...]string{
	`DELETE FROM graph_relationships WHERE client_id = $1`,
	`DELETE FROM graph_nodes WHERE client_id = $1`,
}

// ReplaceGraph deletes the client's graph and merges g in its place, in one
// write transaction of the writer (see graph.Store).
func (s *SQLite) ReplaceGraph(ctx context.Context, g graph.KnowledgeGraph, webhookID string, at time.Time) error {
	if at.IsZero() {
		at = s.now()
	}
	m, err := prepareMerge(g, webhookID, at)
	if err != nil {
		return err
	}
	err = s.writer.do(ctx, func(ctx context.Context, tx *wtx) error {
		for _, q := range deleteClientGraph {
			if _, err := tx.ExecContext(ctx, q, g.ClientID); err != nil {
				return fmt.Errorf("delete graph: %w", err)
			}
		}
		return m.apply(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("store replace graph %s: %w", g.ClientID, err)
	}
	return nil
}

// ReplaceGraph deletes the client's graph and merges g in its place, in one
// transaction (see graph.Store).
func (p *Postgres) ReplaceGraph(ctx context.Context, g graph.KnowledgeGraph, webhookID string, at time.Time) error {
	if at.IsZero() {
		at = p.now()
	}
	m, err := preparePGMerge(g, webhookID, at)
	if err != nil {
		return err
	}
	err = p.write(ctx, func(tx pgx.Tx) error {
		for _, q := range deleteClientGraph {
			if _, err := tx.Exec(ctx, q, g.ClientID); err != nil {
				return fmt.Errorf("delete graph: %w", err)
			}
		}
		return m.apply(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("store replace graph %s: %w", g.ClientID, err)
	}
	return nil
}
