package main

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestSummarizePercentiles(t *testing.T) {
	t.Parallel()
	lat := make([]time.Duration, 1000)
	for i := range lat {
		lat[len(lat)-1-i] = time.Duration(i+1) * time.Millisecond // unsorted on purpose
	}
	got := summarize(lat)
	want := latencies{P50: 500, P99: 990, P999: 999, Max: 1000, Mean: 500.5}
	if got != want {
		t.Fatalf("summarize = %+v, want %+v", got, want)
	}
	if (summarize(nil) != latencies{}) {
		t.Fatal("summarize(nil) is not zero")
	}
}

// countingRequester fails every third request.
type countingRequester struct{ n atomic.Int64 }

func (c *countingRequester) do(context.Context, int64) error {
	if c.n.Add(1)%3 == 0 {
		return errors.New("third")
	}
	return nil
}

func TestOpenLoopSendsEveryTicketOnce(t *testing.T) {
	t.Parallel()
	var r countingRequester
	var seq atomic.Int64
	s := openLoop(context.Background(), &r, &seq, 1000, 8, 100*time.Millisecond, time.Second)
	if s.ok+s.errs+s.missed != 100 || int64(len(s.lat)) != s.ok+s.errs {
		t.Fatalf("ok %d errs %d missed %d lat %d: want 100 tickets in all", s.ok, s.errs, s.missed, len(s.lat))
	}
	if s.errs == 0 || len(s.errMsgs) != 1 {
		t.Fatalf("errors not counted: %d, %v", s.errs, s.errMsgs)
	}
	if seq.Load() != s.ok+s.errs {
		t.Fatalf("sequence %d: want one number per request", seq.Load())
	}
}

func TestReportRatiosAndChecks(t *testing.T) {
	t.Parallel()
	r := &report{Phases: []phase{
		{Suite: "webhook", Target: "baseline", Payload: "seed", Mode: "closed", Throughput: 1000, PeakRSSKiB: 100, OK: 1},
		{Suite: "webhook", Target: "webhook-mcp", Payload: "seed", Mode: "closed", Throughput: 600, PeakRSSKiB: 200, OK: 1},
	}}
	r.finish(time.Second)
	if len(r.Ratios) != 1 || r.Ratios[0].Throughput != 0.6 || r.Ratios[0].PeakRSS != 2 {
		t.Fatalf("ratios = %+v", r.Ratios)
	}
	if len(r.Checks) == 0 || !r.Checks[0].Pass || r.Checks[0].Ratio != "0.60x" {
		t.Fatalf("checks = %+v: 0.6x must meet the 0.5x target", r.Checks)
	}
}
