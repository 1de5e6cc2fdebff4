package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// pgTakeKey takes idempotency key $1 for entry $2 received at $3, unless the
// entry holding it was received at or after $4: then no row comes back. A
// replica taking the same key at the same time waits for this transaction and
// then finds the key held.
const pgTakeKey = `INSERT INTO inbox_keys AS k (idempotency_key, event_id, received_at) VALUES ($1, $2, $3)
	ON CONFLICT (idempotency_key) DO UPDATE SET event_id = excluded.event_id, received_at = excluded.received_at
	WHERE k.received_at < $4
	RETURNING event_id`

// BeginEvent records ev in state received, unless an entry with the same
// non-empty idempotency key was received at or after notBefore: then nothing
// is written and that entry (without its body) is returned. The key is unique
// in the database, so this holds across replicas.
func (p *Postgres) BeginEvent(ctx context.Context, ev webhook.InboxEvent, notBefore time.Time) (*webhook.InboxEvent, error) {
	if ev.ID == "" {
		return nil, errors.New("store inbox event: empty id")
	}
	if ev.ReceivedAt.IsZero() {
		ev.ReceivedAt = p.now()
	}
	headers := "{}"
	if len(ev.Headers) > 0 {
		b, err := json.Marshal(ev.Headers)
		if err != nil {
			return nil, fmt.Errorf("store inbox event %s: encode headers: %w", ev.ID, err)
		}
		headers = string(b)
	}
	var existing *webhook.InboxEvent
	err := p.write(ctx, func(tx pgx.Tx) error {
		existing = nil
		if ev.IdempotencyKey != "" {
			var holder string
			err := tx.QueryRow(ctx, pgTakeKey, ev.IdempotencyKey, ev.ID, encTime(ev.ReceivedAt),
				encTime(notBefore)).Scan(&holder)
			if errors.Is(err, pgx.ErrNoRows) {
				e, err := scanEvent(tx.QueryRow(ctx, `SELECT `+eventCols+` FROM inbox_events
					WHERE id = (SELECT event_id FROM inbox_keys WHERE idempotency_key = $1)`, ev.IdempotencyKey))
				if err != nil {
					return fmt.Errorf("read the entry holding the key: %w", err)
				}
				existing = &e
				return nil
			}
			if err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO inbox_events
			(id, idempotency_key, kind, source, route, client_id, received_at, headers, body, state)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			ev.ID, nullString(ev.IdempotencyKey), ev.Kind, ev.Source, ev.Route, ev.ClientID,
			encTime(ev.ReceivedAt), headers, ev.Body, string(webhook.StateReceived))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store inbox event %s: %w", ev.ID, err)
	}
	return existing, nil
}

// CompleteEvent moves entry id to processed or failed with its outcome. With
// c.ReleaseKey the entry gives up its idempotency key, so a retry runs again.
// A processed completion with c.Graph merges that graph (mentioned by id) in
// the same transaction. An unknown id is webhook.ErrNotFound.
func (p *Postgres) CompleteEvent(ctx context.Context, id string, c webhook.Completion) error {
	if c.State != webhook.StateProcessed && c.State != webhook.StateFailed {
		return fmt.Errorf("store inbox event %s: completion state %q: want processed or failed", id, c.State)
	}
	if c.At.IsZero() {
		c.At = p.now()
	}
	var result any
	if len(c.Result) > 0 {
		result = string(c.Result)
	}
	durMS := float64(c.Duration) / float64(time.Millisecond)
	var merge *pgGraphMerge
	if c.Graph != nil && c.State == webhook.StateProcessed {
		var err error
		if merge, err = preparePGMerge(*c.Graph, id, c.At); err != nil {
			return fmt.Errorf("store inbox event %s: %w", id, err)
		}
	}
	err := p.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE inbox_events SET state = $1, result = $2, error_code = $3,
			error_message = $4, duration_ms = $5, completed_at = $6,
			idempotency_key = CASE WHEN $7 THEN NULL ELSE idempotency_key END WHERE id = $8`,
			string(c.State), result, c.ErrorCode, c.ErrorMessage, durMS, encTime(c.At), c.ReleaseKey, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return webhook.ErrNotFound
		}
		if c.ReleaseKey {
			if _, err := tx.Exec(ctx, `DELETE FROM inbox_keys WHERE event_id = $1`, id); err != nil {
				return fmt.Errorf("release key: %w", err)
			}
		}
		if merge != nil {
			return merge.apply(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store inbox event %s: %w", id, err)
	}
	return nil
}

// ListEvents returns inbox entries without their raw bodies, newest first.
// Limit defaults to 50 and is capped at 500.
func (p *Postgres) ListEvents(ctx context.Context, f webhook.EventFilter) ([]webhook.InboxEvent, error) {
	var where []string
	var args pgArgs
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
	evs := []webhook.InboxEvent{}
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("store list events: %w", err)
		}
		evs = append(evs, e)
	}
	if err := rows.Err(); err != nil {
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
