package tools

import (
	"context"

	"github.com/google/uuid"

	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// ExtractInput is the input of extract_client_knowledge_graph.
type ExtractInput struct {
	WebhookData        map[string]any `json:"webhook_data" jsonschema:"client payload as a JSON object: the short form {client_id, task:{id,name,description}} or a whole ClickUp task object"`
	ClientID           string         `json:"client_id,omitempty" jsonschema:"client the graph belongs to; defaults to webhook_data.client_id"`
	IncludeTaskDetails *bool          `json:"include_task_details,omitempty" jsonschema:"include task descriptions and text content in node properties (default true)"`
}

func extractClientKnowledgeGraph(d Deps) Action {
	return DefineWithEffects(Spec{
		Name:  "extract_client_knowledge_graph",
		Title: "Extract client knowledge graph",
		Description: "Turn a client payload into a knowledge graph of nodes (client, task, status, person, tag, " +
			"priority, list/folder/space, custom_field, ...) and relationships (HAS_TASK, HAS_STATUS, ASSIGNED_TO, " +
			"HAS_FIELD with the value on the edge, ...). Node ids are stable (\"task:task_123\") so repeated calls " +
			"merge into the client's stored graph. Unknown payload shapes still give a graph. " +
			"Requires client_id as an argument or inside webhook_data.",
		Annotations: WriteLocalIdempotent(),
	}, func(_ context.Context, inv Invocation, in ExtractInput) (graph.KnowledgeGraph, Effects, error) {
		if in.WebhookData == nil {
			in.WebhookData = inv.Payload // a webhook route's body, decoded once
		}
		if in.WebhookData == nil {
			return graph.KnowledgeGraph{}, Effects{}, webhook.MissingFields("webhook_data")
		}
		clientID, err := webhook.ClientIDOf(in.ClientID, in.WebhookData)
		if err != nil {
			return graph.KnowledgeGraph{}, Effects{}, err
		}
		details := in.IncludeTaskDetails == nil || *in.IncludeTaskDetails
		now := d.Now().UTC()
		g := graph.Extract(in.WebhookData, graph.ExtractOptions{ClientID: clientID, Source: inv.Source,
			IncludeTaskDetails: details, ExtractionID: uuid.NewString(), Now: now})
		return g, Effects{Graph: &g}, nil
	})
}
