package server

import (
	"crypto/subtle"
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
// lets in-client confirmations decide). With OAUTH_ISSUER set, a request
// without either token needs an OAuth access token (authorizeOAuth). When a
// token is required, a client IP that presented too many wrong ones gets 429
// before its token is looked at.
func (s *Server) requireMCPToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.MCPAuthToken != "" && s.guard.refuseThrottled(w, r, "") {
			return
		}
		p, ok := s.mcpPrincipal(r)
		if s.oauth != nil && (!ok || p.ID == PrincipalAnonymous) {
			s.authorizeOAuth(w, r, next)
			return
		}
		if !ok {
			s.bearerFailed(r, "MCP_AUTH_TOKEN")
			w.Header().Set("WWW-Authenticate", `Bearer realm="webhook-mcp"`)
			writeError(w, "", api.CodeUnauthorized, "a valid bearer token (MCP_AUTH_TOKEN or APPROVAL_TOKEN) is required")
			return
		}
		next.ServeHTTP(w, r.WithContext(ContextWithPrincipal(r.Context(), p)))
	})
}

// requireReviewer demands APPROVAL_TOKEN (configured, or generated into
// DATA_DIR) as a bearer token. No peer address is trusted: a page in the
// user's browser reaches loopback too.
func (s *Server) requireReviewer(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.guard.refuseThrottled(w, r, "") {
			return
		}
		if !bearerMatches(r, s.cfg.ApprovalToken) {
			s.bearerFailed(r, "APPROVAL_TOKEN")
			w.Header().Set("WWW-Authenticate", `Bearer realm="webhook-mcp approvals"`)
			writeError(w, "", api.CodeUnauthorized, "a valid bearer token (APPROVAL_TOKEN) is required")
			return
		}
		next(w, r.WithContext(ContextWithPrincipal(r.Context(), s.reviewerPrincipal())))
	}
}

// bearerFailed counts a wrong bearer token towards the client IP's failures;
// a request that carries none is not a guess and is not counted.
func (s *Server) bearerFailed(r *http.Request, what string) {
	if r.Header.Get("Authorization") != "" {
		s.guard.authFailed(r, what)
	}
}
