package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/tools"
)

// recorder is an httptest receiver that keeps every body it is sent.
type recorder struct {
	mu     sync.Mutex
	bodies [][]byte
	header http.Header
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.bodies = append(r.bodies, b)
	r.header = req.Header.Clone()
	r.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(`{"received":true}`))
}

func (r *recorder) received() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.bodies...)
}

// decide posts to the approvals API and returns the status code and body.
func decide(t *testing.T, e *testEnv, id, verb, token, reason string) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"reason": reason})
	req, err := http.NewRequest(http.MethodPost, e.http.URL+"/api/approvals/"+id+"/"+verb, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.http.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

func requestApproval(t *testing.T, c *client.Client, url string, data map[string]any) string {
	t.Helper()
	var pending tools.PendingApproval
	res := callTool(t, c, "send_webhook_response", map[string]any{"response_url": url, "response_data": data,
		"response_type": "client_update", "client_id": "client-123"}, &pending)
	require.False(t, res.IsError, "%v", res.Content)
	require.Equal(t, "pending_approval", pending.Status)
	return pending.ApprovalID
}

func waitState(t *testing.T, c *client.Client, id, want string) api.Approval {
	t.Helper()
	var st api.Approval
	require.Eventually(t, func() bool {
		res := callTool(t, c, "get_approval_status", map[string]any{"approval_id": id}, &st)
		return !res.IsError && st.State == want
	}, 10*time.Second, 20*time.Millisecond, "approval %s never became %s (last %s)", id, want, st.State)
	return st
}

func TestApprovalRoundTrip(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.ApprovalToken = "approval-test-token"
	e := newDrivenEnv(t, cfg)
	rec := &recorder{}
	rcv := httptest.NewServer(rec)
	t.Cleanup(rcv.Close)
	c, err := client.NewInProcessClient(e.srv.MCPServer())
	require.NoError(t, err)
	initialize(t, c)

	t.Run("approve delivers the exact data once", func(t *testing.T) {
		data := map[string]any{"client_id": "client-123", "summary": "all good", "items": []any{1.0, "two"}}
		id := requestApproval(t, c, rcv.URL, data)
		assert.Empty(t, rec.received(), "nothing sent while pending")

		code, _ := decide(t, e, id, "approve", "", "no token")
		assert.Equal(t, http.StatusUnauthorized, code)
		code, _ = decide(t, e, id, "approve", "wrong", "wrong token")
		assert.Equal(t, http.StatusUnauthorized, code)

		code, out := decide(t, e, id, "approve", cfg.ApprovalToken, "looks right")
		require.Equal(t, http.StatusOK, code, "%v", out)
		assert.Empty(t, rec.received(), "approving queues the send; the worker makes it")
		require.Equal(t, 1, e.runWorker(t))
		st := waitState(t, c, id, "delivered")
		assert.Equal(t, "token:approval (api)", st.DecidedBy)
		assert.Equal(t, "looks right", st.Reason)
		require.NotNil(t, st.Delivery)
		assert.Equal(t, 200, st.Delivery.StatusCode)
		got := rec.received()
		require.Len(t, got, 1)
		var sent map[string]any
		require.NoError(t, json.Unmarshal(got[0], &sent))
		assert.Equal(t, data, sent)
		assert.Equal(t, "client_update", rec.header.Get("X-Response-Type"))

		code, out = decide(t, e, id, "approve", cfg.ApprovalToken, "again")
		assert.Equal(t, http.StatusConflict, code)
		assert.Equal(t, "conflict", out["error"].(map[string]any)["code"])
		e.assertNothingDue(t)
		assert.Len(t, rec.received(), 1, "re-approving sends nothing")
	})

	t.Run("reject sends nothing", func(t *testing.T) {
		before := len(rec.received())
		id := requestApproval(t, c, rcv.URL, map[string]any{"x": "y"})
		code, out := decide(t, e, id, "reject", cfg.ApprovalToken, "not this one")
		require.Equal(t, http.StatusOK, code, "%v", out)
		st := waitState(t, c, id, "rejected")
		assert.Equal(t, "not this one", st.Reason)
		assert.Nil(t, st.Delivery)
		e.assertNothingDue(t)
		assert.Len(t, rec.received(), before)
	})

	t.Run("unknown id", func(t *testing.T) {
		code, out := decide(t, e, "no-such-id", "approve", cfg.ApprovalToken, "")
		assert.Equal(t, http.StatusNotFound, code)
		assert.Equal(t, "not_found", out["error"].(map[string]any)["code"])
	})

	t.Run("get with audit trail", func(t *testing.T) {
		id := requestApproval(t, c, rcv.URL, map[string]any{"a": 1})
		req, _ := http.NewRequest(http.MethodGet, e.http.URL+"/api/approvals/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+cfg.ApprovalToken)
		resp, err := e.http.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var st api.Approval
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
		assert.Equal(t, "pending", st.State)
		require.Len(t, st.Events, 1)
		assert.Equal(t, "anonymous (mcp-client:webhook-mcp-test)", st.RequestedBy)
	})
}

// TestNewWebhookTypeThroughPublicAPI adds a webhook type with RegisterAction,
// RegisterWebhookRoute and RegisterWebhookSecret only.
func TestNewWebhookTypeThroughPublicAPI(t *testing.T) {
	t.Parallel()
	type invoice struct {
		ClientID string  `json:"client_id"`
		Amount   float64 `json:"amount"`
	}
	type booked struct {
		ClientID string  `json:"client_id"`
		Cents    int64   `json:"cents"`
		Source   string  `json:"source"`
		Amount   float64 `json:"amount"`
	}
	e := newTestEnv(t, testConfig(), func(s *Server) {
		a := tools.Define(tools.Spec{Name: "book_invoice", Title: "Book invoice", Description: "Books an invoice.",
			Annotations: tools.WriteLocalIdempotent()},
			func(_ context.Context, inv tools.Invocation, _ struct{}) (booked, error) {
				in, err := tools.PayloadAs[invoice](inv) // the route's body, decoded once by the server
				if err != nil {
					return booked{}, err
				}
				return booked{ClientID: in.ClientID, Cents: int64(in.Amount * 100), Source: inv.Source, Amount: in.Amount}, nil
			})
		require.NoError(t, s.RegisterAction(a))
		require.NoError(t, s.RegisterWebhookRoute("billing/invoices", "book_invoice"))
		s.RegisterWebhookSecret("billing", "billing-secret")
	})
	body := []byte(`{"client_id":"acme","amount":12.5}`)
	resp, env := e.post(t, "/api/webhook/billing/invoices", body, nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the new source is signed")
	assert.Equal(t, "invalid_signature", env.Error.Code)
	resp, env = e.post(t, "/api/webhook/billing/invoices", body,
		map[string]string{"X-Hub-Signature-256": "sha256=" + signHex("billing-secret", body)})
	require.Equal(t, http.StatusOK, resp.StatusCode, "%+v", env)
	var out booked
	require.NoError(t, json.Unmarshal(env.Result, &out))
	assert.Equal(t, booked{ClientID: "acme", Cents: 1250, Source: "billing_invoices", Amount: 12.5}, out)
	assert.Equal(t, "acme", env.ClientID)
}
