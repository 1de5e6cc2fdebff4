package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/webhook-mcp/webhook-mcp/approval"
)

// pgClaimDue claims the due requests in one statement: it locks up to $3 due,
// unclaimed rows, skipping rows another replica holds locked (FOR UPDATE SKIP
// LOCKED), moves them to delivering under a lease until $2, records the claim
// of an approved request as an event by $4, and returns them in due order.
// A row that another replica claimed and committed meanwhile is re-checked
// after the lock and no longer matches: two workers never hold one request.
const pgClaimDue = `WITH due AS (
		SELECT id, state AS old_state, coalesce(next_attempt_at, updated_at) AS due_at FROM approvals
		WHERE (state = 'approved' OR (state = 'delivering' AND coalesce(next_attempt_at, 0) <= $1))
		  AND coalesce(lease_until, 0) <= $1
		ORDER BY due_at, id LIMIT $3
		FOR UPDATE SKIP LOCKED),
	claimed AS (
		UPDATE approvals AS a SET state = 'delivering', lease_until = $2, updated_at = $1
		FROM due WHERE a.id = due.id
		RETURNING a.*, due.old_state, due.due_at),
	events AS (
		INSERT INTO approval_events (approval_id, at, from_state, to_state, actor, reason)
		SELECT id, $1, old_state, 'delivering', $4, '' FROM claimed WHERE old_state = 'approved')
	SELECT ` + approvalCols + ` FROM claimed ORDER BY due_at, id`

// ClaimDue claims up to limit requests due for a delivery attempt: approved
// ones, and delivering ones whose next attempt is due and whose claim has
// lapsed (a worker, on any replica, that died). Approved ones move to
// delivering with an audit event. Each claim lasts until now+lease.
func (p *Postgres) ClaimDue(ctx context.Context, now time.Time, lease time.Duration, actor string, limit int) ([]approval.Request, error) {
	if limit <= 0 {
		return nil, nil
	}
	var out []approval.Request
	err := p.write(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, pgClaimDue, encTime(now), encTime(now.Add(lease)), limit, actor)
		if err != nil {
			return err
		}
		out, err = collectApprovals(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store claim due deliveries: %w", err)
	}
	return out, nil
}

// ApprovalAttempts returns the delivery attempts of one request, oldest first.
func (p *Postgres) ApprovalAttempts(ctx context.Context, id string) ([]approval.Attempt, error) {
	rows, err := p.pool.Query(ctx, `SELECT `+approvalAttemptCols+`
		FROM approval_attempts WHERE approval_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("store approval %s: attempts: %w", id, err)
	}
	defer rows.Close()
	out, err := collect(rows, scanAttempt)
	if err != nil {
		return nil, fmt.Errorf("store approval %s: attempts: %w", id, err)
	}
	return out, nil
}

func pgInsertAttempt(ctx context.Context, tx pgx.Tx, id string, a approval.Attempt) error {
	_, err := tx.Exec(ctx, `INSERT INTO approval_attempts (approval_id, at, status_code, latency_ms, error, response)
		VALUES ($1, $2, $3, $4, $5, $6)`, id, encTime(a.At), a.StatusCode, a.LatencyMS, a.Error, a.Response)
	if err != nil {
		return fmt.Errorf("insert attempt: %w", err)
	}
	return nil
}
