package server

import (
	"net/http"

	"github.com/webhook-mcp/webhook-mcp/approval"
)

// Handler returns every HTTP route of the server. This is the one place that
// lists them.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/webhook/{source}/{route}", s.handleWebhook)
	mux.HandleFunc("GET /api/status", s.handleStatus)
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.HandleFunc("GET /readyz", s.handleReady)
	mux.Handle("GET /metrics", s.metrics.Handler())
	mux.HandleFunc("GET /api/clients/{client_id}/graph", s.requireReviewer(s.handleClientGraph))
	mux.HandleFunc("GET /api/approvals", s.requireReviewer(s.handleListApprovals))
	mux.HandleFunc("GET /api/approvals/{id}", s.requireReviewer(s.handleGetApproval))
	mux.HandleFunc("POST /api/approvals/{id}/approve", s.requireReviewer(s.handleDecide(true)))
	mux.HandleFunc("POST /api/approvals/{id}/reject", s.requireReviewer(s.handleDecide(false)))
	mux.HandleFunc("GET /api/deliveries", s.requireReviewer(s.handleListDeliveries))
	mux.HandleFunc("GET /api/deliveries/{id}", s.requireReviewer(s.handleGetDelivery))
	mux.HandleFunc("POST /api/deliveries/{id}/retry", s.requireReviewer(s.handleRetryDelivery))
	mux.Handle("GET /approvals/static/", webStatic())
	mux.HandleFunc("GET /approvals/login", s.handleLoginPage)
	mux.HandleFunc("POST /approvals/login", s.handleLogin)
	mux.HandleFunc("POST /approvals/logout", s.reviewerPage(s.handleLogout))
	mux.HandleFunc("GET /approvals", s.reviewerPage(s.listPage([]approval.State{approval.StatePending}, "pending.html", "Pending")))
	mux.HandleFunc("GET /approvals/history", s.reviewerPage(s.listPage(decidedStates, "history.html", "History")))
	mux.HandleFunc("GET /approvals/{id}", s.reviewerPage(s.handleDetailPage))
	mux.HandleFunc("POST /approvals/{id}/approve", s.reviewerPage(s.handleDecidePage(true)))
	mux.HandleFunc("POST /approvals/{id}/reject", s.reviewerPage(s.handleDecidePage(false)))
	mux.Handle("/mcp", s.checkOrigin(s.requireMCPToken(s.streamable)))
	mux.Handle("/sse", s.checkOrigin(s.requireMCPToken(s.sse)))
	mux.Handle("/message", s.checkOrigin(s.requireMCPToken(s.sseMessages(s.sse))))
	return withRequestID(mux)
}
