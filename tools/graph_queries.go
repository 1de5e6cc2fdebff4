package tools

import (
	"context"

	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// ClientGraphInput is the input of get_client_knowledge_graph.
type ClientGraphInput struct {
	ClientID  string   `json:"client_id" jsonschema:"the client whose merged graph to return, e.g. client-123"`
	NodeTypes []string `json:"node_types,omitempty" jsonschema:"only these node types, e.g. [\"task\",\"person\"]; default all"`
	Limit     int      `json:"limit,omitempty" jsonschema:"at most this many nodes (1-1000, default 200); relationships between returned nodes only"`
}

// SearchGraphInput is the input of search_knowledge_graph.
type SearchGraphInput struct {
	Query     string   `json:"query" jsonschema:"text to find, case-insensitive, in node labels and property values"`
	ClientID  string   `json:"client_id,omitempty" jsonschema:"only this client's graph; default all clients"`
	NodeTypes []string `json:"node_types,omitempty" jsonschema:"only these node types"`
	Limit     int      `json:"limit,omitempty" jsonschema:"at most this many matches (1-200, default 20)"`
}

// SearchGraphOutput is the result of search_knowledge_graph.
type SearchGraphOutput struct {
	Query string            `json:"query"`
	Hits  []graph.SearchHit `json:"hits" jsonschema:"matching nodes with their direct relationships"`
}

// DefaultGraphLimit is how many nodes a client graph holds unless a limit is
// given; the tool, the MCP resource and the HTTP route all use it.
const DefaultGraphLimit = 200

// MaxGraphLimit is the largest node limit of a client graph.
const MaxGraphLimit = 1000

// clampLimit applies a default and bounds to a user-supplied limit.
func clampLimit(field string, v, def, max int) (int, error) {
	switch {
	case v == 0:
		return def, nil
	case v < 1 || v > max:
		return 0, webhook.InvalidArgument(field, "%s must be between 1 and %d", field, max)
	}
	return v, nil
}

func getClientKnowledgeGraph(d Deps) Action {
	return Define(Spec{
		Name:  "get_client_knowledge_graph",
		Title: "Get client knowledge graph",
		Description: "Return everything known about one client: the knowledge graph merged from every webhook and " +
			"extraction for that client, each node and relationship with first_seen, last_seen and the webhook ids " +
			"that mentioned it. Filter with node_types and limit. Read-only.",
		Annotations: ReadOnlyLocal(),
	}, func(ctx context.Context, _ Invocation, in ClientGraphInput) (graph.ClientGraph, error) {
		if in.ClientID == "" {
			return graph.ClientGraph{}, webhook.MissingFields("client_id")
		}
		limit, err := clampLimit("limit", in.Limit, DefaultGraphLimit, MaxGraphLimit)
		if err != nil {
			return graph.ClientGraph{}, err
		}
		return d.Graphs.ClientGraph(ctx, graph.GraphQuery{ClientID: in.ClientID, NodeTypes: in.NodeTypes, Limit: limit})
	})
}

func searchKnowledgeGraph(d Deps) Action {
	return Define(Spec{
		Name:  "search_knowledge_graph",
		Title: "Search knowledge graphs",
		Description: "Find nodes whose label or property values contain query (case-insensitive), in one client's " +
			"graph or across all clients, and return each with its direct relationships. Use it to answer " +
			"questions like \"which tasks mention invoices?\" or \"who is assigned to the onboarding task?\". Read-only.",
		Annotations: ReadOnlyLocal(),
	}, func(ctx context.Context, _ Invocation, in SearchGraphInput) (SearchGraphOutput, error) {
		if in.Query == "" {
			return SearchGraphOutput{}, webhook.MissingFields("query")
		}
		limit, err := clampLimit("limit", in.Limit, 20, 200)
		if err != nil {
			return SearchGraphOutput{}, err
		}
		hits, err := d.Graphs.SearchGraph(ctx, graph.SearchQuery{Query: in.Query, ClientID: in.ClientID,
			NodeTypes: in.NodeTypes, Limit: limit})
		if err != nil {
			return SearchGraphOutput{}, err
		}
		if hits == nil {
			hits = []graph.SearchHit{}
		}
		return SearchGraphOutput{Query: in.Query, Hits: hits}, nil
	})
}
