package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// TestCompleteEventMergesItsGraphAtomically: the result of a call and the
// graph it produced commit together, or not at all.
func TestCompleteEventMergesItsGraphAtomically(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openStore(t)
	g := graphOf("acme", 2, "x")

	_, err := s.BeginEvent(ctx, event("wh-1", "k1", t0), time.Time{})
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

	other := graphOf("nobody", 1, "y")
	err = s.CompleteEvent(ctx, "no-such-event", webhook.Completion{State: webhook.StateProcessed, Graph: &other})
	require.ErrorIs(t, err, webhook.ErrNotFound)
	cg, err = s.ClientGraph(ctx, graph.GraphQuery{ClientID: "nobody"})
	require.NoError(t, err)
	assert.Empty(t, cg.Nodes, "a completion that failed merged nothing")

	_, err = s.BeginEvent(ctx, event("wh-2", "k2", t0), time.Time{})
	require.NoError(t, err)
	require.NoError(t, s.CompleteEvent(ctx, "wh-2", webhook.Completion{State: webhook.StateFailed,
		ErrorCode: "processing_error", Graph: &other}))
	cg, err = s.ClientGraph(ctx, graph.GraphQuery{ClientID: "nobody"})
	require.NoError(t, err)
	assert.Empty(t, cg.Nodes, "a failed call's graph is not merged")
}
