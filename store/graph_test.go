package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/internal/testkit/graphtest"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

func nodeByID(t *testing.T, g graph.ClientGraph, id string) graph.StoredNode {
	t.Helper()
	for _, n := range g.Nodes {
		if n.ID == id {
			return n
		}
	}
	t.Fatalf("node %s not in graph", id)
	return graph.StoredNode{}
}

func TestMergeGraph(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openStore(t)
	t1 := t0.Add(time.Hour)

	g1 := graphOf("client-1", 2, "Task") // client, status, task:0, task:1
	require.NoError(t, s.MergeGraph(ctx, g1, "wh-1", t0))
	cg, err := s.ClientGraph(ctx, graph.GraphQuery{ClientID: "client-1"})
	require.NoError(t, err)
	assert.Equal(t, 4, cg.NodeCount)
	assert.Len(t, cg.Relationships, 4)

	g2 := graphOf("client-1", 3, "Renamed") // adds task:2
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
	require.NoError(t, s.MergeGraph(ctx, graphOf("client-1", 1, "Old"), "wh-0", t0.Add(-time.Hour)))
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

func TestMergeGraphCapsWebhookIDs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openStore(t)
	g := graphOf("c", 0, "x")
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

func TestClientGraphFilterAndLimit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openStore(t)
	require.NoError(t, s.MergeGraph(ctx, graphOf("client-1", 4, "Task"), "wh-1", t0))

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

func TestSearchGraph(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openStore(t)
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

// TestClientGraphPages reads graphs page by page, with and without a type
// filter, and checks that the pages hold every node and relationship exactly
// once, each relationship with or after its endpoints.
func TestClientGraphPages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openStore(t)
	whole := graphtest.LargeGraph("paged", 50)
	require.NoError(t, s.MergeGraph(ctx, whole, "wh-1", t0))

	// tasks is the part of whole that a node_types=task filter selects.
	tasks := graph.KnowledgeGraph{ClientID: whole.ClientID}
	isTask := map[string]bool{}
	for _, n := range whole.KnowledgeNodes {
		if n.Type == "task" {
			tasks.KnowledgeNodes = append(tasks.KnowledgeNodes, n)
			isTask[n.ID] = true
		}
	}
	for _, r := range whole.Relationships {
		if isTask[r.Source] && isTask[r.Target] {
			tasks.Relationships = append(tasks.Relationships, r)
		}
	}
	require.NotEmpty(t, tasks.Relationships, "the filtered graph has edges")

	for _, tt := range []struct {
		name  string
		types []string
		want  graph.KnowledgeGraph
	}{{"all types", nil, whole}, {"tasks", []string{"task"}, tasks}} {
		for _, limit := range []int{1, 3, 7, 49, 50, 51, 0} {
			t.Run(fmt.Sprintf("%s/limit=%d", tt.name, limit), func(t *testing.T) {
				t.Parallel()
				var pages []graph.ClientGraph
				q := graph.GraphQuery{ClientID: whole.ClientID, NodeTypes: tt.types, Limit: limit}
				for range 100 {
					p, err := s.ClientGraph(ctx, q)
					require.NoError(t, err)
					pages = append(pages, p)
					assert.Equal(t, len(tt.want.KnowledgeNodes), p.NodeCount, "node_count counts every page")
					assert.Equal(t, p.NextCursor != "", p.Truncated)
					if p.NextCursor == "" {
						break
					}
					require.Len(t, p.Nodes, limit, "only the last page is short")
					q.After, err = graph.DecodeCursor(p.NextCursor)
					require.NoError(t, err)
				}
				n := len(tt.want.KnowledgeNodes)
				if limit > 0 {
					assert.Len(t, pages, max(1, (n+limit-1)/limit))
				} else {
					assert.Len(t, pages, 1)
				}
				graphtest.CheckPages(t, tt.want, pages)
			})
		}
	}

	// The first page of a limit is the limit's nodes and the edges between them.
	p, err := s.ClientGraph(ctx, graph.GraphQuery{ClientID: whole.ClientID, Limit: 3})
	require.NoError(t, err)
	on := map[string]bool{}
	for _, n := range p.Nodes {
		on[n.ID] = true
	}
	for _, r := range p.Relationships {
		assert.True(t, on[r.Source] && on[r.Target], "%s-%s->%s", r.Source, r.Type, r.Target)
	}
}

// TestMergeGraphPropertiesAndIDsEdgeCases pins the merge where the store
// takes shortcuts: properties that did not change, empty ones, nulls (which
// remove their key even when the text is the same), and webhook ids whose
// JSON text has quotes, commas, brackets and non-ASCII letters.
func TestMergeGraphPropertiesAndIDsEdgeCases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openStore(t)
	node := func(props map[string]any) graph.KnowledgeGraph {
		return graph.KnowledgeGraph{ClientID: "c", KnowledgeNodes: []graph.Node{
			{ID: "n:1", Type: "t", Label: "Nullable label", Properties: props}}}
	}
	props := func() map[string]any {
		cg, err := s.ClientGraph(ctx, graph.GraphQuery{ClientID: "c"})
		require.NoError(t, err)
		return nodeByID(t, cg, "n:1").Properties
	}
	steps := []struct {
		name string
		in   map[string]any
		want map[string]any
	}{
		{"first", map[string]any{"a": 1, "b": "x"}, map[string]any{"a": 1.0, "b": "x"}},
		{"same text", map[string]any{"a": 1, "b": "x"}, map[string]any{"a": 1.0, "b": "x"}},
		{"empty keeps", map[string]any{}, map[string]any{"a": 1.0, "b": "x"}},
		{"nil keeps", nil, map[string]any{"a": 1.0, "b": "x"}},
		{"new key", map[string]any{"c": true}, map[string]any{"a": 1.0, "b": "x", "c": true}},
		{"null removes", map[string]any{"a": nil, "b": "x", "c": true}, map[string]any{"b": "x", "c": true}},
		{"null text is a text", map[string]any{"b": "null", "c": true}, map[string]any{"b": "null", "c": true}},
		{"nested patch", map[string]any{"d": map[string]any{"e": 1}}, map[string]any{"b": "null", "c": true, "d": map[string]any{"e": 1.0}}},
	}
	for i, st := range steps {
		require.NoError(t, s.MergeGraph(ctx, node(st.in), fmt.Sprintf("wh-%d", i), t0), st.name)
		assert.Equal(t, st.want, props(), st.name)
	}

	// A stored null (from a first insert) goes when the same text comes again.
	n2 := graph.KnowledgeGraph{ClientID: "c2", KnowledgeNodes: []graph.Node{
		{ID: "n:2", Type: "t", Label: "x", Properties: map[string]any{"a": nil, "b": 1}}}}
	require.NoError(t, s.MergeGraph(ctx, n2, "wh-1", t0))
	require.NoError(t, s.MergeGraph(ctx, n2, "wh-2", t0))
	cg, err := s.ClientGraph(ctx, graph.GraphQuery{ClientID: "c2"})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"b": 1.0}, nodeByID(t, cg, "n:2").Properties)

	// Webhook ids of any text: appended once, the oldest dropped at 20.
	g := graphOf("ids", 1, "x")
	var want []string
	for i := range 30 {
		id := fmt.Sprintf(`wh "%d","]ü[\`, i)
		require.NoError(t, s.MergeGraph(ctx, g, id, t0))
		require.NoError(t, s.MergeGraph(ctx, g, id, t0), "a repeat adds nothing")
		want = append(want, id)
	}
	require.NoError(t, s.MergeGraph(ctx, g, "", t0), "no webhook id adds none")
	cg, err = s.ClientGraph(ctx, graph.GraphQuery{ClientID: "ids"})
	require.NoError(t, err)
	assert.Equal(t, want[10:], nodeByID(t, cg, "task:0").WebhookIDs)
	for _, r := range cg.Relationships {
		assert.Equal(t, want[10:], r.WebhookIDs, "%s-%s->%s", r.Source, r.Type, r.Target)
	}
}
