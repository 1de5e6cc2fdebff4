package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

var inflightTests = []test{
	{"InFlightEntriesHaveAnOwnerAndADeadline", testInFlightEntriesHaveAnOwnerAndADeadline},
	{"AbandonInFlightReleasesThePredecessorsEntries", testAbandonInFlightReleasesThePredecessorsEntries},
	{"RecordEventCommitsOnce", testRecordEventCommitsOnce},
}

// testInFlightEntriesHaveAnOwnerAndADeadline: a repeat waits for a live
// in-flight entry, and runs again once that entry is past its deadline or
// belongs to the repeat's own process (whose call has ended).
func testInFlightEntriesHaveAnOwnerAndADeadline(t *testing.T, url string) {
	ctx := context.Background()
	clk := testkit.NewClock(t0)
	s := openAt(t, url, clk.Now)
	notBefore := t0.Add(-time.Hour)
	first := Event("f1", "key-f", t0)
	first.Deadline = t0.Add(35 * time.Second)
	prev, err := s.BeginEvent(ctx, first, notBefore)
	require.NoError(t, err)
	require.Nil(t, prev)

	clk.Advance(34 * time.Second)
	prev, err = s.BeginEvent(ctx, otherOwner(Event("f2", "key-f", clk.Now())), notBefore)
	require.NoError(t, err)
	require.NotNil(t, prev, "before the deadline the first is live")
	assert.Equal(t, "f1", prev.ID)

	clk.Advance(time.Second) // 35s after t0
	prev, err = s.BeginEvent(ctx, otherOwner(Event("f3", "key-f", clk.Now())), notBefore)
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
	prev, err = s.BeginEvent(ctx, otherOwner(Event("f4", "key-f", clk.Now())), notBefore)
	require.NoError(t, err)
	assert.Nil(t, prev, "same owner: f3 is not running any more")
	prev, err = s.BeginEvent(ctx, Event("f5", "key-f", clk.Now()), notBefore)
	require.NoError(t, err)
	require.NotNil(t, prev, "another owner waits for f4")
	assert.Equal(t, "f4", prev.ID)
}

func testAbandonInFlightReleasesThePredecessorsEntries(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url)
	_, err := s.BeginEvent(ctx, Event("old-1", "k1", t0), time.Time{})
	require.NoError(t, err)
	mine := Event("mine", "k2", t0)
	mine.Owner = "proc-new"
	_, err = s.BeginEvent(ctx, mine, time.Time{})
	require.NoError(t, err)
	n, err := s.AbandonInFlight(ctx, "proc-new")
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
	prev, err := s.BeginEvent(ctx, otherOwner(Event("retry-1", "k1", t0)), time.Time{})
	require.NoError(t, err)
	assert.Nil(t, prev, "a retry of the predecessor's call runs again")
	prev, err = s.BeginEvent(ctx, otherOwner(Event("retry-2", "k2", t0)), time.Time{})
	require.NoError(t, err)
	require.NotNil(t, prev, "this process's own entry is left alone")
	assert.Equal(t, "mine", prev.ID)
}

// testRecordEventCommitsOnce: a pure call's entry, result and graph commit in
// one write; a repeat finds it and writes nothing.
func testRecordEventCommitsOnce(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url)
	g := GraphOf("client-1", 3, "Task")
	ev := Event("r1", "key-r", t0)
	ev.BodySHA256 = "abc"
	c := webhook.Completion{State: webhook.StateProcessed, Result: json.RawMessage(`{"n":1}`), At: t0, Graph: &g}
	prev, err := s.RecordEvent(ctx, ev, c, t0.Add(-time.Hour))
	require.NoError(t, err)
	require.Nil(t, prev)
	cg, err := s.ClientGraph(ctx, graph.GraphQuery{ClientID: "client-1"})
	require.NoError(t, err)
	assert.Equal(t, 5, cg.NodeCount)

	prev, err = s.RecordEvent(ctx, Event("r2", "key-r", t0), c, t0.Add(-time.Hour))
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
	_, err = s.RecordEvent(ctx, Event("r3", "key-bad", t0), bad, t0.Add(-time.Hour))
	require.NoError(t, err)
	prev, err = s.RecordEvent(ctx, Event("r4", "key-bad", t0), bad, t0.Add(-time.Hour))
	require.NoError(t, err)
	require.NotNil(t, prev)
	assert.Equal(t, []string{"client_id", "task.id"}, prev.ErrorFields)
	internal := webhook.Completion{State: webhook.StateFailed, ErrorCode: "processing_error", ReleaseKey: true, At: t0}
	_, err = s.RecordEvent(ctx, Event("r5", "key-int", t0), internal, t0.Add(-time.Hour))
	require.NoError(t, err)
	prev, err = s.RecordEvent(ctx, Event("r6", "key-int", t0), c, t0.Add(-time.Hour))
	require.NoError(t, err)
	assert.Nil(t, prev, "a retry after a server-side failure runs again")
}
