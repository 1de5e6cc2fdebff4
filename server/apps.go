package server

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// MCP Apps (extension io.modelcontextprotocol/ui, specification 2026-01-26):
// two HTML views a host renders in a sandboxed frame next to a tool's result.
// The approval card shows what a request will send where, its state, the time
// left and a link to the reviewer page; it has no approve or reject control,
// since no app decides. The graph view draws a client's knowledge graph.
const (
	appsExtension   = "io.modelcontextprotocol/ui"
	appMIMEType     = "text/html;profile=mcp-app"
	appsVersion     = "2026-01-26"
	approvalCardURI = "ui://webhook-mcp/approval"
	graphViewURI    = "ui://webhook-mcp/graph"
)

// appView is one UI resource: its URI, name, description and HTML file.
type appView struct {
	uri, name, description, file string
}

// appViews are the UI resources this server offers.
func appViews() []appView {
	return []appView{
		{approvalCardURI, "Approval card", "An approval request as a card: what will be sent where, its state, " +
			"the time left and a link to the reviewer page. It cannot approve or reject.", "web/apps/approval.html"},
		{graphViewURI, "Knowledge graph view", "A client's knowledge graph drawn as nodes and edges: drag nodes, " +
			"filter by type, find by label, click a node for its properties.", "web/apps/graph.html"},
	}
}

// appOfTool is the UI resource a tool's results are shown with, if any.
func appOfTool(name string) string {
	switch name {
	case "send_webhook_response", "get_approval_status", "list_approvals":
		return approvalCardURI
	case "get_client_knowledge_graph":
		return graphViewURI
	}
	return ""
}

// appsCapability is the server's declaration of the extension.
func appsCapability() map[string]any {
	return map[string]any{appsExtension: map[string]any{}}
}

// appResourceMeta is the _meta.ui of the views: a strict content security
// policy (no connection, resource, frame or base URI beyond the document's
// own inline code) and a bordered frame.
func appResourceMeta() map[string]any {
	return map[string]any{"ui": map[string]any{
		"csp": map[string]any{"connectDomains": []string{}, "resourceDomains": []string{},
			"frameDomains": []string{}, "baseUriDomains": []string{}},
		"prefersBorder": true,
	}}
}

// clientCapabilities are the capabilities the client of this request declared:
// per request on protocol 2026-07-28, at initialize before it.
func clientCapabilities(ctx context.Context) *mcp.ClientCapabilities {
	if info := mcpserver.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern {
		return info.ClientCapabilities
	}
	if sess, ok := mcpserver.ClientSessionFromContext(ctx).(mcpserver.SessionWithClientInfo); ok {
		caps := sess.GetClientCapabilities()
		return &caps
	}
	return nil
}

// clientRendersApps reports whether the client of this request renders MCP Apps.
func clientRendersApps(ctx context.Context) bool { return rendersApps(clientCapabilities(ctx)) }

// rendersApps reports whether capabilities declare the MCP Apps extension
// with HTML views (mimeTypes naming text/html;profile=mcp-app, or no
// mimeTypes at all).
func rendersApps(caps *mcp.ClientCapabilities) bool {
	if caps == nil || caps.Extensions == nil {
		return false
	}
	ext, ok := caps.Extensions[appsExtension]
	if !ok {
		return false
	}
	settings, _ := ext.(map[string]any)
	types, declared := settings["mimeTypes"].([]any)
	if !declared {
		return true
	}
	return slices.ContainsFunc(types, func(t any) bool { s, _ := t.(string); return s == appMIMEType })
}

// linkApps is the tool filter that gives the tools with a view their
// _meta.ui.resourceUri, for clients that render MCP Apps only: every other
// client sees the tools without it.
func linkApps(ctx context.Context, tools []mcp.Tool) []mcp.Tool {
	if !clientRendersApps(ctx) {
		return tools
	}
	out := make([]mcp.Tool, len(tools))
	for i, t := range tools {
		if uri := appOfTool(t.Name); uri != "" {
			fields := map[string]any{}
			if t.Meta != nil {
				fields = maps.Clone(t.Meta.AdditionalFields)
			}
			fields["ui"] = map[string]any{"resourceUri": uri}
			t.Meta = &mcp.Meta{AdditionalFields: fields}
		}
		out[i] = t
	}
	return out
}

// addAppResources registers the UI resources. Their HTML is read once here,
// with the bridge script and this server's base URL put in.
func (s *Server) addAppResources() error {
	bridge, err := webFS.ReadFile("web/apps/bridge.js")
	if err != nil {
		return fmt.Errorf("read MCP Apps bridge: %w", err)
	}
	for _, v := range appViews() {
		raw, err := webFS.ReadFile(v.file)
		if err != nil {
			return fmt.Errorf("read MCP App %s: %w", v.uri, err)
		}
		html, err := renderApp(string(raw), string(bridge), s.baseURL)
		if err != nil {
			return fmt.Errorf("render MCP App %s: %w", v.uri, err)
		}
		res := mcp.NewResource(v.uri, v.name, mcp.WithResourceDescription(v.description), mcp.WithMIMEType(appMIMEType))
		res.Meta = &mcp.Meta{AdditionalFields: appResourceMeta()}
		s.mcp.AddResource(res, func(_ context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
			return []mcp.ResourceContents{mcp.TextResourceContents{URI: req.Params.URI, MIMEType: appMIMEType,
				Text: html(), Meta: appResourceMeta()}}, nil
		})
	}
	return nil
}

// renderApp returns a view's HTML: the bridge script in place of the
// /*BRIDGE*/ marker and the configuration (the base URL for reviewer links,
// read when the resource is read) as JSON in place of "__CONFIG__".
func renderApp(page, bridge string, baseURL func() string) (func() string, error) {
	if !strings.Contains(page, "/*BRIDGE*/") || !strings.Contains(page, `"__CONFIG__"`) {
		return nil, fmt.Errorf("the page lacks the /*BRIDGE*/ or \"__CONFIG__\" marker")
	}
	page = strings.Replace(page, "/*BRIDGE*/", bridge, 1)
	return func() string {
		cfg, err := json.Marshal(map[string]string{"baseURL": baseURL(), "appsVersion": appsVersion})
		if err != nil {
			panic(err) // a map of strings always encodes
		}
		// json.Marshal escapes <, > and &, so the JSON cannot end the script element.
		return strings.Replace(page, `"__CONFIG__"`, string(cfg), 1)
	}, nil
}
