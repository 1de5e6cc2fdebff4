package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// reviewerPost sends POST path with a JSON body (ctype) and the server's
// APPROVAL_TOKEN (none when token is false) and returns status and body.
func (e *testEnv) reviewerPost(t *testing.T, path, ctype, body string, token bool) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.http.URL+path, bytes.NewReader([]byte(body)))
	require.NoError(t, err)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token {
		req.Header.Set("Authorization", "Bearer "+e.srv.cfg.ApprovalToken)
	}
	resp, err := e.http.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, raw
}

// TestReplayEvent runs a stored webhook again: a new event that names the
// original, processed even though a repeat of the webhook itself would be
// answered from the inbox, and visible as such in GET /api/events and
// list_webhook_events.
func TestReplayEvent(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.MakeComWebhookSecret = []string{testSecret}
	e := newTestEnv(t, cfg)
	body := testkit.Fixture(t, "seed_example.json")
	sig := map[string]string{"X-Webhook-Signature": "sha256=" + signHex(testSecret, body)}
	resp, first := e.post(t, seedPath, body, sig)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, again := e.post(t, seedPath, body, sig)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "true", resp.Header.Get("Idempotent-Replayed"), "a resent webhook is answered from the inbox")
	require.Equal(t, first.WebhookID, again.WebhookID)

	replay := func() api.Envelope {
		status, raw := e.reviewerPost(t, "/api/events/"+first.WebhookID+"/replay", "application/json", "", true)
		require.Equal(t, http.StatusOK, status, "%s", raw)
		var env api.Envelope
		require.NoError(t, json.Unmarshal(raw, &env))
		return env
	}
	r1, r2 := replay(), replay()
	for _, r := range []api.Envelope{r1, r2} {
		assert.Equal(t, api.StatusProcessed, r.Status)
		assert.Equal(t, first.WebhookID, r.ReplayOf)
		assert.Equal(t, "client-123", r.ClientID)
		assert.NotEqual(t, first.WebhookID, r.WebhookID, "a replay is a new event")
		var want, got struct {
			WebhookID string          `json:"webhook_id"`
			Summary   json.RawMessage `json:"summary"`
			Data      json.RawMessage `json:"data"`
		}
		require.NoError(t, json.Unmarshal(first.Result, &want))
		require.NoError(t, json.Unmarshal(r.Result, &got))
		assert.JSONEq(t, string(want.Summary), string(got.Summary), "the same body through the same pipeline")
		assert.JSONEq(t, string(want.Data), string(got.Data))
		assert.Equal(t, r.WebhookID, got.WebhookID)
	}
	assert.NotEqual(t, r1.WebhookID, r2.WebhookID, "no idempotency key: every replay runs")

	get := e.reviewerGet(t, "/api/events/"+r1.WebhookID)
	defer get.Body.Close()
	require.Equal(t, http.StatusOK, get.StatusCode)
	var ev struct {
		ReplayOf string         `json:"replay_of"`
		Kind     string         `json:"kind"`
		State    string         `json:"state"`
		Body     map[string]any `json:"body"`
	}
	require.NoError(t, json.NewDecoder(get.Body).Decode(&ev))
	assert.Equal(t, first.WebhookID, ev.ReplayOf)
	assert.Equal(t, webhook.KindWebhook, ev.Kind)
	assert.Equal(t, "processed", ev.State)
	assert.Equal(t, "client-123", ev.Body["client_id"], "the original raw body")

	tr, err := transport.NewStreamableHTTP(e.http.URL + "/mcp")
	require.NoError(t, err)
	c := client.NewClient(tr)
	initialize(t, c)
	var list struct {
		Events []webhook.InboxEvent `json:"events"`
	}
	res := callTool(t, c, "list_webhook_events", map[string]any{"kind": "webhook", "limit": 10}, &list)
	require.False(t, res.IsError, "%v", res.Content)
	replayOf := map[string]string{}
	for _, ev := range list.Events {
		replayOf[ev.ID] = ev.ReplayOf
	}
	want := map[string]string{first.WebhookID: "", r1.WebhookID: first.WebhookID, r2.WebhookID: first.WebhookID}
	assert.Equal(t, want, replayOf)

	listed := e.reviewerGet(t, "/api/events?kind=webhook&limit=10")
	defer listed.Body.Close()
	require.Equal(t, http.StatusOK, listed.StatusCode)
	list.Events = nil
	require.NoError(t, json.NewDecoder(listed.Body).Decode(&list))
	clear(replayOf)
	for _, ev := range list.Events {
		replayOf[ev.ID] = ev.ReplayOf
	}
	assert.Equal(t, want, replayOf, "GET /api/events as list_webhook_events")
	bad := e.reviewerGet(t, "/api/events?state=bogus")
	defer bad.Body.Close()
	assert.Equal(t, http.StatusBadRequest, bad.StatusCode)
}

// TestReplayEventRefusals: the reviewer's token, JSON, a known webhook event.
func TestReplayEventRefusals(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, testConfig())
	resp, first := e.post(t, seedPath, testkit.Fixture(t, "seed_example.json"), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	path := "/api/events/" + first.WebhookID + "/replay"
	tests := []struct {
		name, path, ctype string
		token             bool
		status            int
		code              string
	}{
		{"no token", path, "application/json", false, http.StatusUnauthorized, api.CodeUnauthorized},
		{"not JSON", path, "text/plain", true, http.StatusUnsupportedMediaType, api.CodeUnsupportedMedia},
		{"unknown event", "/api/events/nope/replay", "application/json", true, http.StatusNotFound, api.CodeNotFound},
	}
	for _, tt := range tests {
		status, raw := e.reviewerPost(t, tt.path, tt.ctype, "", tt.token)
		assert.Equal(t, tt.status, status, "%s: %s", tt.name, raw)
		assert.Equal(t, tt.code, api.DecodeError(status, raw).Code, tt.name)
	}
}

// failedDelivery stores an approved request whose delivery failed at failedAt.
func failedDelivery(t *testing.T, e *testEnv, id string, failedAt time.Time) {
	t.Helper()
	ctx := context.Background()
	created := failedAt.Add(-time.Hour)
	params := []byte(`{"a":1}`)
	r := approval.Request{ID: id, Action: "send_webhook_response", ClientID: "client-1", WebhookID: "wh-" + id,
		TargetURL: "https://example.com/hook", Summary: "send " + id, Params: params,
		ParamsSHA256: approval.ParamsHash(params), RequestedBy: "mcp-client:test", State: approval.StatePending,
		CreatedAt: created, ExpiresAt: created.Add(24 * time.Hour), UpdatedAt: created}
	require.NoError(t, e.store.CreateApproval(ctx, r, approval.Event{ApprovalID: id, At: created, To: approval.StatePending, Actor: "test"}))
	_, err := e.store.TransitionApproval(ctx, approval.Transition{ID: id, From: []approval.State{approval.StatePending},
		To: approval.StateApproved, Actor: "reviewer", At: created, Decision: true})
	require.NoError(t, err)
	_, err = e.store.TransitionApproval(ctx, approval.Transition{ID: id, From: []approval.State{approval.StateApproved},
		To: approval.StateDelivering, Actor: "worker", At: created})
	require.NoError(t, err)
	_, err = e.store.TransitionApproval(ctx, approval.Transition{ID: id, From: []approval.State{approval.StateDelivering},
		To: approval.StateFailed, Actor: "worker", At: failedAt,
		Delivery: &approval.Delivery{Outcome: approval.OutcomeFailed, Attempts: 6, AttemptedAt: failedAt}})
	require.NoError(t, err)
}

// TestRecoverDeliveries re-queues the dead letters of a period, and only them.
func TestRecoverDeliveries(t *testing.T) {
	t.Parallel()
	e := newDrivenEnv(t, testConfig())
	day := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	failedDelivery(t, e, "before", day.Add(-time.Minute))
	failedDelivery(t, e, "early", day.Add(time.Hour))
	failedDelivery(t, e, "late", day.Add(23*time.Hour))
	failedDelivery(t, e, "after", day.Add(25*time.Hour))

	body := `{"since":"2026-11-30T00:00:00Z","until":"2026-12-01T00:00:00Z"}`
	status, raw := e.reviewerPost(t, "/api/deliveries/recover", "application/json", body, true)
	require.Equal(t, http.StatusOK, status, "%s", raw)
	var res api.RecoverResult
	require.NoError(t, json.Unmarshal(raw, &res))
	assert.ElementsMatch(t, []string{"early", "late"}, res.Recovered)
	assert.Empty(t, res.Skipped)
	for id, want := range map[string]approval.State{"before": approval.StateFailed, "early": approval.StateDelivering,
		"late": approval.StateDelivering, "after": approval.StateFailed} {
		r, _, err := e.srv.Approvals().Get(context.Background(), id)
		require.NoError(t, err)
		assert.Equal(t, want, r.State, id)
	}

	// Done again: nothing of the period is failed any more.
	status, raw = e.reviewerPost(t, "/api/deliveries/recover", "application/json", body, true)
	require.Equal(t, http.StatusOK, status, "%s", raw)
	require.NoError(t, json.Unmarshal(raw, &res))
	assert.Empty(t, res.Recovered)

	for _, bad := range []string{`{}`, `{"since":"2026-12-01T00:00:00Z","until":"2026-11-30T00:00:00Z"}`, `{"since":"yesterday"}`} {
		status, raw = e.reviewerPost(t, "/api/deliveries/recover", "application/json", bad, true)
		assert.Equal(t, http.StatusBadRequest, status, "%s: %s", bad, raw)
	}
	status, _ = e.reviewerPost(t, "/api/deliveries/recover", "application/json", body, false)
	assert.Equal(t, http.StatusUnauthorized, status)
}
