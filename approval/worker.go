package approval

import (
	"context"
	"errors"
	"time"
)

// Kick asks the worker to look for approved requests now.
func (s *Service) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run executes approved requests with exec until ctx is done, then waits for the
// executions in flight. Requests left in delivering by a previous process are
// delivered again first (delivery is at-least-once); pending requests past their
// expiry are expired on every sweep.
func (s *Service) Run(ctx context.Context, exec Executor) {
	s.dispatch(ctx, exec, StateDelivering)
	s.dispatch(ctx, exec, StateApproved)
	t := time.NewTicker(s.sweep)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.inflight.Wait()
			return
		case <-s.kick:
		case <-t.C:
			if _, err := s.ExpireDue(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("expire approvals", "err", err)
			}
		}
		s.dispatch(ctx, exec, StateApproved)
	}
}

// dispatch claims every request in state from and executes it on a worker.
func (s *Service) dispatch(ctx context.Context, exec Executor, from State) {
	reqs, err := s.store.ListApprovals(ctx, Filter{States: []State{from}, Limit: 500})
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("list approvals to execute", "state", from, "err", err)
		}
		return
	}
	sem := make(chan struct{}, s.workers)
	for i := len(reqs) - 1; i >= 0; i-- { // oldest first
		r := reqs[i]
		if !s.markRunning(r.ID) {
			continue
		}
		claimed, err := s.store.TransitionApproval(ctx, Transition{ID: r.ID, From: []State{from}, To: StateDelivering,
			Actor: "system:worker", At: s.now().UTC()})
		if err != nil {
			s.unmarkRunning(r.ID)
			if !errors.Is(err, ErrConflict) && ctx.Err() == nil {
				s.log.Error("claim approval", "approval_id", r.ID, "err", err)
			}
			continue
		}
		sem <- struct{}{}
		s.inflight.Add(1)
		go func() {
			defer func() { <-sem; s.inflight.Done(); s.unmarkRunning(claimed.ID) }()
			s.execute(context.WithoutCancel(ctx), exec, claimed)
		}()
	}
}

// execute runs one claimed request and records its outcome.
func (s *Service) execute(ctx context.Context, exec Executor, r Request) {
	d := exec.Execute(ctx, r)
	to := StateDelivered
	if d.Error != "" {
		to = StateFailed
	}
	if _, err := s.store.TransitionApproval(ctx, Transition{ID: r.ID, From: []State{StateDelivering}, To: to,
		Actor: "system:worker", Reason: d.Error, At: s.now().UTC(), Delivery: &d}); err != nil {
		s.log.Error("record delivery", "approval_id", r.ID, "webhook_id", r.WebhookID, "err", err)
		return
	}
	s.log.Info("approval executed", "approval_id", r.ID, "webhook_id", r.WebhookID, "state", to,
		"status_code", d.StatusCode, "duration_ms", d.DurationMS)
}

func (s *Service) markRunning(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running[id] {
		return false
	}
	s.running[id] = true
	return true
}

func (s *Service) unmarkRunning(id string) {
	s.mu.Lock()
	delete(s.running, id)
	s.mu.Unlock()
}
