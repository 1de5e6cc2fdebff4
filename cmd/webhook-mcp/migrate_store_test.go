package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
	"github.com/webhook-mcp/webhook-mcp/store"
)

// TestMigrateStoreToPostgres fills a SQLite store through the binary
// (webhooks for two clients, approvals delivered, rejected and pending),
// copies it with migrate-store into PostgreSQL, and checks that a server on
// PostgreSQL answers the same graphs, approvals, audit trails and delivery
// attempts through its API; a second copy into the now-used database is refused.
func TestMigrateStoreToPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	t.Parallel()
	pgURL := testkit.PostgresURL(t)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer rcv.Close()
	dataDir := t.TempDir()
	env := []string{"OUTBOUND_ALLOW_HOSTS=127.0.0.1", "APPROVAL_TOKEN=" + replicaToken, "DELIVERY_RETRY_SCHEDULE=0s",
		"RATE_LIMIT_PER_IP=0", "RATE_LIMIT_PER_SOURCE=0"}
	cmd, base, _ := startServe(t, append([]string{"DATA_DIR=" + dataDir}, env...))
	for i := range 30 {
		body := fmt.Sprintf(`{"client_id":"mig-%d","task":{"id":"t-%d","name":"Task %d","status":"open",
			"assignees":[{"id":%d,"username":"u%d"}]}}`, i%2, i, i, i%3, i%3)
		resp, err := http.Post(base+"/api/webhook/make.com/chatgpt-clients", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	ids := make([]string, 3)
	for i := range ids {
		ids[i] = requestSend(t, base, rcv.URL+"/m", i)
	}
	require.Equal(t, http.StatusOK, apiDo(t, http.MethodPost, base+"/api/approvals/"+ids[0]+"/approve", nil))
	require.Equal(t, http.StatusOK, apiDo(t, http.MethodPost, base+"/api/approvals/"+ids[1]+"/reject", nil))
	require.Eventually(t, func() bool { return stateOn(t, base, ids[0]) == "delivered" }, 20*time.Second, 50*time.Millisecond)

	views := func(base string) map[string]string {
		out := map[string]string{}
		get := func(path string) {
			var v any
			require.Equal(t, http.StatusOK, apiDo(t, http.MethodGet, base+path, &v), path)
			b, err := json.Marshal(v)
			require.NoError(t, err)
			out[path] = string(b)
		}
		get("/api/clients/mig-0/graph")
		get("/api/clients/mig-1/graph")
		get("/api/approvals?state=pending,approved,delivering,delivered,failed,rejected,expired")
		for _, id := range ids {
			get("/api/approvals/" + id)
			get("/api/deliveries/" + id)
		}
		return out
	}
	before := views(base)
	stopServe(t, cmd)

	from := "sqlite://" + filepath.Join(dataDir, store.DBFileName)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"migrate-store", "--from", from, "--to", pgURL}, nil, nil, &stdout, &stderr)
	require.NoError(t, err, stderr.String())
	assert.Contains(t, stdout.String(), "33 inbox entries", "30 webhooks and 3 tool calls")
	assert.Contains(t, stdout.String(), "3 approvals")
	assert.NotContains(t, stdout.String()+stderr.String(), "replica-e2e", "no secret printed")

	_, pgBase, _ := startServe(t, append([]string{"DATA_DIR=" + t.TempDir(), "DATABASE_URL=" + pgURL}, env...))
	after := views(pgBase)
	for path, want := range before {
		assert.JSONEq(t, want, after[path], "%s is the same on PostgreSQL", path)
	}
	assert.Contains(t, before["/api/deliveries/"+ids[0]], `"status_code":200`, "the delivery attempt is among what was compared")

	err = run(context.Background(), []string{"migrate-store", "--from", from, "--to", pgURL}, nil, nil, io.Discard, &stderr)
	require.ErrorContains(t, err, "already holds data", "a second copy is refused")
}
