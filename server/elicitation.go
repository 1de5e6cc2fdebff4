package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
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

// In-client approval. When the calling MCP client declares elicitation, a gated
// action (send_webhook_response) first stores its approval request as usual and
// then asks the person in the client to confirm it, using mcp-go's multi
// round-trip pattern: the tool result is input_required with a form, the client
// shows it and retries the call with the answer, and the retry decides the same
// approval record. Clients on 2026-07-28 do the retry themselves; for 2025-11-25
// clients mcp-go sends the elicitation/create request and re-invokes the handler.
//
// The requestState the client echoes back names the approval id and is signed
// with a per-process key bound to the requesting client, so a retry cannot
// decide some other request.

// confirmInputKey names the elicitation in inputRequests/inputResponses.
const confirmInputKey = "approve_send"

// maxPromptPayload bounds how much of the payload the confirmation shows.
const maxPromptPayload = 2000

// confirmsInClient reports whether calls of the action may be confirmed by
// elicitation: the feature is on and the action is approval-gated.
func (s *Server) confirmsInClient(action string) bool {
	if !s.cfg.ApprovalElicitation {
		return false
	}
	a, ok := s.registry.Lookup(action)
	return ok && a.RequiresApproval()
}

// clientCanElicit reports whether the client making this request declared the
// elicitation capability: per request on 2026-07-28 (_meta), else on the session.
func clientCanElicit(ctx context.Context) bool {
	if info := mcpserver.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern {
		return info.ClientCapabilities != nil && info.ClientCapabilities.Elicitation != nil
	}
	sess := mcpserver.ClientSessionFromContext(ctx)
	if _, ok := sess.(mcpserver.SessionWithElicitation); !ok {
		return false
	}
	withInfo, ok := sess.(mcpserver.SessionWithClientInfo)
	return ok && withInfo.GetClientCapabilities().Elicitation != nil
}

// signState returns the requestState for an approval asked of requester.
func (s *Server) signState(approvalID, requester string) string {
	m := hmac.New(sha256.New, s.review.key)
	m.Write([]byte(approvalID + "\x00" + requester))
	return approvalID + "." + hex.EncodeToString(m.Sum(nil))
}

// verifyState returns the approval id of a requestState signed for requester.
func (s *Server) verifyState(state, requester string) (string, bool) {
	id, _, ok := strings.Cut(state, ".")
	if !ok || id == "" {
		return "", false
	}
	return id, hmac.Equal([]byte(s.signState(id, requester)), []byte(state))
}

// askToConfirm turns the pending-approval result of a gated call into an
// input_required result that asks the person in the client. It returns nil when
// the result is not a pending approval (then the result is returned as it is).
func (s *Server) askToConfirm(ctx context.Context, result json.RawMessage) *mcp.CallToolResult {
	var pending tools.PendingApproval
	if json.Unmarshal(result, &pending) != nil || pending.Status != "pending_approval" || pending.ApprovalID == "" {
		return nil
	}
	r, _, err := s.approvals.Get(ctx, pending.ApprovalID)
	if err != nil {
		s.log.ErrorContext(ctx, "read approval to confirm in client", "approval_id", pending.ApprovalID, "err", err)
		return nil
	}
	params := mcp.ElicitationParams{
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
	s.log.InfoContext(ctx, "asking the client to confirm", "approval_id", r.ID, "webhook_id", r.WebhookID)
	return mcpserver.NewInputRequestBuilder(s.signState(r.ID, requesterOf(ctx))).
		Elicit(confirmInputKey, params).ToolResult()
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
	requester := requesterOf(ctx)
	id, valid := s.verifyState(req.Params.RequestState, requester)
	if !valid || answer == nil {
		s.log.WarnContext(ctx, "confirmation retry with a bad request state or no answer", "requester", requester)
		return toolError("", api.Errorf(api.CodeInvalidArgument, "the confirmation answer does not match a "+
			"request this client was asked about; call get_approval_status or ask again")), true
	}
	content, _ := answer.Content.(map[string]any)
	confirm, _ := content["confirm"].(bool)
	reason, _ := content["reason"].(string)
	reason = strings.TrimSpace(reason)
	var (
		r   approval.Request
		err error
	)
	switch {
	case answer.Action == mcp.ElicitationResponseActionAccept && confirm:
		r, err = s.approvals.Approve(ctx, id, requester, reason)
	default:
		if reason == "" {
			reason = map[mcp.ElicitationResponseAction]string{
				mcp.ElicitationResponseActionAccept:  "not confirmed in the client",
				mcp.ElicitationResponseActionDecline: "declined in the client",
				mcp.ElicitationResponseActionCancel:  "cancelled in the client",
			}[answer.Action]
		}
		r, err = s.approvals.Reject(ctx, id, requester, reason)
	}
	if err != nil {
		var ce *approval.ConflictError
		if errors.As(err, &ce) {
			return toolError("", api.Errorf(api.CodeConflict, "approval %s is already %s; nothing changed "+
				"(call get_approval_status)", id, ce.Current)), true
		}
		s.log.ErrorContext(ctx, "decide approval from client", "approval_id", id, "err", err)
		return toolError("", err), true
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
		return toolError("", err), true
	}
	return &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent(string(b))}, StructuredContent: json.RawMessage(b)}, true
}
