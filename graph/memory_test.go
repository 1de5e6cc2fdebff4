package graph_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/graph"
)

// TestMemoryJSONLRoundTrip: every node keeps its id, type, label and
// properties (whatever their JSON type, strings that look like numbers too)
// through the memory server's format, and every relationship its ends and type.
func TestMemoryJSONLRoundTrip(t *testing.T) {
	t.Parallel()
	props := map[string]any{"name": "Fix: login", "count": float64(3), "digits": "123", "quoted": `"x"`,
		"flag": true, "nested": map[string]any{"a": []any{"b", float64(1)}}, "none": nil, "label": "a property"}
	in := graph.ClientGraph{ClientID: "c1", Nodes: []graph.StoredNode{
		{Node: graph.Node{ID: "task:1", Type: "task", Label: "Task: one", Properties: props}},
		{Node: graph.Node{ID: "status:open", Type: "status", Label: "Open", Properties: map[string]any{}}},
	}, Relationships: []graph.StoredRelationship{
		{Relationship: graph.Relationship{Source: "task:1", Target: "status:open", Type: "HAS_STATUS"}},
	}}
	var buf bytes.Buffer
	require.NoError(t, graph.WriteMemoryJSONL(&buf, in))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 3)
	assert.JSONEq(t, `{"type":"entity","name":"status:open","entityType":"status","observations":["label: Open"]}`, lines[1])
	assert.JSONEq(t, `{"type":"relation","from":"task:1","to":"status:open","relationType":"HAS_STATUS"}`, lines[2])

	out, err := graph.ReadMemoryJSONL(&buf, "c2")
	require.NoError(t, err)
	assert.Equal(t, "c2", out.ClientID)
	require.Len(t, out.KnowledgeNodes, 2)
	assert.Equal(t, graph.Node{ID: "task:1", Type: "task", Label: "Task: one", Properties: props}, out.KnowledgeNodes[0])
	assert.Equal(t, []graph.Relationship{{Source: "task:1", Target: "status:open", Type: "HAS_STATUS", Properties: map[string]any{}}}, out.Relationships)
}

// TestReadMemoryJSONL covers files a memory client wrote: names without a type
// prefix, free-text observations, and the errors.
func TestReadMemoryJSONL(t *testing.T) {
	t.Parallel()
	g, err := graph.ReadMemoryJSONL(strings.NewReader(
		`{"type":"entity","name":"Ada","entityType":"person","observations":["likes tea","role: lead"]}`+"\n\n"+
			`{"type":"entity","name":"Acme","entityType":"company","observations":[]}`+"\n"+
			`{"type":"relation","from":"Ada","to":"Acme","relationType":"works_at"}`), "c")
	require.NoError(t, err)
	assert.Equal(t, []graph.Node{
		{ID: "person:Ada", Type: "person", Label: "Ada", Properties: map[string]any{"role": "lead", "observations": []any{"likes tea"}}},
		{ID: "company:Acme", Type: "company", Label: "Acme", Properties: map[string]any{}},
	}, g.KnowledgeNodes)
	assert.Equal(t, []graph.Relationship{{Source: "person:Ada", Target: "company:Acme", Type: "works_at", Properties: map[string]any{}}}, g.Relationships)

	for name, in := range map[string]string{
		"not json":      `{"type":`,
		"unknown type":  `{"type":"node"}`,
		"no name":       `{"type":"entity","entityType":"x"}`,
		"dangling":      `{"type":"relation","from":"a","to":"b","relationType":"r"}`,
		"twice":         `{"type":"entity","name":"a","entityType":"x"}` + "\n" + `{"type":"entity","name":"a","entityType":"x"}`,
		"relation half": `{"type":"relation","from":"a"}`,
	} {
		_, err := graph.ReadMemoryJSONL(strings.NewReader(in), "c")
		assert.Error(t, err, name)
	}
}
