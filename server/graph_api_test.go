package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/internal/testkit/graphtest"
	"github.com/webhook-mcp/webhook-mcp/tools"
)

const reviewerToken = "reviewer-token-for-tests"

// largeGraphEnv is a server whose store holds a client graph of n nodes, and
// an initialised in-process MCP client.
func largeGraphEnv(t *testing.T, clientID string, n int) (*testEnv, *client.Client, graph.KnowledgeGraph) {
	t.Helper()
	cfg := testConfig()
	cfg.ApprovalToken = reviewerToken
	e := newTestEnv(t, cfg)
	g := graphtest.LargeGraph(clientID, n)
	require.NoError(t, e.store.MergeGraph(context.Background(), g, "wh-large", time.Now()))
	c, err := client.NewInProcessClient(e.srv.MCPServer())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, c.Start(ctx))
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "graph-test", Version: "1"}
	_, err = c.Initialize(ctx, init)
	require.NoError(t, err)
	return e, c, g
}

// getGraph GETs /api/clients/{id}/graph with the query and decodes the
// answer, which must have the status want.
func getGraph(t *testing.T, e *testEnv, clientID, query string, want int, out any) http.Header {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.http.URL+"/api/clients/"+url.PathEscape(clientID)+"/graph?"+query, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+reviewerToken)
	resp, err := e.http.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, want, resp.StatusCode, "%s", raw)
	if out != nil {
		require.NoError(t, json.Unmarshal(raw, out), "%s", raw)
	}
	return resp.Header
}

// readGraphResource reads one kg:// URI and decodes its JSON.
func readGraphResource(t *testing.T, c *client.Client, uri string) (graph.ClientGraph, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := c.ReadResource(ctx, mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: uri}})
	if err != nil {
		return graph.ClientGraph{}, err
	}
	require.Len(t, res.Contents, 1)
	text, ok := res.Contents[0].(mcp.TextResourceContents)
	require.True(t, ok)
	assert.Equal(t, uri, text.URI)
	assert.Equal(t, "application/json", text.MIMEType)
	var g graph.ClientGraph
	require.NoError(t, json.Unmarshal([]byte(text.Text), &g))
	return g, nil
}

// readPages reads pages with next until a page has no next_cursor, checking
// the page sizes; at most 100 pages.
func readPages(t *testing.T, total, size int, next func(cursor string) graph.ClientGraph) []graph.ClientGraph {
	t.Helper()
	var pages []graph.ClientGraph
	cursor := ""
	for range 100 {
		p := next(cursor)
		pages = append(pages, p)
		assert.Equal(t, total, p.NodeCount)
		if p.NextCursor == "" {
			assert.False(t, p.Truncated)
			break
		}
		assert.True(t, p.Truncated)
		require.Equal(t, size, len(p.Nodes), "every page but the last is full")
		cursor = p.NextCursor
	}
	require.Equal(t, (total+size-1)/size, len(pages), "pages")
	return pages
}

// TestLargeGraphWholeAndPaged reads a 5,000-node graph whole over HTTP, and
// page by page over HTTP, with the tool and with the resource: every node and
// relationship exactly once, each relationship with or after its endpoints.
func TestLargeGraphWholeAndPaged(t *testing.T) {
	t.Parallel()
	const n = 5000
	e, c, want := largeGraphEnv(t, "big-client", n)

	t.Run("HTTP whole", func(t *testing.T) {
		var g graph.ClientGraph
		getGraph(t, e, "big-client", "", http.StatusOK, &g)
		assert.Equal(t, n, len(g.Nodes), "nodes")
		assert.Equal(t, n, g.NodeCount)
		assert.False(t, g.Truncated)
		assert.Empty(t, g.NextCursor)
		graphtest.CheckPages(t, want, []graph.ClientGraph{g})
	})
	httpPages := func(query string) func(string) graph.ClientGraph {
		return func(cursor string) graph.ClientGraph {
			var g graph.ClientGraph
			getGraph(t, e, "big-client", query+"&cursor="+url.QueryEscape(cursor), http.StatusOK, &g)
			return g
		}
	}
	t.Run("HTTP limit=0 pages of the default size", func(t *testing.T) {
		graphtest.CheckPages(t, want, readPages(t, n, tools.DefaultGraphLimit, httpPages("limit=0")))
	})
	t.Run("HTTP limit=1000", func(t *testing.T) {
		graphtest.CheckPages(t, want, readPages(t, n, 1000, httpPages("limit=1000")))
	})
	toolPages := func(args map[string]any) func(string) graph.ClientGraph {
		return func(cursor string) graph.ClientGraph {
			a := map[string]any{"client_id": "big-client"}
			for k, v := range args {
				a[k] = v
			}
			if cursor != "" {
				a["cursor"] = cursor
			}
			var g graph.ClientGraph
			res := callTool(t, c, "get_client_knowledge_graph", a, &g)
			require.False(t, res.IsError, "%v", res.Content)
			return g
		}
	}
	t.Run("tool default pages", func(t *testing.T) {
		graphtest.CheckPages(t, want, readPages(t, n, tools.DefaultGraphLimit, toolPages(nil)))
	})
	t.Run("tool limit=0 is the default", func(t *testing.T) {
		graphtest.CheckPages(t, want, readPages(t, n, tools.DefaultGraphLimit, toolPages(map[string]any{"limit": 0})))
	})
	t.Run("tool limit=700", func(t *testing.T) {
		graphtest.CheckPages(t, want, readPages(t, n, 700, toolPages(map[string]any{"limit": 700})))
	})
	resourcePages := func(query string) func(string) graph.ClientGraph {
		return func(cursor string) graph.ClientGraph {
			uri := "kg://clients/big-client"
			switch {
			case cursor != "" && query != "":
				uri += "?cursor=" + url.QueryEscape(cursor) + "&" + query
			case cursor != "":
				uri += "?cursor=" + url.QueryEscape(cursor)
			case query != "":
				uri += "?" + query
			}
			g, err := readGraphResource(t, c, uri)
			require.NoError(t, err, uri)
			return g
		}
	}
	t.Run("resource default pages", func(t *testing.T) {
		graphtest.CheckPages(t, want, readPages(t, n, tools.DefaultGraphLimit, resourcePages("")))
	})
	t.Run("resource limit=0 is the default", func(t *testing.T) {
		graphtest.CheckPages(t, want, readPages(t, n, tools.DefaultGraphLimit, resourcePages("limit=0")))
	})
	t.Run("resource limit=1000", func(t *testing.T) {
		graphtest.CheckPages(t, want, readPages(t, n, 1000, resourcePages("limit=1000")))
	})
}

// TestClientGraphArgumentErrors checks that each interface refuses a cursor
// no page gave and limits out of range, naming the argument.
func TestClientGraphArgumentErrors(t *testing.T) {
	t.Parallel()
	e, c, _ := largeGraphEnv(t, "small", 10)

	for _, q := range []string{"limit=-1", "limit=1001", "limit=ten", "cursor=not-a-cursor", "cursor=" + graph.EncodeCursor("")[:2]} {
		var env api.Envelope
		getGraph(t, e, "small", q, http.StatusBadRequest, &env)
		require.NotNil(t, env.Error, q)
		assert.Equal(t, "invalid_argument", env.Error.Code, q)
	}
	var env api.Envelope
	getGraph(t, e, "small", "cursor=not-a-cursor", http.StatusBadRequest, &env)
	assert.Equal(t, []string{"cursor"}, env.Error.Fields)

	for _, args := range []map[string]any{{"limit": -1}, {"limit": 1001}, {"cursor": "%%%"}} {
		args["client_id"] = "small"
		res := callTool(t, c, "get_client_knowledge_graph", args, nil)
		assert.True(t, res.IsError, "%v", args)
	}

	for _, uri := range []string{"kg://clients/small?cursor=%25%25", "kg://clients/small?limit=1001",
		"kg://clients/small?limit=x", "kg://clients/small?after=task"} {
		_, err := readGraphResource(t, c, uri)
		assert.Error(t, err, uri)
	}
	g, err := readGraphResource(t, c, "kg://clients/small?limit=3")
	require.NoError(t, err)
	assert.Len(t, g.Nodes, 3)
	g2, err := readGraphResource(t, c, "kg://clients/small?limit=3&cursor="+g.NextCursor)
	require.NoError(t, err)
	require.NotEmpty(t, g2.Nodes)
	assert.Greater(t, g2.Nodes[0].ID, g.Nodes[2].ID, "the next page starts after the last node")
	unknown, err := readGraphResource(t, c, "kg://clients/"+url.PathEscape("no such client"))
	require.NoError(t, err)
	assert.Empty(t, unknown.Nodes)
}

// TestClientGraphMermaidPaging checks the Mermaid format pages like JSON, the
// next cursor in a header.
func TestClientGraphMermaidPaging(t *testing.T) {
	t.Parallel()
	e, _, _ := largeGraphEnv(t, "m", 10)
	var first graph.ClientGraph
	getGraph(t, e, "m", "limit=4", http.StatusOK, &first)
	h := getGraph(t, e, "m", "limit=4&format=mermaid", http.StatusOK, nil)
	assert.Equal(t, first.NextCursor, h.Get("X-Next-Cursor"))
	assert.Equal(t, "text/plain; charset=utf-8", h.Get("Content-Type"))
	h = getGraph(t, e, "m", "format=mermaid", http.StatusOK, nil)
	assert.Empty(t, h.Get("X-Next-Cursor"), "the whole graph has no next page")
}
