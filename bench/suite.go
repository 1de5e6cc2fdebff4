package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// config is the suite's command line.
type config struct {
	Bin         string        `json:"binary"`
	TestData    string        `json:"-"`
	Out         string        `json:"-"`
	Closed      time.Duration `json:"closed_phase"`
	Open        time.Duration `json:"open_phase"`
	Warmup      time.Duration `json:"warmup"`
	Conns       int           `json:"closed_concurrency"`
	OpenWorkers int           `json:"open_max_in_flight"`
	Rates       []int         `json:"open_rates"`
	Sessions    int           `json:"mcp_sessions"`
	Micro       bool          `json:"-"`
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
	rates := fs.String("rates", "500,2000,5000", "open-loop rates, requests per second")
	fs.IntVar(&c.Sessions, "sessions", 16, "MCP sessions the requests are spread over")
	fs.BoolVar(&c.Micro, "micro", true, "also run the extraction micro-benchmark (go test) for its target")
	if err := fs.Parse(args); err != nil {
		return c, fs, err
	}
	for _, r := range strings.Split(*rates, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(r))
		if err != nil || n <= 0 {
			return c, fs, fmt.Errorf("-rates: %q is not a positive rate", r)
		}
		c.Rates = append(c.Rates, n)
	}
	return c, fs, nil
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
// data dir, a signing secret, rate limits off, default log level.
func productEnv(addr, dataDir, secret string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"HTTP_ADDR=" + addr, "DATA_DIR=" + dataDir, "MAKE_COM_WEBHOOK_SECRET=" + secret,
		"RATE_LIMIT_PER_SOURCE=0", "RATE_LIMIT_PER_IP=0", "APPROVAL_TOKEN=bench-approval-token",
		"LOG_LEVEL=info", "LOG_FORMAT=text",
	}
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

	type server struct {
		name, target, suite string
		argv                []string
		env                 func(addr string) []string
	}
	servers := []server{
		{"baseline-http", "baseline", "webhook", []string{self, "baseline-http"}, nil},
		{"webhook-mcp (webhook)", "webhook-mcp", "webhook", []string{bin, "serve"},
			func(addr string) []string { return productEnv(addr, filepath.Join(tmp, "data-webhook"), secret) }},
		{"baseline-mcp", "baseline", "mcp", []string{self, "baseline-mcp"}, nil},
		{"webhook-mcp (mcp)", "webhook-mcp", "mcp", []string{bin, "serve"},
			func(addr string) []string { return productEnv(addr, filepath.Join(tmp, "data-mcp"), secret) }},
	}
	for i, sv := range servers {
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		argv, env := sv.argv, []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
		if sv.env != nil {
			env = sv.env(addr)
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
		var seq atomic.Int64
		for _, pl := range payloads {
			var r requester
			if sv.suite == "webhook" {
				r = newWebhookTarget(client, p.base, pl.body, secret, fmt.Sprintf("bench-%s-%d-", randHex(4), i))
			} else if r, err = newMCPTarget(ctx, client, p.base, pl.body, cfg.Sessions); err != nil {
				p.stop()
				return fmt.Errorf("%s: %w (log: %s)", sv.name, err, tail(logPath))
			}
			rep.Phases = append(rep.Phases, runGroup(ctx, cfg, p, sv.suite, sv.target, pl.name, r, &seq)...)
			if ctx.Err() != nil {
				break
			}
		}
		client.CloseIdleConnections()
		p.stop()
		rep.Processes = append(rep.Processes, procInfo{Name: sv.name, Target: sv.target, Suite: sv.suite,
			ReadyPath: p.readyPath, StartToReadyMS: p.readyMS, IdleRSSKiB: p.idleKiB, PeakRSSKiB: p.peakKiB,
			LogErrors: countLines(logPath, "level=ERROR")})
		if ctx.Err() != nil {
			return ctx.Err()
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

// runGroup measures one server with one payload: a warm-up, the closed loop,
// then each open-loop rate. Each phase reads its own peak RSS.
func runGroup(ctx context.Context, cfg config, p *proc, suite, target, payloadName string, r requester, seq *atomic.Int64) []phase {
	_ = closedLoop(ctx, r, seq, cfg.Conns, cfg.Warmup)
	var out []phase
	measure := func(mode string, conc, rate int, dur time.Duration, run func() sample) {
		time.Sleep(200 * time.Millisecond)
		p.resetPeak()
		srv0, gen0, all0 := cpuSeconds(p.cmd.Process.Pid), cpuSeconds(0), machineBusySeconds()
		s := run()
		srv1, gen1, all1 := cpuSeconds(p.cmd.Process.Pid), cpuSeconds(0), machineBusySeconds()
		hwm := p.status("VmHWM")
		p.peakKiB = max(p.peakKiB, hwm)
		ph := newPhase(suite, target, p.name, payloadName, mode, conc, rate, dur, s, hwm)
		ph.ServerCores = round2((srv1 - srv0) / s.elapsed.Seconds())
		ph.GeneratorCores = round2((gen1 - gen0) / s.elapsed.Seconds())
		ph.OtherCores = round2(max(0, (all1-all0)-(srv1-srv0)-(gen1-gen0)) / s.elapsed.Seconds())
		fmt.Fprintf(os.Stderr, "  %-8s %-8s %-7s %5s rps: %8.0f rps  p50 %7.2f ms  p99 %8.2f ms  errors %d  peak RSS %.1f MiB  cores server %.2f gen %.2f other %.2f\n",
			suite, payloadName, mode, rateLabel(rate), ph.Throughput, ph.Latency.P50, ph.Latency.P99, ph.Errors+ph.Missed, mib(hwm),
			ph.ServerCores, ph.GeneratorCores, ph.OtherCores)
		out = append(out, ph)
	}
	measure("closed", cfg.Conns, 0, cfg.Closed, func() sample { return closedLoop(ctx, r, seq, cfg.Conns, cfg.Closed) })
	for _, rate := range cfg.Rates {
		if ctx.Err() != nil {
			break
		}
		measure("open", cfg.OpenWorkers, rate, cfg.Open, func() sample {
			return openLoop(ctx, r, seq, rate, cfg.OpenWorkers, cfg.Open, 500*time.Millisecond)
		})
	}
	return out
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
