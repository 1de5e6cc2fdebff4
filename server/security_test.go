package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/approval"
)

// send makes one request to e with optional headers and returns the status,
// the response headers and the body.
func send(t *testing.T, e *testEnv, method, path, body string, headers map[string]string) (int, http.Header, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.http.URL+path, rd)
	require.NoError(t, err)
	for k, v := range headers {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := e.http.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, string(b)
}

// errorCode is the error code of an error envelope, or "".
func errorCode(body string) string {
	var env api.Envelope
	if json.Unmarshal([]byte(body), &env) != nil || env.Error == nil {
		return ""
	}
	return env.Error.Code
}

// pendingApproval asks for one approval through an in-process MCP client.
func pendingApproval(t *testing.T, e *testEnv) string {
	t.Helper()
	c, err := client.NewInProcessClient(e.srv.MCPServer())
	require.NoError(t, err)
	initialize(t, c)
	rcv, _ := newReceiver(t)
	return requestApproval(t, c, rcv.URL, map[string]any{"ok": true})
}

func stateOf(t *testing.T, e *testEnv, id string) approval.State {
	t.Helper()
	a, _, err := e.srv.Approvals().Get(context.Background(), id)
	require.NoError(t, err)
	return a.State
}

func TestGeneratedApprovalTokenTrustsNoPeer(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.ApprovalToken, cfg.DataDir = "", t.TempDir()
	e := newTestEnv(t, cfg)
	tok := e.srv.cfg.ApprovalToken
	require.Len(t, tok, 43, "32 random bytes, base64url")
	st, err := os.Stat(filepath.Join(cfg.DataDir, ApprovalTokenFileName))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	again, err := New(cfg, Deps{Store: e.store, Logger: slog.New(slog.DiscardHandler), Version: "test"})
	require.NoError(t, err)
	assert.Equal(t, tok, again.cfg.ApprovalToken, "the token is reused on restart")

	// Loopback is not enough: every reviewer route wants the token.
	for _, path := range []string{"/api/approvals", "/api/deliveries", "/api/clients/c/graph"} {
		code, _, body := send(t, e, http.MethodGet, path, "", nil)
		assert.Equal(t, http.StatusUnauthorized, code, path)
		assert.Equal(t, "unauthorized", errorCode(body), path)
		code, _, _ = send(t, e, http.MethodGet, path, "", map[string]string{"Authorization": "Bearer " + tok})
		assert.Equal(t, http.StatusOK, code, path)
	}
	page := browser(t)
	resp, _ := fetch(t, page, http.MethodGet, e.http.URL+"/approvals", nil)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/approvals/login", resp.Header.Get("Location"))

	// The one-time link printed at start signs a browser in, once.
	e.srv.logSignInLink(&net.TCPAddr{IP: net.IPv4zero, Port: 8123})
	m := regexp.MustCompile(`url="?(http://127\.0\.0\.1:8123/approvals/login\?code=[\w-]+)`).FindStringSubmatch(e.logText())
	require.NotNil(t, m, "logs: %s", e.logText())
	assert.NotContains(t, e.logText(), tok, "the token itself is never logged")
	link, err := url.Parse(m[1])
	require.NoError(t, err)
	resp, _ = fetch(t, page, http.MethodGet, e.http.URL+link.RequestURI(), nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/approvals", resp.Header.Get("Location"))
	resp, body := fetch(t, page, http.MethodGet, e.http.URL+"/approvals", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "Pending")

	other := browser(t)
	resp, body = fetch(t, other, http.MethodGet, e.http.URL+link.RequestURI(), nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "a used link shows the sign-in form")
	assert.Contains(t, body, "already used")
	resp, _ = fetch(t, other, http.MethodGet, e.http.URL+"/approvals", nil)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
}

func TestApprovalTokenFile(t *testing.T) {
	t.Parallel()
	t.Run("loose mode is narrowed, content kept", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(ApprovalTokenFile(dir), []byte("kept-token\n"), 0o644))
		tok, created, err := LoadOrCreateApprovalToken(dir)
		require.NoError(t, err)
		assert.False(t, created)
		assert.Equal(t, "kept-token", tok)
		st, err := os.Stat(ApprovalTokenFile(dir))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	})
	t.Run("empty file is replaced", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(ApprovalTokenFile(dir), nil, 0o600))
		tok, created, err := LoadOrCreateApprovalToken(dir)
		require.NoError(t, err)
		assert.True(t, created)
		assert.Len(t, tok, 43)
		got, err := ReadApprovalTokenFile(dir)
		require.NoError(t, err)
		assert.Equal(t, tok, got)
	})
	t.Run("missing data dir is created", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "a", "b")
		tok, created, err := LoadOrCreateApprovalToken(dir)
		require.NoError(t, err)
		assert.True(t, created)
		assert.NotEmpty(t, tok)
	})
	t.Run("one-time code", func(t *testing.T) {
		t.Parallel()
		now := time.Now()
		c := newSignInCode(now)
		code := c.value(now)
		assert.False(t, c.redeem("wrong", now))
		assert.False(t, c.redeem(code, now.Add(signInLinkTTL)), "expired")
		assert.True(t, c.redeem(code, now))
		assert.False(t, c.redeem(code, now), "used up")
		assert.Empty(t, c.value(now))
	})
}

func TestHostCheckedOnEveryRoute(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.PublicURL = "https://hooks.example.com"
	cfg.AllowedHosts = []string{"alias.example.net"}
	e := newTestEnv(t, cfg)
	routes := []struct{ method, path, body string }{
		{http.MethodGet, "/healthz", ""},
		{http.MethodGet, "/api/status", ""},
		{http.MethodGet, "/metrics", ""},
		{http.MethodPost, webhookPath, `{"client_id":"h","task":{"id":"t"}}`},
		{http.MethodGet, "/api/approvals", ""},
		{http.MethodGet, "/approvals/login", ""},
		{http.MethodPost, "/mcp", `{"jsonrpc":"2.0","id":1,"method":"ping"}`},
		{http.MethodGet, "/no-such-page", ""},
	}
	for _, rt := range routes {
		for _, host := range []string{"evil.example", "evil.example:8000", "hooks.example.com.evil.example", "10.9.9.9"} {
			code, h, body := send(t, e, rt.method, rt.path, rt.body, map[string]string{"Host": host, "Content-Type": "application/json"})
			assert.Equal(t, http.StatusForbidden, code, "%s %s Host %s", rt.method, rt.path, host)
			assert.Equal(t, "forbidden", errorCode(body), "%s Host %s", rt.path, host)
			assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
		}
		for _, host := range []string{"localhost:8000", "127.0.0.1", "[::1]:9", "hooks.example.com", "ALIAS.example.net:8443"} {
			code, _, _ := send(t, e, rt.method, rt.path, rt.body, map[string]string{"Host": host, "Content-Type": "application/json"})
			assert.NotEqual(t, http.StatusForbidden, code, "%s %s Host %s", rt.method, rt.path, host)
		}
	}

	// The address a connection arrived on is this server's too.
	onListener := func(p originPolicy, host string) bool {
		req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		req.Host = host
		local := &net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 8000}
		return p.hostAllowed(req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, local)))
	}
	def := newOriginPolicy(testConfig())
	assert.True(t, onListener(def, "10.1.2.3:8000"))
	assert.True(t, onListener(def, "10.1.2.3"))
	assert.False(t, onListener(def, "10.1.2.4:8000"))
	assert.False(t, onListener(def, "rebind.example:8000"))
	open := testConfig()
	open.AllowedHosts = []string{"*"}
	assert.True(t, onListener(newOriginPolicy(open), "anything.example"))
}

func TestCrossSiteWritesRefused(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, testConfig())
	id := pendingApproval(t, e)
	path := "/api/approvals/" + id + "/approve"
	self := "http://" + strings.TrimPrefix(e.http.URL, "http://")
	auth := "Bearer " + testApprovalToken
	cases := []struct {
		name    string
		headers map[string]string
		status  int
		code    string
	}{
		{"cross-site text/plain without token", map[string]string{"Origin": "https://evil.example", "Content-Type": "text/plain"},
			http.StatusForbidden, "forbidden"},
		{"cross-site JSON even with the token", map[string]string{"Origin": "https://evil.example", "Content-Type": "application/json",
			"Authorization": auth}, http.StatusForbidden, "forbidden"},
		{"Origin null", map[string]string{"Origin": "null", "Content-Type": "application/json", "Authorization": auth},
			http.StatusForbidden, "forbidden"},
		{"text/plain with the token", map[string]string{"Content-Type": "text/plain", "Authorization": auth},
			http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{"form with the token", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": auth},
			http.StatusUnsupportedMediaType, "unsupported_media_type"},
		{"rebinding Host with the token", map[string]string{"Host": "rebind.evil.example:8000", "Content-Type": "application/json",
			"Authorization": auth}, http.StatusForbidden, "forbidden"},
	}
	for _, tc := range cases {
		code, _, body := send(t, e, http.MethodPost, path, `{"reason":"x"}`, tc.headers)
		assert.Equal(t, tc.status, code, tc.name)
		assert.Equal(t, tc.code, errorCode(body), tc.name)
		assert.Equal(t, approval.StatePending, stateOf(t, e, id), tc.name)
	}
	code, _, body := send(t, e, http.MethodPost, "/api/deliveries/"+id+"/retry", "", map[string]string{"Authorization": auth})
	assert.Equal(t, http.StatusUnsupportedMediaType, code, body)

	// The page's forms: a cross-site Origin is refused even with a session.
	page := browser(t)
	csrf := signIn(t, e, page, testApprovalToken)
	req, err := http.NewRequest(http.MethodPost, e.http.URL+"/approvals/"+id+"/approve", strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := page.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Equal(t, approval.StatePending, stateOf(t, e, id))

	// Same origin, JSON, token: decided.
	code, _, body = send(t, e, http.MethodPost, path, `{"reason":"checked"}`,
		map[string]string{"Origin": self, "Content-Type": "application/json; charset=utf-8", "Authorization": auth})
	require.Equal(t, http.StatusOK, code, body)
	assert.NotEqual(t, approval.StatePending, stateOf(t, e, id))
}

func TestNosniffOnEveryResponse(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, testConfig())
	for _, rt := range []struct{ method, path string }{
		{http.MethodGet, "/healthz"}, {http.MethodGet, "/no-such-page"}, {http.MethodGet, "/approvals/login"},
		{http.MethodGet, "/approvals/static/style.css"}, {http.MethodGet, "/metrics"}, {http.MethodPut, "/healthz"},
		{http.MethodPost, "/mcp"}, {http.MethodGet, "/api/approvals"}, {http.MethodGet, webhookPath},
	} {
		_, h, _ := send(t, e, rt.method, rt.path, "", nil)
		assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"), "%s %s", rt.method, rt.path)
	}
}
