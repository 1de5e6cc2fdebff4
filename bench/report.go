package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// phase is one measured load phase.
type phase struct {
	Suite       string    `json:"suite"`  // webhook | mcp
	Target      string    `json:"target"` // baseline | webhook-mcp
	Process     string    `json:"process"`
	Tool        string    `json:"tool,omitempty"` // mcp: the tool called
	Payload     string    `json:"payload"`        // seed | clickup | approval (get_approval_status)
	Mode        string    `json:"mode"`           // closed | open
	Concurrency int       `json:"concurrency"`
	Rate        int       `json:"rate_rps,omitempty"`
	DurationS   float64   `json:"duration_s"`
	Sent        int64     `json:"completed"`
	OK          int64     `json:"ok"`
	Errors      int64     `json:"errors"`
	Missed      int64     `json:"missed"`
	Throughput  float64   `json:"throughput_rps"`
	Latency     latencies `json:"latency_ms"`
	PeakRSSKiB  int64     `json:"peak_rss_kib"`
	// CPU used during the phase, in cores (of NumCPU): the server process
	// and the load generator (this harness).
	ServerCores    float64  `json:"server_cpu_cores"`
	GeneratorCores float64  `json:"generator_cpu_cores"`
	OtherCores     float64  `json:"other_cpu_cores"` // used by other processes on the machine: noise
	ErrorSamples   []string `json:"error_samples,omitempty"`
}

func newPhase(suite, target, process, payload, mode string, conc, rate int, dur time.Duration, s sample, hwm int64) phase {
	return phase{Suite: suite, Target: target, Process: process, Payload: payload, Mode: mode, Concurrency: conc,
		Rate: rate, DurationS: s.elapsed.Seconds(), Sent: int64(len(s.lat)), OK: s.ok, Errors: s.errs, Missed: s.missed,
		Throughput: float64(s.ok) / s.elapsed.Seconds(), Latency: summarize(s.lat), PeakRSSKiB: hwm,
		ErrorSamples: s.errMsgs}
}

// procInfo is what was measured of one server process.
type procInfo struct {
	Name           string  `json:"name"`
	Target         string  `json:"target"`
	Suite          string  `json:"suite"`
	ReadyPath      string  `json:"ready_path"`
	StartToReadyMS float64 `json:"start_to_ready_ms"`
	IdleRSSKiB     int64   `json:"idle_rss_kib"`
	PeakRSSKiB     int64   `json:"peak_rss_kib"`
	LogErrors      int     `json:"log_error_lines"`
}

// ratio is webhook-mcp / baseline for one suite, tool, payload and mode.
type ratio struct {
	Suite      string  `json:"suite"`
	Tool       string  `json:"tool,omitempty"`
	Payload    string  `json:"payload"`
	Mode       string  `json:"mode"`
	Rate       int     `json:"rate_rps,omitempty"`
	Throughput float64 `json:"throughput"`
	P50        float64 `json:"p50"`
	P99        float64 `json:"p99"`
	P999       float64 `json:"p99_9"`
	PeakRSS    float64 `json:"peak_rss"`
}

// check is one target of the issue, met or missed: what the product
// measured, what the bare baseline measured in the same run, and their ratio
// where the target is one.
type check struct {
	Target   string `json:"target"`
	Measured string `json:"measured"`
	Baseline string `json:"baseline"`
	Ratio    string `json:"ratio"`
	Pass     bool   `json:"pass"`
}

// dbGrowth is the size of the product's DATA_DIR around its read-only MCP
// scenario (warm-up and every phase): reads must not write.
type dbGrowth struct {
	Process     string `json:"process"`
	Tool        string `json:"tool"`
	BeforeBytes int64  `json:"before_bytes"`
	AfterBytes  int64  `json:"after_bytes"`
	Calls       int64  `json:"calls"`
}

// micro is one micro-benchmark line.
type micro struct {
	Name     string  `json:"name"`
	NsPerOp  float64 `json:"ns_per_op"`
	BPerOp   float64 `json:"bytes_per_op"`
	Allocs   float64 `json:"allocs_per_op"`
	Error    string  `json:"error,omitempty"`
	RawLines string  `json:"raw,omitempty"`
}

type report struct {
	Date          string      `json:"date"`
	GoVersion     string      `json:"go_version"`
	NumCPU        int         `json:"num_cpu"`
	GOMAXPROCS    int         `json:"gomaxprocs"`
	CPUModel      string      `json:"cpu_model"`
	Kernel        string      `json:"kernel"`
	Note          string      `json:"note"`
	LoadAvgBefore string      `json:"loadavg_before"`
	LoadAvgAfter  string      `json:"loadavg_after"`
	Config        config      `json:"config"`
	DurationS     float64     `json:"run_duration_s"`
	Processes     []procInfo  `json:"processes"`
	Phases        []phase     `json:"phases"`
	Ratios        []ratio     `json:"ratios"`
	ReadOnlyDB    *dbGrowth   `json:"read_only_db_growth,omitempty"`
	Live          *liveResult `json:"live_updates,omitempty"`
	Micro         []micro     `json:"micro,omitempty"`
	Checks        []check     `json:"checks"`
	Postgres      *pgSummary  `json:"postgres,omitempty"` // nil: the suite did not reach them
}

func newReport(cfg config) *report {
	return &report{Date: time.Now().UTC().Format(time.RFC3339), GoVersion: runtime.Version(), NumCPU: runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0), CPUModel: cpuModel(), Kernel: readTrim("/proc/sys/kernel/osrelease"),
		Note:   "load generator and server share the machine's cores; loopback only; latency from intended send time in open loop",
		Config: cfg}
}

func (r *report) find(suite, target, tool, payload, mode string, rate int) (phase, bool) {
	for _, p := range r.Phases {
		if p.Suite == suite && p.Target == target && p.Tool == tool && p.Payload == payload && p.Mode == mode && p.Rate == rate {
			return p, true
		}
	}
	return phase{}, false
}

func div(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// finish computes the ratios and checks the targets.
func (r *report) finish(took time.Duration) {
	r.DurationS = took.Seconds()
	r.Ratios = nil
	for _, p := range r.Phases {
		if p.Target != "webhook-mcp" {
			continue
		}
		b, ok := r.find(p.Suite, "baseline", p.Tool, p.Payload, p.Mode, p.Rate)
		if !ok {
			continue
		}
		r.Ratios = append(r.Ratios, ratio{Suite: p.Suite, Tool: p.Tool, Payload: p.Payload, Mode: p.Mode, Rate: p.Rate,
			Throughput: div(p.Throughput, b.Throughput), P50: div(p.Latency.P50, b.Latency.P50),
			P99: div(p.Latency.P99, b.Latency.P99), P999: div(p.Latency.P999, b.Latency.P999),
			PeakRSS: div(float64(p.PeakRSSKiB), float64(b.PeakRSSKiB))})
	}
	r.Checks = targetChecks(r)
	if r.Postgres != nil && r.Postgres.Skipped == "" {
		r.Postgres.Rows = pgRows(r)
	}
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "\nwebhook-mcp load benchmark — %s, %s, %d cores (%s), loopback, generator on the same cores\n",
		r.Date, r.GoVersion, r.NumCPU, r.CPUModel)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "suite\tscenario\tload\ttarget\treq/s\tp50 ms\tp99 ms\tp99.9 ms\terrors\tpeak RSS MiB\tcores srv/gen/other\t")
	for _, p := range r.Phases {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.0f\t%.2f\t%.2f\t%.2f\t%d\t%.1f\t%.2f/%.2f/%.2f\t\n", p.Suite, scenarioLabel(p), loadLabel(p), p.Target,
			p.Throughput, p.Latency.P50, p.Latency.P99, p.Latency.P999, p.Errors+p.Missed, mib(p.PeakRSSKiB),
			p.ServerCores, p.GeneratorCores, p.OtherCores)
		if p.Target == "webhook-mcp" {
			for _, q := range r.Ratios {
				if q.Suite == p.Suite && q.Tool == p.Tool && q.Payload == p.Payload && q.Mode == p.Mode && q.Rate == p.Rate {
					fmt.Fprintf(tw, "\t\t\tratio\t%.2fx\t%.1fx\t%.1fx\t%.1fx\t\t%.1fx\t\t\n", q.Throughput, q.P50, q.P99, q.P999, q.PeakRSS)
				}
			}
		}
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "load average before %s, after %s; 'other' cores were used by other processes during the phase (noise)\n\n",
		r.LoadAvgBefore, r.LoadAvgAfter)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "process\tstart→ready ms\tidle RSS MiB\tpeak RSS MiB\tERROR log lines\t")
	for _, p := range r.Processes {
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t%d\t\n", p.Name, p.StartToReadyMS, mib(p.IdleRSSKiB), mib(p.PeakRSSKiB), p.LogErrors)
	}
	_ = tw.Flush()
	if len(r.Micro) > 0 {
		fmt.Fprintln(w)
		for _, m := range r.Micro {
			if m.Error != "" {
				fmt.Fprintf(w, "%s: %s\n", m.Name, m.Error)
				continue
			}
			fmt.Fprintf(w, "%s: %.0f ns/op, %.0f B/op, %.0f allocs/op\n", m.Name, m.NsPerOp, m.BPerOp, m.Allocs)
		}
	}
	fmt.Fprintln(w, "\ntargets (issue 10; ratio = webhook-mcp / bare baseline in this run):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "target\tmeasured\tbaseline\tratio\tresult")
	met := 0
	for _, c := range r.Checks {
		res := "MISSED"
		if c.Pass {
			res, met = "met", met+1
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Target, c.Measured, c.Baseline, c.Ratio, res)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "%d of %d targets met\n", met, len(r.Checks))
	r.printPG(w)
	for _, p := range r.Phases {
		for _, e := range p.ErrorSamples {
			fmt.Fprintf(w, "error sample (%s %s %s %s): %s\n", p.Process, scenarioLabel(p), p.Mode, rateLabel(p.Rate), e)
		}
	}
}

// scenarioLabel names what a phase sent: the webhook payload, or the MCP
// tool (and the payload extract was given).
func scenarioLabel(p phase) string {
	switch p.Tool {
	case "":
		return "signed " + p.Payload
	case extractTool:
		return "extract " + p.Payload
	}
	return p.Tool
}

func loadLabel(p phase) string {
	if p.Mode == "closed" {
		return fmt.Sprintf("closed c=%d", p.Concurrency)
	}
	return fmt.Sprintf("open %d/s", p.Rate)
}

func (r *report) write(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, time.Now().UTC().Format("2006-01-02")+".json")
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	return path, os.WriteFile(path, append(b, '\n'), 0o644)
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return ""
}

func readTrim(path string) string {
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b))
}
