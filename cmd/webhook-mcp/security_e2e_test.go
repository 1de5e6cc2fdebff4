//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// These tests attack the built binary the way issue 11 describes.

// askApproval asks the server at base, over Streamable HTTP, to send data to
// target, and returns the pending approval's id.
func askApproval(t *testing.T, base, target string) string {
	t.Helper()
	tr, err := transport.NewStreamableHTTP(base + "/mcp")
	require.NoError(t, err)
	c := client.NewClient(tr)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, c.Start(context.Background()))
	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = mcp.Implementation{Name: "attack-test", Version: "1"}
	_, err = c.Initialize(ctx, init)
	require.NoError(t, err)
	req := mcp.CallToolRequest{}
	req.Params.Name = "send_webhook_response"
	req.Params.Arguments = map[string]any{"response_url": target, "response_data": map[string]any{"pay": 100}}
	res, err := c.CallTool(ctx, req)
	require.NoError(t, err)
	require.False(t, res.IsError, "%v", res.Content)
	var pending struct {
		ApprovalID string `json:"approval_id"`
		Status     string `json:"status"`
	}
	b, _ := json.Marshal(res.StructuredContent)
	require.NoError(t, json.Unmarshal(b, &pending))
	require.Equal(t, "pending_approval", pending.Status)
	return pending.ApprovalID
}

// cli runs the built binary's CLI against base with environ and returns stdout.
func cli(t *testing.T, base string, environ []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "WEBHOOK_MCP_URL=" + base}, environ...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%w: %s", err, errOut.String())
	}
	return out.String(), err
}

func cliApprovalState(t *testing.T, base, dataDir, id string) string {
	t.Helper()
	out, err := cli(t, base, []string{"DATA_DIR=" + dataDir}, "approvals", "show", id, "--json")
	require.NoError(t, err)
	var st struct {
		State string `json:"state"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &st), out)
	return st.State
}

func TestAttackRebindingAndCrossSiteCannotApprove(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	t.Parallel()
	var delivered atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { delivered.Add(1) }))
	defer rcv.Close()
	dataDir := t.TempDir()
	// No APPROVAL_TOKEN: the default of `make run` and of desktop configs.
	_, base, stderr := startServe(t, []string{"DATA_DIR=" + dataDir, "OUTBOUND_ALLOW_HOSTS=127.0.0.1",
		"APPROVAL_ELICITATION=false"})

	tokenFile := filepath.Join(dataDir, "approval_token")
	st, err := os.Stat(tokenFile)
	require.NoError(t, err, "a token is generated into DATA_DIR")
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	raw, err := os.ReadFile(tokenFile)
	require.NoError(t, err)
	token := strings.TrimSpace(string(raw))
	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "/approvals/login?code=") }, 5*time.Second,
		20*time.Millisecond, "the one-time sign-in link is logged: %s", stderr.String())
	assert.NotContains(t, stderr.String(), token, "the token itself is never logged")

	id := askApproval(t, base, rcv.URL)
	port := strings.TrimPrefix(base, "http://127.0.0.1:")
	attack := func(method, path, host, origin, contentType, auth string) int {
		req, err := http.NewRequest(method, base+path, strings.NewReader(`{"reason":"pwned"}`))
		require.NoError(t, err)
		req.Host = host
		for k, v := range map[string]string{"Origin": origin, "Content-Type": contentType, "Authorization": auth} {
			if v != "" {
				req.Header.Set(k, v)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	approve := "/api/approvals/" + id + "/approve"
	rebound := "attacker.example:" + port // a name the attacker's DNS pointed at 127.0.0.1
	cases := []struct {
		name                                 string
		method, path, host, origin, ct, auth string
		want                                 int
	}{
		{"rebinding Host lists approvals", http.MethodGet, "/api/approvals", rebound, "", "", "", http.StatusForbidden},
		{"rebinding Host approves", http.MethodPost, approve, rebound, "http://" + rebound, "text/plain", "", http.StatusForbidden},
		{"rebinding Host even with the token", http.MethodPost, approve, rebound, "", "application/json", "Bearer " + token, http.StatusForbidden},
		{"rebinding Host on the page", http.MethodGet, "/approvals", rebound, "", "", "", http.StatusForbidden},
		{"cross-site text/plain POST", http.MethodPost, approve, "127.0.0.1:" + port, "https://evil.example", "text/plain", "", http.StatusForbidden},
		{"cross-site POST with a stolen token", http.MethodPost, approve, "127.0.0.1:" + port, "https://evil.example", "application/json", "Bearer " + token, http.StatusForbidden},
		{"loopback peer without the token", http.MethodGet, "/api/approvals", "127.0.0.1:" + port, "", "", "", http.StatusUnauthorized},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, attack(tc.method, tc.path, tc.host, tc.origin, tc.ct, tc.auth), tc.name)
	}
	assert.Equal(t, "pending", cliApprovalState(t, base, dataDir, id), "no attack decided the request")
	assert.Zero(t, delivered.Load())

	// The reviewer's CLI on the same machine reads the token file.
	out, err := cli(t, base, []string{"DATA_DIR=" + dataDir}, "approvals", "approve", id, "--reason", "checked")
	require.NoError(t, err)
	assert.Contains(t, out, "approved")
	require.Eventually(t, func() bool { return delivered.Load() == 1 }, 10*time.Second, 20*time.Millisecond)
	_, err = cli(t, base, []string{"DATA_DIR=" + t.TempDir()}, "approvals", "list")
	require.Error(t, err, "without the token file the CLI is refused")
	assert.Contains(t, err.Error(), "401")
}

func TestAttackFailedTokensAreThrottled(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	t.Parallel()
	_, base, _ := startServe(t, []string{"DATA_DIR=" + t.TempDir(), "MCP_AUTH_TOKEN=the-right-mcp-token",
		"AUTH_FAILURES_PER_MINUTE=10"})
	try := func(path, token string) (int, string) {
		req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	for i := range 10 {
		code, _ := try("/mcp", "guess-"+strconv.Itoa(i))
		require.Equal(t, http.StatusUnauthorized, code, "guess %d", i+1)
	}
	code, retry := try("/mcp", "guess-11")
	assert.Equal(t, http.StatusTooManyRequests, code)
	n, err := strconv.Atoi(retry)
	require.NoError(t, err, "Retry-After %q", retry)
	assert.Positive(t, n)
	code, _ = try("/mcp", "the-right-mcp-token")
	assert.Equal(t, http.StatusTooManyRequests, code, "no more guesses from this address, right or wrong")
	code, _ = try("/api/approvals/x/approve", "guess-approval-token")
	assert.Equal(t, http.StatusTooManyRequests, code, "the throttle is per client IP, across credentials")
}

// raiseNoFile lifts this test process's open-file limit to at least n.
func raiseNoFile(t *testing.T, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim))
	if lim.Cur >= n {
		return
	}
	if lim.Max < n {
		t.Skipf("RLIMIT_NOFILE hard limit %d is below the %d this test needs", lim.Max, n)
	}
	lim.Cur = n
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim))
}

func TestAttackSlowBodiesDoNotStopHealthz(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess load test")
	}
	const attackers = 5000
	raiseNoFile(t, attackers+1000)
	// Rate limits off, so that only the connection limits stand in the way;
	// MAX_CONNECTIONS and MAX_CONNECTIONS_PER_IP keep their defaults.
	cmd, base, stderr := startServe(t, []string{"DATA_DIR=" + t.TempDir(),
		"RATE_LIMIT_PER_IP=0", "RATE_LIMIT_PER_SOURCE=0"})
	// A common default: 1024 descriptors. Without connection limits 5,000
	// held connections exhaust them and nothing is accepted any more.
	require.NoError(t, unix.Prlimit(cmd.Process.Pid, unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: 1024, Max: 1024}, nil))
	addr := strings.TrimPrefix(base, "http://")
	head := "POST /api/webhook/make.com/chatgpt-clients HTTP/1.1\r\nHost: " + addr +
		"\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"

	ctx, stop := context.WithCancel(context.Background())
	var attackWG sync.WaitGroup
	var dialed, cut atomic.Int64
	const workers = 25
	for w := range workers {
		attackWG.Add(1)
		go func() {
			defer attackWG.Done()
			var conns []net.Conn
			defer func() {
				for _, c := range conns {
					_ = c.Close()
				}
			}()
			for i := w; i < attackers && ctx.Err() == nil; i += workers {
				c, err := net.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					continue
				}
				dialed.Add(1)
				if _, err := io.WriteString(c, head); err != nil {
					cut.Add(1)
					_ = c.Close()
					continue
				}
				conns = append(conns, c)
				time.Sleep(2 * time.Millisecond)
			}
			// Trickle one byte now and then on what is still open.
			for ctx.Err() == nil {
				live := conns[:0]
				for _, c := range conns {
					_ = c.SetWriteDeadline(time.Now().Add(time.Second))
					if _, err := c.Write([]byte(" ")); err != nil {
						cut.Add(1)
						_ = c.Close()
						continue
					}
					live = append(live, c)
				}
				conns = live
				select {
				case <-ctx.Done():
				case <-time.After(200 * time.Millisecond):
				}
			}
		}()
	}
	defer func() { stop(); attackWG.Wait() }()

	probe := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var slowest time.Duration
	probes, webhooks := 0, 0
	deadline := time.Now().Add(60 * time.Second)
	for (dialed.Load() < attackers || probes < 100) && time.Now().Before(deadline) {
		began := time.Now()
		resp, err := probe.Get(base + "/healthz")
		took := time.Since(began)
		require.NoError(t, err, "probe %d after %d attack connections; stderr: %s", probes, dialed.Load(), stderr.String())
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Less(t, took, time.Second, "probe %d answered in %s", probes, took)
		slowest = max(slowest, took)
		probes++
		if probes%10 == 0 {
			body := fmt.Sprintf(`{"client_id":"probe","task":{"id":"probe-%d"}}`, probes)
			resp, err := probe.Post(base+"/api/webhook/make.com/chatgpt-clients", "application/json", strings.NewReader(body))
			require.NoError(t, err, "a new webhook during the attack")
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			webhooks++
		}
		time.Sleep(25 * time.Millisecond)
	}
	require.EqualValues(t, attackers, dialed.Load(), "every attack connection was made")
	metrics, err := probe.Get(base + "/metrics")
	require.NoError(t, err)
	text, _ := io.ReadAll(metrics.Body)
	metrics.Body.Close()
	evicted := regexp.MustCompile(`webhookmcp_http_connections_shed_total\{reason="evicted"\} (\d+)`).FindSubmatch(text)
	require.NotNil(t, evicted, "%s", text)
	n, _ := strconv.Atoi(string(evicted[1]))
	assert.Greater(t, n, attackers/2, "slow connections were dropped to make room")
	t.Logf("%d attack connections (%d seen cut by the server), %d health probes (slowest %s), %d webhooks, %d connections shed",
		dialed.Load(), cut.Load(), probes, slowest, webhooks, n)
}

// vmRSS is the resident set size of process pid, from /proc/<pid>/status.
func vmRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	require.NoError(t, err)
	m := regexp.MustCompile(`VmRSS:\s+(\d+) kB`).FindSubmatch(b)
	require.NotNil(t, m)
	kb, err := strconv.ParseInt(string(m[1]), 10, 64)
	require.NoError(t, err)
	return kb << 10
}

func TestAttackInitializeFloodMemoryIsFreed(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess load test")
	}
	t.Parallel()
	const sessions, limit = 20000, 64 << 20
	// Every initialize must become a real session (MCP_MAX_SESSIONS above
	// the flood); a short idle timeout lets the test wait for expiry.
	cmd, base, stderr := startServe(t, []string{"DATA_DIR=" + t.TempDir(), "RATE_LIMIT_PER_IP=0",
		"MCP_SESSION_IDLE_TIMEOUT=10s", "MCP_MAX_SESSIONS=" + strconv.Itoa(sessions)})
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"flood","version":"1"}}}`
	httpc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	var wg sync.WaitGroup
	var failed atomic.Int64
	ids := sync.Map{}
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < sessions; i += 8 {
				req, _ := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", "application/json, text/event-stream")
				resp, err := httpc.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || resp.Header.Get("Mcp-Session-Id") == "" {
					failed.Add(1)
					continue
				}
				ids.Store(resp.Header.Get("Mcp-Session-Id"), true)
			}
		}()
	}
	wg.Wait()
	require.Zero(t, failed.Load(), "stderr: %s", stderr.String())
	distinct := 0
	ids.Range(func(any, any) bool { distinct++; return true })
	require.Equal(t, sessions, distinct)
	peak := vmRSS(t, cmd.Process.Pid)

	// Wait, bounded, for every session to expire and its memory to return.
	liveRE := regexp.MustCompile(`(?m)^webhookmcp_mcp_sessions (\d+)$`)
	live := func() string {
		resp, err := httpc.Get(base + "/metrics")
		require.NoError(t, err)
		defer resp.Body.Close()
		text, _ := io.ReadAll(resp.Body)
		m := liveRE.FindSubmatch(text)
		require.NotNil(t, m)
		return string(m[1])
	}
	last, sessionsLeft := peak, live()
	t.Logf("after %d initialize calls: %s live sessions, VmRSS %d MiB", sessions, sessionsLeft, peak>>20)
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		last, sessionsLeft = vmRSS(t, cmd.Process.Pid), live()
		if sessionsLeft == "0" && last < limit {
			break
		}
	}
	require.Equal(t, "0", sessionsLeft, "sessions left after the idle timeout")
	require.Less(t, last, int64(limit), "VmRSS %d MiB after the idle timeout (peak %d MiB)", last>>20, peak>>20)
	t.Logf("after the idle timeout: VmRSS %d MiB", last>>20)
}
