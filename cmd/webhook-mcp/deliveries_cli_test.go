package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeDeliveriesAPI answers like the server's /api/deliveries routes.
func fakeDeliveriesAPI(t *testing.T) *httptest.Server {
	t.Helper()
	failed := map[string]any{"approval_id": "d-1", "state": "failed", "client_id": "client-123",
		"target_url": "https://hook.example/x", "events": []any{},
		"delivery": map[string]any{"outcome": "failed", "attempts": 6, "status_code": 503},
		"attempts": []any{map[string]any{"n": 1, "at": "2026-11-29T12:00:00Z", "status_code": 503, "latency_ms": 12.0,
			"error": "receiver answered 503 Service Unavailable"}}}
	mux := http.NewServeMux()
	auth := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer cli-token" {
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte(`{"status":"error","error":{"code":"unauthorized","message":"a valid bearer token (APPROVAL_TOKEN) is required"}}`))
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("GET /api/deliveries", auth(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "failed", r.URL.Query().Get("state"))
		_ = json.NewEncoder(w).Encode(map[string]any{"deliveries": []any{failed}})
	}))
	mux.HandleFunc("GET /api/deliveries/{id}", auth(func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "d-1" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"status":"error","error":{"code":"not_found","message":"no approval with id nope"}}`))
			return
		}
		_ = json.NewEncoder(w).Encode(failed)
	}))
	mux.HandleFunc("POST /api/deliveries/{id}/retry", auth(func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "d-2" {
			w.WriteHeader(http.StatusConflict)
			_, _ = w.Write([]byte(`{"status":"error","error":{"code":"conflict","message":"approval d-2 is delivered and cannot become delivering"}}`))
			return
		}
		w.WriteHeader(http.StatusAccepted)
		_ = json.NewEncoder(w).Encode(map[string]any{"approval_id": r.PathValue("id"), "state": "delivering"})
	}))
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return hs
}

func TestDeliveriesCLI(t *testing.T) {
	t.Parallel()
	hs := fakeDeliveriesAPI(t)
	env := []string{"WEBHOOK_MCP_URL=" + hs.URL, "APPROVAL_TOKEN=cli-token"}
	runCLI := func(environ []string, args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"deliveries"}, args...), environ, nil, &out, &bytes.Buffer{})
		return out.String(), err
	}

	out, err := runCLI(env, "list", "--state", "failed")
	require.NoError(t, err)
	assert.Contains(t, out, "ID")
	assert.Regexp(t, `d-1\s+failed\s+failed\s+6\s+503`, out)

	out, err = runCLI(env, "list", "--state", "failed", "--json")
	require.NoError(t, err)
	var list map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	assert.Len(t, list["deliveries"], 1)

	out, err = runCLI(env, "show", "d-1")
	require.NoError(t, err)
	assert.Contains(t, out, "receiver answered 503")
	assert.Contains(t, out, "ATTEMPT")

	out, err = runCLI(env, "retry", "d-1")
	require.NoError(t, err)
	assert.Equal(t, "d-1: delivering, retry scheduled\n", out)

	_, err = runCLI(env, "retry", "d-2")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "only failed deliveries can be retried")

	_, err = runCLI(env, "show", "nope")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "404")

	_, err = runCLI([]string{"WEBHOOK_MCP_URL=" + hs.URL, "DATA_DIR=" + t.TempDir()}, "list", "--state", "failed")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "set APPROVAL_TOKEN")

	_, err = runCLI(env, "retry")
	assert.ErrorIs(t, err, errUsage)
	_, err = runCLI(env, "frob")
	assert.ErrorIs(t, err, errUsage)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())
	_, err = runCLI([]string{"WEBHOOK_MCP_URL=" + dead}, "list")
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "not running"), err.Error())
}

func TestCLIReadsTheGeneratedTokenOnThisMachine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "approval_token"), []byte("from-the-file\n"), 0o600))
	cases := []struct {
		name    string
		environ []string
		want    string
	}{
		{"loopback URL, no APPROVAL_TOKEN", []string{"WEBHOOK_MCP_URL=http://127.0.0.1:8000", "DATA_DIR=" + dir}, "from-the-file"},
		{"localhost", []string{"WEBHOOK_MCP_URL=http://localhost:9", "DATA_DIR=" + dir}, "from-the-file"},
		{"IPv6 loopback", []string{"WEBHOOK_MCP_URL=http://[::1]:8000", "DATA_DIR=" + dir}, "from-the-file"},
		{"APPROVAL_TOKEN wins", []string{"DATA_DIR=" + dir, "APPROVAL_TOKEN=given"}, "given"},
		{"another machine", []string{"WEBHOOK_MCP_URL=https://hooks.example.com", "DATA_DIR=" + dir}, ""},
		{"no file", []string{"DATA_DIR=" + t.TempDir()}, ""},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, newAPIClient(tc.environ).Token, tc.name)
	}
}
