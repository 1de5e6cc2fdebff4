package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
	"github.com/webhook-mcp/webhook-mcp/store"
)

// TestPostgresApprovingWakesEveryReplica: approving on one replica wakes the
// watcher of another at once (LISTEN/NOTIFY), and a watcher in another
// schema is not woken.
func TestPostgresApprovingWakesEveryReplica(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url := testkit.PostgresURL(t)
	open := func(u string) *store.Postgres {
		p, err := store.OpenPostgres(ctx, store.Options{URL: u, Logger: quiet})
		require.NoError(t, err)
		t.Cleanup(func() { _ = p.Close() })
		return p
	}
	watcher, decider, elsewhere := open(url), open(url), open(testkit.PostgresURL(t))
	woken, wokenElsewhere := make(chan struct{}, 10), make(chan struct{}, 10)
	go watcher.WatchDue(ctx, func() { woken <- struct{}{} })
	go elsewhere.WatchDue(ctx, func() { wokenElsewhere <- struct{}{} })

	now := time.Now()
	r := approval.Request{Action: "send_webhook_response", TargetURL: "https://example.com/h",
		Params: []byte(`{}`), ParamsSHA256: approval.ParamsHash([]byte(`{}`)), State: approval.StatePending,
		CreatedAt: now, ExpiresAt: now.Add(time.Hour), UpdatedAt: now}
	// The LISTEN may not be in place yet: approve, and on no wake-up try another
	// request, until one wakes it.
	require.Eventually(t, func() bool {
		select {
		case <-woken:
			return true
		default:
		}
		id := "a" + time.Now().Format("150405.000000000")
		r.ID = id
		if err := decider.CreateApproval(ctx, r, approval.Event{ApprovalID: id, At: now, To: approval.StatePending}); err != nil {
			return false
		}
		_, err := decider.TransitionApproval(ctx, approval.Transition{ID: id, From: []approval.State{approval.StatePending},
			To: approval.StateApproved, Actor: "r", At: now, Decision: true})
		require.NoError(t, err)
		select {
		case <-woken:
			return true
		case <-time.After(500 * time.Millisecond):
			return false
		}
	}, 15*time.Second, 10*time.Millisecond, "approving on one replica wakes the other")
	assert.Empty(t, wokenElsewhere, "another schema's watcher is not woken")
}
