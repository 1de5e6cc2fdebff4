package server

import "context"

// dueWatcher is a store that tells every replica at once when a delivery
// becomes due (PostgreSQL's LISTEN/NOTIFY).
type dueWatcher interface {
	WatchDue(ctx context.Context, wake func())
}

// watchDue wakes the delivery worker when any replica approves a request,
// when the store can say so; the worker's polling stays the backstop.
func (s *Server) watchDue(ctx context.Context) {
	w, ok := s.deps.Store.(dueWatcher)
	if !ok {
		return
	}
	s.bgDone.Add(1)
	go func() { defer s.bgDone.Done(); w.WatchDue(ctx, s.approvals.Kick) }()
}
