// Package live tells MCP sessions what changed: the server reports each
// committed change (a client's graph, an approval, the webhook inbox) with
// Publish, which never blocks, and a Notifier delivers the changes on its own
// goroutine, at most one per change per interval, in the order they were first
// published. Changes committed by other processes (replicas sharing a
// PostgreSQL database) come in through a Feed, and a second Notifier can
// coalesce what this process broadcasts on it.
package live

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Kind is what changed.
type Kind string

// Kinds of change.
const (
	// KindClient: a client's knowledge graph changed; ID is the client id.
	KindClient Kind = "client"
	// KindApproval: an approval request changed state or recorded a delivery
	// attempt; ID is the approval id.
	KindApproval Kind = "approval"
	// KindEvents: webhooks were recorded in the inbox; ID is empty.
	KindEvents Kind = "events"
)

// Change names one thing that changed. Equal changes coalesce.
type Change struct {
	Kind Kind   `json:"kind"`
	ID   string `json:"id,omitempty"`
}

// Feed carries changes between the processes that share one database (the
// replicas of a PostgreSQL deployment, over LISTEN/NOTIFY).
type Feed interface {
	// Run calls publish for each change another process broadcast (never
	// for this process's own) until ctx ends, and returns ctx's error, or
	// another error when the feed is lost: the caller logs it and may run the
	// feed again. publish never blocks.
	Run(ctx context.Context, publish func(Change)) error
	// Broadcast tells the other processes of changes committed here. It is
	// best effort: a change a process misses is missing from its
	// notifications only, never from the data.
	Broadcast(ctx context.Context, changes []Change) error
}

// Defaults of Config.
const (
	DefaultInterval   = 250 * time.Millisecond
	DefaultMaxPending = 10_000
)

// Config holds a Notifier's settings.
type Config struct {
	// Deliver is called on the notifier's goroutine with the changes that are
	// due, oldest first. It should not block for long: changes published
	// meanwhile wait (and coalesce).
	Deliver func([]Change)
	// Interval is the least time between two deliveries of the same change
	// (<= 0: DefaultInterval). The first change after a quiet interval is
	// delivered at once; the ones that follow within the interval are merged
	// into one delivery at its end.
	Interval time.Duration
	// MaxPending bounds the distinct changes waiting (<= 0: DefaultMaxPending);
	// beyond it new ones are dropped and counted.
	MaxPending int
	// Now is the clock of the interval (nil: time.Now).
	Now func() time.Time
}

// Notifier coalesces published changes and delivers them; see the package doc.
type Notifier struct {
	deliver func([]Change)
	now     func() time.Time
	wake    chan struct{}
	dropped atomic.Int64

	mu sync.Mutex
	th *throttle
}

// NewNotifier returns a Notifier; Run delivers what Publish reports.
func NewNotifier(cfg Config) *Notifier {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = DefaultMaxPending
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Deliver == nil {
		cfg.Deliver = func([]Change) {}
	}
	return &Notifier{deliver: cfg.Deliver, now: cfg.Now, wake: make(chan struct{}, 1),
		th: newThrottle(cfg.Interval, cfg.MaxPending)}
}

// Publish reports a committed change. It never blocks: it merges c into the
// changes waiting (dropping it when MaxPending distinct changes already wait)
// and, when c was not waiting yet, wakes the notifier's goroutine.
func (n *Notifier) Publish(c Change) {
	n.mu.Lock()
	outcome := n.th.add(c)
	n.mu.Unlock()
	switch outcome {
	case dropped:
		n.dropped.Add(1)
		return
	case merged: // its wake-up is pending, or its timer is set
		return
	}
	select {
	case n.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// Dropped is how many changes were dropped because too many waited.
func (n *Notifier) Dropped() int64 { return n.dropped.Load() }

// Run delivers due changes until ctx ends.
func (n *Notifier) Run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-n.wake:
		case <-timer.C:
		}
		now := n.now()
		n.mu.Lock()
		due, next := n.th.take(now)
		n.mu.Unlock()
		if len(due) > 0 {
			n.deliver(due)
		}
		if !next.IsZero() {
			timer.Reset(max(next.Sub(now), time.Millisecond))
		}
	}
}
