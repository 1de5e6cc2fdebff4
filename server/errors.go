package server

import (
	"encoding/json"
	"net/http"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/tools"
)

// errorBodyOf turns an error into its HTTP status and client-safe body, both
// from the api table: server-side failures say only what the table says
// (details are in the log).
func errorBodyOf(err error) (int, api.Error) {
	body := tools.ErrorOf(err)
	return api.Status(body.Code), *body
}

// writeError writes the error envelope with the status of code.
func writeError(w http.ResponseWriter, webhookID string, code, msg string, fields ...string) {
	writeJSON(w, api.Status(code), api.Envelope{WebhookID: webhookID, Status: api.StatusError,
		Error: &api.Error{Code: code, Message: msg, Fields: fields}})
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}
