package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/webhook-mcp/webhook-mcp/api"
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
	state, result, error_code, error_message, duration_ms, completed_at, body_sha256, error_fields,
	owner, deadline, replay_of`

// BeginEvent records ev in flight unless a live entry holds its key; see
// webhook.Inbox. The check and the insert run atomically inside the single
// writer, and the call waits for that write even when ctx ends, so that an
// error always means that nothing was recorded.
func (s *SQLite) BeginEvent(ctx context.Context, ev webhook.InboxEvent, notBefore time.Time) (*webhook.InboxEvent, error) {
	ins, err := s.newEventRow(ev, webhook.StateReceived, webhook.Completion{})
	if err != nil {
		return nil, err
	}
	var existing *webhook.InboxEvent
	err = s.writer.do(context.WithoutCancel(ctx), func(ctx context.Context, tx *wtx) error {
		var err error
		if existing, err = s.liveEntry(ctx, tx, ev, notBefore); err != nil || existing != nil {
			return err
		}
		return ins.insert(ctx, tx)
	})
	if err != nil {
		return nil, fmt.Errorf("store inbox event %s: %w", ev.ID, err)
	}
	return existing, nil
}

// RecordEvent writes ev complete with c in one write unless a live entry holds
// its key; see webhook.Inbox.
func (s *SQLite) RecordEvent(ctx context.Context, ev webhook.InboxEvent, c webhook.Completion, notBefore time.Time) (*webhook.InboxEvent, error) {
	if err := checkCompletion(c); err != nil {
		return nil, fmt.Errorf("store inbox event %s: %w", ev.ID, err)
	}
	ins, err := s.newEventRow(ev, c.State, c)
	if err != nil {
		return nil, err
	}
	merge, err := mergeOf(ev.ID, c)
	if err != nil {
		return nil, fmt.Errorf("store inbox event %s: %w", ev.ID, err)
	}
	var existing *webhook.InboxEvent
	err = s.writer.do(context.WithoutCancel(ctx), func(ctx context.Context, tx *wtx) error {
		var err error
		if existing, err = s.liveEntry(ctx, tx, ev, notBefore); err != nil || existing != nil {
			return err
		}
		if err := ins.insert(ctx, tx); err != nil {
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

// liveEntry returns the newest entry holding ev's key since notBefore when it
// is live. A stale in-flight one (past its deadline, or ev's own owner's) is
// abandoned on the way and nil returned.
func (s *SQLite) liveEntry(ctx context.Context, tx *wtx, ev webhook.InboxEvent, notBefore time.Time) (*webhook.InboxEvent, error) {
	if ev.IdempotencyKey == "" {
		return nil, nil
	}
	row := tx.QueryRowContext(ctx, `SELECT `+eventCols+` FROM inbox_events
		WHERE idempotency_key = ? AND received_at >= ?
		ORDER BY received_at DESC, rowid DESC LIMIT 1`, ev.IdempotencyKey, encTime(notBefore))
	e, err := scanEvent(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if e.State != webhook.StateReceived || (e.Owner != ev.Owner && e.Deadline.After(now)) {
		return &e, nil
	}
	_, err = tx.ExecContext(ctx, abandonQuery+` WHERE id = ? AND state = ?`,
		api.Message(api.CodeAbandoned), encTime(now), e.ID, string(webhook.StateReceived))
	return nil, err
}

// abandonQuery marks entries failed as abandoned and releases their keys.
const abandonQuery = `UPDATE inbox_events SET state = 'failed', error_code = '` + api.CodeAbandoned + `',
	error_message = ?, completed_at = ?, idempotency_key = NULL, deadline = NULL`

// AbandonInFlight abandons every in-flight entry not owned by owner.
func (s *SQLite) AbandonInFlight(ctx context.Context, owner string) (int64, error) {
	var n int64
	err := s.writer.do(ctx, func(ctx context.Context, tx *wtx) error {
		// The literal state lets SQLite use the partial index of in-flight rows.
		res, err := tx.ExecContext(ctx, abandonQuery+` WHERE state = 'received' AND owner <> ?`,
			api.Message(api.CodeAbandoned), encTime(s.now()), owner)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store abandon in-flight events: %w", err)
	}
	return n, nil
}

// eventRow is an inbox row ready to insert.
type eventRow struct {
	args []any
}

const insertEventQuery = `INSERT INTO inbox_events
	(id, idempotency_key, kind, source, route, client_id, received_at, headers, body, body_sha256,
	 owner, deadline, state, result, error_code, error_message, error_fields, duration_ms, completed_at, replay_of)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

func (r eventRow) insert(ctx context.Context, tx *wtx) error {
	_, err := tx.ExecContext(ctx, insertEventQuery, r.args...)
	return err
}

// newEventRow encodes ev in state with c's outcome (for a complete row).
func (s *SQLite) newEventRow(ev webhook.InboxEvent, state webhook.EventState, c webhook.Completion) (eventRow, error) {
	if ev.ID == "" {
		return eventRow{}, errors.New("store inbox event: empty id")
	}
	if ev.ReceivedAt.IsZero() {
		ev.ReceivedAt = s.now()
	}
	headers := "{}"
	if len(ev.Headers) > 0 {
		b, err := json.Marshal(ev.Headers)
		if err != nil {
			return eventRow{}, fmt.Errorf("store inbox event %s: encode headers: %w", ev.ID, err)
		}
		headers = string(b)
	}
	var deadline, completedAt any
	if state == webhook.StateReceived {
		deadline = encTime(ev.Deadline)
	} else {
		if c.At.IsZero() {
			c.At = s.now()
		}
		completedAt = encTime(c.At)
	}
	key := ev.IdempotencyKey
	if c.ReleaseKey {
		key = ""
	}
	return eventRow{args: []any{ev.ID, nullString(key), ev.Kind, ev.Source, ev.Route, ev.ClientID,
		encTime(ev.ReceivedAt), headers, ev.Body, ev.BodySHA256, ev.Owner, deadline, string(state),
		nullRaw(c.Result), c.ErrorCode, c.ErrorMessage, encFields(c.ErrorFields), durMS(c.Duration), completedAt,
		ev.ReplayOf}}, nil
}

const (
	completeQuery = `UPDATE inbox_events SET state = ?, result = ?, error_code = ?, error_message = ?,
		error_fields = ?, duration_ms = ?, completed_at = ?, deadline = NULL WHERE id = ? AND state = 'received'`
	completeReleaseQuery = `UPDATE inbox_events SET state = ?, result = ?, error_code = ?, error_message = ?,
		error_fields = ?, duration_ms = ?, completed_at = ?, deadline = NULL, idempotency_key = NULL
		WHERE id = ? AND state = 'received'`
)

// CompleteEvent moves in-flight entry id to processed or failed with its
// outcome. With c.ReleaseKey the entry's idempotency key is cleared, so a retry
// runs again. A processed completion with c.Graph merges that graph (mentioned
// by id) in the same transaction. An id that is unknown or no longer in flight
// (abandoned meanwhile) is webhook.ErrNotFound.
func (s *SQLite) CompleteEvent(ctx context.Context, id string, c webhook.Completion) error {
	if err := checkCompletion(c); err != nil {
		return fmt.Errorf("store inbox event %s: %w", id, err)
	}
	if c.At.IsZero() {
		c.At = s.now()
	}
	merge, err := mergeOf(id, c)
	if err != nil {
		return fmt.Errorf("store inbox event %s: %w", id, err)
	}
	err = s.writer.do(context.WithoutCancel(ctx), func(ctx context.Context, tx *wtx) error {
		// Two statements rather than a CASE: SQLite updates an index only when
		// the SET list names one of its columns.
		q := completeQuery
		if c.ReleaseKey {
			q = completeReleaseQuery
		}
		res, err := tx.ExecContext(ctx, q, string(c.State), nullRaw(c.Result), c.ErrorCode, c.ErrorMessage,
			encFields(c.ErrorFields), durMS(c.Duration), encTime(c.At), id)
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

// checkCompletion refuses a completion that does not end a call.
func checkCompletion(c webhook.Completion) error {
	if c.State != webhook.StateProcessed && c.State != webhook.StateFailed {
		return fmt.Errorf("completion state %q: want processed or failed", c.State)
	}
	return nil
}

// mergeOf prepares the graph merge a processed completion carries, or nil.
func mergeOf(id string, c webhook.Completion) (*graphMerge, error) {
	if c.Graph == nil || c.State != webhook.StateProcessed {
		return nil, nil
	}
	at := c.At
	if at.IsZero() {
		at = time.Now()
	}
	return prepareMerge(*c.Graph, id, at)
}

func durMS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// nullRaw stores an empty JSON value as NULL.
func nullRaw(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// encFields stores a field list as a JSON array, or NULL when empty.
func encFields(fields []string) any {
	if len(fields) == 0 {
		return nil
	}
	b, _ := json.Marshal(fields) // a []string always encodes
	return string(b)
}

// ListEvents returns inbox entries without their raw bodies, newest first.
// Limit defaults to 50 and is capped at 500.
func (s *SQLite) ListEvents(ctx context.Context, f webhook.EventFilter) ([]webhook.InboxEvent, error) {
	var where []string
	var args []any
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, f.Kind)
	}
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
	rows, err := s.query(ctx, q, args...)
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
		deadline            sql.NullInt64
		errCode, errMessage string
		fields              sql.NullString
	)
	if err := r.Scan(&e.ID, &key, &e.Kind, &e.Source, &e.Route, &e.ClientID, &receivedAt, &headers,
		&state, &result, &errCode, &errMessage, &e.DurationMS, &completedAt, &e.BodySHA256, &fields,
		&e.Owner, &deadline, &e.ReplayOf); err != nil {
		return e, err
	}
	if fields.Valid {
		if err := json.Unmarshal([]byte(fields.String), &e.ErrorFields); err != nil {
			return e, fmt.Errorf("decode error fields of %s: %w", e.ID, err)
		}
	}
	if deadline.Valid {
		e.Deadline = decTime(deadline.Int64)
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
