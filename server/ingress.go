package server

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// initIngress sets up what guards the endpoints: API keys from the
// configuration, rate limiters, the Origin/Host policy and the metrics.
func (s *Server) initIngress() {
	s.sources = newSources(s.cfg, s.deps.Now)
	for _, key := range s.cfg.MakeComWebhookAPIKey {
		if key = strings.TrimSpace(key); key != "" {
			s.RegisterWebhookAPIKey(DefaultSource, key)
		}
	}
	s.origins = newOriginPolicy(s.cfg)
	s.metrics = newMetrics(s.deps.Store.Stats)
	s.guard = newGuard(s.cfg, s.deps.Now, s.metrics, s.log)
}

// RegisterWebhookAPIKey adds an API key for a source, for senders that cannot
// sign: a request carrying it in X-API-Key or as Authorization: Bearer is
// accepted. Several keys may be registered (rotation); any of them verifies.
// The environment's MAKE_COM_WEBHOOK_API_KEY registers keys for make.com; for
// another source call this with its <SOURCE>_WEBHOOK_API_KEY.
func (s *Server) RegisterWebhookAPIKey(source, key string) { s.sources.addAPIKey(source, key) }

// awaitWebhooks waits until no webhook is being handled, or ctx is done.
func (s *Server) awaitWebhooks(ctx context.Context) {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for s.inflight.Load() > 0 {
		select {
		case <-ctx.Done():
			s.log.Warn("shutdown: webhooks still in flight after the drain timeout", "in_flight", s.inflight.Load())
			return
		case <-t.C:
		}
	}
}

// handleReady is GET /readyz: 200 once the server has started and its store
// can commit, 503 before that, while draining for shutdown, and while the store
// cannot write (disk full, database file deleted or replaced).
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	status, reason := http.StatusOK, "ready"
	switch {
	case s.draining.Load():
		status, reason = http.StatusServiceUnavailable, "draining"
	case !s.ready.Load():
		status, reason = http.StatusServiceUnavailable, "starting"
	default:
		if err := s.deps.Store.Health(r.Context()); err != nil {
			s.log.ErrorContext(r.Context(), "readyz: store", "err", err)
			status, reason = http.StatusServiceUnavailable, "store unavailable"
		}
	}
	if status != http.StatusOK {
		w.Header().Set("Retry-After", "5")
	}
	writeJSON(w, status, map[string]string{"status": reason})
}
