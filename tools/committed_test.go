package tools_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/store"
	"github.com/webhook-mcp/webhook-mcp/tools"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// TestOnCommittedReportsWhatTheStoreWrote checks the registry's post-commit
// observer on a real SQLite inbox: a webhook that merges a graph names the
// graph's client, a failed call names none, a read-only tool call (not
// recorded) and a replay (nothing written) are not reported, and each report
// comes after the write is readable.
func TestOnCommittedReportsWhatTheStoreWrote(t *testing.T) {
	t.Parallel()
	st, err := store.Open(context.Background(), store.Options{DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	var mu sync.Mutex
	var got []tools.Committed
	var visible []bool // whether the entry was in the store when reported
	reg := tools.NewRegistry(tools.Config{Inbox: st, Timeout: 5 * time.Second, OnCommitted: func(c tools.Committed) {
		evs, err := st.ListEvents(context.Background(), webhook.EventFilter{ClientID: c.ClientID})
		seen := false
		for _, ev := range evs {
			seen = seen || (err == nil && ev.ID == c.CallID && ev.State == c.State)
		}
		mu.Lock()
		got, visible = append(got, c), append(visible, seen)
		mu.Unlock()
	}})
	type in struct {
		ClientID string `json:"client_id"`
		Fail     bool   `json:"fail"`
	}
	merge := tools.DefineWithEffects(tools.Spec{Name: "merge", Title: "Merge", Description: "merges a graph",
		Annotations: tools.WriteLocalIdempotent()},
		func(_ context.Context, _ tools.Invocation, v in) (in, tools.Effects, error) {
			if v.Fail {
				return v, tools.Effects{}, errors.New("server-side failure")
			}
			g := graph.Extract(map[string]any{"task": map[string]any{"id": "t1", "name": "Task one"}},
				graph.ExtractOptions{ClientID: v.ClientID})
			return v, tools.Effects{Graph: &g}, nil
		})
	read := tools.Define(tools.Spec{Name: "read", Title: "Read", Description: "reads",
		Annotations: tools.ReadOnlyLocal()},
		func(_ context.Context, _ tools.Invocation, v in) (in, error) { return v, nil })
	require.NoError(t, reg.Register(merge, read))

	call := func(action, kind, input, key string) tools.Outcome {
		out, _ := reg.Call(context.Background(), tools.Request{Action: action, Input: json.RawMessage(input),
			IdempotencyKey: key, KeyWindow: time.Hour, Invocation: tools.Invocation{Kind: kind, Source: "test", Route: action}})
		return out
	}
	first := call("merge", webhook.KindWebhook, `{"client_id":"acme-corp"}`, "k1")
	call("merge", webhook.KindWebhook, `{"client_id":"acme-corp"}`, "k1") // a replay writes nothing
	failed := call("merge", webhook.KindTool, `{"client_id":"beta","fail":true}`, "")
	call("read", webhook.KindTool, `{"client_id":"beta"}`, "") // read-only tool calls are not recorded

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []tools.Committed{
		{CallID: first.CallID, Kind: webhook.KindWebhook, State: webhook.StateProcessed, ClientID: "acme-corp", GraphClientID: "acme-corp"},
		{CallID: failed.CallID, Kind: webhook.KindTool, State: webhook.StateFailed, ClientID: "beta"},
	}, got)
	assert.Equal(t, []bool{true, true}, visible, "reported only once committed")
}
