package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serveReal serves e's server through Serve (connection limits and timeouts
// included) on a loopback listener and returns its address.
func serveReal(t *testing.T, e *testEnv) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.srv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

// connEnds reports whether the server ends c (EOF or reset) within the bound,
// after reading whatever it answered; false means c was still open.
func connEnds(t *testing.T, c net.Conn, bound time.Duration) bool {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(bound)))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

func TestAuthFailuresThrottled(t *testing.T) {
	t.Parallel()
	initBody := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	cases := []struct {
		name      string
		configure func(*Config)
		try       func(t *testing.T, e *testEnv, ip string, right bool) (int, http.Header, string)
		ok        int
	}{
		{"APPROVAL_TOKEN on the API", nil, func(t *testing.T, e *testEnv, ip string, right bool) (int, http.Header, string) {
			tok := map[bool]string{true: testApprovalToken, false: "guess"}[right]
			return send(t, e, http.MethodGet, "/api/approvals", "", map[string]string{"Authorization": "Bearer " + tok, "X-Forwarded-For": ip})
		}, http.StatusOK},
		{"MCP_AUTH_TOKEN on /mcp", func(c *Config) { c.MCPAuthToken = "mcp-right" },
			func(t *testing.T, e *testEnv, ip string, right bool) (int, http.Header, string) {
				tok := map[bool]string{true: "mcp-right", false: "guess"}[right]
				return send(t, e, http.MethodPost, "/mcp", initBody, map[string]string{"Authorization": "Bearer " + tok,
					"X-Forwarded-For": ip, "Content-Type": "application/json", "Accept": "application/json, text/event-stream"})
			}, http.StatusOK},
		{"webhook API key", func(c *Config) { c.MakeComWebhookAPIKey = []string{"key-right"} },
			func(t *testing.T, e *testEnv, ip string, right bool) (int, http.Header, string) {
				key := map[bool]string{true: "key-right", false: "guess"}[right]
				return send(t, e, http.MethodPost, webhookPath, `{"client_id":"c","task":{"id":"t-`+ip+`"}}`,
					map[string]string{"X-API-Key": key, "X-Forwarded-For": ip, "Content-Type": "application/json"})
			}, http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			cfg.AuthFailuresPerMinute, cfg.TrustProxyHeaders = 3, true
			if tc.configure != nil {
				tc.configure(&cfg)
			}
			e := newDrivenEnv(t, cfg)
			clock := e.clock
			for i := range 3 {
				code, _, body := tc.try(t, e, "203.0.113.1", false)
				require.Equal(t, http.StatusUnauthorized, code, "wrong credential %d: %s", i+1, body)
			}
			code, h, body := tc.try(t, e, "203.0.113.1", false)
			assert.Equal(t, http.StatusTooManyRequests, code, body)
			assert.Equal(t, "rate_limited", errorCode(body))
			assert.Equal(t, "20", h.Get("Retry-After"), "3 per minute: one more every 20 s")
			code, _, _ = tc.try(t, e, "203.0.113.1", true)
			assert.Equal(t, http.StatusTooManyRequests, code, "while throttled even the right credential is not looked at")
			code, _, body = tc.try(t, e, "203.0.113.2", true)
			assert.Equal(t, tc.ok, code, "another client IP is not affected: %s", body)

			clock.Advance(21 * time.Second)
			code, _, body = tc.try(t, e, "203.0.113.1", true)
			assert.Equal(t, tc.ok, code, "after Retry-After: %s", body)
			assert.Contains(t, scrape(t, e), `webhookmcp_rate_limited_total{scope="auth"} 2`)
		})
	}
	t.Run("no credential is not a guess", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig()
		cfg.AuthFailuresPerMinute = 3
		e := newTestEnv(t, cfg)
		for range 6 {
			code, _, _ := send(t, e, http.MethodGet, "/api/approvals", "", nil)
			require.Equal(t, http.StatusUnauthorized, code)
		}
	})
	t.Run("sign-in page", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig()
		cfg.AuthFailuresPerMinute = 3
		e := newDrivenEnv(t, cfg)
		clock := e.clock
		c := browser(t)
		login := func(token string) *http.Response {
			_, body := fetch(t, c, http.MethodGet, e.http.URL+"/approvals/login", nil)
			m := csrfField.FindStringSubmatch(body)
			require.NotNil(t, m, body)
			resp, _ := fetch(t, c, http.MethodPost, e.http.URL+"/approvals/login", url.Values{"csrf": {m[1]}, "token": {token}})
			return resp
		}
		for range 3 {
			require.Equal(t, http.StatusUnauthorized, login("guess").StatusCode)
		}
		resp := login("guess")
		assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
		assert.Equal(t, "20", resp.Header.Get("Retry-After"))
		assert.Equal(t, http.StatusTooManyRequests, login(testApprovalToken).StatusCode)
		clock.Advance(21 * time.Second)
		assert.Equal(t, http.StatusSeeOther, login(testApprovalToken).StatusCode)
	})
}

func TestConnLimiterShedsWaitingConnectionsFirst(t *testing.T) {
	t.Parallel()
	type limits struct{ total, perIP int }
	for name, lim := range map[string]limits{"per IP": {0, 2}, "total": {2, 0}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			var mu sync.Mutex
			shed := map[string]int{}
			l := newConnLimiter(ln, lim.total, lim.perIP, slog.New(slog.DiscardHandler), func(r string) { mu.Lock(); shed[r]++; mu.Unlock() })
			defer l.Close()
			accepted := make(chan *limitedConn, 8)
			go func() {
				for {
					c, err := l.Accept()
					if err != nil {
						return
					}
					accepted <- c.(*limitedConn)
				}
			}()
			next := func() *limitedConn {
				select {
				case c := <-accepted:
					return c
				case <-time.After(10 * time.Second):
					t.Fatal("no connection was admitted")
					return nil
				}
			}
			dial := func() net.Conn {
				c, err := net.Dial("tcp", ln.Addr().String())
				require.NoError(t, err)
				t.Cleanup(func() { _ = c.Close() })
				return c
			}
			c1, c2 := dial(), dial()
			a1, a2 := next(), next()
			require.Equal(t, 2, l.open())

			// Full: a slow upload goes before a connection whose request has not
			// been read yet, even an older one.
			a2.setPhase(phaseBody)
			c3 := dial()
			a3 := next()
			assert.True(t, connEnds(t, c2, 10*time.Second), "the slow upload is closed")
			assert.False(t, connEnds(t, c1, 50*time.Millisecond))
			assert.Equal(t, 2, l.open())

			// An idle keep-alive connection goes first of all.
			a3.setPhase(phaseIdle)
			c4 := dial()
			a4 := next()
			assert.True(t, connEnds(t, c3, 10*time.Second), "the idle connection is closed")

			// Among equals, the one waiting longest goes.
			c5 := dial()
			a5 := next()
			assert.True(t, connEnds(t, c1, 10*time.Second), "the older new connection is closed")
			assert.False(t, connEnds(t, c4, 50*time.Millisecond))

			// Full of busy connections: the new one is refused.
			a4.setPhase(phaseBusy)
			a5.setPhase(phaseBusy)
			c6 := dial()
			assert.True(t, connEnds(t, c6, 10*time.Second), "refused")
			assert.False(t, connEnds(t, c4, 50*time.Millisecond), "busy connections are kept")
			assert.False(t, connEnds(t, c5, 50*time.Millisecond))

			require.NoError(t, a4.Close())
			assert.Equal(t, 1, l.open())
			dial()
			next()
			assert.Equal(t, 2, l.open())
			_ = a1
			mu.Lock()
			assert.Equal(t, map[string]int{"evicted": 3, "refused": 1}, shed)
			mu.Unlock()
		})
	}
}

func TestSlowAndIdleConnectionsAreCut(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.HTTPReadTimeout, cfg.HTTPIdleTimeout = 300*time.Millisecond, 300*time.Millisecond
	e := newTestEnv(t, cfg)
	addr := serveReal(t, e)
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		return c
	}

	body := dial()
	_, err := io.WriteString(body, "POST "+webhookPath+" HTTP/1.1\r\nHost: "+addr+"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
	require.NoError(t, err)
	assert.True(t, connEnds(t, body, 10*time.Second), "a body that trickles is cut at HTTP_READ_TIMEOUT")

	headers := dial()
	_, err = io.WriteString(headers, "GET /healthz HTTP/1.1\r\nHost: "+addr+"\r\n")
	require.NoError(t, err)
	assert.True(t, connEnds(t, headers, 10*time.Second), "headers that never end are cut")

	idle := dial()
	_, err = io.WriteString(idle, "GET /healthz HTTP/1.1\r\nHost: "+addr+"\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(idle), nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.True(t, connEnds(t, idle, 10*time.Second), "an idle keep-alive connection is closed at HTTP_IDLE_TIMEOUT")
}

func TestPerRequestDeadlines(t *testing.T) {
	t.Parallel()
	s := &Server{cfg: Config{HTTPWriteTimeout: 200 * time.Millisecond}}
	serve := func(h http.HandlerFunc) string {
		hs := httptest.NewServer(s.connDeadlines(h))
		t.Cleanup(hs.Close)
		return hs.URL
	}
	t.Run("a client that stops reading is dropped", func(t *testing.T) {
		t.Parallel()
		errc := make(chan error, 1)
		u := serve(func(w http.ResponseWriter, _ *http.Request) {
			chunk := make([]byte, 1<<20)
			for range 1024 {
				if _, err := w.Write(chunk); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		})
		c, err := net.Dial("tcp", strings.TrimPrefix(u, "http://"))
		require.NoError(t, err)
		defer c.Close()
		_, err = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		require.NoError(t, err)
		select {
		case err := <-errc:
			assert.Error(t, err, "the write deadline ends the response")
		case <-time.After(30 * time.Second):
			t.Fatal("the handler was never released")
		}
	})
	two := strings.Repeat("two ", 16<<10) // beyond the server's write buffer: written at once
	t.Run("a quiet stream is not cut", func(t *testing.T) {
		t.Parallel()
		u := serve(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, "one\n")
			w.(http.Flusher).Flush()
			time.Sleep(500 * time.Millisecond) // longer than the write timeout, between writes
			_, _ = io.WriteString(w, two)
			time.Sleep(500 * time.Millisecond)
			_, _ = io.WriteString(w, "three\n")
			w.(http.Flusher).Flush()
		})
		resp, err := http.Get(u)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.Equal(t, "one\n"+two+"three\n", string(b))
	})
}

// initialize posts an MCP initialize to /mcp and returns the status and the
// session id.
func mcpInitialize(t *testing.T, e *testEnv) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.http.URL+"/mcp", strings.NewReader(
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := e.http.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Mcp-Session-Id"), string(b)
}

func TestMCPSessionCapAndBodyLimit(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.MCPMaxSessions, cfg.MaxBodyBytes = 2, 4096
	e := newTestEnv(t, cfg)
	var ids []string
	for range 2 {
		code, id, body := mcpInitialize(t, e)
		require.Equal(t, http.StatusOK, code, body)
		ids = append(ids, id)
	}
	require.Eventually(t, func() bool { return e.srv.sessions.count() == 2 }, 5*time.Second, 10*time.Millisecond)
	code, _, body := mcpInitialize(t, e)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "too_many_sessions", errorCode(body))
	code, h, _ := send(t, e, http.MethodGet, "/sse", "", nil)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.NotEmpty(t, h.Get("Retry-After"))

	// A session that exists keeps working, and ending one makes room.
	code, _, body = send(t, e, http.MethodPost, "/mcp", `{"jsonrpc":"2.0","id":2,"method":"ping"}`, map[string]string{
		"Content-Type": "application/json", "Accept": "application/json, text/event-stream", "Mcp-Session-Id": ids[0],
		"Mcp-Protocol-Version": "2025-11-25"})
	assert.Equal(t, http.StatusOK, code, body)
	code, _, _ = send(t, e, http.MethodDelete, "/mcp", "", map[string]string{"Mcp-Session-Id": ids[0], "Mcp-Protocol-Version": "2025-11-25"})
	require.Equal(t, http.StatusOK, code)
	require.Eventually(t, func() bool { return e.srv.sessions.count() == 1 }, 5*time.Second, 10*time.Millisecond)
	code, _, body = mcpInitialize(t, e)
	assert.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, scrape(t, e), "webhookmcp_mcp_sessions 2")

	big := `{"jsonrpc":"2.0","id":3,"method":"ping","params":{"pad":"` + strings.Repeat("x", 5000) + `"}}`
	for _, path := range []string{"/mcp", "/message?sessionId=x"} {
		code, _, body = send(t, e, http.MethodPost, path, big, map[string]string{"Content-Type": "application/json"})
		assert.Equal(t, http.StatusRequestEntityTooLarge, code, path)
		assert.Equal(t, "payload_too_large", errorCode(body), path)
		// Without Content-Length (chunked) the limit holds while reading.
		req, err := http.NewRequest(http.MethodPost, e.http.URL+path, io.MultiReader(strings.NewReader(big)))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		resp, err := e.http.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, path)
	}
}

func TestIdleStreamableSessionsExpire(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.MCPSessionIdleTimeout = time.Second
	e := newTestEnv(t, cfg)
	for range 20 {
		code, _, body := mcpInitialize(t, e)
		require.Equal(t, http.StatusOK, code, body)
	}
	require.Eventually(t, func() bool { return e.srv.sessions.count() == 20 }, 5*time.Second, 10*time.Millisecond)
	require.Eventually(t, func() bool { return e.srv.sessions.count() == 0 }, 15*time.Second, 50*time.Millisecond,
		"sessions idle past MCP_SESSION_IDLE_TIMEOUT are freed")
}

func TestIdleSSESessionsExpire(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.MCPSessionIdleTimeout = time.Minute
	e := newDrivenEnv(t, cfg) // no sweep loop: the test sweeps on its own clock
	clock := e.clock
	c, err := client.NewSSEMCPClient(e.http.URL + "/sse")
	require.NoError(t, err)
	initialize(t, c)
	require.Eventually(t, func() bool { return e.srv.sessions.count() == 1 }, 5*time.Second, 10*time.Millisecond)

	clock.Advance(45 * time.Second)
	_, err = c.ListTools(context.Background(), mcp.ListToolsRequest{}) // use marks it active
	require.NoError(t, err)
	clock.Advance(45 * time.Second)
	assert.Zero(t, e.srv.sessions.sweep(clock.Now()), "used 45 s ago: kept")
	clock.Advance(16 * time.Second)
	assert.Equal(t, 1, e.srv.sessions.sweep(clock.Now()), "idle for 61 s: ended")
	require.Eventually(t, func() bool { return e.srv.sessions.count() == 0 }, 5*time.Second, 10*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = c.ListTools(ctx, mcp.ListToolsRequest{})
	assert.Error(t, err, "the ended session is gone")
}
