package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/approval"
)

func TestApprovalCreateGetList(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openStore(t)
	want := createPending(t, s, "a1", t0)
	got, err := s.GetApproval(ctx, "a1")
	require.NoError(t, err)
	assert.Equal(t, want, got)

	_, err = s.GetApproval(ctx, "missing")
	require.ErrorIs(t, err, approval.ErrNotFound)
	err = s.CreateApproval(ctx, want, approval.Event{To: approval.StatePending, Actor: "x"})
	require.Error(t, err, "duplicate id")

	for i := 2; i <= 5; i++ {
		r := pendingRequest(fmt.Sprintf("a%d", i), t0.Add(time.Duration(i)*time.Minute))
		if i%2 == 0 {
			r.ClientID = "client-2"
		}
		require.NoError(t, s.CreateApproval(ctx, r, approval.Event{To: approval.StatePending, Actor: "x"}))
	}
	_, err = s.TransitionApproval(ctx, approval.Transition{ID: "a3", From: []approval.State{approval.StatePending},
		To: approval.StateRejected, Actor: "bob", Reason: "no", At: t0.Add(time.Hour), Decision: true})
	require.NoError(t, err)

	ids := func(f approval.Filter) string {
		rs, err := s.ListApprovals(ctx, f)
		require.NoError(t, err)
		out := ""
		for _, r := range rs {
			out += r.ID
		}
		return out
	}
	assert.Equal(t, "a5a4a3a2a1", ids(approval.Filter{}), "newest first")
	assert.Equal(t, "a5a4", ids(approval.Filter{Limit: 2}))
	assert.Equal(t, "a4a2", ids(approval.Filter{ClientID: "client-2"}))
	assert.Equal(t, "a5a4a2a1", ids(approval.Filter{States: []approval.State{approval.StatePending}}))
	assert.Equal(t, "a5a4a3a2a1", ids(approval.Filter{States: []approval.State{approval.StatePending, approval.StateRejected}}))
	assert.Equal(t, "a2a1", ids(approval.Filter{CreatedBefore: t0.Add(3 * time.Minute)}))
	assert.Equal(t, "", ids(approval.Filter{States: []approval.State{approval.StateDelivered}}))
}

func TestApprovalTransitions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openStore(t)
	createPending(t, s, "a1", t0)
	t1, t2, t3 := t0.Add(time.Minute), t0.Add(2*time.Minute), t0.Add(3*time.Minute)

	r, err := s.TransitionApproval(ctx, approval.Transition{ID: "a1", From: []approval.State{approval.StatePending},
		To: approval.StateApproved, Actor: "alice", Reason: "looks fine", At: t1, Decision: true})
	require.NoError(t, err)
	assert.Equal(t, approval.StateApproved, r.State)
	assert.Equal(t, "alice", r.DecidedBy)
	require.NotNil(t, r.DecidedAt)
	assert.Equal(t, t1, *r.DecidedAt)
	assert.Equal(t, "looks fine", r.Reason)
	assert.Equal(t, t1, r.UpdatedAt)

	_, err = s.TransitionApproval(ctx, approval.Transition{ID: "a1", From: []approval.State{approval.StateApproved},
		To: approval.StateDelivering, Actor: "worker", At: t2, Delivery: &approval.Delivery{Attempts: 1}})
	require.NoError(t, err)
	d := &approval.Delivery{Attempts: 1, StatusCode: 200, Response: "ok", DurationMS: 12.5, AttemptedAt: t3}
	r, err = s.TransitionApproval(ctx, approval.Transition{ID: "a1", From: []approval.State{approval.StateDelivering},
		To: approval.StateDelivered, Actor: "worker", At: t3, Delivery: d})
	require.NoError(t, err)
	assert.Equal(t, d, r.Delivery)
	assert.Equal(t, "alice", r.DecidedBy, "a non-decision keeps the decision")

	_, err = s.TransitionApproval(ctx, approval.Transition{ID: "a1", From: []approval.State{approval.StatePending},
		To: approval.StateRejected, Actor: "bob", At: t3})
	var ce *approval.ConflictError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, approval.ConflictError{ID: "a1", Current: approval.StateDelivered, Wanted: approval.StateRejected}, *ce)
	require.ErrorIs(t, err, approval.ErrConflict)

	_, err = s.TransitionApproval(ctx, approval.Transition{ID: "nope", From: []approval.State{approval.StatePending},
		To: approval.StateApproved})
	require.ErrorIs(t, err, approval.ErrNotFound)
	_, err = s.ApprovalEvents(ctx, "nope")
	require.ErrorIs(t, err, approval.ErrNotFound)

	evs, err := s.ApprovalEvents(ctx, "a1")
	require.NoError(t, err)
	assert.Equal(t, []approval.Event{
		{ApprovalID: "a1", At: t0, To: approval.StatePending, Actor: "mcp-client:test"},
		{ApprovalID: "a1", At: t1, From: approval.StatePending, To: approval.StateApproved, Actor: "alice", Reason: "looks fine"},
		{ApprovalID: "a1", At: t2, From: approval.StateApproved, To: approval.StateDelivering, Actor: "worker"},
		{ApprovalID: "a1", At: t3, From: approval.StateDelivering, To: approval.StateDelivered, Actor: "worker"},
	}, evs, "oldest first")
}

func TestApprovalTransitionCAS(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openStore(t)
	createPending(t, s, "a1", t0)

	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.TransitionApproval(ctx, approval.Transition{ID: "a1",
				From: []approval.State{approval.StatePending}, To: approval.StateApproved,
				Actor: fmt.Sprintf("reviewer-%d", i), At: t0.Add(time.Minute), Decision: true})
		})
	}
	wg.Wait()
	ok, conflicts := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, approval.ErrConflict):
			conflicts++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	assert.Equal(t, 1, ok)
	assert.Equal(t, n-1, conflicts)
	evs, err := s.ApprovalEvents(ctx, "a1")
	require.NoError(t, err)
	assert.Len(t, evs, 2, "one creation, one decision")
}

// TestApprovalListCursorAndRequester pages through requests that share a
// creation time (the cursor breaks ties by id) and selects by requester
// principal whatever label follows it.
func TestApprovalListCursorAndRequester(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openStore(t)
	requesters := []string{"token:mcp (mcp-client:Claude)", "token:mcp", "token:mcpx (mcp-client:y)",
		"anonymous (mcp-client:token:mcp)", "token:mcp (cli:a (b))"}
	for i := range 10 {
		r := pendingRequest(fmt.Sprintf("r%02d", i), t0.Add(time.Duration(i/4)*time.Minute)) // ties of four
		r.RequestedBy = requesters[i%len(requesters)]
		require.NoError(t, s.CreateApproval(ctx, r, approval.Event{To: approval.StatePending, Actor: r.RequestedBy}))
	}
	var all []string
	f := approval.Filter{Limit: 3}
	for range 10 {
		page, err := s.ListApprovals(ctx, f)
		require.NoError(t, err)
		for _, r := range page {
			all = append(all, r.ID)
		}
		if len(page) < 3 {
			break
		}
		c := approval.CursorOf(page[len(page)-1])
		f.After = &c
	}
	assert.Equal(t, []string{"r09", "r08", "r07", "r06", "r05", "r04", "r03", "r02", "r01", "r00"}, all,
		"every request once, newest first, ties by id")

	mine, err := s.ListApprovals(ctx, approval.Filter{Requester: "token:mcp"})
	require.NoError(t, err)
	var got []string
	for _, r := range mine {
		got = append(got, r.ID)
		assert.Equal(t, "token:mcp", approval.PrincipalOf(r.RequestedBy))
	}
	assert.Equal(t, []string{"r09", "r06", "r05", "r04", "r01", "r00"}, got)
}
