package server

import (
	"encoding/json"
	"net/http"
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
		s.writeCallError(w, "", err)
		return
	}
	v := eventView{InboxEvent: e, Result: e.Result, Body: strings.ToValidUTF8(string(e.Body), "\uFFFD")}
	if json.Valid(e.Body) {
		v.Body = json.RawMessage(e.Body)
	}
	writeJSON(w, http.StatusOK, v)
}
