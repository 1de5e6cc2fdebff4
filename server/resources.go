package server

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/tools"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// recentEventsLimit is how many webhooks events://recent shows.
const recentEventsLimit = 50

// addLiveResources registers approvals://{approval_id} and events://recent,
// the resources besides kg://clients/{client_id} that change as webhooks and
// decisions come in.
func (s *Server) addLiveResources() {
	tmpl := mcp.NewResourceTemplate(approvalURIPrefix+"{approval_id}", "Approval request",
		mcp.WithTemplateDescription("One approval request: its state (pending, approved, delivering, delivered, failed, "+
			"rejected, expired), audit trail and delivery attempts. Subscribe to hear when a person decides it "+
			"and when it is delivered."),
		mcp.WithTemplateMIMEType("application/json"))
	s.mcp.AddResourceTemplate(tmpl, s.readApproval)
	s.mcp.AddResource(mcp.NewResource(recentEventsURI, "Recent webhooks",
		mcp.WithResourceDescription("The last webhooks received, newest first, with state and client (no bodies). "+
			"Subscribe to hear of each new one."),
		mcp.WithMIMEType("application/json")), s.readRecentEvents)
}

// readApproval reads approvals://{approval_id}.
func (s *Server) readApproval(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	id, ok := strings.CutPrefix(req.Params.URI, approvalURIPrefix)
	if !ok || id == "" || strings.Contains(id, "/") {
		return nil, mcpserver.ErrResourceNotFound
	}
	st, err := tools.ApprovalStatus(ctx, s.approvals, id)
	if errors.Is(err, approval.ErrNotFound) {
		return nil, mcpserver.ErrResourceNotFound
	}
	if err != nil {
		s.log.ErrorContext(ctx, "read approval resource", "approval_id", id, "err", err)
		return nil, errors.New(errorText("", err))
	}
	return jsonContents(req.Params.URI, st)
}

// readRecentEvents reads events://recent.
func (s *Server) readRecentEvents(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	evs, err := s.recentWebhooks(ctx, "", recentEventsLimit)
	if err != nil {
		s.log.ErrorContext(ctx, "read recent events resource", "err", err)
		return nil, errors.New(errorText("", err))
	}
	return jsonContents(req.Params.URI, struct {
		Events []webhook.InboxEvent `json:"events"`
	}{evs})
}

// recentWebhooks are the last webhooks received (of one client when clientID
// is set), newest first, without headers and bodies.
func (s *Server) recentWebhooks(ctx context.Context, clientID string, limit int) ([]webhook.InboxEvent, error) {
	evs, err := s.deps.Store.ListEvents(ctx, webhook.EventFilter{Kind: webhook.KindWebhook, ClientID: clientID, Limit: limit})
	if err != nil {
		return nil, err
	}
	if evs == nil {
		evs = []webhook.InboxEvent{}
	}
	for i := range evs {
		evs[i].Headers = nil
	}
	return evs, nil
}

// jsonContents is v as the one JSON text content of uri.
func jsonContents(uri string, v any) ([]mcp.ResourceContents, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return []mcp.ResourceContents{mcp.TextResourceContents{URI: uri, MIMEType: "application/json", Text: string(b)}}, nil
}
