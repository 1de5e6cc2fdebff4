package server

import (
	"context"
	"net/http"

	"github.com/webhook-mcp/webhook-mcp/approval"
)

// Principal IDs the server assigns. They are what requested_by and decided_by
// start with (see approval.Actor), so that the four-eyes rule and the
// per-requester cap compare identities the server checked, never a name a
// client chose.
const (
	// PrincipalLocal is the user of a stdio client: whoever started the
	// process owns the client.
	PrincipalLocal = "local"
	// PrincipalApprovalToken is a holder of APPROVAL_TOKEN (page, API, CLI,
	// and MCP when sent as the bearer token).
	PrincipalApprovalToken = "token:approval"
	// PrincipalMCPToken is a holder of MCP_AUTH_TOKEN.
	PrincipalMCPToken = "token:mcp"
	// PrincipalAnonymous is an MCP caller without a credential (MCP_AUTH_TOKEN
	// unset).
	PrincipalAnonymous = "anonymous"
)

// Principal is who makes a request, as the server authenticated it. It rides
// in the request context from the edge (bearer tokens on /mcp and /sse, the
// reviewer routes, stdio) to the handlers.
//
// An OAuth resource server adds itself here: on a valid access token it puts
// Principal{ID: "oauth:" + subject, MayApprove: scope has webhooks:approve}
// into the context with ContextWithPrincipal, and nothing else changes.
type Principal struct {
	// ID names the principal in audit trails: one of the Principal* constants
	// or, for OAuth, "oauth:<subject>".
	ID string
	// MayApprove says the principal may decide approval requests, so that its
	// answer to an MCP elicitation counts as the decision.
	MayApprove bool
}

// Actor is the principal's actor string with a label (see approval.Actor).
func (p Principal) Actor(label string) string { return approval.Actor(p.ID, label) }

type principalKey struct{}

// ContextWithPrincipal returns ctx carrying p. Embedders that call the MCP
// server in process use it to say who the caller is; without it a caller is
// anonymous and may not approve.
func ContextWithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal of the request, anonymous when none was
// established.
func PrincipalFrom(ctx context.Context) Principal {
	if p, ok := ctx.Value(principalKey{}).(Principal); ok && p.ID != "" {
		return p
	}
	return Principal{ID: PrincipalAnonymous}
}

// mcpPrincipal authenticates a request to /mcp, /sse or /message: the
// APPROVAL_TOKEN (which may approve), MCP_AUTH_TOKEN, or, when MCP_AUTH_TOKEN
// is unset, nobody in particular. ok is false when a credential is required
// and none matched.
func (s *Server) mcpPrincipal(r *http.Request) (p Principal, ok bool) {
	switch {
	case s.cfg.ApprovalToken != "" && bearerMatches(r, s.cfg.ApprovalToken):
		return Principal{ID: PrincipalApprovalToken, MayApprove: true}, true
	case s.cfg.MCPAuthToken != "" && bearerMatches(r, s.cfg.MCPAuthToken):
		return Principal{ID: PrincipalMCPToken}, true
	case s.cfg.MCPAuthToken == "":
		return Principal{ID: PrincipalAnonymous}, true
	}
	return Principal{}, false
}

// reviewerPrincipal is who passed requireReviewer or reviewerPage: a holder
// of APPROVAL_TOKEN (configured or generated; no peer is trusted without it).
func (s *Server) reviewerPrincipal() Principal {
	return Principal{ID: PrincipalApprovalToken, MayApprove: true}
}
