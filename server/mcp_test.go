package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

var toolNames = []string{"extract_client_knowledge_graph", "fetch", "get_approval_status", "get_client_knowledge_graph",
	"list_approvals", "list_webhook_events", "process_webhook_data", "search", "search_knowledge_graph",
	"send_webhook_response", "validate_webhook_signature"}

// callTool calls a tool and decodes its structured result into out.
func callTool(t *testing.T, c *client.Client, name string, args map[string]any, out any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := c.CallTool(ctx, req)
	require.NoError(t, err)
	if out != nil && !res.IsError {
		require.NotNil(t, res.StructuredContent, "tool %s returned no structured content", name)
		b, err := json.Marshal(res.StructuredContent)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, out))
		require.NotEmpty(t, res.Content, "text fallback missing")
		txt, ok := res.Content[0].(mcp.TextContent)
		require.True(t, ok)
		assert.JSONEq(t, string(b), txt.Text, "text fallback must be the same JSON")
	}
	return res
}

// exerciseTools lists the five tools and calls each over client c.
func exerciseTools(t *testing.T, c *client.Client, receiverURL string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	require.NoError(t, err)
	var names []string
	for _, tl := range list.Tools {
		names = append(names, tl.Name)
	}
	sort.Strings(names)
	assert.Equal(t, toolNames, names)

	var processed webhook.ProcessResult
	res := callTool(t, c, "process_webhook_data", map[string]any{
		"webhook_data": map[string]any{"client_id": "client-123", "action_id": "get_client_data",
			"task": map[string]any{"id": "task_123", "name": "Client Task Name", "description": "Task description"}},
	}, &processed)
	require.False(t, res.IsError, "%v", res.Content)
	assert.Equal(t, "client-123", processed.ClientID)
	assert.Equal(t, "mcp", processed.Source)
	assert.NotEmpty(t, processed.WebhookID)

	var kg graph.KnowledgeGraph
	res = callTool(t, c, "extract_client_knowledge_graph", map[string]any{
		"client_id": "client-9", "webhook_data": map[string]any{"task": map[string]any{"id": "t9", "name": "Nine"}},
	}, &kg)
	require.False(t, res.IsError, "%v", res.Content)
	assert.Equal(t, "client-9", kg.ClientID)
	assert.NotEmpty(t, kg.KnowledgeNodes)

	body := `{"client_id":"client-123"}`
	var sig struct {
		Valid  bool   `json:"valid"`
		Scheme string `json:"scheme"`
	}
	res = callTool(t, c, "validate_webhook_signature", map[string]any{"webhook_data": body,
		"signature": "sha256=" + testkit.SignHMAC([]byte("k"), []byte(body)), "secret_key": "k"}, &sig)
	require.False(t, res.IsError, "%v", res.Content)
	assert.True(t, sig.Valid)

	var pending struct {
		Status     string `json:"status"`
		ApprovalID string `json:"approval_id"`
	}
	res = callTool(t, c, "send_webhook_response", map[string]any{"response_url": receiverURL,
		"response_data": map[string]any{"ok": true}, "client_id": "client-123"}, &pending)
	require.False(t, res.IsError, "%v", res.Content)
	assert.Equal(t, "pending_approval", pending.Status)
	require.NotEmpty(t, pending.ApprovalID)

	var st struct {
		State string `json:"state"`
	}
	res = callTool(t, c, "get_approval_status", map[string]any{"approval_id": pending.ApprovalID}, &st)
	require.False(t, res.IsError, "%v", res.Content)
	assert.Equal(t, "pending", st.State)

	var found struct {
		Hits []graph.SearchHit `json:"hits"`
	}
	res = callTool(t, c, "search_knowledge_graph", map[string]any{"query": "client task", "client_id": "client-123"}, &found)
	require.False(t, res.IsError, "%v", res.Content)
	require.NotEmpty(t, found.Hits)
	assert.Equal(t, "task:task_123", found.Hits[0].Node.ID)

	var events struct {
		Events []webhook.InboxEvent `json:"events"`
	}
	res = callTool(t, c, "list_webhook_events", map[string]any{"kind": "tool", "limit": 10}, &events)
	require.False(t, res.IsError, "%v", res.Content)
	// Newest first; only calls with effects are recorded, read-only ones
	// (get_approval_status, search_knowledge_graph, this one) are not.
	var routes []string
	for _, ev := range events.Events {
		assert.Equal(t, webhook.KindTool, ev.Kind)
		assert.Equal(t, webhook.StateProcessed, ev.State)
		routes = append(routes, ev.Route)
	}
	assert.Equal(t, []string{"send_webhook_response", "extract_client_knowledge_graph", "process_webhook_data"}, routes)
	res = callTool(t, c, "list_webhook_events", map[string]any{"limit": 10}, &events)
	require.False(t, res.IsError, "%v", res.Content)
	assert.Empty(t, events.Events, "by default only webhooks are listed, and none came in")

	res = callTool(t, c, "process_webhook_data", map[string]any{"webhook_data": map[string]any{"task": map[string]any{"name": "x"}}}, nil)
	require.True(t, res.IsError)
	assert.Contains(t, res.Content[0].(mcp.TextContent).Text, "missing_fields")
}

func initialize(t *testing.T, c *client.Client) *mcp.InitializeResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Start's context lives as long as the client: SSE ties its stream to it.
	require.NoError(t, c.Start(context.Background()))
	req := mcp.InitializeRequest{}
	req.Params.ClientInfo = mcp.Implementation{Name: "webhook-mcp-test", Version: "1"}
	res, err := c.Initialize(ctx, req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return res
}

func newReceiver(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rcv.Close)
	return rcv, &hits
}

func TestMCPTransports(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		connect func(t *testing.T, e *testEnv) *client.Client
		version string
	}{
		{"in-process", func(t *testing.T, e *testEnv) *client.Client {
			c, err := client.NewInProcessClient(e.srv.MCPServer())
			require.NoError(t, err)
			return c
		}, ""},
		{"streamable-http-2026-07-28", func(t *testing.T, e *testEnv) *client.Client {
			tr, err := transport.NewStreamableHTTP(e.http.URL + "/mcp")
			require.NoError(t, err)
			return client.NewClient(tr, client.WithProtocolVersion(mcp.ProtocolVersion20260728))
		}, mcp.ProtocolVersion20260728},
		{"streamable-http-2025-11-25", func(t *testing.T, e *testEnv) *client.Client {
			tr, err := transport.NewStreamableHTTP(e.http.URL + "/mcp")
			require.NoError(t, err)
			return client.NewClient(tr, client.WithProtocolVersion(mcp.ProtocolVersion20251125))
		}, mcp.ProtocolVersion20251125},
		{"sse", func(t *testing.T, e *testEnv) *client.Client {
			c, err := client.NewSSEMCPClient(e.http.URL + "/sse")
			require.NoError(t, err)
			return c
		}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, testConfig())
			rcv, hits := newReceiver(t)
			c := tc.connect(t, e)
			res := initialize(t, c)
			if tc.version != "" {
				assert.Equal(t, tc.version, res.ProtocolVersion)
			}
			exerciseTools(t, c, rcv.URL)
			assert.Zero(t, hits.Load(), "nothing is sent before approval")
		})
	}
}

func TestMCPAuthToken(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.MCPAuthToken = "mcp-test-token"
	e := newTestEnv(t, cfg)
	for _, path := range []string{"/mcp", "/sse"} {
		resp, err := http.Post(e.http.URL+path, "application/json", nil)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, path)
		assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Bearer", path)
	}
	tr, err := transport.NewStreamableHTTP(e.http.URL+"/mcp",
		transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer mcp-test-token"}))
	require.NoError(t, err)
	c := client.NewClient(tr)
	initialize(t, c)
	_, err = c.ListTools(context.Background(), mcp.ListToolsRequest{})
	require.NoError(t, err)
}
