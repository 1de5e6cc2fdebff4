package api

import "net/http"

// Error codes: the one list of every code the server answers with, on the HTTP
// API and in MCP tool errors alike. docs/error-handling.md renders the table below.
const (
	CodeInvalidPayload       = "invalid_payload"
	CodeMissingFields        = "missing_fields"
	CodeInvalidArgument      = "invalid_argument"
	CodeInvalidSignature     = "invalid_signature"
	CodeUnauthorized         = "unauthorized"
	CodeForbidden            = "forbidden"
	CodeNotFound             = "not_found"
	CodeUnknownRoute         = "unknown_route"
	CodeUnknownAction        = "unknown_action"
	CodeMethodNotAllowed     = "method_not_allowed"
	CodeTimeout              = "timeout"
	CodeConflict             = "conflict"
	CodeInProgress           = "in_progress"
	CodePayloadTooLarge      = "payload_too_large"
	CodeUnsupportedMedia     = "unsupported_media_type"
	CodeIdempotencyKeyReused = "idempotency_key_reused"
	CodeRateLimited          = "rate_limited"
	CodeProcessingError      = "processing_error"
	CodeShuttingDown         = "shutting_down"
	CodeStoreUnavailable     = "store_unavailable"
	CodeTooManySessions      = "too_many_sessions"
	// CodeAbandoned is never an answer: it marks an inbox entry whose call
	// ended without completing, as list_webhook_events shows it.
	CodeAbandoned = "abandoned"
)

// CodeInfo is what the table knows about one code.
type CodeInfo struct {
	// Code is the code itself.
	Code string
	// Status is the HTTP status of an error with this code.
	Status int
	// User means the caller made the mistake and can fix it: the error's own
	// message is shown. Otherwise the failure is the server's, and only Message
	// is shown (details stay in the log under the call's webhook_id).
	User bool
	// Message is what a caller sees for a server-side code, and the default for
	// a user code whose error carries no message of its own.
	Message string
}

// codeTable is the one table from code to status and visibility, in the order
// the documentation lists it. Where several codes share a status, the first is
// the one CodeForStatus returns.
var codeTable = [...]CodeInfo{
	{CodeInvalidPayload, http.StatusBadRequest, true, "the body or the arguments are not JSON of the expected shape"},
	{CodeMissingFields, http.StatusBadRequest, true, "required fields are missing"},
	{CodeInvalidArgument, http.StatusBadRequest, true, "an argument is out of its allowed range or form"},
	{CodeUnauthorized, http.StatusUnauthorized, true, "a valid bearer token is required"},
	{CodeInvalidSignature, http.StatusUnauthorized, true, "the webhook signature is missing, malformed or wrong"},
	{CodeForbidden, http.StatusForbidden, true, "the Host or Origin of the request is not allowed"},
	{CodeNotFound, http.StatusNotFound, true, "no record has this id"},
	{CodeUnknownRoute, http.StatusNotFound, true, "no webhook route is registered at this path"},
	{CodeUnknownAction, http.StatusNotFound, true, "no action is registered under this name"},
	{CodeMethodNotAllowed, http.StatusMethodNotAllowed, true, "use POST for webhooks"},
	{CodeTimeout, http.StatusRequestTimeout, false, "processing did not finish within WEBHOOK_TIMEOUT_SECONDS"},
	{CodeConflict, http.StatusConflict, true, "the record is not in a state that allows this"},
	{CodeInProgress, http.StatusConflict, true, "a request with this idempotency key is still being processed; retry later"},
	{CodePayloadTooLarge, http.StatusRequestEntityTooLarge, true, "the body is larger than MAX_BODY_BYTES"},
	{CodeUnsupportedMedia, http.StatusUnsupportedMediaType, true, "Content-Type must be application/json"},
	{CodeIdempotencyKeyReused, http.StatusUnprocessableEntity, true, "this idempotency key was already used with a different body; send a new key"},
	{CodeRateLimited, http.StatusTooManyRequests, true, "too many requests; retry after the Retry-After seconds"},
	{CodeProcessingError, http.StatusInternalServerError, false, "internal error while processing; the server log has the details under the id of this call"},
	{CodeShuttingDown, http.StatusServiceUnavailable, false, "the server is shutting down; retry shortly"},
	{CodeStoreUnavailable, http.StatusServiceUnavailable, false, "the store cannot commit; retry"},
	{CodeTooManySessions, http.StatusServiceUnavailable, false, "the server holds MCP_MAX_SESSIONS MCP sessions; retry later"},
	{CodeAbandoned, http.StatusInternalServerError, false, "the call ended without completing (process stopped, caller gone or store failure); a repeat runs again"},
}

// Codes returns the table in documentation order.
func Codes() []CodeInfo { return append([]CodeInfo(nil), codeTable[:]...) }

// Lookup returns the table's entry for code.
func Lookup(code string) (CodeInfo, bool) {
	for _, c := range codeTable {
		if c.Code == code {
			return c, true
		}
	}
	return CodeInfo{}, false
}

// Status returns the HTTP status of code; an unknown code is a 500.
func Status(code string) int {
	if c, ok := Lookup(code); ok {
		return c.Status
	}
	return http.StatusInternalServerError
}

// IsUserError reports whether code is a mistake the caller can fix, whose
// message is safe and useful to show, rather than a server-side failure.
func IsUserError(code string) bool {
	c, ok := Lookup(code)
	return ok && c.User
}

// Message returns the default message of code: the only one shown for a
// server-side code. An unknown code gets processing_error's.
func Message(code string) string {
	if c, ok := Lookup(code); ok {
		return c.Message
	}
	c, _ := Lookup(CodeProcessingError)
	return c.Message
}

// CodeForStatus is the table in reverse, for a client reading an answer that
// carries no code of its own (a proxy's error page, say): the first code with
// the status in table order, else processing_error.
func CodeForStatus(status int) string {
	for _, c := range codeTable {
		if c.Status == status {
			return c.Code
		}
	}
	return CodeProcessingError
}
