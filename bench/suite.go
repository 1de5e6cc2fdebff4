package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// config is the suite's command line.
type config struct {
	Bin          string        `json:"binary"`
	TestData     string        `json:"-"`
	Out          string        `json:"-"`
	Closed       time.Duration `json:"closed_phase"`
	Open         time.Duration `json:"open_phase"`
	Warmup       time.Duration `json:"warmup"`
	Conns        int           `json:"closed_concurrency"`
	OpenWorkers  int           `json:"open_max_in_flight"`
	Rates        []int         `json:"open_rates"`       // of the signed seed webhook
	OtherRates   []int         `json:"other_open_rates"` // of every other scenario
	Sessions     int           `json:"mcp_sessions"`
	LiveRate     int           `json:"live_rate"`     // webhooks/s for one client in the live-updates comparison; 0: skipped
	LiveSessions int           `json:"live_sessions"` // MCP sessions subscribed to that client
	LivePhase    time.Duration `json:"live_phase"`    // each of its alternating phases
	Micro        bool          `json:"-"`
	PG           string        `json:"-"`            // a postgres:// URL, password and all: never recorded
	PGRate       int           `json:"pg_open_rate"` // of the PostgreSQL rows' open loop; 0: closed loop only
}

func parseConfig(name string, args []string) (config, *flag.FlagSet, error) {
	c := config{}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&c.Bin, "bin", "bin/webhook-mcp", "webhook-mcp binary under test")
	fs.StringVar(&c.TestData, "testdata", "testdata", "directory of seed_example.json and clickup_task_full.json")
	fs.StringVar(&c.Out, "out", "bench/results", "directory for <date>.json")
	fs.DurationVar(&c.Closed, "closed", 5*time.Second, "duration of each closed-loop phase")
	fs.DurationVar(&c.Open, "open", 3*time.Second, "duration of each open-loop phase")
	fs.DurationVar(&c.Warmup, "warmup", 500*time.Millisecond, "closed-loop warm-up before each payload's phases")
	fs.IntVar(&c.Conns, "conns", 64, "concurrent connections of the closed loop")
	fs.IntVar(&c.OpenWorkers, "open-workers", 128, "most requests in flight in the open loop")
	rates := fs.String("rates", "500,2000,5000", "open-loop rates of the signed seed webhook, requests per second (the target is at 2000)")
	otherRates := fs.String("other-rates", "500", "open-loop rates of the other scenarios: ClickUp webhook, MCP tools (empty: closed loop only)")
	fs.IntVar(&c.Sessions, "sessions", 16, "MCP sessions the requests are spread over")
	fs.IntVar(&c.LiveRate, "live-rate", 1000, "webhooks/s for one client, with and without subscribed sessions (0: skip)")
	fs.IntVar(&c.LiveSessions, "live-sessions", 16, "MCP sessions subscribed to that client's graph")
	fs.DurationVar(&c.LivePhase, "live-phase", 2*time.Second, "duration of each of the 6 alternating live phases")
	fs.BoolVar(&c.Micro, "micro", true, "also run the extraction micro-benchmark (go test) for its target")
	fs.StringVar(&c.PG, "pg", os.Getenv(pgEnv), "PostgreSQL database (postgres:// URL) for the PostgreSQL rows, each run in a new schema; empty: skipped (default $"+pgEnv+")")
	fs.IntVar(&c.PGRate, "pg-rate", openRate, "open-loop rate of the PostgreSQL rows, requests per second (0: closed loop only)")
	err := fs.Parse(args)
	if err != nil {
		return c, fs, err
	}
	if c.Rates, err = parseRates("-rates", *rates); err != nil {
		return c, fs, err
	}
	if c.OtherRates, err = parseRates("-other-rates", *otherRates); err != nil {
		return c, fs, err
	}
	return c, fs, nil
}

// parseRates reads a comma-separated list of positive rates; empty is none.
func parseRates(flagName, list string) ([]int, error) {
	var out []int
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	for _, r := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(r))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%s: %q is not a positive rate", flagName, r)
		}
		out = append(out, n)
	}
	return out, nil
}

type payload struct {
	name string
	body []byte
}

func loadPayloads(dir string) ([]payload, error) {
	var out []payload
	for _, p := range []struct{ name, file string }{{"seed", "seed_example.json"}, {"clickup", "clickup_task_full.json"}} {
		b, err := os.ReadFile(filepath.Join(dir, p.file))
		if err != nil {
			return nil, err
		}
		out = append(out, payload{p.name, b})
	}
	return out, nil
}

// productEnv is the environment of webhook-mcp under test: loopback, a temp
// data dir, a signing secret, rate limits off, default log level, and
// outbound delivery allowed to 127.0.0.1 so that send_webhook_response accepts
// the benchmark's (never approved) loopback response URL.
func productEnv(addr, dataDir, secret string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"HTTP_ADDR=" + addr, "DATA_DIR=" + dataDir, "MAKE_COM_WEBHOOK_SECRET=" + secret,
		"RATE_LIMIT_PER_SOURCE=0", "RATE_LIMIT_PER_IP=0", "APPROVAL_TOKEN=bench-approval-token",
		"OUTBOUND_ALLOW_HOSTS=127.0.0.1", "LOG_LEVEL=info", "LOG_FORMAT=text",
	}
}

// serverSpec is one process under test and the suite it serves.
type serverSpec struct {
	name, target, suite string
	argv                []string
	dataDir             string // the product's DATA_DIR; empty for a baseline
}

func runSuite(ctx context.Context, args []string) error {
	cfg, _, err := parseConfig("run", args)
	if err != nil {
		return err
	}
	began := time.Now()
	payloads, err := loadPayloads(cfg.TestData)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	bin, err := filepath.Abs(cfg.Bin)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "webhook-mcp-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	secret := "bench-" + randHex(16)
	rep := newReport(cfg)
	rep.LoadAvgBefore = readTrim("/proc/loadavg")
	servers := []serverSpec{
		{"baseline-http", "baseline", "webhook", []string{self, "baseline-http"}, ""},
		{"webhook-mcp (webhook)", "webhook-mcp", "webhook", []string{bin, "serve"}, filepath.Join(tmp, "data-webhook")},
		{"baseline-mcp", "baseline", "mcp", []string{self, "baseline-mcp"}, ""},
		{"webhook-mcp (mcp)", "webhook-mcp", "mcp", []string{bin, "serve"}, filepath.Join(tmp, "data-mcp")},
	}
	if cfg.LiveRate > 0 && cfg.LiveSessions > 0 {
		servers = append(servers, serverSpec{"webhook-mcp (live)", "webhook-mcp", "live", []string{bin, "serve"},
			filepath.Join(tmp, "data-live")})
	}
	var seq atomic.Int64
	for i, sv := range servers {
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		argv, env := sv.argv, []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
		if sv.dataDir != "" {
			env = productEnv(addr, sv.dataDir, secret)
		} else {
			argv = append(append([]string{}, argv...), "-addr", addr)
		}
		logPath := filepath.Join(tmp, fmt.Sprintf("server-%d.log", i))
		p, err := startProc(ctx, sv.name, argv, env, addr, logPath)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "%-22s ready in %.1f ms via %s, idle RSS %.1f MiB\n", sv.name, p.readyMS, p.readyPath, mib(p.idleKiB))
		client := newClient()
		if sv.suite == "webhook" {
			for _, pl := range payloads {
				r := newWebhookTarget(client, p.base, pl.body, secret, fmt.Sprintf("bench-%s-%d-", randHex(4), i))
				rates := cfg.OtherRates
				if pl.name == "seed" {
					rates = cfg.Rates
				}
				rep.Phases = append(rep.Phases, runGroup(ctx, cfg, []*proc{p}, sv, "", pl.name, r, rates, &seq)...)
				if ctx.Err() != nil {
					break
				}
			}
		} else if sv.suite == "live" {
			err = runLive(ctx, cfg, p, sv, client, payloads[0], secret, rep, &seq)
		} else {
			err = runMCP(ctx, cfg, p, sv, client, payloads, rep, &seq)
		}
		client.CloseIdleConnections()
		p.stop()
		if err != nil {
			return fmt.Errorf("%s: %w (log: %s)", sv.name, err, tail(logPath))
		}
		rep.Processes = append(rep.Processes, procInfo{Name: sv.name, Target: sv.target, Suite: sv.suite,
			ReadyPath: p.readyPath, StartToReadyMS: p.readyMS, IdleRSSKiB: p.idleKiB, PeakRSSKiB: p.peakKiB,
			LogErrors: countLines(logPath, "level=ERROR")})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if sv.target == "webhook-mcp" && sv.suite == "webhook" {
			// Right after the SQLite rows they are compared with.
			if err := runPostgres(ctx, cfg, bin, tmp, secret, payloads, rep, &seq); err != nil {
				return err
			}
		}
	}
	if cfg.Micro {
		rep.Micro = runExtractMicro(ctx)
	}
	rep.LoadAvgAfter = readTrim("/proc/loadavg")
	rep.finish(time.Since(began))
	rep.print(os.Stdout)
	path, err := rep.write(cfg.Out)
	if err != nil {
		return err
	}
	fmt.Printf("\nwrote %s (run took %s)\n", path, time.Since(began).Round(time.Second))
	return nil
}

// baselineApprovalID is what the bare mcp-go server's trivial
// get_approval_status is asked about: it looks nothing up.
const baselineApprovalID = "bench-baseline-approval"

// runMCP measures tools/call on one server over cfg.Sessions sessions: first
// the read-only get_approval_status (on the product: of a real pending
// approval, and the bytes of its DATA_DIR before and after, since reads must
// not write), then extract_client_knowledge_graph with each payload.
func runMCP(ctx context.Context, cfg config, p *proc, sv serverSpec, client *http.Client, payloads []payload,
	rep *report, seq *atomic.Int64) error {
	sessions, err := newMCPSessions(ctx, client, p.base, cfg.Sessions)
	if err != nil {
		return err
	}
	approvalID := baselineApprovalID
	if sv.dataDir != "" {
		if approvalID, err = createApproval(ctx, sessions, seq.Add(2)-1); err != nil {
			return err
		}
	}
	var before int64
	if sv.dataDir != "" {
		if before, err = dirBytes(sv.dataDir); err != nil {
			return err
		}
	}
	calls0 := seq.Load()
	rep.Phases = append(rep.Phases, runGroup(ctx, cfg, []*proc{p}, sv, statusTool, "approval",
		newMCPTarget(sessions, statusTool, approvalArgs(approvalID)), cfg.OtherRates, seq)...)
	if sv.dataDir != "" {
		after, err := dirBytes(sv.dataDir)
		if err != nil {
			return err
		}
		rep.ReadOnlyDB = &dbGrowth{Process: sv.name, Tool: statusTool, BeforeBytes: before, AfterBytes: after,
			Calls: seq.Load() - calls0}
		fmt.Fprintf(os.Stderr, "  mcp      %s: DATA_DIR %d -> %d bytes over %d calls\n", statusTool, before, after, seq.Load()-calls0)
	}
	for _, pl := range payloads {
		if ctx.Err() != nil {
			break
		}
		rep.Phases = append(rep.Phases, runGroup(ctx, cfg, []*proc{p}, sv, extractTool, pl.name,
			newMCPTarget(sessions, extractTool, extractArgs(pl.body)), cfg.OtherRates, seq)...)
	}
	return nil
}

// runGroup measures one server with one payload or tool: a warm-up, the
// closed loop, then each open-loop rate. Each phase reads its own peak RSS.
// With several processes (replicas sharing one database, the load split over
// them), CPU and peak RSS are their sums.
func runGroup(ctx context.Context, cfg config, ps []*proc, sv serverSpec, tool, payloadName string, r requester,
	rates []int, seq *atomic.Int64) []phase {
	_ = closedLoop(ctx, r, seq, cfg.Conns, cfg.Warmup)
	var out []phase
	measure := func(mode string, conc, rate int, dur time.Duration, run func() sample) {
		out = append(out, measurePhase(ps, sv, tool, payloadName, mode, conc, rate, dur, run))
	}
	measure("closed", cfg.Conns, 0, cfg.Closed, func() sample { return closedLoop(ctx, r, seq, cfg.Conns, cfg.Closed) })
	for _, rate := range rates {
		if ctx.Err() != nil {
			break
		}
		measure("open", cfg.OpenWorkers, rate, cfg.Open, func() sample {
			return openLoop(ctx, r, seq, rate, cfg.OpenWorkers, cfg.Open, 500*time.Millisecond)
		})
	}
	return out
}

// measurePhase runs one phase after a short pause and measures it: the
// generator's sample, the peak RSS, and the CPU of the servers (summed over
// replicas), the generator and the rest of the machine.
func measurePhase(ps []*proc, sv serverSpec, tool, payloadName, mode string, conc, rate int, dur time.Duration,
	run func() sample) phase {
	time.Sleep(200 * time.Millisecond)
	var srv0, srv1 float64
	for _, p := range ps {
		p.resetPeak()
		srv0 += cpuSeconds(p.cmd.Process.Pid)
	}
	gen0, all0 := cpuSeconds(0), machineBusySeconds()
	s := run()
	gen1, all1 := cpuSeconds(0), machineBusySeconds()
	var hwm int64
	for _, p := range ps {
		srv1 += cpuSeconds(p.cmd.Process.Pid)
		h := p.status("VmHWM")
		p.peakKiB = max(p.peakKiB, h)
		hwm += h
	}
	ph := newPhase(sv.suite, sv.target, sv.name, payloadName, mode, conc, rate, dur, s, hwm)
	ph.Tool = tool
	ph.ServerCores = round2((srv1 - srv0) / s.elapsed.Seconds())
	ph.GeneratorCores = round2((gen1 - gen0) / s.elapsed.Seconds())
	ph.OtherCores = round2(max(0, (all1-all0)-(srv1-srv0)-(gen1-gen0)) / s.elapsed.Seconds())
	fmt.Fprintf(os.Stderr, "  %-8s %-20s %-7s %5s rps: %8.0f rps  p50 %7.2f ms  p99 %8.2f ms  errors %d  peak RSS %.1f MiB  cores server %.2f gen %.2f other %.2f\n",
		sv.suite, scenarioLabel(ph), mode, rateLabel(rate), ph.Throughput, ph.Latency.P50, ph.Latency.P99, ph.Errors+ph.Missed, mib(hwm),
		ph.ServerCores, ph.GeneratorCores, ph.OtherCores)
	return ph
}

func rateLabel(rate int) string {
	if rate == 0 {
		return "max"
	}
	return strconv.Itoa(rate)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

func mib(kib int64) float64 { return float64(kib) / 1024 }
