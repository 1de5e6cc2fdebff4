package server

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// TestIdempotencyWindows: each kind of key has its own window. A body hash is
// remembered for IDEMPOTENCY_BODY_WINDOW only, an Idempotency-Key for
// IDEMPOTENCY_WINDOW, and a signed Standard Webhooks id at least for
// WEBHOOK_TOLERANCE whatever IDEMPOTENCY_WINDOW says.
func TestIdempotencyWindows(t *testing.T) {
	t.Parallel()
	t.Run("the same body after the body window runs again", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig()
		cfg.IdempotencyBodyWindow = time.Nanosecond // every repeat comes after it
		e := newTestEnv(t, cfg)
		body := []byte(`{"client_id":"win-1","task":{"id":"a","status":"open"}}`)
		r1, env1 := e.post(t, seedPath, body, nil)
		r2, env2 := e.post(t, seedPath, body, nil)
		require.Equal(t, http.StatusOK, r1.StatusCode)
		require.Equal(t, http.StatusOK, r2.StatusCode)
		assert.Empty(t, r2.Header.Get("Idempotent-Replayed"))
		assert.NotEqual(t, env1.WebhookID, env2.WebhookID)
		assert.Equal(t, 2, countEvents(t, e, webhook.EventFilter{ClientID: "win-1"}))

		h := map[string]string{"Idempotency-Key": "win-1-key"}
		body = []byte(`{"client_id":"win-1","task":{"id":"b"}}`)
		_, env3 := e.post(t, seedPath, body, h)
		r4, env4 := e.post(t, seedPath, body, h)
		assert.Equal(t, "true", r4.Header.Get("Idempotent-Replayed"), "a key keeps IDEMPOTENCY_WINDOW")
		assert.Equal(t, env3.WebhookID, env4.WebhookID)
	})
	t.Run("a signed webhook id is kept for the tolerance with IDEMPOTENCY_WINDOW=0", func(t *testing.T) {
		t.Parallel()
		secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("replay-test-secret"))
		cfg := testConfig()
		cfg.IdempotencyWindow = 0
		cfg.WebhookTolerance = 5 * time.Minute
		cfg.MakeComWebhookSecret = []string{secret}
		e := newTestEnv(t, cfg)
		key, err := webhook.DecodeSecret(secret)
		require.NoError(t, err)
		body := []byte(`{"client_id":"win-2","task":{"id":"a"}}`)
		now := time.Now()
		h := map[string]string{"webhook-id": "msg_replay", "webhook-timestamp": strconv.FormatInt(now.Unix(), 10),
			"webhook-signature": webhook.SignStandard(key, "msg_replay", now, body)}
		r1, env1 := e.post(t, seedPath, body, h)
		require.Equal(t, http.StatusOK, r1.StatusCode, "%+v", env1)
		h["Idempotency-Key"] = "fresh-key" // the replay's only change
		r2, env2 := e.post(t, seedPath, body, h)
		require.Equal(t, http.StatusOK, r2.StatusCode)
		assert.Equal(t, "true", r2.Header.Get("Idempotent-Replayed"), "the replayed id is not processed again")
		assert.Equal(t, env1.WebhookID, env2.WebhookID)
		assert.Equal(t, 1, countEvents(t, e, webhook.EventFilter{ClientID: "win-2"}))
	})
}

// TestBigNumericClientIDsKeepSeparateGraphs: numeric ids keep every digit
// (above 2^53 a float64 would merge these two clients).
func TestBigNumericClientIDsKeepSeparateGraphs(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, testConfig())
	for _, id := range []string{"9007199254740993", "9007199254740992"} {
		resp, env := e.post(t, seedPath, []byte(`{"client_id":`+id+`,"task":{"id":"t-`+id+`","name":"N"}}`), nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%+v", env)
		assert.Equal(t, id, env.ClientID)
		assert.Contains(t, string(env.Result), `"client_id":`+id+`,`, "the payload is echoed exactly")
	}
	for _, id := range []string{"9007199254740993", "9007199254740992"} {
		g, err := e.store.ClientGraph(context.Background(), graph.GraphQuery{ClientID: id})
		require.NoError(t, err)
		var tasks []string
		for _, n := range g.Nodes {
			if n.Type == "task" {
				tasks = append(tasks, n.ID)
			}
		}
		assert.Equal(t, []string{"task:t-" + id}, tasks, "client %s has only its own task", id)
		assert.Equal(t, 1, countEvents(t, e, webhook.EventFilter{ClientID: id}))
	}
}

// TestReadsDoNotWrite: read-only tool calls leave the inbox alone; the event
// list shows the webhooks by default.
func TestReadsDoNotWrite(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, testConfig())
	c, err := client.NewInProcessClient(e.srv.MCPServer())
	require.NoError(t, err)
	initialize(t, c)
	resp, _ := e.post(t, seedPath, []byte(`{"client_id":"polls","task":{"id":"p1"}}`), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var pending struct {
		ApprovalID string `json:"approval_id"`
	}
	res := callTool(t, c, "send_webhook_response", map[string]any{"response_url": "http://127.0.0.1:9/hook",
		"response_data": map[string]any{"ok": true}, "client_id": "polls"}, &pending)
	require.False(t, res.IsError, "%v", res.Content)
	for range 50 {
		res = callTool(t, c, "get_approval_status", map[string]any{"approval_id": pending.ApprovalID}, nil)
		require.False(t, res.IsError, "%v", res.Content)
	}
	var events struct {
		Events []webhook.InboxEvent `json:"events"`
	}
	callTool(t, c, "list_webhook_events", map[string]any{}, &events)
	require.Len(t, events.Events, 1, "only the webhook")
	assert.Equal(t, webhook.KindWebhook, events.Events[0].Kind)
	callTool(t, c, "list_webhook_events", map[string]any{"kind": "tool"}, &events)
	require.Len(t, events.Events, 1, "only the call with an effect")
	assert.Equal(t, "send_webhook_response", events.Events[0].Route)
	callTool(t, c, "list_webhook_events", map[string]any{"kind": "all"}, &events)
	assert.Len(t, events.Events, 2)
	assert.Equal(t, 2, countEvents(t, e, webhook.EventFilter{}), "50 polls wrote nothing")
}

// TestUnknownToolArgumentIsRefused: arguments outside the schema are a tool
// error naming the argument, not silently dropped.
func TestUnknownToolArgumentIsRefused(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, testConfig())
	c, err := client.NewInProcessClient(e.srv.MCPServer())
	require.NoError(t, err)
	initialize(t, c)
	res := callTool(t, c, "list_webhook_events", map[string]any{"clientid": "typo"}, nil)
	require.True(t, res.IsError)
	assert.Contains(t, toolText(res), "invalid_argument")
	assert.Contains(t, toolText(res), "clientid")
}

// toolText is the text of a tool result's first content item.
func toolText(res *mcp.CallToolResult) string {
	if len(res.Content) == 0 {
		return ""
	}
	tc, _ := res.Content[0].(mcp.TextContent)
	return tc.Text
}

// TestRequireTimestampRefusesBodyOnlySignatures: with
// WEBHOOK_REQUIRE_TIMESTAMP an HMAC of the body alone (replayable as it is) is
// refused, and a Standard Webhooks signature is accepted.
func TestRequireTimestampRefusesBodyOnlySignatures(t *testing.T) {
	t.Parallel()
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("timestamp-secret"))
	cfg := testConfig()
	cfg.MakeComWebhookSecret = []string{secret}
	cfg.WebhookRequireTimestamp = true
	e := newTestEnv(t, cfg)
	body := []byte(`{"client_id":"ts-1","task":{"id":"a"}}`)
	resp, env := e.post(t, seedPath, body, map[string]string{"X-Webhook-Signature": testkit.SignHMAC([]byte(secret), body)})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "invalid_signature", env.Error.Code)
	assert.Zero(t, countEvents(t, e, webhook.EventFilter{ClientID: "ts-1"}))
	key, err := webhook.DecodeSecret(secret)
	require.NoError(t, err)
	now := time.Now()
	resp, env = e.post(t, seedPath, body, map[string]string{"webhook-id": "msg_ts", "webhook-timestamp": strconv.FormatInt(now.Unix(), 10),
		"webhook-signature": webhook.SignStandard(key, "msg_ts", now, body)})
	assert.Equal(t, http.StatusOK, resp.StatusCode, "%+v", env)
}
