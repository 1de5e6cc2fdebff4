package approval

import (
	"context"
	"time"
)

// Filter selects approval requests, newest first.
type Filter struct {
	States   []State // empty: all
	ClientID string
	Limit    int // <= 0: store default
	// CreatedBefore, when non-zero, pages back from that time.
	CreatedBefore time.Time
	// After, when set, keeps only the requests after that position in the
	// newest-first order: older ones, and those as old with a smaller id.
	After *Cursor
	// Requester, when set, keeps only the requests whose RequestedBy names
	// this principal (see PrincipalOf).
	Requester string
}

// Store persists approval requests and their audit trail. Implementations must
// make Transition atomic: two concurrent transitions from the same state must not
// both succeed.
type Store interface {
	// CreateApproval stores a new request in state pending with its first event.
	CreateApproval(ctx context.Context, r Request, ev Event) error
	// GetApproval returns the request or ErrNotFound.
	GetApproval(ctx context.Context, id string) (Request, error)
	// ListApprovals returns requests matching f, newest first.
	ListApprovals(ctx context.Context, f Filter) ([]Request, error)
	// TransitionApproval applies t and returns the updated request, ErrNotFound,
	// or a *ConflictError when the current state is not in t.From.
	TransitionApproval(ctx context.Context, t Transition) (Request, error)
	// ApprovalEvents returns the audit trail of one request, oldest first.
	ApprovalEvents(ctx context.Context, id string) ([]Event, error)
	// ClaimDue claims up to limit requests due for a delivery attempt: approved
	// ones, and delivering ones whose next attempt is due and whose previous
	// claim has lapsed. Approved ones move to delivering (with an event). Each
	// claim lasts until now+lease; two workers never hold the same request.
	ClaimDue(ctx context.Context, now time.Time, lease time.Duration, actor string, limit int) ([]Request, error)
	// ApprovalAttempts returns the delivery attempts of one request, oldest first.
	ApprovalAttempts(ctx context.Context, id string) ([]Attempt, error)
	// ApprovalIDs returns the ids of the requests that start with prefix
	// (case-sensitive; empty: all), newest first, at most limit of them (<= 0:
	// the store's default). Errors are the driver's.
	ApprovalIDs(ctx context.Context, prefix string, limit int) ([]string, error)
}
