package storetest

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

var approvalTests = []test{
	{"ApprovalCreateGetList", testApprovalCreateGetList},
	{"ApprovalListCursorAndRequester", testApprovalListCursorAndRequester},
	{"ApprovalTransitions", testApprovalTransitions},
	{"ApprovalTransitionCASAcrossReplicas", testApprovalTransitionCAS},
	{"StoreRefusesTransitionsOutsideTheTable", testStoreRefusesTransitionsOutsideTheTable},
}

func testApprovalCreateGetList(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url)
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

func testApprovalTransitions(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url)
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
	got, err := s.GetApproval(ctx, "a1")
	require.NoError(t, err)
	assert.Equal(t, r, got, "what a transition returns is what is stored")

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

// testApprovalTransitionCAS decides each of 10 pending requests from 20
// goroutines on two replicas released at once: exactly one decision per
// request wins, the others conflict, and the audit trail holds one decision.
func testApprovalTransitionCAS(t *testing.T, url string) {
	ctx := context.Background()
	rs := replicas(t, url)
	const requests, deciders = 10, 20
	for r := range requests {
		createPending(t, rs[0], fmt.Sprintf("a%d", r), t0)
	}
	// Every decider holds a connection before the start, so that they race.
	var warm sync.WaitGroup
	for i := range deciders {
		warm.Go(func() {
			_, err := rs[i%2].GetApproval(ctx, "a0")
			assert.NoError(t, err)
		})
	}
	warm.Wait()

	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([][]error, requests)
	for r := range requests {
		errs[r] = make([]error, deciders)
		for i := range deciders {
			to := approval.StateApproved
			if i%2 == 1 {
				to = approval.StateRejected
			}
			wg.Go(func() {
				<-start
				_, errs[r][i] = rs[i%2].TransitionApproval(ctx, approval.Transition{ID: fmt.Sprintf("a%d", r),
					From: []approval.State{approval.StatePending}, To: to,
					Actor: fmt.Sprintf("reviewer-%d", i), At: t0.Add(time.Minute), Decision: true})
			})
		}
	}
	close(start)
	wg.Wait()
	for r := range requests {
		id := fmt.Sprintf("a%d", r)
		ok, conflicts := 0, 0
		for _, err := range errs[r] {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, approval.ErrConflict):
				conflicts++
			default:
				t.Errorf("%s: unexpected error: %v", id, err)
			}
		}
		assert.Equal(t, 1, ok, "%s: one decision wins", id)
		assert.Equal(t, deciders-1, conflicts, id)
		evs, err := rs[1].ApprovalEvents(ctx, id)
		require.NoError(t, err)
		require.Len(t, evs, 2, "%s: one creation, one decision", id)
		got, err := rs[1].GetApproval(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, evs[1].To, got.State, id)
		assert.Equal(t, evs[1].Actor, got.DecidedBy, "%s: the decision stored is the one audited", id)
	}
}

// testStoreRefusesTransitionsOutsideTheTable tries every pair of states: the
// store applies exactly the transitions approval.CanTransition allows.
func testStoreRefusesTransitionsOutsideTheTable(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url)
	// path reaches each state from pending through allowed transitions.
	path := map[approval.State][]approval.State{
		approval.StatePending:    nil,
		approval.StateApproved:   {approval.StateApproved},
		approval.StateRejected:   {approval.StateRejected},
		approval.StateExpired:    {approval.StateExpired},
		approval.StateDelivering: {approval.StateApproved, approval.StateDelivering},
		approval.StateDelivered:  {approval.StateApproved, approval.StateDelivering, approval.StateDelivered},
		approval.StateFailed:     {approval.StateApproved, approval.StateDelivering, approval.StateFailed},
	}
	n := 0
	for _, from := range approval.States {
		for _, to := range approval.States {
			n++
			id := "tr-" + string(from) + "-" + string(to)
			createPending(t, s, id, t0)
			cur := approval.StatePending
			for _, step := range path[from] {
				_, err := s.TransitionApproval(ctx, approval.Transition{ID: id, From: []approval.State{cur}, To: step, Actor: "test", At: t0})
				require.NoError(t, err, "%s → %s on the way to %s", cur, step, from)
				cur = step
			}
			_, err := s.TransitionApproval(ctx, approval.Transition{ID: id, From: []approval.State{from}, To: to, Actor: "test", At: t0})
			got, gerr := s.GetApproval(ctx, id)
			require.NoError(t, gerr)
			if approval.CanTransition(from, to) {
				assert.NoError(t, err, "%s → %s is in the table", from, to)
				assert.Equal(t, to, got.State)
			} else {
				assert.ErrorIs(t, err, approval.ErrInvalidTransition, "%s → %s is not in the table", from, to)
				assert.Equal(t, from, got.State, "a refused transition changes nothing")
			}
		}
	}
	assert.Equal(t, 49, n)
	bad := pendingRequest("born-delivered", t0)
	bad.State = approval.StateDelivered
	assert.ErrorIs(t, s.CreateApproval(ctx, bad, approval.Event{ApprovalID: bad.ID, At: t0, To: approval.StateDelivered}),
		approval.ErrInvalidTransition)
}

// testApprovalListCursorAndRequester pages through requests that share a
// creation time (the cursor breaks ties by id) and selects by requester
// principal whatever label follows it.
func testApprovalListCursorAndRequester(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url)
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
