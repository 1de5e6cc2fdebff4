package approval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/google/uuid"
)

// DefaultTTL is how long a request waits for a decision before it expires.
const DefaultTTL = 24 * time.Hour

// Executor runs the action of an approved request with its stored parameters and
// reports the delivery. It is called at most once per claim.
type Executor interface {
	Execute(ctx context.Context, r Request) Delivery
}

// Draft is what an action asks approval for.
type Draft struct {
	Action      string
	ClientID    string
	WebhookID   string
	TargetURL   string
	Summary     string
	Params      json.RawMessage
	RequestedBy string
}

// Config holds the Service's dependencies.
type Config struct {
	Store  Store
	TTL    time.Duration    // <= 0: DefaultTTL
	Now    func() time.Time // nil: time.Now
	Logger *slog.Logger     // nil: slog.Default()
	// Workers bounds concurrent executions (<= 0: 4).
	Workers int
	// SweepInterval is how often pending requests are checked for expiry (<= 0: 30s).
	SweepInterval time.Duration
	// PollInterval is how often the worker looks for due deliveries besides
	// being kicked (<= 0: 1s).
	PollInterval time.Duration
	// Lease is how long a claim on a delivery lasts (<= 0: 2m); keep it above
	// the per-attempt timeout.
	Lease time.Duration
	// Schedule is the delay before each attempt (nil: DefaultSchedule).
	Schedule []time.Duration
	// Rand returns [0,1) for jitter (nil: math/rand/v2).
	Rand func() float64
	// OnAttempt, when set, is told the outcome of every delivery attempt
	// (delivered, retrying, failed, gone), e.g. for metrics.
	OnAttempt func(outcome string)
	// OnPending, when set, is called after a new request is stored as pending
	// (to notify reviewers). It must not block: do slow work on a goroutine.
	OnPending func(ctx context.Context, r Request)
	// OnChange, when set, is told of every change the service stored: a new
	// request, a decision, an expiry, a claim for delivery, a delivery
	// attempt, a retry. It runs on the changing goroutine, after the store
	// committed, and must not block: hand the news on.
	OnChange func(r Request)
	// FourEyes refuses every decision (approve or reject, on any channel) by
	// the principal that asked for the request.
	FourEyes bool
	// MaxPending caps the pending requests of one requester principal
	// (<= 0: no cap). A request beyond it fails with ErrTooManyPending.
	MaxPending int
}

// Service creates, decides, expires and executes approval requests.
type Service struct {
	store    Store
	ttl      time.Duration
	now      func() time.Time
	log      *slog.Logger
	workers  int
	sweep    time.Duration
	poll     time.Duration
	lease    time.Duration
	schedule []time.Duration
	rand     func() float64

	onPending  func(ctx context.Context, r Request)
	onAttempt  func(outcome string)
	onChange   func(r Request)
	fourEyes   bool
	maxPending int

	kick     chan struct{}
	inflight sync.WaitGroup
	mu       sync.Mutex
	nbusy    int
}

// NewService returns a Service; call Start to execute approved requests.
func NewService(cfg Config) *Service {
	s := &Service{store: cfg.Store, ttl: cfg.TTL, now: cfg.Now, log: cfg.Logger,
		workers: cfg.Workers, sweep: cfg.SweepInterval, onPending: cfg.OnPending,
		poll: cfg.PollInterval, lease: cfg.Lease, schedule: cfg.Schedule, rand: cfg.Rand, onAttempt: cfg.OnAttempt,
		onChange: cfg.OnChange,
		fourEyes: cfg.FourEyes, maxPending: cfg.MaxPending, kick: make(chan struct{}, 1)}
	if s.ttl <= 0 {
		s.ttl = DefaultTTL
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.workers <= 0 {
		s.workers = 4
	}
	if s.sweep <= 0 {
		s.sweep = 30 * time.Second
	}
	if s.poll <= 0 {
		s.poll = time.Second
	}
	if s.lease <= 0 {
		s.lease = 2 * time.Minute
	}
	if len(s.schedule) == 0 {
		s.schedule = DefaultSchedule
	}
	if s.rand == nil {
		s.rand = rand.Float64
	}
	return s
}

// TTL is how long new requests stay pending.
func (s *Service) TTL() time.Duration { return s.ttl }

// ParamsHash is the hex SHA-256 of the parameters as stored.
func ParamsHash(params []byte) string {
	sum := sha256.Sum256(params)
	return hex.EncodeToString(sum[:])
}

// Request stores a new pending approval request for d. It fails with
// ErrTooManyPending when d's requester already has MaxPending pending requests.
func (s *Service) Request(ctx context.Context, d Draft) (Request, error) {
	if err := s.checkPendingCap(ctx, d.RequestedBy); err != nil {
		return Request{}, err
	}
	now := s.now().UTC()
	r := Request{
		ID: uuid.NewString(), Action: d.Action, ClientID: d.ClientID, WebhookID: d.WebhookID,
		TargetURL: d.TargetURL, Summary: d.Summary, Params: d.Params, ParamsSHA256: ParamsHash(d.Params),
		RequestedBy: d.RequestedBy, State: StatePending, CreatedAt: now, ExpiresAt: now.Add(s.ttl), UpdatedAt: now,
	}
	ev := Event{ApprovalID: r.ID, At: now, To: StatePending, Actor: d.RequestedBy}
	if err := s.store.CreateApproval(ctx, r, ev); err != nil {
		return Request{}, fmt.Errorf("create approval: %w", err)
	}
	s.changed(r)
	s.log.InfoContext(ctx, "approval requested", "approval_id", r.ID, "webhook_id", r.WebhookID,
		"action", r.Action, "client_id", r.ClientID, "requested_by", r.RequestedBy)
	if s.onPending != nil {
		s.onPending(ctx, r)
	}
	return r, nil
}

// Approve moves a pending request to approved and schedules its execution.
// An expired request is moved to expired and reported as a conflict.
func (s *Service) Approve(ctx context.Context, id, actor, reason string) (Request, error) {
	r, err := s.decide(ctx, id, StateApproved, actor, reason)
	if err != nil {
		return r, err
	}
	s.Kick()
	return r, nil
}

// Reject moves a pending request to rejected; nothing will run.
func (s *Service) Reject(ctx context.Context, id, actor, reason string) (Request, error) {
	return s.decide(ctx, id, StateRejected, actor, reason)
}

// checkPendingCap fails when requester has MaxPending pending requests. Two
// requests racing at the cap may both pass: the cap bounds a flood, it is not
// an exact quota.
func (s *Service) checkPendingCap(ctx context.Context, requester string) error {
	if s.maxPending <= 0 {
		return nil
	}
	principal := PrincipalOf(requester)
	pending, err := s.store.ListApprovals(ctx, Filter{States: []State{StatePending}, Requester: principal, Limit: s.maxPending})
	if err != nil {
		return fmt.Errorf("count pending approvals of %s: %w", principal, err)
	}
	if len(pending) >= s.maxPending {
		s.log.WarnContext(ctx, "approval refused: requester has too many pending requests",
			"requested_by", principal, "max_pending", s.maxPending)
		return fmt.Errorf("%w: %s already has %d requests waiting for a decision (APPROVAL_MAX_PENDING); "+
			"wait until a reviewer decides them", ErrTooManyPending, principal, len(pending))
	}
	return nil
}

func (s *Service) decide(ctx context.Context, id string, to State, actor, reason string) (Request, error) {
	cur, err := s.store.GetApproval(ctx, id)
	if err != nil {
		return Request{}, named(id, err)
	}
	if s.fourEyes && PrincipalOf(cur.RequestedBy) == PrincipalOf(actor) {
		s.log.WarnContext(ctx, "approval decision refused: four-eyes review and the requester is deciding",
			"approval_id", id, "webhook_id", cur.WebhookID, "principal", PrincipalOf(actor))
		return Request{}, fmt.Errorf("%w: %s asked for approval %s, so another principal must decide it "+
			"(APPROVAL_SELF_APPROVE=false)", ErrSelfDecision, PrincipalOf(actor), id)
	}
	now := s.now().UTC()
	if cur.State == StatePending && !now.Before(cur.ExpiresAt) {
		if _, err := s.expire(ctx, cur.ID, now); err != nil && !errors.Is(err, ErrConflict) {
			return Request{}, err
		}
		return Request{}, &ConflictError{ID: id, Current: StateExpired, Wanted: to}
	}
	r, err := s.store.TransitionApproval(ctx, Transition{ID: id, From: []State{StatePending}, To: to,
		Actor: actor, Reason: reason, At: now, Decision: true})
	if err != nil {
		return Request{}, named(id, err)
	}
	s.changed(r)
	s.log.InfoContext(ctx, "approval decided", "approval_id", id, "webhook_id", r.WebhookID,
		"state", to, "decided_by", actor)
	return r, nil
}

// Get returns a request and its audit trail; an unknown id is a *NotFoundError.
func (s *Service) Get(ctx context.Context, id string) (Request, []Event, error) {
	r, err := s.store.GetApproval(ctx, id)
	if err != nil {
		return Request{}, nil, named(id, err)
	}
	evs, err := s.store.ApprovalEvents(ctx, id)
	if err != nil {
		return Request{}, nil, named(id, err)
	}
	return r, evs, nil
}

// List returns requests matching f, newest first.
func (s *Service) List(ctx context.Context, f Filter) ([]Request, error) {
	return s.store.ListApprovals(ctx, f)
}

// ListPage returns up to f.Limit requests matching f (1 to 500; <= 0: 50)
// from f.After on, newest first, and the cursor of the next page when there
// are more.
func (s *Service) ListPage(ctx context.Context, f Filter) ([]Request, *Cursor, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	f.Limit = limit + 1
	reqs, err := s.store.ListApprovals(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	if len(reqs) <= limit {
		return reqs, nil, nil
	}
	reqs = reqs[:limit]
	next := CursorOf(reqs[limit-1])
	return reqs, &next, nil
}

// expireBatch is how many pending requests ExpireDue reads at a time.
const expireBatch = 500

// ExpireDue moves every pending request past its expiry to expired, paging
// through all of them however many there are.
func (s *Service) ExpireDue(ctx context.Context) (int, error) {
	now := s.now().UTC()
	n := 0
	f := Filter{States: []State{StatePending}, Limit: expireBatch}
	for {
		pending, err := s.store.ListApprovals(ctx, f)
		if err != nil {
			return n, fmt.Errorf("list pending approvals: %w", err)
		}
		for _, r := range pending {
			if now.Before(r.ExpiresAt) {
				continue
			}
			if _, err := s.expire(ctx, r.ID, now); err == nil {
				n++
			} else if !errors.Is(err, ErrConflict) {
				return n, err
			}
		}
		if len(pending) < expireBatch {
			return n, nil
		}
		next := CursorOf(pending[len(pending)-1])
		f.After = &next
	}
}

func (s *Service) expire(ctx context.Context, id string, now time.Time) (Request, error) {
	r, err := s.store.TransitionApproval(ctx, Transition{ID: id, From: []State{StatePending}, To: StateExpired,
		Actor: "system:expiry", Reason: "no decision before expiry", At: now})
	if err == nil {
		s.changed(r)
		s.log.InfoContext(ctx, "approval expired", "approval_id", id, "webhook_id", r.WebhookID)
	}
	return r, err
}

// changed tells the OnChange observer of a stored change.
func (s *Service) changed(r Request) {
	if s.onChange != nil {
		s.onChange(r)
	}
}
