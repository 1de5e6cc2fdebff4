// Package approval owns approval requests for side-effecting actions: their state
// machine, the Service that requests, decides, expires and executes them, and the
// Store interface that persists them. It imports neither mcp-go, HTTP handlers nor
// a database driver.
package approval

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// State is the state of an approval request.
//
//	pending → approved → delivering → delivered | failed
//	pending → rejected
//	pending → expired
type State string

// Approval states.
const (
	StatePending    State = "pending"
	StateApproved   State = "approved"
	StateDelivering State = "delivering"
	StateDelivered  State = "delivered"
	StateFailed     State = "failed"
	StateRejected   State = "rejected"
	StateExpired    State = "expired"
)

// States lists every state in lifecycle order.
var States = []State{StatePending, StateApproved, StateDelivering, StateDelivered, StateFailed, StateRejected, StateExpired}

// Valid reports whether s is a known state.
func (s State) Valid() bool { return slices.Contains(States, s) }

// Final reports whether no transition leaves s.
func (s State) Final() bool {
	return s == StateDelivered || s == StateFailed || s == StateRejected || s == StateExpired
}

// transitions is the state machine: the states each state may move to.
var transitions = map[State][]State{
	StatePending:    {StateApproved, StateRejected, StateExpired},
	StateApproved:   {StateDelivering},
	StateDelivering: {StateDelivered, StateFailed, StateDelivering},
	StateFailed:     {StateDelivering}, // a dead letter sent again by hand
}

// CanTransition reports whether the state machine allows from → to.
func CanTransition(from, to State) bool { return slices.Contains(transitions[from], to) }

// Errors of the approval domain; match with errors.Is.
var (
	// ErrNotFound means no approval request has the id.
	ErrNotFound = errors.New("approval not found")
	// ErrConflict means the request is not in a state that allows the transition
	// (already decided, expired, or claimed by another worker).
	ErrConflict = errors.New("approval state conflict")
	// ErrInvalidTransition means a transition the state machine does not have
	// (pending → delivered, say): stores refuse it whatever the current state.
	ErrInvalidTransition = errors.New("transition not in the approval state machine")
)

// ConflictError says which state blocked a transition.
type ConflictError struct {
	ID      string
	Current State
	Wanted  State
}

// Error implements error.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("approval %s is %s and cannot become %s", e.ID, e.Current, e.Wanted)
}

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// NotFoundError names the id that no request has, in words a caller can show.
type NotFoundError struct {
	ID string
}

// Error implements error.
func (e *NotFoundError) Error() string { return "no approval with id " + e.ID }

// Unwrap makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// named replaces a store's ErrNotFound (wrapped in the store's context) by a
// *NotFoundError naming id; other errors pass through.
func named(id string, err error) error {
	if errors.Is(err, ErrNotFound) {
		return &NotFoundError{ID: id}
	}
	return err
}

// Delivery outcomes.
const (
	OutcomeDelivered = "delivered"
	OutcomeRetrying  = "retrying"
	OutcomeFailed    = "failed"
	OutcomeGone      = "gone"
)

// Delivery is the outcome of the latest attempt to execute an approved action.
type Delivery struct {
	Outcome       string     `json:"outcome,omitempty" jsonschema:"delivered, retrying, failed or gone"`
	Attempts      int        `json:"attempts" jsonschema:"attempts so far in this round"`
	StatusCode    int        `json:"status_code,omitempty"`
	Error         string     `json:"error,omitempty"`
	Response      string     `json:"response,omitempty" jsonschema:"first bytes of the receiver's response body"`
	DurationMS    float64    `json:"duration_ms"`
	AttemptedAt   time.Time  `json:"attempted_at"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	// Retryable, RetryAfter and Gone classify an attempt for the scheduler;
	// they are not stored.
	Retryable  bool          `json:"-"`
	RetryAfter time.Duration `json:"-"`
	Gone       bool          `json:"-"`
}

// Attempt is one recorded delivery attempt.
type Attempt struct {
	N          int       `json:"n" jsonschema:"attempt number, 1-based, over the life of the request"`
	At         time.Time `json:"at"`
	StatusCode int       `json:"status_code,omitempty"`
	LatencyMS  float64   `json:"latency_ms"`
	Error      string    `json:"error,omitempty"`
	Response   string    `json:"response,omitempty" jsonschema:"first 4 KiB of the response body"`
}

// Request is one approval request: the exact action and parameters that will run
// once a human approves them.
type Request struct {
	ID           string          `json:"approval_id"`
	Action       string          `json:"action"`
	ClientID     string          `json:"client_id"`
	WebhookID    string          `json:"webhook_id"`
	TargetURL    string          `json:"target_url"`
	Summary      string          `json:"summary"`
	Params       json.RawMessage `json:"params"`
	ParamsSHA256 string          `json:"params_sha256"`
	RequestedBy  string          `json:"requested_by" jsonschema:"who asked: the authenticated principal and what the caller said about itself, e.g. token:mcp (mcp-client:Claude), or webhook:<source>"`
	State        State           `json:"state"`
	CreatedAt    time.Time       `json:"created_at"`
	ExpiresAt    time.Time       `json:"expires_at"`
	DecidedBy    string          `json:"decided_by,omitempty"`
	DecidedAt    *time.Time      `json:"decided_at,omitempty"`
	Reason       string          `json:"reason,omitempty"`
	Delivery     *Delivery       `json:"delivery,omitempty"`
	UpdatedAt    time.Time       `json:"updated_at"`
	// NextAttemptAt is when a delivering request is due (nil: now).
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
}

// Event is one audited transition of a request.
type Event struct {
	ApprovalID string    `json:"approval_id"`
	At         time.Time `json:"at"`
	From       State     `json:"from,omitempty"`
	To         State     `json:"to"`
	Actor      string    `json:"actor"`
	Reason     string    `json:"reason,omitempty"`
}

// Transition is a compare-and-set state change: it applies only when the request
// is in one of From, and records an Event.
type Transition struct {
	ID     string
	From   []State
	To     State
	Actor  string
	Reason string
	At     time.Time
	// Decision records Actor, Reason and At as the request's decision.
	Decision bool
	// Delivery, when set, replaces the request's delivery outcome.
	Delivery *Delivery
	// NextAttemptAt, when set, schedules the next delivery attempt.
	NextAttemptAt *time.Time
	// Attempt, when set, is recorded in the request's attempt log.
	Attempt *Attempt
	// ReleaseClaim clears the worker's claim on the request.
	ReleaseClaim bool
}
