package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

var concurrencyTests = []test{
	{"ConcurrentWritersAndReadersOnTwoReplicas", testConcurrentWritersAndReaders},
	{"ConcurrentMergesOfOneClientLoseNothing", testConcurrentMergesOfOneClient},
	{"ConcurrentRepeatsOfOneKeyRecordOnce", testConcurrentRepeatsOfOneKey},
	{"ConcurrentPrunesShareTheWork", testConcurrentPrunes},
	{"ConcurrentExpirySweepsExpireOnce", testConcurrentExpirySweeps},
}

// testConcurrentWritersAndReaders runs 100 writers at once on two replicas,
// each doing every kind of write, while readers query both: no error at all (in
// particular no SQLITE_BUSY, no deadlock), and every row is there afterwards.
func testConcurrentWritersAndReaders(t *testing.T, url string) {
	ctx := context.Background()
	rs := replicas(t, url)
	const writers = 100

	stop := make(chan struct{})
	var readers sync.WaitGroup
	var reads atomic.Int64
	for r := range 4 {
		s := rs[r%2]
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				var err error
				switch r {
				case 0:
					_, err = s.ListEvents(ctx, webhook.EventFilter{Limit: 100})
				case 1:
					_, err = s.ClientGraph(ctx, graph.GraphQuery{ClientID: "client-7"})
				case 2:
					_, err = s.SearchGraph(ctx, graph.SearchQuery{Query: "task"})
				case 3:
					_, err = s.Stats(ctx)
				}
				if !assert.NoError(t, err, "reader %d", r) {
					return
				}
				reads.Add(1)
			}
		})
	}

	var wg sync.WaitGroup
	for i := range writers {
		s := rs[i%2]
		wg.Go(func() {
			id := fmt.Sprintf("wh-%03d", i)
			at := t0.Add(time.Duration(i) * time.Millisecond)
			prev, err := s.BeginEvent(ctx, Event(id, "key-"+id, at), at.Add(-time.Hour))
			if !assert.NoError(t, err) || !assert.Nil(t, prev) {
				return
			}
			g := GraphOf(fmt.Sprintf("client-%d", i%10), 5, "Task")
			if !assert.NoError(t, s.MergeGraph(ctx, g, id, at)) {
				return
			}
			if !assert.NoError(t, s.CompleteEvent(ctx, id, webhook.Completion{State: webhook.StateProcessed,
				Result: json.RawMessage(`{}`), At: at})) {
				return
			}
			createPending(t, s, "ap-"+id, at)
			_, err = s.TransitionApproval(ctx, approval.Transition{ID: "ap-" + id,
				From: []approval.State{approval.StatePending}, To: approval.StateApproved, Actor: "r", At: at, Decision: true})
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	assert.Positive(t, reads.Load())

	s := rs[0]
	st, err := s.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"processed": writers}, st.Inbox)
	assert.Equal(t, map[string]int{"approved": writers}, st.Approvals)
	assert.Equal(t, 10, st.Clients)
	assert.Equal(t, 10*7, st.Nodes)
	assert.Equal(t, 10*10, st.Relationships)

	cg, err := s.ClientGraph(ctx, graph.GraphQuery{ClientID: "client-3"})
	require.NoError(t, err)
	for _, n := range cg.Nodes {
		assert.Len(t, n.WebhookIDs, writers/10, n.ID)
	}
	for i := range writers {
		evs, err := s.ApprovalEvents(ctx, fmt.Sprintf("ap-wh-%03d", i))
		require.NoError(t, err)
		assert.Len(t, evs, 2)
	}
}

// testConcurrentMergesOfOneClient merges 200 graphs of one client from two
// replicas at once, each with a task of its own and the shared client and
// status nodes: the graph has all 200 tasks, every edge, and the shared nodes
// carry the latest properties and webhook ids.
func testConcurrentMergesOfOneClient(t *testing.T, url string) {
	ctx := context.Background()
	rs := replicas(t, url)
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			g := GraphOf("acme", 0, "")
			task := fmt.Sprintf("task:%03d", i)
			g.KnowledgeNodes[0].Properties = map[string]any{fmt.Sprintf("seen_%03d", i): true}
			g.KnowledgeNodes = append(g.KnowledgeNodes, graph.Node{ID: task, Type: "task", Label: task,
				Properties: map[string]any{"i": i}})
			g.Relationships = append(g.Relationships,
				graph.Relationship{Source: "client:acme", Target: task, Type: "HAS_TASK"},
				graph.Relationship{Source: task, Target: "status:open", Type: "HAS_STATUS"})
			assert.NoError(t, rs[i%2].MergeGraph(ctx, g, fmt.Sprintf("wh-%03d", i), t0.Add(time.Duration(i)*time.Second)))
		})
	}
	wg.Wait()
	cg, err := rs[0].ClientGraph(ctx, graph.GraphQuery{ClientID: "acme", NodeTypes: []string{"task"}})
	require.NoError(t, err)
	assert.Equal(t, n, cg.NodeCount, "every task")
	cg, err = rs[1].ClientGraph(ctx, graph.GraphQuery{ClientID: "acme"})
	require.NoError(t, err)
	assert.Equal(t, n+2, cg.NodeCount)
	assert.Len(t, cg.Relationships, 2*n, "every edge")
	client := nodeByID(t, cg, "client:acme")
	assert.Len(t, client.Properties, n, "every merge's property key is kept")
	assert.Len(t, client.WebhookIDs, 20, "the last 20 webhook ids")
	assert.Equal(t, t0, client.FirstSeen)
	assert.Equal(t, t0.Add((n-1)*time.Second), client.LastSeen, "the latest merge's time")
}

// testConcurrentRepeatsOfOneKey begins 20 events with one idempotency key on
// two replicas at once, each call as a process of its own: exactly one is
// recorded, and every other call gets that one back.
func testConcurrentRepeatsOfOneKey(t *testing.T, url string) {
	ctx := context.Background()
	rs := replicas(t, url)
	const n = 20
	prevs := make([]*webhook.InboxEvent, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ev := Event(fmt.Sprintf("e%02d", i), "one-key", t0)
			ev.Owner = fmt.Sprintf("proc-%02d", i)
			var err error
			prevs[i], err = rs[i%2].BeginEvent(ctx, ev, t0.Add(-time.Hour))
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	var winner string
	for i, p := range prevs {
		if p == nil {
			assert.Empty(t, winner, "a second call was recorded too")
			winner = fmt.Sprintf("e%02d", i)
		}
	}
	require.NotEmpty(t, winner, "one call is recorded")
	for _, p := range prevs {
		if p != nil {
			assert.Equal(t, winner, p.ID)
		}
	}
	evs, err := rs[0].ListEvents(ctx, webhook.EventFilter{})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, winner, evs[0].ID)
}

// testConcurrentPrunes prunes from two replicas at once: between them they
// delete every old entry once, and nothing newer.
func testConcurrentPrunes(t *testing.T, url string) {
	ctx := context.Background()
	rs := replicas(t, url)
	const old = 300
	for i := range old + 10 {
		_, err := rs[0].BeginEvent(ctx, Event(fmt.Sprintf("e%03d", i), "", t0.Add(time.Duration(i)*time.Second)), time.Time{})
		require.NoError(t, err)
	}
	cutoff := t0.Add(old * time.Second)
	var wg sync.WaitGroup
	var total atomic.Int64
	for i := range 4 {
		wg.Go(func() {
			n, err := rs[i%2].PruneEvents(ctx, cutoff)
			assert.NoError(t, err)
			total.Add(n)
		})
	}
	wg.Wait()
	assert.EqualValues(t, old, total.Load())
	evs, err := rs[1].ListEvents(ctx, webhook.EventFilter{Limit: 500})
	require.NoError(t, err)
	assert.Len(t, evs, 10)
}

// testConcurrentExpirySweeps runs the approval service's expiry sweep from two
// replicas at once, twice each: every overdue request is expired once, with
// one audit event, and the others stay pending.
func testConcurrentExpirySweeps(t *testing.T, url string) {
	ctx := context.Background()
	rs := replicas(t, url)
	const overdue, fresh = 20, 5
	for i := range overdue + fresh {
		created := t0
		if i >= overdue {
			created = t0.Add(2 * time.Hour)
		}
		createPending(t, rs[0], fmt.Sprintf("a%02d", i), created) // expires an hour after creation
	}
	now := func() time.Time { return t0.Add(90 * time.Minute) }
	var wg sync.WaitGroup
	var expired atomic.Int64
	for i := range 4 {
		svc := approval.NewService(approval.Config{Store: rs[i%2], Now: now, Logger: quiet})
		wg.Go(func() {
			n, err := svc.ExpireDue(ctx)
			assert.NoError(t, err)
			expired.Add(int64(n))
		})
	}
	wg.Wait()
	assert.EqualValues(t, overdue, expired.Load(), "each overdue request expired by one sweep")
	for i := range overdue + fresh {
		id := fmt.Sprintf("a%02d", i)
		evs, err := rs[1].ApprovalEvents(ctx, id)
		require.NoError(t, err)
		if i < overdue {
			require.Len(t, evs, 2, id)
			assert.Equal(t, approval.StateExpired, evs[1].To, id)
		} else {
			assert.Len(t, evs, 1, "%s is not due", id)
		}
	}
}
