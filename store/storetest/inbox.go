package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

var inboxTests = []test{
	{"BeginEventIdempotency", testBeginEventIdempotency},
	{"CompleteEvent", testCompleteEvent},
	{"ListAndPruneEvents", testListAndPruneEvents},
	{"CompleteEventMergesItsGraphAtomically", testCompleteEventMergesItsGraphAtomically},
}

func testBeginEventIdempotency(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url)
	window := 24 * time.Hour

	prev, err := s.BeginEvent(ctx, Event("e1", "key-1", t0), t0.Add(-window))
	require.NoError(t, err)
	require.Nil(t, prev, "first time: inserted")

	// A repeat (from another process) while the first is still processing
	// returns it in state received.
	later := t0.Add(time.Minute)
	prev, err = s.BeginEvent(ctx, otherOwner(Event("e2", "key-1", later)), later.Add(-window))
	require.NoError(t, err)
	require.NotNil(t, prev)
	assert.Equal(t, "e1", prev.ID)
	assert.Equal(t, webhook.StateReceived, prev.State)

	require.NoError(t, s.CompleteEvent(ctx, "e1", webhook.Completion{State: webhook.StateProcessed,
		Result: json.RawMessage(`{"ok":true}`), Duration: 1500 * time.Microsecond, At: t0.Add(time.Second)}))
	prev, err = s.BeginEvent(ctx, Event("e3", "key-1", later), later.Add(-window))
	require.NoError(t, err)
	require.NotNil(t, prev)
	assert.Equal(t, "e1", prev.ID)
	assert.Equal(t, webhook.StateProcessed, prev.State)
	assert.JSONEq(t, `{"ok":true}`, string(prev.Result))
	assert.InDelta(t, 1.5, prev.DurationMS, 1e-9)
	require.NotNil(t, prev.CompletedAt)
	assert.Equal(t, t0.Add(time.Second), *prev.CompletedAt)
	assert.Equal(t, map[string]string{"Content-Type": "application/json"}, prev.Headers)

	// After the window: a new row.
	much := t0.Add(window + time.Hour)
	prev, err = s.BeginEvent(ctx, Event("e4", "key-1", much), much.Add(-window))
	require.NoError(t, err)
	assert.Nil(t, prev)
	// …and the newest row within the window is what a repeat now finds.
	prev, err = s.BeginEvent(ctx, otherOwner(Event("e5", "key-1", much)), much.Add(-window))
	require.NoError(t, err)
	require.NotNil(t, prev)
	assert.Equal(t, "e4", prev.ID)

	// Empty keys never dedupe.
	for _, id := range []string{"n1", "n2", "n3"} {
		prev, err := s.BeginEvent(ctx, Event(id, "", t0), time.Time{})
		require.NoError(t, err)
		assert.Nil(t, prev)
	}
	evs, err := s.ListEvents(ctx, webhook.EventFilter{Limit: 500})
	require.NoError(t, err)
	ids := make([]string, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
	}
	assert.ElementsMatch(t, []string{"e1", "e4", "n1", "n2", "n3"}, ids, "no second row for a repeat")

	// The same id twice is an error, not a silent overwrite.
	_, err = s.BeginEvent(ctx, Event("e1", "", t0), t0)
	require.Error(t, err)
}

func testCompleteEvent(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url)
	_, err := s.BeginEvent(ctx, Event("e1", "k", t0), time.Time{})
	require.NoError(t, err)

	err = s.CompleteEvent(ctx, "nope", webhook.Completion{State: webhook.StateProcessed})
	require.ErrorIs(t, err, webhook.ErrNotFound)
	err = s.CompleteEvent(ctx, "e1", webhook.Completion{State: webhook.StateReceived})
	require.Error(t, err)

	// A server-side failure releases the key: the retry is processed again.
	require.NoError(t, s.CompleteEvent(ctx, "e1", webhook.Completion{State: webhook.StateFailed,
		ErrorCode: "processing_error", ErrorMessage: "boom", ReleaseKey: true, At: t0}))
	prev, err := s.BeginEvent(ctx, Event("e2", "k", t0), time.Time{})
	require.NoError(t, err)
	assert.Nil(t, prev)

	evs, err := s.ListEvents(ctx, webhook.EventFilter{State: webhook.StateFailed})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, "processing_error", evs[0].ErrorCode)
	assert.Equal(t, "boom", evs[0].ErrorMessage)
	assert.Empty(t, evs[0].IdempotencyKey)
	assert.Nil(t, evs[0].Body, "listing never carries bodies")
}

func testListAndPruneEvents(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url)
	for i := range 10 {
		ev := Event(string(rune('a'+i)), "", t0.Add(time.Duration(i)*time.Minute))
		if i%2 == 1 {
			ev.ClientID, ev.Source = "client-2", "clickup"
		}
		_, err := s.BeginEvent(ctx, ev, time.Time{})
		require.NoError(t, err)
	}
	ids := func(evs []webhook.InboxEvent) string {
		var out string
		for _, e := range evs {
			out += e.ID
		}
		return out
	}
	tests := []struct {
		name string
		f    webhook.EventFilter
		want string
	}{
		{"all newest first", webhook.EventFilter{}, "jihgfedcba"},
		{"limit", webhook.EventFilter{Limit: 3}, "jih"},
		{"client", webhook.EventFilter{ClientID: "client-2"}, "jhfdb"},
		{"source", webhook.EventFilter{Source: "make.com"}, "igeca"},
		{"state", webhook.EventFilter{State: webhook.StateReceived, Limit: 2}, "ji"},
		{"before", webhook.EventFilter{Before: t0.Add(3 * time.Minute)}, "cba"},
		{"none", webhook.EventFilter{State: webhook.StateProcessed}, ""},
	}
	for _, tt := range tests {
		evs, err := s.ListEvents(ctx, tt.f)
		require.NoError(t, err, tt.name)
		assert.Equal(t, tt.want, ids(evs), tt.name)
	}
	n, err := s.PruneEvents(ctx, t0.Add(4*time.Minute))
	require.NoError(t, err)
	assert.EqualValues(t, 4, n)
	evs, err := s.ListEvents(ctx, webhook.EventFilter{})
	require.NoError(t, err)
	assert.Equal(t, "jihgfe", ids(evs))
}

// testCompleteEventMergesItsGraphAtomically: the result of a call and the
// graph it produced commit together, or not at all.
func testCompleteEventMergesItsGraphAtomically(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url)
	g := GraphOf("acme", 2, "x")

	_, err := s.BeginEvent(ctx, Event("wh-1", "k1", t0), time.Time{})
	require.NoError(t, err)
	require.NoError(t, s.CompleteEvent(ctx, "wh-1", webhook.Completion{State: webhook.StateProcessed,
		Result: []byte(`{}`), At: t0.Add(time.Second), Graph: &g}))
	cg, err := s.ClientGraph(ctx, graph.GraphQuery{ClientID: "acme"})
	require.NoError(t, err)
	require.Len(t, cg.Nodes, len(g.KnowledgeNodes))
	for _, n := range cg.Nodes {
		assert.Equal(t, []string{"wh-1"}, n.WebhookIDs, n.ID)
		assert.Equal(t, t0.Add(time.Second), n.LastSeen.UTC(), n.ID)
	}

	other := GraphOf("nobody", 1, "y")
	err = s.CompleteEvent(ctx, "no-such-event", webhook.Completion{State: webhook.StateProcessed, Graph: &other})
	require.ErrorIs(t, err, webhook.ErrNotFound)
	cg, err = s.ClientGraph(ctx, graph.GraphQuery{ClientID: "nobody"})
	require.NoError(t, err)
	assert.Empty(t, cg.Nodes, "a completion that failed merged nothing")

	_, err = s.BeginEvent(ctx, Event("wh-2", "k2", t0), time.Time{})
	require.NoError(t, err)
	require.NoError(t, s.CompleteEvent(ctx, "wh-2", webhook.Completion{State: webhook.StateFailed,
		ErrorCode: "processing_error", Graph: &other}))
	cg, err = s.ClientGraph(ctx, graph.GraphQuery{ClientID: "nobody"})
	require.NoError(t, err)
	assert.Empty(t, cg.Nodes, "a failed call's graph is not merged")
}
