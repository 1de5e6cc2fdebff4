package tools

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// SendResponseInput is the input of send_webhook_response.
type SendResponseInput struct {
	ResponseURL  string          `json:"response_url,omitempty" jsonschema:"http(s) URL to POST the response to; defaults to the server's configured MAKE_COM_WEBHOOK_ENDPOINT"`
	ResponseData json.RawMessage `json:"response_data"`
	ResponseType string          `json:"response_type,omitempty" jsonschema:"kind of response, sent as the X-Response-Type header (an HTTP token)"`
	ClientID     string          `json:"client_id,omitempty" jsonschema:"client the response is about, shown to the reviewer"`
}

func sendWebhookResponse(d Deps) Action {
	spec := Spec{
		Name:  "send_webhook_response",
		Title: "Send webhook response (needs human approval)",
		Description: "Ask to POST response_data as JSON to response_url. Nothing is sent now: this creates an " +
			"approval request and returns {status: \"pending_approval\", approval_id, expires_at} at once. A human " +
			"approves or rejects it outside the conversation (or, when this client supports elicitation, is asked right " +
			"here and the status comes back approved or rejected); once approved the server sends exactly these " +
			"parameters, once. Follow it with get_approval_status. Do not call again to retry: that creates a second request.",
		Annotations: OutboundGated(),
		InputOverrides: map[string]map[string]any{"response_data": {
			"type":        "object",
			"description": "the JSON object to POST as the request body",
		}, "response_type": {
			"type": "string",
			"description": "kind of response, sent as the X-Response-Type header: an HTTP token (letters, digits, " +
				"no spaces or line breaks), at most 100 characters (default webhook_response)",
			"pattern":   "^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$",
			"maxLength": 100,
		}},
	}
	prepare := func(_ context.Context, _ Invocation, in SendResponseInput) (SendResponseInput, approval.Draft, error) {
		if in.ResponseURL == "" {
			in.ResponseURL = d.DefaultResponseURL
		}
		if _, err := d.Sender.CheckURL("response_url", in.ResponseURL); err != nil {
			return in, approval.Draft{}, err
		}
		var obj map[string]any
		if len(in.ResponseData) == 0 || json.Unmarshal(in.ResponseData, &obj) != nil || obj == nil {
			return in, approval.Draft{}, webhook.InvalidArgument("response_data", "response_data must be a JSON object")
		}
		if in.ResponseType == "" {
			in.ResponseType = "webhook_response"
		}
		if err := webhook.CheckResponseType("response_type", in.ResponseType); err != nil {
			return in, approval.Draft{}, err
		}
		summary := fmt.Sprintf("POST %d bytes of %s to %s", len(in.ResponseData), in.ResponseType, in.ResponseURL)
		return in, approval.Draft{ClientID: in.ClientID, TargetURL: in.ResponseURL, Summary: summary}, nil
	}
	run := func(ctx context.Context, r approval.Request, in SendResponseInput) approval.Delivery {
		res := d.Sender.Send(ctx, webhook.Outbound{URL: in.ResponseURL, Body: in.ResponseData,
			ResponseType: in.ResponseType, WebhookID: r.ID})
		del := approval.Delivery{StatusCode: res.StatusCode, Response: res.Response,
			DurationMS: msOf(res.Duration), AttemptedAt: d.Now().UTC(),
			Retryable: res.Retryable, RetryAfter: res.RetryAfter, Gone: res.Gone}
		if res.Err != nil {
			del.Error = res.Err.Error()
		}
		return del
	}
	return DefineGated(spec, prepare, run)
}
