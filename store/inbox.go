package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// Limits of ListEvents.
const (
	defaultEventLimit = 50
	maxEventLimit     = 500
	pruneChunk        = 5000 // rows deleted per write transaction by PruneEvents
)

// eventCols are the inbox columns read back, everything but the raw body.
const eventCols = `id, idempotency_key, kind, source, route, client_id, received_at, headers,
	state, result, error_code, error_message, duration_ms, completed_at`

// BeginEvent records ev in state received, unless an entry with the same
// non-empty idempotency key was received at or after notBefore: then nothing
// is written and that entry (the newest such, without its body) is returned.
// The check and the insert are atomic: they run inside the single writer.
// When ctx ends before the write commits the call returns, but the write still
// happens: ev.Body must not be modified afterwards.
func (s *SQLite) BeginEvent(ctx context.Context, ev webhook.InboxEvent, notBefore time.Time) (*webhook.InboxEvent, error) {
	if ev.ID == "" {
		return nil, errors.New("store inbox event: empty id")
	}
	if ev.ReceivedAt.IsZero() {
		ev.ReceivedAt = s.now()
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
	err := s.writer.do(ctx, func(ctx context.Context, tx *wtx) error {
		if ev.IdempotencyKey != "" {
			row := tx.QueryRowContext(ctx, `SELECT `+eventCols+` FROM inbox_events
				WHERE idempotency_key = ? AND received_at >= ?
				ORDER BY received_at DESC, rowid DESC LIMIT 1`, ev.IdempotencyKey, encTime(notBefore))
			e, err := scanEvent(row)
			if err == nil {
				existing = &e
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO inbox_events
			(id, idempotency_key, kind, source, route, client_id, received_at, headers, body, state)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			ev.ID, nullString(ev.IdempotencyKey), ev.Kind, ev.Source, ev.Route, ev.ClientID,
			encTime(ev.ReceivedAt), headers, ev.Body, string(webhook.StateReceived))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store inbox event %s: %w", ev.ID, err)
	}
	return existing, nil
}

const (
	completeQuery = `UPDATE inbox_events SET state = ?, result = ?,
		error_code = ?, error_message = ?, duration_ms = ?, completed_at = ? WHERE id = ?`
	completeReleaseQuery = `UPDATE inbox_events SET state = ?, result = ?,
		error_code = ?, error_message = ?, duration_ms = ?, completed_at = ?, idempotency_key = NULL WHERE id = ?`
)

// CompleteEvent moves entry id to processed or failed with its outcome. With
// c.ReleaseKey the entry's idempotency key is cleared, so a retry runs again. A
// processed completion with c.Graph merges that graph (mentioned by id) in the
// same transaction. An unknown id is webhook.ErrNotFound.
func (s *SQLite) CompleteEvent(ctx context.Context, id string, c webhook.Completion) error {
	if c.State != webhook.StateProcessed && c.State != webhook.StateFailed {
		return fmt.Errorf("store inbox event %s: completion state %q: want processed or failed", id, c.State)
	}
	if c.At.IsZero() {
		c.At = s.now()
	}
	var result any
	if len(c.Result) > 0 {
		result = string(c.Result)
	}
	durMS := float64(c.Duration) / float64(time.Millisecond)
	var merge *graphMerge
	if c.Graph != nil && c.State == webhook.StateProcessed {
		var err error
		if merge, err = prepareMerge(*c.Graph, id, c.At); err != nil {
			return fmt.Errorf("store inbox event %s: %w", id, err)
		}
	}
	err := s.writer.do(ctx, func(ctx context.Context, tx *wtx) error {
		// Two statements rather than a CASE: SQLite updates an index only when
		// the SET list names one of its columns.
		q := completeQuery
		if c.ReleaseKey {
			q = completeReleaseQuery
		}
		res, err := tx.ExecContext(ctx, q,
			string(c.State), result, c.ErrorCode, c.ErrorMessage, durMS, encTime(c.At), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return webhook.ErrNotFound
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
func (s *SQLite) ListEvents(ctx context.Context, f webhook.EventFilter) ([]webhook.InboxEvent, error) {
	var where []string
	var args []any
	if f.ClientID != "" {
		where, args = append(where, "client_id = ?"), append(args, f.ClientID)
	}
	if f.Source != "" {
		where, args = append(where, "source = ?"), append(args, f.Source)
	}
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, string(f.State))
	}
	if !f.Before.IsZero() {
		where, args = append(where, "received_at < ?"), append(args, encTime(f.Before))
	}
	q := `SELECT ` + eventCols + ` FROM inbox_events`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY received_at DESC, rowid DESC LIMIT ?"
	args = append(args, clampLimit(f.Limit, defaultEventLimit, maxEventLimit))
	rows, err := s.rdb.QueryContext(ctx, q, args...)
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

// PruneEvents deletes the inbox entries received before t and returns how many.
// It deletes in chunks, one write transaction each, so that it never holds the
// writer for long.
func (s *SQLite) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		var n int64
		err := s.writer.do(ctx, func(ctx context.Context, tx *wtx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM inbox_events WHERE rowid IN
				(SELECT rowid FROM inbox_events WHERE received_at < ? LIMIT ?)`, encTime(before), pruneChunk)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
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

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

// scanEvent reads one row of eventCols.
func scanEvent(r rowScanner) (webhook.InboxEvent, error) {
	var (
		e                   webhook.InboxEvent
		key, result         sql.NullString
		headers, state      string
		receivedAt          int64
		completedAt         sql.NullInt64
		errCode, errMessage string
	)
	if err := r.Scan(&e.ID, &key, &e.Kind, &e.Source, &e.Route, &e.ClientID, &receivedAt, &headers,
		&state, &result, &errCode, &errMessage, &e.DurationMS, &completedAt); err != nil {
		return e, err
	}
	e.IdempotencyKey = key.String
	e.ReceivedAt = decTime(receivedAt)
	if headers != "" && headers != "{}" {
		if err := json.Unmarshal([]byte(headers), &e.Headers); err != nil {
			return e, fmt.Errorf("decode headers of %s: %w", e.ID, err)
		}
	}
	e.State = webhook.EventState(state)
	if result.Valid {
		e.Result = json.RawMessage(result.String)
	}
	e.ErrorCode, e.ErrorMessage = errCode, errMessage
	e.CompletedAt = decTimePtr(completedAt)
	return e, nil
}
