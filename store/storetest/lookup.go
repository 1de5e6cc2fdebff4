package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// lookupTests are the reads by id that the fetch tool uses.
var lookupTests = []test{
	{"GetEvent", testGetEvent},
	{"GraphNode", testGraphNode},
}

func testGetEvent(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url)
	_, err := s.BeginEvent(ctx, Event("e1", "", t0), t0)
	require.NoError(t, err)
	e, err := s.GetEvent(ctx, "e1")
	require.NoError(t, err)
	assert.Equal(t, "e1", e.ID)
	assert.Equal(t, webhook.StateReceived, e.State)
	assert.Equal(t, "client-1", e.ClientID)
	assert.JSONEq(t, `{"client_id":"client-1"}`, string(e.Body), "the raw body comes with it")
	_, err = s.GetEvent(ctx, "nope")
	assert.ErrorIs(t, err, webhook.ErrNotFound)
}

func testGraphNode(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url)
	g := graph.KnowledgeGraph{ClientID: "c1", KnowledgeNodes: []graph.Node{
		{ID: "client:c1", Type: "client", Label: "c1"},
		{ID: "task:t1", Type: "task", Label: "Deck", Properties: map[string]any{"description": "draft"}},
		{ID: "person:p1", Type: "person", Label: "Ann"},
	}, Relationships: []graph.Relationship{
		{Source: "client:c1", Target: "task:t1", Type: "HAS_TASK"},
		{Source: "task:t1", Target: "person:p1", Type: "ASSIGNED_TO"},
	}}
	require.NoError(t, s.MergeGraph(ctx, g, "w1", t0))
	require.NoError(t, s.MergeGraph(ctx, graph.KnowledgeGraph{ClientID: "c2", KnowledgeNodes: []graph.Node{
		{ID: "task:t1", Type: "task", Label: "Other client's task"}}}, "w2", t0.Add(time.Minute)))

	h, err := s.GraphNode(ctx, "c1", "task:t1")
	require.NoError(t, err)
	assert.Equal(t, "c1", h.ClientID)
	assert.Equal(t, "Deck", h.Node.Label)
	assert.Equal(t, "draft", h.Node.Properties["description"])
	assert.Equal(t, []string{"w1"}, h.Node.WebhookIDs)
	require.Len(t, h.Relationships, 2, "edges in both directions")
	assert.Equal(t, "HAS_TASK", h.Relationships[0].Type)
	assert.Equal(t, "ASSIGNED_TO", h.Relationships[1].Type)

	_, err = s.GraphNode(ctx, "c1", "task:nope")
	assert.ErrorIs(t, err, graph.ErrNotFound)
	_, err = s.GraphNode(ctx, "c3", "task:t1")
	assert.ErrorIs(t, err, graph.ErrNotFound, "nodes are per client")
}
