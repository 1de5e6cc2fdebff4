package server

import (
	"context"
	"encoding/json"
	"flag"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/mark3labs/mcp-go/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chromiumPath finds Debian's chromium (installed by .ci/run). Without it the
// browser tests skip on a developer's machine and fail in CI (CI=true), where a
// skip would hide that the reviewer page went untested.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const msg = "no chromium binary found: install Debian's chromium (apt-get install -y chromium) to run the browser tests"
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatal(msg + " (CI is set: the browser tests must run)")
	}
	t.Skip(msg)
	return ""
}

// newBrowser starts headless chromium for one test.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.NoFirstRun, chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(430, 932))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// browserSetup starts a server with a token, a receiver, an MCP client and a
// signed-in browser on the pending list, with one request created by a tool call.
func browserSetup(t *testing.T) (*testEnv, *recorder, *client.Client, context.Context, string, map[string]any) {
	cfg := testConfig()
	cfg.ApprovalToken = "browser-test-token"
	e := newDrivenEnv(t, cfg)
	rec := &recorder{}
	rcv := httptest.NewServer(rec)
	t.Cleanup(rcv.Close)
	ctx := newBrowser(t)
	c, err := client.NewInProcessClient(e.srv.MCPServer())
	require.NoError(t, err)
	initialize(t, c)
	data := map[string]any{"client_id": "client-123", "status": "onboarded", "next_call": "2026-02-01"}
	id := requestApproval(t, c, rcv.URL+"/hooks/make", data)

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(e.http.URL+"/approvals"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), cfg.ApprovalToken),
		chromedp.Click(chromedp.CSS("#sign-in")),
		chromedp.WaitVisible(chromedp.CSS("#pending")),
	))
	list, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#pending")))
	require.NoError(t, err)
	assert.Contains(t, list, "client-123")
	assert.Contains(t, list, rcv.URL+"/hooks/make")
	assert.Contains(t, list, "mcp-client:webhook-mcp-test")
	return e, rec, c, ctx, id, data
}

var screenshot = flag.Bool("screenshot", false, "rewrite docs/approvals.png from the browser test")

func TestBrowserApproveDelivers(t *testing.T) {
	t.Parallel()
	e, rec, c, ctx, id, data := browserSetup(t)
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NotEmpty(t, shot)
	// The README's screenshot is refreshed on request only, so a test run never
	// changes tracked files: go test ./server -run Browser -screenshot
	if *screenshot {
		require.NoError(t, os.WriteFile(filepath.Join("..", "docs", "approvals.png"), shot, 0o644))
	}

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`a.button[href="/approvals/`+id+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#payload")),
	))
	payload, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#payload")))
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#approve-reason"), "checked with the account manager"),
		chromedp.Click(chromedp.CSS("#approve")),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	))
	state, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#state")))
	require.NoError(t, err)
	assert.Contains(t, payload, `"status": "onboarded"`)
	assert.Contains(t, []string{"approved", "delivering"}, strings.TrimSpace(state))

	require.Equal(t, 1, e.runWorker(t))
	st := waitState(t, c, id, "delivered")
	assert.Equal(t, "token:approval (web)", st.DecidedBy)
	assert.Equal(t, "checked with the account manager", st.Reason)
	got := rec.received()
	require.Len(t, got, 1)
	var sent map[string]any
	require.NoError(t, json.Unmarshal(got[0], &sent))
	assert.Equal(t, data, sent)
}

func TestBrowserRejectSendsNothing(t *testing.T) {
	t.Parallel()
	e, rec, c, ctx, id, _ := browserSetup(t)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(e.http.URL+"/approvals/"+id),
		chromedp.WaitVisible(chromedp.CSS("#reject")),
		chromedp.SendKeys(chromedp.CSS("#reject-reason"), "wrong client"),
		chromedp.Click(chromedp.CSS("#reject")),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	))
	st := waitState(t, c, id, "rejected")
	assert.Equal(t, "token:approval (web)", st.DecidedBy)
	assert.Equal(t, "wrong client", st.Reason)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(e.http.URL+"/approvals/history"),
		chromedp.WaitVisible(chromedp.CSS("#history")),
	))
	history, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#history")))
	require.NoError(t, err)
	assert.Contains(t, history, "wrong client")
	assert.Contains(t, history, "not sent")
	e.assertNothingDue(t)
	assert.Empty(t, rec.received())
}
