package tools

import (
	"context"
	"time"

	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// ListEventsInput is the input of list_webhook_events.
type ListEventsInput struct {
	Kind     string `json:"kind,omitempty" jsonschema:"which entries: webhook (the default) for webhooks received, tool for recorded tool calls (those with effects; read-only calls are not recorded), all for both"`
	ClientID string `json:"client_id,omitempty" jsonschema:"only this client's entries"`
	Source   string `json:"source,omitempty" jsonschema:"only this source, e.g. make.com_chatgpt_clients or mcp"`
	State    string `json:"state,omitempty" jsonschema:"only entries in this state: received, processed or failed"`
	Limit    int    `json:"limit,omitempty" jsonschema:"at most this many entries (1-500, default 50)"`
	Before   string `json:"before,omitempty" jsonschema:"RFC 3339 time; only entries received before it (to page back)"`
}

// ListEventsOutput is the result of list_webhook_events.
type ListEventsOutput struct {
	Events []webhook.InboxEvent `json:"events" jsonschema:"inbox entries, newest first, without raw bodies"`
}

func listWebhookEvents(d Deps) Action {
	return Define(Spec{
		Name:  "list_webhook_events",
		Title: "List webhook events",
		Description: "List recent entries of the inbox, newest first: the webhooks received (kind webhook, the " +
			"default) or the recorded tool calls (kind tool: calls with effects such as process_webhook_data or " +
			"send_webhook_response; read-only calls are not recorded), with id, source, route or tool, client_id, " +
			"received_at, state (received, processed, failed), error and duration; raw bodies are not included. " +
			"Page back with before. Read-only.",
		Annotations: ReadOnlyLocal(),
	}, func(ctx context.Context, _ Invocation, in ListEventsInput) (ListEventsOutput, error) {
		f := webhook.EventFilter{ClientID: in.ClientID, Source: in.Source, State: webhook.EventState(in.State)}
		switch in.Kind {
		case "", webhook.KindWebhook:
			f.Kind = webhook.KindWebhook
		case webhook.KindTool:
			f.Kind = webhook.KindTool
		case "all":
		default:
			return ListEventsOutput{}, webhook.InvalidArgument("kind", "kind must be webhook, tool or all")
		}
		switch f.State {
		case "", webhook.StateReceived, webhook.StateProcessed, webhook.StateFailed:
		default:
			return ListEventsOutput{}, webhook.InvalidArgument("state", "state must be received, processed or failed")
		}
		var err error
		if f.Limit, err = clampLimit("limit", in.Limit, 50, 500); err != nil {
			return ListEventsOutput{}, err
		}
		if in.Before != "" {
			if f.Before, err = time.Parse(time.RFC3339Nano, in.Before); err != nil {
				return ListEventsOutput{}, webhook.InvalidArgument("before", "before must be an RFC 3339 time")
			}
		}
		evs, err := d.Inbox.ListEvents(ctx, f)
		if err != nil {
			return ListEventsOutput{}, err
		}
		if evs == nil {
			evs = []webhook.InboxEvent{}
		}
		for i := range evs {
			evs[i].Headers = nil // keep listings short; the inbox row keeps them
		}
		return ListEventsOutput{Events: evs}, nil
	})
}
