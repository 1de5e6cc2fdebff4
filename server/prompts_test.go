package server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// promptText joins the text of a prompt's messages, embedded resources included.
func promptText(t *testing.T, res *mcp.GetPromptResult) string {
	t.Helper()
	var b strings.Builder
	for _, m := range res.Messages {
		switch c := m.Content.(type) {
		case mcp.TextContent:
			b.WriteString(c.Text)
		case mcp.EmbeddedResource:
			tc, ok := c.Resource.(mcp.TextResourceContents)
			require.True(t, ok, "embedded resource is text")
			b.WriteString("resource " + tc.URI + ": " + tc.Text)
		default:
			t.Fatalf("unexpected prompt content %T", c)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func getPrompt(t *testing.T, c *client.Client, name string, args map[string]string) (*mcp.GetPromptResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := mcp.GetPromptRequest{}
	req.Params.Name, req.Params.Arguments = name, args
	return c.GetPrompt(ctx, req)
}

func complete(t *testing.T, c *client.Client, ref any, arg, value string) *mcp.Completion {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := mcp.CompleteRequest{}
	req.Params.Ref = ref
	req.Params.Argument = mcp.CompleteArgument{Name: arg, Value: value}
	res, err := c.Complete(ctx, req)
	require.NoError(t, err)
	return &res.Completion
}

func readResource(t *testing.T, c *client.Client, uri string, out any) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := mcp.ReadResourceRequest{}
	req.Params.URI = uri
	res, err := c.ReadResource(ctx, req)
	if err != nil {
		return err
	}
	require.Len(t, res.Contents, 1)
	tc, ok := res.Contents[0].(mcp.TextResourceContents)
	require.True(t, ok)
	assert.Equal(t, "application/json", tc.MIMEType)
	return json.Unmarshal([]byte(tc.Text), out)
}

// TestPromptsCompletionsAndResources drives the prompts, completions and the
// new resources with real clients on both protocol versions, after webhooks
// and an approval request.
func TestPromptsCompletionsAndResources(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		connect func(t *testing.T, e *testEnv) *client.Client
	}{
		{"in-process-2025-11-25", liveTransports[1].connect},
		{"streamable-http-2026-07-28", func(t *testing.T, e *testEnv) *client.Client {
			tr, err := transport.NewStreamableHTTP(e.http.URL + "/mcp")
			require.NoError(t, err)
			return client.NewClient(tr, client.WithProtocolVersion(mcp.ProtocolVersion20260728))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			cfg.PublicURL = "https://hooks.example.test"
			e := newTestEnv(t, cfg)
			c := tc.connect(t, e)
			res := initialize(t, c)
			caps := res.Capabilities
			require.NotNil(t, caps.Resources)
			assert.True(t, caps.Resources.Subscribe)
			assert.True(t, caps.Resources.ListChanged)
			assert.NotNil(t, caps.Prompts)
			assert.NotNil(t, caps.Completions)
			assert.Nil(t, caps.Logging, "no notifications/message are sent, so logging is not declared")

			postTask(t, e, "acme-corp", "t-1", "Quarterly report")
			postTask(t, e, "acme-corp", "t-2", "Renew contract")
			postTask(t, e, "acme-labs", "t-3", "Lab setup")
			postTask(t, e, "beta", "t-4", "Beta launch")

			t.Run("client_briefing", func(t *testing.T) {
				p, err := getPrompt(t, c, promptClientBriefing, map[string]string{"client_id": "acme-corp"})
				require.NoError(t, err)
				text := promptText(t, p)
				for _, want := range []string{"Quarterly report", "Renew contract", "[in progress]", "Dana Reviewer", "resource kg://clients/acme-corp: {"} {
					assert.Contains(t, text, want)
				}
				assert.NotContains(t, text, "Lab setup", "another client's task")
				_, err = getPrompt(t, c, promptClientBriefing, map[string]string{"client_id": "nobody"})
				require.Error(t, err)
				assert.Contains(t, err.Error(), "no knowledge graph for client")
			})

			t.Run("completions", func(t *testing.T) {
				kg := mcp.ResourceReference{Type: "ref/resource", URI: graphResourceTemplate}
				briefing := mcp.PromptReference{Type: "ref/prompt", Name: promptClientBriefing}
				assert.Equal(t, []string{"acme-corp", "acme-labs"}, complete(t, c, kg, "client_id", "acm").Values)
				assert.Equal(t, []string{"acme-corp", "acme-labs"}, complete(t, c, briefing, "client_id", "acm").Values)
				assert.Equal(t, []string{"acme-corp"}, complete(t, c, kg, "client_id", "acme-c").Values)
				assert.Empty(t, complete(t, c, kg, "client_id", "zzz").Values)
				assert.Empty(t, complete(t, c, briefing, "other_arg", "acm").Values)
			})

			rcv, _ := newReceiver(t)
			id := requestApproval(t, c, rcv.URL, map[string]any{"ok": true})

			t.Run("approval completion and resource", func(t *testing.T) {
				ref := mcp.ResourceReference{Type: "ref/resource", URI: approvalURIPrefix + "{approval_id}"}
				assert.Equal(t, []string{id}, complete(t, c, ref, "approval_id", id[:8]).Values)
				var st api.Approval
				require.NoError(t, readResource(t, c, approvalURIPrefix+id, &st))
				assert.Equal(t, id, st.ApprovalID)
				assert.Equal(t, "pending", st.State)
				require.Len(t, st.Events, 1)
				assert.Equal(t, "pending", st.Events[0].To)
				assert.Error(t, readResource(t, c, approvalURIPrefix+"no-such-approval", &st))
			})

			t.Run("review_pending_approvals", func(t *testing.T) {
				p, err := getPrompt(t, c, promptReviewPending, nil)
				require.NoError(t, err)
				text := promptText(t, p)
				assert.Contains(t, text, "https://hooks.example.test/approvals/"+id)
				assert.Contains(t, text, "You cannot approve or reject them")
				assert.Contains(t, text, "webhook-mcp approvals show|approve|reject")
			})

			t.Run("recent events and listings", func(t *testing.T) {
				var recent struct {
					Events []webhook.InboxEvent `json:"events"`
				}
				require.NoError(t, readResource(t, c, recentEventsURI, &recent))
				require.Len(t, recent.Events, 4)
				assert.Equal(t, "beta", recent.Events[0].ClientID, "newest first")
				assert.Equal(t, "acme-corp", recent.Events[3].ClientID)

				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				tmpls, err := c.ListResourceTemplates(ctx, mcp.ListResourceTemplatesRequest{})
				require.NoError(t, err)
				var raw []string
				for _, tm := range tmpls.ResourceTemplates {
					raw = append(raw, tm.URITemplate.Raw())
				}
				assert.Subset(t, raw, []string{graphResourceTemplate, approvalURIPrefix + "{approval_id}"})
				list, err := c.ListResources(ctx, mcp.ListResourcesRequest{})
				require.NoError(t, err)
				var uris []string
				for _, r := range list.Resources {
					uris = append(uris, r.URI)
				}
				assert.Subset(t, uris, []string{recentEventsURI, "kg://clients/acme-corp", "kg://clients/beta"})
				prompts, err := c.ListPrompts(ctx, mcp.ListPromptsRequest{})
				require.NoError(t, err)
				var names []string
				for _, p := range prompts.Prompts {
					names = append(names, p.Name)
				}
				assert.ElementsMatch(t, []string{promptClientBriefing, promptReviewPending}, names)
			})
		})
	}
}

// TestClientsKnownAtStartAreListed seeds the store before the server starts
// and checks that its clients are resources at once.
func TestClientsKnownAtStartAreListed(t *testing.T) {
	t.Parallel()
	e := newDrivenEnv(t, testConfig()) // not started: nothing is listed yet
	postTask(t, e, "early-co", "t-1", "Before start")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.srv.Start(ctx)
	t.Cleanup(e.srv.Shutdown)
	c, err := client.NewInProcessClient(e.srv.MCPServer())
	require.NoError(t, err)
	initialize(t, c)
	list, err := c.ListResources(ctx, mcp.ListResourcesRequest{})
	require.NoError(t, err)
	var uris []string
	for _, r := range list.Resources {
		uris = append(uris, r.URI)
	}
	assert.Contains(t, uris, "kg://clients/early-co")
}
