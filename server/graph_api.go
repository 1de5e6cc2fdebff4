package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/tools"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// graphResourceTemplate is the MCP resource template of a client's merged graph.
const graphResourceTemplate = "kg://clients/{client_id}"

// addGraphResource registers kg://clients/{client_id} on the MCP server.
func (s *Server) addGraphResource() {
	tmpl := mcp.NewResourceTemplate(graphResourceTemplate, "Client knowledge graph",
		mcp.WithTemplateDescription("The merged knowledge graph of one client: every node and relationship seen in its webhooks."),
		mcp.WithTemplateMIMEType("application/json"))
	s.mcp.AddResourceTemplate(tmpl, s.readClientGraph)
}

// validClientID reports whether a client id can be named in a kg:// URI.
func validClientID(id string) bool { return id != "" && !strings.Contains(id, "/") }

// readClientGraph reads kg://clients/{client_id}.
func (s *Server) readClientGraph(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	clientID, ok := strings.CutPrefix(req.Params.URI, clientURIPrefix)
	if !ok || !validClientID(clientID) {
		return nil, mcpserver.ErrResourceNotFound
	}
	g, err := s.deps.Store.ClientGraph(ctx, graph.GraphQuery{ClientID: clientID, Limit: tools.DefaultGraphLimit})
	if err != nil {
		s.log.ErrorContext(ctx, "read client graph resource", "client_id", clientID, "err", err)
		return nil, errors.New(errorText("", err)) // the JSON-RPC error says the code, not the store's internals
	}
	b, err := json.Marshal(g)
	if err != nil {
		return nil, err
	}
	return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: "application/json", Text: string(b)}}, nil
}

// handleClientGraph is GET /api/clients/{client_id}/graph[?format=mermaid][&node_types=a,b][&limit=n].
func (s *Server) handleClientGraph(w http.ResponseWriter, r *http.Request) {
	q := graph.GraphQuery{ClientID: r.PathValue("client_id"), Limit: tools.DefaultGraphLimit}
	if nt := r.URL.Query().Get("node_types"); nt != "" {
		q.NodeTypes = strings.Split(nt, ",")
	}
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > tools.MaxGraphLimit {
			s.writeCallError(w, "", webhook.InvalidArgument("limit", "limit must be a whole number from 1 to %d", tools.MaxGraphLimit))
			return
		}
		q.Limit = n
	}
	g, err := s.deps.Store.ClientGraph(r.Context(), q)
	if err != nil {
		s.log.Error("read client graph", "client_id", q.ClientID, "err", err)
		s.writeCallError(w, "", err)
		return
	}
	switch r.URL.Query().Get("format") {
	case "", "json":
		writeJSON(w, http.StatusOK, g)
	case "mermaid":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(Mermaid(g)))
	default:
		s.writeCallError(w, "", webhook.InvalidArgument("format", "format must be json or mermaid"))
	}
}

// Mermaid renders a client graph as a Mermaid flowchart.
func Mermaid(g graph.ClientGraph) string {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	ids := make(map[string]string, len(g.Nodes))
	for i, n := range g.Nodes {
		id := "n" + strconv.Itoa(i)
		ids[n.ID] = id
		b.WriteString("  " + id + "[\"" + mermaidText(n.Label) + "<br/><small>" + mermaidText(n.Type) + "</small>\"]\n")
	}
	for _, r := range g.Relationships {
		from, ok1 := ids[r.Source]
		to, ok2 := ids[r.Target]
		if ok1 && ok2 {
			b.WriteString("  " + from + " -->|" + mermaidText(r.Type) + "| " + to + "\n")
		}
	}
	return b.String()
}

// mermaidText escapes what would end a Mermaid label.
func mermaidText(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "|", "#124;", "<", "#lt;", ">", "#gt;", "\n", " ").Replace(s)
}
