package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/store"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// Run with: go test -run '^$' -bench . -benchmem ./store/
//
// Every benchmark runs against a real database file in a temporary directory,
// once per synchronous mode, so the cost of the fsync per commit (FULL) shows.

var syncModes = []string{store.SyncNormal, store.SyncFull}

func openBench(b *testing.B, sync string) *store.SQLite {
	b.Helper()
	s, err := store.OpenSQLite(context.Background(), store.Options{DataDir: b.TempDir(), Logger: quiet, Synchronous: sync})
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })
	return s
}

func reportOpsPerSec(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// insertOne is the inbox work of one webhook: the row before processing and
// its completion after.
func insertOne(ctx context.Context, s *store.SQLite, id string, body []byte, result json.RawMessage) error {
	ev := webhook.InboxEvent{ID: id, IdempotencyKey: "key-" + id, Kind: webhook.KindWebhook, Source: "make.com",
		Route: "chatgpt-clients", ClientID: "client-123", ReceivedAt: time.Now(),
		Headers: map[string]string{"Content-Type": "application/json", "Webhook-Id": id}, Body: body}
	if _, err := s.BeginEvent(ctx, ev, ev.ReceivedAt.Add(-24*time.Hour)); err != nil {
		return err
	}
	return s.CompleteEvent(ctx, id, webhook.Completion{State: webhook.StateProcessed, Result: result,
		Duration: 100 * time.Microsecond, At: time.Now()})
}

// BenchmarkInboxInsert measures BeginEvent+CompleteEvent of the seed payload:
// serial (one caller, a commit per write) and parallel (64 concurrent callers,
// whose writes the writer group-commits).
func BenchmarkInboxInsert(b *testing.B) {
	body, err := os.ReadFile("../testdata/seed_example.json")
	require.NoError(b, err)
	result := json.RawMessage(`{"status":"processed","client_id":"client-123"}`)
	ctx := context.Background()
	for _, sync := range syncModes {
		b.Run("serial/sync="+sync, func(b *testing.B) {
			s := openBench(b, sync)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				if err := insertOne(ctx, s, fmt.Sprintf("s-%d", i), body, result); err != nil {
					b.Fatal(err)
				}
			}
			reportOpsPerSec(b)
		})
		b.Run("parallel/sync="+sync, func(b *testing.B) {
			s := openBench(b, sync)
			var n atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(32) // 32 × GOMAXPROCS callers, like concurrent webhook requests
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := insertOne(ctx, s, fmt.Sprintf("p-%d", n.Add(1)), body, result); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportOpsPerSec(b)
		})
	}
}

// BenchmarkGraphMerge measures MergeGraph of a 40-node, 76-relationship graph
// into the same client's stored graph (the steady state: every node exists,
// properties merge, webhook ids accumulate up to their cap), and of the
// ClickUp fixture's extraction (28 nodes, 30 relationships).
func BenchmarkGraphMerge(b *testing.B) {
	ctx := context.Background()
	raw, err := os.ReadFile("../testdata/clickup_task_full.json")
	require.NoError(b, err)
	var payload map[string]any
	require.NoError(b, json.Unmarshal(raw, &payload))
	clickup := graph.Extract(payload, graph.ExtractOptions{ClientID: "client-123", Source: "clickup",
		IncludeTaskDetails: true, ExtractionID: "x", Now: time.Now()})
	graphs := []struct {
		name string
		g    graph.KnowledgeGraph
	}{
		{"nodes=40", graphOf("client-123", 38, "Task")},
		{"clickup", clickup},
	}
	for _, sync := range syncModes {
		for _, gg := range graphs {
			b.Run(gg.name+"/serial/sync="+sync, func(b *testing.B) {
				s := openBench(b, sync)
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					i++
					if err := s.MergeGraph(ctx, gg.g, benchID(i), time.Now()); err != nil {
						b.Fatal(err)
					}
				}
				reportOpsPerSec(b)
			})
			b.Run(gg.name+"/parallel/sync="+sync, func(b *testing.B) {
				s := openBench(b, sync)
				var n atomic.Int64
				b.ReportAllocs()
				b.SetParallelism(32)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						i := n.Add(1)
						g := gg.g
						g.ClientID = fmt.Sprintf("client-%d", i%50) // 50 clients
						if err := s.MergeGraph(ctx, g, benchID(i), time.Now()); err != nil {
							b.Error(err)
							return
						}
					}
				})
				reportOpsPerSec(b)
			})
		}
	}
}

// benchID is a webhook id shaped like the UUIDs the server assigns.
func benchID[T int | int64](i T) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
}
