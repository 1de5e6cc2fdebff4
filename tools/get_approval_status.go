package tools

import (
	"context"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// ApprovalStatusInput is the input of get_approval_status.
type ApprovalStatusInput struct {
	ApprovalID string `json:"approval_id" jsonschema:"the approval_id returned by send_webhook_response"`
}

// StatusOf renders a request and its audit trail as the view a model and a
// reviewer see.
func StatusOf(r approval.Request, evs []approval.Event) api.Approval {
	out := api.Approval{ApprovalID: r.ID, State: string(r.State), Action: r.Action, ClientID: r.ClientID,
		TargetURL: r.TargetURL, Summary: r.Summary, ParamsSHA256: r.ParamsSHA256, RequestedBy: r.RequestedBy,
		CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, DecidedBy: r.DecidedBy, DecidedAt: r.DecidedAt,
		Reason: r.Reason, Events: make([]api.Event, 0, len(evs))}
	if d := r.Delivery; d != nil {
		out.Delivery = &api.Delivery{Outcome: d.Outcome, Attempts: d.Attempts, StatusCode: d.StatusCode,
			Error: d.Error, Response: d.Response, DurationMS: d.DurationMS, AttemptedAt: d.AttemptedAt,
			NextAttemptAt: d.NextAttemptAt}
	}
	for _, e := range evs {
		out.Events = append(out.Events, api.Event{ApprovalID: e.ApprovalID, At: e.At, From: string(e.From),
			To: string(e.To), Actor: e.Actor, Reason: e.Reason})
	}
	return out
}

// AttemptsOf renders a request's delivery attempts; nil stays nil (omitted).
func AttemptsOf(as []approval.Attempt) []api.Attempt {
	if as == nil {
		return nil
	}
	out := make([]api.Attempt, 0, len(as))
	for _, a := range as {
		out = append(out, api.Attempt{N: a.N, At: a.At, StatusCode: a.StatusCode, LatencyMS: a.LatencyMS,
			Error: a.Error, Response: a.Response})
	}
	return out
}

func getApprovalStatus(d Deps) Action {
	return Define(Spec{
		Name:  "get_approval_status",
		Title: "Get approval status",
		Description: "Read the state of an approval request created by send_webhook_response: pending, approved, " +
			"delivering, delivered, failed, rejected or expired, with who decided, their reason, the delivery " +
			"result and the audit trail. Read-only: a model cannot approve or reject.",
		Annotations: ReadOnlyLocal(),
	}, func(ctx context.Context, _ Invocation, in ApprovalStatusInput) (api.Approval, error) {
		if in.ApprovalID == "" {
			return api.Approval{}, webhook.MissingFields("approval_id")
		}
		return ApprovalStatus(ctx, d.Approvals, in.ApprovalID)
	})
}

// ApprovalStatus is the full view of one request: state, audit trail,
// delivery and delivery attempts, as get_approval_status and the
// approvals://{approval_id} resource show it. An unknown id is an
// *approval.NotFoundError.
func ApprovalStatus(ctx context.Context, svc *approval.Service, id string) (api.Approval, error) {
	r, evs, err := svc.Get(ctx, id)
	if err != nil {
		return api.Approval{}, err
	}
	st := StatusOf(r, evs)
	attempts, err := svc.Attempts(ctx, r.ID)
	if err != nil {
		return api.Approval{}, err
	}
	st.Attempts = AttemptsOf(attempts)
	return st, nil
}
