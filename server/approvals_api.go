package server

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/tools"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

func (s *Server) handleListApprovals(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := approval.Filter{ClientID: q.Get("client_id")}
	if st := q.Get("state"); st != "" {
		for _, one := range strings.Split(st, ",") {
			state := approval.State(strings.TrimSpace(one))
			if !state.Valid() {
				s.writeCallError(w, "", webhook.InvalidArgument("state", "unknown state %q", one))
				return
			}
			f.States = append(f.States, state)
		}
	}
	s.writeStatusList(w, r, f, func(l []api.Approval) any { return api.ApprovalList{Approvals: l} })
}

// writeStatusList applies the limit query parameter to f, lists the matching
// requests and writes them, wrapped by wrap, as JSON.
func (s *Server) writeStatusList(w http.ResponseWriter, r *http.Request, f approval.Filter, wrap func([]api.Approval) any) {
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			s.writeCallError(w, "", webhook.InvalidArgument("limit", "limit must be a whole number from 1 to 500"))
			return
		}
		f.Limit = n
	}
	reqs, err := s.approvals.List(r.Context(), f)
	if err != nil {
		s.log.Error("list approvals", "err", err)
		s.writeCallError(w, "", err)
		return
	}
	out := make([]api.Approval, 0, len(reqs))
	for _, a := range reqs {
		out = append(out, tools.StatusOf(a, nil))
	}
	writeJSON(w, http.StatusOK, wrap(out))
}

func (s *Server) handleGetApproval(w http.ResponseWriter, r *http.Request) {
	a, evs, err := s.approvals.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeApprovalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.ApprovalDetail{Approval: tools.StatusOf(a, evs), Params: a.Params})
}

// handleDecide is POST /api/approvals/{id}/approve|reject with an optional
// {"reason": "..."} body.
func (s *Server) handleDecide(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body api.Decision
		raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err == nil && len(strings.TrimSpace(string(raw))) > 0 {
			err = json.Unmarshal(raw, &body)
		}
		if err != nil {
			s.writeCallError(w, "", webhook.InvalidPayload("body must be JSON like {\"reason\": \"...\"}"))
			return
		}
		actor := "api"
		if body.DecidedBy != "" {
			actor = "api:" + body.DecidedBy
		}
		id := r.PathValue("id")
		var a approval.Request
		if approve {
			a, err = s.approvals.Approve(r.Context(), id, actor, body.Reason)
		} else {
			a, err = s.approvals.Reject(r.Context(), id, actor, body.Reason)
		}
		if err != nil {
			s.writeApprovalError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, tools.StatusOf(a, nil))
	}
}

func (s *Server) writeApprovalError(w http.ResponseWriter, r *http.Request, err error) {
	if !tools.IsUserError(err) {
		s.log.Error("approval request failed", "approval_id", r.PathValue("id"), "err", err)
	}
	s.writeCallError(w, "", err)
}
