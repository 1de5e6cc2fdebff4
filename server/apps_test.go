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
)

// appsCaps are the capabilities of a host that renders MCP Apps.
func appsCaps() mcp.ClientCapabilities {
	return mcp.ClientCapabilities{Extensions: map[string]any{
		appsExtension: map[string]any{"mimeTypes": []string{appMIMEType}},
	}}
}

// uiOf returns the tools that carry _meta.ui.resourceUri, by name.
func uiOf(t *testing.T, tools []mcp.Tool) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tl := range tools {
		if tl.Meta == nil {
			continue
		}
		ui, ok := tl.Meta.AdditionalFields["ui"]
		if !ok {
			continue
		}
		b, err := json.Marshal(ui)
		require.NoError(t, err)
		var meta struct {
			ResourceURI string `json:"resourceUri"`
		}
		require.NoError(t, json.Unmarshal(b, &meta))
		out[tl.Name] = meta.ResourceURI
	}
	return out
}

func TestAppsOnlyForClientsThatDeclareThem(t *testing.T) {
	t.Parallel()
	linked := map[string]string{"send_webhook_response": approvalCardURI, "get_approval_status": approvalCardURI,
		"list_approvals": approvalCardURI, "get_client_knowledge_graph": graphViewURI}
	transports := []struct {
		name    string
		connect func(t *testing.T, e *testEnv, opts ...client.ClientOption) *client.Client
	}{
		{"in-process", func(t *testing.T, e *testEnv, opts ...client.ClientOption) *client.Client {
			c, err := client.NewInProcessClient(e.srv.MCPServer())
			require.NoError(t, err)
			for _, o := range opts {
				o(c)
			}
			return c
		}},
		{"streamable-http-2026-07-28", func(t *testing.T, e *testEnv, opts ...client.ClientOption) *client.Client {
			tr, err := transport.NewStreamableHTTP(e.http.URL + "/mcp")
			require.NoError(t, err)
			return client.NewClient(tr, append(opts, client.WithProtocolVersion(mcp.ProtocolVersion20260728))...)
		}},
		{"streamable-http-2025-11-25", func(t *testing.T, e *testEnv, opts ...client.ClientOption) *client.Client {
			tr, err := transport.NewStreamableHTTP(e.http.URL + "/mcp")
			require.NoError(t, err)
			return client.NewClient(tr, append(opts, client.WithProtocolVersion(mcp.ProtocolVersion20251125))...)
		}},
	}
	for _, tc := range transports {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, testConfig())
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()

			host := tc.connect(t, e, client.WithClientCapabilities(appsCaps()))
			res := initialize(t, host)
			assert.Contains(t, res.Capabilities.Extensions, appsExtension, "the server declares the extension")
			list, err := host.ListTools(ctx, mcp.ListToolsRequest{})
			require.NoError(t, err)
			assert.Equal(t, linked, uiOf(t, list.Tools))
			// The filter also runs on tools/call: a linked tool still answers.
			var listed struct{ Approvals []any }
			r := callTool(t, host, "list_approvals", map[string]any{}, &listed)
			assert.False(t, r.IsError, "%v", r.Content)

			plain := tc.connect(t, e)
			initialize(t, plain)
			list, err = plain.ListTools(ctx, mcp.ListToolsRequest{})
			require.NoError(t, err)
			assert.Empty(t, uiOf(t, list.Tools), "a client without the extension sees no _meta.ui")
			for _, tl := range list.Tools {
				if tl.Meta != nil {
					assert.NotContains(t, tl.Meta.AdditionalFields, "ui", tl.Name)
				}
			}
		})
	}
}

func TestRendersApps(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		ext  map[string]any
		want bool
	}{
		"no extensions":         {nil, false},
		"another extension":     {map[string]any{"io.example/other": map[string]any{}}, false},
		"html views":            {map[string]any{appsExtension: map[string]any{"mimeTypes": []any{appMIMEType}}}, true},
		"no mime types listed":  {map[string]any{appsExtension: map[string]any{}}, true},
		"other mime types only": {map[string]any{appsExtension: map[string]any{"mimeTypes": []any{"text/uri-list"}}}, false},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, rendersApps(&mcp.ClientCapabilities{Extensions: tc.ext}))
		})
	}
}

func TestAppResourcesListedAndReadable(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.PublicURL = "https://mcp.example.test"
	e := newTestEnv(t, cfg)
	c, err := client.NewInProcessClient(e.srv.MCPServer())
	require.NoError(t, err)
	initialize(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	list, err := c.ListResources(ctx, mcp.ListResourcesRequest{})
	require.NoError(t, err)
	listed := map[string]string{}
	for _, r := range list.Resources {
		listed[r.URI] = r.MIMEType
	}
	for _, uri := range []string{approvalCardURI, graphViewURI} {
		assert.Equal(t, appMIMEType, listed[uri], uri)
		res, err := c.ReadResource(ctx, mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: uri}})
		require.NoError(t, err, uri)
		require.Len(t, res.Contents, 1)
		body, ok := res.Contents[0].(mcp.TextResourceContents)
		require.True(t, ok)
		assert.Equal(t, appMIMEType, body.MIMEType)
		assert.True(t, strings.HasPrefix(body.Text, "<!DOCTYPE html>"), uri)
		assert.Contains(t, body.Text, `"baseURL":"https://mcp.example.test"`)
		assert.NotContains(t, body.Text, "__CONFIG__")
		assert.NotContains(t, body.Text, "/*BRIDGE*/")
		assert.NotRegexp(t, `(?i)(src|href)\s*=\s*["']?https?:`, body.Text, "nothing is loaded from elsewhere")
		assert.NotRegexp(t, `(?i)<button[^>]*>\s*(approve|reject)|/approve|/reject`, body.Text, "no app decides")
		raw, err := json.Marshal(body.Meta)
		require.NoError(t, err)
		assert.JSONEq(t, `{"ui":{"csp":{"connectDomains":[],"resourceDomains":[],"frameDomains":[],"baseUriDomains":[]},
			"prefersBorder":true}}`, string(raw))
	}
}
