package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// pgLockKey takes idempotency key $1 for entry $2 when no entry holds it, and otherwise returns its holder; either way the key's row stays
// locked until the transaction ends, so the repeats of one key, from every
// replica, are decided one after the other. (The no-op update is what locks an
// existing row and returns it.)
const pgLockKey = `INSERT INTO inbox_keys AS k (idempotency_key, event_id) VALUES ($1, $2)
	ON CONFLICT (idempotency_key) DO UPDATE SET idempotency_key = excluded.idempotency_key
	RETURNING event_id`

// pgAbandon marks entries failed as abandoned and releases their keys.
const pgAbandon = `UPDATE inbox_events SET state = 'failed', error_code = '` + api.CodeAbandoned + `',
	error_message = $1, completed_at = $2, idempotency_key = NULL, deadline = NULL`

// pgInsertInboxEvent writes one inbox entry.
const pgInsertInboxEvent = `INSERT INTO inbox_events
	(id, idempotency_key, kind, source, route, client_id, received_at, headers, body, body_sha256,
	 owner, deadline, state, result, error_code, error_message, error_fields, duration_ms, completed_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`

// BeginEvent records ev in flight unless a live entry holds its key; see
// webhook.Inbox. The key's row in inbox_keys is locked while the call decides,
// so two replicas never both record a repeat. The call waits for the commit
// even when ctx ends, so that an error means nothing was recorded.
func (p *Postgres) BeginEvent(ctx context.Context, ev webhook.InboxEvent, notBefore time.Time) (*webhook.InboxEvent, error) {
	return p.recordEvent(ctx, ev, webhook.StateReceived, webhook.Completion{}, notBefore)
}

// RecordEvent writes ev complete with c (and c.Graph merged) in one
// transaction unless a live entry holds its key; see webhook.Inbox.
func (p *Postgres) RecordEvent(ctx context.Context, ev webhook.InboxEvent, c webhook.Completion, notBefore time.Time) (*webhook.InboxEvent, error) {
	if err := checkCompletion(c); err != nil {
		return nil, fmt.Errorf("store inbox event %s: %w", ev.ID, err)
	}
	return p.recordEvent(ctx, ev, c.State, c, notBefore)
}

func (p *Postgres) recordEvent(ctx context.Context, ev webhook.InboxEvent, state webhook.EventState,
	c webhook.Completion, notBefore time.Time) (*webhook.InboxEvent, error) {
	args, err := p.eventArgs(ev, state, c)
	if err != nil {
		return nil, err
	}
	var merge *pgGraphMerge
	if c.Graph != nil && c.State == webhook.StateProcessed {
		if merge, err = preparePGMerge(*c.Graph, ev.ID, completedAt(c, p.now)); err != nil {
			return nil, fmt.Errorf("store inbox event %s: %w", ev.ID, err)
		}
	}
	var existing *webhook.InboxEvent
	ctx = context.WithoutCancel(ctx)
	err = p.write(ctx, func(tx pgx.Tx) error {
		var err error
		if existing, err = p.takeKey(ctx, tx, ev, notBefore, c.ReleaseKey); err != nil || existing != nil {
			return err
		}
		if _, err := tx.Exec(ctx, pgInsertInboxEvent, args...); err != nil {
			return err
		}
		if merge != nil {
			return merge.apply(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store inbox event %s: %w", ev.ID, err)
	}
	return existing, nil
}

// takeKey decides, holding the key's lock, whether ev may be recorded. It
// returns the live entry holding ev's key since notBefore, if any. Otherwise
// the key passes to ev (or, with release, is given up: ev is stored without
// it); an in-flight holder past its deadline, or one of ev's own owner (whose
// call has ended), is abandoned on the way.
func (p *Postgres) takeKey(ctx context.Context, tx pgx.Tx, ev webhook.InboxEvent, notBefore time.Time, release bool) (*webhook.InboxEvent, error) {
	if ev.IdempotencyKey == "" {
		return nil, nil
	}
	var holder string
	if err := tx.QueryRow(ctx, pgLockKey, ev.IdempotencyKey, ev.ID).Scan(&holder); err != nil {
		return nil, fmt.Errorf("lock idempotency key: %w", err)
	}
	if holder != ev.ID {
		e, err := scanEvent(tx.QueryRow(ctx, `SELECT `+eventCols+` FROM inbox_events WHERE id = $1`, holder))
		if err != nil {
			return nil, fmt.Errorf("read the entry holding the key: %w", err)
		}
		now := p.now()
		if !e.ReceivedAt.Before(notBefore) {
			if e.State != webhook.StateReceived || (e.Owner != ev.Owner && e.Deadline.After(now)) {
				return &e, nil
			}
			if _, err := tx.Exec(ctx, pgAbandon+` WHERE id = $3 AND state = 'received'`,
				api.Message(api.CodeAbandoned), encTime(now), e.ID); err != nil {
				return nil, fmt.Errorf("abandon %s: %w", e.ID, err)
			}
		}
		if !release {
			_, err := tx.Exec(ctx, `UPDATE inbox_keys SET event_id = $2 WHERE idempotency_key = $1`,
				ev.IdempotencyKey, ev.ID)
			return nil, err
		}
	}
	if release {
		_, err := tx.Exec(ctx, `DELETE FROM inbox_keys WHERE idempotency_key = $1`, ev.IdempotencyKey)
		return nil, err
	}
	return nil, nil
}

// eventArgs are pgInsertInboxEvent's arguments for ev in state with c's outcome.
func (p *Postgres) eventArgs(ev webhook.InboxEvent, state webhook.EventState, c webhook.Completion) ([]any, error) {
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
	var deadline, completed any
	if state == webhook.StateReceived {
		deadline = encTime(ev.Deadline)
	} else {
		completed = encTime(completedAt(c, p.now))
	}
	key := ev.IdempotencyKey
	if c.ReleaseKey {
		key = ""
	}
	return []any{ev.ID, nullString(key), ev.Kind, ev.Source, ev.Route, ev.ClientID,
		encTime(ev.ReceivedAt), headers, ev.Body, ev.BodySHA256, ev.Owner, deadline, string(state),
		nullRaw(c.Result), c.ErrorCode, c.ErrorMessage, encFields(c.ErrorFields), durMS(c.Duration), completed}, nil
}

// completedAt is c.At, or now when unset.
func completedAt(c webhook.Completion, now func() time.Time) time.Time {
	if c.At.IsZero() {
		return now()
	}
	return c.At
}

// CompleteEvent moves in-flight entry id to processed or failed with its
// outcome; with c.ReleaseKey the entry gives up its idempotency key, so a
// retry runs again; a processed completion's c.Graph merges in the same
// transaction. An id that is unknown or no longer in flight (abandoned
// meanwhile) is webhook.ErrNotFound.
func (p *Postgres) CompleteEvent(ctx context.Context, id string, c webhook.Completion) error {
	if err := checkCompletion(c); err != nil {
		return fmt.Errorf("store inbox event %s: %w", id, err)
	}
	c.At = completedAt(c, p.now)
	var merge *pgGraphMerge
	if c.Graph != nil && c.State == webhook.StateProcessed {
		var err error
		if merge, err = preparePGMerge(*c.Graph, id, c.At); err != nil {
			return fmt.Errorf("store inbox event %s: %w", id, err)
		}
	}
	ctx = context.WithoutCancel(ctx)
	err := p.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE inbox_events SET state = $1, result = $2, error_code = $3,
			error_message = $4, error_fields = $5, duration_ms = $6, completed_at = $7, deadline = NULL,
			idempotency_key = CASE WHEN $8 THEN NULL ELSE idempotency_key END
			WHERE id = $9 AND state = 'received'`,
			string(c.State), nullRaw(c.Result), c.ErrorCode, c.ErrorMessage, encFields(c.ErrorFields),
			durMS(c.Duration), encTime(c.At), c.ReleaseKey, id)
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

// AbandonInFlight abandons every in-flight entry not owned by owner and
// releases their keys. Only a process that owns the database alone may call
// it: on PostgreSQL the other replicas' calls are in flight too.
func (p *Postgres) AbandonInFlight(ctx context.Context, owner string) (int64, error) {
	var n int64
	err := p.write(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `WITH abandoned AS (
				`+pgAbandon+` WHERE state = 'received' AND owner <> $3 RETURNING id),
			released AS (DELETE FROM inbox_keys WHERE event_id IN (SELECT id FROM abandoned))
			SELECT count(*) FROM abandoned`, api.Message(api.CodeAbandoned), encTime(p.now()), owner).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("store abandon in-flight events: %w", err)
	}
	return n, nil
}
