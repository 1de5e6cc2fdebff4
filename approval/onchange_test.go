package approval_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
	"github.com/webhook-mcp/webhook-mcp/store"
)

// executor answers every delivery with one scripted outcome.
type executor struct{ d approval.Delivery }

func (e executor) Execute(context.Context, approval.Request) approval.Delivery { return e.d }

// TestOnChangeSeesEveryStoredTransition follows requests through every path
// that changes one, on a real store and an injected clock, and checks that the
// observer is told each state as stored, in order.
func TestOnChangeSeesEveryStoredTransition(t *testing.T) {
	t.Parallel()
	c := testkit.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	st, err := store.Open(context.Background(), store.Options{DataDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	var mu sync.Mutex
	seen := map[string][]approval.State{}
	exec := &executor{}
	svc := approval.NewService(approval.Config{Store: st, TTL: time.Hour, Now: c.Now,
		Schedule: []time.Duration{0}, Rand: func() float64 { return 0 },
		OnChange: func(r approval.Request) {
			mu.Lock()
			seen[r.ID] = append(seen[r.ID], r.State)
			mu.Unlock()
		}})
	ctx := context.Background()
	request := func() string {
		r, err := svc.Request(ctx, draft())
		require.NoError(t, err)
		return r.ID
	}
	delivered, failedThenRetried, rejected, expired := request(), request(), request(), request()

	_, err = svc.Approve(ctx, delivered, "reviewer", "ok")
	require.NoError(t, err)
	*exec = executor{approval.Delivery{StatusCode: 204}}
	require.Equal(t, 1, svc.RunDue(ctx, exec))
	svc.Wait()

	_, err = svc.Approve(ctx, failedThenRetried, "reviewer", "ok")
	require.NoError(t, err)
	*exec = executor{approval.Delivery{StatusCode: 400, Error: "refused"}}
	require.Equal(t, 1, svc.RunDue(ctx, exec))
	svc.Wait()
	_, err = svc.Retry(ctx, failedThenRetried, "reviewer")
	require.NoError(t, err)

	_, err = svc.Reject(ctx, rejected, "reviewer", "no")
	require.NoError(t, err)
	c.Advance(time.Hour)
	n, err := svc.ExpireDue(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)

	mu.Lock()
	defer mu.Unlock()
	P, A, D, OK, F := approval.StatePending, approval.StateApproved, approval.StateDelivering, approval.StateDelivered, approval.StateFailed
	assert.Equal(t, map[string][]approval.State{
		delivered:         {P, A, D, OK},
		failedThenRetried: {P, A, D, F, D},
		rejected:          {P, approval.StateRejected},
		expired:           {P, approval.StateExpired},
	}, seen)
}
