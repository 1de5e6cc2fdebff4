package approval_test

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

func serviceWith(t *testing.T, c *testkit.Clock, cfg approval.Config) *approval.Service {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{DataDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	cfg.Store, cfg.TTL, cfg.Now = st, time.Hour, c.Now
	return approval.NewService(cfg)
}

func TestActorNamesAComparablePrincipal(t *testing.T) {
	t.Parallel()
	cases := []struct{ principal, label, actor string }{
		{"token:mcp", "mcp-client:Claude", "token:mcp (mcp-client:Claude)"},
		{"local", "", "local"},
		{"token:approval", "cli:alice) (x", "token:approval (cli:alice x)"},
		{"anonymous", "a\r\nb", "anonymous (ab)"},
	}
	for _, tc := range cases {
		got := approval.Actor(tc.principal, tc.label)
		assert.Equal(t, tc.actor, got)
		assert.Equal(t, tc.principal, approval.PrincipalOf(got), "a label never changes the principal")
	}
	c := approval.Cursor{CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), ID: "a.b"}
	back, err := approval.ParseCursor(c.String())
	require.NoError(t, err)
	assert.Equal(t, c, back)
	_, err = approval.ParseCursor("not a cursor")
	assert.Error(t, err)
}

// TestFourEyesRefusesTheRequesterOnEveryDecision: with FourEyes the principal
// that asked can neither approve nor reject, whatever label it uses; another
// principal can. Without it, the requester may decide.
func TestFourEyesRefusesTheRequesterOnEveryDecision(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testkit.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	svc := serviceWith(t, c, approval.Config{FourEyes: true})
	d := draft()
	d.RequestedBy = approval.Actor("token:approval", "mcp-client:Claude")
	r, err := svc.Request(ctx, d)
	require.NoError(t, err)
	for _, actor := range []string{"token:approval", "token:approval (web)", "token:approval (cli:bob)"} {
		_, err = svc.Approve(ctx, r.ID, actor, "")
		require.ErrorIs(t, err, approval.ErrSelfDecision, actor)
		_, err = svc.Reject(ctx, r.ID, actor, "")
		require.ErrorIs(t, err, approval.ErrSelfDecision, actor)
	}
	got, _, err := svc.Get(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, approval.StatePending, got.State)
	got, err = svc.Approve(ctx, r.ID, "oauth:alice (web)", "second pair of eyes")
	require.NoError(t, err)
	assert.Equal(t, approval.StateApproved, got.State)

	self := serviceWith(t, c, approval.Config{})
	r, err = self.Request(ctx, d)
	require.NoError(t, err)
	_, err = self.Approve(ctx, r.ID, "token:approval (web)", "")
	require.NoError(t, err, "self-approval is allowed unless four-eyes is on")
}

// TestMaxPendingIsPerRequester: a requester at the cap is refused, others are
// not, and a decision frees a slot.
func TestMaxPendingIsPerRequester(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testkit.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	svc := serviceWith(t, c, approval.Config{MaxPending: 3})
	flood := draft()
	flood.RequestedBy = "anonymous (mcp-client:flood)"
	var first approval.Request
	for i := range 3 {
		flood.RequestedBy = approval.Actor("anonymous", "mcp-client:flood-"+string(rune('a'+i)))
		r, err := svc.Request(ctx, flood)
		require.NoError(t, err)
		if i == 0 {
			first = r
		}
	}
	_, err := svc.Request(ctx, flood)
	require.ErrorIs(t, err, approval.ErrTooManyPending, "the label does not make a new requester")
	assert.Contains(t, err.Error(), "anonymous already has 3")

	genuine := draft()
	genuine.RequestedBy = "token:mcp (mcp-client:Claude)"
	_, err = svc.Request(ctx, genuine)
	require.NoError(t, err, "another principal is not blocked by the flood")

	_, err = svc.Reject(ctx, first.ID, "token:approval (web)", "spam")
	require.NoError(t, err)
	_, err = svc.Request(ctx, flood)
	require.NoError(t, err, "a decided request frees its slot")
}

// TestExpireDuePagesThroughAllPending: 600 pending requests all expire, not
// only the newest 500.
func TestExpireDuePagesThroughAllPending(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := testkit.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	svc := serviceWith(t, c, approval.Config{})
	for range 600 {
		_, err := svc.Request(ctx, draft())
		require.NoError(t, err)
	}
	c.Advance(2 * time.Hour)
	n, err := svc.ExpireDue(ctx)
	require.NoError(t, err)
	assert.Equal(t, 600, n)
	left, next, err := svc.ListPage(ctx, approval.Filter{States: []approval.State{approval.StatePending}})
	require.NoError(t, err)
	assert.Empty(t, left)
	assert.Nil(t, next)
}
