package store

import (
	"context"
	"fmt"
	"time"

	"github.com/webhook-mcp/webhook-mcp/approval"
)

// ClaimDue claims, inside the single writer, up to limit requests due for a
// delivery attempt: approved ones, and delivering ones whose next attempt is due
// and whose claim has lapsed (a worker that died). Approved ones move to
// delivering with an audit event. Because every claim goes through the one
// writer connection, two workers never hold the same request.
func (s *SQLite) ClaimDue(ctx context.Context, now time.Time, lease time.Duration, actor string, limit int) ([]approval.Request, error) {
	if limit <= 0 {
		return nil, nil
	}
	n := encTime(now)
	var out []approval.Request
	err := s.writer.do(ctx, func(ctx context.Context, tx *wtx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, `SELECT `+approvalCols+` FROM approvals
			WHERE (state = 'approved' OR (state = 'delivering' AND COALESCE(next_attempt_at, 0) <= ?))
			  AND COALESCE(lease_until, 0) <= ?
			ORDER BY COALESCE(next_attempt_at, updated_at), id LIMIT ?`, n, n, limit)
		if err != nil {
			return err
		}
		var due []approval.Request
		for rows.Next() {
			r, err := scanApproval(rows)
			if err != nil {
				rows.Close()
				return err
			}
			due = append(due, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range due {
			if _, err := tx.ExecContext(ctx, `UPDATE approvals SET state = 'delivering', lease_until = ?, updated_at = ?
				WHERE id = ?`, encTime(now.Add(lease)), n, r.ID); err != nil {
				return err
			}
			if r.State == approval.StateApproved {
				ev := approval.Event{ApprovalID: r.ID, At: now, From: r.State, To: approval.StateDelivering, Actor: actor}
				if err := insertApprovalEvent(ctx, tx, r.ID, ev); err != nil {
					return err
				}
			}
			r.State, r.UpdatedAt = approval.StateDelivering, now
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store claim due deliveries: %w", err)
	}
	return out, nil
}

// ApprovalAttempts returns the delivery attempts of one request, oldest first.
func (s *SQLite) ApprovalAttempts(ctx context.Context, id string) ([]approval.Attempt, error) {
	rows, err := s.query(ctx, `SELECT `+approvalAttemptCols+`
		FROM approval_attempts WHERE approval_id = ? ORDER BY id`, id)
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

func insertAttempt(ctx context.Context, tx *wtx, id string, a approval.Attempt) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO approval_attempts (approval_id, at, status_code, latency_ms, error, response)
		VALUES (?, ?, ?, ?, ?, ?)`, id, encTime(a.At), a.StatusCode, a.LatencyMS, a.Error, a.Response)
	if err != nil {
		return fmt.Errorf("insert attempt: %w", err)
	}
	return nil
}
