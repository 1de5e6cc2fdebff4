package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/tools"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// maxRecover bounds how many failed deliveries one recover call re-queues.
const maxRecover = 5000

// handleReplayEvent is POST /api/events/{id}/replay: the stored raw body of a
// webhook runs again through today's pipeline (the route's current action) as
// a new event that records replay_of. It is the reviewer's action: no
// signature is checked and no idempotency key is taken, so it always runs.
func (s *Server) handleReplayEvent(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	e, err := s.deps.Store.GetEvent(r.Context(), id)
	if err != nil {
		if !tools.IsUserError(err) {
			s.log.Error("read inbox event for replay", "webhook_id", id, "err", err)
		}
		writeCallError(w, "", err)
		return
	}
	if e.Kind != webhook.KindWebhook {
		writeCallError(w, "", webhook.InvalidArgument("id", "event %s is a %s call, not a webhook; only webhooks can be replayed", id, e.Kind))
		return
	}
	source, name, _ := strings.Cut(strings.TrimPrefix(e.Route, "/api/webhook/"), "/")
	route, ok := s.sources.route(source, name)
	if !ok {
		writeError(w, "", api.CodeUnknownRoute, "no webhook route is registered at "+e.Route+" any more")
		return
	}
	data, err := webhook.DecodePayload(e.Body)
	if err != nil {
		writeCallError(w, "", err)
		return
	}
	webhookID := uuid.NewString()
	s.log.InfoContext(r.Context(), "webhook replayed", "webhook_id", webhookID, "replay_of", id, "route", route.ID)
	clientID, _ := webhook.ClientIDOf("", data)
	out, err := s.registry.Call(r.Context(), tools.Request{
		Action: route.Action, RawBody: e.Body, ClientID: clientID, Headers: e.Headers, ReplayOf: id,
		Invocation: tools.Invocation{CallID: webhookID, Kind: webhook.KindWebhook, Source: route.ID,
			Route: route.Path, Requester: "webhook:" + route.Source, Payload: data},
	})
	if err != nil {
		status, body := errorBodyOf(err)
		writeJSON(w, status, api.Envelope{WebhookID: out.CallID, Status: api.StatusError, Error: &body, ReplayOf: id})
		return
	}
	writeJSON(w, http.StatusOK, api.Envelope{WebhookID: out.CallID, Status: api.StatusProcessed, ClientID: out.ClientID,
		Result: out.Result, ReplayOf: id})
}

// handleRecoverDeliveries is POST /api/deliveries/recover {since, until}: every
// delivery that failed (a dead letter, last changed) in [since, until] is sent
// again, each as POST /api/deliveries/{id}/retry would.
func (s *Server) handleRecoverDeliveries(w http.ResponseWriter, r *http.Request) {
	var req api.RecoverRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		writeCallError(w, "", webhook.InvalidArgument("body", "the body must be {\"since\": RFC 3339 time, \"until\": RFC 3339 time}: %v", err))
		return
	}
	until := time.Now().UTC()
	if req.Until != nil {
		until = *req.Until
	}
	if req.Since.IsZero() || until.Before(req.Since) {
		writeCallError(w, "", webhook.InvalidArgument("since", "since is required and must not be after until"))
		return
	}
	res := api.RecoverResult{Since: req.Since, Until: until, Recovered: []string{}}
	var due []string
	f := approval.Filter{States: []approval.State{approval.StateFailed}, Limit: 500}
	for {
		page, next, err := s.approvals.ListPage(r.Context(), f)
		if err != nil {
			s.writeApprovalError(w, r, err)
			return
		}
		for _, a := range page {
			if !a.UpdatedAt.Before(req.Since) && !a.UpdatedAt.After(until) {
				due = append(due, a.ID)
			}
		}
		if next == nil || len(due) >= maxRecover {
			break
		}
		f.After = next
	}
	for _, id := range due[:min(len(due), maxRecover)] {
		if _, err := s.approvals.Retry(r.Context(), id, "api:recover"); err != nil {
			var conflict *approval.ConflictError
			if errors.As(err, &conflict) || errors.Is(err, approval.ErrNotFound) {
				res.Skipped = append(res.Skipped, id)
				continue
			}
			s.writeApprovalError(w, r, err)
			return
		}
		s.log.InfoContext(r.Context(), "delivery re-queued", "approval_id", id)
		res.Recovered = append(res.Recovered, id)
	}
	writeJSON(w, http.StatusOK, res)
}
