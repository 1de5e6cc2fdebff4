package server

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/live"
	"github.com/webhook-mcp/webhook-mcp/tools"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// formatMemoryJSONL is the format parameter of the reference MCP memory
// server's JSONL file (graph.WriteMemoryJSONL).
const formatMemoryJSONL = "memory-jsonl"

// memoryJSONLType is the Content-Type of a memory-jsonl graph.
const memoryJSONLType = "application/jsonl"

// maxGraphImportBytes caps the body of a graph import.
const maxGraphImportBytes = 32 << 20

// memoryResourceTemplate is the MCP resource of a client's whole graph in
// the memory server's JSONL format.
const memoryResourceTemplate = "memory://knowledge-graph/{client_id}"

// memoryResourcePrefix is what every memory:// graph URI starts with.
const memoryResourcePrefix = "memory://knowledge-graph/"

// writeMemoryJSONL answers with g in the memory server's JSONL format.
func (s *Server) writeMemoryJSONL(w http.ResponseWriter, g graph.ClientGraph) {
	var buf bytes.Buffer
	if err := graph.WriteMemoryJSONL(&buf, g); err != nil {
		s.log.Error("write memory jsonl", "client_id", g.ClientID, "err", err)
		writeCallError(w, "", err)
		return
	}
	w.Header().Set("Content-Type", memoryJSONLType)
	if g.NextCursor != "" {
		w.Header().Set("X-Next-Cursor", g.NextCursor)
	}
	_, _ = w.Write(buf.Bytes())
}

// graphImportResult is the answer of a graph import.
type graphImportResult struct {
	ClientID          string `json:"client_id"`
	Mode              string `json:"mode"`
	NodeCount         int    `json:"node_count"`
	RelationshipCount int    `json:"relationship_count"`
}

// handleGraphImport is POST /api/clients/{client_id}/graph/import
// ?format=memory-jsonl[&mode=merge|replace]: the body, a memory server JSONL
// file, is merged into the client's graph (mode merge, the default) or
// replaces it (mode replace, in one transaction).
func (s *Server) handleGraphImport(w http.ResponseWriter, r *http.Request) {
	params := r.URL.Query()
	clientID := r.PathValue("client_id")
	if _, err := tools.ClientGraphQuery(clientID, nil, nil, ""); err != nil {
		writeCallError(w, "", err)
		return
	}
	if params.Get("format") != formatMemoryJSONL {
		writeCallError(w, "", webhook.InvalidArgument("format", "format must be memory-jsonl"))
		return
	}
	mode := params.Get("mode")
	if mode == "" {
		mode = "merge"
	}
	if mode != "merge" && mode != "replace" {
		writeCallError(w, "", webhook.InvalidArgument("mode", "mode must be merge or replace"))
		return
	}
	g, err := graph.ReadMemoryJSONL(http.MaxBytesReader(w, r.Body, maxGraphImportBytes), clientID)
	if err != nil {
		writeCallError(w, "", webhook.InvalidArgument("body", "%v", err))
		return
	}
	now := s.deps.Now()
	if mode == "replace" {
		err = s.deps.Store.ReplaceGraph(r.Context(), g, "", now)
	} else {
		err = s.deps.Store.MergeGraph(r.Context(), g, "", now)
	}
	if err != nil {
		s.log.Error("import client graph", "client_id", clientID, "mode", mode, "err", err)
		writeCallError(w, "", err)
		return
	}
	s.publish(live.Change{Kind: live.KindClient, ID: clientID}) // its subscribers hear of it (live.go)
	s.log.Info("client graph imported", "client_id", clientID, "mode", mode,
		"nodes", len(g.KnowledgeNodes), "relationships", len(g.Relationships))
	writeJSON(w, http.StatusOK, graphImportResult{ClientID: clientID, Mode: mode,
		NodeCount: len(g.KnowledgeNodes), RelationshipCount: len(g.Relationships)})
}

// addMemoryResource registers memory://knowledge-graph/{client_id}: the
// client's whole graph as the memory server's JSONL file.
func (s *Server) addMemoryResource() {
	tmpl := mcp.NewResourceTemplate(memoryResourceTemplate, "Client knowledge graph (memory server format)",
		mcp.WithTemplateDescription("The whole merged knowledge graph of one client in the JSONL format of the reference "+
			"MCP memory server (@modelcontextprotocol/server-memory): one entity a line per node, then one relation a line "+
			"per relationship; save it as the memory server's MEMORY_FILE_PATH."),
		mcp.WithTemplateMIMEType(memoryJSONLType))
	s.mcp.AddResourceTemplate(tmpl, func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		rawID, ok := strings.CutPrefix(req.Params.URI, memoryResourcePrefix)
		if !ok || rawID == "" || strings.ContainsAny(rawID, "/?#") {
			return nil, mcpserver.ErrResourceNotFound
		}
		clientID, err := url.PathUnescape(rawID)
		if err != nil {
			return nil, mcpserver.ErrResourceNotFound
		}
		q, err := tools.ClientGraphQuery(clientID, nil, nil, "")
		if err != nil {
			return nil, errors.New(errorText("", err))
		}
		g, err := s.deps.Store.ClientGraph(ctx, q)
		if err != nil {
			s.log.ErrorContext(ctx, "read client graph resource", "client_id", clientID, "err", err)
			return nil, errors.New(errorText("", err))
		}
		var buf bytes.Buffer
		if err := graph.WriteMemoryJSONL(&buf, g); err != nil {
			return nil, errors.New(errorText("", err))
		}
		return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: memoryJSONLType, Text: buf.String()}}, nil
	})
}
