package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
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
)

// answerer is the person in the client: it answers each elicitation with the
// next scripted action.
type answerer struct {
	mu     sync.Mutex
	action mcp.ElicitationResponseAction
}

func (a *answerer) set(act mcp.ElicitationResponseAction) { a.mu.Lock(); a.action = act; a.mu.Unlock() }

func (a *answerer) Elicit(context.Context, mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	res := &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: a.action}}
	if a.action == mcp.ElicitationResponseActionAccept {
		res.Content = map[string]any{"confirm": true, "reason": "ok over stdio"}
	}
	return res, nil
}

func stdioCall(t *testing.T, c *client.Client, name string, args map[string]any) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = name, args
	res, err := c.CallTool(ctx, req)
	require.NoError(t, err)
	require.False(t, res.IsError, "%s: %v", name, res.Content)
	var out map[string]any
	b, _ := json.Marshal(res.StructuredContent)
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

// TestStdioSubprocessToolsAndElicitation launches the built binary in stdio mode
// on both protocol versions, calls each of the original five tools, and lets the
// person in the client accept, decline and cancel approvals by elicitation.
func TestStdioSubprocessToolsAndElicitation(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	t.Parallel()
	for _, version := range []string{mcp.ProtocolVersion20260728, mcp.ProtocolVersion20251125} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var sent []string // the bodies the receiver got
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				sent = append(sent, string(b))
				mu.Unlock()
			}))
			defer rcv.Close()
			received := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), sent...) }
			env := []string{"DATA_DIR=" + t.TempDir(), "HTTP_ADDR=127.0.0.1:0", "OUTBOUND_ALLOW_HOSTS=127.0.0.1",
				"MAKE_COM_WEBHOOK_SECRET=stdio-test-secret", "LOG_LEVEL=warn"}
			person := &answerer{}
			tr := transport.NewStdioWithOptions(binPath, env, []string{"stdio"})
			c := client.NewClient(tr, client.WithProtocolVersion(version), client.WithElicitationHandler(person))
			require.NoError(t, c.Start(context.Background()))
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			init := mcp.InitializeRequest{}
			init.Params.ClientInfo = mcp.Implementation{Name: "stdio-person", Version: "1"}
			res, err := c.Initialize(ctx, init)
			require.NoError(t, err)
			assert.Equal(t, version, res.ProtocolVersion)

			seed := map[string]any{"client_id": "client-123", "action_id": "get_client_data",
				"task": map[string]any{"id": "task_123", "name": "Client Task Name", "description": "Task description"}}
			out := stdioCall(t, c, "process_webhook_data", map[string]any{"webhook_data": seed})
			assert.Equal(t, "client-123", out["client_id"])
			out = stdioCall(t, c, "extract_client_knowledge_graph", map[string]any{"webhook_data": seed})
			assert.NotEmpty(t, out["knowledge_nodes"])
			body := `{"client_id":"client-123"}`
			out = stdioCall(t, c, "validate_webhook_signature", map[string]any{"webhook_data": body,
				"signature": "sha256=" + testkit.SignHMAC([]byte("stdio-test-secret"), []byte(body))})
			assert.Equal(t, true, out["valid"], "the registered secret is used when none is given")

			send := func(label string) map[string]any {
				return stdioCall(t, c, "send_webhook_response", map[string]any{"response_url": rcv.URL,
					"response_data": map[string]any{"n": label}, "client_id": "client-123"})
			}
			delivered := func(id string) {
				require.Eventually(t, func() bool {
					return stdioCall(t, c, "get_approval_status", map[string]any{"approval_id": id})["state"] == "delivered"
				}, 15*time.Second, 50*time.Millisecond)
			}
			person.set(mcp.ElicitationResponseActionAccept)
			out = send("accepted")
			assert.Equal(t, "approved", out["status"])
			id := out["approval_id"].(string)
			delivered(id)
			st := stdioCall(t, c, "get_approval_status", map[string]any{"approval_id": id})
			assert.Equal(t, "local (mcp-client:stdio-person)", st["decided_by"])

			for _, act := range []mcp.ElicitationResponseAction{mcp.ElicitationResponseActionDecline, mcp.ElicitationResponseActionCancel} {
				person.set(act)
				out = send(string(act))
				assert.Equal(t, "rejected", out["status"], act)
			}
			// A last accepted request is the barrier: the worker takes due
			// deliveries oldest first, so once it is delivered anything wrongly
			// scheduled by the rejections was claimed too, and the process, on
			// closing stdin, exits only after its attempts in flight.
			person.set(mcp.ElicitationResponseActionAccept)
			out = send("barrier")
			require.Equal(t, "approved", out["status"])
			delivered(out["approval_id"].(string))
			require.NoError(t, c.Close(), "the server exits cleanly when stdin closes")
			assert.ElementsMatch(t, []string{`{"n":"accepted"}`, `{"n":"barrier"}`}, received(),
				"only the accepted requests are sent")
		})
	}
}
