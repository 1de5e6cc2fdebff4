package server

import (
	"net/http"

	"github.com/webhook-mcp/webhook-mcp/approval"
)

// Handler returns every HTTP route of the server. This is the one place that
// lists them. Every route checks Host (checkHost) and every response says
// nosniff; state-changing API calls need JSON and an allowed Origin
// (apiWrite) before their token is looked at; reviewer routes need
// APPROVAL_TOKEN, MCP routes MCP_AUTH_TOKEN when set.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/webhook/{source}/{route}", &webhookEndpoint{cfg: s.cfg, sources: s.sources, guard: s.guard,
		calls: s.registry, metrics: s.metrics, counters: &s.counters, drain: &s.drainGate, log: s.log})
	mux.HandleFunc("GET /api/status", s.handleStatus)
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.HandleFunc("GET /readyz", s.handleReady)
	mux.Handle("GET /metrics", s.metrics.Handler())
	mux.HandleFunc("GET /api/clients/{client_id}/graph", s.requireReviewer(s.handleClientGraph))
	mux.HandleFunc("POST /api/clients/{client_id}/graph/import", s.apiWriteOf(s.requireReviewer(s.handleGraphImport),
		memoryJSONLType, "application/x-ndjson", "application/json"))
	mux.HandleFunc("GET /api/events", s.requireReviewer(s.handleListEvents))
	mux.HandleFunc("GET /api/events/{id}", s.requireReviewer(s.handleGetEvent))
	mux.HandleFunc("POST /api/events/{id}/replay", s.apiWrite(s.requireReviewer(s.handleReplayEvent)))
	mux.HandleFunc("GET /api/approvals", s.requireReviewer(s.handleListApprovals))
	mux.HandleFunc("GET /api/approvals/{id}", s.requireReviewer(s.handleGetApproval))
	mux.HandleFunc("POST /api/approvals/{id}/approve", s.apiWrite(s.requireReviewer(s.handleDecide(true))))
	mux.HandleFunc("POST /api/approvals/{id}/reject", s.apiWrite(s.requireReviewer(s.handleDecide(false))))
	mux.HandleFunc("GET /api/deliveries", s.requireReviewer(s.handleListDeliveries))
	mux.HandleFunc("GET /api/deliveries/{id}", s.requireReviewer(s.handleGetDelivery))
	mux.HandleFunc("POST /api/deliveries/{id}/retry", s.apiWrite(s.requireReviewer(s.handleRetryDelivery)))
	mux.HandleFunc("POST /api/deliveries/recover", s.apiWrite(s.requireReviewer(s.handleRecoverDeliveries)))
	mux.Handle("GET /approvals/static/", webStatic())
	mux.HandleFunc("GET /approvals/login", s.handleLoginPage)
	mux.Handle("POST /approvals/login", s.checkOrigin(http.HandlerFunc(s.handleLogin)))
	mux.Handle("POST /approvals/logout", s.checkOrigin(s.reviewerPage(s.handleLogout)))
	mux.HandleFunc("GET /approvals", s.reviewerPage(s.listPage([]approval.State{approval.StatePending}, "pending.html", "Pending")))
	mux.HandleFunc("GET /approvals/history", s.reviewerPage(s.listPage(decidedStates, "history.html", "History")))
	mux.HandleFunc("GET /approvals/{id}", s.reviewerPage(s.handleDetailPage))
	mux.Handle("POST /approvals/{id}/approve", s.checkOrigin(s.reviewerPage(s.handleDecidePage(true))))
	mux.Handle("POST /approvals/{id}/reject", s.checkOrigin(s.reviewerPage(s.handleDecidePage(false))))
	mux.HandleFunc(resourceMetadataPath, s.handleResourceMetadata)
	mux.HandleFunc(resourceMetadataMCPPath, s.handleResourceMetadata)
	mux.Handle("/mcp", s.corsMCP(s.checkOrigin(s.requireMCPToken(s.mcpLimits(s.streamable)))))
	mux.Handle("/sse", s.corsMCP(s.checkOrigin(s.requireMCPToken(s.sseLimits(s.sse)))))
	mux.Handle("/message", s.corsMCP(s.checkOrigin(s.requireMCPToken(s.sseLimits(s.sseMessages(s.sse))))))
	return withNosniff(withRequestID(s.checkHost(s.connDeadlines(mux))))
}

// withNosniff sets X-Content-Type-Options: nosniff on every response, so that
// no browser ever renders a JSON or text answer as something else.
func withNosniff(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}
