package main

import (
	"fmt"
	"strings"
)

// The performance targets of issue 10 (and the extraction target of issue 7),
// each checked on what this run measured. A target whose phase did not run
// (a flag left it out, or the run was interrupted) is missed, not skipped.
const (
	webhookSeedMin    = 0.5  // signed webhook, seed, closed loop, × bare handler
	webhookClickUpMin = 0.35 // signed webhook, full ClickUp task, closed loop, × bare handler
	openRate          = 2000 // req/s of the open-loop target (seed)
	openP99MaxMS      = 5.0
	readOnlyMin       = 0.8 // MCP tools/call of a read-only tool, × bare mcp-go
	extractMin        = 0.5 // MCP tools/call extract_client_knowledge_graph, × bare mcp-go
	idleRSSMaxKiB     = 24 * 1024
	peakRSSMaxKiB     = 64 * 1024
	readyMaxMS        = 100.0
)

const notMeasured = "not measured"

func targetChecks(r *report) []check {
	var out []check
	add := func(c check) { out = append(out, c) }
	add(throughputCheck(r, fmt.Sprintf("signed webhook seed, distinct keys, closed loop: >= %.2gx bare handler", webhookSeedMin),
		"webhook", "", "seed", webhookSeedMin))
	add(throughputCheck(r, fmt.Sprintf("signed webhook ClickUp full task, closed loop: >= %.2gx bare handler", webhookClickUpMin),
		"webhook", "", "clickup", webhookClickUpMin))
	add(openLoopCheck(r))
	add(throughputCheck(r, fmt.Sprintf("MCP tools/call %s (read-only), %d sessions: >= %.2gx bare mcp-go",
		statusTool, r.Config.Sessions, readOnlyMin), "mcp", statusTool, "approval", readOnlyMin))
	add(readOnlyWritesCheck(r.ReadOnlyDB))
	for _, pl := range []string{"seed", "clickup"} {
		add(throughputCheck(r, fmt.Sprintf("MCP tools/call %s (%s), %d sessions: >= %.2gx bare mcp-go",
			extractTool, pl, r.Config.Sessions, extractMin), "mcp", extractTool, pl, extractMin))
	}
	for _, suite := range []string{"webhook", "mcp"} {
		out = append(out, processChecks(r, suite)...)
	}
	if r.Config.LiveRate > 0 {
		add(liveCheck(r))
	}
	for _, m := range r.Micro {
		if m.Error == "" && strings.HasPrefix(m.Name, "BenchmarkExtractFullClickUp") {
			add(check{Target: "extraction of the full ClickUp fixture (issue 7): <= 20 us, <= 150 allocs",
				Measured: fmt.Sprintf("%.1f us, %.0f allocs", m.NsPerOp/1000, m.Allocs), Baseline: "-", Ratio: "-",
				Pass: m.NsPerOp <= 20000 && m.Allocs <= 150})
		}
	}
	return out
}

// throughputCheck compares the closed-loop throughput of the product with the
// baseline's for one scenario; a phase with errors does not meet its target.
func throughputCheck(r *report, name, suite, tool, payload string, minRatio float64) check {
	c := check{Target: name, Measured: notMeasured, Baseline: notMeasured, Ratio: "-"}
	p, okP := r.find(suite, "webhook-mcp", tool, payload, "closed", 0)
	b, okB := r.find(suite, "baseline", tool, payload, "closed", 0)
	if okP {
		c.Measured = rpsText(p)
	}
	if okB {
		c.Baseline = rpsText(b)
	}
	if okP && okB {
		q := div(p.Throughput, b.Throughput)
		c.Ratio = fmt.Sprintf("%.2fx", q)
		c.Pass = q >= minRatio && p.OK > 0 && p.Errors+p.Missed == 0
	}
	return c
}

func rpsText(p phase) string { return fmt.Sprintf("%.0f req/s", p.Throughput) + failText(p, false) }

// failText counts a phase's errors and its missed tickets (open loop:
// requests not even sent within the grace period): both fail a target.
func failText(p phase, always bool) string {
	s := ""
	if p.Errors > 0 || always {
		s += fmt.Sprintf(", %d errors", p.Errors)
	}
	if p.Missed > 0 {
		s += fmt.Sprintf(", %d missed", p.Missed)
	}
	return s
}

func openLoopCheck(r *report) check {
	c := check{Target: fmt.Sprintf("signed webhook seed, open loop %d req/s: p99 <= %.0f ms, 0 errors", openRate, openP99MaxMS),
		Measured: notMeasured, Baseline: notMeasured, Ratio: "-"}
	p, okP := r.find("webhook", "webhook-mcp", "", "seed", "open", openRate)
	b, okB := r.find("webhook", "baseline", "", "seed", "open", openRate)
	text := func(p phase) string {
		return fmt.Sprintf("p99 %.2f ms", p.Latency.P99) + failText(p, true)
	}
	if okP {
		c.Measured = text(p)
		c.Pass = p.OK > 0 && p.Latency.P99 <= openP99MaxMS && p.Errors+p.Missed == 0
	}
	if okB {
		c.Baseline = text(b)
	}
	if okP && okB {
		c.Ratio = fmt.Sprintf("%.1fx p99", div(p.Latency.P99, b.Latency.P99))
	}
	return c
}

func readOnlyWritesCheck(g *dbGrowth) check {
	c := check{Target: fmt.Sprintf("MCP %s phases write nothing: DATA_DIR growth 0 bytes", statusTool),
		Measured: notMeasured, Baseline: "-", Ratio: "-"}
	if g != nil {
		c.Measured = fmt.Sprintf("%+d bytes (%d -> %d) over %d calls", g.AfterBytes-g.BeforeBytes, g.BeforeBytes,
			g.AfterBytes, g.Calls)
		c.Pass = g.Calls > 0 && g.AfterBytes == g.BeforeBytes
	}
	return c
}

// processChecks are the memory and start-up targets of the product process
// that served suite, next to the baseline process of the same suite.
func processChecks(r *report, suite string) []check {
	var p, b *procInfo
	for i := range r.Processes {
		switch q := &r.Processes[i]; {
		case q.Suite == suite && q.Target == "webhook-mcp":
			p = q
		case q.Suite == suite && q.Target == "baseline":
			b = q
		}
	}
	name := "webhook-mcp (" + suite + ")"
	if p == nil {
		return []check{{Target: name + ": idle RSS, peak RSS, start to ready", Measured: notMeasured, Baseline: "-", Ratio: "-"}}
	}
	mem := func(target string, got, base, limit int64) check {
		c := check{Target: fmt.Sprintf("%s %s <= %d MiB", name, target, limit/1024), Measured: fmt.Sprintf("%.1f MiB", mib(got)),
			Baseline: "-", Ratio: "-", Pass: got > 0 && got <= limit}
		if b != nil {
			c.Baseline, c.Ratio = fmt.Sprintf("%.1f MiB", mib(base)), fmt.Sprintf("%.1fx", div(float64(got), float64(base)))
		}
		return c
	}
	var bi procInfo
	if b != nil {
		bi = *b
	}
	peak, basePeak := closedPeak(r, suite, p.Target), closedPeak(r, suite, bi.Target)
	ready := check{Target: fmt.Sprintf("%s start to ready (%s 200) <= %.0f ms", name, p.ReadyPath, readyMaxMS),
		Measured: fmt.Sprintf("%.1f ms", p.StartToReadyMS), Baseline: "-", Ratio: "-", Pass: p.StartToReadyMS <= readyMaxMS}
	if b != nil {
		ready.Baseline, ready.Ratio = fmt.Sprintf("%.1f ms", b.StartToReadyMS), fmt.Sprintf("%.1fx", div(p.StartToReadyMS, b.StartToReadyMS))
	}
	return []check{
		mem("idle RSS", p.IdleRSSKiB, bi.IdleRSSKiB, idleRSSMaxKiB),
		mem("peak RSS under closed loop", peak, basePeak, peakRSSMaxKiB),
		ready,
	}
}

// closedPeak is the largest peak RSS of target's closed-loop phases in suite
// (each phase resets the kernel's mark first).
func closedPeak(r *report, suite, target string) int64 {
	var peak int64
	for _, p := range r.Phases {
		if p.Suite == suite && p.Target == target && p.Mode == "closed" {
			peak = max(peak, p.PeakRSSKiB)
		}
	}
	return peak
}
