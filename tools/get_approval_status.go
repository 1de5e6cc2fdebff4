package tools

import (
	"context"
	"time"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// ApprovalStatusInput is the input of get_approval_status.
type ApprovalStatusInput struct {
	ApprovalID string `json:"approval_id" jsonschema:"the approval_id returned by send_webhook_response"`
}

// ApprovalStatus is what a model may know about an approval request.
type ApprovalStatus struct {
	ApprovalID   string             `json:"approval_id"`
	State        approval.State     `json:"state" jsonschema:"pending, approved, delivering, delivered, failed, rejected or expired"`
	Action       string             `json:"action"`
	ClientID     string             `json:"client_id"`
	TargetURL    string             `json:"target_url"`
	Summary      string             `json:"summary"`
	ParamsSHA256 string             `json:"params_sha256"`
	RequestedBy  string             `json:"requested_by"`
	CreatedAt    time.Time          `json:"created_at"`
	ExpiresAt    time.Time          `json:"expires_at"`
	DecidedBy    string             `json:"decided_by,omitempty"`
	DecidedAt    *time.Time         `json:"decided_at,omitempty"`
	Reason       string             `json:"reason,omitempty" jsonschema:"the reviewer's reason for the decision"`
	Delivery     *approval.Delivery `json:"delivery,omitempty" jsonschema:"outcome of sending, once attempted"`
	Events       []approval.Event   `json:"events" jsonschema:"audit trail, oldest first"`
	Attempts     []approval.Attempt `json:"attempts,omitempty" jsonschema:"every delivery attempt: time, status code, latency, error, first 4 KiB of the response"`
}

// StatusOf renders a request and its audit trail for a model.
func StatusOf(r approval.Request, evs []approval.Event) ApprovalStatus {
	if evs == nil {
		evs = []approval.Event{}
	}
	return ApprovalStatus{ApprovalID: r.ID, State: r.State, Action: r.Action, ClientID: r.ClientID,
		TargetURL: r.TargetURL, Summary: r.Summary, ParamsSHA256: r.ParamsSHA256, RequestedBy: r.RequestedBy,
		CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, DecidedBy: r.DecidedBy, DecidedAt: r.DecidedAt,
		Reason: r.Reason, Delivery: r.Delivery, Events: evs}
}

func getApprovalStatus(d Deps) Action {
	return Define(Spec{
		Name:  "get_approval_status",
		Title: "Get approval status",
		Description: "Read the state of an approval request created by send_webhook_response: pending, approved, " +
			"delivering, delivered, failed, rejected or expired, with who decided, their reason, the delivery " +
			"result and the audit trail. Read-only: a model cannot approve or reject.",
		Annotations: ReadOnlyLocal(),
	}, func(ctx context.Context, _ Invocation, in ApprovalStatusInput) (ApprovalStatus, error) {
		if in.ApprovalID == "" {
			return ApprovalStatus{}, webhook.MissingFields("approval_id")
		}
		r, evs, err := d.Approvals.Get(ctx, in.ApprovalID)
		if err != nil {
			return ApprovalStatus{}, err
		}
		st := StatusOf(r, evs)
		if st.Attempts, err = d.Approvals.Attempts(ctx, r.ID); err != nil {
			return ApprovalStatus{}, err
		}
		return st, nil
	})
}
