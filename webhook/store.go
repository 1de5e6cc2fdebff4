package webhook

import (
	"context"
	"encoding/json"
	"time"

	"github.com/webhook-mcp/webhook-mcp/graph"
)

// EventState is the state of an inbox entry: received → processed | failed.
type EventState string

// Inbox entry states.
const (
	StateReceived  EventState = "received"
	StateProcessed EventState = "processed"
	StateFailed    EventState = "failed"
)

// Kinds of inbox entry.
const (
	KindWebhook = "webhook"
	KindTool    = "tool"
)

// InboxEvent is one webhook request or tool call, recorded before it is processed.
type InboxEvent struct {
	ID             string            `json:"webhook_id"`
	IdempotencyKey string            `json:"idempotency_key"`
	Kind           string            `json:"kind" jsonschema:"webhook or tool"`
	Source         string            `json:"source"`
	Route          string            `json:"route" jsonschema:"route name for webhooks, tool name for tool calls"`
	ClientID       string            `json:"client_id"`
	ReceivedAt     time.Time         `json:"received_at"`
	Headers        map[string]string `json:"headers,omitempty"`
	Body           []byte            `json:"-"`
	State          EventState        `json:"state"`
	Result         json.RawMessage   `json:"-"`
	ErrorCode      string            `json:"error_code,omitempty"`
	ErrorMessage   string            `json:"error_message,omitempty"`
	DurationMS     float64           `json:"duration_ms"`
	CompletedAt    *time.Time        `json:"completed_at,omitempty"`
}

// Completion is the outcome written to an inbox entry when processing ends.
type Completion struct {
	State        EventState
	Result       json.RawMessage // the action's output as JSON (processed)
	ErrorCode    string          // failed
	ErrorMessage string          // failed
	Duration     time.Duration
	At           time.Time
	// ReleaseKey clears the entry's idempotency key so that a retry of a request
	// that failed on the server side (not the sender's mistake) is processed again.
	ReleaseKey bool
	// Graph, when set, is merged into its client's graph (as graph.Store.MergeGraph
	// would, mentioned by this entry's id at At) in the same transaction as the
	// completion: the result and the graph it produced commit together.
	Graph *graph.KnowledgeGraph
}

// EventFilter selects inbox entries, newest first.
type EventFilter struct {
	ClientID string
	Source   string
	State    EventState
	Limit    int
	Before   time.Time // zero: no bound
}

// Inbox persists webhook requests and tool calls with idempotency.
type Inbox interface {
	// BeginEvent records ev in state received. If an entry with the same
	// idempotency key was received at or after notBefore, nothing is written
	// and that entry is returned instead (with its Result when complete).
	BeginEvent(ctx context.Context, ev InboxEvent, notBefore time.Time) (existing *InboxEvent, err error)
	// CompleteEvent moves entry id to processed or failed with its result.
	CompleteEvent(ctx context.Context, id string, c Completion) error
	// ListEvents returns entries without their raw bodies, newest first.
	ListEvents(ctx context.Context, f EventFilter) ([]InboxEvent, error)
	// PruneEvents deletes entries received before t and returns how many.
	PruneEvents(ctx context.Context, before time.Time) (int64, error)
}
