package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeAPI is an httptest stand-in for the approvals API of a running server.
type fakeAPI struct {
	mu       sync.Mutex
	lastBody map[string]string
	lastURL  string
}

const cliToken = "cli-test-token"

func (f *fakeAPI) url() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastURL
}

func (f *fakeAPI) body() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastBody
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.lastURL = r.URL.String()
	f.lastBody = nil
	_ = json.NewDecoder(r.Body).Decode(&f.lastBody)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fail := func(status int, code, msg string) {
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"status": "error", "error": map[string]string{"code": code, "message": msg}})
	}
	if r.Header.Get("Authorization") != "Bearer "+cliToken {
		fail(http.StatusUnauthorized, "unauthorized", "a valid bearer token (APPROVAL_TOKEN) is required")
		return
	}
	now := time.Now().UTC()
	item := map[string]any{"approval_id": "ap-1", "state": "pending", "action": "send_webhook_response",
		"client_id": "client-123", "target_url": "https://hooks.example.com/x", "summary": "POST 12 bytes",
		"params_sha256": "abc123", "requested_by": "mcp-client:claude", "created_at": now.Add(-5 * time.Minute),
		"expires_at": now.Add(23 * time.Hour), "events": []any{}}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/approvals":
		_ = json.NewEncoder(w).Encode(map[string]any{"approvals": []any{item}})
	case r.Method == http.MethodGet && r.URL.Path == "/api/approvals/ap-1":
		item["params"] = map[string]any{"response_data": map[string]any{"ok": true}}
		item["events"] = []any{map[string]any{"approval_id": "ap-1", "at": now, "to": "pending", "actor": "mcp-client:claude"}}
		_ = json.NewEncoder(w).Encode(item)
	case r.Method == http.MethodPost && r.URL.Path == "/api/approvals/ap-1/approve":
		item["state"], item["decided_by"], item["reason"] = "approved", "token:approval (cli:alice)", f.lastBody["reason"]
		_ = json.NewEncoder(w).Encode(item)
	case r.Method == http.MethodPost && r.URL.Path == "/api/approvals/ap-done/reject":
		fail(http.StatusConflict, "conflict", "approval ap-done is delivered and cannot become rejected")
	default:
		fail(http.StatusNotFound, "not_found", "no approval with id nope")
	}
}

func runCLI(t *testing.T, url, token string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := []string{"WEBHOOK_MCP_URL=" + url, "USER=alice", "DATA_DIR=" + t.TempDir()}
	if token != "" {
		env = append(env, "APPROVAL_TOKEN="+token)
	}
	err := run(context.Background(), append([]string{"approvals"}, args...), env, nil, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestApprovalsCLI(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)

	t.Run("list table", func(t *testing.T) {
		out, _, err := runCLI(t, srv.URL, cliToken, "list", "--client-id", "client-123", "--limit", "5")
		require.NoError(t, err)
		assert.Contains(t, out, "ID")
		assert.Contains(t, out, "REQUESTED BY")
		assert.Contains(t, out, "ap-1")
		assert.Contains(t, out, "https://hooks.example.com/x")
		assert.Contains(t, out, "5m")
		assert.Contains(t, api.url(), "state=pending")
		assert.Contains(t, api.url(), "client_id=client-123")
		assert.Contains(t, api.url(), "limit=5")
	})
	t.Run("list json all states", func(t *testing.T) {
		out, _, err := runCLI(t, srv.URL, cliToken, "list", "--json", "--state", "all")
		require.NoError(t, err)
		var got struct {
			Approvals []map[string]any `json:"approvals"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &got))
		require.Len(t, got.Approvals, 1)
		assert.Equal(t, "ap-1", got.Approvals[0]["approval_id"])
		assert.NotContains(t, api.url(), "state=")
	})
	t.Run("show", func(t *testing.T) {
		out, _, err := runCLI(t, srv.URL, cliToken, "show", "ap-1")
		require.NoError(t, err)
		assert.Contains(t, out, "state:")
		assert.Contains(t, out, "pending")
		assert.Contains(t, out, `"ok": true`)
		assert.Contains(t, out, "audit trail:")
	})
	t.Run("approve with reason after the id", func(t *testing.T) {
		out, _, err := runCLI(t, srv.URL, cliToken, "approve", "ap-1", "--reason", "looks right")
		require.NoError(t, err)
		assert.Equal(t, "ap-1: approved by token:approval (cli:alice)\n", out)
		assert.Equal(t, map[string]string{"reason": "looks right", "decided_by": "cli:alice"}, api.body())
	})
	t.Run("approve json", func(t *testing.T) {
		out, _, err := runCLI(t, srv.URL, cliToken, "approve", "--json", "ap-1")
		require.NoError(t, err)
		assert.Contains(t, out, `"state": "approved"`)
	})
	t.Run("reject conflict names the state", func(t *testing.T) {
		_, _, err := runCLI(t, srv.URL, cliToken, "reject", "ap-done", "--reason", "too late")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "is delivered")
	})
	t.Run("unknown id", func(t *testing.T) {
		_, _, err := runCLI(t, srv.URL, cliToken, "show", "nope")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "404")
	})
	t.Run("no token", func(t *testing.T) {
		_, _, err := runCLI(t, srv.URL, "", "list")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "401")
		assert.Contains(t, err.Error(), "set APPROVAL_TOKEN")
	})
	t.Run("usage mistakes", func(t *testing.T) {
		for _, args := range [][]string{{}, {"frob"}, {"approve"}, {"show", "a", "b"}, {"list", "--limit", "x"}} {
			_, _, err := runCLI(t, srv.URL, cliToken, args...)
			require.ErrorIs(t, err, errUsage, "%v", args)
		}
	})
}

func TestApprovalsCLIServerNotRunning(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())
	_, _, err = runCLI(t, url, cliToken, "list")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not running at "+url)
	assert.True(t, strings.Contains(err.Error(), "WEBHOOK_MCP_URL"))
}
