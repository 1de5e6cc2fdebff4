package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
	"github.com/webhook-mcp/webhook-mcp/store"
)

// instance is one server life on a data dir, for restart tests.
type instance struct {
	srv    *Server
	st     *store.SQLite
	http   *httptest.Server
	cancel context.CancelFunc
}

// startInstance starts a server on dir; a nil clock is the wall clock.
func startInstance(t *testing.T, dir string, cfg Config, clock *testkit.Clock, runWorker bool) *instance {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	var now func() time.Time
	if clock != nil {
		now = clock.Now
	}
	st, err := store.OpenSQLite(context.Background(), store.Options{DataDir: dir, Logger: logger, Now: now})
	require.NoError(t, err)
	srv, err := New(cfg, Deps{Store: st, Logger: logger, Version: "test", Now: now})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	if runWorker {
		srv.Start(ctx)
	}
	return &instance{srv: srv, st: st, http: httptest.NewServer(srv.Handler()), cancel: cancel}
}

// stopServing closes the listener and stops the background work, waiting for
// the delivery attempts in flight; the store stays open.
func (i *instance) stopServing() {
	i.http.Close()
	i.cancel()
	i.srv.Shutdown()
}

func (i *instance) stop(t *testing.T) {
	i.stopServing()
	require.NoError(t, i.st.Close())
}

func TestApprovalsSurviveRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := testConfig()
	rec := &recorder{}
	rcv := httptest.NewServer(rec)
	defer rcv.Close()

	// Life 1: one pending request, and one approved while no worker runs (the
	// process "dies" between the decision and the delivery).
	a := startInstance(t, dir, cfg, nil, false)
	c, err := client.NewInProcessClient(a.srv.MCPServer())
	require.NoError(t, err)
	initialize(t, c)
	pendingID := requestApproval(t, c, rcv.URL, map[string]any{"n": 1.0})
	approvedID := requestApproval(t, c, rcv.URL, map[string]any{"n": 2.0})
	_, err = a.srv.Approvals().Approve(context.Background(), approvedID, "api", "ship it")
	require.NoError(t, err)
	a.stop(t)
	assert.Empty(t, rec.received())

	// Life 2, its worker started on an injected clock: the approved one is
	// delivered; the pending one can still be approved and is delivered too.
	clock := testkit.NewClock(time.Now().UTC())
	b := startInstance(t, dir, cfg, clock, true)
	defer func() { require.NoError(t, b.st.Close()) }()
	e := &testEnv{srv: b.srv, store: b.st, http: b.http, clock: clock}
	require.Eventually(t, func() bool { return len(rec.received()) == 1 }, 10*time.Second, 20*time.Millisecond)
	code, out := decide(t, e, pendingID, "approve", cfg.ApprovalToken, "after restart")
	require.Equal(t, http.StatusOK, code, "%v", out)
	require.Eventually(t, func() bool { return len(rec.received()) == 2 }, 10*time.Second, 20*time.Millisecond)
	// Exactly once: with the background worker stopped (its attempts in flight
	// recorded), run it by hand past the whole retry schedule: nothing is due.
	b.stopServing()
	e.assertNothingDue(t)
	assert.Len(t, rec.received(), 2, "each approval is delivered exactly once")
	for _, id := range []string{pendingID, approvedID} {
		r, _, err := b.srv.Approvals().Get(context.Background(), id)
		require.NoError(t, err)
		assert.Equal(t, "delivered", string(r.State), id)
	}
}
