package server

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// notes records the notifications a client receives, in order.
type notes struct {
	mu  sync.Mutex
	all []mcp.JSONRPCNotification
}

func (n *notes) add(x mcp.JSONRPCNotification) {
	n.mu.Lock()
	n.all = append(n.all, x)
	n.mu.Unlock()
}

// updated is the URIs of the notifications/resources/updated received, in order.
func (n *notes) updated() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var uris []string
	for _, x := range n.all {
		if x.Method == mcp.MethodNotificationResourceUpdated {
			uri, _ := x.Params.AdditionalFields["uri"].(string)
			uris = append(uris, uri)
		}
	}
	return uris
}

// count is how many notifications of method were received.
func (n *notes) count(method string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := 0
	for _, x := range n.all {
		if x.Method == method {
			c++
		}
	}
	return c
}

// liveClient is an initialised MCP client that records its notifications and
// subscribes the way its protocol version does: resources/subscribe on
// 2025-11-25, a subscriptions/listen stream on 2026-07-28.
type liveClient struct {
	c      *client.Client
	notes  *notes
	modern bool
	uris   []string
	stop   func()
}

// liveTransports are the transports and protocol versions a subscriber uses.
var liveTransports = []struct {
	name    string
	connect func(t *testing.T, e *testEnv) *client.Client
}{ // each name ends in the protocol version its client asks for
	{"in-process-2026-07-28", func(t *testing.T, e *testEnv) *client.Client {
		tr := transport.NewInProcessTransport(e.srv.MCPServer())
		return client.NewClient(tr, client.WithProtocolVersion(mcp.ProtocolVersion20260728))
	}},
	{"in-process-2025-11-25", func(t *testing.T, e *testEnv) *client.Client {
		tr := transport.NewInProcessTransport(e.srv.MCPServer())
		return client.NewClient(tr, client.WithProtocolVersion(mcp.ProtocolVersion20251125))
	}},
	{"streamable-http-2026-07-28", func(t *testing.T, e *testEnv) *client.Client {
		tr, err := transport.NewStreamableHTTP(e.http.URL + "/mcp")
		require.NoError(t, err)
		return client.NewClient(tr, client.WithProtocolVersion(mcp.ProtocolVersion20260728))
	}},
	{"streamable-http-2025-11-25", func(t *testing.T, e *testEnv) *client.Client {
		// The standalone GET stream carries notifications on 2025-11-25.
		//lint:ignore SA1019 the standalone GET stream is how 2025-11-25 clients receive notifications
		tr, err := transport.NewStreamableHTTP(e.http.URL+"/mcp", transport.WithContinuousListening())
		require.NoError(t, err)
		return client.NewClient(tr, client.WithProtocolVersion(mcp.ProtocolVersion20251125))
	}},
	{"sse-2026-07-28", func(t *testing.T, e *testEnv) *client.Client {
		tr, err := transport.NewSSE(e.http.URL + "/sse")
		require.NoError(t, err)
		return client.NewClient(tr, client.WithProtocolVersion(mcp.ProtocolVersion20260728))
	}},
	{"sse-2025-11-25", func(t *testing.T, e *testEnv) *client.Client {
		tr, err := transport.NewSSE(e.http.URL + "/sse")
		require.NoError(t, err)
		return client.NewClient(tr, client.WithProtocolVersion(mcp.ProtocolVersion20251125))
	}},
}

// newLiveClient initialises c and checks that it speaks version (empty: any).
func newLiveClient(t *testing.T, c *client.Client, version string) *liveClient {
	t.Helper()
	lc := &liveClient{c: c, notes: &notes{}}
	c.OnNotification(lc.notes.add)
	res := initialize(t, c)
	if version != "" {
		require.Equal(t, version, res.ProtocolVersion)
	}
	lc.modern = mcp.IsModernProtocol(res.ProtocolVersion)
	t.Cleanup(func() {
		if lc.stop != nil {
			lc.stop()
		}
	})
	return lc
}

// subscribe adds uris to the client's subscriptions and returns once the
// server has them: the response to resources/subscribe, or the
// acknowledgement of a new subscriptions/listen stream (which replaces the
// previous one) that also asks for list_changed.
func (lc *liveClient) subscribe(t *testing.T, uris ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if !lc.modern {
		for _, uri := range uris {
			req := mcp.SubscribeRequest{}
			req.Params.URI = uri
			//lint:ignore SA1019 resources/subscribe is the 2025-11-25 protocol under test
			require.NoError(t, lc.c.Subscribe(ctx, req))
		}
		return
	}
	if lc.stop != nil {
		lc.stop()
	}
	lc.uris = append(lc.uris, uris...)
	acks := lc.notes.count(mcp.MethodNotificationSubscriptionsAcknowledged)
	stop, err := lc.c.ListenAsync(context.Background(), mcp.SubscriptionFilter{ResourcesListChanged: true,
		// The stream's end is seen in the acknowledgement (or its absence)
		// and in the registry; closing the client ends it with an error.
		ResourceSubscriptions: append([]string(nil), lc.uris...)}, nil)
	require.NoError(t, err)
	lc.stop = stop
	require.Eventually(t, func() bool { return lc.notes.count(mcp.MethodNotificationSubscriptionsAcknowledged) > acks },
		10*time.Second, 5*time.Millisecond, "subscriptions/listen was not acknowledged")
}

// waitUpdated waits until n notifications/resources/updated arrived.
func (lc *liveClient) waitUpdated(t *testing.T, n int) []string {
	t.Helper()
	require.Eventually(t, func() bool { return len(lc.notes.updated()) >= n }, 5*time.Second, 5*time.Millisecond,
		"wanted %d resources/updated, got %v", n, lc.notes.updated())
	return lc.notes.updated()
}

// versionOf is the protocol version at the end of a transport's name.
func versionOf(name string) string { return name[len(name)-len("2025-11-25"):] }

// postTask posts a signed-off (unsigned source) webhook with one task for client.
func postTask(t *testing.T, e *testEnv, clientID, taskID, name string) {
	t.Helper()
	body := fmt.Appendf(nil, `{"client_id":%q,"action_id":"get_client_data","task":{"id":%q,"name":%q,"status":{"status":"in progress"},"assignees":[{"id":7,"username":"Dana Reviewer"}]}}`,
		clientID, taskID, name)
	resp, env := e.post(t, seedPath, body, map[string]string{"Idempotency-Key": clientID + "/" + taskID})
	require.Equal(t, http.StatusOK, resp.StatusCode, "%+v", env)
}

// TestResourceUpdatesOnEveryTransport subscribes to a client's graph and an
// approval on each transport and protocol version and checks what arrives:
// an update for each webhook of that client, none for another client's
// (proved by ordering: the other client's webhook goes first, and the first
// update received must be the subscribed one's), list_changed for a new
// client, and an update when a person decides the approval through the API.
func TestResourceUpdatesOnEveryTransport(t *testing.T) {
	t.Parallel()
	for _, tc := range liveTransports {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			cfg.ApprovalToken = "approval-test-token"
			e := newTestEnv(t, cfg)
			rcv, _ := newReceiver(t)
			lc := newLiveClient(t, tc.connect(t, e), versionOf(tc.name))
			acme := clientGraphURI("acme-corp")

			lc.subscribe(t, acme)
			postTask(t, e, "other-co", "t-other", "Other work") // not subscribed: the barrier's first half
			postTask(t, e, "acme-corp", "t-1", "Quarterly report")
			got := lc.waitUpdated(t, 1)
			assert.Equal(t, acme, got[0], "the first update is the subscribed client's; nothing came before it")
			require.Eventually(t, func() bool { return lc.notes.count(mcp.MethodNotificationResourcesListChanged) > 0 },
				5*time.Second, 5*time.Millisecond, "new clients change the resource list")

			// An approval, subscribed, decided by a person through the API.
			id := requestApproval(t, lc.c, rcv.URL, map[string]any{"ok": true})
			lc.subscribe(t, approvalURIPrefix+id)
			before := len(lc.notes.updated())
			code, _ := decide(t, e, id, "approve", cfg.ApprovalToken, "fine")
			require.Equal(t, http.StatusOK, code)
			require.Eventually(t, func() bool {
				for _, uri := range lc.notes.updated()[before:] {
					if uri == approvalURIPrefix+id {
						return true
					}
				}
				return false
			}, 5*time.Second, 5*time.Millisecond, "no update for the decided approval: %v", lc.notes.updated())
			for _, uri := range lc.notes.updated() {
				assert.Contains(t, []string{acme, approvalURIPrefix + id}, uri, "only subscribed URIs are updated")
			}
		})
	}
}
