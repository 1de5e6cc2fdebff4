package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/webhook-mcp/webhook-mcp/approval"
)

// CreateApproval stores a new request (in r.State, pending when empty) with its
// first audit event. A duplicate id is an error.
func (p *Postgres) CreateApproval(ctx context.Context, r approval.Request, ev approval.Event) error {
	if r.ID == "" {
		return errors.New("store approval: empty id")
	}
	if r.State == "" {
		r.State = approval.StatePending
	}
	if r.State != approval.StatePending {
		return fmt.Errorf("store approval %s: %w: a request is created pending, not %s", r.ID, approval.ErrInvalidTransition, r.State)
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = p.now()
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
	err = p.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO approvals (`+approvalCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
			r.ID, r.Action, r.ClientID, r.WebhookID, r.TargetURL, r.Summary, []byte(r.Params), r.ParamsSHA256,
			r.RequestedBy, string(r.State), encTime(r.CreatedAt), encTime(r.ExpiresAt), r.DecidedBy,
			encTimePtr(r.DecidedAt), r.Reason, delivery, encTime(r.UpdatedAt), encTimePtr(r.NextAttemptAt)); err != nil {
			return err
		}
		return pgInsertEvent(ctx, tx, r.ID, ev)
	})
	if err != nil {
		return fmt.Errorf("store approval %s: %w", r.ID, err)
	}
	return nil
}

// GetApproval returns the request or approval.ErrNotFound.
func (p *Postgres) GetApproval(ctx context.Context, id string) (approval.Request, error) {
	r, err := scanApproval(p.pool.QueryRow(ctx, `SELECT `+approvalCols+` FROM approvals WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = approval.ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("store approval %s: %w", id, err)
	}
	return r, nil
}

// ListApprovals returns requests matching f, newest first. Limit defaults to
// 50 and is capped at 1000.
func (p *Postgres) ListApprovals(ctx context.Context, f approval.Filter) ([]approval.Request, error) {
	var where []string
	var args pgArgs
	if len(f.States) > 0 {
		states := make([]string, len(f.States))
		for i, st := range f.States {
			states[i] = string(st)
		}
		where = append(where, "state = ANY("+args.add(states)+")")
	}
	if f.ClientID != "" {
		where = append(where, "client_id = "+args.add(f.ClientID))
	}
	if !f.CreatedBefore.IsZero() {
		where = append(where, "created_at < "+args.add(encTime(f.CreatedBefore)))
	}
	if f.After != nil {
		at := args.add(encTime(f.After.CreatedAt))
		where = append(where, "(created_at < "+at+" OR (created_at = "+at+" AND id < "+args.add(f.After.ID)+"))")
	}
	if f.Requester != "" {
		// RequestedBy is "<principal>" or "<principal> (<label>)".
		where = append(where, "(requested_by = "+args.add(f.Requester)+
			" OR starts_with(requested_by, "+args.add(f.Requester+" (")+"))")
	}
	q := `SELECT ` + approvalCols + ` FROM approvals`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at DESC, id DESC LIMIT " + args.add(clampLimit(f.Limit, defaultApprovalLimit, maxApprovalLimit))
	rows, err := p.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store list approvals: %w", err)
	}
	out, err := collectApprovals(rows)
	if err != nil {
		return nil, fmt.Errorf("store list approvals: %w", err)
	}
	return out, nil
}

// TransitionApproval is a compare-and-set: the request's row is locked, and
// when its state is in t.From it moves to t.To (a move outside the state
// machine is approval.ErrInvalidTransition) (recording the decision and the
// delivery when t asks for them) with an audit event, and the updated request
// is returned. Otherwise it returns a *approval.ConflictError, or
// approval.ErrNotFound for an unknown id. Two transitions from one state, from
// any replicas, never both succeed: the second waits for the first's lock and
// then sees its state.
func (p *Postgres) TransitionApproval(ctx context.Context, t approval.Transition) (approval.Request, error) {
	if t.At.IsZero() {
		t.At = p.now()
	}
	delivery, err := encodeDelivery(t.Delivery)
	if err != nil {
		return approval.Request{}, fmt.Errorf("store approval %s: %w", t.ID, err)
	}
	from := make([]string, len(t.From))
	for i, s := range t.From {
		from[i] = string(s)
	}
	var out approval.Request
	var conflict *approval.ConflictError
	err = p.write(ctx, func(tx pgx.Tx) error {
		conflict = nil
		var cur string
		err := tx.QueryRow(ctx, `SELECT state FROM approvals WHERE id = $1 FOR UPDATE`, t.ID).Scan(&cur)
		if errors.Is(err, pgx.ErrNoRows) {
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
		var args pgArgs
		q := `UPDATE approvals SET state = ` + args.add(string(t.To)) + `, updated_at = ` + args.add(encTime(t.At))
		if t.Decision {
			q += `, decided_by = ` + args.add(t.Actor) + `, decided_at = ` + args.add(encTime(t.At)) +
				`, reason = ` + args.add(t.Reason)
		}
		if t.Delivery != nil {
			q += `, delivery = ` + args.add(delivery)
		}
		if t.NextAttemptAt != nil {
			q += `, next_attempt_at = ` + args.add(encTime(*t.NextAttemptAt))
		}
		if t.ReleaseClaim {
			q += `, lease_until = NULL`
		}
		q += ` WHERE id = ` + args.add(t.ID) + ` AND state = ANY(` + args.add(from) + `) RETURNING ` + approvalCols
		if out, err = scanApproval(tx.QueryRow(ctx, q, args...)); err != nil {
			return err
		}
		if t.Attempt != nil {
			if err := pgInsertAttempt(ctx, tx, t.ID, *t.Attempt); err != nil {
				return err
			}
		}
		if wakesWorkers(t) {
			if err := pgNotifyDue(ctx, tx); err != nil {
				return err
			}
		}
		return pgInsertEvent(ctx, tx, t.ID, approval.Event{ApprovalID: t.ID, At: t.At, From: approval.State(cur),
			To: t.To, Actor: t.Actor, Reason: t.Reason})
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
func (p *Postgres) ApprovalEvents(ctx context.Context, id string) ([]approval.Event, error) {
	rows, err := p.pool.Query(ctx, `SELECT `+approvalEventCols+`
		FROM approval_events WHERE approval_id = $1 ORDER BY id`, id)
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

func pgInsertEvent(ctx context.Context, tx pgx.Tx, id string, ev approval.Event) error {
	_, err := tx.Exec(ctx, `INSERT INTO approval_events (approval_id, at, from_state, to_state, actor, reason)
		VALUES ($1, $2, $3, $4, $5, $6)`, id, encTime(ev.At), string(ev.From), string(ev.To), ev.Actor, ev.Reason)
	if err != nil {
		return fmt.Errorf("insert event: %w", err)
	}
	return nil
}

// collectApprovals reads rows of approvalCols and closes them.
func collectApprovals(rows pgx.Rows) ([]approval.Request, error) {
	defer rows.Close()
	return collect(rows, scanApprovalRow)
}
