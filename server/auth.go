package server

import (
	"crypto/subtle"
	"net"
	"net/http"
	"strings"

	"github.com/webhook-mcp/webhook-mcp/api"
)

// bearerMatches compares the request's bearer token to want in constant time.
func bearerMatches(r *http.Request, want string) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(want)) == 1
}

// requireMCPToken demands MCP_AUTH_TOKEN or APPROVAL_TOKEN as a bearer token
// when MCP_AUTH_TOKEN is set, and puts the caller's principal in the request
// context (APPROVAL_TOKEN is accepted whether or not MCP_AUTH_TOKEN is set, and
// lets in-client confirmations decide).
func (s *Server) requireMCPToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.mcpPrincipal(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="webhook-mcp"`)
			writeError(w, "", api.CodeUnauthorized, "a valid bearer token (MCP_AUTH_TOKEN or APPROVAL_TOKEN) is required")
			return
		}
		next.ServeHTTP(w, r.WithContext(ContextWithPrincipal(r.Context(), p)))
	})
}

// requireReviewer demands APPROVAL_TOKEN as a bearer token when it is set, and
// otherwise only answers requests from loopback.
func (s *Server) requireReviewer(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.ApprovalToken != "" {
			if !bearerMatches(r, s.cfg.ApprovalToken) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="webhook-mcp approvals"`)
				writeError(w, "", api.CodeUnauthorized, "a valid bearer token (APPROVAL_TOKEN) is required")
				return
			}
		} else if !isLoopback(r.RemoteAddr) {
			writeError(w, "", api.CodeUnauthorized, "APPROVAL_TOKEN is not set, so approvals are only served to loopback")
			return
		}
		next(w, r.WithContext(ContextWithPrincipal(r.Context(), s.reviewerPrincipal())))
	}
}

func isLoopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
