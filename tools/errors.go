package tools

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// ErrorOf is the one function from a Go error of Registry.Call (or of the
// approval service behind the HTTP API) to what a caller sees: a code of the
// api table, a message and the offending fields. A user error keeps the
// message its domain error carries; a server-side failure gets only the
// table's message for its code, never the Go error text (that is logged).
func ErrorOf(err error) *api.Error {
	if err == nil {
		return nil
	}
	e := classify(err)
	if !api.IsUserError(e.Code) {
		return &api.Error{Code: e.Code, Message: api.Message(e.Code)}
	}
	if e.Message == "" {
		e.Message = api.Message(e.Code)
	}
	return e
}

// classify finds the code and, where the error has one meant for callers, the
// message.
func classify(err error) *api.Error {
	var (
		ae *api.Error
		ve *webhook.ValidationError
		se *webhook.StoredError
		nf *approval.NotFoundError
		ce *approval.ConflictError
	)
	switch {
	case errors.As(err, &ae):
		return &api.Error{Code: ae.Code, Message: ae.Message, Fields: ae.Fields}
	case errors.As(err, &ve):
		return &api.Error{Code: ve.Code, Message: ve.Message, Fields: ve.Fields}
	case errors.As(err, &se):
		return &api.Error{Code: se.Code, Message: se.Message, Fields: se.Fields}
	case errors.As(err, &nf):
		return &api.Error{Code: api.CodeNotFound, Message: nf.Error()}
	case errors.As(err, &ce):
		return &api.Error{Code: api.CodeConflict, Message: ce.Error()}
	case errors.Is(err, approval.ErrSelfDecision):
		return &api.Error{Code: api.CodeForbidden, Message: err.Error()}
	case errors.Is(err, approval.ErrTooManyPending):
		return &api.Error{Code: api.CodeRateLimited, Message: err.Error()}
	case errors.Is(err, approval.ErrNotFound), errors.Is(err, webhook.ErrNotFound), errors.Is(err, graph.ErrNotFound):
		return &api.Error{Code: api.CodeNotFound}
	case errors.Is(err, approval.ErrConflict):
		return &api.Error{Code: api.CodeConflict}
	case errors.Is(err, webhook.ErrInProgress):
		return &api.Error{Code: api.CodeInProgress}
	case errors.Is(err, webhook.ErrKeyReused):
		return &api.Error{Code: api.CodeIdempotencyKeyReused}
	case errors.Is(err, ErrUnknownAction):
		return &api.Error{Code: api.CodeUnknownAction, Message: err.Error()}
	case errors.Is(err, context.DeadlineExceeded):
		return &api.Error{Code: api.CodeTimeout}
	case errors.Is(err, webhook.ErrStoreUnavailable):
		return &api.Error{Code: api.CodeStoreUnavailable}
	}
	return &api.Error{Code: api.CodeProcessingError}
}

// ErrorCode classifies an error into its code of the api table.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	return ErrorOf(err).Code
}

// IsUserError reports whether err is the caller's to fix (its message is safe and
// useful to show) rather than a server-side failure: the table decides by code.
func IsUserError(err error) bool { return err != nil && api.IsUserError(ErrorCode(err)) }

// inputError says in words a person or a model can act on why arguments did
// not decode: which argument has which wrong JSON type, or where the JSON
// breaks. It never shows Go type names.
func inputError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		what := "arguments"
		if te.Field != "" {
			what = "argument " + te.Field
		}
		return webhook.InvalidPayloadField(te.Field, "%s: want %s, got %s", what, jsonKind(te.Type), gotKind(te.Value))
	case errors.As(err, &se):
		return webhook.InvalidPayload("arguments are not valid JSON at byte %d: %s", se.Offset, se.Error())
	}
	return webhook.InvalidPayload("arguments do not match the tool's input schema; see its inputSchema")
}

// jsonKind names, as JSON, what a Go type accepts.
func jsonKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a JSON value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a JSON value"
}

// gotKind renders encoding/json's description of the value it found
// ("string", "number 1.5", "object") for a message.
func gotKind(v string) string {
	kind, detail, _ := strings.Cut(v, " ")
	switch kind {
	case "number":
		if detail != "" {
			return detail
		}
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "array":
		return "an array"
	case "object":
		return "an object"
	}
	return v
}
