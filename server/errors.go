package server

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/webhook-mcp/webhook-mcp/tools"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// HTTP-only error codes.
const (
	codeUnknownRoute     = "unknown_route"
	codeMethodNotAllowed = "method_not_allowed"
	codeTooLarge         = "payload_too_large"
	codeUnsupportedMedia = "unsupported_media_type"
	codeUnauthorized     = "unauthorized"
	codeShuttingDown     = "shutting_down"
)

// statusOf is the one table from error code to HTTP status.
var statusOf = map[string]int{
	webhook.CodeInvalidPayload:   http.StatusBadRequest,
	webhook.CodeMissingFields:    http.StatusBadRequest,
	webhook.CodeInvalidArgument:  http.StatusBadRequest,
	webhook.CodeInvalidSignature: http.StatusUnauthorized,
	codeUnauthorized:             http.StatusUnauthorized,
	codeForbidden:                http.StatusForbidden,
	codeUnknownRoute:             http.StatusNotFound,
	tools.CodeNotFound:           http.StatusNotFound,
	codeMethodNotAllowed:         http.StatusMethodNotAllowed,
	webhook.CodeInProgress:       http.StatusConflict,
	tools.CodeConflict:           http.StatusConflict,
	codeTooLarge:                 http.StatusRequestEntityTooLarge,
	codeUnsupportedMedia:         http.StatusUnsupportedMediaType,
	webhook.CodeTimeout:          http.StatusRequestTimeout,
	codeRateLimited:              http.StatusTooManyRequests,
	codeShuttingDown:             http.StatusServiceUnavailable,
	codeTooManySessions:          http.StatusServiceUnavailable,
	webhook.CodeProcessingError:  http.StatusInternalServerError,
	tools.CodeUnknownAction:      http.StatusInternalServerError,
}

// ErrorBody is the error object of every error response.
type ErrorBody struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Fields  []string `json:"fields,omitempty"`
}

// Envelope is the webhook endpoint's response shape, success and error alike.
type Envelope struct {
	WebhookID string          `json:"webhook_id,omitempty"`
	Status    string          `json:"status"`
	ClientID  string          `json:"client_id,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *ErrorBody      `json:"error,omitempty"`
}

// errorBodyOf turns an error into its code, status and client-safe body:
// server-side failures say only that they happened (details are in the log).
func errorBodyOf(err error) (int, ErrorBody) {
	code := tools.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	body := ErrorBody{Code: code, Message: err.Error()}
	var ve *webhook.ValidationError
	if errors.As(err, &ve) {
		body.Message, body.Fields = ve.Message, ve.Fields
	}
	if !tools.IsUserError(err) && code != webhook.CodeTimeout {
		body.Message = "internal error while processing; the server log has the details under this webhook_id"
	}
	if code == webhook.CodeTimeout {
		body.Message = "processing did not finish within WEBHOOK_TIMEOUT_SECONDS"
	}
	return status, body
}

// writeError writes the error envelope with the status of code.
func writeError(w http.ResponseWriter, webhookID string, code, msg string, fields ...string) {
	writeJSON(w, statusOf[code], Envelope{WebhookID: webhookID, Status: "error",
		Error: &ErrorBody{Code: code, Message: msg, Fields: fields}})
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}
