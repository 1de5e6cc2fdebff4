package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

func TestErrorOf(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		err  error
		want api.Error
	}{
		{"validation error keeps its message and fields", fmt.Errorf("decode: %w", webhook.MissingFields("client_id")),
			api.Error{Code: api.CodeMissingFields, Message: "required fields are missing", Fields: []string{"client_id"}}},
		{"api error chooses its own code", fmt.Errorf("confirm: %w", api.Errorf(api.CodeConflict, "already rejected")),
			api.Error{Code: api.CodeConflict, Message: "already rejected"}},
		{"unknown approval names the id, not the store", fmt.Errorf("get: %w", &approval.NotFoundError{ID: "nope"}),
			api.Error{Code: api.CodeNotFound, Message: "no approval with id nope"}},
		{"bare store sentinel gets the table's words", fmt.Errorf("store approval nope: %w", approval.ErrNotFound),
			api.Error{Code: api.CodeNotFound, Message: api.Message(api.CodeNotFound)}},
		{"inbox not found", fmt.Errorf("complete x: %w", webhook.ErrNotFound),
			api.Error{Code: api.CodeNotFound, Message: api.Message(api.CodeNotFound)}},
		{"conflict says which state", &approval.ConflictError{ID: "a1", Current: approval.StateDelivered, Wanted: approval.StateRejected},
			api.Error{Code: api.CodeConflict, Message: "approval a1 is delivered and cannot become rejected"}},
		{"in progress", fmt.Errorf("call: %w", webhook.ErrInProgress),
			api.Error{Code: api.CodeInProgress, Message: api.Message(api.CodeInProgress)}},
		{"idempotency key reused", fmt.Errorf("begin: %w", webhook.ErrKeyReused),
			api.Error{Code: api.CodeIdempotencyKeyReused, Message: api.Message(api.CodeIdempotencyKeyReused)}},
		{"unknown action is the caller's", fmt.Errorf("%w: frob", ErrUnknownAction),
			api.Error{Code: api.CodeUnknownAction, Message: "unknown action: frob"}},
		{"replayed user failure", &webhook.StoredError{Code: api.CodeMissingFields, Message: "required fields are missing: client_id"},
			api.Error{Code: api.CodeMissingFields, Message: "required fields are missing: client_id"}},
		{"replayed server failure hides its text", &webhook.StoredError{Code: api.CodeProcessingError, Message: "sql: database is closed"},
			api.Error{Code: api.CodeProcessingError, Message: api.Message(api.CodeProcessingError)}},
		{"timeout", fmt.Errorf("run: %w", context.DeadlineExceeded),
			api.Error{Code: api.CodeTimeout, Message: api.Message(api.CodeTimeout)}},
		{"store unavailable", fmt.Errorf("commit: %w", webhook.ErrStoreUnavailable),
			api.Error{Code: api.CodeStoreUnavailable, Message: "the store cannot commit; retry"}},
		{"anything else is internal and says nothing of itself", errors.New("sql: no such table: approvals"),
			api.Error{Code: api.CodeProcessingError, Message: api.Message(api.CodeProcessingError)}},
		{"an api error with a server-side code still shows only the table's message", api.Errorf(api.CodeProcessingError, "pq: secret detail"),
			api.Error{Code: api.CodeProcessingError, Message: api.Message(api.CodeProcessingError)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := ErrorOf(tc.err)
			require.NotNil(t, got)
			assert.Equal(t, tc.want, *got)
			assert.Equal(t, tc.want.Code, ErrorCode(tc.err))
			assert.Equal(t, api.IsUserError(tc.want.Code), IsUserError(tc.err), "IsUserError follows the table")
		})
	}
	assert.Nil(t, ErrorOf(nil))
	assert.Empty(t, ErrorCode(nil))
	assert.False(t, IsUserError(nil))
}

// typedInput has one field of each JSON kind, and a nested one.
type typedInput struct {
	ClientID string  `json:"client_id"`
	Limit    int     `json:"limit"`
	Ratio    float64 `json:"ratio"`
	Flag     bool    `json:"flag"`
	IDs      []string
	Task     struct {
		Name string `json:"name"`
	} `json:"task"`
}

func TestWrongTypedArgumentsAreReadable(t *testing.T) {
	t.Parallel()
	a := Define(Spec{Name: "typed", Title: "Typed", Description: "d", Annotations: ReadOnlyLocal()},
		func(context.Context, Invocation, typedInput) (struct{}, error) { return struct{}{}, nil })
	cases := []struct {
		input, message, field string
	}{
		{`{"client_id": 123}`, "argument client_id: want a string, got a number", "client_id"},
		{`{"limit": "ten"}`, "argument limit: want a whole number, got a string", "limit"},
		{`{"limit": 1.5}`, "argument limit: want a whole number, got 1.5", "limit"},
		{`{"ratio": {}}`, "argument ratio: want a number, got an object", "ratio"},
		{`{"flag": "yes"}`, "argument flag: want true or false, got a string", "flag"},
		{`{"IDs": "a"}`, "argument IDs: want an array, got a string", "IDs"},
		{`{"task": {"name": false}}`, "argument task.name: want a string, got true or false", "task.name"},
		{`{"task": []}`, "argument task: want an object, got an array", "task"},
		{`[1]`, "arguments: want an object, got an array", ""},
		{`{"client_id": "a",}`, "arguments are not valid JSON at byte 19: invalid character '}' looking for beginning of object key string", ""},
	}
	for _, tc := range cases {
		_, err := a.Call(context.Background(), Invocation{}, json.RawMessage(tc.input))
		require.Error(t, err, tc.input)
		e := ErrorOf(err)
		assert.Equal(t, api.CodeInvalidPayload, e.Code, tc.input)
		assert.Equal(t, tc.message, e.Message, tc.input)
		if tc.field != "" {
			assert.Equal(t, []string{tc.field}, e.Fields, tc.input)
		}
		for _, internal := range []string{"Go ", "struct", "json:", "typedInput", "unmarshal"} {
			assert.NotContains(t, e.Message, internal, tc.input)
		}
	}
}
