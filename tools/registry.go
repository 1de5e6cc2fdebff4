package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// ErrUnknownAction means no action is registered under the name.
var ErrUnknownAction = errors.New("unknown action")

// ErrDuplicateAction means an action with the name is already registered.
var ErrDuplicateAction = errors.New("action already registered")

// Request is one call of an action through Registry.Call.
type Request struct {
	Action         string
	Input          json.RawMessage
	Invocation     Invocation // WebhookID and ReceivedAt are filled in when empty
	IdempotencyKey string     // empty: never deduplicated
	Headers        map[string]string
	RawBody        []byte // what is recorded in the inbox; Input when nil
	ClientID       string // recorded in the inbox; else taken from Input's client_id
}

// Outcome is the result of Registry.Call.
type Outcome struct {
	WebhookID string
	ClientID  string
	Result    json.RawMessage // the action's output as JSON
	Replayed  bool            // an earlier identical request's stored result
}

// Config holds the Registry's dependencies.
type Config struct {
	Inbox             webhook.Inbox    // required: every call is recorded
	Timeout           time.Duration    // per call; <= 0: no deadline
	IdempotencyWindow time.Duration    // how far back a repeat is recognised
	Now               func() time.Time // nil: time.Now
	Logger            *slog.Logger     // nil: slog.Default()
}

// Registry holds every action; see the package doc.
type Registry struct {
	cfg     Config
	mu      sync.RWMutex
	actions map[string]Action
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
	return &Registry{cfg: cfg, actions: map[string]Action{}}
}

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

// Call records the request, runs the action under the timeout and records the
// result. A repeat of an earlier request (same idempotency key inside the window)
// returns the stored result without running again, or webhook.ErrInProgress while
// the first is still running. Errors are returned as they are: user mistakes as
// *webhook.ValidationError, deadlines as context.DeadlineExceeded.
func (r *Registry) Call(ctx context.Context, req Request) (Outcome, error) {
	a, ok := r.Lookup(req.Action)
	if !ok {
		return Outcome{}, fmt.Errorf("%w: %s", ErrUnknownAction, req.Action)
	}
	inv := req.Invocation
	if inv.WebhookID == "" {
		inv.WebhookID = uuid.NewString()
	}
	if inv.ReceivedAt.IsZero() {
		inv.ReceivedAt = r.cfg.Now().UTC()
	}
	clientID := req.ClientID
	if clientID == "" {
		clientID = clientIDOf(req.Input)
	}
	out := Outcome{WebhookID: inv.WebhookID, ClientID: clientID}
	log := r.cfg.Logger.With("webhook_id", inv.WebhookID, "action", req.Action, "kind", inv.Kind, "source", inv.Source)

	body := req.RawBody
	if body == nil {
		body = req.Input
	}
	ev := webhook.InboxEvent{ID: inv.WebhookID, IdempotencyKey: req.IdempotencyKey, Kind: inv.Kind,
		Source: inv.Source, Route: inv.Route, ClientID: clientID, ReceivedAt: inv.ReceivedAt,
		Headers: req.Headers, Body: body, State: webhook.StateReceived}
	notBefore := inv.ReceivedAt.Add(-r.cfg.IdempotencyWindow)
	prev, err := r.cfg.Inbox.BeginEvent(ctx, ev, notBefore)
	if err != nil {
		return out, fmt.Errorf("record %s in inbox: %w", inv.WebhookID, err)
	}
	if prev != nil {
		return replay(prev, log)
	}
	log.DebugContext(ctx, "call started", "client_id", clientID)

	start := time.Now()
	result, callErr := r.run(ctx, a, inv, req.Input)
	c := webhook.Completion{State: webhook.StateProcessed, Duration: time.Since(start), At: r.cfg.Now().UTC()}
	if callErr == nil {
		out.Result, callErr = json.Marshal(result)
		if callErr != nil {
			callErr = fmt.Errorf("encode result: %w", callErr)
		}
	}
	if callErr != nil {
		c.State, c.ErrorCode, c.ErrorMessage = webhook.StateFailed, ErrorCode(callErr), callErr.Error()
		c.ReleaseKey = !IsUserError(callErr) // a retry after a server-side failure runs again
	} else {
		c.Result = out.Result
		if gr, ok := result.(graph.GraphResult); ok {
			c.Graph = gr.ResultGraph() // merged in the same transaction as the completion
		}
	}
	if err := r.cfg.Inbox.CompleteEvent(context.WithoutCancel(ctx), inv.WebhookID, c); err != nil {
		log.ErrorContext(ctx, "record completion", "err", err)
		return out, fmt.Errorf("record completion of %s: %w", inv.WebhookID, err)
	}
	if callErr != nil {
		lvl := slog.LevelWarn
		if !IsUserError(callErr) {
			lvl = slog.LevelError
		}
		log.Log(ctx, lvl, "call failed", "client_id", clientID, "code", c.ErrorCode, "err", callErr,
			"duration_ms", msOf(c.Duration))
		return out, callErr
	}
	log.InfoContext(ctx, "call processed", "client_id", clientID, "duration_ms", msOf(c.Duration))
	return out, nil
}

// run calls the action under the deadline, turning a panic into an error.
func (r *Registry) run(ctx context.Context, a Action, inv Invocation, input json.RawMessage) (res any, err error) {
	if r.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.cfg.Timeout)
		defer cancel()
	}
	type ret struct {
		v   any
		err error
	}
	done := make(chan ret, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- ret{err: fmt.Errorf("action %s panicked: %v", a.Spec().Name, p)}
			}
		}()
		v, err := a.Call(ctx, inv, input)
		done <- ret{v, err}
	}()
	select {
	case d := <-done:
		if d.err == nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return d.v, d.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
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

// replay turns a stored inbox entry into the outcome of its first call.
func replay(prev *webhook.InboxEvent, log *slog.Logger) (Outcome, error) {
	out := Outcome{WebhookID: prev.ID, ClientID: prev.ClientID, Replayed: true}
	switch prev.State {
	case webhook.StateReceived:
		log.Info("repeat of a request still in progress", "first_webhook_id", prev.ID)
		return out, webhook.ErrInProgress
	case webhook.StateFailed:
		log.Info("replayed stored failure", "first_webhook_id", prev.ID, "code", prev.ErrorCode)
		return out, &webhook.StoredError{Code: prev.ErrorCode, Message: prev.ErrorMessage}
	}
	out.Result = prev.Result
	log.Info("replayed stored result", "first_webhook_id", prev.ID)
	return out, nil
}

// clientIDOf peeks at the client_id of a JSON input: its own or webhook_data's.
func clientIDOf(input json.RawMessage) string {
	var peek struct {
		ClientID    any `json:"client_id"`
		WebhookData struct {
			ClientID any `json:"client_id"`
		} `json:"webhook_data"`
	}
	_ = json.Unmarshal(input, &peek)
	for _, v := range []any{peek.ClientID, peek.WebhookData.ClientID} {
		switch id := v.(type) {
		case string:
			if id != "" {
				return id
			}
		case float64:
			return strconv.FormatFloat(id, 'f', -1, 64)
		}
	}
	return ""
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
