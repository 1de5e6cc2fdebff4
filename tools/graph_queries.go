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
	Limit     int      `json:"limit,omitempty" jsonschema:"nodes per page, 1-1000; 0 or omitted: 200"`
	Cursor    string   `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page; omitted: the first page"`
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

// DefaultGraphLimit is the nodes per page of a client graph when the limit is
// 0 or omitted (the tool, the kg:// resource) or 0 (the HTTP route, which
// returns the whole graph when limit is omitted).
const DefaultGraphLimit = 200

// MaxGraphLimit is the largest page of a client graph.
const MaxGraphLimit = 1000

// ClientGraphQuery checks the arguments that get_client_knowledge_graph, the
// kg://clients/{client_id} resource and GET /api/clients/{client_id}/graph
// share, and builds the store query. limit nil is no limit (the whole graph,
// or the rest of it after cursor), 0 is DefaultGraphLimit, else 1 to
// MaxGraphLimit nodes per page; cursor is "" or a next_cursor of an earlier
// page.
func ClientGraphQuery(clientID string, nodeTypes []string, limit *int, cursor string) (graph.GraphQuery, error) {
	if clientID == "" {
		return graph.GraphQuery{}, webhook.MissingFields("client_id")
	}
	q := graph.GraphQuery{ClientID: clientID, NodeTypes: nodeTypes}
	if limit != nil {
		var err error
		if q.Limit, err = clampLimit("limit", *limit, DefaultGraphLimit, MaxGraphLimit); err != nil {
			return graph.GraphQuery{}, err
		}
	}
	after, err := graph.DecodeCursor(cursor)
	if err != nil {
		return graph.GraphQuery{}, webhook.InvalidArgument("cursor", "cursor: %v", err)
	}
	q.After = after
	return q, nil
}

// clampLimit applies a default and bounds to a user-supplied limit: 0 is the
// default on every interface (tools, resource, HTTP), as an omitted limit is.
func clampLimit(field string, v, def, max int) (int, error) {
	switch {
	case v == 0:
		return def, nil
	case v < 1 || v > max:
		return 0, webhook.InvalidArgument(field, "%s must be between 1 and %d (0 or omitted: %d)", field, max, def)
	}
	return v, nil
}

func getClientKnowledgeGraph(d Deps) Action {
	return Define(Spec{
		Name:  "get_client_knowledge_graph",
		Title: "Get client knowledge graph",
		Description: "Return everything known about one client: the knowledge graph merged from every webhook and " +
			"extraction for that client, each node and relationship with first_seen, last_seen and the webhook ids " +
			"that mentioned it. Filter with node_types. Pages of limit nodes (default 200) in node id order: when " +
			"next_cursor is set, call again with cursor=next_cursor for the next page. Each relationship comes once, " +
			"on the page of whichever of its two nodes comes later. Read-only.",
		Annotations: ReadOnlyLocal(),
	}, func(ctx context.Context, _ Invocation, in ClientGraphInput) (graph.ClientGraph, error) {
		q, err := ClientGraphQuery(in.ClientID, in.NodeTypes, &in.Limit, in.Cursor)
		if err != nil {
			return graph.ClientGraph{}, err
		}
		return d.Graphs.ClientGraph(ctx, q)
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
