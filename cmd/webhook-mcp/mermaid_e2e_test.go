package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
)

// hostileTask is a webhook whose task name, status, tags, assignee, custom
// field and an object key (which becomes a node type and an edge type) try to
// break a Mermaid diagram or smuggle a directive or HTML into it.
const hostileTask = `{"client_id":"evil-client","task":{"id":"t1",
 "name":"` + "`" + `%%{init: {\"theme\":\"dark\",\"securityLevel\":\"loose\"}}%% <script>alert(1)</script>\n]-->x",
 "status":{"status":"\"quoted\" ] --> n0","color":"#f00"},
 "tags":[{"name":"` + "`tick" + `"},{"name":"%%"}],
 "assignees":[{"id":1,"username":"日本 \u202e bidi | pipe"}],
 "custom_fields":[{"id":"f1","name":"style n0 fill:#f00;","type":"text","value":"x"}]},
 "weird` + "`" + `key]":[{"id":"w1","name":"click n0 call alert()"}]}`

// TestMermaidHostileLabelsThroughBinary posts a webhook with hostile labels to
// the built binary and parses its Mermaid graph with the npm mermaid package:
// one valid flowchart, no configuration from any label, every node once, each
// label rendering as the text it came from.
func TestMermaidHostileLabelsThroughBinary(t *testing.T) {
	t.Parallel()
	const token = "e2e-reviewer-token"
	_, base, stderr := startServe(t, []string{"DATA_DIR=" + t.TempDir(), "APPROVAL_TOKEN=" + token})
	resp, err := http.Post(base+"/api/webhook/make.com/chatgpt-clients", "application/json", strings.NewReader(hostileTask))
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s\n%s", raw, stderr.String())

	get := func(query string) []byte {
		req, err := http.NewRequest(http.MethodGet, base+"/api/clients/evil-client/graph"+query, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
		return b
	}
	var g graph.ClientGraph
	require.NoError(t, json.Unmarshal(get(""), &g))
	diagram := string(get("?format=mermaid"))
	require.GreaterOrEqual(t, len(g.Nodes), 7, "client, task, status, 2 tags, person, field, weird node")

	res := testkit.MermaidParse(t, []string{diagram})[0]
	require.True(t, res.OK, "mermaid.parse: %s\n%s", res.Error, diagram)
	assert.Equal(t, "flowchart-v2", res.DiagramType)
	assert.Empty(t, res.Config, "no label sets configuration")
	require.Len(t, res.Nodes, len(g.Nodes), diagram)
	for i, n := range g.Nodes {
		assert.Equal(t, n.Label+"<br><small>"+n.Type+"</small>", res.Nodes[i].Text, "node %s", n.ID)
	}
	assert.Len(t, res.Edges, len(g.Relationships))
}
