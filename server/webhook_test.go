package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
	"github.com/webhook-mcp/webhook-mcp/tools"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

const seedPath = "/api/webhook/make.com/chatgpt-clients"

func TestSeedCurlExample(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, testConfig())
	body := readFixture(t, "seed_example.json")
	resp, env := e.post(t, seedPath, body, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "processed", env.Status)
	assert.Equal(t, "client-123", env.ClientID)
	require.NotEmpty(t, env.WebhookID)

	var res webhook.ProcessResult
	require.NoError(t, json.Unmarshal(env.Result, &res))
	assert.Equal(t, env.WebhookID, res.WebhookID)
	assert.Equal(t, "client-123", res.ClientID)
	assert.Equal(t, "get_client_data", res.ActionID)
	assert.Equal(t, "make.com_chatgpt_clients", res.Source)
	assert.WithinDuration(t, time.Now(), res.Timestamp, time.Minute)
	kg := res.KnowledgeGraph
	assert.Equal(t, "client-123", kg.ClientID)
	assert.NotEmpty(t, kg.ExtractionID)
	ids := map[string]bool{}
	for _, n := range kg.KnowledgeNodes {
		ids[n.ID] = true
	}
	assert.True(t, ids["client:client-123"] && ids["task:task_123"], "nodes: %v", ids)
	assert.Contains(t, kg.Relationships, graph.Relationship{Source: "client:client-123", Target: "task:task_123",
		Type: "HAS_TASK", Properties: map[string]any{}})
}

func TestErrorTable(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.MaxBodyBytes = 2048
	cfg.TimeoutSeconds = 1
	cfg.MakeComWebhookSecret = []string{testSecret}
	e := newTestEnv(t, cfg, func(s *Server) {
		slow := tools.Define(tools.Spec{Name: "slow_action", Description: "sleeps past the deadline",
			Annotations: tools.ReadOnlyLocal()},
			func(ctx context.Context, _ tools.Invocation, _ struct{}) (struct{}, error) {
				<-ctx.Done()
				return struct{}{}, ctx.Err()
			})
		broken := tools.Define(tools.Spec{Name: "broken_action", Description: "fails inside",
			Annotations: tools.ReadOnlyLocal()},
			func(context.Context, tools.Invocation, struct{}) (struct{}, error) {
				return struct{}{}, assert.AnError
			})
		require.NoError(t, s.RegisterAction(slow))
		require.NoError(t, s.RegisterAction(broken))
		require.NoError(t, s.RegisterWebhookRoute("test/slow", "slow_action"))
		require.NoError(t, s.RegisterWebhookRoute("test/broken", "broken_action"))
	})
	sign := func(b []byte) map[string]string {
		return map[string]string{"X-Webhook-Signature": "sha256=" + testkit.SignHMAC([]byte(testSecret), b)}
	}
	good := []byte(`{"client_id":"client-1","task":{"id":"t1","name":"n"}}`)
	cases := []struct {
		name, method, path, ctype string
		body                      []byte
		headers                   map[string]string
		status                    int
		code                      string
		fields                    []string
	}{
		{"not json", "POST", seedPath, "application/json", []byte(`{"client_id":`), nil, 400, "invalid_payload", nil},
		{"not an object", "POST", seedPath, "application/json", []byte(`[1,2]`), nil, 400, "invalid_payload", nil},
		{"wrong types", "POST", seedPath, "application/json", []byte(`{"client_id":"c","task":"x"}`), nil, 400, "invalid_payload", nil},
		{"missing client_id", "POST", seedPath, "application/json", []byte(`{"task":{"name":"n"}}`), nil, 400, "missing_fields", []string{"client_id", "task.id"}},
		{"bad signature", "POST", seedPath, "application/json", good, map[string]string{"X-Webhook-Signature": "sha256=" + strings.Repeat("0", 64)}, 401, "invalid_signature", nil},
		{"no signature", "POST", seedPath, "application/json", good, map[string]string{}, 401, "invalid_signature", nil},
		{"unknown route", "POST", "/api/webhook/make.com/nope", "application/json", good, nil, 404, "unknown_route", nil},
		{"wrong method", "GET", seedPath, "", nil, nil, 405, "method_not_allowed", nil},
		{"too large", "POST", seedPath, "application/json", []byte(`{"client_id":"c","pad":"` + strings.Repeat("x", 4096) + `"}`), nil, 413, "payload_too_large", nil},
		{"not json media type", "POST", seedPath, "text/plain", good, nil, 415, "unsupported_media_type", nil},
		{"timeout", "POST", "/api/webhook/test/slow", "application/json", []byte(`{}`), nil, 408, "timeout", nil},
		{"processing error", "POST", "/api/webhook/test/broken", "application/json", []byte(`{}`), nil, 500, "processing_error", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			headers := tc.headers
			if headers == nil && tc.body != nil {
				headers = sign(tc.body)
			}
			req, err := http.NewRequest(tc.method, e.http.URL+tc.path, bytes.NewReader(tc.body))
			require.NoError(t, err)
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			for k, v := range headers {
				req.Header.Set(k, v)
			}
			resp, err := e.http.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			var env api.Envelope
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&env))
			assert.Equal(t, tc.status, resp.StatusCode)
			require.NotNil(t, env.Error)
			assert.Equal(t, "error", env.Status)
			assert.Equal(t, tc.code, env.Error.Code)
			assert.NotEmpty(t, env.WebhookID)
			if tc.fields != nil {
				assert.Equal(t, tc.fields, env.Error.Fields)
			}
			if tc.status == 405 {
				assert.Equal(t, "POST", resp.Header.Get("Allow"))
			}
			if tc.status == 500 {
				assert.NotContains(t, env.Error.Message, assert.AnError.Error(), "internal details stay in the log")
			}
		})
	}
	// Nothing rejected before processing was recorded as processed.
	evs, err := e.store.ListEvents(context.Background(), webhook.EventFilter{State: webhook.StateProcessed})
	require.NoError(t, err)
	assert.Empty(t, evs)
}
