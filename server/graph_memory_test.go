package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
)

// memoryGraph is what the memory server's read_graph tool answers.
type memoryGraph struct {
	Entities []struct {
		Name         string   `json:"name"`
		EntityType   string   `json:"entityType"`
		Observations []string `json:"observations"`
	} `json:"entities"`
	Relations []struct {
		From         string `json:"from"`
		To           string `json:"to"`
		RelationType string `json:"relationType"`
	} `json:"relations"`
}

// readMemoryServer starts the real memory server on file over stdio, calls
// its read_graph tool, then create_relations with a relation it holds
// already, which adds nothing but makes it write the file again (its
// saveGraph) in its own serialization.
func readMemoryServer(t *testing.T, file string) memoryGraph {
	t.Helper()
	node, script := testkit.MemoryServer(t)
	c, err := client.NewStdioMCPClient(node, []string{"MEMORY_FILE_PATH=" + file}, script)
	require.NoError(t, err)
	defer func() { _ = c.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "memory-round-trip", Version: "1"}
	_, err = c.Initialize(ctx, init)
	require.NoError(t, err)
	res, err := c.CallTool(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: "read_graph", Arguments: map[string]any{}}})
	require.NoError(t, err)
	require.False(t, res.IsError, "%v", res.Content)
	var text string
	for _, ct := range res.Content {
		if tc, ok := ct.(mcp.TextContent); ok {
			text += tc.Text
		}
	}
	var g memoryGraph
	require.NoError(t, json.Unmarshal([]byte(text), &g), text)
	require.NotEmpty(t, g.Relations)
	res, err = c.CallTool(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: "create_relations",
		Arguments: map[string]any{"relations": []any{g.Relations[0]}}}})
	require.NoError(t, err)
	require.False(t, res.IsError, "%v", res.Content)
	return g
}

// postImport POSTs a memory-jsonl body to the client's graph import.
func postImport(t *testing.T, e *testEnv, clientID, mode string, body []byte) graphImportResult {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.http.URL+"/api/clients/"+clientID+"/graph/import?format=memory-jsonl&mode="+mode, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+reviewerToken)
	req.Header.Set("Content-Type", memoryJSONLType)
	resp, err := e.http.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", raw)
	var out graphImportResult
	require.NoError(t, json.Unmarshal(raw, &out))
	return out
}

// edgeKeys are the (source, type, target) of a graph's relationships, sorted.
func edgeKeys(rels []graph.StoredRelationship) []string {
	keys := make([]string, 0, len(rels))
	for _, r := range rels {
		keys = append(keys, r.Source+" -"+r.Type+"-> "+r.Target)
	}
	sort.Strings(keys)
	return keys
}

// TestMemoryServerRoundTrip exports a client's graph as memory-jsonl, hands
// the file to the real reference memory server, checks that its read_graph
// answers every entity and relation, and imports the file the memory server
// wrote back (it saves the graph once more) into another client, which
// must then hold the same nodes and edges.
func TestMemoryServerRoundTrip(t *testing.T) {
	t.Parallel()
	e, c, g := largeGraphEnv(t, "acme", 60)
	resp := e.reviewerGet(t, "/api/clients/acme/graph?format=memory-jsonl")
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, memoryJSONLType, resp.Header.Get("Content-Type"))
	exported, err := io.ReadAll(resp.Body)
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rr, err := c.ReadResource(ctx, mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: "memory://knowledge-graph/acme"}})
	require.NoError(t, err)
	require.Len(t, rr.Contents, 1)
	assert.Equal(t, string(exported), rr.Contents[0].(mcp.TextResourceContents).Text, "the resource is the HTTP export")

	file := filepath.Join(t.TempDir(), "memory.jsonl")
	require.NoError(t, os.WriteFile(file, exported, 0o600))
	mem := readMemoryServer(t, file)

	stored, err := e.store.ClientGraph(ctx, graph.GraphQuery{ClientID: "acme"})
	require.NoError(t, err)
	require.Len(t, stored.Nodes, len(g.KnowledgeNodes))
	require.Len(t, mem.Entities, len(stored.Nodes), "every node is an entity")
	require.Len(t, mem.Relations, len(stored.Relationships), "every relationship is a relation")
	entities := map[string]string{}
	for _, en := range mem.Entities {
		entities[en.Name] = en.EntityType
	}
	for _, n := range stored.Nodes {
		assert.Equal(t, n.Type, entities[n.ID], "entity %s", n.ID)
	}
	var relKeys []string
	for _, r := range mem.Relations {
		relKeys = append(relKeys, r.From+" -"+r.RelationType+"-> "+r.To)
	}
	sort.Strings(relKeys)
	assert.Equal(t, edgeKeys(stored.Relationships), relKeys)

	back, err := os.ReadFile(file)
	require.NoError(t, err)
	require.NotEqual(t, exported, back, "the memory server wrote the file (without the final newline)")
	res := postImport(t, e, "acme-copy", "replace", back)
	assert.Equal(t, graphImportResult{ClientID: "acme-copy", Mode: "replace", NodeCount: len(stored.Nodes),
		RelationshipCount: len(stored.Relationships)}, res)
	copied, err := e.store.ClientGraph(ctx, graph.GraphQuery{ClientID: "acme-copy"})
	require.NoError(t, err)
	require.Len(t, copied.Nodes, len(stored.Nodes))
	for i, n := range stored.Nodes {
		assert.Equal(t, n.Node, copied.Nodes[i].Node, "node %s: id, type, label and properties", n.ID)
	}
	assert.Equal(t, edgeKeys(stored.Relationships), edgeKeys(copied.Relationships))
}

// TestGraphImportModes: merge adds to a client's graph, replace leaves only
// the file's; bad input is invalid_argument and leaves the graph alone.
func TestGraphImportModes(t *testing.T) {
	t.Parallel()
	e, _, g := largeGraphEnv(t, "acme", 10)
	file := []byte(`{"type":"entity","name":"Ada","entityType":"person","observations":["role: lead"]}` + "\n" +
		`{"type":"entity","name":"Acme","entityType":"company","observations":[]}` + "\n" +
		`{"type":"relation","from":"Ada","to":"Acme","relationType":"works_at"}` + "\n")
	ctx := context.Background()

	postImport(t, e, "acme", "merge", file)
	cg, err := e.store.ClientGraph(ctx, graph.GraphQuery{ClientID: "acme"})
	require.NoError(t, err)
	assert.Equal(t, len(g.KnowledgeNodes)+2, cg.NodeCount)

	for name, tc := range map[string]struct{ query, ctype, body string }{
		"bad mode":   {"format=memory-jsonl&mode=append", memoryJSONLType, string(file)},
		"bad format": {"format=csv", memoryJSONLType, string(file)},
		"bad body":   {"format=memory-jsonl&mode=replace", memoryJSONLType, `{"type":"relation","from":"x","to":"y","relationType":"r"}`},
		"form post":  {"format=memory-jsonl&mode=replace", "text/plain", string(file)},
	} {
		req, err := http.NewRequest(http.MethodPost, e.http.URL+"/api/clients/acme/graph/import?"+tc.query, bytes.NewReader([]byte(tc.body)))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+reviewerToken)
		req.Header.Set("Content-Type", tc.ctype)
		resp, err := e.http.Client().Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Contains(t, []int{http.StatusBadRequest, http.StatusUnsupportedMediaType}, resp.StatusCode, name)
	}
	req, err := http.NewRequest(http.MethodPost, e.http.URL+"/api/clients/acme/graph/import?format=memory-jsonl", bytes.NewReader(file))
	require.NoError(t, err)
	req.Header.Set("Content-Type", memoryJSONLType)
	resp, err := e.http.Client().Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "no reviewer token")

	postImport(t, e, "acme", "replace", file)
	cg, err = e.store.ClientGraph(ctx, graph.GraphQuery{ClientID: "acme"})
	require.NoError(t, err)
	assert.Equal(t, 2, cg.NodeCount, "only the file's nodes are left")
	assert.Equal(t, []string{"person:Ada -works_at-> company:Acme"}, edgeKeys(cg.Relationships))
}
