package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/approval"
)

func approve(t *testing.T, s interface {
	TransitionApproval(context.Context, approval.Transition) (approval.Request, error)
}, id string, at time.Time) {
	t.Helper()
	_, err := s.TransitionApproval(context.Background(), approval.Transition{ID: id,
		From: []approval.State{approval.StatePending}, To: approval.StateApproved, Actor: "r", At: at, Decision: true})
	require.NoError(t, err)
}

func TestClaimDue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openStore(t)
	createPending(t, s, "a1", t0)
	createPending(t, s, "a2", t0.Add(time.Second))
	createPending(t, s, "pending", t0)
	approve(t, s, "a1", t0)
	approve(t, s, "a2", t0)
	lease := time.Minute

	got, err := s.ClaimDue(ctx, t0, lease, "w1", 10)
	require.NoError(t, err)
	require.Len(t, got, 2)
	for _, r := range got {
		assert.Equal(t, approval.StateDelivering, r.State)
	}
	again, err := s.ClaimDue(ctx, t0.Add(time.Second), lease, "w2", 10)
	require.NoError(t, err)
	assert.Empty(t, again, "claimed requests are held for the lease")

	// a1 fails and is scheduled for later; a2's worker dies (its claim lapses).
	next := t0.Add(10 * time.Minute)
	_, err = s.TransitionApproval(ctx, approval.Transition{ID: "a1", From: []approval.State{approval.StateDelivering},
		To: approval.StateDelivering, Actor: "w1", At: t0, NextAttemptAt: &next, ReleaseClaim: true,
		Delivery: &approval.Delivery{Attempts: 1, Error: "503"},
		Attempt:  &approval.Attempt{At: t0, StatusCode: 503, LatencyMS: 2.5, Error: "503", Response: "busy"}})
	require.NoError(t, err)

	got, err = s.ClaimDue(ctx, t0.Add(2*lease), lease, "w2", 10)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "a2", got[0].ID, "a lapsed claim is claimed again; a1 is not due yet")

	got, err = s.ClaimDue(ctx, next, lease, "w3", 10)
	require.NoError(t, err)
	require.Len(t, got, 2, "a1 is due, a2's second claim lapsed too")

	atts, err := s.ApprovalAttempts(ctx, "a1")
	require.NoError(t, err)
	assert.Equal(t, []approval.Attempt{{N: 1, At: t0, StatusCode: 503, LatencyMS: 2.5, Error: "503", Response: "busy"}}, atts)

	evs, err := s.ApprovalEvents(ctx, "a1")
	require.NoError(t, err)
	var tos []approval.State
	for _, e := range evs {
		tos = append(tos, e.To)
	}
	assert.Equal(t, []approval.State{approval.StatePending, approval.StateApproved, approval.StateDelivering,
		approval.StateDelivering}, tos, "the claim of an approved request is an event; re-claims are not")
}

func TestClaimDueConcurrentWorkers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openStore(t)
	const n = 30
	for i := range n {
		id := fmt.Sprintf("a%02d", i)
		createPending(t, s, id, t0)
		approve(t, s, id, t0)
	}
	var mu sync.Mutex
	claims := map[string]int{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			got, err := s.ClaimDue(ctx, t0, time.Minute, fmt.Sprint("w", w), 5)
			assert.NoError(t, err)
			mu.Lock()
			defer mu.Unlock()
			for _, r := range got {
				claims[r.ID]++
			}
		})
	}
	wg.Wait()
	assert.Len(t, claims, n)
	for id, c := range claims {
		assert.Equal(t, 1, c, "%s claimed once", id)
	}
}
