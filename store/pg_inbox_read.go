package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// ListEvents returns inbox entries without their raw bodies, newest first.
// Limit defaults to 50 and is capped at 500.
func (p *Postgres) ListEvents(ctx context.Context, f webhook.EventFilter) ([]webhook.InboxEvent, error) {
	var where []string
	var args pgArgs
	if f.Kind != "" {
		where = append(where, "kind = "+args.add(f.Kind))
	}
	if f.ClientID != "" {
		where = append(where, "client_id = "+args.add(f.ClientID))
	}
	if f.Source != "" {
		where = append(where, "source = "+args.add(f.Source))
	}
	if f.State != "" {
		where = append(where, "state = "+args.add(string(f.State)))
	}
	if !f.Before.IsZero() {
		where = append(where, "received_at < "+args.add(encTime(f.Before)))
	}
	q := `SELECT ` + eventCols + ` FROM inbox_events`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY received_at DESC, seq DESC LIMIT " + args.add(clampLimit(f.Limit, defaultEventLimit, maxEventLimit))
	rows, err := p.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store list events: %w", err)
	}
	defer rows.Close()
	evs, err := collect(rows, scanEventRow)
	if err != nil {
		return nil, fmt.Errorf("store list events: %w", err)
	}
	return evs, nil
}

// PruneEvents deletes the inbox entries received before t and returns how many
// this call deleted. It deletes in chunks, one transaction each, skipping rows
// that another replica's prune holds: replicas pruning at once share the work
// and never wait for each other.
func (p *Postgres) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		var n int64
		err := p.write(ctx, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `DELETE FROM inbox_events WHERE id IN
				(SELECT id FROM inbox_events WHERE received_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
				encTime(before), pruneChunk)
			n = tag.RowsAffected()
			return err
		})
		if err != nil {
			return total, fmt.Errorf("store prune events: %w", err)
		}
		total += n
		if n < pruneChunk {
			return total, nil
		}
	}
}
