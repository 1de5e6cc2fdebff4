package live

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func client(id string) Change { return Change{Kind: KindClient, ID: id} }

func TestThrottleCoalescesPerChange(t *testing.T) {
	t.Parallel()
	th := newThrottle(250*time.Millisecond, 100)
	a, b := client("a"), client("b")

	assert.Equal(t, added, th.add(a))
	due, next := th.take(t0)
	assert.Equal(t, []Change{a}, due, "the first change after a quiet interval goes at once")
	assert.True(t, next.IsZero())

	// Three more of a within the interval, and one of b.
	for i := range 3 {
		want := added
		if i > 0 {
			want = merged
		}
		assert.Equal(t, want, th.add(a))
	}
	assert.Equal(t, added, th.add(b))
	due, next = th.take(t0.Add(100 * time.Millisecond))
	assert.Equal(t, []Change{b}, due, "b was not delivered lately; a waits")
	assert.Equal(t, t0.Add(250*time.Millisecond), next, "a is due one interval after its last delivery")

	due, _ = th.take(t0.Add(249 * time.Millisecond))
	assert.Empty(t, due)
	due, next = th.take(t0.Add(250 * time.Millisecond))
	assert.Equal(t, []Change{a}, due, "the merged changes of a go as one")
	assert.True(t, next.IsZero())
}

func TestThrottleDeliversInPublicationOrder(t *testing.T) {
	t.Parallel()
	th := newThrottle(time.Second, 100)
	var want []Change
	for _, id := range []string{"q", "b", "z", "a", "m"} {
		th.add(client(id))
		want = append(want, client(id))
	}
	th.add(client("b")) // merged: keeps its first place
	due, _ := th.take(t0)
	assert.Equal(t, want, due)
}

func TestThrottleBoundsWhatWaits(t *testing.T) {
	t.Parallel()
	th := newThrottle(time.Second, 2)
	assert.Equal(t, added, th.add(client("a")))
	assert.Equal(t, added, th.add(client("b")))
	assert.Equal(t, dropped, th.add(client("c")))
	assert.Equal(t, merged, th.add(client("a")), "a change already waiting still merges")
	due, _ := th.take(t0)
	assert.Len(t, due, 2)
	assert.Empty(t, th.last[client("c")])
	// Past the interval the delivery records are forgotten.
	_, _ = th.take(t0.Add(time.Second))
	assert.Empty(t, th.last)
}

func TestPublishNeverBlocks(t *testing.T) {
	t.Parallel()
	// No Run: nothing delivers. Publish still returns, and drops past the bound.
	n := NewNotifier(Config{MaxPending: 3})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 10_000 {
			n.Publish(client(string(rune('a' + i%26))))
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Publish blocked without a running notifier")
	}
	kept := 0 // publications of a, b and c: the three that fit
	for i := range 10_000 {
		if i%26 < 3 {
			kept++
		}
	}
	assert.Equal(t, int64(10_000-kept), n.Dropped(), "every publication of the 23 changes beyond the bound is dropped")
}

func TestNotifierDeliversAndCoalesces(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got [][]Change
	n := NewNotifier(Config{Interval: time.Hour, Deliver: func(cs []Change) {
		mu.Lock()
		got = append(got, cs)
		mu.Unlock()
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); n.Run(ctx) }()
	defer func() { cancel(); <-done }()
	deliveries := func() [][]Change { mu.Lock(); defer mu.Unlock(); return append([][]Change(nil), got...) }

	n.Publish(client("a"))
	require.Eventually(t, func() bool { return len(deliveries()) == 1 }, 5*time.Second, time.Millisecond)
	// Within the (hour-long) interval a is held back; b, published after it,
	// is not, and its delivery proves the notifier took a's again already.
	n.Publish(client("a"))
	n.Publish(client("b"))
	require.Eventually(t, func() bool { return len(deliveries()) == 2 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, [][]Change{{client("a")}, {client("b")}}, deliveries())
}
