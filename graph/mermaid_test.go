package graph

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
)

// hostileLabels are texts that broke, or could break, a Mermaid diagram or
// carry something into it.
var hostileLabels = []string{
	"`starts with a backtick",
	"ends with a backtick`",
	"``",
	`double "quotes" inside`,
	`"`,
	"single 'quotes'",
	`%%{init: {"theme":"dark","securityLevel":"loose"}}%%`,
	`%%{init: {'theme':'forest'}}%% after`,
	"%% a comment",
	"%%",
	"line one\nline two",
	"carriage\r\nreturn",
	"\n%%{init: {\"theme\":\"dark\"}}%%\n",
	"close ] bracket",
	"]) }} >] |]",
	"a --> b",
	"-->|EDGE| n0",
	`<script>alert(1)</script>`,
	`<img src=x onerror=alert(1)>`,
	"&lt;escaped&gt; &amp; #quot; #35; #lt;",
	"style n0 fill:#f00;",
	"classDef evil fill:#f00;",
	"click n0 call alert()",
	"n0 --> n1",
	"日本語 ラベル",
	"émoji 🎉 and RTL \u202eevil\u202c and ZW\u200bJ",
	"ﬂ°°60¶ß placeholder look-alike",
	"tab\there",
	"nul\x00byte",
	"back\\slash\\",
	"semi;colon: and colon",
	"{braces} (parens) [brackets]",
	"",
}

// hostileGraph is a client graph whose node labels, node types and
// relationship types are hostile texts.
func hostileGraph() ClientGraph {
	g := ClientGraph{ClientID: "c"}
	for i, l := range hostileLabels {
		typ := hostileLabels[(i+7)%len(hostileLabels)]
		g.Nodes = append(g.Nodes, StoredNode{Node: Node{ID: "x:" + strconv.Itoa(i), Type: typ, Label: l}})
		if i > 0 {
			g.Relationships = append(g.Relationships, StoredRelationship{Relationship: Relationship{
				Source: "x:" + strconv.Itoa(i-1), Target: "x:" + strconv.Itoa(i), Type: l}})
		}
	}
	// One edge to a node outside the graph is left out.
	g.Relationships = append(g.Relationships, StoredRelationship{Relationship: Relationship{
		Source: "x:0", Target: "elsewhere", Type: "HAS"}})
	return g
}

// TestMermaidEscapesLabels checks the text itself: inside every quoted
// string, none of the characters that end it, start Markdown, a directive, an
// entity or HTML, and one line per node and edge.
func TestMermaidEscapesLabels(t *testing.T) {
	t.Parallel()
	g := hostileGraph()
	out := Mermaid(g)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Equal(t, "flowchart LR", lines[0])
	assert.Len(t, lines, 1+len(g.Nodes)+len(g.Nodes)-1, "one line per node and per edge inside the graph")
	assert.NotContains(t, out, "%%")
	assert.NotContains(t, out, "`")
	assert.NotContains(t, out, "\r")
	assert.NotContains(t, out, "<script")
	entity := regexp.MustCompile(`#[0-9]+;`)
	for _, l := range lines[1:] {
		// What is between the outer quotes of a line is the escaped text.
		first, last := strings.Index(l, `"`), strings.LastIndex(l, `"`)
		if first < 0 {
			assert.Regexp(t, `^  n[0-9]+ --> n[0-9]+$`, l, "an edge without a type has no text")
			continue
		}
		require.Less(t, first, last, l)
		inner := strings.ReplaceAll(l[first+1:last], "<br/><small>", "")
		inner = strings.ReplaceAll(inner, "</small>", "")
		inner = entity.ReplaceAllString(inner, "")
		assert.NotContains(t, inner, `"`, l)
		assert.NotContains(t, inner, "<", l)
		assert.NotContains(t, inner, ":", l)
		assert.NotContains(t, inner, "#", l, "a # only in whole entities")
		assert.NotContains(t, inner, ";", l, "a ; only in whole entities")
	}
	assert.Equal(t, "a#96;b#34;c#37;#37;#123;#125;#10;d#60;#62;#38;#35;#58;#59;日本", mermaidText("a`b\"c%%{}\nd<>&#:;日本"))
	assert.Equal(t, "Plain label-1 (ok), a/b @x", mermaidText("Plain label-1 (ok), a/b @x"), "safe text unchanged")
}

// TestMermaidParsesWithMermaid parses the hostile graph's diagram with the npm
// mermaid package: one valid flowchart, no configuration from any label, every
// node and edge once, and each text rendering as the original.
func TestMermaidParsesWithMermaid(t *testing.T) {
	t.Parallel()
	g := hostileGraph()
	plain := ClientGraph{Nodes: []StoredNode{{Node: Node{ID: "a", Type: "task", Label: "Task A"}}}}
	res := testkit.MermaidParse(t, []string{Mermaid(g), Mermaid(plain), "flowchart LR\n  n0[\"`broken\"]\n"})

	require.False(t, res[2].OK, "the parser refuses a broken diagram (the check can fail)")
	require.True(t, res[1].OK, res[1].Error)

	r := res[0]
	require.True(t, r.OK, "mermaid.parse: %s", r.Error)
	assert.Equal(t, "flowchart-v2", r.DiagramType)
	assert.Empty(t, r.Config, "no label sets configuration")
	require.Len(t, r.Nodes, len(g.Nodes))
	for i, n := range r.Nodes {
		want := g.Nodes[i]
		assert.Equal(t, "n"+strconv.Itoa(i), n.ID)
		assert.Equal(t, want.Label+"<br><small>"+want.Type+"</small>", n.Text, "node %d renders as its label", i)
	}
	require.Len(t, r.Edges, len(g.Nodes)-1)
	for i, e := range r.Edges {
		assert.Equal(t, "n"+strconv.Itoa(i), e.Start)
		assert.Equal(t, "n"+strconv.Itoa(i+1), e.End)
		assert.Equal(t, g.Relationships[i].Type, e.Text, "edge %d renders as its type", i)
	}
}
