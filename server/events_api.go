package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/webhook-mcp/webhook-mcp/tools"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// eventView is the body of GET /api/events/{id}: the inbox entry with its raw
// body (as JSON when it is JSON, else as a string) and its result.
type eventView struct {
	webhook.InboxEvent
	Body   any             `json:"body"`
	Result json.RawMessage `json:"result,omitempty"`
}

// handleGetEvent is GET /api/events/{id}: one inbox entry, the record that the
// search and fetch tools link to as event:<webhook_id>.
func (s *Server) handleGetEvent(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	e, err := s.deps.Store.GetEvent(r.Context(), id)
	if err != nil {
		if !tools.IsUserError(err) {
			s.log.Error("read inbox event", "webhook_id", id, "err", err)
		}
		writeCallError(w, "", err)
		return
	}
	v := eventView{InboxEvent: e, Result: e.Result, Body: strings.ToValidUTF8(string(e.Body), "\uFFFD")}
	if json.Valid(e.Body) {
		v.Body = json.RawMessage(e.Body)
	}
	writeJSON(w, http.StatusOK, v)
}

// handleListEvents is GET /api/events?kind=&state=&client_id=&source=&limit=&before=:
// inbox entries newest first, without bodies, exactly as list_webhook_events
// answers (its validation and defaults: kind webhook, limit 50).
func (s *Server) handleListEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	in := tools.ListEventsInput{Kind: q.Get("kind"), ClientID: q.Get("client_id"), Source: q.Get("source"),
		State: q.Get("state"), Before: q.Get("before")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			writeCallError(w, "", webhook.InvalidArgument("limit", "limit must be a number from 1 to 500"))
			return
		}
		in.Limit = n
	}
	input, _ := json.Marshal(in) // a struct of strings and an int always encodes
	out, err := s.registry.Call(r.Context(), tools.Request{Action: "list_webhook_events", Input: input,
		Invocation: tools.Invocation{Kind: webhook.KindTool, Source: "api", Route: "list_webhook_events", Requester: "reviewer"}})
	if err != nil {
		writeCallError(w, "", err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(out.Result, '\n'))
}
