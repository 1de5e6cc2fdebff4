package server

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/tools"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

func countEvents(t *testing.T, e *testEnv, f webhook.EventFilter) int {
	t.Helper()
	f.Limit = 500
	evs, err := e.store.ListEvents(context.Background(), f)
	require.NoError(t, err)
	return len(evs)
}

func TestIdempotentRepeats(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, testConfig())
	t.Run("same webhook-id header", func(t *testing.T) {
		h := map[string]string{"webhook-id": "msg_2Lh9KM"}
		body := []byte(`{"client_id":"idem-1","task":{"id":"a"}}`)
		r1, env1 := e.post(t, seedPath, body, h)
		r2, env2 := e.post(t, seedPath, body, h)
		require.Equal(t, http.StatusOK, r1.StatusCode)
		require.Equal(t, http.StatusOK, r2.StatusCode)
		assert.Empty(t, r1.Header.Get("Idempotent-Replayed"))
		assert.Equal(t, "true", r2.Header.Get("Idempotent-Replayed"))
		assert.Equal(t, env1.WebhookID, env2.WebhookID)
		assert.Equal(t, string(env1.Result), string(env2.Result), "the first response, byte for byte")
		assert.Equal(t, 1, countEvents(t, e, webhook.EventFilter{ClientID: "idem-1"}))
	})
	t.Run("same key with another body is 422 and changes nothing", func(t *testing.T) {
		h := map[string]string{"Idempotency-Key": "key-reuse-1"}
		r1, env1 := e.post(t, seedPath, []byte(`{"client_id":"idem-4","task":{"id":"a","name":"First"}}`), h)
		require.Equal(t, http.StatusOK, r1.StatusCode)
		r2, env2 := e.post(t, seedPath, []byte(`{"client_id":"idem-4","task":{"id":"z","name":"Other"}}`), h)
		assert.Equal(t, http.StatusUnprocessableEntity, r2.StatusCode)
		assert.Equal(t, "idempotency_key_reused", env2.Error.Code)
		assert.NotEqual(t, env1.WebhookID, env2.WebhookID)
		assert.Equal(t, 1, countEvents(t, e, webhook.EventFilter{ClientID: "idem-4"}), "nothing processed")
		g, err := e.store.ClientGraph(context.Background(), graph.GraphQuery{ClientID: "idem-4"})
		require.NoError(t, err)
		for _, n := range g.Nodes {
			assert.NotEqual(t, "task:z", n.ID, "the second body was not merged")
		}
		r3, env3 := e.post(t, seedPath, []byte(`{"client_id":"idem-4","task":{"id":"a","name":"First"}}`), h)
		assert.Equal(t, http.StatusOK, r3.StatusCode, "the first result is untouched")
		assert.Equal(t, string(env1.Result), string(env3.Result))
	})
	t.Run("same body without a header", func(t *testing.T) {
		body := []byte(`{"client_id":"idem-2","task":{"id":"b","name":"B"}}`)
		r1, env1 := e.post(t, seedPath, body, nil)
		r2, env2 := e.post(t, seedPath, body, nil)
		require.Equal(t, http.StatusOK, r1.StatusCode)
		require.Equal(t, http.StatusOK, r2.StatusCode)
		assert.Equal(t, "true", r2.Header.Get("Idempotent-Replayed"))
		assert.Equal(t, env1.WebhookID, env2.WebhookID)
		assert.Equal(t, 1, countEvents(t, e, webhook.EventFilter{ClientID: "idem-2"}))
		g, err := e.store.ClientGraph(context.Background(), graph.GraphQuery{ClientID: "idem-2"})
		require.NoError(t, err)
		for _, n := range g.Nodes {
			assert.Equal(t, []string{env1.WebhookID}, n.WebhookIDs, "merged once")
		}
	})
	t.Run("a repeated mistake gets the same error", func(t *testing.T) {
		body := []byte(`{"task":{"id":"c"}}`)
		r1, env1 := e.post(t, seedPath, body, nil)
		r2, env2 := e.post(t, seedPath, body, nil)
		assert.Equal(t, http.StatusBadRequest, r1.StatusCode)
		assert.Equal(t, http.StatusBadRequest, r2.StatusCode)
		assert.Equal(t, "true", r2.Header.Get("Idempotent-Replayed"))
		assert.Equal(t, "missing_fields", env2.Error.Code)
		assert.Equal(t, []string{"client_id"}, env2.Error.Fields)
		assert.Equal(t, env1, env2, "the replayed error equals the first, fields included")
	})
}

func TestRepeatWhileInProgressIs409(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	e := newTestEnv(t, testConfig(), func(s *Server) {
		a := tools.Define(tools.Spec{Name: "blocking", Description: "waits for the test",
			Annotations: tools.WriteLocalIdempotent()},
			func(ctx context.Context, _ tools.Invocation, _ struct{}) (map[string]bool, error) {
				started <- struct{}{}
				select {
				case <-release:
				case <-ctx.Done():
				}
				return map[string]bool{"done": true}, nil
			})
		require.NoError(t, s.RegisterAction(a))
		require.NoError(t, s.RegisterWebhookRoute("test/blocking", "blocking"))
	})
	body := []byte(`{"client_id":"c-409"}`)
	var wg sync.WaitGroup
	var first *http.Response
	var firstEnv api.Envelope
	wg.Add(1)
	go func() { defer wg.Done(); first, firstEnv = e.post(t, "/api/webhook/test/blocking", body, nil) }()
	<-started
	resp, env := e.post(t, "/api/webhook/test/blocking", body, nil)
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	assert.Equal(t, "in_progress", env.Error.Code)
	close(release)
	wg.Wait()
	assert.Equal(t, http.StatusOK, first.StatusCode)
	assert.Equal(t, firstEnv.WebhookID, env.WebhookID, "the 409 names the request in progress")
	assert.Equal(t, 1, countEvents(t, e, webhook.EventFilter{ClientID: "c-409"}))
}

func TestShuttingDownIs503(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, testConfig())
	e.srv.draining.Store(true)
	resp, env := e.post(t, seedPath, []byte(`{"client_id":"late"}`), nil)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "shutting_down", env.Error.Code)
	assert.Zero(t, countEvents(t, e, webhook.EventFilter{ClientID: "late"}), "nothing recorded")
}

// TestGraphsMergeAndViewsAgree posts two webhooks for one client and compares
// the tool, the MCP resource and the HTTP route.
func TestGraphsMergeAndViewsAgree(t *testing.T) {
	t.Parallel()
	e := newDrivenEnv(t, testConfig())
	c, err := client.NewInProcessClient(e.srv.MCPServer())
	require.NoError(t, err)
	initialize(t, c)

	first := []byte(`{"client_id":"merge-1","task":{"id":"t1","name":"First","status":"open"}}`)
	_, env1 := e.post(t, seedPath, first, nil)
	var g1 graph.ClientGraph
	callTool(t, c, "get_client_knowledge_graph", map[string]any{"client_id": "merge-1"}, &g1)
	e.clock.Advance(time.Second)
	second := []byte(`{"client_id":"merge-1","task":{"id":"t2","name":"Second","status":"open"}}`)
	_, env2 := e.post(t, seedPath, second, nil)
	var g2 graph.ClientGraph
	callTool(t, c, "get_client_knowledge_graph", map[string]any{"client_id": "merge-1"}, &g2)

	ids1 := map[string]graph.StoredNode{}
	for _, n := range g1.Nodes {
		ids1[n.ID] = n
	}
	newIDs := 0
	for _, n := range g2.Nodes {
		old, existed := ids1[n.ID]
		if !existed {
			newIDs++
			continue
		}
		assert.Equal(t, old.FirstSeen, n.FirstSeen, n.ID)
		if n.ID == "client:merge-1" {
			assert.True(t, n.LastSeen.After(old.LastSeen), "last_seen moves")
			assert.Equal(t, []string{env1.WebhookID, env2.WebhookID}, n.WebhookIDs)
		}
	}
	assert.Equal(t, len(g1.Nodes)+newIDs, len(g2.Nodes), "grows only by new ids")
	assert.Equal(t, 1, newIDs, "only task:t2 is new (client and status are shared)")

	res, err := c.ReadResource(context.Background(), mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: "kg://clients/merge-1"}})
	require.NoError(t, err)
	require.Len(t, res.Contents, 1)
	var fromResource graph.ClientGraph
	require.NoError(t, json.Unmarshal([]byte(res.Contents[0].(mcp.TextResourceContents).Text), &fromResource))

	resp := e.reviewerGet(t, "/api/clients/merge-1/graph")
	defer resp.Body.Close()
	var fromHTTP graph.ClientGraph
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&fromHTTP))
	want, _ := json.Marshal(g2)
	got1, _ := json.Marshal(fromResource)
	got2, _ := json.Marshal(fromHTTP)
	assert.JSONEq(t, string(want), string(got1))
	assert.JSONEq(t, string(want), string(got2))

	mresp := e.reviewerGet(t, "/api/clients/merge-1/graph?format=mermaid")
	defer mresp.Body.Close()
	buf := make([]byte, 4096)
	n, _ := mresp.Body.Read(buf)
	assert.Contains(t, string(buf[:n]), "flowchart LR")
	assert.Contains(t, string(buf[:n]), "HAS_TASK")
}
