package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
	"github.com/webhook-mcp/webhook-mcp/tools"
)

// openAIResult calls a tool and checks the shape ChatGPT's connectors expect:
// exactly one content item, text, whose text is the same JSON as
// structuredContent; it decodes that JSON into out.
func openAIResult(t *testing.T, c *client.Client, name string, args map[string]any, out any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = name, args
	res, err := c.CallTool(ctx, req)
	require.NoError(t, err)
	require.Len(t, res.Content, 1, "exactly one content item")
	txt, ok := res.Content[0].(mcp.TextContent)
	require.True(t, ok, "the one item is text")
	if res.IsError {
		return res
	}
	require.NoError(t, json.Unmarshal([]byte(txt.Text), out), txt.Text)
	structured, err := json.Marshal(res.StructuredContent)
	require.NoError(t, err)
	assert.JSONEq(t, txt.Text, string(structured), "structuredContent is the text's JSON")
	return res
}

// resultIDs are the ids of a search's results.
func resultIDs(out tools.SearchOutput) []string {
	ids := make([]string, 0, len(out.Results))
	for _, r := range out.Results {
		ids = append(ids, r.ID)
	}
	return ids
}

// TestSearchThenFetch posts tasks by webhook, then finds and reads them, a
// person, the webhook event, the client and an approval request through
// search and fetch over Streamable HTTP, as ChatGPT does.
func TestSearchThenFetch(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.PublicURL = "https://mcp.example.test/"
	e := newTestEnv(t, cfg)
	resp, full := e.post(t, seedPath, testkit.Fixture(t, "clickup_task_full.json"), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = e.post(t, seedPath, testkit.Fixture(t, "seed_example.json"), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	tr, err := transport.NewStreamableHTTP(e.http.URL + "/mcp")
	require.NoError(t, err)
	c := client.NewClient(tr)
	initialize(t, c)
	rcv, _ := newReceiver(t)
	var pending tools.PendingApproval
	res := callTool(t, c, "send_webhook_response", map[string]any{"response_url": rcv.URL,
		"response_data": map[string]any{"deck": "ready"}, "client_id": "client-123"}, &pending)
	require.False(t, res.IsError, "%v", res.Content)

	const taskID = "task:client-123:86b2x7k4q"
	var found tools.SearchOutput
	openAIResult(t, c, "search", map[string]any{"query": "onboarding"}, &found)
	require.Contains(t, resultIDs(found), taskID)
	assert.Equal(t, tools.SearchResult{ID: taskID, Title: "Prepare Q3 onboarding deck for Northwind",
		URL: "https://mcp.example.test/api/clients/client-123/graph#task:86b2x7k4q"}, found.Results[0])

	var task tools.FetchOutput
	openAIResult(t, c, "fetch", map[string]any{"id": taskID}, &task)
	assert.Equal(t, taskID, task.ID)
	assert.Equal(t, "Prepare Q3 onboarding deck for Northwind", task.Title)
	assert.Equal(t, found.Results[0].URL, task.URL)
	assert.Contains(t, task.Text, "Draft the onboarding deck for the Northwind account")
	assert.Contains(t, task.Text, "ASSIGNED_TO person:48210357")
	assert.Equal(t, "client-123", task.Metadata["client_id"])
	assert.Contains(t, task.Metadata["webhook_ids"], full.WebhookID)

	// Several words: the record that matches most of them comes first.
	openAIResult(t, c, "search", map[string]any{"query": "Northwind deck Dana"}, &found)
	require.NotEmpty(t, found.Results)
	assert.Equal(t, taskID, found.Results[0].ID)

	openAIResult(t, c, "search", map[string]any{"query": "whitfield"}, &found)
	assert.Contains(t, resultIDs(found), "person:client-123:48210357")
	var person tools.FetchOutput
	openAIResult(t, c, "fetch", map[string]any{"id": "person:client-123:48210357"}, &person)
	assert.Equal(t, "Dana Whitfield", person.Title)
	assert.Contains(t, person.Text, "dana.whitfield@example.com")

	eventID := "event:" + full.WebhookID
	openAIResult(t, c, "search", map[string]any{"query": full.WebhookID}, &found)
	assert.Equal(t, []string{eventID}, resultIDs(found))
	var ev tools.FetchOutput
	openAIResult(t, c, "fetch", map[string]any{"id": eventID}, &ev)
	assert.Contains(t, ev.Text, `"custom_id": "ACME-142"`, "the webhook body")
	assert.Equal(t, "processed", ev.Metadata["state"])
	assert.Equal(t, "https://mcp.example.test/api/events/"+full.WebhookID, ev.URL)

	var cl tools.FetchOutput
	openAIResult(t, c, "fetch", map[string]any{"id": "client:client-123"}, &cl)
	assert.Contains(t, cl.Text, "- Client Task Name (task:client-123:task_123)")
	assert.Contains(t, cl.Text, "- Rafael Ortiz (person:client-123:61750042)")

	approvalID := "approval:" + pending.ApprovalID
	openAIResult(t, c, "search", map[string]any{"query": pending.ApprovalID}, &found)
	assert.Equal(t, []string{approvalID}, resultIDs(found))
	var ap tools.FetchOutput
	openAIResult(t, c, "fetch", map[string]any{"id": approvalID}, &ap)
	assert.Equal(t, "pending", ap.Metadata["state"])
	assert.Contains(t, ap.Text, "is pending: POST")
	assert.Equal(t, "https://mcp.example.test/approvals/"+pending.ApprovalID, ap.URL)

	for id, code := range map[string]string{"task:client-123:nope": "not_found", "event:nope": "not_found",
		"client:nobody": "not_found", "approval:nope": "not_found", "task:x": "invalid_argument", "bogus": "invalid_argument"} {
		res := openAIResult(t, c, "fetch", map[string]any{"id": id}, nil)
		require.True(t, res.IsError, id)
		assert.Contains(t, res.Content[0].(mcp.TextContent).Text, code, id)
	}
	res = openAIResult(t, c, "search", map[string]any{"query": "  "}, nil)
	assert.True(t, res.IsError)
}

// TestEventRoute serves the inbox entry that fetch links to, with its body.
func TestEventRoute(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, testConfig())
	resp, env := e.post(t, seedPath, testkit.Fixture(t, "seed_example.json"), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	get := func(id string) (int, string) {
		resp := e.reviewerGet(t, "/api/events/"+id)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	status, body := get(env.WebhookID)
	require.Equal(t, http.StatusOK, status, body)
	var v struct {
		WebhookID string         `json:"webhook_id"`
		State     string         `json:"state"`
		Body      map[string]any `json:"body"`
	}
	require.NoError(t, json.NewDecoder(strings.NewReader(body)).Decode(&v))
	assert.Equal(t, env.WebhookID, v.WebhookID)
	assert.Equal(t, "processed", v.State)
	assert.Equal(t, "client-123", v.Body["client_id"])
	status, body = get("no-such-event")
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, body, "not_found")
}
