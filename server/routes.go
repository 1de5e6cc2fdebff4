package server

import "net/http"

// Handler returns every HTTP route of the server. This is the one place that
// lists them.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/webhook/{source}/{route}", s.handleWebhook)
	mux.HandleFunc("GET /api/status", s.handleStatus)
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.HandleFunc("GET /api/clients/{client_id}/graph", s.requireReviewer(s.handleClientGraph))
	mux.HandleFunc("GET /api/approvals", s.requireReviewer(s.handleListApprovals))
	mux.HandleFunc("GET /api/approvals/{id}", s.requireReviewer(s.handleGetApproval))
	mux.HandleFunc("POST /api/approvals/{id}/approve", s.requireReviewer(s.handleDecide(true)))
	mux.HandleFunc("POST /api/approvals/{id}/reject", s.requireReviewer(s.handleDecide(false)))
	mux.Handle("/mcp", s.requireMCPToken(s.streamable))
	mux.Handle("/sse", s.requireMCPToken(s.sse))
	mux.Handle("/message", s.requireMCPToken(s.sse))
	return mux
}
