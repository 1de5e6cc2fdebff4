package server

import (
	"context"
	"encoding/json"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/webhook-mcp/webhook-mcp/tools"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

const instructions = "webhook-mcp receives client webhooks (e.g. Make.com / ClickUp tasks) and turns them into " +
	"knowledge graphs. Use process_webhook_data or extract_client_knowledge_graph on a payload, " +
	"validate_webhook_signature to check a signature, and send_webhook_response to ask a human to approve an " +
	"outbound POST (then get_approval_status). Errors that you can fix come back as tool errors with a code."

// newMCPServer declares the tools and resources capabilities (resources with
// subscribe and listChanged: live.go), the MCP Apps extension, and whatever
// extra declares (prompts, completions). No logging capability: the server
// sends no log notifications (it logs to stderr). No elicitation key either:
// elicitation is a client capability; sending elicitation requests (and the
// input_required results of 2026-07-28) needs only the client's declaration,
// which clientCanElicit checks.
func newMCPServer(version string, hooks *mcpserver.Hooks, extra ...mcpserver.ServerOption) *mcpserver.MCPServer {
	return mcpserver.NewMCPServer("webhook-mcp", version, append([]mcpserver.ServerOption{
		mcpserver.WithHooks(hooks), // session counting (mcp_sessions.go), subscriptions (subscriptions.go)
		mcpserver.WithToolCapabilities(false),
		mcpserver.WithResourceCapabilities(true, true), // subscribe, listChanged
		mcpserver.WithInstructions(instructions),
		mcpserver.WithRecovery(),
		mcpserver.WithExtensions(appsCapability()), // MCP Apps: ui:// views (apps.go)
		mcpserver.WithToolFilter(linkApps),
	}, extra...)...)
}

// toolHandler adapts Registry.Call to an MCP tool: user mistakes become tool
// errors the model can read; internal failures say only that they happened and
// under which webhook id they are logged.
func (s *Server) toolHandler(name string) mcpserver.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		input, err := argumentsOf(req)
		if err != nil {
			return toolError("", webhook.InvalidPayload("arguments are not a JSON object")), nil
		}
		confirm := s.confirmsInClient(name)
		if confirm {
			if res, ok := s.finishConfirmation(ctx, req); ok {
				return res, nil
			}
		}
		out, err := s.registry.Call(ctx, tools.Request{
			Action: name, Input: input,
			Invocation: tools.Invocation{Kind: webhook.KindTool, Source: "mcp", Route: name, Requester: requesterOf(ctx)},
		})
		if err != nil {
			return toolError(out.CallID, err), nil
		}
		if confirm && s.mayDecideInClient(ctx) {
			if route := elicitRouteOf(ctx); route != elicitNone {
				if res := s.askToConfirm(ctx, route, out.Result); res != nil {
					return res, nil
				}
			}
		}
		return &mcp.CallToolResult{
			Content:           []mcp.Content{mcp.NewTextContent(string(out.Result))},
			StructuredContent: out.Result,
		}, nil
	}
}

// toolError is the one function that renders an error as an isError tool
// result: "code: message (fields: a, b) [call_id …]" from the api table,
// so a server-side failure shows only its code's message and the id it is
// logged under (docs/error-handling.md).
func toolError(callID string, err error) *mcp.CallToolResult {
	return mcp.NewToolResultError(errorText(callID, err))
}

// errorText is the text of an MCP error, for tool results and for the
// JSON-RPC errors of resource reads alike.
func errorText(callID string, err error) string {
	_, body := errorBodyOf(err)
	text := body.Error()
	if callID != "" {
		text += " [call_id " + callID + "]"
	}
	return text
}

// argumentsOf returns the call's arguments as a JSON object.
func argumentsOf(req mcp.CallToolRequest) (json.RawMessage, error) {
	switch a := req.GetRawArguments().(type) {
	case json.RawMessage:
		return a, nil
	case nil:
		return json.RawMessage("{}"), nil
	default:
		return json.Marshal(a)
	}
}

// requesterOf is the actor string of the MCP request: the authenticated
// principal, labelled with the client's self-declared name.
func requesterOf(ctx context.Context) string {
	return PrincipalFrom(ctx).Actor(clientLabel(ctx))
}

// clientLabel is "mcp-client:<name>" with the name the client declared.
func clientLabel(ctx context.Context) string {
	name := ""
	if info := mcpserver.RequestProtocolInfoFromContext(ctx); info != nil && info.ClientInfo != nil {
		name = info.ClientInfo.Name
	}
	if name == "" {
		if sess, ok := mcpserver.ClientSessionFromContext(ctx).(mcpserver.SessionWithClientInfo); ok {
			name = sess.GetClientInfo().Name
		}
	}
	if name == "" {
		name = "unknown"
	}
	return "mcp-client:" + name
}
