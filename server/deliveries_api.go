package server

import (
	"net/http"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/tools"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// deliveryStates are the approval states in which a request is a delivery.
var deliveryStates = map[string][]approval.State{
	"":           {approval.StateApproved, approval.StateDelivering, approval.StateDelivered, approval.StateFailed},
	"pending":    {approval.StateApproved},
	"delivering": {approval.StateDelivering},
	"delivered":  {approval.StateDelivered},
	"failed":     {approval.StateFailed},
}

// handleListDeliveries is GET /api/deliveries?state=&client_id=&limit=: approved
// requests and what became of their delivery.
func (s *Server) handleListDeliveries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	states, ok := deliveryStates[q.Get("state")]
	if !ok {
		writeCallError(w, "", webhook.InvalidArgument("state", "state must be pending, delivering, delivered or failed"))
		return
	}
	f := approval.Filter{States: states, ClientID: q.Get("client_id")}
	s.writeStatusList(w, r, f, func(l []api.Approval, next string) any {
		return api.DeliveryList{Deliveries: l, NextCursor: next}
	})
}

// handleGetDelivery is GET /api/deliveries/{id}: the request, its audit trail and
// every attempt.
func (s *Server) handleGetDelivery(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	a, evs, err := s.approvals.Get(r.Context(), id)
	if err != nil {
		s.writeApprovalError(w, r, err)
		return
	}
	st := tools.StatusOf(a, evs)
	attempts, err := s.approvals.Attempts(r.Context(), id)
	if err != nil {
		s.writeApprovalError(w, r, err)
		return
	}
	st.Attempts = tools.AttemptsOf(attempts)
	writeJSON(w, http.StatusOK, st)
}

// handleRetryDelivery is POST /api/deliveries/{id}/retry: a failed delivery (a
// dead letter) is sent again under the same id.
func (s *Server) handleRetryDelivery(w http.ResponseWriter, r *http.Request) {
	a, err := s.approvals.Retry(r.Context(), r.PathValue("id"), "api")
	if err != nil {
		s.writeApprovalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, tools.StatusOf(a, nil))
}
