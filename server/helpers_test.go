package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/store"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

const testSecret = "test-secret-not-real"

// testConfig is a valid configuration for tests; adjust fields per test.
func testConfig() Config {
	return Config{HTTPAddr: "127.0.0.1:0", ValidationEnabled: true, TimeoutSeconds: 5, MaxBodyBytes: 1 << 20,
		LogLevel: "debug", LogFormat: "text", IdempotencyWindow: 24 * time.Hour, IdempotencyBodyWindow: 10 * time.Minute, InboxRetention: 720 * time.Hour,
		ApprovalTTL: time.Hour, OutboundAllowHosts: []string{"127.0.0.1/32"},
		DeliveryRetrySchedule: "0s,5s,30s,2m,10m,30m"}
}

type testEnv struct {
	srv   *Server
	store *store.SQLite
	http  *httptest.Server
	logs  *bytes.Buffer
	logw  *syncWriter
}

// logText is what the server logged so far.
func (e *testEnv) logText() string {
	e.logw.mu.Lock()
	defer e.logw.mu.Unlock()
	return e.logs.String()
}

// newTestEnv starts a server on a real SQLite file and a loopback HTTP listener.
func newTestEnv(t *testing.T, cfg Config, opts ...func(*Server)) *testEnv {
	t.Helper()
	logs := &bytes.Buffer{}
	logw := &syncWriter{w: logs}
	logger := slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st, err := store.Open(context.Background(), store.Options{DataDir: t.TempDir(), Logger: logger})
	require.NoError(t, err)
	srv, err := New(cfg, Deps{Store: st, Logger: logger, Version: "test"})
	require.NoError(t, err)
	for _, o := range opts {
		o(srv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv.Start(ctx)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		cancel()
		srv.Shutdown()
		require.NoError(t, st.Close())
		if t.Failed() && testing.Verbose() {
			_, _ = io.Copy(os.Stderr, logs)
		}
	})
	return &testEnv{srv: srv, store: st, http: hs, logs: logs, logw: logw}
}

// post sends a JSON webhook and decodes the envelope.
func (e *testEnv) post(t *testing.T, path string, body []byte, headers map[string]string) (*http.Response, api.Envelope) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.http.URL+path, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := e.http.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var env api.Envelope
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &env), "body: %s", raw)
	return resp, env
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	require.NoError(t, err)
	return b
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func signHex(secret string, body []byte) string { return webhook.SignHMAC([]byte(secret), body) }
