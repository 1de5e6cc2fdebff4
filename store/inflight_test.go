package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// TestInFlightEntriesHaveAnOwnerAndADeadline: a repeat waits for a live
// in-flight entry, and runs again once that entry is past its deadline or
// belongs to the repeat's own process (whose call has ended).
func TestInFlightEntriesHaveAnOwnerAndADeadline(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := testkit.NewClock(t0)
	s := openStoreAt(t, clk)
	notBefore := t0.Add(-time.Hour)
	first := event("f1", "key-f", t0)
	first.Deadline = t0.Add(35 * time.Second)
	prev, err := s.BeginEvent(ctx, first, notBefore)
	require.NoError(t, err)
	require.Nil(t, prev)

	clk.Advance(34 * time.Second)
	prev, err = s.BeginEvent(ctx, otherOwner(event("f2", "key-f", clk.Now())), notBefore)
	require.NoError(t, err)
	require.NotNil(t, prev, "before the deadline the first is live")
	assert.Equal(t, "f1", prev.ID)

	clk.Advance(time.Second) // 35s after t0
	prev, err = s.BeginEvent(ctx, otherOwner(event("f3", "key-f", clk.Now())), notBefore)
	require.NoError(t, err)
	assert.Nil(t, prev, "at the deadline the first is abandoned and the repeat recorded")
	evs, err := s.ListEvents(ctx, webhook.EventFilter{})
	require.NoError(t, err)
	byID := map[string]webhook.InboxEvent{}
	for _, e := range evs {
		byID[e.ID] = e
	}
	assert.Equal(t, webhook.StateFailed, byID["f1"].State)
	assert.Equal(t, api.CodeAbandoned, byID["f1"].ErrorCode)
	assert.Empty(t, byID["f1"].IdempotencyKey, "its key is released")
	assert.Equal(t, webhook.StateReceived, byID["f3"].State)
	assert.NotContains(t, byID, "f2")
	assert.Equal(t, webhook.ErrNotFound, errors.Unwrap(s.CompleteEvent(ctx, "f1",
		webhook.Completion{State: webhook.StateProcessed})), "an abandoned entry is not completed late")

	// The owner's own in-flight entry (f3, live by its deadline) is taken over
	// at once: the owner only asks when that call has ended (completion failed).
	prev, err = s.BeginEvent(ctx, otherOwner(event("f4", "key-f", clk.Now())), notBefore)
	require.NoError(t, err)
	assert.Nil(t, prev, "same owner: f3 is not running any more")
	prev, err = s.BeginEvent(ctx, event("f5", "key-f", clk.Now()), notBefore)
	require.NoError(t, err)
	require.NotNil(t, prev, "another owner waits for f4")
	assert.Equal(t, "f4", prev.ID)
}

func TestAbandonInFlightReleasesThePredecessorsEntries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openStore(t)
	_, err := s.BeginEvent(ctx, event("old-1", "k1", t0), time.Time{})
	require.NoError(t, err)
	mine := event("mine", "k2", t0)
	mine.Owner = "proc-new"
	_, err = s.BeginEvent(ctx, mine, time.Time{})
	require.NoError(t, err)
	n, err := s.AbandonInFlight(ctx, "proc-new")
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
	prev, err := s.BeginEvent(ctx, otherOwner(event("retry-1", "k1", t0)), time.Time{})
	require.NoError(t, err)
	assert.Nil(t, prev, "a retry of the predecessor's call runs again")
	prev, err = s.BeginEvent(ctx, otherOwner(event("retry-2", "k2", t0)), time.Time{})
	require.NoError(t, err)
	require.NotNil(t, prev, "this process's own entry is left alone")
	assert.Equal(t, "mine", prev.ID)
}

// TestRecordEventCommitsOnce: a pure call's entry, result and graph commit in
// one write; a repeat finds it and writes nothing.
func TestRecordEventCommitsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openStore(t)
	g := graphOf("client-1", 3, "Task")
	ev := event("r1", "key-r", t0)
	ev.BodySHA256 = "abc"
	c := webhook.Completion{State: webhook.StateProcessed, Result: json.RawMessage(`{"n":1}`), At: t0, Graph: &g}
	prev, err := s.RecordEvent(ctx, ev, c, t0.Add(-time.Hour))
	require.NoError(t, err)
	require.Nil(t, prev)
	cg, err := s.ClientGraph(ctx, graph.GraphQuery{ClientID: "client-1"})
	require.NoError(t, err)
	assert.Equal(t, 5, cg.NodeCount)

	prev, err = s.RecordEvent(ctx, event("r2", "key-r", t0), c, t0.Add(-time.Hour))
	require.NoError(t, err)
	require.NotNil(t, prev)
	assert.Equal(t, "r1", prev.ID)
	assert.Equal(t, "abc", prev.BodySHA256)
	assert.JSONEq(t, `{"n":1}`, string(prev.Result))
	evs, err := s.ListEvents(ctx, webhook.EventFilter{})
	require.NoError(t, err)
	assert.Len(t, evs, 1)

	// A failure keeps its fields; a server-side one releases the key.
	bad := webhook.Completion{State: webhook.StateFailed, ErrorCode: "missing_fields", ErrorMessage: "required fields are missing",
		ErrorFields: []string{"client_id", "task.id"}, At: t0}
	_, err = s.RecordEvent(ctx, event("r3", "key-bad", t0), bad, t0.Add(-time.Hour))
	require.NoError(t, err)
	prev, err = s.RecordEvent(ctx, event("r4", "key-bad", t0), bad, t0.Add(-time.Hour))
	require.NoError(t, err)
	require.NotNil(t, prev)
	assert.Equal(t, []string{"client_id", "task.id"}, prev.ErrorFields)
	internal := webhook.Completion{State: webhook.StateFailed, ErrorCode: "processing_error", ReleaseKey: true, At: t0}
	_, err = s.RecordEvent(ctx, event("r5", "key-int", t0), internal, t0.Add(-time.Hour))
	require.NoError(t, err)
	prev, err = s.RecordEvent(ctx, event("r6", "key-int", t0), c, t0.Add(-time.Hour))
	require.NoError(t, err)
	assert.Nil(t, prev, "a retry after a server-side failure runs again")
}

// TestStoreRefusesTransitionsOutsideTheTable tries every pair of states: the
// store applies exactly the transitions approval.CanTransition allows.
func TestStoreRefusesTransitionsOutsideTheTable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openStore(t)
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
