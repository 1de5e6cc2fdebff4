package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
	"github.com/webhook-mcp/webhook-mcp/live"
	"github.com/webhook-mcp/webhook-mcp/store"
)

// heard records what a feed published.
type heard struct {
	mu sync.Mutex
	cs []live.Change
}

func (h *heard) publish(c live.Change) { h.mu.Lock(); h.cs = append(h.cs, c); h.mu.Unlock() }

func (h *heard) list() []live.Change {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]live.Change(nil), h.cs...)
}

// runFeed opens the database at url as one replica and runs its change feed
// until the test ends; it returns once the feed listens.
func runFeed(t *testing.T, url string) (*store.PGChangeFeed, *heard) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := store.OpenPostgres(ctx, store.Options{URL: url, Logger: quiet})
	require.NoError(t, err)
	feed, err := st.ChangeFeed(ctx)
	require.NoError(t, err)
	h := &heard{}
	done := make(chan error, 1)
	go func() { done <- feed.Run(ctx, h.publish) }()
	t.Cleanup(func() {
		cancel()
		assert.ErrorIs(t, <-done, context.Canceled)
		_ = st.Close()
	})
	select {
	case <-feed.Listening():
	case err := <-done:
		t.Fatalf("feed stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("feed did not listen")
	}
	return feed, h
}

// TestChangeFeedBetweenReplicas: a change one replica broadcasts reaches the
// other replicas of its schema, not itself and not another schema's. Each
// "not" is proved by a barrier: a later broadcast from elsewhere is the first
// thing heard.
func TestChangeFeedBetweenReplicas(t *testing.T) {
	t.Parallel()
	url := testkit.PostgresURL(t)
	a, heardA := runFeed(t, url)
	b, heardB := runFeed(t, url)
	otherURL := testkit.PostgresURL(t)
	_, heardOther := runFeed(t, otherURL)
	other2, _ := runFeed(t, otherURL)
	ctx := context.Background()
	client := func(id string) live.Change { return live.Change{Kind: live.KindClient, ID: id} }

	require.NoError(t, a.Broadcast(ctx, []live.Change{client("acme-corp"), {Kind: live.KindEvents}}))
	require.Eventually(t, func() bool { return len(heardB.list()) == 2 }, 10*time.Second, 5*time.Millisecond)
	assert.Equal(t, []live.Change{client("acme-corp"), {Kind: live.KindEvents}}, heardB.list())

	require.NoError(t, b.Broadcast(ctx, []live.Change{client("from-b")}))
	require.NoError(t, other2.Broadcast(ctx, []live.Change{client("other-schema")}))
	require.Eventually(t, func() bool { return len(heardA.list()) > 0 && len(heardOther.list()) > 0 },
		10*time.Second, 5*time.Millisecond, "a heard %v, the other schema %v", heardA.list(), heardOther.list())
	assert.Equal(t, client("from-b"), heardA.list()[0], "a never hears its own broadcast")
	assert.Equal(t, client("other-schema"), heardOther.list()[0], "another schema's replicas hear nothing of this one")

	// Many changes go in several payloads, every one of them, in order.
	var many []live.Change
	for i := range 300 {
		many = append(many, client(fmt.Sprintf("client-%03d-%s", i, strings.Repeat("x", 60))))
	}
	require.NoError(t, b.Broadcast(ctx, many))
	require.Eventually(t, func() bool { return len(heardA.list()) == 301 }, 10*time.Second, 5*time.Millisecond)
	assert.Equal(t, many, heardA.list()[1:])
}
