package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/require"
)

// replicaToken is APPROVAL_TOKEN of the replica tests.
const replicaToken = "replica-e2e-approval-token"

// countingReceiver counts deliveries by webhook-id; while holding, it answers
// the first holdAfter requests at once and keeps the others open until
// released.
type countingReceiver struct {
	mu        sync.Mutex
	hits      map[string]int
	hold      chan struct{} // nil: answer at once
	holdAfter int
	seen      int      // requests since hold was set
	waiting   int      // requests held
	held      []string // their client ports
}

func (c *countingReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	c.mu.Lock()
	c.hits[r.Header.Get("webhook-id")]++
	hold := c.hold
	if hold != nil {
		if c.seen++; c.seen <= c.holdAfter {
			hold = nil
		} else {
			c.waiting++
			if _, port, err := net.SplitHostPort(r.RemoteAddr); err == nil {
				c.held = append(c.held, port)
			}
		}
	}
	c.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-time.After(20 * time.Second):
		}
	}
	w.WriteHeader(http.StatusOK)
}

// snapshot copies the counts.
func (c *countingReceiver) snapshot() (map[string]int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := make(map[string]int, len(c.hits))
	total := 0
	for k, v := range c.hits {
		m[k] = v
		total += v
	}
	return m, total
}

// mcpCall posts one tools/call to base/mcp on protocol 2026-07-28 (each
// request stands alone), with bearer when set, and returns its result.
func mcpCall(t testing.TB, base, bearer string, params map[string]any) map[string]any {
	t.Helper()
	params["_meta"] = map[string]any{"io.modelcontextprotocol/protocolVersion": mcp.ProtocolVersion20260728,
		"io.modelcontextprotocol/clientCapabilities": map[string]any{"elicitation": map[string]any{}},
		"io.modelcontextprotocol/clientInfo":         map[string]any{"name": "replica-test", "version": "1"}}
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, base+"/mcp", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", mcp.ProtocolVersion20260728)
	req.Header.Set("Mcp-Method", "tools/call")
	req.Header.Set("Mcp-Name", fmt.Sprint(params["name"]))
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", raw)
	if i := bytes.Index(raw, []byte("data: ")); i >= 0 {
		raw = bytes.TrimSpace(raw[i+len("data: "):])
	}
	var msg struct {
		Result map[string]any `json:"result"`
	}
	require.NoError(t, json.Unmarshal(raw, &msg), "%s", raw)
	require.NotNil(t, msg.Result, "%s", raw)
	return msg.Result
}

// requestSend asks base for an approval to send data to url and returns its id.
func requestSend(t testing.TB, base, url string, n int) string {
	t.Helper()
	res := mcpCall(t, base, "", map[string]any{"name": "send_webhook_response",
		"arguments": map[string]any{"response_url": url, "response_data": map[string]any{"n": n}}})
	require.NotEqual(t, true, res["isError"], "%v", res)
	sc, _ := res["structuredContent"].(map[string]any)
	id, _ := sc["approval_id"].(string)
	require.NotEmpty(t, id, "%v", res)
	return id
}

// apiDo calls the reviewer API of base with replicaToken.
func apiDo(t testing.TB, method, url string, out any) int {
	t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(`{"reason":"replica test"}`)
	}
	req, err := http.NewRequest(method, url, body)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+replicaToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if out != nil && resp.StatusCode < 300 {
		require.NoError(t, json.Unmarshal(raw, out), "%s", raw)
	}
	return resp.StatusCode
}

// stateOn reads approval id's state from base.
func stateOn(t testing.TB, base, id string) string {
	t.Helper()
	var a struct {
		State string `json:"state"`
	}
	require.Equal(t, http.StatusOK, apiDo(t, http.MethodGet, base+"/api/approvals/"+id, &a))
	return a.State
}

// parallel runs fn(i) for i in [0,n) on workers goroutines.
func parallel(n, workers int, fn func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// ctxTimeout is a context for one database check.
func ctxTimeout(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// heldPorts are the client ports of the requests the receiver holds.
func (c *countingReceiver) heldPorts() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.held...)
}

// socketOwner returns which of pids holds the loopback TCP socket whose local
// port is port (Linux: the socket's inode in /proc/net/tcp, matched against
// each process's file descriptors); -1 when none does.
func socketOwner(port string, pids ...int) int {
	p, err := strconv.Atoi(port)
	if err != nil {
		return -1
	}
	raw, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return -1
	}
	inode := ""
	suffix := fmt.Sprintf(":%04X", p)
	for _, line := range strings.Split(string(raw), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 9 && strings.HasSuffix(f[1], suffix) {
			inode = f[9]
			break
		}
	}
	if inode == "" {
		return -1
	}
	for i, pid := range pids {
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		for _, fd := range fds {
			if l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); err == nil && l == "socket:["+inode+"]" {
				return i
			}
		}
	}
	return -1
}
