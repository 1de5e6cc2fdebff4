package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"

	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/webhook-mcp/webhook-mcp/api"
)

// Paths of the protected resource metadata (RFC 9728): the root document and
// the one for the /mcp resource. Both describe the same resource.
const (
	resourceMetadataPath    = mcpserver.WellKnownProtectedResourcePath
	resourceMetadataMCPPath = mcpserver.WellKnownProtectedResourcePath + "/mcp"
)

// oauthAudience is the resource an access token must be for: OAUTH_AUDIENCE,
// else this server's /mcp URL.
func (s *Server) oauthAudience() string {
	if s.cfg.OAuthAudience != "" {
		return s.cfg.OAuthAudience
	}
	return s.baseURL() + "/mcp"
}

// handleResourceMetadata serves the protected resource metadata: the
// resource, its authorization server, its scopes and that tokens come in the
// Authorization header only. 404 when OAUTH_ISSUER is not set.
func (s *Server) handleResourceMetadata(w http.ResponseWriter, r *http.Request) {
	if s.oauth == nil {
		http.NotFound(w, r)
		return
	}
	mcpserver.NewProtectedResourceMetadataHandler(mcpserver.ProtectedResourceMetadataConfig{
		Resource:               s.oauthAudience(),
		AuthorizationServers:   []string{s.cfg.OAuthIssuer},
		ScopesSupported:        oauthScopes,
		BearerMethodsSupported: []string{"header"},
		ResourceName:           "webhook-mcp",
	}).ServeHTTP(w, r)
}

// authorizeOAuth serves an MCP request that carries no static token when
// OAUTH_ISSUER is set: the bearer token must be a valid access token for
// this resource with the scope the request needs. The token's subject
// becomes the principal oauth:<sub>; webhooks:approve lets it decide by
// elicitation.
func (s *Server) authorizeOAuth(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if r.URL.Query().Has("access_token") {
		s.challenge(w, http.StatusUnauthorized, `error="invalid_request", error_description="access tokens are accepted in the Authorization header only"`,
			"access tokens are accepted in the Authorization header only, never in the URL")
		return
	}
	raw, ok := bearerToken(r)
	if !ok {
		s.challenge(w, http.StatusUnauthorized, "", "an OAuth access token (Authorization: Bearer) is required")
		return
	}
	g, err := s.oauth.verify(r.Context(), raw)
	if err != nil {
		if errors.Is(err, errTokenRefused) {
			s.log.InfoContext(r.Context(), "access token refused", "reason", err.Error())
		} else {
			s.log.ErrorContext(r.Context(), "cannot check access tokens", "issuer", s.cfg.OAuthIssuer, "err", err)
		}
		s.challenge(w, http.StatusUnauthorized, `error="invalid_token", error_description="the access token is invalid, expired or not for this resource"`,
			"the access token is invalid, expired or not for this resource")
		return
	}
	need, what, body, err := s.requiredScope(w, r)
	if err != nil {
		return // answered
	}
	if !g.has(need) {
		scopes := []string{ScopeRead}
		for _, sc := range append([]string{need}, g.scopes...) {
			if slices.Contains(oauthScopes, sc) && !slices.Contains(scopes, sc) {
				scopes = append(scopes, sc)
			}
		}
		s.log.InfoContext(r.Context(), "access token lacks a scope", "principal", "oauth:"+g.subject, "need", need, "for", what)
		s.challenge(w, http.StatusForbidden, `error="insufficient_scope", scope="`+strings.Join(scopes, " ")+`"`,
			"the access token lacks scope "+need+", which "+what+" needs")
		return
	}
	if body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	p := Principal{ID: "oauth:" + g.subject, MayApprove: g.has(ScopeApprove)}
	next.ServeHTTP(w, r.WithContext(ContextWithPrincipal(r.Context(), p)))
}

// challenge answers 401 or 403 with a Bearer challenge that points at the
// protected resource metadata (RFC 9728 §5.1) and the error envelope.
func (s *Server) challenge(w http.ResponseWriter, status int, params, msg string) {
	h := `Bearer resource_metadata="` + s.baseURL() + resourceMetadataMCPPath + `"`
	switch {
	case params != "":
		h += ", " + params
	default:
		h += `, scope="` + ScopeRead + " " + ScopeWrite + `"`
	}
	w.Header().Set("WWW-Authenticate", h)
	code := api.CodeUnauthorized
	if status == http.StatusForbidden {
		code = api.CodeForbidden
	}
	writeError(w, "", code, msg)
}

// bearerToken is the token of an "Authorization: Bearer" header.
func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "Bearer ") {
		return "", false
	}
	tok := strings.TrimSpace(h[7:])
	return tok, tok != ""
}

// requiredScope is the scope a request needs: webhooks:write for a
// tools/call of a tool that is not read-only, webhooks:read for everything
// else. It reads a POST body (at most MAX_BODY_BYTES) and returns it, to be
// put back; err means the request was answered.
func (s *Server) requiredScope(w http.ResponseWriter, r *http.Request) (scope, what string, body []byte, err error) {
	if r.Method != http.MethodPost {
		return ScopeRead, "this request", nil, nil
	}
	body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeError(w, "", api.CodePayloadTooLarge, "message body is larger than MAX_BODY_BYTES")
		return "", "", nil, err
	case err != nil:
		writeError(w, "", api.CodeInvalidPayload, "could not read the message body")
		return "", "", nil, err
	}
	for _, name := range toolCalls(body) {
		if a, ok := s.registry.Lookup(name); ok && !a.Spec().Annotations.ReadOnly() {
			return ScopeWrite, "tool " + name, body, nil
		}
	}
	return ScopeRead, "this request", body, nil
}

// toolCalls are the tool names of the tools/call requests in a JSON-RPC
// message or batch; a body that is not JSON-RPC has none (the transport
// answers it).
func toolCalls(body []byte) []string {
	type message struct {
		Method string `json:"method"`
		Params struct {
			Name string `json:"name"`
		} `json:"params"`
	}
	var msgs []message
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		_ = json.Unmarshal(body, &msgs)
	} else {
		var one message
		if json.Unmarshal(body, &one) == nil {
			msgs = append(msgs, one)
		}
	}
	var names []string
	for _, m := range msgs {
		if m.Method == "tools/call" {
			names = append(names, m.Params.Name)
		}
	}
	return names
}

// corsMCP lets browser clients on ALLOWED_ORIGINS (the MCP Inspector on
// localhost by default) call the MCP endpoints: it answers preflights, allows
// the Authorization header and exposes WWW-Authenticate and Mcp-Session-Id.
// It runs before authentication, so that a 401 reaches the page readable.
func (s *Server) corsMCP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || !s.origins.originAllowed(r) {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
		h.Set("Access-Control-Expose-Headers", "WWW-Authenticate, Mcp-Session-Id, Mcp-Protocol-Version")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept, Mcp-Session-Id, "+
				"Mcp-Protocol-Version, Last-Event-ID")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
