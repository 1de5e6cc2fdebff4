package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
)

// appHostPage is a minimal MCP Apps host: it loads a view's HTML into a
// frame under the CSP the specification builds from _meta.ui.csp, answers
// ui/initialize, sends the tool's input and result, answers tools/call from
// canned results and records the links the view asks to open.
const appHostPage = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>host</title></head>
<body><script type="application/json" id="setup">%s</script>
<script>
const setup = JSON.parse(document.getElementById("setup").textContent);
window.openedLinks = [];
window.toolCalls = [];
// A real host also sandboxes the frame; this one leaves it same-origin and
// unsandboxed so that the test can read the view's document.
const frame = document.createElement("iframe");
frame.style.width = "760px";
frame.style.height = "900px";
frame.srcdoc = setup.html;
const send = (msg) => frame.contentWindow.postMessage(Object.assign({ jsonrpc: "2.0" }, msg), "*");
window.addEventListener("message", (ev) => {
  if (ev.source !== frame.contentWindow) return;
  const m = ev.data;
  switch (m.method) {
  case "ui/initialize":
    send({ id: m.id, result: { protocolVersion: "2026-01-26", hostInfo: { name: "test-host", version: "1" },
      hostCapabilities: { openLinks: {}, serverTools: {} },
      hostContext: { theme: "light", displayMode: "inline", styles: { variables: { "--font-sans": "sans-serif" } } } } });
    break;
  case "ui/notifications/initialized":
    send({ method: "ui/notifications/tool-input", params: { arguments: setup.input } });
    send({ method: "ui/notifications/tool-result", params: setup.result });
    break;
  case "tools/call":
    window.toolCalls.push(m.params.name);
    if (setup.calls[m.params.name]) send({ id: m.id, result: setup.calls[m.params.name] });
    else send({ id: m.id, error: { code: -32601, message: "no such tool in this test" } });
    break;
  case "ui/open-link":
    window.openedLinks.push(m.params.url);
    send({ id: m.id, result: {} });
    break;
  }
});
document.body.append(frame);
</script></body></html>`

// hostCSP is the Content-Security-Policy the MCP Apps specification has a host
// build from a view's _meta.ui.csp; the view's frame inherits it.
func hostCSP(t *testing.T, meta map[string]any) string {
	t.Helper()
	var m struct {
		UI struct {
			CSP struct {
				Connect  []string `json:"connectDomains"`
				Resource []string `json:"resourceDomains"`
				Frame    []string `json:"frameDomains"`
				BaseURI  []string `json:"baseUriDomains"`
			} `json:"csp"`
		} `json:"ui"`
	}
	b, err := json.Marshal(meta)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &m))
	c := m.UI.CSP
	or := func(list []string, def string) string {
		if len(list) == 0 {
			return def
		}
		return strings.Join(list, " ")
	}
	res := strings.Join(c.Resource, " ")
	return fmt.Sprintf("default-src 'none'; script-src 'self' 'unsafe-inline' %s; style-src 'self' 'unsafe-inline' %s; "+
		"connect-src 'self' %s; img-src 'self' data: %s; font-src 'self' %s; media-src 'self' data: %s; "+
		"frame-src %s; object-src 'none'; base-uri %s", res, res, strings.Join(c.Connect, " "), res, res, res,
		or(c.Frame, "'none'"), or(c.BaseURI, "'self'"))
}

// consoleErrors collects every console error, uncaught exception and
// browser log error (CSP violations, failed loads) of a tab.
type consoleErrors struct {
	mu   sync.Mutex
	msgs []string
}

func (c *consoleErrors) listen(t *testing.T, ctx context.Context) {
	t.Helper()
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				for _, a := range ev.Args {
					msg += string(a.Value) + a.Description + " "
				}
			}
		case *runtime.EventExceptionThrown:
			msg = ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				msg += " " + ev.ExceptionDetails.Exception.Description
			}
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
				msg = string(ev.Entry.Source) + ": " + ev.Entry.Text
			}
		}
		if msg != "" {
			c.mu.Lock()
			c.msgs = append(c.msgs, msg)
			c.mu.Unlock()
		}
	}))
}

func (c *consoleErrors) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.msgs...)
}

// appRun is one view rendered in the browser with a tool's input and result.
type appRun struct {
	uri    string
	input  map[string]any
	result *mcp.CallToolResult
	calls  map[string]*mcp.CallToolResult
}

// renderApp reads the view over MCP, serves it from the test host and opens
// it in a fresh tab; it returns the tab and its console errors.
func renderAppInBrowser(t *testing.T, browser context.Context, c *client.Client, run appRun) (context.Context, *consoleErrors) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := c.ReadResource(ctx, mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: run.uri}})
	require.NoError(t, err)
	body := res.Contents[0].(mcp.TextResourceContents)
	setup, err := json.Marshal(map[string]any{"html": body.Text, "input": run.input, "result": run.result, "calls": run.calls})
	require.NoError(t, err)
	page := fmt.Sprintf(appHostPage, strings.ReplaceAll(string(setup), "</", `<\/`))
	csp := hostCSP(t, body.Meta)
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	}))
	t.Cleanup(host.Close)

	tab, closeTab := chromedp.NewContext(browser)
	t.Cleanup(closeTab)
	errs := &consoleErrors{}
	errs.listen(t, tab) // chromedp enables the Runtime and Log domains of every tab
	require.NoError(t, chromedp.Do(tab, chromedp.Navigate(host.URL)))
	return tab, errs
}

// inFrame evaluates a JavaScript expression against the view's document.
func inFrame(expr string) string {
	return `(() => { const doc = document.querySelector("iframe").contentDocument; return (` + expr + `); })()`
}

// call calls a tool and returns its result as a host would pass it on.
func call(t *testing.T, c *client.Client, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	res := callTool(t, c, name, args, nil)
	require.False(t, res.IsError, "%v", res.Content)
	return res
}

func TestAppsRenderInChromium(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.PublicURL = "https://mcp.example.test"
	e := newTestEnv(t, cfg)
	browser := newBrowser(t)
	require.NoError(t, chromedp.Do(browser), "start the browser; each view opens in a tab of it")
	resp, _ := e.post(t, seedPath, testkit.Fixture(t, "clickup_task_full.json"), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	// A hostile label must show as text, never run.
	resp, _ = e.post(t, seedPath, []byte(`{"client_id":"client-123","task":{"id":"x1",`+
		`"name":"<img src=x onerror=\"console.error('xss')\">"}}`), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	c, err := client.NewInProcessClient(e.srv.MCPServer())
	require.NoError(t, err)
	initialize(t, c)
	rcv, _ := newReceiver(t)

	sendArgs := map[string]any{"response_url": rcv.URL + "/hook", "response_data": map[string]any{"deck": "ready"},
		"client_id": "client-123"}
	sent := call(t, c, "send_webhook_response", sendArgs)
	var pending struct {
		ApprovalID string `json:"approval_id"`
	}
	require.NoError(t, json.Unmarshal([]byte(sent.Content[0].(mcp.TextContent).Text), &pending))
	status := call(t, c, "get_approval_status", map[string]any{"approval_id": pending.ApprovalID})
	listed := call(t, c, "list_approvals", map[string]any{})
	graphRes := call(t, c, "get_client_knowledge_graph", map[string]any{"client_id": "client-123"})
	reviewURL := "https://mcp.example.test/approvals/" + pending.ApprovalID
	statusCalls := map[string]*mcp.CallToolResult{"get_approval_status": status}

	for _, tc := range []struct {
		name string
		run  appRun
	}{
		{"send_webhook_response", appRun{approvalCardURI, sendArgs, sent, statusCalls}},
		{"get_approval_status", appRun{approvalCardURI, map[string]any{"approval_id": pending.ApprovalID}, status, statusCalls}},
		{"list_approvals", appRun{approvalCardURI, map[string]any{}, listed, statusCalls}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab, errs := renderAppInBrowser(t, browser, c, tc.run)
			card, err := chromedp.Run(tab, chromedp.Poll[string](inFrame(`doc && doc.querySelector("section.card") && `+
				`doc.querySelector("dd") && doc.querySelector("section.card").innerText`), chromedp.WithPollingTimeout(20*time.Second)))
			require.NoError(t, err, "console: %v", errs.list())
			assert.Contains(t, card, "PENDING")
			assert.Contains(t, card, rcv.URL+"/hook", "where it will be sent")
			assert.Contains(t, card, "client-123")
			assert.Regexp(t, `\d+ min left|\d+ s left`, card)
			assert.NotRegexp(t, `(?i)\bapprove\b|\breject\b`, buttonsText(t, tab), "no app decides")
			// The reviewer link goes through the host.
			_, err = chromedp.Run(tab, chromedp.Evaluate[bool](inFrame(`(doc.querySelector("a.review").click(), true)`)))
			require.NoError(t, err)
			opened, err := chromedp.Run(tab, chromedp.Poll[[]string](`window.openedLinks.length > 0 && window.openedLinks`,
				chromedp.WithPollingTimeout(10*time.Second)))
			require.NoError(t, err)
			assert.Equal(t, []string{reviewURL}, opened)
			if tc.name == "send_webhook_response" {
				who, err := chromedp.Run(tab, chromedp.Poll[string](inFrame(`doc.querySelector("section.card").innerText.includes("mcp-client:") && `+
					`doc.querySelector("section.card").innerText`), chromedp.WithPollingTimeout(10*time.Second)))
				require.NoError(t, err, "the card reads the full request with get_approval_status")
				assert.Contains(t, who, "mcp-client:webhook-mcp-test")
				assert.Contains(t, who, `"deck": "ready"`, "the data that will be sent")
			}
			assert.Empty(t, errs.list())
		})
	}

	t.Run("get_client_knowledge_graph", func(t *testing.T) {
		tab, errs := renderAppInBrowser(t, browser, c, appRun{uri: graphViewURI,
			input: map[string]any{"client_id": "client-123"}, result: graphRes})
		n, err := chromedp.Run(tab, chromedp.Poll[int](inFrame(`doc && doc.querySelectorAll("g.node").length`),
			chromedp.WithPollingTimeout(20*time.Second)))
		require.NoError(t, err, "console: %v", errs.list())
		var g struct {
			Nodes []struct{ Type string } `json:"nodes"`
		}
		require.NoError(t, json.Unmarshal([]byte(graphRes.Content[0].(mcp.TextContent).Text), &g))
		assert.Equal(t, len(g.Nodes), n, "every node drawn")
		persons := 0
		for _, node := range g.Nodes {
			if node.Type == "person" {
				persons++
			}
		}
		require.NotZero(t, persons)

		// Click a task: its properties show.
		details, err := chromedp.Run(tab, chromedp.Evaluate[string](inFrame(
			`(doc.querySelector('g.node[data-id="task:86b2x7k4q"]').dispatchEvent(new MouseEvent("click", {bubbles: true})), `+
				`doc.getElementById("details").innerText)`)))
		require.NoError(t, err)
		assert.Contains(t, details, "Prepare Q3 onboarding deck for Northwind")
		assert.Contains(t, details, "ASSIGNED_TO person:48210357")
		// Hide people: fewer nodes.
		left, err := chromedp.Run(tab, chromedp.Evaluate[int](inFrame(
			`(doc.querySelector('#types input[value="person"]').click(), doc.querySelectorAll("g.node").length)`)))
		require.NoError(t, err)
		assert.Equal(t, len(g.Nodes)-persons, left)
		// The hostile label is text, in the drawing and in the details.
		label, err := chromedp.Run(tab, chromedp.Evaluate[string](inFrame(
			`(doc.querySelector('g.node[data-id="task:x1"]').dispatchEvent(new MouseEvent("click", {bubbles: true})), `+
				`doc.querySelector('g.node[data-id="task:x1"] text').textContent + doc.querySelector("#details h3").textContent)`)))
		require.NoError(t, err)
		assert.Equal(t, 2, strings.Count(label, "<img src=x"), label)
		imgs, err := chromedp.Run(tab, chromedp.Evaluate[int](inFrame(`doc.querySelectorAll("img").length`)))
		require.NoError(t, err)
		assert.Zero(t, imgs)
		assert.Empty(t, errs.list())
	})
}

// buttonsText is the text of every button in the view.
func buttonsText(t *testing.T, tab context.Context) string {
	t.Helper()
	s, err := chromedp.Run(tab, chromedp.Evaluate[string](inFrame(
		`[...doc.querySelectorAll("button, input[type=submit]")].map((b) => b.innerText || b.value).join(" ")`)))
	require.NoError(t, err)
	return s
}
