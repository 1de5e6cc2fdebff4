package store_test

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

// TestConcurrentWritersAndReaders runs 100 writers at once, each doing every
// kind of write, while readers query: no error at all (in particular no
// SQLITE_BUSY), and every row is there afterwards.
func TestConcurrentWritersAndReaders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openStore(t)
	const writers = 100

	stop := make(chan struct{})
	var readers sync.WaitGroup
	var reads atomic.Int64
	for r := range 4 {
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
		wg.Go(func() {
			id := fmt.Sprintf("wh-%03d", i)
			at := t0.Add(time.Duration(i) * time.Millisecond)
			prev, err := s.BeginEvent(ctx, event(id, "key-"+id, at), at.Add(-time.Hour))
			if !assert.NoError(t, err) || !assert.Nil(t, prev) {
				return
			}
			g := graphOf(fmt.Sprintf("client-%d", i%10), 5, "Task")
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
