package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sync/atomic"
	"time"
)

// The live-updates target (issue 16): webhooks for one client at liveRate
// with liveSessions MCP sessions subscribed to that client's graph are not
// slower than with none subscribed by more than liveMaxSlowdown.
const liveMaxSlowdown = 1.10

// liveRounds is how many times the comparison alternates between no
// subscriber and every session subscribed: the noise of a shared machine
// (other processes' bursts) falls on both sides, and the medians compare.
const liveRounds = 3

// liveResult compares the webhook latency with and without subscribers: the
// medians over the rounds of each side.
type liveResult struct {
	Rate     int    `json:"rate_rps"`
	Sessions int    `json:"sessions"`
	URI      string `json:"uri"`
	Rounds   int    `json:"rounds"`
	// Without subscribers the sessions are open too, only not subscribed.
	NoneP50  float64 `json:"none_p50_ms"`
	NoneP99  float64 `json:"none_p99_ms"`
	NoneMean float64 `json:"none_mean_ms"`
	SubsP50  float64 `json:"subscribed_p50_ms"`
	SubsP99  float64 `json:"subscribed_p99_ms"`
	SubsMean float64 `json:"subscribed_mean_ms"`
	// Server CPU per webhook, in microseconds: less sensitive to the
	// machine's other load than latency.
	NoneCPUus float64 `json:"none_server_cpu_us_per_webhook"`
	SubsCPUus float64 `json:"subscribed_server_cpu_us_per_webhook"`
	// Notifications each session received over the subscribed phases:
	// coalescing keeps them near one per 250 ms however many webhooks came.
	UpdatesMin int64   `json:"updates_per_session_min"`
	UpdatesMax int64   `json:"updates_per_session_max"`
	SubsSecs   float64 `json:"subscribed_seconds"`
	Errors     int64   `json:"errors"`
}

// liveSubscriber is one Streamable HTTP session (2025-11-25) with its
// standalone GET stream open, counting the resources/updated it receives.
type liveSubscriber struct {
	id      string
	updates atomic.Int64
	cancel  context.CancelFunc
}

// runLive measures webhooks for the seed's client at cfg.LiveRate, liveRounds
// times without subscribers and with cfg.LiveSessions sessions subscribed to
// kg://clients/<client>, alternating.
func runLive(ctx context.Context, cfg config, p *proc, sv serverSpec, client *http.Client, seed payload, secret string,
	rep *report, seq *atomic.Int64) error {
	sessions, err := newMCPSessions(ctx, client, p.base, cfg.LiveSessions)
	if err != nil {
		return err
	}
	subs := make([]*liveSubscriber, len(sessions.ids))
	for i, id := range sessions.ids {
		if subs[i], err = openStream(ctx, p.base, id); err != nil {
			return err
		}
		defer subs[i].cancel()
	}
	const uri = "kg://clients/client-123" // the seed's client
	r := newWebhookTarget(client, p.base, seed.body, secret, fmt.Sprintf("bench-live-%s-", randHex(4)))
	_ = closedLoop(ctx, r, seq, cfg.Conns, cfg.Warmup)
	subscribe := func(method string) error {
		for i, id := range sessions.ids {
			msg := fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%d,"method":%q,"params":{"uri":%q}}`, i+1, method, uri)
			resp, body, err := sessions.post(ctx, id, msg)
			if err != nil {
				return err
			}
			if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"result"`)) {
				return fmt.Errorf("%s: status %d: %.200s", method, resp.StatusCode, body)
			}
		}
		return nil
	}
	res := &liveResult{Rate: cfg.LiveRate, Sessions: len(subs), URI: uri, Rounds: liveRounds}
	var none, with []phase
	updates := make([]int64, len(subs)) // per session, over the subscribed phases
	for round := range liveRounds {
		for _, subscribed := range []bool{false, true} {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			label := "seed/0 subscribed"
			if subscribed {
				if err := subscribe("resources/subscribe"); err != nil {
					return err
				}
				label = fmt.Sprintf("seed/%d subscribed", len(subs))
			}
			before := make([]int64, len(subs))
			for i, s := range subs {
				before[i] = s.updates.Load()
			}
			ph := measurePhase([]*proc{p}, sv, "", fmt.Sprintf("%s #%d", label, round+1), "open", cfg.OpenWorkers, cfg.LiveRate, cfg.LivePhase,
				func() sample {
					return openLoop(ctx, r, seq, cfg.LiveRate, cfg.OpenWorkers, cfg.LivePhase, 500*time.Millisecond)
				})
			rep.Phases = append(rep.Phases, ph)
			res.Errors += ph.Errors + ph.Missed
			if !subscribed {
				none = append(none, ph)
				continue
			}
			with = append(with, ph)
			res.SubsSecs += ph.DurationS
			if err := subscribe("resources/unsubscribe"); err != nil {
				return err
			}
			for i, s := range subs {
				updates[i] += s.updates.Load() - before[i]
			}
		}
	}
	res.NoneP50, res.NoneP99, res.NoneMean, res.NoneCPUus = medians(none)
	res.SubsP50, res.SubsP99, res.SubsMean, res.SubsCPUus = medians(with)
	res.UpdatesMin, res.UpdatesMax = slices.Min(updates), slices.Max(updates)
	rep.Live = res
	fmt.Fprintf(os.Stderr, "  live     %d sessions subscribed to %s got %d to %d updates each over %.1f s subscribed\n",
		len(subs), uri, res.UpdatesMin, res.UpdatesMax, res.SubsSecs)
	return nil
}

// medians are the median p50, p99, mean latency and server CPU per request
// of phases.
func medians(phases []phase) (p50, p99, mean, cpuUS float64) {
	med := func(f func(phase) float64) float64 {
		v := make([]float64, 0, len(phases))
		for _, p := range phases {
			v = append(v, f(p))
		}
		if len(v) == 0 {
			return 0
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return med(func(p phase) float64 { return p.Latency.P50 }), med(func(p phase) float64 { return p.Latency.P99 }),
		med(func(p phase) float64 { return p.Latency.Mean }),
		med(func(p phase) float64 { return round2(div(p.ServerCores*1e6, p.Throughput)) })
}

// openStream opens a session's standalone event stream and counts the
// resources/updated notifications on it until cancelled.
func openStream(ctx context.Context, base, session string) (*liveSubscriber, error) {
	sctx, cancel := context.WithCancel(ctx)
	s := &liveSubscriber{id: session, cancel: cancel}
	req, err := http.NewRequestWithContext(sctx, http.MethodGet, base+"/mcp", nil)
	if err != nil {
		cancel()
		return nil, err
	}
	req.Header["Accept"] = []string{"text/event-stream"}
	req.Header["Mcp-Session-Id"] = []string{session}
	req.Header["Mcp-Protocol-Version"] = []string{mcpVersion}
	resp, err := (&http.Client{}).Do(req) // no timeout: the stream stays open
	if err != nil {
		cancel()
		return nil, fmt.Errorf("open event stream: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("open event stream: status %d", resp.StatusCode)
	}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if bytes.Contains(sc.Bytes(), []byte(`"notifications/resources/updated"`)) {
				s.updates.Add(1)
			}
		}
	}()
	return s, nil
}

// liveCheck is the target row of the live-updates comparison.
func liveCheck(r *report) check {
	c := check{Target: fmt.Sprintf("webhooks %d/s for one client, %d sessions subscribed: p50 and p99 <= %.2gx of none subscribed, 0 errors",
		r.Config.LiveRate, r.Config.LiveSessions, liveMaxSlowdown), Measured: notMeasured, Baseline: notMeasured, Ratio: "-"}
	l := r.Live
	if l == nil {
		return c
	}
	c.Measured = fmt.Sprintf("p50 %.2f ms, p99 %.2f ms, %.0f us CPU/webhook, %d-%d updates/session", l.SubsP50, l.SubsP99,
		l.SubsCPUus, l.UpdatesMin, l.UpdatesMax)
	if l.Errors > 0 {
		c.Measured += fmt.Sprintf(", %d errors", l.Errors)
	}
	c.Baseline = fmt.Sprintf("p50 %.2f ms, p99 %.2f ms, %.0f us CPU/webhook (none subscribed)", l.NoneP50, l.NoneP99, l.NoneCPUus)
	q50, q99 := div(l.SubsP50, l.NoneP50), div(l.SubsP99, l.NoneP99)
	c.Ratio = fmt.Sprintf("%.2fx p50, %.2fx p99", q50, q99)
	c.Pass = l.Errors == 0 && l.UpdatesMin > 0 && q50 > 0 && q50 <= liveMaxSlowdown && q99 <= liveMaxSlowdown
	return c
}
