package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/tools"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// goInternals are fragments of Go error text a caller must never see.
var goInternals = []string{"Go struct", "Go value", "json: cannot", "store approval", "sql:", "approval not found"}

func TestToolErrorsAreReadable(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, testConfig())
	c, err := client.NewInProcessClient(e.srv.MCPServer())
	require.NoError(t, err)
	initialize(t, c)
	withID := regexp.MustCompile(` \[call_id [0-9a-f-]{36}\]$`)
	cases := []struct {
		tool string
		args map[string]any
		want string
	}{
		{"list_approvals", map[string]any{"limit": "ten"},
			"invalid_payload: argument limit: want a whole number, got a string (fields: limit)"},
		{"get_approval_status", map[string]any{"approval_id": 7},
			"invalid_payload: argument approval_id: want a string, got a number (fields: approval_id)"},
		{"process_webhook_data", map[string]any{"webhook_data": "client-123"},
			"invalid_payload: argument webhook_data: want an object, got a string (fields: webhook_data)"},
		{"get_approval_status", map[string]any{"approval_id": "nope"},
			"not_found: no approval with id nope"},
		{"get_approval_status", map[string]any{},
			"missing_fields: required fields are missing (fields: approval_id)"},
	}
	for _, tc := range cases {
		res := callTool(t, c, tc.tool, tc.args, nil)
		require.True(t, res.IsError, "%s %v", tc.tool, tc.args)
		text := res.Content[0].(mcp.TextContent).Text
		assert.Regexp(t, withID, text, "the call id the call is logged under")
		assert.Equal(t, tc.want, withID.ReplaceAllString(text, ""), "%s %v", tc.tool, tc.args)
		for _, internal := range goInternals {
			assert.NotContains(t, text, internal)
		}
	}
}

func TestHTTPErrorsNameTheUnknownID(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, testConfig())
	cases := []struct{ method, path string }{
		{http.MethodGet, "/api/approvals/nope"},
		{http.MethodPost, "/api/approvals/nope/approve"},
		{http.MethodPost, "/api/approvals/nope/reject"},
		{http.MethodGet, "/api/deliveries/nope"},
		{http.MethodPost, "/api/deliveries/nope/retry"},
	}
	for _, tc := range cases {
		req, err := http.NewRequest(tc.method, e.http.URL+tc.path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+testApprovalToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := e.http.Client().Do(req)
		require.NoError(t, err)
		raw, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, tc.path)
		var env api.Envelope
		require.NoError(t, json.Unmarshal(raw, &env), "%s: %s", tc.path, raw)
		require.NotNil(t, env.Error, tc.path)
		assert.Equal(t, api.Error{Code: api.CodeNotFound, Message: "no approval with id nope"}, *env.Error, tc.path)
		assert.Equal(t, api.StatusError, env.Status)
		for _, internal := range goInternals {
			assert.NotContains(t, string(raw), internal, tc.path)
		}
	}
}

func TestErrorStatusesComeFromTheTable(t *testing.T) {
	t.Parallel()
	for _, c := range api.Codes() {
		rec := httptest.NewRecorder()
		writeError(rec, "w-1", c.Code, "m")
		assert.Equal(t, c.Status, rec.Code, c.Code)
		assert.Contains(t, rec.Body.String(), `"code":"`+c.Code+`"`, c.Code)
	}
	// unknown_action is the caller's mistake: 404 with its message, not a 500.
	status, body := errorBodyOf(fmt.Errorf("%w: frob", tools.ErrUnknownAction))
	assert.Equal(t, http.StatusNotFound, status)
	assert.Equal(t, api.Error{Code: api.CodeUnknownAction, Message: "unknown action: frob"}, body)
}

// TestServerFailureShowsOnlyTheTable: a failure on the server's side answers
// with the table's message, and the inbox record (which list_webhook_events
// shows) keeps the same; the Go error text is only in the log.
func TestServerFailureShowsOnlyTheTable(t *testing.T) {
	t.Parallel()
	const internal = "sql: no such table: ledger_secret_detail"
	e := newTestEnv(t, testConfig(), func(s *Server) {
		a := tools.Define(tools.Spec{Name: "leaky", Title: "Leaky", Description: "Fails inside.",
			Annotations: tools.WriteLocalIdempotent()},
			func(context.Context, tools.Invocation, struct{}) (struct{}, error) {
				return struct{}{}, fmt.Errorf("book entry: %w", errors.New(internal))
			})
		require.NoError(t, s.RegisterAction(a))
		require.NoError(t, s.RegisterWebhookRoute("ledger/entries", "leaky"))
	})
	resp, env := e.post(t, "/api/webhook/ledger/entries", []byte(`{"client_id":"acme"}`), nil)
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	require.NotNil(t, env.Error)
	assert.Equal(t, api.Error{Code: api.CodeProcessingError, Message: api.Message(api.CodeProcessingError)}, *env.Error)

	evs, err := e.store.ListEvents(context.Background(), webhook.EventFilter{Kind: webhook.KindWebhook, Source: "ledger_entries"})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, env.WebhookID, evs[0].ID)
	assert.Equal(t, api.CodeProcessingError, evs[0].ErrorCode)
	assert.Equal(t, api.Message(api.CodeProcessingError), evs[0].ErrorMessage)
	assert.Contains(t, e.logText(), internal, "the details are in the log")
}
