package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// FetchInput is the input of fetch.
type FetchInput struct {
	ID string `json:"id" jsonschema:"a record id from search, e.g. task:client-123:task_123"`
}

// FetchOutput is one whole record, in the shape ChatGPT connectors and deep
// research expect.
type FetchOutput struct {
	ID       string         `json:"id"`
	Title    string         `json:"title"`
	Text     string         `json:"text" jsonschema:"the record in words: properties, relationships, body or decision"`
	URL      string         `json:"url" jsonschema:"where the record is on this server"`
	Metadata map[string]any `json:"metadata" jsonschema:"the record's fields as data"`
}

// maxFetchBody is how much of a webhook body fetch shows.
const maxFetchBody = 32 << 10

// fetchClientNodes is how many nodes of a client fetch lists.
const fetchClientNodes = 200

func fetch(d Deps) Action {
	return Define(Spec{
		Name:  "fetch",
		Title: "Fetch",
		Description: "Return one record found by search, whole: a client with its tasks and people, a task or a " +
			"person with its properties and relationships, a webhook event with its body, or an approval request " +
			"with its state and decision. Returns {id, title, text, url, metadata}. Read-only.",
		Annotations: ReadOnlyLocal(),
	}, func(ctx context.Context, _ Invocation, in FetchInput) (FetchOutput, error) {
		if in.ID == "" {
			return FetchOutput{}, webhook.MissingFields("id")
		}
		ref, err := parseRecordID(in.ID)
		if err != nil {
			return FetchOutput{}, err
		}
		var out FetchOutput
		switch ref.kind {
		case recordClient:
			out, err = d.fetchClient(ctx, ref)
		case recordTask, recordPerson:
			out, err = d.fetchNode(ctx, ref)
		case recordEvent:
			out, err = d.fetchEvent(ctx, ref)
		default:
			out, err = d.fetchApproval(ctx, ref)
		}
		if err != nil {
			return FetchOutput{}, err
		}
		out.ID, out.URL = in.ID, recordURL(d.BaseURL(), ref)
		return out, nil
	})
}

// fetchClient lists a client's tasks and people.
func (d Deps) fetchClient(ctx context.Context, ref recordRef) (FetchOutput, error) {
	cg, err := d.Graphs.ClientGraph(ctx, graph.GraphQuery{ClientID: ref.clientID,
		NodeTypes: []string{recordClient, recordTask, recordPerson}, Limit: fetchClientNodes})
	if err != nil {
		return FetchOutput{}, err
	}
	if cg.NodeCount == 0 {
		return FetchOutput{}, fmt.Errorf("fetch client %s: %w", ref.clientID, webhook.ErrNotFound)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Client %s: %d clients, tasks and people in its knowledge graph", ref.clientID, cg.NodeCount)
	if cg.Truncated {
		fmt.Fprintf(&b, " (the first %d listed)", len(cg.Nodes))
	}
	b.WriteString(".\n")
	counts := map[string]int{}
	for _, typ := range []string{recordTask, recordPerson} {
		fmt.Fprintf(&b, "\n%ss:\n", strings.ToUpper(typ[:1])+typ[1:])
		for _, n := range cg.Nodes {
			if n.Type == typ {
				counts[typ]++
				id, _ := nodeRecordID(ref.clientID, n.ID)
				fmt.Fprintf(&b, "- %s (%s)\n", n.Label, id)
			}
		}
	}
	return FetchOutput{Title: "Client " + ref.clientID, Text: b.String(), Metadata: map[string]any{
		"kind": recordClient, "client_id": ref.clientID, "node_count": cg.NodeCount, "truncated": cg.Truncated,
		"tasks": counts[recordTask], "people": counts[recordPerson],
	}}, nil
}

// fetchNode renders a task or a person with its properties and relationships.
func (d Deps) fetchNode(ctx context.Context, ref recordRef) (FetchOutput, error) {
	h, err := d.Graphs.GraphNode(ctx, ref.clientID, ref.kind+":"+ref.key)
	if err != nil {
		return FetchOutput{}, err
	}
	n := h.Node
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s %s of client %s)\n", n.Label, n.Type, ref.key, ref.clientID)
	keys := make([]string, 0, len(n.Properties))
	for k := range n.Properties {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 0 {
		b.WriteString("\nProperties:\n")
	}
	for _, k := range keys {
		fmt.Fprintf(&b, "- %s: %s\n", k, textOf(n.Properties[k]))
	}
	if len(h.Relationships) > 0 {
		b.WriteString("\nRelationships:\n")
	}
	for _, r := range h.Relationships {
		fmt.Fprintf(&b, "- %s %s %s\n", r.Source, r.Type, r.Target)
	}
	fmt.Fprintf(&b, "\nFirst seen %s, last seen %s, in %d webhooks or tool calls.\n",
		n.FirstSeen.UTC().Format(time.RFC3339), n.LastSeen.UTC().Format(time.RFC3339), len(n.WebhookIDs))
	return FetchOutput{Title: n.Label, Text: b.String(), Metadata: map[string]any{
		"kind": ref.kind, "client_id": ref.clientID, "node_id": n.ID, "type": n.Type, "properties": n.Properties,
		"relationships": h.Relationships, "first_seen": n.FirstSeen, "last_seen": n.LastSeen, "webhook_ids": n.WebhookIDs,
	}}, nil
}

// fetchEvent renders an inbox entry with (the start of) its body.
func (d Deps) fetchEvent(ctx context.Context, ref recordRef) (FetchOutput, error) {
	e, err := d.Inbox.GetEvent(ctx, ref.key)
	if err != nil {
		return FetchOutput{}, err
	}
	var b strings.Builder
	b.WriteString(eventTitle(e) + ".\n")
	if e.ErrorCode != "" {
		fmt.Fprintf(&b, "Error %s: %s\n", e.ErrorCode, e.ErrorMessage)
	}
	body := e.Body
	if len(body) > maxFetchBody {
		fmt.Fprintf(&b, "\nBody (first %d of %d bytes):\n", maxFetchBody, len(body))
		body = body[:maxFetchBody]
	} else {
		b.WriteString("\nBody:\n")
	}
	b.WriteString(strings.ToValidUTF8(string(body), "\uFFFD"))
	meta := map[string]any{"kind": recordEvent, "event_kind": e.Kind, "webhook_id": e.ID, "source": e.Source,
		"route": e.Route, "client_id": e.ClientID, "state": e.State, "received_at": e.ReceivedAt,
		"duration_ms": e.DurationMS, "body_bytes": len(e.Body)}
	if e.CompletedAt != nil {
		meta["completed_at"] = *e.CompletedAt
	}
	if e.ErrorCode != "" {
		meta["error_code"], meta["error_message"] = e.ErrorCode, e.ErrorMessage
	}
	return FetchOutput{Title: eventTitle(e), Text: b.String(), Metadata: meta}, nil
}

// fetchApproval renders an approval request: what would be sent where, its
// state and the decision.
func (d Deps) fetchApproval(ctx context.Context, ref recordRef) (FetchOutput, error) {
	r, evs, err := d.Approvals.Get(ctx, ref.key)
	if err != nil {
		return FetchOutput{}, err
	}
	st := StatusOf(r, evs)
	var b strings.Builder
	fmt.Fprintf(&b, "Approval request %s is %s: %s.\n", r.ID, r.State, r.Summary)
	fmt.Fprintf(&b, "Action %s to %s for client %s, requested by %s at %s; expires %s.\n", r.Action, r.TargetURL,
		orNone(r.ClientID), r.RequestedBy, r.CreatedAt.UTC().Format(time.RFC3339), r.ExpiresAt.UTC().Format(time.RFC3339))
	if r.DecidedBy != "" {
		fmt.Fprintf(&b, "Decided by %s", r.DecidedBy)
		if r.Reason != "" {
			fmt.Fprintf(&b, ": %s", r.Reason)
		}
		b.WriteString(".\n")
	}
	if del := r.Delivery; del != nil {
		fmt.Fprintf(&b, "Delivery: %s after %d attempts (HTTP %d) %s\n", del.Outcome, del.Attempts, del.StatusCode, del.Error)
	}
	b.WriteString("Only a person decides approval requests, on the reviewer page, the API or the CLI.\n")
	var meta map[string]any
	raw, err := json.Marshal(st)
	if err != nil {
		return FetchOutput{}, fmt.Errorf("encode approval %s: %w", r.ID, err)
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return FetchOutput{}, fmt.Errorf("decode approval %s: %w", r.ID, err)
	}
	meta["kind"] = recordApproval
	return FetchOutput{Title: approvalTitle(r), Text: b.String(), Metadata: meta}, nil
}

// textOf renders a property value in one line: strings as they are, the rest
// as JSON.
func textOf(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
