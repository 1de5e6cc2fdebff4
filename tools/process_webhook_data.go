package tools

import (
	"context"

	"github.com/google/uuid"

	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// ProcessWebhookDataInput is the input of process_webhook_data.
type ProcessWebhookDataInput struct {
	WebhookData map[string]any `json:"webhook_data" jsonschema:"the raw webhook payload as a JSON object, e.g. {\"client_id\":\"client-123\",\"task\":{\"id\":\"task_123\",\"name\":\"...\"}}"`
	ClientID    string         `json:"client_id,omitempty" jsonschema:"client the payload belongs to; defaults to webhook_data.client_id"`
	ActionID    string         `json:"action_id,omitempty" jsonschema:"what the sender wants done, e.g. get_client_data; defaults to webhook_data.action_id"`
}

func processWebhookData(d Deps) Action {
	return DefineWithEffects(Spec{
		Name:  "process_webhook_data",
		Title: "Process webhook data",
		Description: "Validate and process a raw client webhook payload (for example a Make.com or ClickUp task), " +
			"record it, merge its knowledge graph into the client's stored graph, and return it with metadata: " +
			"webhook_id, client_id, action_id, timestamp, source, a one-line summary of the task and the extracted " +
			"knowledge graph. Requires client_id (as an argument or inside webhook_data) and task.id when a task is present.",
		Annotations: WriteLocalIdempotent(),
	}, func(_ context.Context, inv Invocation, in ProcessWebhookDataInput) (webhook.ProcessResult, Effects, error) {
		data := in.WebhookData
		if data == nil {
			data = inv.Payload // a webhook route's body, decoded once
		}
		res, err := webhook.Process(data, webhook.ProcessInput{
			WebhookID: inv.CallID, ClientID: in.ClientID, ActionID: in.ActionID,
			Source: inv.Source, ExtractionID: uuid.NewString(), Now: d.Now(),
		})
		if err != nil {
			return res, Effects{}, err
		}
		return res, Effects{Graph: &res.KnowledgeGraph}, nil
	})
}
