package server

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/tools"
)

// person answers elicitations the way a person in the client would.
type person struct {
	mu       sync.Mutex
	action   mcp.ElicitationResponseAction
	confirm  bool
	reason   string
	messages []string
}

func (p *person) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.messages = append(p.messages, req.Params.Message)
	res := &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: p.action}}
	if p.action == mcp.ElicitationResponseActionAccept {
		res.Content = map[string]any{"confirm": p.confirm, "reason": p.reason}
	}
	return res, nil
}

func (p *person) answer(action mcp.ElicitationResponseAction, confirm bool, reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.action, p.confirm, p.reason = action, confirm, reason
}

func (p *person) asked() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.messages...)
}

func elicitingClient(t *testing.T, e *testEnv, kind, version string, h client.ElicitationHandler) *client.Client {
	t.Helper()
	opts := []client.ClientOption{client.WithProtocolVersion(version)}
	if h != nil {
		opts = append(opts, client.WithElicitationHandler(h))
	}
	if kind == "in-process" {
		c, err := client.NewInProcessClientWithOptions(e.srv.MCPServer(), opts...)
		require.NoError(t, err)
		return c
	}
	tr, err := transport.NewStreamableHTTP(e.http.URL + "/mcp")
	require.NoError(t, err)
	return client.NewClient(tr, opts...)
}

// sendForApproval calls send_webhook_response and decodes its result.
func sendForApproval(t *testing.T, c *client.Client, url string, data map[string]any) tools.PendingApproval {
	t.Helper()
	var out tools.PendingApproval
	res := callTool(t, c, "send_webhook_response", map[string]any{"response_url": url, "response_data": data,
		"response_type": "client_update", "client_id": "client-123"}, &out)
	require.False(t, res.IsError, "%v", res.Content)
	return out
}

func TestElicitationDecidesInTheClient(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"in-process", "streamable-http"} {
		for _, version := range []string{mcp.ProtocolVersion20260728, mcp.ProtocolVersion20251125} {
			t.Run(kind+"-"+version, func(t *testing.T) {
				t.Parallel()
				cfg := testConfig()
				cfg.ApprovalElicitation = true
				e := newTestEnv(t, cfg)
				rec := &recorder{}
				rcv := httptest.NewServer(rec)
				t.Cleanup(rcv.Close)
				p := &person{}
				c := elicitingClient(t, e, kind, version, p)
				res := initialize(t, c)
				require.Equal(t, version, res.ProtocolVersion)

				// accept + confirm: approved by the client, delivered once.
				p.answer(mcp.ElicitationResponseActionAccept, true, "checked with the client")
				data := map[string]any{"client_id": "client-123", "summary": "done"}
				out := sendForApproval(t, c, rcv.URL, data)
				assert.Equal(t, "approved", out.Status)
				st := waitState(t, c, out.ApprovalID, "delivered")
				assert.Equal(t, "mcp-client:webhook-mcp-test", st.DecidedBy)
				assert.Equal(t, "checked with the client", st.Reason)
				require.Len(t, st.Events, 4, "pending, approved, delivering, delivered")
				assert.Equal(t, "pending", st.Events[0].To, "the record exists before the question")
				require.Len(t, rec.received(), 1)
				var sent map[string]any
				require.NoError(t, json.Unmarshal(rec.received()[0], &sent))
				assert.Equal(t, data, sent)
				asked := p.asked()
				require.Len(t, asked, 1)
				assert.Contains(t, asked[0], rcv.URL, "the prompt says where")
				assert.Contains(t, asked[0], `"summary": "done"`, "the prompt says what")

				for _, tc := range []struct {
					action  mcp.ElicitationResponseAction
					confirm bool
					reason  string
					want    string
				}{
					{mcp.ElicitationResponseActionDecline, false, "", "declined in the client"},
					{mcp.ElicitationResponseActionCancel, false, "", "cancelled in the client"},
					{mcp.ElicitationResponseActionAccept, false, "wrong recipient", "wrong recipient"},
				} {
					p.answer(tc.action, tc.confirm, tc.reason)
					out := sendForApproval(t, c, rcv.URL, map[string]any{"n": string(tc.action)})
					assert.Equal(t, "rejected", out.Status, tc.action)
					st := waitState(t, c, out.ApprovalID, "rejected")
					assert.Equal(t, "mcp-client:webhook-mcp-test", st.DecidedBy)
					assert.Equal(t, tc.want, st.Reason)
				}
				e.srv.Approvals().Kick()
				time.Sleep(50 * time.Millisecond)
				assert.Len(t, rec.received(), 1, "nothing rejected is sent")
			})
		}
	}
}

func TestElicitationFallsBackToPending(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		enabled bool
		handler bool
		version string
	}{
		{"client without elicitation 2026-07-28", true, false, mcp.ProtocolVersion20260728},
		{"client without elicitation 2025-11-25", true, false, mcp.ProtocolVersion20251125},
		{"APPROVAL_ELICITATION=false", false, true, mcp.ProtocolVersion20260728},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			cfg.ApprovalElicitation = tc.enabled
			e := newTestEnv(t, cfg)
			p := &person{action: mcp.ElicitationResponseActionAccept, confirm: true}
			var h client.ElicitationHandler
			if tc.handler {
				h = p
			}
			c := elicitingClient(t, e, "streamable-http", tc.version, h)
			initialize(t, c)
			out := sendForApproval(t, c, "http://127.0.0.1:9/never", map[string]any{"a": 1})
			assert.Equal(t, "pending_approval", out.Status)
			assert.Empty(t, p.asked())
			waitState(t, c, out.ApprovalID, "pending")
		})
	}
}

// TestElicitationForgedStateChangesNothing retries a call with an answer and a
// request state that this server never signed.
func TestElicitationForgedStateChangesNothing(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.ApprovalElicitation = true
	e := newTestEnv(t, cfg)
	c, err := client.NewInProcessClient(e.srv.MCPServer())
	require.NoError(t, err)
	initialize(t, c)
	out := sendForApproval(t, c, "http://127.0.0.1:9/never", map[string]any{"a": 1})
	require.Equal(t, "pending_approval", out.Status)

	msg := map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": map[string]any{
		"name": "send_webhook_response", "arguments": map[string]any{"response_data": map[string]any{"a": 1}},
		"requestState": out.ApprovalID + ".deadbeef",
		"inputResponses": map[string]any{confirmInputKey: map[string]any{"action": "accept",
			"content": map[string]any{"confirm": true}}},
		"_meta": map[string]any{
			"io.modelcontextprotocol/protocolVersion":    mcp.ProtocolVersion20260728,
			"io.modelcontextprotocol/clientCapabilities": map[string]any{"elicitation": map[string]any{}},
			"io.modelcontextprotocol/clientInfo":         map[string]any{"name": "webhook-mcp-test", "version": "1"},
		}}}
	raw, err := json.Marshal(msg)
	require.NoError(t, err)
	resp := e.srv.MCPServer().HandleMessage(context.Background(), raw)
	b, err := json.Marshal(resp)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"isError":true`, "a tool error through toolError, not a protocol error")
	assert.Contains(t, string(b), "invalid_argument: the confirmation answer does not match a request this client was asked about")
	st := waitState(t, c, out.ApprovalID, "pending")
	assert.Empty(t, st.DecidedBy)
}
