package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/tools"
)

// In-client approval. A gated action (send_webhook_response) first stores its
// approval request as usual; then, when the caller may decide it, the person
// in the client is asked to confirm with mcp-go's multi round-trip pattern:
// the tool result is input_required with a form, the client shows it and
// retries the call with the answer, and the retry decides the same approval
// record. Clients on 2026-07-28 do the retry themselves; for 2025-11-25
// clients mcp-go sends elicitation/create and re-invokes the handler, except
// over /sse, where sse_elicit.go asks instead.
//
// Who may decide this way: only the person who owns the client, that is a
// principal that may approve (stdio's local user, or an HTTP caller with the
// APPROVAL_TOKEN; later an OAuth token with webhooks:approve), and only when
// self-approval is allowed (four-eyes review refuses it, and the answer to an
// elicitation always comes from the requester). Anyone else, including a
// script that answers its own elicitation over unauthenticated HTTP, gets
// pending_approval and a reviewer decides on the page, the API or the CLI.
//
// The requestState the client echoes back is single-use, expires after
// confirmStateTTL and is bound to the approval, the principal and the MCP
// session (see confirm_state.go).

// confirmInputKey names the elicitation in inputRequests/inputResponses.
const confirmInputKey = "approve_send"

// maxPromptPayload bounds how much of the payload the confirmation shows.
const maxPromptPayload = 2000

// confirmsInClient reports whether calls of the action go through in-client
// confirmation at all: the feature is on and the action is approval-gated.
func (s *Server) confirmsInClient(action string) bool {
	if !s.cfg.ApprovalElicitation {
		return false
	}
	a, ok := s.registry.Lookup(action)
	return ok && a.RequiresApproval()
}

// mayDecideInClient reports whether an answer given in this request's client
// may decide an approval: the principal may approve and four-eyes review is
// off.
func (s *Server) mayDecideInClient(ctx context.Context) bool {
	return PrincipalFrom(ctx).MayApprove && s.cfg.ApprovalSelfApprove
}

// elicitRoute is how this request's client can be asked.
type elicitRoute int

const (
	elicitNone      elicitRoute = iota // the client did not declare elicitation
	elicitRoundTrip                    // input_required (mcp-go bridges 2025-11-25 sessions)
	elicitSSE                          // 2025-11-25 over /sse: sse_elicit.go asks
)

// elicitRouteOf says whether and how the client making this request can be
// asked: per request on 2026-07-28 (_meta), else from the session's declared
// capabilities.
func elicitRouteOf(ctx context.Context) elicitRoute {
	if info := mcpserver.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern {
		if info.ClientCapabilities != nil && info.ClientCapabilities.Elicitation != nil {
			return elicitRoundTrip
		}
		return elicitNone
	}
	sess := mcpserver.ClientSessionFromContext(ctx)
	withInfo, ok := sess.(mcpserver.SessionWithClientInfo)
	if !ok || withInfo.GetClientCapabilities().Elicitation == nil {
		return elicitNone
	}
	if _, ok := sess.(mcpserver.SessionWithElicitation); ok {
		return elicitRoundTrip
	}
	if onSSE(ctx) {
		return elicitSSE
	}
	return elicitNone
}

// askToConfirm asks the person in the client to confirm the pending approval
// in result, by the route the client supports. It returns nil when result is
// not a pending approval or the question cannot be asked (then the result is
// returned as it is: pending_approval).
func (s *Server) askToConfirm(ctx context.Context, route elicitRoute, result json.RawMessage) *mcp.CallToolResult {
	var pending tools.PendingApproval
	if json.Unmarshal(result, &pending) != nil || pending.Status != "pending_approval" || pending.ApprovalID == "" {
		return nil
	}
	r, _, err := s.approvals.Get(ctx, pending.ApprovalID)
	if err != nil {
		s.log.ErrorContext(ctx, "read approval to confirm in client", "approval_id", pending.ApprovalID, "err", err)
		return nil
	}
	params := confirmParams(r)
	s.log.InfoContext(ctx, "asking the client to confirm", "approval_id", r.ID, "webhook_id", r.WebhookID,
		"principal", PrincipalFrom(ctx).ID)
	if route == elicitSSE {
		sess := mcpserver.ClientSessionFromContext(ctx)
		answer, err := s.elicit.ask(ctx, sess.SessionID(), PrincipalFrom(ctx).ID, params)
		if err != nil {
			s.log.WarnContext(ctx, "no answer from the client; the request stays pending", "approval_id", r.ID, "err", err)
			return nil
		}
		return s.decideFromAnswer(ctx, r.ID, answer)
	}
	state, err := s.confirms.issue(ctx, r.ID, bindingOf(ctx))
	if err != nil {
		s.log.WarnContext(ctx, "confirmation not issued; the request stays pending", "approval_id", r.ID, "err", err)
		return nil
	}
	return mcpserver.NewInputRequestBuilder(state).Elicit(confirmInputKey, params).ToolResult()
}

// confirmParams is the form that asks to confirm r.
func confirmParams(r approval.Request) mcp.ElicitationParams {
	return mcp.ElicitationParams{
		Mode:    mcp.ElicitationModeForm,
		Message: confirmMessage(r),
		RequestedSchema: map[string]any{
			"type": "object",
			"properties": map[string]any{
				"confirm": map[string]any{"type": "boolean", "title": "Send it",
					"description": "Yes sends exactly this payload once; no rejects the request.", "default": false},
				"reason": map[string]any{"type": "string", "title": "Reason (optional)", "maxLength": 500},
			},
			"required": []string{"confirm"},
		},
	}
}

// confirmMessage says what will be sent where, for the person in the client.
func confirmMessage(r approval.Request) string {
	var pretty bytes.Buffer
	var in struct {
		ResponseData json.RawMessage `json:"response_data"`
	}
	payload := []byte(r.Params)
	if json.Unmarshal(r.Params, &in) == nil && len(in.ResponseData) > 0 {
		payload = in.ResponseData
	}
	if json.Indent(&pretty, payload, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(payload)
	}
	body := pretty.String()
	if len(body) > maxPromptPayload {
		body = body[:maxPromptPayload] + "\n… (truncated; the full payload is on the approvals page)"
	}
	client := r.ClientID
	if client == "" {
		client = "(none)"
	}
	return fmt.Sprintf("Approve this outbound request?\n\n%s\nTo: %s\nClient: %s\nAction: %s\n"+
		"Parameters SHA-256: %s\n\nPayload:\n%s\n\nNothing is sent unless you confirm.",
		r.Summary, r.TargetURL, client, r.Action, r.ParamsSHA256, body)
}

// finishConfirmation handles the retry that carries the client's answer. ok is
// false when the call is not such a retry.
func (s *Server) finishConfirmation(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, bool) {
	answer := mcpserver.ElicitationResponse(req.Params.InputResponses, confirmInputKey)
	if answer == nil && req.Params.RequestState == "" {
		return nil, false
	}
	p := PrincipalFrom(ctx)
	if !s.mayDecideInClient(ctx) {
		s.log.WarnContext(ctx, "confirmation answer from a caller that may not decide; nothing changed", "principal", p.ID)
		return toolError("", api.Errorf(api.CodeForbidden, "an answer from this client cannot decide an approval "+
			"(its credential may not approve, or four-eyes review is on); a reviewer decides on the approvals "+
			"page, the API or the CLI. Follow it with get_approval_status")), true
	}
	id, err := s.confirms.take(ctx, req.Params.RequestState, bindingOf(ctx))
	if err == nil && answer == nil {
		err = errors.New("the retry carries no answer")
	}
	if err != nil {
		s.log.WarnContext(ctx, "confirmation retry refused", "principal", p.ID, "reason", err.Error())
		return toolError("", api.Errorf(api.CodeInvalidArgument, "%s; nothing changed. Call get_approval_status, "+
			"or call send_webhook_response again to be asked anew", err)), true
	}
	return s.decideFromAnswer(ctx, id, answer), true
}

// decideFromAnswer approves or rejects approval id as the person in the
// client answered.
func (s *Server) decideFromAnswer(ctx context.Context, id string, answer *mcp.ElicitationResult) *mcp.CallToolResult {
	content, _ := answer.Content.(map[string]any)
	confirm, _ := content["confirm"].(bool)
	reason, _ := content["reason"].(string)
	reason = strings.TrimSpace(reason)
	actor := requesterOf(ctx)
	var (
		r   approval.Request
		err error
	)
	switch {
	case answer.Action == mcp.ElicitationResponseActionAccept && confirm:
		r, err = s.approvals.Approve(ctx, id, actor, reason)
	default:
		if reason == "" {
			reason = map[mcp.ElicitationResponseAction]string{
				mcp.ElicitationResponseActionAccept:  "not confirmed in the client",
				mcp.ElicitationResponseActionDecline: "declined in the client",
				mcp.ElicitationResponseActionCancel:  "cancelled in the client",
			}[answer.Action]
		}
		r, err = s.approvals.Reject(ctx, id, actor, reason)
	}
	if err != nil {
		var ce *approval.ConflictError
		if errors.As(err, &ce) {
			return toolError("", api.Errorf(api.CodeConflict, "approval %s is already %s; nothing changed "+
				"(call get_approval_status)", id, ce.Current))
		}
		if !tools.IsUserError(err) {
			s.log.ErrorContext(ctx, "decide approval from client", "approval_id", id, "err", err)
		}
		return toolError("", err)
	}
	msg := "The person in the client approved; the server sends exactly these parameters once. " +
		"Follow delivery with get_approval_status."
	if r.State != approval.StateApproved {
		msg = "The person in the client rejected this request; nothing will be sent. Do not retry unless asked."
	}
	out := tools.PendingApproval{Status: string(r.State), ApprovalID: r.ID, ExpiresAt: r.ExpiresAt,
		ParamsSHA256: r.ParamsSHA256, Message: msg}
	b, err := json.Marshal(out)
	if err != nil {
		return toolError("", err)
	}
	return &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(string(b))}, StructuredContent: json.RawMessage(b)}
}
