package webhook

import (
	"errors"
	"fmt"
	"strings"

	"github.com/webhook-mcp/webhook-mcp/api"
)

// Sentinel errors of the domain. Wrap them with context; match with errors.Is.
// tools.ErrorOf maps each to its code in the api table.
var (
	// ErrInvalidPayload means the body is not JSON or has the wrong JSON types.
	ErrInvalidPayload = errors.New("invalid payload")
	// ErrMissingFields means required fields are absent; see *ValidationError for the list.
	ErrMissingFields = errors.New("missing required fields")
	// ErrInvalidSignature means a signature is missing, malformed or does not match.
	ErrInvalidSignature = errors.New("invalid signature")
	// ErrInvalidArgument means a tool argument is out of its allowed range or form.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrInProgress means the same webhook (by idempotency key) is still being processed.
	ErrInProgress = errors.New("request with this idempotency key is still being processed")
	// ErrKeyReused means an idempotency key already used for another body.
	ErrKeyReused = errors.New("this idempotency key was already used with a different body")
	// ErrStoreUnavailable means the store could not commit; nothing was recorded
	// and a retry is safe.
	ErrStoreUnavailable = errors.New("the store cannot commit right now; retry")
	// ErrNotFound means the requested record does not exist.
	ErrNotFound = errors.New("not found")
)

// ValidationError is a user mistake in a payload or in tool arguments: it carries
// the error code (one of api's), a message a person or a model can act on, and the offending fields.
type ValidationError struct {
	Code    string
	Message string
	Fields  []string
	kind    error
}

// Error implements error.
func (e *ValidationError) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	return fmt.Sprintf("%s: %s", e.Message, strings.Join(e.Fields, ", "))
}

// Unwrap lets errors.Is match the sentinel of the error's kind.
func (e *ValidationError) Unwrap() error { return e.kind }

// InvalidPayload returns a *ValidationError of kind ErrInvalidPayload.
func InvalidPayload(format string, args ...any) error {
	return &ValidationError{Code: api.CodeInvalidPayload, Message: fmt.Sprintf(format, args...), kind: ErrInvalidPayload}
}

// InvalidPayloadField returns a *ValidationError of kind ErrInvalidPayload about
// one field (a wrong JSON type, say); an empty field names none.
func InvalidPayloadField(field, format string, args ...any) error {
	e := &ValidationError{Code: api.CodeInvalidPayload, Message: fmt.Sprintf(format, args...), kind: ErrInvalidPayload}
	if field != "" {
		e.Fields = []string{field}
	}
	return e
}

// MissingFields returns a *ValidationError of kind ErrMissingFields naming the fields.
func MissingFields(fields ...string) error {
	return &ValidationError{Code: api.CodeMissingFields, Message: "required fields are missing", Fields: fields, kind: ErrMissingFields}
}

// InvalidArgument returns a *ValidationError of kind ErrInvalidArgument for a tool argument.
func InvalidArgument(field, format string, args ...any) error {
	return &ValidationError{Code: api.CodeInvalidArgument, Message: fmt.Sprintf(format, args...), Fields: []string{field}, kind: ErrInvalidArgument}
}

// StoredError is a failure replayed from the inbox for a repeated request.
type StoredError struct {
	Code    string
	Message string
	Fields  []string // the fields a stored validation failure named
}

// Error implements error.
func (e *StoredError) Error() string { return e.Message }
