package approval

import (
	"context"
	"time"
)

// DefaultSchedule is the delay before each delivery attempt when none is configured.
var DefaultSchedule = []time.Duration{0, 5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute}

// Kick asks the worker to look for due deliveries now.
func (s *Service) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run executes due deliveries with exec until ctx is done, then waits for the
// attempts in flight. Every attempt is claimed in the store first, so two
// workers (or two processes) never send the same attempt; a claim left by a
// process that died lapses after the lease and the attempt is made again
// (delivery is at-least-once; receivers deduplicate by webhook-id).
func (s *Service) Run(ctx context.Context, exec Executor) {
	poll := time.NewTicker(s.poll)
	defer poll.Stop()
	sweep := time.NewTicker(s.sweep)
	defer sweep.Stop()
	for {
		s.RunDue(ctx, exec)
		select {
		case <-ctx.Done():
			s.inflight.Wait()
			return
		case <-s.kick:
		case <-poll.C:
		case <-sweep.C:
			if _, err := s.ExpireDue(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("expire approvals", "err", err)
			}
		}
	}
}

// RunDue claims every due delivery and starts its attempt on a worker; it
// returns once they are started. Tests call it directly with an injected clock.
func (s *Service) RunDue(ctx context.Context, exec Executor) int {
	free := s.workers - s.busy()
	if free <= 0 {
		return 0
	}
	claimed, err := s.store.ClaimDue(ctx, s.now().UTC(), s.lease, "system:worker", free)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("claim due deliveries", "err", err)
		}
		return 0
	}
	for _, r := range claimed {
		s.changed(r)
		s.inflight.Add(1)
		s.setBusy(1)
		go func() {
			defer func() { s.setBusy(-1); s.inflight.Done(); s.Kick() }()
			s.attempt(context.WithoutCancel(ctx), exec, r)
		}()
	}
	return len(claimed)
}

// Wait blocks until the attempts in flight are recorded.
func (s *Service) Wait() { s.inflight.Wait() }

// attempt makes one delivery attempt and records it with its outcome: delivered,
// another attempt scheduled, or failed (a dead letter) when the receiver is gone,
// refuses for good, or the schedule is used up.
func (s *Service) attempt(ctx context.Context, exec Executor, r Request) {
	d := exec.Execute(ctx, r)
	now := s.now().UTC()
	prev := 0
	if r.Delivery != nil && r.Delivery.Outcome == OutcomeRetrying {
		prev = r.Delivery.Attempts
	}
	d.Attempts = prev + 1
	d.AttemptedAt = now
	t := Transition{ID: r.ID, From: []State{StateDelivering}, Actor: "system:worker", At: now,
		Delivery: &d, ReleaseClaim: true,
		Attempt: &Attempt{At: now, StatusCode: d.StatusCode, LatencyMS: d.DurationMS, Error: d.Error, Response: d.Response}}
	switch {
	case d.Error == "":
		t.To, d.Outcome = StateDelivered, OutcomeDelivered
	case d.Gone:
		t.To, d.Outcome, t.Reason = StateFailed, OutcomeGone, "receiver answered 410 Gone"
	default:
		delay, ok := time.Duration(0), false
		if d.Retryable {
			delay, ok = nextDelay(s.schedule, d.Attempts+1, d.RetryAfter, s.rand)
		}
		if ok {
			next := now.Add(delay)
			t.To, d.Outcome, t.NextAttemptAt, d.NextAttemptAt = StateDelivering, OutcomeRetrying, &next, &next
			t.Reason = "retry scheduled: " + d.Error
		} else {
			t.To, d.Outcome, t.Reason = StateFailed, OutcomeFailed, d.Error
		}
	}
	updated, err := s.store.TransitionApproval(ctx, t)
	if err != nil {
		s.log.Error("record delivery attempt", "approval_id", r.ID, "webhook_id", r.WebhookID, "err", err)
		return
	}
	s.changed(updated)
	if s.onAttempt != nil {
		s.onAttempt(d.Outcome)
	}
	s.log.Info("delivery attempt", "approval_id", r.ID, "webhook_id", r.WebhookID, "attempt", d.Attempts,
		"outcome", d.Outcome, "status_code", d.StatusCode, "duration_ms", d.DurationMS, "err", d.Error)
}

// Retry sends a failed delivery (a dead letter) again under the same id, with a
// fresh retry schedule.
func (s *Service) Retry(ctx context.Context, id, actor string) (Request, error) {
	now := s.now().UTC()
	d := Delivery{Outcome: OutcomeRetrying, Attempts: 0, AttemptedAt: now, NextAttemptAt: &now}
	r, err := s.store.TransitionApproval(ctx, Transition{ID: id, From: []State{StateFailed}, To: StateDelivering,
		Actor: actor, Reason: "retry requested", At: now, NextAttemptAt: &now, Delivery: &d, ReleaseClaim: true})
	if err != nil {
		return r, named(id, err)
	}
	s.changed(r)
	s.Kick()
	return r, nil
}

// Attempts returns the recorded delivery attempts of a request.
func (s *Service) Attempts(ctx context.Context, id string) ([]Attempt, error) {
	as, err := s.store.ApprovalAttempts(ctx, id)
	return as, named(id, err)
}

// nextDelay is the delay before attempt number next (1-based): the schedule's
// step with full jitter, never shorter than the receiver's Retry-After.
func nextDelay(schedule []time.Duration, next int, retryAfter time.Duration, rnd func() float64) (time.Duration, bool) {
	if next < 1 || next > len(schedule) {
		return 0, false
	}
	d := time.Duration(rnd() * float64(schedule[next-1]))
	return max(d, retryAfter), true
}

func (s *Service) busy() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nbusy
}

func (s *Service) setBusy(delta int) {
	s.mu.Lock()
	s.nbusy += delta
	s.mu.Unlock()
}
