package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func closedPhase(suite, target, tool, payload string, rps float64, errs int64) phase {
	return phase{Suite: suite, Target: target, Tool: tool, Payload: payload, Mode: "closed", Throughput: rps, OK: 100, Errors: errs}
}

// checkNamed finds the target row whose name contains s.
func checkNamed(t *testing.T, cs []check, s string) check {
	t.Helper()
	for _, c := range cs {
		if strings.Contains(c.Target, s) {
			return c
		}
	}
	require.Failf(t, "no target row", "%q in %+v", s, cs)
	return check{}
}

func TestTargetChecks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		phases   []phase
		db       *dbGrowth
		row      string
		pass     bool
		measured string
		ratio    string
	}{
		{name: "clickup 0.4x meets 0.35x",
			phases: []phase{closedPhase("webhook", "baseline", "", "clickup", 1000, 0), closedPhase("webhook", "webhook-mcp", "", "clickup", 400, 0)},
			row:    "ClickUp full task", pass: true, measured: "400 req/s", ratio: "0.40x"},
		{name: "seed 0.4x misses 0.5x",
			phases: []phase{closedPhase("webhook", "baseline", "", "seed", 1000, 0), closedPhase("webhook", "webhook-mcp", "", "seed", 400, 0)},
			row:    "webhook seed, distinct keys", pass: false, measured: "400 req/s", ratio: "0.40x"},
		{name: "read-only 0.9x with errors misses",
			phases: []phase{closedPhase("mcp", "baseline", statusTool, "approval", 1000, 0), closedPhase("mcp", "webhook-mcp", statusTool, "approval", 900, 3)},
			row:    statusTool + " (read-only)", pass: false, measured: "900 req/s, 3 errors", ratio: "0.90x"},
		{name: "read-only 0.9x meets 0.8x",
			phases: []phase{closedPhase("mcp", "baseline", statusTool, "approval", 1000, 0), closedPhase("mcp", "webhook-mcp", statusTool, "approval", 900, 0)},
			row:    statusTool + " (read-only)", pass: true, measured: "900 req/s", ratio: "0.90x"},
		{name: "extract without its baseline is missed",
			phases: []phase{closedPhase("mcp", "webhook-mcp", extractTool, "seed", 900, 0)},
			row:    extractTool + " (seed)", pass: false, measured: "900 req/s", ratio: "-"},
		{name: "open loop not run is missed",
			row: "open loop 2000", pass: false, measured: notMeasured, ratio: "-"},
		{name: "open loop p99 within 5 ms",
			phases: []phase{
				{Suite: "webhook", Target: "baseline", Payload: "seed", Mode: "open", Rate: 2000, OK: 10, Latency: latencies{P99: 1}},
				{Suite: "webhook", Target: "webhook-mcp", Payload: "seed", Mode: "open", Rate: 2000, OK: 10, Latency: latencies{P99: 4}}},
			row: "open loop 2000", pass: true, measured: "p99 4.00 ms, 0 errors", ratio: "4.0x p99"},
		{name: "open loop with a missed ticket",
			phases: []phase{{Suite: "webhook", Target: "webhook-mcp", Payload: "seed", Mode: "open", Rate: 2000, OK: 10, Missed: 1, Latency: latencies{P99: 4}}},
			row:    "open loop 2000", pass: false, measured: "p99 4.00 ms, 0 errors, 1 missed", ratio: "-"},
		{name: "reads that wrote",
			db:  &dbGrowth{BeforeBytes: 4096, AfterBytes: 8192, Calls: 10},
			row: "write nothing", pass: false, measured: "+4096 bytes (4096 -> 8192) over 10 calls", ratio: "-"},
		{name: "reads that did not write",
			db:  &dbGrowth{BeforeBytes: 4096, AfterBytes: 4096, Calls: 10},
			row: "write nothing", pass: true, measured: "+0 bytes (4096 -> 4096) over 10 calls", ratio: "-"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &report{Phases: tc.phases, ReadOnlyDB: tc.db, Config: config{Sessions: 16}}
			r.finish(time.Second)
			c := checkNamed(t, r.Checks, tc.row)
			assert.Equal(t, tc.pass, c.Pass)
			assert.Equal(t, tc.measured, c.Measured)
			assert.Equal(t, tc.ratio, c.Ratio)
		})
	}
}

func TestProcessChecks(t *testing.T) {
	t.Parallel()
	r := &report{Phases: []phase{
		{Suite: "mcp", Target: "baseline", Mode: "closed", PeakRSSKiB: 16 * 1024},
		{Suite: "mcp", Target: "webhook-mcp", Mode: "closed", PeakRSSKiB: 70 * 1024},
		{Suite: "mcp", Target: "webhook-mcp", Mode: "open", PeakRSSKiB: 80 * 1024},
	}, Processes: []procInfo{
		{Name: "baseline-mcp", Target: "baseline", Suite: "mcp", IdleRSSKiB: 8 * 1024, PeakRSSKiB: 16 * 1024, StartToReadyMS: 5, ReadyPath: "/readyz"},
		{Name: "webhook-mcp (mcp)", Target: "webhook-mcp", Suite: "mcp", IdleRSSKiB: 20 * 1024, PeakRSSKiB: 70 * 1024, StartToReadyMS: 50, ReadyPath: "/readyz"},
	}}
	r.finish(time.Second)
	idle := checkNamed(t, r.Checks, "webhook-mcp (mcp) idle RSS")
	assert.True(t, idle.Pass)
	assert.Equal(t, "8.0 MiB", idle.Baseline)
	assert.Equal(t, "2.5x", idle.Ratio)
	peak := checkNamed(t, r.Checks, "webhook-mcp (mcp) peak RSS under closed loop")
	assert.False(t, peak.Pass, "70 MiB is over 64 MiB")
	assert.Equal(t, "70.0 MiB", peak.Measured, "the open-loop phase is not the closed loop")
	assert.Equal(t, "16.0 MiB", peak.Baseline)
	assert.True(t, checkNamed(t, r.Checks, "webhook-mcp (mcp) start to ready").Pass)
	assert.False(t, checkNamed(t, r.Checks, "webhook-mcp (webhook)").Pass, "a process that did not run misses its targets")
}
