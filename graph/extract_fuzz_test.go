package graph

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/webhook-mcp/webhook-mcp/internal/testkit"

	"github.com/stretchr/testify/require"
)

// FuzzExtract feeds arbitrary JSON objects to Extract: it must not panic, every
// relationship must join two nodes of the graph, and the same input must give
// the same graph.
func FuzzExtract(f *testing.F) {
	f.Add(testkit.Fixture(f, "seed_example.json"))
	f.Add(testkit.Fixture(f, "clickup_task_full.json"))
	for _, p := range testkit.Payloads {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var a, b map[string]any
		if json.Unmarshal(raw, &a) != nil || a == nil {
			t.Skip("not a JSON object")
		}
		if err := json.Unmarshal(raw, &b); err != nil {
			t.Fatalf("second decoding: %v", err)
		}
		for _, details := range []bool{true, false} {
			g1 := Extract(a, testOpts(details))
			checkGraphInvariants(t, g1)
			g2 := Extract(b, testOpts(details))
			if j1, j2 := stableJSON(t, g1), stableJSON(t, g2); !bytes.Equal(j1, j2) {
				t.Fatalf("same input, different graphs:\n%s\n%s", j1, j2)
			}
		}
	})
}

// stableJSON encodes g without the fields that change between extractions.
func stableJSON(tb testing.TB, g KnowledgeGraph) []byte {
	tb.Helper()
	g.ExtractionID = ""
	g.Metadata.ExtractedAt = time.Time{}
	b, err := json.MarshalIndent(g, "", "  ")
	require.NoError(tb, err)
	return b
}

// checkGraphInvariants asserts what every extracted graph guarantees.
func checkGraphInvariants(tb testing.TB, g KnowledgeGraph) {
	tb.Helper()
	ids := make(map[string]bool, len(g.KnowledgeNodes))
	types := map[string]int{}
	for _, n := range g.KnowledgeNodes {
		if ids[n.ID] {
			tb.Errorf("duplicate node id %q", n.ID)
		}
		ids[n.ID] = true
		types[n.Type]++
		if !strings.HasPrefix(n.ID, n.Type+":") {
			tb.Errorf("node id %q does not start with its type %q", n.ID, n.Type)
		}
		if n.Properties == nil {
			tb.Errorf("node %q has nil properties", n.ID)
		}
	}
	edges := make(map[[3]string]bool, len(g.Relationships))
	for _, r := range g.Relationships {
		if !ids[r.Source] || !ids[r.Target] {
			tb.Errorf("relationship %s -%s-> %s has an endpoint that is not a node", r.Source, r.Type, r.Target)
		}
		k := [3]string{r.Source, r.Type, r.Target}
		if edges[k] {
			tb.Errorf("duplicate relationship %v", k)
		}
		edges[k] = true
		if r.Properties == nil {
			tb.Errorf("relationship %v has nil properties", k)
		}
	}
	if g.Metadata.NodeCount != len(g.KnowledgeNodes) || g.Metadata.RelationshipCount != len(g.Relationships) {
		tb.Errorf("metadata counts %d/%d, graph has %d/%d", g.Metadata.NodeCount, g.Metadata.RelationshipCount,
			len(g.KnowledgeNodes), len(g.Relationships))
	}
	if len(types) != len(g.Metadata.NodeTypes) {
		tb.Errorf("metadata node types %v, graph has %v", g.Metadata.NodeTypes, types)
	}
	for typ, n := range types {
		if g.Metadata.NodeTypes[typ] != n {
			tb.Errorf("metadata node_types[%s] = %d, graph has %d", typ, g.Metadata.NodeTypes[typ], n)
		}
	}
	if len(g.KnowledgeNodes) == 0 || g.KnowledgeNodes[0].ID != "client:"+g.ClientID {
		tb.Errorf("first node is not the client %q", g.ClientID)
	}
}
