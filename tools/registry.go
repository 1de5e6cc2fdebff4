package tools

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// ErrUnknownAction means no action is registered under the name.
var ErrUnknownAction = errors.New("unknown action")

// ErrDuplicateAction means an action with the name is already registered.
var ErrDuplicateAction = errors.New("action already registered")

// DefaultDeadlineMargin is added to the call timeout to give an in-flight
// inbox entry its deadline: past it, a repeat runs again.
const DefaultDeadlineMargin = 5 * time.Second

// Request is one call of an action through Registry.Call.
type Request struct {
	Action     string
	Input      json.RawMessage
	Invocation Invocation // CallID and ReceivedAt are filled in when empty
	// IdempotencyKey names the request for repeats; empty: never deduplicated.
	IdempotencyKey string
	// KeyWindow is how far back a repeat of the key is recognised; <= 0: the
	// key is not used.
	KeyWindow time.Duration
	Headers   map[string]string
	RawBody   []byte // what is recorded in the inbox; Input when nil
	// ClientID is recorded in the inbox; when empty it comes from the graph the
	// call merges, else from Input's client_id.
	ClientID string
	// ReplayOf, when set, records the call as a replay of that inbox entry.
	ReplayOf string
}

// Outcome is the result of Registry.Call.
type Outcome struct {
	CallID   string // the call's id; for a replay, the first call's
	ClientID string
	Result   json.RawMessage // the action's output as JSON
	Replayed bool            // an earlier identical request's stored outcome
}

// ApprovalRequester creates the approval request a gated action drafts.
type ApprovalRequester interface {
	Request(ctx context.Context, d approval.Draft) (approval.Request, error)
}

// Config holds the Registry's dependencies.
type Config struct {
	Inbox     webhook.Inbox     // required: webhooks and calls with effects are recorded
	Approvals ApprovalRequester // creates the requests of gated actions
	Timeout   time.Duration     // per call; <= 0: no deadline
	// Owner names this process on in-flight inbox entries; empty: a new id.
	Owner string
	// DeadlineMargin is added to Timeout for an in-flight entry's deadline
	// (<= 0: DefaultDeadlineMargin).
	DeadlineMargin time.Duration
	Now            func() time.Time // nil: time.Now
	Logger         *slog.Logger     // nil: slog.Default()
	// OnCommitted, when set, is told of every inbox write the store committed
	// (an entry begun in flight, completed, or recorded complete at once),
	// after the commit and before the caller hears of the call. It runs on
	// the caller's goroutine and must not block: hand the news on.
	OnCommitted func(Committed)
}

// Committed describes one inbox write the store committed.
type Committed struct {
	CallID string
	Kind   string // webhook.KindWebhook or webhook.KindTool
	State  webhook.EventState
	// ClientID is the inbox entry's client.
	ClientID string
	// GraphClientID is the client whose knowledge graph the write merged a
	// graph into; empty when it merged none.
	GraphClientID string
}

// Registry holds every action; see the package doc.
type Registry struct {
	cfg     Config
	mu      sync.RWMutex
	actions map[string]Action

	flightMu sync.Mutex
	flights  map[string]flight // idempotency key → the call running it here
}

// flight is a call in progress in this process under an idempotency key.
type flight struct {
	callID, bodySHA256 string
}

var _ approval.Executor = (*Registry)(nil)

// NewRegistry returns an empty registry.
func NewRegistry(cfg Config) *Registry {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Owner == "" {
		cfg.Owner = uuid.NewString()
	}
	if cfg.DeadlineMargin <= 0 {
		cfg.DeadlineMargin = DefaultDeadlineMargin
	}
	return &Registry{cfg: cfg, actions: map[string]Action{}, flights: map[string]flight{}}
}

// Owner is the name of this process on its in-flight inbox entries.
func (r *Registry) Owner() string { return r.cfg.Owner }

// Register adds actions; a name may be registered once.
func (r *Registry) Register(actions ...Action) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range actions {
		name := a.Spec().Name
		if !a.Spec().Annotations.set {
			return fmt.Errorf("register %s: %w", name, ErrNoAnnotations)
		}
		if _, dup := r.actions[name]; dup {
			return fmt.Errorf("register %s: %w", name, ErrDuplicateAction)
		}
		r.actions[name] = a
	}
	return nil
}

// Lookup returns the action registered under name.
func (r *Registry) Lookup(name string) (Action, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	a, ok := r.actions[name]
	return a, ok
}

// Actions returns every action sorted by name.
func (r *Registry) Actions() []Action {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Action, 0, len(r.actions))
	for _, a := range r.actions {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Spec().Name < out[j].Spec().Name })
	return out
}

// Recording says how Registry.Call records the calls of an action.
type Recording int

// Recording policies, derived from an action's annotations (RecordingOf).
const (
	// RecordNone: a read-only tool call is logged, not written to the inbox.
	RecordNone Recording = iota
	// RecordOnce: an action whose only effects are in the store (and every
	// webhook) runs first; its inbox entry, result and effects commit in one
	// write before the caller hears of it. A caller that hears nothing retries.
	RecordOnce
	// RecordBefore: an action that acts outside the store (open world, or
	// gated by approval) is recorded in flight before it acts and completed after.
	RecordBefore
)

// RecordingOf is the recording policy of a's calls of the given kind.
func RecordingOf(a Action, kind string) Recording {
	ann := a.Spec().Annotations
	switch {
	case a.RequiresApproval() || (ann.OpenWorld() && !ann.ReadOnly()):
		return RecordBefore
	case ann.ReadOnly() && kind != webhook.KindWebhook:
		return RecordNone
	}
	return RecordOnce
}

// Call runs one call of an action: it deduplicates repeats by idempotency key,
// runs the action under the timeout, applies its effects and records it as
// its recording policy says. A repeat of an earlier request returns the stored
// outcome without running again (a failure replays as *webhook.StoredError),
// webhook.ErrInProgress while the first still runs, and webhook.ErrKeyReused
// when the key came with another body. A store that cannot commit gives
// webhook.ErrStoreUnavailable (nothing acknowledged is lost: a retry runs
// again). Other errors are returned as they are: user mistakes as
// *webhook.ValidationError, deadlines as context.DeadlineExceeded.
func (r *Registry) Call(ctx context.Context, req Request) (Outcome, error) {
	a, ok := r.Lookup(req.Action)
	if !ok {
		return Outcome{}, fmt.Errorf("%w: %s", ErrUnknownAction, req.Action)
	}
	c := r.newCall(a, req)
	if c.key != "" {
		if prev, busy := r.claim(c.key, c.flight()); busy {
			return c.repeatOfFlight(prev)
		}
		defer r.release(c.key)
	}
	switch RecordingOf(a, c.inv.Kind) {
	case RecordNone:
		return c.runUnrecorded(ctx)
	case RecordOnce:
		return c.runThenRecord(ctx)
	default:
		return c.recordThenRun(ctx)
	}
}

// claim marks key as running here, or returns the call that already runs it.
func (r *Registry) claim(key string, f flight) (flight, bool) {
	r.flightMu.Lock()
	defer r.flightMu.Unlock()
	if prev, busy := r.flights[key]; busy {
		return prev, true
	}
	r.flights[key] = f
	return f, false
}

func (r *Registry) release(key string) {
	r.flightMu.Lock()
	delete(r.flights, key)
	r.flightMu.Unlock()
}

// Execute runs an approved request; it makes the registry the approval Executor.
func (r *Registry) Execute(ctx context.Context, req approval.Request) approval.Delivery {
	a, ok := r.Lookup(req.Action)
	g, gated := a.(Gated)
	if !ok || !gated {
		return approval.Delivery{AttemptedAt: r.cfg.Now().UTC(), Error: "action " + req.Action + " is not an approval-gated action"}
	}
	return g.Execute(ctx, req)
}

// bodyHash is the hex SHA-256 that tells a reused key from a retry.
func bodyHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
