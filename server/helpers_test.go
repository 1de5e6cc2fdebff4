package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
	"github.com/webhook-mcp/webhook-mcp/store"
)

const testSecret = "test-secret-not-real"

// testConfig is a valid configuration for tests; adjust fields per test.
func testConfig() Config {
	return Config{HTTPAddr: "127.0.0.1:0", ValidationEnabled: true, TimeoutSeconds: 5, MaxBodyBytes: 1 << 20,
		LogLevel: "debug", LogFormat: "text", IdempotencyWindow: 24 * time.Hour, IdempotencyBodyWindow: 10 * time.Minute,
		InboxRetention: 720 * time.Hour, ApprovalTTL: time.Hour, OutboundAllowHosts: []string{"127.0.0.1/32"},
		ApprovalSelfApprove: true, DeliveryRetrySchedule: "0s,5s,30s,2m,10m,30m", ApprovalToken: testApprovalToken,
		HTTPReadTimeout: 30 * time.Second, HTTPWriteTimeout: 30 * time.Second, HTTPIdleTimeout: time.Minute,
		MaxConnections: 512, MaxConnectionsPerIP: 256, MCPSessionIdleTimeout: 30 * time.Minute, MCPMaxSessions: 1000,
		AuthFailuresPerMinute: 10}
}

type testEnv struct {
	srv   *Server
	store *store.SQLite
	http  *httptest.Server
	logs  *testkit.LockedBuffer
	clock *testkit.Clock // newDrivenEnv only
}

// logText is what the server logged so far.
func (e *testEnv) logText() string { return e.logs.String() }

// newTestEnv starts a server on a real SQLite file and a loopback HTTP
// listener, with its background work (delivery worker, expiry, pruning) on the
// wall clock.
func newTestEnv(t *testing.T, cfg Config, opts ...func(*Server)) *testEnv {
	t.Helper()
	return startEnv(t, cfg, nil, nil, opts...)
}

// newTestEnvOn is newTestEnv serving on ln, for a configuration that names
// the server's own URL (PUBLIC_URL) before it starts.
func newTestEnvOn(t *testing.T, cfg Config, ln net.Listener, opts ...func(*Server)) *testEnv {
	t.Helper()
	return startEnv(t, cfg, nil, ln, opts...)
}

// newDrivenEnv is newTestEnv on an injected clock and without the background
// work: the test runs the delivery worker itself (runWorker) and moves time
// (e.clock.Advance), so that what is sent, and what is not, never depends on
// how long the test waited. The clock starts at the wall-clock time, since a
// browser compares the reviewer cookie's Expires with its own clock.
func newDrivenEnv(t *testing.T, cfg Config, opts ...func(*Server)) *testEnv {
	t.Helper()
	return startEnv(t, cfg, testkit.NewClock(time.Now().UTC().Truncate(time.Second)), nil, opts...)
}

func startEnv(t *testing.T, cfg Config, clock *testkit.Clock, ln net.Listener, opts ...func(*Server)) *testEnv {
	t.Helper()
	logs := &testkit.LockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var now func() time.Time
	if clock != nil {
		now = clock.Now
	}
	st, err := store.OpenSQLite(context.Background(), store.Options{DataDir: t.TempDir(), Logger: logger, Now: now})
	require.NoError(t, err)
	srv, err := New(cfg, Deps{Store: st, Logger: logger, Version: "test", Now: now})
	require.NoError(t, err)
	for _, o := range opts {
		o(srv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if clock == nil {
		srv.Start(ctx)
	}
	hs := httptest.NewUnstartedServer(srv.Handler())
	if ln != nil {
		_ = hs.Listener.Close()
		hs.Listener = ln
	}
	hs.Start()
	t.Cleanup(func() {
		hs.Close()
		cancel()
		srv.Shutdown()
		require.NoError(t, st.Close())
		if t.Failed() && testing.Verbose() {
			_, _ = io.WriteString(os.Stderr, logs.String())
		}
	})
	return &testEnv{srv: srv, store: st, http: hs, logs: logs, clock: clock}
}

// runWorker runs the delivery worker until nothing is due at the server's
// time and every attempt it started is recorded; it returns how many attempts
// it made.
func (e *testEnv) runWorker(t *testing.T) int {
	t.Helper()
	total := 0
	for range 20 {
		n := e.srv.Approvals().RunDue(context.Background(), e.srv.Registry())
		e.srv.Approvals().Wait()
		if n == 0 {
			return total
		}
		total += n
	}
	t.Fatalf("the delivery worker still found due attempts after 20 rounds (%d attempts)", total)
	return total
}

// assertNothingDue moves the clock past the whole retry schedule and the
// approval TTL and checks that the worker then finds nothing to send.
func (e *testEnv) assertNothingDue(t *testing.T) {
	t.Helper()
	require.NotNil(t, e.clock, "a driven env (newDrivenEnv) moves its own clock")
	e.clock.Advance(48 * time.Hour)
	assert.Zero(t, e.runWorker(t), "attempts were due that should never be")
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

// reviewerGet sends GET path with the server's APPROVAL_TOKEN.
func (e *testEnv) reviewerGet(t *testing.T, path string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.http.URL+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+e.srv.cfg.ApprovalToken)
	resp, err := e.http.Client().Do(req)
	require.NoError(t, err)
	return resp
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	require.NoError(t, err)
	return b
}

func signHex(secret string, body []byte) string { return testkit.SignHMAC([]byte(secret), body) }
