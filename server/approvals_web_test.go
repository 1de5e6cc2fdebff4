package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/approval"
)

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// browser is an HTTP client with a cookie jar that does not follow redirects.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func fetch(t *testing.T, c *http.Client, method, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	require.NoError(t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// signIn signs c in with token and returns the session's CSRF token.
func signIn(t *testing.T, e *testEnv, c *http.Client, token string) string {
	t.Helper()
	resp, body := fetch(t, c, http.MethodGet, e.http.URL+"/approvals/login", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	m := csrfField.FindStringSubmatch(body)
	require.NotNil(t, m, body)
	resp, _ = fetch(t, c, http.MethodPost, e.http.URL+"/approvals/login", url.Values{"csrf": {m[1]}, "token": {token}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/approvals", resp.Header.Get("Location"))
	resp, body = fetch(t, c, http.MethodGet, e.http.URL+"/approvals", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	m = csrfField.FindStringSubmatch(body)
	require.NotNil(t, m)
	return m[1]
}

func TestApprovalsPageRefusesForgedDecisions(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.ApprovalToken = "page-test-token"
	e := newTestEnv(t, cfg)
	c, err := client.NewInProcessClient(e.srv.MCPServer())
	require.NoError(t, err)
	initialize(t, c)
	id := requestApproval(t, c, "http://127.0.0.1:9/never", map[string]any{"a": 1})

	anon := browser(t)
	resp, _ := fetch(t, anon, http.MethodGet, e.http.URL+"/approvals", nil)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "signed-out GET goes to the login page")
	assert.Equal(t, "/approvals/login", resp.Header.Get("Location"))
	assert.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"))
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'")

	// A wrong token does not sign in.
	resp, body := fetch(t, anon, http.MethodGet, e.http.URL+"/approvals/login", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	m := csrfField.FindStringSubmatch(body)
	require.NotNil(t, m)
	resp, _ = fetch(t, anon, http.MethodPost, e.http.URL+"/approvals/login", url.Values{"csrf": {m[1]}, "token": {"nope"}})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, _ = fetch(t, anon, http.MethodPost, e.http.URL+"/approvals/login", url.Values{"token": {cfg.ApprovalToken}})
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "login without CSRF token")

	reviewer := browser(t)
	csrf := signIn(t, e, reviewer, cfg.ApprovalToken)
	for _, c := range reviewer.Jar.Cookies(mustURL(t, e.http.URL+"/approvals")) {
		assert.Equal(t, sessionCookie, c.Name)
	}
	resp, body = fetch(t, reviewer, http.MethodGet, e.http.URL+"/approvals", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, id)

	cases := []struct {
		name   string
		client *http.Client
		form   url.Values
		status int
	}{
		{"no session", browser(t), url.Values{"csrf": {csrf}, "reason": {"forged"}}, http.StatusUnauthorized},
		{"no CSRF token", reviewer, url.Values{"reason": {"forged"}}, http.StatusForbidden},
		{"wrong CSRF token", reviewer, url.Values{"csrf": {csrf + "x"}, "reason": {"forged"}}, http.StatusForbidden},
		{"another session's token", anon, url.Values{"csrf": {csrf}, "reason": {"forged"}}, http.StatusUnauthorized},
	}
	for _, tc := range cases {
		for _, verb := range []string{"approve", "reject"} {
			resp, _ := fetch(t, tc.client, http.MethodPost, e.http.URL+"/approvals/"+id+"/"+verb, tc.form)
			assert.Equal(t, tc.status, resp.StatusCode, "%s %s", tc.name, verb)
		}
	}
	a, evs, err := e.srv.Approvals().Get(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, approval.StatePending, a.State, "nothing changed")
	assert.Len(t, evs, 1)

	// The real form works, and a second decision is a conflict.
	resp, _ = fetch(t, reviewer, http.MethodPost, e.http.URL+"/approvals/"+id+"/reject", url.Values{"csrf": {csrf}, "reason": {"not now"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	a, _, err = e.srv.Approvals().Get(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, approval.StateRejected, a.State)
	assert.Equal(t, "token:approval (web)", a.DecidedBy)
	assert.Equal(t, "not now", a.Reason)
	resp, body = fetch(t, reviewer, http.MethodPost, e.http.URL+"/approvals/"+id+"/approve", url.Values{"csrf": {csrf}})
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	assert.Contains(t, body, "already rejected")
	resp, body = fetch(t, reviewer, http.MethodGet, e.http.URL+"/approvals/history", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "not now")
	resp, _ = fetch(t, reviewer, http.MethodGet, e.http.URL+"/approvals/no-such-id", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = fetch(t, reviewer, http.MethodGet, e.http.URL+"/approvals/static/style.css", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

func TestApprovalNotification(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []map[string]any
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	}))
	t.Cleanup(hook.Close)
	cfg := testConfig()
	cfg.ApprovalNotifyURL = hook.URL
	cfg.PublicURL = "https://approvals.example.com/"
	e := newTestEnv(t, cfg)
	c, err := client.NewInProcessClient(e.srv.MCPServer())
	require.NoError(t, err)
	initialize(t, c)
	id := requestApproval(t, c, "http://127.0.0.1:9/never", map[string]any{"a": 1})
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 1 }, 5*time.Second, 10*time.Millisecond)
	mu.Lock()
	msg := got[0]
	mu.Unlock()
	assert.Equal(t, id, msg["approval_id"])
	assert.Equal(t, "https://approvals.example.com/approvals/"+id, msg["url"])
	assert.Contains(t, msg["text"], "https://approvals.example.com/approvals/"+id)
	assert.Contains(t, msg["text"], "client-123")
}

func TestApprovalNotificationFailureNeverBlocks(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release // hangs until the test ends
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(func() { close(release); hook.Close() })
	cfg := testConfig()
	cfg.ApprovalNotifyURL = hook.URL
	e := newTestEnv(t, cfg)
	c, err := client.NewInProcessClient(e.srv.MCPServer())
	require.NoError(t, err)
	initialize(t, c)
	start := time.Now()
	requestApproval(t, c, "http://127.0.0.1:9/never", map[string]any{"a": 1})
	assert.Less(t, time.Since(start), 2*time.Second, "a hanging notifier does not hold up the request")
}
