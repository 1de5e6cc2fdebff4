package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/live"
)

// TestSubscriptionsEndWithTheirStream checks that the registry forgets a
// subscription when the client unsubscribes, when its listen stream ends and
// when its session ends, so that nothing is sent to a session that left.
func TestSubscriptionsEndWithTheirStream(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, testConfig())
	uri := clientGraphURI("acme-corp")
	subscribed := func() int { return e.srv.live.subs.count(uri) }
	ctx := context.Background()

	t.Run("resources/unsubscribe and session end", func(t *testing.T) {
		for _, tc := range []int{1, 3} { // in-process 2025-11-25, streamable HTTP 2025-11-25
			lc := newLiveClient(t, liveTransports[tc].connect(t, e), versionOf(liveTransports[tc].name))
			lc.subscribe(t, uri)
			require.Equal(t, 1, subscribed())
			req := mcp.UnsubscribeRequest{}
			req.Params.URI = uri
			//lint:ignore SA1019 resources/unsubscribe is the 2025-11-25 protocol under test
			require.NoError(t, lc.c.Unsubscribe(ctx, req))
			assert.Zero(t, subscribed(), "unsubscribed")
			lc.subscribe(t, uri)
			require.Equal(t, 1, subscribed())
			require.NoError(t, lc.c.Close())
			require.Eventually(t, func() bool { return subscribed() == 0 }, 5*time.Second, 5*time.Millisecond,
				"the ended session is forgotten (%s)", liveTransports[tc].name)
		}
	})
	t.Run("subscriptions/listen", func(t *testing.T) {
		for _, tc := range []int{0, 2} { // in-process 2026-07-28, streamable HTTP 2026-07-28
			lc := newLiveClient(t, liveTransports[tc].connect(t, e), versionOf(liveTransports[tc].name))
			lc.subscribe(t, uri)
			require.Equal(t, 1, subscribed())
			lc.subscribe(t, approvalURIPrefix+"a1") // a new stream replaces the first
			assert.Equal(t, 1, subscribed(), "one session, however many streams named the URI")
			lc.stop()
			lc.stop = nil
			require.Eventually(t, func() bool { return subscribed() == 0 && e.srv.live.subs.count(approvalURIPrefix+"a1") == 0 },
				5*time.Second, 5*time.Millisecond, "the ended stream is forgotten (%s)", liveTransports[tc].name)
		}
	})
	t.Run("sse", func(t *testing.T) {
		for _, tc := range []int{4, 5} { // SSE on 2026-07-28 and 2025-11-25
			lc := newLiveClient(t, liveTransports[tc].connect(t, e), versionOf(liveTransports[tc].name))
			lc.subscribe(t, uri)
			require.Equal(t, 1, subscribed())
			require.NoError(t, lc.c.Close())
			require.Eventually(t, func() bool { return subscribed() == 0 }, 5*time.Second, 5*time.Millisecond,
				"the ended session is forgotten (%s)", liveTransports[tc].name)
		}
	})
}

// stuckSession is a session whose client never reads its notifications.
type stuckSession struct{ ch chan mcp.JSONRPCNotification }

func (s stuckSession) Initialize()                                         {}
func (s stuckSession) Initialized() bool                                   { return true }
func (s stuckSession) NotificationChannel() chan<- mcp.JSONRPCNotification { return s.ch }
func (s stuckSession) SessionID() string                                   { return "stuck" }

// TestNotifyNeverWaitsForASession: a session that does not read its queue
// misses updates; the notifier's goroutine goes on.
func TestNotifyNeverWaitsForASession(t *testing.T) {
	t.Parallel()
	r := newSubscriptions()
	stuck := stuckSession{ch: make(chan mcp.JSONRPCNotification, 1)}
	r.change(stuck, "kg://clients/a", func(h *holds) { h.legacy = true })
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 5 {
			r.notify("kg://clients/a")
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("notify blocked on a session that does not read")
	}
	assert.EqualValues(t, 1, r.sent.Load())
	assert.EqualValues(t, 4, r.dropped.Load())
}

// chanFeed is a change feed of "other replicas" driven by the test.
type chanFeed chan live.Change

func (f chanFeed) Broadcast(context.Context, []live.Change) error { return nil }

func (f chanFeed) Run(ctx context.Context, publish func(live.Change)) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case c := <-f:
			publish(c)
		}
	}
}

// TestChangesOfOtherReplicasReachSubscribers feeds a change as another replica
// would (Deps.Changes) and checks that a subscriber here hears of it, and that
// the client it names becomes a resource.
func TestChangesOfOtherReplicasReachSubscribers(t *testing.T) {
	t.Parallel()
	feed := make(chanFeed)
	e := newTestEnv(t, testConfig(), func(s *Server) { s.live.feed = feed })
	lc := newLiveClient(t, liveTransports[3].connect(t, e), mcp.ProtocolVersion20251125)
	uri := clientGraphURI("remote-co")
	lc.subscribe(t, uri)
	select {
	case feed <- live.Change{Kind: live.KindClient, ID: "remote-co"}:
	case <-time.After(5 * time.Second):
		t.Fatal("the feed was not running")
	}
	assert.Equal(t, []string{uri}, lc.waitUpdated(t, 1))
	require.Eventually(t, func() bool { return lc.notes.count(mcp.MethodNotificationResourcesListChanged) > 0 },
		5*time.Second, 5*time.Millisecond)
}

// TestSubscriptionsPerSessionAreBounded: one session cannot make the registry
// hold more than maxURIsPerSession URIs; releasing one makes room again.
func TestSubscriptionsPerSessionAreBounded(t *testing.T) {
	t.Parallel()
	r := newSubscriptions()
	sess, other := stuckSession{ch: make(chan mcp.JSONRPCNotification)}, &stuckSession{}
	legacy := func(h *holds) { h.legacy = true }
	for i := range maxURIsPerSession + 5 {
		r.change(sess, fmt.Sprintf("kg://clients/c%d", i), legacy)
	}
	assert.Equal(t, maxURIsPerSession, r.bySession[sess])
	assert.Equal(t, 1, r.count("kg://clients/c0"))
	assert.Zero(t, r.count(fmt.Sprintf("kg://clients/c%d", maxURIsPerSession)), "beyond the bound")
	r.change(other, fmt.Sprintf("kg://clients/c%d", maxURIsPerSession), legacy)
	assert.Equal(t, 1, r.count(fmt.Sprintf("kg://clients/c%d", maxURIsPerSession)), "other sessions are not bounded by it")

	r.change(sess, "kg://clients/c0", func(h *holds) { h.legacy = false })
	r.change(sess, "kg://clients/extra", legacy)
	assert.Equal(t, 1, r.count("kg://clients/extra"), "an unsubscription makes room")
	r.drop(sess)
	assert.Zero(t, r.bySession[sess])
	assert.Zero(t, r.count("kg://clients/extra"))
}

// TestSubscriptionToAPageHearsOfItsResource: a subscription to one page of a
// client's graph (kg://clients/acme-corp?limit=5) is told when the graph
// changes, under the URI it subscribed to.
func TestSubscriptionToAPageHearsOfItsResource(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, testConfig())
	lc := newLiveClient(t, liveTransports[1].connect(t, e), mcp.ProtocolVersion20251125)
	page := clientGraphURI("acme-corp") + "?limit=5"
	lc.subscribe(t, page)
	postTask(t, e, "acme-corp", "t-1", "Quarterly report")
	assert.Equal(t, []string{page}, lc.waitUpdated(t, 1)[:1])

	req := mcp.UnsubscribeRequest{}
	req.Params.URI = page
	//lint:ignore SA1019 resources/unsubscribe is the 2025-11-25 protocol under test
	require.NoError(t, lc.c.Unsubscribe(context.Background(), req))
	subs := e.srv.live.subs
	subs.mu.Lock()
	defer subs.mu.Unlock()
	assert.Empty(t, subs.byURI)
	assert.Empty(t, subs.byBase, "the index forgets the URI too")
}

// TestGraphImportNotifiesSubscribers: importing a memory-server file into a
// client's graph (no webhook involved) tells the subscribers of the graph,
// as kg:// and as memory://.
func TestGraphImportNotifiesSubscribers(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.ApprovalToken = reviewerToken
	e := newTestEnv(t, cfg)
	lc := newLiveClient(t, liveTransports[1].connect(t, e), mcp.ProtocolVersion20251125)
	kg, memory := clientGraphURI("acme-corp"), memoryResourcePrefix+"acme-corp"
	lc.subscribe(t, kg, memory)
	postImport(t, e, "acme-corp", "replace", []byte(`{"type":"entity","name":"Ada","entityType":"person","observations":[]}`+"\n"))
	assert.ElementsMatch(t, []string{kg, memory}, lc.waitUpdated(t, 2))
}
