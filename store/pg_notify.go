package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/webhook-mcp/webhook-mcp/approval"
)

// pgDueChannel is the LISTEN/NOTIFY channel that says "a delivery became
// due"; the payload is the schema, so that schemas of one database (tests, or
// two deployments) do not wake each other's workers.
const pgDueChannel = "webhook_mcp_due"

// wakesWorkers reports whether t makes a delivery due now: an approval, or a
// failed delivery sent again.
func wakesWorkers(t approval.Transition) bool {
	return t.To == approval.StateApproved ||
		(t.To == approval.StateDelivering && t.Attempt == nil && t.NextAttemptAt != nil)
}

// pgNotifyDue queues the notification in tx; PostgreSQL sends it at commit,
// and not at all on rollback.
func pgNotifyDue(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, coalesce(current_schema(), ''))`, pgDueChannel)
	return err
}

// WatchDue calls wake each time any replica makes a delivery due (approving a
// request, retrying a dead letter), until ctx ends. It holds one connection
// of the pool, listening; when the connection is lost it reconnects after a
// second. The delivery worker's polling stays the backstop for a notification
// lost in between.
func (p *Postgres) WatchDue(ctx context.Context, wake func()) {
	for ctx.Err() == nil {
		if err := p.listen(ctx, wake); err != nil && ctx.Err() == nil {
			p.log.Warn("store: listening for due deliveries failed; polling until it reconnects", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

// listen runs one LISTEN session until ctx ends or the connection fails.
func (p *Postgres) listen(ctx context.Context, wake func()) error {
	if p.closed.Load() {
		<-ctx.Done()
		return nil
	}
	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection leaves the pool: it stays in LISTEN state, and a
	// canceled wait may leave it unusable for others.
	pc := conn.Hijack()
	defer pc.Close(context.WithoutCancel(ctx))
	var schema string
	if err := pc.QueryRow(ctx, `SELECT coalesce(current_schema(), '')`).Scan(&schema); err != nil {
		return err
	}
	if _, err := pc.Exec(ctx, "LISTEN "+pgDueChannel); err != nil {
		return err
	}
	for {
		n, err := pc.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Payload == schema {
			wake()
		}
	}
}
