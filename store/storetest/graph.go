package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

var graphTests = []test{
	{"MergeGraph", testMergeGraph},
	{"MergeGraphCapsWebhookIDs", testMergeGraphCapsWebhookIDs},
	{"MergeGraphPatchesNestedProperties", testMergeGraphNested},
	{"MergeGraphRepeatedKeysInOneGraph", testMergeGraphRepeatedKeys},
	{"ClientGraphFilterAndLimit", testClientGraphFilterAndLimit},
	{"SearchGraph", testSearchGraph},
	{"ReplaceGraph", testReplaceGraph},
}

// testReplaceGraph: ReplaceGraph leaves exactly the new graph of the client
// (nothing of the old one, not even properties to merge into) and leaves other
// clients alone.
func testReplaceGraph(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url)
	require.NoError(t, s.MergeGraph(ctx, GraphOf("client-1", 4, "Old"), "wh-1", t0))
	require.NoError(t, s.MergeGraph(ctx, GraphOf("client-2", 2, "Other"), "wh-2", t0))

	repl := GraphOf("client-1", 1, "New")
	delete(repl.KnowledgeNodes[2].Properties, "description")
	require.NoError(t, s.ReplaceGraph(ctx, repl, "import-1", t0.Add(time.Hour)))

	cg, err := s.ClientGraph(ctx, graph.GraphQuery{ClientID: "client-1"})
	require.NoError(t, err)
	assert.Equal(t, 3, cg.NodeCount, "client, status and one task")
	assert.Len(t, cg.Relationships, 2)
	task := nodeByID(t, cg, "task:0")
	assert.Equal(t, "New 0", task.Label)
	assert.NotContains(t, task.Properties, "description", "replaced, not merged")
	assert.Equal(t, []string{"import-1"}, task.WebhookIDs)
	assert.Equal(t, t0.Add(time.Hour), task.FirstSeen.UTC())

	other, err := s.ClientGraph(ctx, graph.GraphQuery{ClientID: "client-2"})
	require.NoError(t, err)
	assert.Equal(t, 4, other.NodeCount, "another client's graph stays")

	require.NoError(t, s.ReplaceGraph(ctx, graph.KnowledgeGraph{ClientID: "client-1"}, "", time.Time{}))
	cg, err = s.ClientGraph(ctx, graph.GraphQuery{ClientID: "client-1"})
	require.NoError(t, err)
	assert.Zero(t, cg.NodeCount, "an empty graph deletes the client's")
	assert.Empty(t, cg.Relationships)
}

func testMergeGraph(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url)
	t1 := t0.Add(time.Hour)

	g1 := GraphOf("client-1", 2, "Task") // client, status, task:0, task:1
	require.NoError(t, s.MergeGraph(ctx, g1, "wh-1", t0))
	cg, err := s.ClientGraph(ctx, graph.GraphQuery{ClientID: "client-1"})
	require.NoError(t, err)
	assert.Equal(t, 4, cg.NodeCount)
	assert.Len(t, cg.Relationships, 4)

	g2 := GraphOf("client-1", 3, "Renamed") // adds task:2
	g2.KnowledgeNodes[2].Properties = map[string]any{"priority": "high", "description": "new"}
	require.NoError(t, s.MergeGraph(ctx, g2, "wh-2", t1))
	require.NoError(t, s.MergeGraph(ctx, g2, "wh-2", t1), "the same webhook id is recorded once")

	cg, err = s.ClientGraph(ctx, graph.GraphQuery{ClientID: "client-1"})
	require.NoError(t, err)
	assert.Equal(t, 5, cg.NodeCount, "only the new id adds a node")
	assert.Len(t, cg.Nodes, 5)
	assert.False(t, cg.Truncated)
	assert.Len(t, cg.Relationships, 6)

	task0 := nodeByID(t, cg, "task:0")
	assert.Equal(t, t0, task0.FirstSeen, "first_seen stays")
	assert.Equal(t, t1, task0.LastSeen, "last_seen moves")
	assert.Equal(t, []string{"wh-1", "wh-2"}, task0.WebhookIDs)
	assert.Equal(t, "Renamed 0", task0.Label)
	assert.Equal(t, map[string]any{"index": float64(0), "description": "new", "priority": "high"},
		task0.Properties, "new keys overwrite, old keys stay")

	task2 := nodeByID(t, cg, "task:2")
	assert.Equal(t, t1, task2.FirstSeen)
	assert.Equal(t, []string{"wh-2"}, task2.WebhookIDs)

	for _, r := range cg.Relationships {
		if r.Source == "task:0" && r.Type == "HAS_STATUS" {
			assert.Equal(t, t0, r.FirstSeen)
			assert.Equal(t, t1, r.LastSeen)
			assert.Equal(t, []string{"wh-1", "wh-2"}, r.WebhookIDs)
			assert.Equal(t, map[string]any{"since": "today"}, r.Properties)
		}
	}

	// An older extraction never moves last_seen back, and other clients are apart.
	require.NoError(t, s.MergeGraph(ctx, GraphOf("client-1", 1, "Old"), "wh-0", t0.Add(-time.Hour)))
	cg, err = s.ClientGraph(ctx, graph.GraphQuery{ClientID: "client-1"})
	require.NoError(t, err)
	task0 = nodeByID(t, cg, "task:0")
	assert.Equal(t, t1, task0.LastSeen)
	assert.Equal(t, t0.Add(-time.Hour), task0.FirstSeen)
	other, err := s.ClientGraph(ctx, graph.GraphQuery{ClientID: "client-2"})
	require.NoError(t, err)
	assert.Zero(t, other.NodeCount)
	assert.NotNil(t, other.Nodes)
	assert.NotNil(t, other.Relationships)
}

func testMergeGraphCapsWebhookIDs(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url)
	g := GraphOf("c", 0, "x")
	var want []string
	for i := range 25 {
		id := fmt.Sprintf("wh-%02d", i)
		require.NoError(t, s.MergeGraph(ctx, g, id, t0))
		want = append(want, id)
	}
	require.NoError(t, s.MergeGraph(ctx, g, "wh-10", t0), "already present: no change")
	cg, err := s.ClientGraph(ctx, graph.GraphQuery{ClientID: "c"})
	require.NoError(t, err)
	assert.Equal(t, want[5:], nodeByID(t, cg, "client:c").WebhookIDs, "the last 20, oldest first")
}

func testClientGraphFilterAndLimit(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url)
	require.NoError(t, s.MergeGraph(ctx, GraphOf("client-1", 4, "Task"), "wh-1", t0))

	cg, err := s.ClientGraph(ctx, graph.GraphQuery{ClientID: "client-1", NodeTypes: []string{"task"}})
	require.NoError(t, err)
	assert.Equal(t, 4, cg.NodeCount)
	assert.False(t, cg.Truncated)
	assert.Len(t, cg.Nodes, 4)
	assert.Empty(t, cg.Relationships, "no edge has both ends among the tasks")

	cg, err = s.ClientGraph(ctx, graph.GraphQuery{ClientID: "client-1", NodeTypes: []string{"task", "status"}, Limit: 3})
	require.NoError(t, err)
	assert.Equal(t, 5, cg.NodeCount)
	assert.True(t, cg.Truncated)
	ids := []string{}
	for _, n := range cg.Nodes {
		ids = append(ids, n.ID)
	}
	assert.Equal(t, []string{"status:open", "task:0", "task:1"}, ids, "node id order")
	require.Len(t, cg.Relationships, 2)
	for _, r := range cg.Relationships {
		assert.Equal(t, "HAS_STATUS", r.Type)
	}

	_, err = s.ClientGraph(ctx, graph.GraphQuery{})
	require.ErrorIs(t, err, webhook.ErrInvalidArgument)
}

func testSearchGraph(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url)
	g := graph.KnowledgeGraph{ClientID: "client-1", KnowledgeNodes: []graph.Node{
		{ID: "client:client-1", Type: "client", Label: "ACME Corp", Properties: map[string]any{}},
		{ID: "task:1", Type: "task", Label: "Quarterly Report", Properties: map[string]any{"owner": "Zelda", "budget": 4200}},
		{ID: "task:2", Type: "task", Label: "Other", Properties: map[string]any{
			"nested": map[string]any{"deep": []any{"Needle in 50% haystack"}}, "flag": true}},
		{ID: "person:1", Type: "person", Label: "Ann_Smith", Properties: map[string]any{"secretkeyword": "x"}},
	}, Relationships: []graph.Relationship{
		{Source: "client:client-1", Target: "task:1", Type: "HAS_TASK"},
		{Source: "task:1", Target: "person:1", Type: "ASSIGNED_TO"},
		{Source: "client:client-1", Target: "task:2", Type: "HAS_TASK"},
	}}
	require.NoError(t, s.MergeGraph(ctx, g, "wh-1", t0))
	g2 := g
	g2.ClientID = "client-2"
	require.NoError(t, s.MergeGraph(ctx, g2, "wh-2", t0))

	search := func(q graph.SearchQuery) []string {
		t.Helper()
		hits, err := s.SearchGraph(ctx, q)
		require.NoError(t, err)
		out := []string{}
		for _, h := range hits {
			out = append(out, h.ClientID+"/"+h.Node.ID)
		}
		return out
	}
	c1 := func(q string) graph.SearchQuery { return graph.SearchQuery{Query: q, ClientID: "client-1"} }

	assert.Equal(t, []string{"client-1/client:client-1"}, search(c1("acme")), "label, case-insensitive")
	assert.Equal(t, []string{"client-1/task:1"}, search(c1("zELDa")), "property value")
	assert.Equal(t, []string{"client-1/task:1"}, search(c1("420")), "numeric value")
	assert.Equal(t, []string{"client-1/task:2"}, search(c1("needle")), "nested value")
	assert.Equal(t, []string{"client-1/task:2"}, search(c1("true")), "boolean value")
	assert.Empty(t, search(c1("secretkeyword")), "property keys do not match")
	assert.Empty(t, search(c1("owner")), "property keys do not match")
	assert.Equal(t, []string{"client-1/task:2"}, search(c1("50%")), "% is literal")
	assert.Empty(t, search(c1("5%h")))
	assert.Equal(t, []string{"client-1/person:1"}, search(c1("n_s")), "_ is literal")
	assert.Empty(t, search(c1("a_n")))
	assert.Equal(t, []string{"client-1/task:1", "client-2/task:1"}, search(graph.SearchQuery{Query: "zelda"}), "all clients")
	assert.Equal(t, []string{"client-1/task:1"}, search(graph.SearchQuery{Query: "zelda", Limit: 1}))
	assert.Empty(t, search(graph.SearchQuery{Query: "zelda", NodeTypes: []string{"person"}}))
	assert.Equal(t, []string{"client-1/person:1", "client-2/person:1"},
		search(graph.SearchQuery{Query: "ann", NodeTypes: []string{"person"}}))

	hits, err := s.SearchGraph(ctx, c1("quarterly"))
	require.NoError(t, err)
	require.Len(t, hits, 1)
	var rels []string
	for _, r := range hits[0].Relationships {
		rels = append(rels, r.Source+"-"+r.Type+"->"+r.Target)
	}
	assert.Equal(t, []string{"client:client-1-HAS_TASK->task:1", "task:1-ASSIGNED_TO->person:1"}, rels,
		"direct relationships in both directions")

	_, err = s.SearchGraph(ctx, graph.SearchQuery{})
	require.ErrorIs(t, err, webhook.ErrInvalidArgument)
	require.ErrorIs(t, s.MergeGraph(ctx, graph.KnowledgeGraph{}, "wh", t0), webhook.ErrInvalidArgument)
}

// testMergeGraphNested: properties merge as JSON Merge Patch (RFC 7396) at
// every depth: nested objects merge, a null removes its key, other values
// replace.
func testMergeGraphNested(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url)
	node := func(props map[string]any) graph.KnowledgeGraph {
		return graph.KnowledgeGraph{ClientID: "c", KnowledgeNodes: []graph.Node{
			{ID: "task:1", Type: "task", Label: "T", Properties: props}}}
	}
	require.NoError(t, s.MergeGraph(ctx, node(map[string]any{
		"keep": "k", "gone": "g", "list": []any{1, 2},
		"nested": map[string]any{"a": 1, "b": 2, "deep": map[string]any{"x": "1"}},
		"scalar": "s",
	}), "wh-1", t0))
	require.NoError(t, s.MergeGraph(ctx, node(map[string]any{
		"gone": nil, "list": []any{3},
		"nested": map[string]any{"b": nil, "c": 3, "deep": map[string]any{"y": "2"}},
		"scalar": map[string]any{"now": "object", "dropped": nil},
		"absent": nil,
	}), "wh-2", t0))
	cg, err := s.ClientGraph(ctx, graph.GraphQuery{ClientID: "c"})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{
		"keep": "k", "list": []any{float64(3)},
		"nested": map[string]any{"a": float64(1), "c": float64(3), "deep": map[string]any{"x": "1", "y": "2"}},
		"scalar": map[string]any{"now": "object"},
	}, nodeByID(t, cg, "task:1").Properties)
}

// testMergeGraphRepeatedKeys: a graph that names one node or relationship
// twice merges the occurrences in order, as two merges would.
func testMergeGraphRepeatedKeys(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url)
	g := graph.KnowledgeGraph{ClientID: "c", KnowledgeNodes: []graph.Node{
		{ID: "task:1", Type: "task", Label: "first", Properties: map[string]any{"a": 1, "b": map[string]any{"x": 1}}},
		{ID: "person:1", Type: "person", Label: "P", Properties: map[string]any{}},
		{ID: "task:1", Type: "task", Label: "second", Properties: map[string]any{"a": nil, "b": map[string]any{"y": 2}}},
	}, Relationships: []graph.Relationship{
		{Source: "task:1", Target: "person:1", Type: "ASSIGNED_TO", Properties: map[string]any{"r": 1}},
		{Source: "task:1", Target: "person:1", Type: "ASSIGNED_TO", Properties: map[string]any{"s": 2}},
	}}
	require.NoError(t, s.MergeGraph(ctx, g, "wh-1", t0))
	cg, err := s.ClientGraph(ctx, graph.GraphQuery{ClientID: "c"})
	require.NoError(t, err)
	require.Len(t, cg.Nodes, 2)
	task := nodeByID(t, cg, "task:1")
	assert.Equal(t, "second", task.Label)
	assert.Equal(t, map[string]any{"b": map[string]any{"x": float64(1), "y": float64(2)}}, task.Properties)
	assert.Equal(t, []string{"wh-1"}, task.WebhookIDs)
	require.Len(t, cg.Relationships, 1)
	assert.Equal(t, map[string]any{"r": float64(1), "s": float64(2)}, cg.Relationships[0].Properties)
}
