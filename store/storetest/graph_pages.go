package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/internal/testkit/graphtest"
)

var graphPageTests = []test{
	{"ClientGraphPages", testClientGraphPages},
	{"MergeGraphPropertiesAndIDsEdgeCases", testMergeGraphPropertiesAndIDsEdgeCases},
	{"MergeRecordsAnIDOnceOutOfOrder", testMergeRecordsAnIDOnceOutOfOrder},
}

// testClientGraphPages reads graphs page by page, with and without a type
// filter, and checks that the pages hold every node and relationship exactly
// once, each relationship with or after its endpoints.
func testClientGraphPages(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url)
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

// testMergeGraphPropertiesAndIDsEdgeCases pins the merge where the store
// takes shortcuts: properties that did not change, empty ones, nulls (which
// remove their key even when the text is the same), and webhook ids whose
// JSON text has quotes, commas, brackets and non-ASCII letters.
func testMergeGraphPropertiesAndIDsEdgeCases(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url)
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
	g := GraphOf("ids", 1, "x")
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

// testMergeRecordsAnIDOnceOutOfOrder: a webhook id merged again after a later
// one (a repeat out of order) is not listed twice.
func testMergeRecordsAnIDOnceOutOfOrder(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url)
	g := GraphOf("client-1", 1, "Task")
	require.NoError(t, s.MergeGraph(ctx, g, "wh-a", t0))
	require.NoError(t, s.MergeGraph(ctx, g, "wh-b", t0.Add(time.Minute)))
	require.NoError(t, s.MergeGraph(ctx, g, "wh-a", t0))
	cg, err := s.ClientGraph(ctx, graph.GraphQuery{ClientID: "client-1"})
	require.NoError(t, err)
	for _, n := range cg.Nodes {
		assert.Equal(t, []string{"wh-a", "wh-b"}, n.WebhookIDs, n.ID)
	}
	for _, r := range cg.Relationships {
		assert.Equal(t, []string{"wh-a", "wh-b"}, r.WebhookIDs)
	}
}
