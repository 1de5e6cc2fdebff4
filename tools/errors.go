package tools

import (
	"context"
	"errors"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// Error codes beyond the webhook domain's.
const (
	CodeNotFound      = "not_found"
	CodeConflict      = "conflict"
	CodeUnknownAction = "unknown_action"
)

// userCodes are the codes of mistakes the caller can fix; everything else is a
// server-side failure whose details stay in the log.
var userCodes = map[string]bool{
	webhook.CodeInvalidPayload: true, webhook.CodeMissingFields: true, webhook.CodeInvalidSignature: true,
	webhook.CodeInvalidArgument: true, webhook.CodeInProgress: true, webhook.CodeKeyReused: true, CodeNotFound: true, CodeConflict: true,
	CodeUnknownAction: true,
}

// ErrorCode classifies an error of Registry.Call into the codes of the HTTP
// contract; the edges map codes to statuses and tool errors.
func ErrorCode(err error) string {
	var ve *webhook.ValidationError
	var se *webhook.StoredError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ve):
		return ve.Code
	case errors.As(err, &se):
		return se.Code
	case errors.Is(err, webhook.ErrInProgress):
		return webhook.CodeInProgress
	case errors.Is(err, webhook.ErrKeyReused):
		return webhook.CodeKeyReused
	case errors.Is(err, webhook.ErrStoreUnavailable):
		return webhook.CodeStoreUnavailable
	case errors.Is(err, context.DeadlineExceeded):
		return webhook.CodeTimeout
	case errors.Is(err, approval.ErrNotFound), errors.Is(err, webhook.ErrNotFound):
		return CodeNotFound
	case errors.Is(err, approval.ErrConflict):
		return CodeConflict
	case errors.Is(err, ErrUnknownAction):
		return CodeUnknownAction
	}
	return webhook.CodeProcessingError
}

// IsUserError reports whether err is the caller's to fix (its message is safe and
// useful to show) rather than a server-side failure.
func IsUserError(err error) bool { return userCodes[ErrorCode(err)] }
