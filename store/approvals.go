package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/webhook-mcp/webhook-mcp/approval"
)

// Limits of ListApprovals (the service asks for one more than a page of 500
// to know whether another page follows).
const (
	defaultApprovalLimit = 50
	maxApprovalLimit     = 1000
)

const approvalCols = `id, action, client_id, webhook_id, target_url, summary, params, params_sha256,
	requested_by, state, created_at, expires_at, decided_by, decided_at, reason, delivery, updated_at,
	next_attempt_at`

// CreateApproval stores a new request (in r.State, pending when empty) with its
// first audit event. A duplicate id is an error.
func (s *SQLite) CreateApproval(ctx context.Context, r approval.Request, ev approval.Event) error {
	if r.ID == "" {
		return errors.New("store approval: empty id")
	}
	if r.State == "" {
		r.State = approval.StatePending
	}
	if r.State != approval.StatePending {
		return fmt.Errorf("store approval %s: %w: a request is created pending, not %s", r.ID, approval.ErrInvalidTransition, r.State)
	}
	now := s.now()
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	if ev.At.IsZero() {
		ev.At = r.CreatedAt
	}
	if ev.To == "" {
		ev.To = r.State
	}
	delivery, err := encodeDelivery(r.Delivery)
	if err != nil {
		return fmt.Errorf("store approval %s: %w", r.ID, err)
	}
	err = s.writer.do(ctx, func(ctx context.Context, tx *wtx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO approvals (`+approvalCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.Action, r.ClientID, r.WebhookID, r.TargetURL, r.Summary, []byte(r.Params), r.ParamsSHA256,
			r.RequestedBy, string(r.State), encTime(r.CreatedAt), encTime(r.ExpiresAt), r.DecidedBy,
			encTimePtr(r.DecidedAt), r.Reason, delivery, encTime(r.UpdatedAt), encTimePtr(r.NextAttemptAt)); err != nil {
			return err
		}
		return insertApprovalEvent(ctx, tx, r.ID, ev)
	})
	if err != nil {
		return fmt.Errorf("store approval %s: %w", r.ID, err)
	}
	return nil
}

// GetApproval returns the request or approval.ErrNotFound.
func (s *SQLite) GetApproval(ctx context.Context, id string) (approval.Request, error) {
	r, err := scanApproval(s.queryRow(ctx, `SELECT `+approvalCols+` FROM approvals WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = approval.ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("store approval %s: %w", id, err)
	}
	return r, nil
}

// ListApprovals returns requests matching f, newest first. Limit defaults to
// 50 and is capped at 1000.
func (s *SQLite) ListApprovals(ctx context.Context, f approval.Filter) ([]approval.Request, error) {
	var where []string
	var args []any
	if len(f.States) > 0 {
		states := make([]string, len(f.States))
		for i, st := range f.States {
			states[i] = string(st)
		}
		where, args = append(where, "state IN (SELECT value FROM json_each(?))"), append(args, jsonList(states))
	}
	if f.ClientID != "" {
		where, args = append(where, "client_id = ?"), append(args, f.ClientID)
	}
	if !f.CreatedBefore.IsZero() {
		where, args = append(where, "created_at < ?"), append(args, encTime(f.CreatedBefore))
	}
	if f.After != nil {
		at := encTime(f.After.CreatedAt)
		where, args = append(where, "(created_at < ? OR (created_at = ? AND id < ?))"), append(args, at, at, f.After.ID)
	}
	if f.Requester != "" {
		// RequestedBy is "<principal>" or "<principal> (<label>)".
		prefix := f.Requester + " ("
		where = append(where, "(requested_by = ? OR substr(requested_by, 1, ?) = ?)")
		args = append(args, f.Requester, utf8.RuneCountInString(prefix), prefix)
	}
	q := `SELECT ` + approvalCols + ` FROM approvals`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at DESC, id DESC LIMIT ?"
	args = append(args, clampLimit(f.Limit, defaultApprovalLimit, maxApprovalLimit))
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store list approvals: %w", err)
	}
	defer rows.Close()
	out, err := collect(rows, scanApprovalRow)
	if err != nil {
		return nil, fmt.Errorf("store list approvals: %w", err)
	}
	return out, nil
}

// TransitionApproval applies t atomically inside the writer: when the request's
// current state is in t.From it moves to t.To (recording the decision and the
// delivery when t asks for them) with an audit event, and the updated request
// is returned. Otherwise it returns a *approval.ConflictError, or
// approval.ErrNotFound for an unknown id.
func (s *SQLite) TransitionApproval(ctx context.Context, t approval.Transition) (approval.Request, error) {
	if t.At.IsZero() {
		t.At = s.now()
	}
	delivery, err := encodeDelivery(t.Delivery)
	if err != nil {
		return approval.Request{}, fmt.Errorf("store approval %s: %w", t.ID, err)
	}
	var out approval.Request
	var conflict *approval.ConflictError
	err = s.writer.do(ctx, func(ctx context.Context, tx *wtx) error {
		var cur string
		err := tx.QueryRowContext(ctx, `SELECT state FROM approvals WHERE id = ?`, t.ID).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return approval.ErrNotFound
		}
		if err != nil {
			return err
		}
		if !approval.CanTransition(approval.State(cur), t.To) && slices.Contains(t.From, approval.State(cur)) {
			return fmt.Errorf("%w: %s → %s", approval.ErrInvalidTransition, cur, t.To)
		}
		if !slices.Contains(t.From, approval.State(cur)) {
			conflict = &approval.ConflictError{ID: t.ID, Current: approval.State(cur), Wanted: t.To}
			return conflict
		}
		q := `UPDATE approvals SET state = ?, updated_at = ?`
		args := []any{string(t.To), encTime(t.At)}
		if t.Decision {
			q += `, decided_by = ?, decided_at = ?, reason = ?`
			args = append(args, t.Actor, encTime(t.At), t.Reason)
		}
		if t.Delivery != nil {
			q += `, delivery = ?`
			args = append(args, delivery)
		}
		if t.NextAttemptAt != nil {
			q += `, next_attempt_at = ?`
			args = append(args, encTime(*t.NextAttemptAt))
		}
		if t.ReleaseClaim {
			q += `, lease_until = NULL`
		}
		if t.Attempt != nil {
			if err := insertAttempt(ctx, tx, t.ID, *t.Attempt); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, q+` WHERE id = ?`, append(args, t.ID)...); err != nil {
			return err
		}
		ev := approval.Event{ApprovalID: t.ID, At: t.At, From: approval.State(cur), To: t.To,
			Actor: t.Actor, Reason: t.Reason}
		if err := insertApprovalEvent(ctx, tx, t.ID, ev); err != nil {
			return err
		}
		out, err = scanApproval(tx.QueryRowContext(ctx, `SELECT `+approvalCols+` FROM approvals WHERE id = ?`, t.ID))
		return err
	})
	if conflict != nil && errors.Is(err, approval.ErrConflict) {
		return approval.Request{}, conflict
	}
	if err != nil {
		return approval.Request{}, fmt.Errorf("store approval %s: %w", t.ID, err)
	}
	return out, nil
}

// ApprovalEvents returns the audit trail of one request, oldest first. An
// unknown id has no events and is approval.ErrNotFound.
func (s *SQLite) ApprovalEvents(ctx context.Context, id string) ([]approval.Event, error) {
	rows, err := s.query(ctx, `SELECT `+approvalEventCols+`
		FROM approval_events WHERE approval_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("store approval %s: events: %w", id, err)
	}
	defer rows.Close()
	evs, err := collect(rows, scanApprovalEvent(id))
	if err != nil {
		return nil, fmt.Errorf("store approval %s: events: %w", id, err)
	}
	if len(evs) == 0 {
		return nil, fmt.Errorf("store approval %s: %w", id, approval.ErrNotFound)
	}
	return evs, nil
}

func insertApprovalEvent(ctx context.Context, tx *wtx, id string, ev approval.Event) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO approval_events (approval_id, at, from_state, to_state, actor, reason)
		VALUES (?, ?, ?, ?, ?, ?)`, id, encTime(ev.At), string(ev.From), string(ev.To), ev.Actor, ev.Reason)
	if err != nil {
		return fmt.Errorf("insert event: %w", err)
	}
	return nil
}

func encodeDelivery(d *approval.Delivery) (any, error) {
	if d == nil {
		return nil, nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode delivery: %w", err)
	}
	return string(b), nil
}

// scanApproval reads one row of approvalCols.
func scanApproval(r rowScanner) (approval.Request, error) {
	var (
		a                             approval.Request
		params                        []byte
		state                         string
		createdAt, expiresAt, updated int64
		decidedAt, nextAttempt        sql.NullInt64
		delivery                      sql.NullString
	)
	if err := r.Scan(&a.ID, &a.Action, &a.ClientID, &a.WebhookID, &a.TargetURL, &a.Summary, &params,
		&a.ParamsSHA256, &a.RequestedBy, &state, &createdAt, &expiresAt, &a.DecidedBy, &decidedAt,
		&a.Reason, &delivery, &updated, &nextAttempt); err != nil {
		return a, err
	}
	if len(params) > 0 {
		a.Params = json.RawMessage(params)
	}
	a.State = approval.State(state)
	a.CreatedAt, a.ExpiresAt, a.UpdatedAt = decTime(createdAt), decTime(expiresAt), decTime(updated)
	a.DecidedAt, a.NextAttemptAt = decTimePtr(decidedAt), decTimePtr(nextAttempt)
	if delivery.Valid {
		a.Delivery = new(approval.Delivery)
		if err := json.Unmarshal([]byte(delivery.String), a.Delivery); err != nil {
			return a, fmt.Errorf("decode delivery of %s: %w", a.ID, err)
		}
	}
	return a, nil
}
