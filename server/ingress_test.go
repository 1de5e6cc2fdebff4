package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

const webhookPath = "/api/webhook/make.com/chatgpt-clients"

// TestWebhookAuthSchemes sends each scheme's valid and wrong requests through
// the endpoint: valid is 200; tampered body, wrong secret, stale and future
// timestamps and missing header are 401; rotated secrets verify; nothing
// refused is recorded as processed.
func TestWebhookAuthSchemes(t *testing.T) {
	t.Parallel()
	oldSecret, newSecret := "old-hmac-secret", "whsec_"+base64.StdEncoding.EncodeToString([]byte("new-standard-secret"))
	cfg := testConfig()
	cfg.MakeComWebhookSecret = []string{oldSecret, newSecret}
	cfg.MakeComWebhookAPIKey = []string{"api-key-old", "api-key-new"}
	now := time.Now()
	newKey, err := webhook.DecodeSecret(newSecret)
	require.NoError(t, err)

	type req struct {
		body    string
		headers map[string]string
	}
	body := func(i int) string { return fmt.Sprintf(`{"client_id":"c-%d","task":{"id":"t-%d"}}`, i, i) }
	standard := func(i int, key []byte, ts time.Time, tamper bool) req {
		b := body(i)
		h := map[string]string{"webhook-id": "msg_" + strconv.Itoa(i), "webhook-timestamp": strconv.FormatInt(ts.Unix(), 10),
			"webhook-signature": webhook.SignStandard(key, "msg_"+strconv.Itoa(i), ts, []byte(b))}
		if tamper {
			b = strings.Replace(b, "t-", "T-", 1)
		}
		return req{b, h}
	}
	hmacReq := func(i int, header, secret string, tamper bool) req {
		b := body(i)
		h := map[string]string{header: "sha256=" + signHex(secret, []byte(b))}
		if tamper {
			b += " "
		}
		return req{b, h}
	}
	cases := []struct {
		name   string
		req    req
		status int
	}{
		{"hmac valid", hmacReq(1, "X-Webhook-Signature", oldSecret, false), 200},
		{"hmac rotated secret", hmacReq(2, "X-Hub-Signature-256", newSecret, false), 200},
		{"hmac tampered body", hmacReq(3, "X-Webhook-Signature", oldSecret, true), 401},
		{"hmac wrong secret", hmacReq(4, "X-Signature", "wrong", false), 401},
		{"standard valid", standard(5, newKey, now, false), 200},
		{"standard rotated secret", standard(6, []byte(oldSecret), now, false), 200},
		{"standard tampered body", standard(7, newKey, now, true), 401},
		{"standard wrong secret", standard(8, []byte("wrong"), now, false), 401},
		{"standard stale", standard(9, newKey, now.Add(-10*time.Minute), false), 401},
		{"standard future", standard(10, newKey, now.Add(10*time.Minute), false), 401},
		{"api key valid", req{body(11), map[string]string{"X-API-Key": "api-key-old"}}, 200},
		{"api key rotated bearer", req{body(12), map[string]string{"Authorization": "Bearer api-key-new"}}, 200},
		{"api key wrong", req{body(13), map[string]string{"X-API-Key": "api-key-nope"}}, 401},
		{"missing header", req{body(14), nil}, 401},
	}
	e := newTestEnv(t, cfg)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, env := e.post(t, webhookPath, []byte(tc.req.body), tc.req.headers)
			assert.Equal(t, tc.status, resp.StatusCode, "%+v", env.Error)
			if tc.status == 401 {
				require.NotNil(t, env.Error)
				assert.Equal(t, api.CodeInvalidSignature, env.Error.Code)
				evs, err := e.store.ListEvents(context.Background(), webhook.EventFilter{ClientID: clientOf(tc.req.body)})
				require.NoError(t, err)
				assert.Empty(t, evs, "a refused webhook leaves no inbox row")
			}
		})
	}
	t.Run("reasons", func(t *testing.T) {
		_, env := e.post(t, webhookPath, []byte(body(20)), standard(20, newKey, now.Add(-time.Hour), false).headers)
		require.NotNil(t, env.Error)
		assert.Contains(t, env.Error.Message, "stale")
		_, env = e.post(t, webhookPath, []byte(body(21)), standard(21, newKey, now.Add(time.Hour), false).headers)
		require.NotNil(t, env.Error)
		assert.Contains(t, env.Error.Message, "future")
	})
	processed, err := e.store.ListEvents(context.Background(), webhook.EventFilter{State: webhook.StateProcessed})
	require.NoError(t, err)
	assert.Len(t, processed, 6, "exactly the valid requests were processed")
}

func clientOf(body string) string {
	_, rest, _ := strings.Cut(body, `"client_id":"`)
	id, _, _ := strings.Cut(rest, `"`)
	return id
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	post := func(e *testEnv, i int, remote string) *http.Response {
		req, err := http.NewRequest(http.MethodPost, e.http.URL+webhookPath,
			strings.NewReader(fmt.Sprintf(`{"client_id":"rl","task":{"id":"t%d"}}`, i)))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", remote)
		resp, err := e.http.Client().Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	t.Run("per ip", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig()
		cfg.RateLimitPerIP = 0.001 // burst 1, refills in 1000 s: deterministic
		cfg.TrustProxyHeaders = true
		e := newTestEnv(t, cfg)
		assert.Equal(t, 200, post(e, 1, "203.0.113.1").StatusCode)
		resp := post(e, 2, "203.0.113.1")
		assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
		retry, err := strconv.Atoi(resp.Header.Get("Retry-After"))
		require.NoError(t, err)
		assert.Greater(t, retry, 900)
		assert.Equal(t, 200, post(e, 3, "203.0.113.2").StatusCode, "another IP has its own bucket")
		assert.Contains(t, scrape(t, e), `webhookmcp_rate_limited_total{scope="ip"} 1`)
	})
	t.Run("per source", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig()
		cfg.RateLimitPerSource = 1 // burst 2
		cfg.TrustProxyHeaders = true
		e := newTestEnv(t, cfg)
		codes := []int{post(e, 1, "198.51.100.1").StatusCode, post(e, 2, "198.51.100.2").StatusCode,
			post(e, 3, "198.51.100.3").StatusCode, post(e, 4, "198.51.100.4").StatusCode}
		assert.Contains(t, codes, http.StatusTooManyRequests, "%v", codes)
		assert.Equal(t, 200, codes[0])
		_, env := e.post(t, webhookPath, []byte(`{"client_id":"rl","task":{"id":"t9"}}`), nil)
		if env.Error != nil {
			assert.Equal(t, api.CodeRateLimited, env.Error.Code)
		}
	})
	t.Run("disabled", func(t *testing.T) {
		t.Parallel()
		e := newTestEnv(t, testConfig()) // 0: no limits
		for i := range 30 {
			require.Equal(t, 200, post(e, i, "192.0.2.1").StatusCode)
		}
	})
}

func TestLimiterSetIsBounded(t *testing.T) {
	t.Parallel()
	l := newLimiterSet(1, 100)
	now := time.Unix(1000, 0)
	for i := range 1000 {
		ok, _ := l.allow("ip-"+strconv.Itoa(i), now)
		require.True(t, ok)
	}
	assert.LessOrEqual(t, l.size(), 100)
	ok, wait := l.allow("ip-999", now)
	ok2, wait2 := l.allow("ip-999", now)
	assert.True(t, ok)
	assert.False(t, ok2)
	assert.Zero(t, wait)
	assert.Equal(t, time.Second, wait2)
	// Idle buckets are evicted first once they have refilled.
	later := now.Add(time.Hour)
	for i := range 100 {
		l.allow("new-"+strconv.Itoa(i), later)
	}
	assert.LessOrEqual(t, l.size(), 100)
}

func TestPayloadLimitsOverHTTP(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, testConfig())
	deep := `{"client_id":"d","x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`
	long := `{"client_id":"d","x":[` + strings.TrimSuffix(strings.Repeat("0,", webhook.MaxArrayLength+1), ",") + `]}`
	for name, body := range map[string]string{"deep": deep, "long array": long, "invalid utf-8": "{\"client_id\":\"\xff\xfe\"}"} {
		resp, env := e.post(t, webhookPath, []byte(body), nil)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, name)
		require.NotNil(t, env.Error, name)
		assert.Equal(t, api.CodeInvalidPayload, env.Error.Code, name)
	}
}

func TestOriginAndHostChecks(t *testing.T) {
	t.Parallel()
	initialize := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	send := func(e *testEnv, origin, host string) int {
		req, err := http.NewRequest(http.MethodPost, e.http.URL+"/mcp", strings.NewReader(initialize))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if host != "" {
			req.Host = host
		}
		resp, err := e.http.Client().Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	def := newTestEnv(t, testConfig())
	assert.Equal(t, 200, send(def, "", ""), "no Origin: not a browser")
	assert.Equal(t, 200, send(def, "http://localhost:6274", ""), "loopback origin, any port")
	assert.Equal(t, 200, send(def, "http://127.0.0.1", ""))
	assert.Equal(t, 403, send(def, "https://evil.example", ""))
	assert.Equal(t, 403, send(def, "http://localhost.evil.example", ""))
	assert.Equal(t, 403, send(def, "null", ""))
	assert.Equal(t, 403, send(def, "", "evil.example"), "DNS rebinding: foreign Host on loopback")

	cfg := testConfig()
	cfg.PublicURL = "https://hooks.example.com"
	cfg.AllowedOrigins = []string{"https://app.example.com"}
	proxied := newTestEnv(t, cfg)
	assert.Equal(t, 200, send(proxied, "", "hooks.example.com"), "reverse proxy keeping the public Host")
	assert.Equal(t, 200, send(proxied, "https://hooks.example.com", "hooks.example.com"))
	assert.Equal(t, 200, send(proxied, "https://app.example.com", ""))
	assert.Equal(t, 403, send(proxied, "http://localhost:3000", ""), "ALLOWED_ORIGINS replaces the loopback default")
	assert.Equal(t, 403, send(proxied, "", "other.example.com"))
}

func TestRequestIDAndReadiness(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, testConfig())
	req, err := http.NewRequest(http.MethodPost, e.http.URL+webhookPath, strings.NewReader(`{"client_id":"rid","task":{"id":"t1"}}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-ID", "trace-abc-123")
	resp, err := e.http.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "trace-abc-123", resp.Header.Get("X-Request-ID"))
	assert.Contains(t, e.logText(), "request_id=trace-abc-123")
	assert.Regexp(t, `request_id=trace-abc-123[^\n]*webhook_id=|webhook_id=[^\n]*request_id=trace-abc-123`, e.logText(),
		"a log line carries both ids")

	for _, bad := range []string{strings.Repeat("x", 129), "has space", "tab\there"} {
		req, _ := http.NewRequest(http.MethodGet, e.http.URL+"/healthz", nil)
		req.Header.Set("X-Request-ID", bad)
		resp, err := e.http.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		got := resp.Header.Get("X-Request-ID")
		assert.NotEqual(t, bad, got)
		assert.Len(t, got, 36, "a generated UUID replaces an invalid id")
	}

	get := func(path string) int {
		resp, err := e.http.Client().Get(e.http.URL + path)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, 200, get("/readyz"))
	e.srv.draining.Store(true)
	assert.Equal(t, 503, get("/readyz"))
	e.srv.draining.Store(false)

	cold := newTestEnv(t, testConfig())
	cold.srv.ready.Store(false)
	assert.Equal(t, 503, get2(t, cold, "/readyz"), "not started yet")
}

func get2(t *testing.T, e *testEnv, path string) int {
	t.Helper()
	resp, err := e.http.Client().Get(e.http.URL + path)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// scrape returns the /metrics text.
func scrape(t *testing.T, e *testEnv) string {
	t.Helper()
	resp, err := e.http.Client().Get(e.http.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	var buf bytes.Buffer
	_, err = io.Copy(&buf, resp.Body)
	require.NoError(t, err)
	return buf.String()
}
