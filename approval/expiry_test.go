package approval_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
	"github.com/webhook-mcp/webhook-mcp/store"
)

func newService(t *testing.T, c *testkit.Clock) *approval.Service {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{DataDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return approval.NewService(approval.Config{Store: st, TTL: time.Hour, Now: c.Now})
}

func draft() approval.Draft {
	return approval.Draft{Action: "send_webhook_response", ClientID: "client-1", TargetURL: "https://example.com/x",
		Summary: "POST", Params: []byte(`{"a":1}`), RequestedBy: "mcp-client:test"}
}

func TestExpiredRequestCanNeverBeApproved(t *testing.T) {
	t.Parallel()
	c := testkit.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	svc := newService(t, c)
	ctx := context.Background()
	r, err := svc.Request(ctx, draft())
	require.NoError(t, err)
	assert.Equal(t, c.Now().Add(time.Hour), r.ExpiresAt)

	c.Advance(time.Hour) // exactly at expiry: no longer approvable
	_, err = svc.Approve(ctx, r.ID, "api", "too late")
	var ce *approval.ConflictError
	require.True(t, errors.As(err, &ce), "err = %v", err)
	assert.Equal(t, approval.StateExpired, ce.Current)
	assert.ErrorIs(t, err, approval.ErrConflict)

	got, evs, err := svc.Get(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, approval.StateExpired, got.State)
	assert.Empty(t, got.DecidedBy)
	require.Len(t, evs, 2)
	assert.Equal(t, "system:expiry", evs[1].Actor)

	_, err = svc.Approve(ctx, r.ID, "api", "again")
	assert.ErrorIs(t, err, approval.ErrConflict, "still expired")
	_, err = svc.Reject(ctx, r.ID, "api", "")
	assert.ErrorIs(t, err, approval.ErrConflict)
}

func TestSweeperExpiresOnlyOverdueRequests(t *testing.T) {
	t.Parallel()
	c := testkit.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	svc := newService(t, c)
	ctx := context.Background()
	old, err := svc.Request(ctx, draft())
	require.NoError(t, err)
	c.Advance(40 * time.Minute)
	fresh, err := svc.Request(ctx, draft())
	require.NoError(t, err)
	decided, err := svc.Request(ctx, draft())
	require.NoError(t, err)
	_, err = svc.Reject(ctx, decided.ID, "api", "no")
	require.NoError(t, err)

	n, err := svc.ExpireDue(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "nothing is overdue yet")

	c.Advance(30 * time.Minute) // old is 70m old, fresh 30m
	n, err = svc.ExpireDue(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	for id, want := range map[string]approval.State{old.ID: approval.StateExpired, fresh.ID: approval.StatePending,
		decided.ID: approval.StateRejected} {
		got, _, err := svc.Get(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, want, got.State, id)
	}
	_, err = svc.Approve(ctx, old.ID, "api", "")
	assert.ErrorIs(t, err, approval.ErrConflict)
	_, err = svc.Approve(ctx, fresh.ID, "api", "")
	assert.NoError(t, err, "a request inside its TTL is still approvable")
}

func TestReapprovingIsAConflict(t *testing.T) {
	t.Parallel()
	c := testkit.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	svc := newService(t, c)
	ctx := context.Background()
	r, err := svc.Request(ctx, draft())
	require.NoError(t, err)
	_, err = svc.Approve(ctx, r.ID, "api", "")
	require.NoError(t, err)
	_, err = svc.Approve(ctx, r.ID, "api", "")
	var ce *approval.ConflictError
	require.True(t, errors.As(err, &ce))
	assert.Equal(t, approval.StateApproved, ce.Current)
}

func TestOnPendingIsCalledForNewRequests(t *testing.T) {
	t.Parallel()
	c := testkit.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	st, err := store.Open(context.Background(), store.Options{DataDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	var got []string
	svc := approval.NewService(approval.Config{Store: st, Now: c.Now,
		OnPending: func(_ context.Context, r approval.Request) { got = append(got, r.ID) }})
	r, err := svc.Request(context.Background(), draft())
	require.NoError(t, err)
	assert.Equal(t, []string{r.ID}, got)
}
