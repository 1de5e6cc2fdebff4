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

	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
	"github.com/webhook-mcp/webhook-mcp/tools"
)

const (
	testApprovalToken = "approval-token-for-tests"
	testMCPToken      = "mcp-token-for-tests"
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

// elicitSSE answers an elicitation/create received over /sse.
func (p *person) elicitSSE(params json.RawMessage) any {
	var req mcp.ElicitationRequest
	_ = json.Unmarshal(params, &req.Params)
	res, _ := p.Elicit(context.Background(), req)
	return res
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

// elicitingClient connects over Streamable HTTP with token as the bearer
// (none when empty) and h answering elicitations (none when nil).
func elicitingClient(t *testing.T, e *testEnv, token, version string, h client.ElicitationHandler) *client.Client {
	t.Helper()
	opts := []client.ClientOption{client.WithProtocolVersion(version)}
	if h != nil {
		opts = append(opts, client.WithElicitationHandler(h))
	}
	var topts []transport.StreamableHTTPCOption
	if token != "" {
		topts = append(topts, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
	}
	tr, err := transport.NewStreamableHTTP(e.http.URL+"/mcp", topts...)
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

func tokenConfig() Config {
	cfg := testConfig()
	cfg.ApprovalElicitation = true
	cfg.ApprovalToken, cfg.MCPAuthToken = testApprovalToken, testMCPToken
	return cfg
}

// TestElicitationDecidesForAnApprover: over /mcp with the APPROVAL_TOKEN as
// bearer, on both protocol versions, the person's answer decides.
func TestElicitationDecidesForAnApprover(t *testing.T) {
	t.Parallel()
	for _, version := range []string{mcp.ProtocolVersion20260728, mcp.ProtocolVersion20251125} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			e := newDrivenEnv(t, tokenConfig())
			rec := &recorder{}
			rcv := httptest.NewServer(rec)
			t.Cleanup(rcv.Close)
			p := &person{}
			c := elicitingClient(t, e, testApprovalToken, version, p)
			res := initialize(t, c)
			require.Equal(t, version, res.ProtocolVersion)

			p.answer(mcp.ElicitationResponseActionAccept, true, "checked with the client")
			data := map[string]any{"client_id": "client-123", "summary": "done"}
			out := sendForApproval(t, c, rcv.URL, data)
			assert.Equal(t, "approved", out.Status)
			require.Equal(t, 1, e.runWorker(t), "the approved request is sent")
			st := waitState(t, c, out.ApprovalID, "delivered")
			assert.Equal(t, "token:approval (mcp-client:webhook-mcp-test)", st.DecidedBy)
			assert.Equal(t, st.RequestedBy, st.DecidedBy)
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
				assert.Equal(t, "token:approval (mcp-client:webhook-mcp-test)", st.DecidedBy)
				assert.Equal(t, tc.want, st.Reason)
			}
			e.assertNothingDue(t)
			assert.Len(t, rec.received(), 1, "nothing rejected is sent")
		})
	}
}

// TestElicitationNotAskedOfCallersThatMayNotApprove: a caller without a
// credential, one with MCP_AUTH_TOKEN, one whose client lacks elicitation, the
// feature off, and the APPROVAL_TOKEN under four-eyes review all get
// pending_approval, and nobody is asked.
func TestElicitationNotAskedOfCallersThatMayNotApprove(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		cfg     func(*Config)
		token   string
		handler bool
	}{
		{"no credential", func(c *Config) { c.ApprovalToken, c.MCPAuthToken = testApprovalToken, "" }, "", true},
		{"MCP_AUTH_TOKEN", func(*Config) {}, testMCPToken, true},
		{"client without elicitation", func(*Config) {}, testApprovalToken, false},
		{"APPROVAL_ELICITATION=false", func(c *Config) { c.ApprovalElicitation = false }, testApprovalToken, true},
		{"four eyes", func(c *Config) { c.ApprovalSelfApprove = false }, testApprovalToken, true},
	}
	for _, tc := range cases {
		for _, version := range []string{mcp.ProtocolVersion20260728, mcp.ProtocolVersion20251125} {
			t.Run(tc.name+" "+version, func(t *testing.T) {
				t.Parallel()
				cfg := tokenConfig()
				tc.cfg(&cfg)
				e := newTestEnv(t, cfg)
				p := &person{action: mcp.ElicitationResponseActionAccept, confirm: true}
				var h client.ElicitationHandler
				if tc.handler {
					h = p
				}
				c := elicitingClient(t, e, tc.token, version, h)
				initialize(t, c)
				out := sendForApproval(t, c, "http://127.0.0.1:9/never", map[string]any{"a": 1})
				assert.Equal(t, "pending_approval", out.Status)
				assert.Empty(t, p.asked())
				r, _, err := e.srv.Approvals().Get(context.Background(), out.ApprovalID)
				require.NoError(t, err)
				assert.Equal(t, "pending", string(r.State))
			})
		}
	}
}

// TestElicitationOverSSE: on 2025-11-25 over /sse the server sends
// elicitation/create on the event stream and the answer of an approver
// decides; a caller without a credential is not asked.
func TestElicitationOverSSE(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e := newTestEnv(t, tokenConfig())
	rec := &recorder{}
	rcv := httptest.NewServer(rec)
	t.Cleanup(rcv.Close)
	args := map[string]any{"response_url": rcv.URL, "response_data": map[string]any{"over": "sse"}, "client_id": "client-123"}

	p := &person{}
	p.answer(mcp.ElicitationResponseActionAccept, true, "fine over sse")
	c, err := testkit.DialSSE(ctx, e.http.URL, testApprovalToken, p.elicitSSE)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Initialize(ctx, mcp.ProtocolVersion20251125, "sse-person")
	require.NoError(t, err)
	var out tools.PendingApproval
	isErr, text, err := c.CallTool(ctx, "send_webhook_response", args, &out)
	require.NoError(t, err)
	require.False(t, isErr, text)
	assert.Equal(t, "approved", out.Status)
	require.Len(t, c.Asked(), 1, "asked once over the event stream")
	require.Eventually(t, func() bool { return len(rec.received()) == 1 }, 10*time.Second, 20*time.Millisecond)
	r, _, err := e.srv.Approvals().Get(ctx, out.ApprovalID)
	require.NoError(t, err)
	assert.Equal(t, "token:approval (mcp-client:sse-person)", r.DecidedBy)

	anon, err := testkit.DialSSE(ctx, e.http.URL, testMCPToken, p.elicitSSE)
	require.NoError(t, err)
	defer anon.Close()
	_, err = anon.Initialize(ctx, mcp.ProtocolVersion20251125, "sse-script")
	require.NoError(t, err)
	isErr, text, err = anon.CallTool(ctx, "send_webhook_response", args, &out)
	require.NoError(t, err)
	require.False(t, isErr, text)
	assert.Equal(t, "pending_approval", out.Status)
	assert.Empty(t, anon.Asked())
}
