package server

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/webhook-mcp/webhook-mcp/store"
)

// Metrics are the server's Prometheus metrics, on a registry of their own
// (never the global one), served at GET /metrics.
type Metrics struct {
	reg         *prometheus.Registry
	webhooks    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	toolCalls   *prometheus.CounterVec
	deliveries  *prometheus.CounterVec
	rateLimited *prometheus.CounterVec
	connShed    *prometheus.CounterVec
	openConns   atomic.Pointer[func() int] // set by Serve when connections are capped
	mcpSessions atomic.Pointer[func() int] // live MCP sessions
}

// newMetrics registers every metric; stats reads the store's counts for the
// approvals-by-state and inbox-size gauges at scrape time.
func newMetrics(stats func(context.Context) (store.Stats, error)) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "webhookmcp_webhook_requests_total",
			Help: "Webhook requests by source, route and HTTP status."}, []string{"source", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "webhookmcp_webhook_duration_seconds",
			Help:    "Time from receiving a webhook to writing its response.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"route"}),
		toolCalls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "webhookmcp_tool_calls_total",
			Help: "MCP tool calls by tool and outcome (ok, tool_error)."}, []string{"tool", "outcome"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "webhookmcp_deliveries_total",
			Help: "Outbound deliveries of approved requests by outcome."}, []string{"outcome"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "webhookmcp_rate_limited_total",
			Help: "Requests refused with 429, by the limit that refused them (ip, source, auth)."}, []string{"scope"}),
	}
	m.connShed = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "webhookmcp_http_connections_shed_total",
		Help: "Connections closed by MAX_CONNECTIONS / MAX_CONNECTIONS_PER_IP: evicted (a waiting one made room) or refused (all busy)."},
		[]string{"reason"})
	open := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "webhookmcp_http_connections",
		Help: "Open HTTP connections counted against MAX_CONNECTIONS."}, func() float64 { return gauge(&m.openConns) })
	sessions := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "webhookmcp_mcp_sessions",
		Help: "Live MCP sessions (Streamable HTTP, SSE and stdio), capped by MCP_MAX_SESSIONS."},
		func() float64 { return gauge(&m.mcpSessions) })
	m.reg.MustRegister(m.connShed, open, sessions)
	m.reg.MustRegister(m.webhooks, m.latency, m.toolCalls, m.deliveries, m.rateLimited,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&storeCollector{stats: stats})
	return m
}

func gauge(f *atomic.Pointer[func() int]) float64 {
	if fn := f.Load(); fn != nil {
		return float64((*fn)())
	}
	return 0
}

// connectionShed counts a connection closed by the connection limits.
func (m *Metrics) connectionShed(reason string) { m.connShed.WithLabelValues(reason).Inc() }

// trackConnections makes webhookmcp_http_connections report open().
func (m *Metrics) trackConnections(open func() int) { m.openConns.Store(&open) }

// DeliveryOutcome counts one outbound delivery attempt's outcome, e.g.
// "delivered", "retrying", "failed" or "gone". The delivery worker calls it.
func (m *Metrics) DeliveryOutcome(outcome string) {
	if m != nil {
		m.deliveries.WithLabelValues(outcome).Inc()
	}
}

// ToolCall counts one MCP tool call; ok is false when it returned a tool error.
func (m *Metrics) ToolCall(tool string, ok bool) {
	if m == nil {
		return
	}
	outcome := "ok"
	if !ok {
		outcome = "tool_error"
	}
	m.toolCalls.WithLabelValues(tool, outcome).Inc()
}

// webhook counts one webhook request and observes its duration.
func (m *Metrics) webhook(source, route string, status int, d time.Duration) {
	m.webhooks.WithLabelValues(source, route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// countToolCalls counts the MCP tool calls of a handler by outcome.
func (s *Server) countToolCalls(name string, next mcpserver.ToolHandlerFunc) mcpserver.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		res, err := next(ctx, req)
		s.metrics.ToolCall(name, err == nil && (res == nil || !res.IsError))
		return res, err
	}
}

// storeCollector reports the store's counts at scrape time.
type storeCollector struct {
	stats func(context.Context) (store.Stats, error)
}

var (
	approvalsDesc = prometheus.NewDesc("webhookmcp_approvals", "Approval requests by state.", []string{"state"}, nil)
	inboxDesc     = prometheus.NewDesc("webhookmcp_inbox_events", "Inbox entries by state.", []string{"state"}, nil)
	storeUpDesc   = prometheus.NewDesc("webhookmcp_store_up", "1 when the store answered the last scrape.", nil, nil)
)

// Describe implements prometheus.Collector.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- approvalsDesc
	ch <- inboxDesc
	ch <- storeUpDesc
}

// Collect implements prometheus.Collector.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := c.stats(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(storeUpDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(storeUpDesc, prometheus.GaugeValue, 1)
	for state, n := range st.Approvals {
		ch <- prometheus.MustNewConstMetric(approvalsDesc, prometheus.GaugeValue, float64(n), state)
	}
	for state, n := range st.Inbox {
		ch <- prometheus.MustNewConstMetric(inboxDesc, prometheus.GaugeValue, float64(n), state)
	}
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
