package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
	"github.com/webhook-mcp/webhook-mcp/store"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

const gateToken = "gate-e2e-approval-token"

// gateEnv is the environment of the human-gate tests: reviewers hold
// gateToken; MCP needs no credential.
func gateEnv(t *testing.T, extra ...string) []string {
	return append([]string{"DATA_DIR=" + t.TempDir(), "OUTBOUND_ALLOW_HOSTS=127.0.0.1", "APPROVAL_TOKEN=" + gateToken,
		"DELIVERY_RETRY_SCHEDULE=0s"}, extra...)
}

// elicitFunc answers elicitations with a function.
type elicitFunc func(context.Context, mcp.ElicitationRequest) (*mcp.ElicitationResult, error)

func (f elicitFunc) Elicit(ctx context.Context, r mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	return f(ctx, r)
}

// mcpClient connects to /mcp of the running binary without a credential,
// answering elicitations with h when it is not nil.
func mcpClient(t *testing.T, base, version string, h client.ElicitationHandler) *client.Client {
	t.Helper()
	tr, err := transport.NewStreamableHTTP(base + "/mcp")
	require.NoError(t, err)
	opts := []client.ClientOption{client.WithProtocolVersion(version)}
	if h != nil {
		opts = append(opts, client.WithElicitationHandler(h))
	}
	c := client.NewClient(tr, opts...)
	require.NoError(t, c.Start(context.Background()))
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = mcp.Implementation{Name: "reviewer-impostor", Version: "1"}
	_, err = c.Initialize(ctx, init)
	require.NoError(t, err)
	return c
}

// pendingOut is the part of send_webhook_response's result the tests read.
type pendingOut struct {
	Status     string `json:"status"`
	ApprovalID string `json:"approval_id"`
}

func structured(t *testing.T, res *mcp.CallToolResult) pendingOut {
	t.Helper()
	require.False(t, res.IsError, "%v", res.Content)
	var out pendingOut
	b, err := json.Marshal(res.StructuredContent)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

// approvalState reads a request's state with the reviewer token.
func approvalState(t *testing.T, base, id string) (state, decidedBy string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/api/approvals/"+id, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+gateToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var st struct {
		State     string `json:"state"`
		DecidedBy string `json:"decided_by"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	return st.State, st.DecidedBy
}

// TestSelfAnsweredElicitationOverHTTPDoesNotDecide: a script on /mcp without
// a credential that answers elicitations itself is never asked, and the
// answer it forges (with the approval id as requestState) is refused; the
// approval stays pending, on both protocol versions.
func TestSelfAnsweredElicitationOverHTTPDoesNotDecide(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	t.Parallel()
	_, base, stderr := startServe(t, gateEnv(t))
	for _, version := range []string{mcp.ProtocolVersion20260728, mcp.ProtocolVersion20251125} {
		var asked atomic.Int64
		self := elicitFunc(func(context.Context, mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
			asked.Add(1)
			return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionAccept,
				Content: map[string]any{"confirm": true}}}, nil
		})
		c := mcpClient(t, base, version, self)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		req := mcp.CallToolRequest{}
		req.Params.Name = "send_webhook_response"
		req.Params.Arguments = map[string]any{"response_url": "http://127.0.0.1:9/x", "response_data": map[string]any{"a": 1}}
		res, err := c.CallTool(ctx, req)
		require.NoError(t, err)
		out := structured(t, res)
		assert.Equal(t, "pending_approval", out.Status, version)
		assert.Zero(t, asked.Load(), "%s: a caller that may not approve is not asked", version)

		cancel()
		isErr, text := forgeAnswer(t, base, version, c, out.ApprovalID)
		assert.True(t, isErr, "%s: the forged answer is refused: %s", version, text)
		assert.Contains(t, text, "forbidden", version)
		state, decidedBy := approvalState(t, base, out.ApprovalID)
		assert.Equal(t, "pending", state, "%s; stderr: %s", version, stderr.String())
		assert.Empty(t, decidedBy)
	}
}

// TestSSEElicitsOn20251125: over /sse on 2025-11-25, a client holding the
// APPROVAL_TOKEN is asked by elicitation/create on the event stream, and its
// confirmation approves and delivers once.
func TestSSEElicitsOn20251125(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	t.Parallel()
	var hits atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer rcv.Close()
	_, base, stderr := startServe(t, gateEnv(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := testkit.DialSSE(ctx, base, gateToken, func(json.RawMessage) any {
		return map[string]any{"action": "accept", "content": map[string]any{"confirm": true, "reason": "yes, over sse"}}
	})
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Initialize(ctx, mcp.ProtocolVersion20251125, "sse-reviewer")
	require.NoError(t, err)
	var out struct {
		Status     string `json:"status"`
		ApprovalID string `json:"approval_id"`
	}
	isErr, text, err := c.CallTool(ctx, "send_webhook_response", map[string]any{"response_url": rcv.URL,
		"response_data": map[string]any{"ok": true}}, &out)
	require.NoError(t, err, "stderr: %s", stderr.String())
	require.False(t, isErr, text)
	require.Len(t, c.Asked(), 1, "asked over the event stream")
	assert.Contains(t, string(c.Asked()[0]), rcv.URL)
	assert.Equal(t, "approved", out.Status)
	require.Eventually(t, func() bool { s, _ := approvalState(t, base, out.ApprovalID); return s == "delivered" },
		15*time.Second, 20*time.Millisecond)
	_, decidedBy := approvalState(t, base, out.ApprovalID)
	assert.Equal(t, "token:approval (mcp-client:sse-reviewer)", decidedBy)
	assert.EqualValues(t, 1, hits.Load())
}

// TestRedirect302IsNotDelivered: a receiver that answers 302 to another
// address is not followed; the delivery fails with status 302 and the other
// address is never asked.
func TestRedirect302IsNotDelivered(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	t.Parallel()
	var redirected, followed atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			followed.Add(1)
			return
		}
		redirected.Add(1)
		http.Redirect(w, r, "/moved", http.StatusFound)
	}))
	defer rcv.Close()
	_, base, stderr := startServe(t, gateEnv(t, "APPROVAL_ELICITATION=false"))
	c := mcpClient(t, base, mcp.ProtocolVersion20260728, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = "send_webhook_response"
	req.Params.Arguments = map[string]any{"response_url": rcv.URL + "/hook", "response_data": map[string]any{"a": 1}}
	res, err := c.CallTool(ctx, req)
	require.NoError(t, err)
	id := structured(t, res).ApprovalID
	approve, err := http.NewRequest(http.MethodPost, base+"/api/approvals/"+id+"/approve", strings.NewReader(`{}`))
	require.NoError(t, err)
	approve.Header.Set("Authorization", "Bearer "+gateToken)
	approve.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(approve)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	var st deliveryView
	require.Eventually(t, func() bool {
		st = getDeliveryWith(t, base, id, gateToken)
		return st.State == "failed" || st.State == "delivered"
	}, 15*time.Second, 20*time.Millisecond, "stderr: %s", stderr.String())
	assert.Equal(t, "failed", st.State, "a 302 is not delivered")
	require.Len(t, st.Attempts, 1)
	assert.Equal(t, http.StatusFound, st.Attempts[0].StatusCode, "recorded with its status")
	assert.EqualValues(t, 1, redirected.Load())
	assert.Zero(t, followed.Load(), "the redirect is not followed")
}

// TestSecretHeadersRedactedThroughTheBinary: twenty credential-bearing
// headers sent to a webhook with DEBUG=true are in neither the log nor, after
// shutdown, the inbox rows of the data directory.
func TestSecretHeadersRedactedThroughTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	t.Parallel()
	dir := t.TempDir()
	cmd, base, stderr := startServe(t, []string{"DATA_DIR=" + dir, "DEBUG=true"})
	req, err := http.NewRequest(http.MethodPost, base+"/api/webhook/make.com/chatgpt-clients",
		strings.NewReader(`{"client_id":"redact-e2e","task":{"id":"t1"}}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for i, name := range testkit.SecretHeaderNames {
		req.Header.Set(name, testkit.SecretHeaderValue(i))
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "webhook body") }, 5*time.Second, 10*time.Millisecond)
	stopServe(t, cmd)

	logs := stderr.String()
	headers := inboxHeaders(t, dir, "redact-e2e")
	for i, name := range testkit.SecretHeaderNames {
		assert.NotContains(t, logs, testkit.SecretHeaderValue(i), "log leaks %s", name)
		assert.Equal(t, "[redacted]", headers[http.CanonicalHeaderKey(name)], "inbox keeps %s", name)
	}
	assert.Equal(t, "application/json", headers["Content-Type"], "harmless headers stay readable")
}

// TestPendingCapAndPagingThroughTheBinary: past APPROVAL_MAX_PENDING a
// caller gets a rate_limited tool error; the CLI pages through every pending
// request with --cursor.
func TestPendingCapAndPagingThroughTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	t.Parallel()
	_, base, _ := startServe(t, gateEnv(t, "APPROVAL_MAX_PENDING=5", "APPROVAL_ELICITATION=false"))
	c := mcpClient(t, base, mcp.ProtocolVersion20260728, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = "send_webhook_response"
	for i := range 6 {
		req.Params.Arguments = map[string]any{"response_url": "http://127.0.0.1:9/x", "response_data": map[string]any{"n": i}}
		res, err := c.CallTool(ctx, req)
		require.NoError(t, err)
		if i < 5 {
			require.False(t, res.IsError, "%v", res.Content)
			continue
		}
		require.True(t, res.IsError, "the sixth pending request is refused")
		assert.Contains(t, res.Content[0].(mcp.TextContent).Text, "rate_limited")
	}

	ids := map[string]bool{}
	cursor := regexp.MustCompile(`--cursor (\S+)`)
	args := []string{"approvals", "list", "--limit", "2"}
	for pages := 1; ; pages++ {
		cli := exec.Command(binPath, args...)
		cli.Env = []string{"WEBHOOK_MCP_URL=" + base, "APPROVAL_TOKEN=" + gateToken, "USER=tester"}
		out, err := cli.CombinedOutput()
		require.NoError(t, err, "%s", out)
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[1] == "pending" {
				ids[f[0]] = true
			}
		}
		m := cursor.FindSubmatch(out)
		if m == nil {
			assert.Equal(t, 3, pages, "five requests, two a page")
			break
		}
		require.Less(t, pages, 5)
		args = []string{"approvals", "list", "--limit", "2", "--cursor", string(m[1])}
	}
	assert.Len(t, ids, 5, "every pending request listed once")
}

// stopServe stops a `serve` subprocess with SIGTERM and waits for it.
func stopServe(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(40 * time.Second):
		t.Fatal("server did not exit after SIGTERM")
	}
}

// inboxHeaders opens the stopped server's data directory and returns the
// recorded headers of the client's one inbox entry.
func inboxHeaders(t *testing.T, dir, clientID string) map[string]string {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{DataDir: dir})
	require.NoError(t, err)
	defer st.Close()
	evs, err := st.ListEvents(context.Background(), webhook.EventFilter{ClientID: clientID})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	return evs[0].Headers
}

// forgeAnswer posts, as raw JSON-RPC on c's connection, the retry a client
// makes after a confirmation, with an answer nobody was asked for and the
// approval id as requestState (mcp-go's client only sends what a server asked
// for). It returns whether the result is a tool error and its text.
func forgeAnswer(t *testing.T, base, version string, c *client.Client, approvalID string) (bool, string) {
	t.Helper()
	params := map[string]any{"name": "send_webhook_response",
		"arguments":    map[string]any{"response_url": "http://127.0.0.1:9/x", "response_data": map[string]any{"a": 1}},
		"requestState": approvalID,
		"inputResponses": map[string]any{"approve_send": map[string]any{"action": "accept",
			"content": map[string]any{"confirm": true}}}}
	req, err := http.NewRequest(http.MethodPost, base+"/mcp", nil)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", version)
	if version == mcp.ProtocolVersion20260728 {
		params["_meta"] = map[string]any{"io.modelcontextprotocol/protocolVersion": version,
			"io.modelcontextprotocol/clientCapabilities": map[string]any{"elicitation": map[string]any{}},
			"io.modelcontextprotocol/clientInfo":         map[string]any{"name": "reviewer-impostor", "version": "1"}}
		req.Header.Set("Mcp-Method", "tools/call")
		req.Header.Set("Mcp-Name", "send_webhook_response")
	} else {
		req.Header.Set("Mcp-Session-Id", c.GetTransport().(*transport.StreamableHTTP).GetSessionId())
	}
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 99, "method": "tools/call", "params": params})
	require.NoError(t, err)
	req.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", raw)
	if i := bytes.Index(raw, []byte("data: ")); i >= 0 { // an event stream: its one message
		raw = bytes.TrimSpace(raw[i+len("data: "):])
	}
	var msg struct {
		Result struct {
			IsError bool `json:"isError"`
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
		} `json:"result"`
	}
	require.NoError(t, json.Unmarshal(raw, &msg), "%s", raw)
	require.NotEmpty(t, msg.Result.Content, "%s", raw)
	return msg.Result.IsError, msg.Result.Content[0].Text
}
