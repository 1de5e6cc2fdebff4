package api

import (
	"encoding/json"
	"time"
)

// Approval is the view of one approval request: what get_approval_status and
// list_approvals return to a model, and what /api/approvals and
// /api/deliveries return to a reviewer. State is one of approval.States.
type Approval struct {
	ApprovalID   string     `json:"approval_id"`
	State        string     `json:"state" jsonschema:"pending, approved, delivering, delivered, failed, rejected or expired"`
	Action       string     `json:"action"`
	ClientID     string     `json:"client_id"`
	TargetURL    string     `json:"target_url"`
	Summary      string     `json:"summary"`
	ParamsSHA256 string     `json:"params_sha256"`
	RequestedBy  string     `json:"requested_by"`
	CreatedAt    time.Time  `json:"created_at"`
	ExpiresAt    time.Time  `json:"expires_at"`
	DecidedBy    string     `json:"decided_by,omitempty"`
	DecidedAt    *time.Time `json:"decided_at,omitempty"`
	Reason       string     `json:"reason,omitempty" jsonschema:"the reviewer's reason for the decision"`
	Delivery     *Delivery  `json:"delivery,omitempty" jsonschema:"outcome of sending, once attempted"`
	Events       []Event    `json:"events" jsonschema:"audit trail, oldest first"`
	Attempts     []Attempt  `json:"attempts,omitempty" jsonschema:"every delivery attempt: time, status code, latency, error, first 4 KiB of the response"`
}

// Delivery is the outcome of the latest round of sending an approved request.
type Delivery struct {
	Outcome       string     `json:"outcome,omitempty" jsonschema:"delivered, retrying, failed or gone"`
	Attempts      int        `json:"attempts" jsonschema:"attempts so far in this round"`
	StatusCode    int        `json:"status_code,omitempty"`
	Error         string     `json:"error,omitempty"`
	Response      string     `json:"response,omitempty" jsonschema:"first bytes of the receiver's response body"`
	DurationMS    float64    `json:"duration_ms"`
	AttemptedAt   time.Time  `json:"attempted_at"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
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

// Event is one state transition in a request's audit trail.
type Event struct {
	ApprovalID string    `json:"approval_id"`
	At         time.Time `json:"at"`
	From       string    `json:"from,omitempty"`
	To         string    `json:"to"`
	Actor      string    `json:"actor"`
	Reason     string    `json:"reason,omitempty"`
}

// ApprovalDetail is the body of GET /api/approvals/{id}: the view, its audit
// trail and the exact parameters that will run.
type ApprovalDetail struct {
	Approval
	Params json.RawMessage `json:"params"`
}

// ApprovalList is the body of GET /api/approvals: one page, newest first.
type ApprovalList struct {
	Approvals []Approval `json:"approvals"`
	// NextCursor, when set, is the cursor query parameter of the next page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// DeliveryList is the body of GET /api/deliveries: approved requests and what
// became of their delivery, one page, newest first.
type DeliveryList struct {
	Deliveries []Approval `json:"deliveries"`
	// NextCursor, when set, is the cursor query parameter of the next page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// Decision is the optional body of POST /api/approvals/{id}/approve|reject.
type Decision struct {
	Reason    string `json:"reason"`
	DecidedBy string `json:"decided_by"`
}
