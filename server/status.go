package server

import (
	"net/http"
	"sort"
	"sync/atomic"
	"time"

	"github.com/webhook-mcp/webhook-mcp/store"
)

// counters are the webhook counters since start.
type counters struct {
	received  atomic.Int64
	processed atomic.Int64
	failed    atomic.Int64
}

// RouteStatus is one route in /api/status.
type RouteStatus struct {
	Route
	SignatureRequired bool `json:"signature_required"`
}

// StoreStatus describes the store in /api/status.
type StoreStatus struct {
	Kind          string      `json:"kind"`
	Path          string      `json:"path"`
	SchemaVersion int         `json:"schema_version"`
	Counts        store.Stats `json:"counts"`
}

// Status is the body of GET /api/status.
type Status struct {
	Name          string           `json:"name"`
	Version       string           `json:"version"`
	StartedAt     time.Time        `json:"started_at"`
	UptimeSeconds float64          `json:"uptime_seconds"`
	Transports    []string         `json:"transports"`
	Routes        []RouteStatus    `json:"routes"`
	Sources       map[string]bool  `json:"signature_validation"`
	Webhooks      map[string]int64 `json:"webhooks"`
	Tools         []string         `json:"tools"`
	Store         *StoreStatus     `json:"store,omitempty"`
	Deliveries    map[string]int   `json:"deliveries"` // pending (approved), delivering, delivered, failed
	StoreError    string           `json:"store_error,omitempty"`
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	st := Status{Name: "webhook-mcp", Version: s.deps.Version, StartedAt: s.started.UTC(),
		UptimeSeconds: s.deps.Now().Sub(s.started).Seconds(),
		Transports:    s.transports(),
		Sources:       map[string]bool{},
		Webhooks: map[string]int64{"received": s.counters.received.Load(),
			"processed": s.counters.processed.Load(), "failed": s.counters.failed.Load()},
	}
	for rt, signed := range s.sources.all() {
		st.Routes = append(st.Routes, RouteStatus{Route: rt, SignatureRequired: signed})
		st.Sources[rt.Source] = signed
	}
	sort.Slice(st.Routes, func(i, j int) bool { return st.Routes[i].Path < st.Routes[j].Path })
	for _, a := range s.registry.Actions() {
		st.Tools = append(st.Tools, a.Spec().Name)
	}
	ss := &StoreStatus{Kind: s.deps.Store.Kind(), Path: s.deps.Store.Path()}
	var err error
	if ss.SchemaVersion, err = s.deps.Store.SchemaVersion(r.Context()); err == nil {
		ss.Counts, err = s.deps.Store.Stats(r.Context())
	}
	if err != nil {
		s.log.Error("status: read store", "err", err)
		st.StoreError = "store unavailable"
	}
	st.Store = ss
	st.Deliveries = map[string]int{"pending": ss.Counts.Approvals["approved"],
		"delivering": ss.Counts.Approvals["delivering"], "delivered": ss.Counts.Approvals["delivered"],
		"failed": ss.Counts.Approvals["failed"]}
	writeJSON(w, http.StatusOK, st)
}

// transports lists the MCP transports being served: the HTTP ones, since this
// answer goes out over HTTP, and stdio only while ServeStdio runs.
func (s *Server) transports() []string {
	t := []string{"streamable-http:/mcp", "sse:/sse"}
	if s.stdioSessions.Load() > 0 {
		t = append([]string{"stdio"}, t...)
	}
	return t
}

func (s *Server) handleHealth(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
