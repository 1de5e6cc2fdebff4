package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"sync/atomic"
	"time"
)

// The live-updates target (issue 16): webhooks for one client at liveRate
// with liveSessions MCP sessions subscribed to that client's graph are not
// slower than with none subscribed by more than liveMaxSlowdown.
const liveMaxSlowdown = 1.10

// liveResult compares the webhook latency with and without subscribers.
type liveResult struct {
	Rate     int    `json:"rate_rps"`
	Sessions int    `json:"sessions"`
	URI      string `json:"uri"`
	// The phases without subscribers, before and after the subscribed one
	// (the sessions are open then too, only not subscribed).
	NoneP50  float64 `json:"none_p50_ms"`
	NoneP99  float64 `json:"none_p99_ms"`
	NoneMean float64 `json:"none_mean_ms"`
	SubsP50  float64 `json:"subscribed_p50_ms"`
	SubsP99  float64 `json:"subscribed_p99_ms"`
	SubsMean float64 `json:"subscribed_mean_ms"`
	// Notifications each session received during the subscribed phase:
	// coalescing keeps them near one per 250 ms however many webhooks came.
	UpdatesMin int64 `json:"updates_per_session_min"`
	UpdatesMax int64 `json:"updates_per_session_max"`
	Errors     int64 `json:"errors"`
}

// liveSubscriber is one Streamable HTTP session (2025-11-25) with its
// standalone GET stream open, counting the resources/updated it receives.
type liveSubscriber struct {
	id      string
	updates atomic.Int64
	cancel  context.CancelFunc
}

// runLive measures webhooks for the seed's client at cfg.LiveRate: without
// subscribers, with cfg.LiveSessions subscribed to kg://clients/<client>, and
// without again.
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
	res := &liveResult{Rate: cfg.LiveRate, Sessions: len(subs), URI: uri}
	run := func(label string) phase {
		return measurePhase(p, sv, "", label, "open", cfg.OpenWorkers, cfg.LiveRate, cfg.Open, func() sample {
			return openLoop(ctx, r, seq, cfg.LiveRate, cfg.OpenWorkers, cfg.Open, 500*time.Millisecond)
		})
	}
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
	before := run("seed/0 subscribed")
	if err := subscribe("resources/subscribe"); err != nil {
		return err
	}
	for _, s := range subs {
		s.updates.Store(0)
	}
	with := run(fmt.Sprintf("seed/%d subscribed", len(subs)))
	res.UpdatesMin, res.UpdatesMax = subs[0].updates.Load(), subs[0].updates.Load()
	for _, s := range subs {
		res.UpdatesMin, res.UpdatesMax = min(res.UpdatesMin, s.updates.Load()), max(res.UpdatesMax, s.updates.Load())
	}
	if err := subscribe("resources/unsubscribe"); err != nil {
		return err
	}
	after := run("seed/0 subscribed, again")
	rep.Phases = append(rep.Phases, before, with, after)
	res.NoneP50 = (before.Latency.P50 + after.Latency.P50) / 2
	res.NoneP99 = (before.Latency.P99 + after.Latency.P99) / 2
	res.NoneMean = (before.Latency.Mean + after.Latency.Mean) / 2
	res.SubsP50, res.SubsP99, res.SubsMean = with.Latency.P50, with.Latency.P99, with.Latency.Mean
	res.Errors = before.Errors + before.Missed + with.Errors + with.Missed + after.Errors + after.Missed
	rep.Live = res
	fmt.Fprintf(os.Stderr, "  live     %d sessions subscribed to %s got %d to %d updates each during %s\n",
		len(subs), uri, res.UpdatesMin, res.UpdatesMax, cfg.Open)
	return nil
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
	c.Measured = fmt.Sprintf("p50 %.2f ms, p99 %.2f ms, %d-%d updates/session", l.SubsP50, l.SubsP99, l.UpdatesMin, l.UpdatesMax)
	if l.Errors > 0 {
		c.Measured += fmt.Sprintf(", %d errors", l.Errors)
	}
	c.Baseline = fmt.Sprintf("p50 %.2f ms, p99 %.2f ms (none subscribed)", l.NoneP50, l.NoneP99)
	q50, q99 := div(l.SubsP50, l.NoneP50), div(l.SubsP99, l.NoneP99)
	c.Ratio = fmt.Sprintf("%.2fx p50, %.2fx p99", q50, q99)
	c.Pass = l.Errors == 0 && l.UpdatesMin > 0 && q50 > 0 && q50 <= liveMaxSlowdown && q99 <= liveMaxSlowdown
	return c
}
