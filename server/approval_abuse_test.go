package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/approval"
)

var (
	approvalLink = regexp.MustCompile(`href="/approvals/([0-9a-f-]{36})"`)
	olderLink    = regexp.MustCompile(`id="older" href="([^"]+)"`)
)

// TestFloodOf600PendingStaysReachable: a genuine request made before 600
// others is reached by paging, on the API (next_cursor) and on the page
// ("Older requests"), each request exactly once.
func TestFloodOf600PendingStaysReachable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := testConfig()
	cfg.ApprovalToken = testApprovalToken
	e := newTestEnv(t, cfg)
	svc := e.srv.Approvals()
	d := approval.Draft{Action: "send_webhook_response", TargetURL: "https://example.com/x", Summary: "POST",
		Params: []byte(`{"a":1}`)}
	d.RequestedBy, d.ClientID = "token:mcp (mcp-client:Claude)", "genuine"
	genuine, err := svc.Request(ctx, d)
	require.NoError(t, err)
	d.RequestedBy, d.ClientID = "anonymous (mcp-client:flood)", "flood"
	for range 600 {
		_, err := svc.Request(ctx, d)
		require.NoError(t, err)
	}

	t.Run("API", func(t *testing.T) {
		seen := map[string]int{}
		next, pages := "", 0
		for {
			q := url.Values{"state": {"pending"}, "limit": {"100"}}
			if next != "" {
				q.Set("cursor", next)
			}
			req, err := http.NewRequest(http.MethodGet, e.http.URL+"/api/approvals?"+q.Encode(), nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+testApprovalToken)
			resp, err := e.http.Client().Do(req)
			require.NoError(t, err)
			var page api.ApprovalList
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&page))
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			pages++
			for _, a := range page.Approvals {
				seen[a.ApprovalID]++
			}
			if next = page.NextCursor; next == "" {
				break
			}
			require.Less(t, pages, 10, "paging ends")
		}
		assert.Len(t, seen, 601)
		assert.Equal(t, 1, seen[genuine.ID], "the genuine request is on a page, once")
		assert.Equal(t, 7, pages, "six full pages and one of a single request")
	})

	t.Run("page", func(t *testing.T) {
		b := browser(t)
		signIn(t, e, b, testApprovalToken)
		seen := map[string]int{}
		link, pages := "/approvals", 0
		for link != "" {
			resp, body := fetch(t, b, http.MethodGet, e.http.URL+link, nil)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			pages++
			for _, m := range approvalLink.FindAllStringSubmatch(body, -1) {
				seen[m[1]]++
			}
			link = ""
			if m := olderLink.FindStringSubmatch(body); m != nil {
				link = m[1]
			}
			require.Less(t, pages, 20, "paging ends")
		}
		assert.Len(t, seen, 601)
		assert.Equal(t, 2, seen[genuine.ID], "the genuine request is on a page, once (title and button link)")
		assert.Equal(t, 13, pages)
	})
}

// TestMaxPendingPerRequesterIsAToolError: past APPROVAL_MAX_PENDING a
// requester gets a rate_limited tool error and no new request; another
// principal is not held back.
func TestMaxPendingPerRequesterIsAToolError(t *testing.T) {
	t.Parallel()
	cfg := tokenConfig()
	cfg.ApprovalMaxPending = 3
	e := newTestEnv(t, cfg)
	flood := elicitingClient(t, e, testMCPToken, mcp.ProtocolVersion20251125, nil)
	initialize(t, flood)
	for i := range 3 {
		sendForApproval(t, flood, "http://127.0.0.1:9/x", map[string]any{"n": i})
	}
	res := callTool(t, flood, "send_webhook_response", map[string]any{"response_url": "http://127.0.0.1:9/x",
		"response_data": map[string]any{"n": 4}}, nil)
	require.True(t, res.IsError)
	assert.Contains(t, res.Content[0].(mcp.TextContent).Text, "rate_limited: too many pending approval requests")
	pending, err := e.srv.Approvals().List(context.Background(), approval.Filter{States: []approval.State{approval.StatePending}})
	require.NoError(t, err)
	assert.Len(t, pending, 3, "nothing was created past the cap")

	other := elicitingClient(t, e, testApprovalToken, mcp.ProtocolVersion20251125, nil)
	initialize(t, other)
	out := sendForApproval(t, other, "http://127.0.0.1:9/x", map[string]any{"n": "other"})
	assert.Equal(t, "pending_approval", out.Status)
}

// TestFourEyesOnEveryChannel: with APPROVAL_SELF_APPROVE=false a request made
// with the APPROVAL_TOKEN cannot be decided with it on the API (which the CLI
// uses) or the page; a request made with MCP_AUTH_TOKEN can.
func TestFourEyesOnEveryChannel(t *testing.T) {
	t.Parallel()
	cfg := tokenConfig()
	cfg.ApprovalSelfApprove = false
	e := newTestEnv(t, cfg)
	reviewer := elicitingClient(t, e, testApprovalToken, mcp.ProtocolVersion20260728, &person{})
	initialize(t, reviewer)
	own := sendForApproval(t, reviewer, "http://127.0.0.1:9/x", map[string]any{"who": "reviewer"})
	require.Equal(t, "pending_approval", own.Status, "not asked: the answer would be the requester's")

	for _, verb := range []string{"approve", "reject"} {
		code, body := decide(t, e, own.ApprovalID, verb, testApprovalToken, "")
		assert.Equal(t, http.StatusForbidden, code, verb)
		assert.Equal(t, "forbidden", body["error"].(map[string]any)["code"], verb)
	}
	b := browser(t)
	csrf := signIn(t, e, b, testApprovalToken)
	resp, page := fetch(t, b, http.MethodPost, e.http.URL+"/approvals/"+own.ApprovalID+"/approve", url.Values{"csrf": {csrf}})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, page, "four-eyes review is on")
	r, _, err := e.srv.Approvals().Get(context.Background(), own.ApprovalID)
	require.NoError(t, err)
	assert.Equal(t, approval.StatePending, r.State)

	agent := elicitingClient(t, e, testMCPToken, mcp.ProtocolVersion20260728, nil)
	initialize(t, agent)
	theirs := sendForApproval(t, agent, "http://127.0.0.1:9/x", map[string]any{"who": "agent"})
	code, body := decide(t, e, theirs.ApprovalID, "reject", testApprovalToken, "second pair of eyes")
	require.Equal(t, http.StatusOK, code, fmt.Sprint(body))
	assert.Equal(t, "token:approval (api)", body["decided_by"])
	assert.Equal(t, "token:mcp (mcp-client:webhook-mcp-test)", body["requested_by"])
}
