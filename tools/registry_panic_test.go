package tools_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
	"github.com/webhook-mcp/webhook-mcp/store"
	"github.com/webhook-mcp/webhook-mcp/tools"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// TestCallSurvivesAPanickingAction calls an action that panics through the
// registry on a real SQLite inbox: the caller gets processing_error, the
// process and the registry keep working, the call is recorded as failed (the
// panic itself only in the log, under the call id), and the idempotency key is
// released so a retry runs again.
func TestCallSurvivesAPanickingAction(t *testing.T) {
	t.Parallel()
	logs := &testkit.LockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	st, err := store.Open(context.Background(), store.Options{DataDir: t.TempDir(), Logger: logger})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	reg := tools.NewRegistry(tools.Config{Inbox: st, Timeout: 5 * time.Second, Logger: logger})

	type in struct {
		ClientID string `json:"client_id"`
	}
	var runs atomic.Int64
	explode := tools.Define(tools.Spec{Name: "explode", Title: "Explode", Description: "panics",
		Annotations: tools.WriteLocalIdempotent()},
		func(context.Context, tools.Invocation, in) (struct{}, error) {
			runs.Add(1)
			panic("boom in the action")
		})
	echo := tools.Define(tools.Spec{Name: "echo", Title: "Echo", Description: "returns its input",
		Annotations: tools.ReadOnlyLocal()},
		func(_ context.Context, _ tools.Invocation, v in) (in, error) { return v, nil })
	require.NoError(t, reg.Register(explode, echo))

	call := func(action string) (tools.Outcome, error) {
		return reg.Call(context.Background(), tools.Request{Action: action, IdempotencyKey: "key-" + action,
			KeyWindow: time.Hour, Input: json.RawMessage(`{"client_id":"c-panic"}`),
			Invocation: tools.Invocation{Kind: webhook.KindTool, Source: "mcp", Route: action}})
	}
	out, err := call("explode")
	require.Error(t, err)
	assert.Equal(t, api.CodeProcessingError, tools.ErrorCode(err))
	assert.False(t, tools.IsUserError(err), "a panic is the server's failure, not the caller's")
	require.NotEmpty(t, out.CallID)

	evs, err := st.ListEvents(context.Background(), webhook.EventFilter{ClientID: "c-panic"})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, out.CallID, evs[0].ID)
	assert.Equal(t, webhook.StateFailed, evs[0].State)
	assert.Equal(t, api.CodeProcessingError, evs[0].ErrorCode)
	assert.Equal(t, api.Message(api.CodeProcessingError), evs[0].ErrorMessage, "no Go error text in the record")
	assert.Contains(t, logs.String(), "level=ERROR msg=\"call failed\" call_id="+out.CallID)
	assert.Contains(t, logs.String(), "boom in the action")

	// The process, and the registry, go on: another action runs, and a retry
	// of the failed call runs again instead of replaying the failure.
	res, err := call("echo")
	require.NoError(t, err)
	assert.JSONEq(t, `{"client_id":"c-panic"}`, string(res.Result))
	again, err := call("explode")
	assert.Equal(t, api.CodeProcessingError, tools.ErrorCode(err))
	assert.False(t, again.Replayed)
	assert.NotEqual(t, out.CallID, again.CallID)
	assert.EqualValues(t, 2, runs.Load())
}
