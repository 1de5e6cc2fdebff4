package server

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/tools"
)

// fakeSession is an MCP session with a fixed id.
type fakeSession struct{ id string }

func (f fakeSession) SessionID() string { return f.id }
func (f fakeSession) NotificationChannel() chan<- mcp.JSONRPCNotification {
	return make(chan mcp.JSONRPCNotification, 1)
}
func (f fakeSession) Initialize()       {}
func (f fakeSession) Initialized() bool { return true }

// modernCall is a 2026-07-28 tools/call of send_webhook_response from a client
// that declares elicitation; state and answer make it the retry.
func modernCall(state string, confirm bool) map[string]any {
	params := map[string]any{
		"name": "send_webhook_response", "arguments": map[string]any{"response_url": "http://127.0.0.1:9/x",
			"response_data": map[string]any{"a": 1}},
		"_meta": map[string]any{
			"io.modelcontextprotocol/protocolVersion":    mcp.ProtocolVersion20260728,
			"io.modelcontextprotocol/clientCapabilities": map[string]any{"elicitation": map[string]any{}},
			"io.modelcontextprotocol/clientInfo":         map[string]any{"name": "webhook-mcp-test", "version": "1"},
		}}
	if state != "" {
		params["requestState"] = state
		params["inputResponses"] = map[string]any{confirmInputKey: map[string]any{"action": "accept",
			"content": map[string]any{"confirm": confirm}}}
	}
	return map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}
}

// callResult is what a tools/call answered.
type callResult struct {
	IsError      bool                    `json:"isError"`
	ResultType   string                  `json:"resultType"`
	RequestState string                  `json:"requestState"`
	Structured   tools.PendingApproval   `json:"structuredContent"`
	Content      []struct{ Text string } `json:"content"`
}

func handle(t *testing.T, s *Server, ctx context.Context, msg map[string]any) callResult {
	t.Helper()
	raw, err := json.Marshal(msg)
	require.NoError(t, err)
	resp := s.MCPServer().HandleMessage(ctx, raw)
	b, err := json.Marshal(resp)
	require.NoError(t, err)
	var out struct {
		Result callResult `json:"result"`
	}
	require.NoError(t, json.Unmarshal(b, &out), "%s", b)
	return out.Result
}

func (r callResult) text() string {
	if len(r.Content) == 0 {
		return ""
	}
	return r.Content[0].Text
}

// TestConfirmationStateIsBoundSingleUseAndShortLived captures the
// requestState an approver's client was given and replays it: from a
// principal that may not approve, from another session, twice, and late.
// Only the one timely answer in the right session decides.
func TestConfirmationStateIsBoundSingleUseAndShortLived(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.ApprovalElicitation = true
	d := newDeliveryEnv(t, cfg)
	s := d.srv
	approver := ContextWithPrincipal(context.Background(), Principal{ID: PrincipalApprovalToken, MayApprove: true})
	inSession := s.MCPServer().WithContext(approver, fakeSession{id: "session-a"})
	otherSession := s.MCPServer().WithContext(approver, fakeSession{id: "session-b"})
	asker := ContextWithPrincipal(context.Background(), Principal{ID: PrincipalMCPToken})
	asker = s.MCPServer().WithContext(asker, fakeSession{id: "session-a"})

	ask := func() (state, id string) {
		res := handle(t, s, inSession, modernCall("", false))
		require.Equal(t, string(mcp.ResultTypeInputRequired), res.ResultType, "an approver is asked: %+v", res)
		require.NotEmpty(t, res.RequestState)
		pending, err := s.Approvals().List(context.Background(), approval.Filter{States: []approval.State{approval.StatePending}, Limit: 1})
		require.NoError(t, err)
		require.Len(t, pending, 1)
		return res.RequestState, pending[0].ID
	}
	stateOf := func(id string) approval.State {
		r, _, err := s.Approvals().Get(context.Background(), id)
		require.NoError(t, err)
		return r.State
	}

	state, id := ask()
	res := handle(t, s, asker, modernCall(state, true))
	assert.True(t, res.IsError)
	assert.Contains(t, res.text(), "forbidden", "a principal that may not approve cannot answer")
	res = handle(t, s, otherSession, modernCall(state, true))
	assert.True(t, res.IsError)
	assert.Contains(t, res.text(), "another session")
	assert.Equal(t, approval.StatePending, stateOf(id), "nothing decided by a replay")

	res = handle(t, s, inSession, modernCall(state, true))
	require.False(t, res.IsError, res.text())
	assert.Equal(t, "approved", res.Structured.Status)
	assert.Equal(t, approval.StateApproved, stateOf(id))
	res = handle(t, s, inSession, modernCall(state, false))
	assert.True(t, res.IsError)
	assert.Contains(t, res.text(), "already answered", "a state is good once")

	state, id = ask()
	d.clock.Advance(confirmStateTTL)
	res = handle(t, s, inSession, modernCall(state, true))
	assert.True(t, res.IsError)
	assert.Contains(t, res.text(), "expired")
	assert.Equal(t, approval.StatePending, stateOf(id), "a late answer decides nothing")
}

// TestSelfAnsweredElicitationDoesNotDecide: a caller without a credential is
// not asked, and an answer it makes up (with any requestState) is refused;
// the approval stays pending.
func TestSelfAnsweredElicitationDoesNotDecide(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.ApprovalElicitation = true
	d := newDeliveryEnv(t, cfg)
	s := d.srv
	anon := s.MCPServer().WithContext(context.Background(), fakeSession{id: "script"})
	res := handle(t, s, anon, modernCall("", false))
	require.False(t, res.IsError, res.text())
	assert.Equal(t, "pending_approval", res.Structured.Status, "not asked")
	id := res.Structured.ApprovalID
	for _, state := range []string{id, id + ".deadbeef", "made-up"} {
		res = handle(t, s, anon, modernCall(state, true))
		assert.True(t, res.IsError)
		assert.Contains(t, res.text(), "forbidden")
	}
	r, evs, err := s.Approvals().Get(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, approval.StatePending, r.State)
	assert.Empty(t, r.DecidedBy)
	assert.Len(t, evs, 1)
}
