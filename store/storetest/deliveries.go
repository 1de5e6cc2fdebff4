package storetest

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

var deliveryTests = []test{
	{"ClaimDue", testClaimDue},
	{"ClaimDueConcurrentWorkersOnTwoReplicas", testClaimDueConcurrentWorkers},
}

func testClaimDue(t *testing.T, url string) {
	ctx := context.Background()
	rs := replicas(t, url)
	s := rs[0]
	createPending(t, s, "a1", t0)
	createPending(t, s, "a2", t0.Add(time.Second))
	createPending(t, s, "pending", t0)
	approve(t, s, "a1", t0)
	approve(t, s, "a2", t0)
	lease := time.Minute

	got, err := s.ClaimDue(ctx, t0, lease, "w1", 0)
	require.NoError(t, err)
	assert.Empty(t, got, "limit 0 claims nothing")
	got, err = s.ClaimDue(ctx, t0, lease, "w1", 10)
	require.NoError(t, err)
	require.Len(t, got, 2)
	for _, r := range got {
		assert.Equal(t, approval.StateDelivering, r.State)
		assert.Equal(t, t0, r.UpdatedAt)
	}
	again, err := rs[1].ClaimDue(ctx, t0.Add(time.Second), lease, "w2", 10)
	require.NoError(t, err)
	assert.Empty(t, again, "claimed requests are held for the lease, on every replica")

	// a1 fails and is scheduled for later; a2's worker dies (its claim lapses).
	next := t0.Add(10 * time.Minute)
	_, err = s.TransitionApproval(ctx, approval.Transition{ID: "a1", From: []approval.State{approval.StateDelivering},
		To: approval.StateDelivering, Actor: "w1", At: t0, NextAttemptAt: &next, ReleaseClaim: true,
		Delivery: &approval.Delivery{Attempts: 1, Error: "503"},
		Attempt:  &approval.Attempt{At: t0, StatusCode: 503, LatencyMS: 2.5, Error: "503", Response: "busy"}})
	require.NoError(t, err)

	got, err = rs[1].ClaimDue(ctx, t0.Add(2*lease), lease, "w2", 10)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "a2", got[0].ID, "a lapsed claim is claimed again; a1 is not due yet")

	got, err = s.ClaimDue(ctx, next, lease, "w3", 10)
	require.NoError(t, err)
	require.Len(t, got, 2, "a1 is due, a2's second claim lapsed too")
	assert.Equal(t, []string{"a2", "a1"}, []string{got[0].ID, got[1].ID},
		"in due order: a2 since its last claim, a1 at its next attempt")
	require.NotNil(t, got[1].NextAttemptAt)
	assert.Equal(t, next, *got[1].NextAttemptAt)

	atts, err := s.ApprovalAttempts(ctx, "a1")
	require.NoError(t, err)
	assert.Equal(t, []approval.Attempt{{N: 1, At: t0, StatusCode: 503, LatencyMS: 2.5, Error: "503", Response: "busy"}}, atts)
	atts, err = s.ApprovalAttempts(ctx, "a2")
	require.NoError(t, err)
	assert.Empty(t, atts)
	assert.NotNil(t, atts)

	evs, err := s.ApprovalEvents(ctx, "a1")
	require.NoError(t, err)
	var tos []approval.State
	for _, e := range evs {
		tos = append(tos, e.To)
	}
	assert.Equal(t, []approval.State{approval.StatePending, approval.StateApproved, approval.StateDelivering,
		approval.StateDelivering}, tos, "the claim of an approved request is an event; re-claims are not")
	assert.Equal(t, "w1", evs[2].Actor, "the claim's event names its worker")
}

// testClaimDueConcurrentWorkers runs 8 workers on two replicas, each claiming
// at once: every request is claimed, and by one worker only.
func testClaimDueConcurrentWorkers(t *testing.T, url string) {
	ctx := context.Background()
	rs := replicas(t, url)
	const n = 30
	for i := range n {
		id := fmt.Sprintf("a%02d", i)
		createPending(t, rs[0], id, t0)
		approve(t, rs[0], id, t0)
	}
	var mu sync.Mutex
	claims := map[string]int{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			got, err := rs[w%2].ClaimDue(ctx, t0, time.Minute, fmt.Sprint("w", w), 5)
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
	for i := range n {
		evs, err := rs[1].ApprovalEvents(ctx, fmt.Sprintf("a%02d", i))
		require.NoError(t, err)
		assert.Len(t, evs, 3, "pending, approved, one claim")
	}
}
