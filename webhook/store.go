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

// InboxEvent is one webhook request or recorded tool call. The id is the call
// id: for a webhook it is the webhook_id its sender sees.
type InboxEvent struct {
	ID             string            `json:"webhook_id" jsonschema:"the call id; for webhooks the webhook_id the sender got"`
	IdempotencyKey string            `json:"idempotency_key"`
	Kind           string            `json:"kind" jsonschema:"webhook or tool"`
	Source         string            `json:"source"`
	Route          string            `json:"route" jsonschema:"route name for webhooks, tool name for tool calls"`
	ClientID       string            `json:"client_id"`
	ReceivedAt     time.Time         `json:"received_at"`
	Headers        map[string]string `json:"headers,omitempty"`
	Body           []byte            `json:"-"`
	// BodySHA256 is the hex SHA-256 of Body: a repeat that reuses the key with
	// another body is told apart from a retry.
	BodySHA256   string          `json:"-"`
	State        EventState      `json:"state"`
	Result       json.RawMessage `json:"-"`
	ErrorCode    string          `json:"error_code,omitempty"`
	ErrorMessage string          `json:"error_message,omitempty"`
	ErrorFields  []string        `json:"error_fields,omitempty"`
	DurationMS   float64         `json:"duration_ms"`
	CompletedAt  *time.Time      `json:"completed_at,omitempty"`
	// Owner and Deadline belong to an entry in flight (state received): the
	// process running it, and when a repeat may stop waiting for it and run again.
	Owner    string    `json:"-"`
	Deadline time.Time `json:"-"`
}

// Completion is the outcome written to an inbox entry when processing ends.
type Completion struct {
	State        EventState
	Result       json.RawMessage // the action's output as JSON (processed)
	ErrorCode    string          // failed
	ErrorMessage string          // failed
	ErrorFields  []string        // failed: the fields a validation error names
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
	Kind     string // KindWebhook, KindTool; empty: both
	ClientID string
	Source   string
	State    EventState
	Limit    int
	Before   time.Time // zero: no bound
}

// Inbox persists webhook requests and tool calls with idempotency.
//
// An entry whose idempotency key is set is "live" for repeats of that key:
// completed (processed, or failed by the sender's mistake), or in flight
// (received) before its Deadline. An in-flight entry past its deadline, or one
// owned by the caller's own process (whose call has ended, since the process
// tracks its running calls itself), is abandoned: the next repeat marks it
// failed with code "abandoned", clears its key and runs again.
//
// Errors: ErrNotFound for CompleteEvent of an unknown or no longer in-flight
// id, and for GetEvent of an unknown one; any other error wraps the driver's
// and means nothing was committed (the caller answers that the store is
// unavailable).
type Inbox interface {
	// BeginEvent records ev in flight (state received, ev.Owner, ev.Deadline)
	// unless a live entry with the same key was received at or after
	// notBefore: then nothing is written and that entry is returned (with its
	// Result when complete). The write is waited for even when ctx ends: an
	// error means nothing was recorded.
	BeginEvent(ctx context.Context, ev InboxEvent, notBefore time.Time) (existing *InboxEvent, err error)
	// RecordEvent writes ev already complete with c, in one write (and c.Graph
	// merged in it), unless a live entry has the same key (as BeginEvent): then
	// nothing is written and that entry is returned. Pure actions run first and
	// record once.
	RecordEvent(ctx context.Context, ev InboxEvent, c Completion, notBefore time.Time) (existing *InboxEvent, err error)
	// CompleteEvent moves entry id from received to processed or failed.
	CompleteEvent(ctx context.Context, id string, c Completion) error
	// AbandonInFlight marks every in-flight entry not owned by owner failed
	// ("abandoned") and releases its key; a process that owns the store alone
	// calls it at start for the entries of its predecessor.
	AbandonInFlight(ctx context.Context, owner string) (int64, error)
	// GetEvent returns one entry with its raw body, or ErrNotFound.
	GetEvent(ctx context.Context, id string) (InboxEvent, error)
	// ListEvents returns entries without their raw bodies, newest first.
	ListEvents(ctx context.Context, f EventFilter) ([]InboxEvent, error)
	// PruneEvents deletes entries received before t and returns how many.
	PruneEvents(ctx context.Context, before time.Time) (int64, error)
}
