package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/tools"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// graphResourceTemplate is the MCP resource template of a client's merged
// graph: a page of tools.DefaultGraphLimit nodes unless limit says otherwise
// (0: the default too; 1 to tools.MaxGraphLimit), the next page by the
// cursor the previous one gave as next_cursor.
const graphResourceTemplate = "kg://clients/{client_id}{?cursor,limit}"

// graphResourcePrefix is what every kg:// client graph URI starts with.
const graphResourcePrefix = "kg://clients/"

// addGraphResource registers kg://clients/{client_id}{?cursor,limit} on the MCP server.
func (s *Server) addGraphResource() {
	tmpl := mcp.NewResourceTemplate(graphResourceTemplate, "Client knowledge graph",
		mcp.WithTemplateDescription("The merged knowledge graph of one client: every node and relationship seen in its "+
			"webhooks, in pages of 200 nodes (limit: 1-1000). When next_cursor is set, read "+
			"kg://clients/{client_id}?cursor={next_cursor} for the next page."),
		mcp.WithTemplateMIMEType("application/json"))
	s.mcp.AddResourceTemplate(tmpl, s.readClientGraph)
}

// readClientGraph reads kg://clients/{client_id}{?cursor,limit}: for the
// template and for the clients listed as resources (live.go).
func (s *Server) readClientGraph(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	q, err := graphResourceQuery(req.Params.URI)
	if errors.Is(err, mcpserver.ErrResourceNotFound) {
		return nil, err
	}
	if err != nil {
		return nil, errors.New(errorText("", err)) // invalid_argument and what to fix
	}
	g, err := s.deps.Store.ClientGraph(ctx, q)
	if err != nil {
		s.log.ErrorContext(ctx, "read client graph resource", "client_id", q.ClientID, "err", err)
		return nil, errors.New(errorText("", err)) // the JSON-RPC error says the code, not the store's internals
	}
	b, err := json.Marshal(g)
	if err != nil {
		return nil, err
	}
	return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "application/json", Text: string(b)}}, nil
}

// clientGraphURI is the kg:// URI of a client's graph, its id percent-encoded.
func clientGraphURI(clientID string) string { return graphResourcePrefix + url.PathEscape(clientID) }

// graphResourceQuery parses kg://clients/{client_id}[?cursor=…][&limit=…]
// (client_id percent-encoded) into a query of one page. A URI of another
// shape is mcpserver.ErrResourceNotFound; bad parameters are
// *webhook.ValidationError.
func graphResourceQuery(uri string) (graph.GraphQuery, error) {
	rest, ok := strings.CutPrefix(uri, graphResourcePrefix)
	rawID, rawQuery, _ := strings.Cut(rest, "?")
	if !ok || rawID == "" || strings.Contains(rawID, "/") {
		return graph.GraphQuery{}, mcpserver.ErrResourceNotFound
	}
	clientID, err := url.PathUnescape(rawID)
	if err != nil {
		return graph.GraphQuery{}, mcpserver.ErrResourceNotFound
	}
	params, err := url.ParseQuery(rawQuery)
	if err != nil {
		return graph.GraphQuery{}, webhook.InvalidArgument("uri", "%s: query: %v", uri, err)
	}
	limit := 0 // the default page
	for k, v := range params {
		switch {
		case len(v) != 1:
			return graph.GraphQuery{}, webhook.InvalidArgument(k, "%s: %s is given %d times", uri, k, len(v))
		case k == "limit":
			if limit, err = strconv.Atoi(v[0]); err != nil {
				return graph.GraphQuery{}, webhook.InvalidArgument("limit",
					"limit must be a whole number from 0 (the default, %d) to %d", tools.DefaultGraphLimit, tools.MaxGraphLimit)
			}
		case k != "cursor":
			return graph.GraphQuery{}, webhook.InvalidArgument(k, "%s: unknown parameter %s (cursor and limit are known)", uri, k)
		}
	}
	return tools.ClientGraphQuery(clientID, nil, &limit, params.Get("cursor"))
}

// handleClientGraph is GET /api/clients/{client_id}/graph[?format=mermaid|memory-jsonl]
// [&node_types=a,b][&limit=n][&cursor=c]: the whole graph unless limit is
// given (0: tools.DefaultGraphLimit nodes; 1 to tools.MaxGraphLimit), the
// next page by the previous page's next_cursor.
func (s *Server) handleClientGraph(w http.ResponseWriter, r *http.Request) {
	params := r.URL.Query()
	var nodeTypes []string
	if nt := params.Get("node_types"); nt != "" {
		nodeTypes = strings.Split(nt, ",")
	}
	var limit *int // the whole graph
	if l := params.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			writeCallError(w, "", webhook.InvalidArgument("limit", "limit must be a whole number from 0 to %d", tools.MaxGraphLimit))
			return
		}
		limit = &n
	}
	q, err := tools.ClientGraphQuery(r.PathValue("client_id"), nodeTypes, limit, params.Get("cursor"))
	if err != nil {
		writeCallError(w, "", err)
		return
	}
	format := params.Get("format")
	if format != "" && format != "json" && format != "mermaid" && format != formatMemoryJSONL {
		writeCallError(w, "", webhook.InvalidArgument("format", "format must be json, mermaid or memory-jsonl"))
		return
	}
	g, err := s.deps.Store.ClientGraph(r.Context(), q)
	if err != nil {
		s.log.Error("read client graph", "client_id", q.ClientID, "err", err)
		writeCallError(w, "", err)
		return
	}
	if format == formatMemoryJSONL {
		s.writeMemoryJSONL(w, g)
		return
	}
	if format == "mermaid" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if g.NextCursor != "" {
			w.Header().Set("X-Next-Cursor", g.NextCursor)
		}
		_, _ = w.Write([]byte(graph.Mermaid(g)))
		return
	}
	writeJSON(w, http.StatusOK, g)
}
