package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
	"github.com/webhook-mcp/webhook-mcp/store"
)

// newReplica starts a server on the PostgreSQL database at url, with its
// LISTEN/NOTIFY change feed, as `webhook-mcp serve` with DATABASE_URL does;
// it returns once the feed listens.
func newReplica(t *testing.T, cfg Config, url string) *testEnv {
	t.Helper()
	logs := &testkit.LockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	st, err := store.OpenPostgres(ctx, store.Options{URL: url, Logger: logger})
	require.NoError(t, err)
	feed, err := st.ChangeFeed(ctx)
	require.NoError(t, err)
	srv, err := New(cfg, Deps{Store: st, Logger: logger, Version: "test", Changes: feed})
	require.NoError(t, err)
	srv.Start(ctx)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		cancel()
		srv.Shutdown()
		require.NoError(t, st.Close())
		if t.Failed() && testing.Verbose() {
			_, _ = io.WriteString(os.Stderr, logs.String())
		}
	})
	select {
	case <-feed.Listening():
	case <-time.After(10 * time.Second):
		t.Fatal("the change feed did not listen")
	}
	return &testEnv{http: hs, srv: srv, logs: logs}
}

// TestUpdatesReachSubscribersOfOtherReplicas runs two replicas on one
// PostgreSQL database: a session subscribed on replica B hears of a webhook
// and of an approval decision handled by replica A (and of nothing for
// another client: the ordering barrier of TestResourceUpdatesOnEveryTransport),
// and B lists the new client as a resource.
func TestUpdatesReachSubscribersOfOtherReplicas(t *testing.T) {
	t.Parallel()
	url := testkit.PostgresURL(t)
	cfg := testConfig()
	cfg.ApprovalToken = "approval-test-token"
	a, b := newReplica(t, cfg, url), newReplica(t, cfg, url)
	rcv, _ := newReceiver(t)

	lc := newLiveClient(t, liveTransports[3].connect(t, b), mcp.ProtocolVersion20251125) // Streamable HTTP on B
	acme := clientGraphURI("acme-corp")
	lc.subscribe(t, acme)
	postTask(t, a, "other-co", "t-0", "Other work")
	postTask(t, a, "acme-corp", "t-1", "Quarterly report")
	assert.Equal(t, acme, lc.waitUpdated(t, 1)[0], "the first update on B is the subscribed client's")
	require.Eventually(t, func() bool { return lc.notes.count(mcp.MethodNotificationResourcesListChanged) > 0 },
		5*time.Second, 5*time.Millisecond, "B lists the client that A saw first")

	onA, err := client.NewInProcessClient(a.srv.MCPServer())
	require.NoError(t, err)
	initialize(t, onA)
	id := requestApproval(t, onA, rcv.URL, map[string]any{"ok": true})
	lc.subscribe(t, approvalURIPrefix+id)
	before := len(lc.notes.updated())
	code, _ := decide(t, a, id, "approve", cfg.ApprovalToken, "fine")
	require.Equal(t, http.StatusOK, code)
	require.Eventually(t, func() bool {
		for _, uri := range lc.notes.updated()[before:] {
			if uri == approvalURIPrefix+id {
				return true
			}
		}
		return false
	}, 5*time.Second, 5*time.Millisecond, "no update on B for the approval decided on A: %v", lc.notes.updated())
}
