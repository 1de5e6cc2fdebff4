// Package webhook is the domain of webhook-mcp: payload decoding and validation,
// processing, knowledge-graph extraction, signature schemes, the outbound sender,
// and the interfaces of the stores that persist webhooks and graphs.
//
// It imports neither mcp-go, net/http handlers, the server nor a database driver.
package webhook
