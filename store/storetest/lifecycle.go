package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/store"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

var lifecycleTests = []test{
	{"ReopenKeepsEverythingAndStats", testReopenAndStats},
	{"OpenAtOnceMigratesOnce", testOpenAtOnceMigratesOnce},
	{"WritesAfterCloseFail", testWritesAfterClose},
}

func testReopenAndStats(t *testing.T, url string) {
	ctx := context.Background()
	s, err := store.Open(ctx, store.Options{URL: url, Logger: quiet})
	require.NoError(t, err)
	assert.NotEmpty(t, s.Kind())
	assert.NotEmpty(t, s.Path())
	require.NoError(t, s.Health(ctx), "a new store can commit")

	st, err := s.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, store.Stats{Inbox: map[string]int{}, Approvals: map[string]int{}}, st)

	for i, id := range []string{"e1", "e2", "e3"} {
		_, err := s.BeginEvent(ctx, Event(id, "", t0), t0)
		require.NoError(t, err)
		if i < 2 {
			state := []webhook.EventState{webhook.StateProcessed, webhook.StateFailed}[i]
			require.NoError(t, s.CompleteEvent(ctx, id, webhook.Completion{State: state, At: t0}))
		}
	}
	require.NoError(t, s.MergeGraph(ctx, GraphOf("client-1", 3, "Task"), "e1", t0))
	require.NoError(t, s.MergeGraph(ctx, GraphOf("client-2", 1, "Task"), "e2", t0))
	createPending(t, s, "a1", t0)
	createPending(t, s, "a2", t0)
	_, err = s.TransitionApproval(ctx, approval.Transition{ID: "a2", From: []approval.State{approval.StatePending},
		To: approval.StateRejected, Actor: "reviewer", At: t0, Decision: true})
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s = open(t, url)
	evs, err := s.ListEvents(ctx, webhook.EventFilter{})
	require.NoError(t, err)
	assert.Len(t, evs, 3)
	a, err := s.GetApproval(ctx, "a2")
	require.NoError(t, err)
	assert.Equal(t, approval.StateRejected, a.State)
	g, err := s.ClientGraph(ctx, graph.GraphQuery{ClientID: "client-1"})
	require.NoError(t, err)
	assert.Equal(t, 5, g.NodeCount)

	st, err = s.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, store.Stats{
		Inbox:     map[string]int{"received": 1, "processed": 1, "failed": 1},
		Approvals: map[string]int{"pending": 1, "rejected": 1},
		Clients:   2, Nodes: 5 + 3, Relationships: 6 + 2,
	}, st)
}

// testOpenAtOnceMigratesOnce opens one new database from four goroutines at
// once, as replicas starting together do: every open succeeds on the same
// schema version, and opening again applies nothing.
func testOpenAtOnceMigratesOnce(t *testing.T, url string) {
	ctx := context.Background()
	const n = 4
	stores := make([]store.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			stores[i], errs[i] = store.Open(ctx, store.Options{URL: url, Logger: quiet})
		})
	}
	wg.Wait()
	versions := map[int]bool{}
	for i := range n {
		require.NoError(t, errs[i])
		v, err := stores[i].SchemaVersion(ctx)
		require.NoError(t, err)
		versions[v] = true
		require.NoError(t, stores[i].Close())
	}
	require.Len(t, versions, 1, "one schema version")
	s := open(t, url)
	v, err := s.SchemaVersion(ctx)
	require.NoError(t, err)
	assert.True(t, versions[v])
	assert.GreaterOrEqual(t, v, 1)
	createPending(t, s, "a1", t0) // the schema works
}

// testWritesAfterClose: every write after Close is store.ErrClosed; closing
// twice is no error.
func testWritesAfterClose(t *testing.T, url string) {
	ctx := context.Background()
	s, err := store.Open(ctx, store.Options{URL: url, Logger: quiet})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "closing twice is a no-op")
	_, err = s.BeginEvent(ctx, Event("e1", "", t0), time.Time{})
	require.ErrorIs(t, err, store.ErrClosed)
	require.ErrorIs(t, s.MergeGraph(ctx, GraphOf("c", 1, "x"), "e1", t0), store.ErrClosed)
	err = s.CreateApproval(ctx, pendingRequest("a1", t0), approval.Event{To: approval.StatePending, Actor: "x"})
	require.ErrorIs(t, err, store.ErrClosed)
	_, err = s.ClaimDue(ctx, t0, time.Minute, "w", 1)
	require.ErrorIs(t, err, store.ErrClosed)
}
