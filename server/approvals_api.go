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
				writeCallError(w, "", webhook.InvalidArgument("state", "unknown state %q", one))
				return
			}
			f.States = append(f.States, state)
		}
	}
	s.writeStatusList(w, r, f, func(l []api.Approval, next string) any {
		return api.ApprovalList{Approvals: l, NextCursor: next}
	})
}

// writeStatusList applies the limit and cursor query parameters to f, lists
// one page of the matching requests and writes it, wrapped by wrap with the
// next page's cursor ("" on the last page), as JSON.
func (s *Server) writeStatusList(w http.ResponseWriter, r *http.Request, f approval.Filter,
	wrap func(l []api.Approval, next string) any) {
	if err := pageQuery(r, &f); err != nil {
		writeCallError(w, "", err)
		return
	}
	reqs, next, err := s.approvals.ListPage(r.Context(), f)
	if err != nil {
		s.log.Error("list approvals", "err", err)
		writeCallError(w, "", err)
		return
	}
	out := make([]api.Approval, 0, len(reqs))
	for _, a := range reqs {
		out = append(out, tools.StatusOf(a, nil))
	}
	cursor := ""
	if next != nil {
		cursor = next.String()
	}
	writeJSON(w, http.StatusOK, wrap(out, cursor))
}

// pageQuery reads limit (1 to 500) and cursor into f.
func pageQuery(r *http.Request, f *approval.Filter) error {
	q := r.URL.Query()
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 || n > 500 { // 0: the default, as for every limit
			return webhook.InvalidArgument("limit", "limit must be a whole number from 0 (the default, 50) to 500")
		}
		f.Limit = n
	}
	if c := q.Get("cursor"); c != "" {
		cur, err := approval.ParseCursor(c)
		if err != nil {
			return webhook.InvalidArgument("cursor", "cursor must be a next_cursor this server returned")
		}
		f.After = &cur
	}
	return nil
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
			writeCallError(w, "", webhook.InvalidPayload("body must be JSON like {\"reason\": \"...\"}"))
			return
		}
		label := "api"
		if body.DecidedBy != "" {
			label = body.DecidedBy // what the caller says about itself, e.g. cli:alice
		}
		actor := PrincipalFrom(r.Context()).Actor(label)
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
	writeCallError(w, "", err)
}
