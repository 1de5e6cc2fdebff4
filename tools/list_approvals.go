package tools

import (
	"context"
	"strings"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// ListApprovalsInput is the input of list_approvals.
type ListApprovalsInput struct {
	State    string `json:"state,omitempty" jsonschema:"only requests in this state: pending, approved, delivering, delivered, failed, rejected or expired (comma-separated for several)"`
	ClientID string `json:"client_id,omitempty" jsonschema:"only this client's requests"`
	Limit    int    `json:"limit,omitempty" jsonschema:"at most this many requests (1-200, default 20)"`
}

// ListApprovalsOutput is the result of list_approvals.
type ListApprovalsOutput struct {
	Approvals []api.Approval `json:"approvals" jsonschema:"approval requests, newest first, without audit trails"`
}

func listApprovals(d Deps) Action {
	return Define(Spec{
		Name:  "list_approvals",
		Title: "List approval requests",
		Description: "List approval requests created by send_webhook_response, newest first, with state, client, " +
			"target URL, who asked, who decided and why, and the delivery result. Filter by state and client_id. " +
			"Read-only: a model cannot approve or reject; a human decides on the approvals page, the API, the CLI " +
			"or when asked in the MCP client.",
		Annotations: ReadOnlyLocal(),
	}, func(ctx context.Context, _ Invocation, in ListApprovalsInput) (ListApprovalsOutput, error) {
		f := approval.Filter{ClientID: in.ClientID}
		if in.State != "" {
			for _, one := range strings.Split(in.State, ",") {
				st := approval.State(strings.TrimSpace(one))
				if !st.Valid() {
					return ListApprovalsOutput{}, webhook.InvalidArgument("state",
						"state must be pending, approved, delivering, delivered, failed, rejected or expired")
				}
				f.States = append(f.States, st)
			}
		}
		var err error
		if f.Limit, err = clampLimit("limit", in.Limit, 20, 200); err != nil {
			return ListApprovalsOutput{}, err
		}
		reqs, err := d.Approvals.List(ctx, f)
		if err != nil {
			return ListApprovalsOutput{}, err
		}
		out := ListApprovalsOutput{Approvals: make([]api.Approval, 0, len(reqs))}
		for _, r := range reqs {
			out.Approvals = append(out.Approvals, StatusOf(r, nil))
		}
		return out, nil
	})
}
