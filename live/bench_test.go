package live

import (
	"context"
	"testing"
)

// BenchmarkPublish is what a webhook pays for live updates: one Publish per
// change it commits, from many goroutines at once, while the notifier runs
// and delivers (here to nobody).
func BenchmarkPublish(b *testing.B) {
	n := NewNotifier(Config{Deliver: func([]Change) {}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); n.Run(ctx) }()
	defer func() { cancel(); <-done }()
	c := Change{Kind: KindClient, ID: "client-123"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n.Publish(c)
		}
	})
}
