package tools

import (
	"time"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// Deps are what the built-in actions need.
type Deps struct {
	Graphs    graph.Store
	Inbox     webhook.Inbox
	Approvals *approval.Service
	Sender    *webhook.Sender
	// Secrets returns the secrets registered for a source (nil when unsigned).
	Secrets func(source string) [][]byte
	// DefaultSource is the source whose secret validate_webhook_signature uses
	// when none is named.
	DefaultSource string
	// DefaultResponseURL is send_webhook_response's URL when none is given.
	DefaultResponseURL string
	Now                func() time.Time
	// BaseURL is where this server is reached (PUBLIC_URL, else the listen
	// address): search and fetch give their records' urls under it. nil: urls
	// are paths.
	BaseURL func() string
	// SignatureTolerance is how far a Standard Webhooks timestamp may be from
	// now (WEBHOOK_TOLERANCE); <= 0: webhook.DefaultTolerance.
	SignatureTolerance time.Duration
}

// Builtin returns every built-in action wired to deps.
func Builtin(d Deps) []Action {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.BaseURL == nil {
		d.BaseURL = func() string { return "" }
	}
	return []Action{
		processWebhookData(d),
		extractClientKnowledgeGraph(d),
		validateWebhookSignature(d),
		sendWebhookResponse(d),
		getApprovalStatus(d),
		listApprovals(d),
		getClientKnowledgeGraph(d),
		searchKnowledgeGraph(d),
		listWebhookEvents(d),
		search(d),
		fetch(d),
	}
}
