// Package graphtest holds the knowledge-graph test helpers that several
// packages share: a large graph and a check of its pages. It is apart from
// testkit because the graph package's own tests import testkit. Only tests
// import it.
package graphtest

import (
	"fmt"
	"testing"

	"github.com/webhook-mcp/webhook-mcp/graph"
)

// LargeGraph returns a knowledge graph of one client with n nodes (n >= 1):
// the client node and n-1 nodes that are tasks and persons in turn, with
// edges that point both ways in node id order (client → every node;
// task:i → person:i-1; person:i → task:i-1) and one self-loop (task:2), so
// that paging has edges whose later endpoint is the source and others whose
// later endpoint is the target.
func LargeGraph(clientID string, n int) graph.KnowledgeGraph {
	g := graph.KnowledgeGraph{ClientID: clientID}
	cid := "client:" + clientID
	g.KnowledgeNodes = append(g.KnowledgeNodes, graph.Node{ID: cid, Type: "client", Label: clientID,
		Properties: map[string]any{}})
	id := func(i int) string {
		if i%2 == 0 {
			return fmt.Sprintf("task:%06d", i)
		}
		return fmt.Sprintf("person:%06d", i)
	}
	for i := 1; i < n; i++ {
		typ := "person"
		if i%2 == 0 {
			typ = "task"
		}
		g.KnowledgeNodes = append(g.KnowledgeNodes, graph.Node{ID: id(i), Type: typ,
			Label: fmt.Sprintf("%s %d", typ, i), Properties: map[string]any{"index": i}})
		g.Relationships = append(g.Relationships, graph.Relationship{Source: cid, Target: id(i),
			Type: "HAS_" + typ, Properties: map[string]any{}})
		if i > 1 {
			g.Relationships = append(g.Relationships, graph.Relationship{Source: id(i), Target: id(i - 1),
				Type: "LINKED_TO", Properties: map[string]any{"i": i}})
		}
		if i == 2 {
			g.Relationships = append(g.Relationships, graph.Relationship{Source: id(i), Target: id(i),
				Type: "SAME_AS", Properties: map[string]any{}})
		}
	}
	return g
}

// CheckPages reports, as test errors, how pages read one after another differ
// from the whole graph want: every node and relationship of want exactly once,
// nothing else, and no relationship on a page before both its endpoints (on
// that page or an earlier one).
func CheckPages(tb testing.TB, want graph.KnowledgeGraph, pages []graph.ClientGraph) {
	tb.Helper()
	wantNodes := make(map[string]bool, len(want.KnowledgeNodes))
	for _, n := range want.KnowledgeNodes {
		wantNodes[n.ID] = true
	}
	relKey := func(r graph.Relationship) string { return r.Source + " -" + r.Type + "-> " + r.Target }
	wantRels := make(map[string]bool, len(want.Relationships))
	for _, r := range want.Relationships {
		wantRels[relKey(r)] = true
	}
	seenNodes := map[string]int{}
	seenRels := map[string]int{}
	for i, p := range pages {
		for _, n := range p.Nodes {
			seenNodes[n.ID]++
		}
		for _, r := range p.Relationships {
			k := relKey(r.Relationship)
			seenRels[k]++
			if seenNodes[r.Source] == 0 || seenNodes[r.Target] == 0 {
				tb.Errorf("page %d: relationship %s comes before one of its endpoints", i, k)
			}
		}
	}
	check := func(what string, want map[string]bool, seen map[string]int) {
		missing, extra, repeated := 0, 0, 0
		for k := range want {
			if seen[k] == 0 {
				if missing++; missing <= 3 {
					tb.Errorf("%s %s is on no page", what, k)
				}
			}
		}
		for k, c := range seen {
			switch {
			case !want[k]:
				if extra++; extra <= 3 {
					tb.Errorf("%s %s is not in the graph", what, k)
				}
			case c > 1:
				if repeated++; repeated <= 3 {
					tb.Errorf("%s %s is on %d pages", what, k, c)
				}
			}
		}
		if missing+extra+repeated > 0 {
			tb.Errorf("%ss: %d missing, %d extra, %d repeated of %d", what, missing, extra, repeated, len(want))
		}
	}
	check("node", wantNodes, seenNodes)
	check("relationship", wantRels, seenRels)
}
