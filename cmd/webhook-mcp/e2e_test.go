package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
)

// binPath is the webhook-mcp binary built once for the subprocess tests.
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "webhook-mcp-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "webhook-mcp")
	build := exec.Command("go", "build", "-o", binPath, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build webhook-mcp:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func TestStdioSubprocess(t *testing.T) {
	t.Parallel()
	// Hold the HTTP port so that stdio mode must warn and keep serving.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	stderr := &testkit.LockedBuffer{}
	env := []string{"DATA_DIR=" + t.TempDir(), "HTTP_ADDR=" + busy.Addr().String(), "LOG_LEVEL=debug"}
	c, err := client.NewStdioMCPClientWithOptions(binPath, env, []string{"stdio"},
		transport.WithCommandStderrWriter(stderr))
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = mcp.Implementation{Name: "stdio-test", Version: "1"}
	_, err = c.Initialize(ctx, init)
	require.NoError(t, err, "stderr: %s", stderr.String())

	list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	require.NoError(t, err)
	assert.Len(t, list.Tools, 11) // nine actions, search and fetch
	req := mcp.CallToolRequest{}
	req.Params.Name = "process_webhook_data"
	req.Params.Arguments = map[string]any{"webhook_data": map[string]any{"client_id": "client-123",
		"task": map[string]any{"id": "task_123", "name": "Client Task Name"}}}
	res, err := c.CallTool(ctx, req)
	require.NoError(t, err)
	require.False(t, res.IsError, "%v", res.Content)
	assert.Contains(t, res.Content[0].(mcp.TextContent).Text, `"client_id":"client-123"`)

	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "HTTP listener not started") },
		5*time.Second, 20*time.Millisecond, "stderr: %s", stderr.String())
}

// listeningAddr matches the line a server logs once it listens (text format).
var listeningAddr = regexp.MustCompile(`msg="http listening" addr=(\S+)`)

// startServe runs `webhook-mcp serve` on HTTP_ADDR=127.0.0.1:0, so the kernel
// picks a free port while the child binds it, reads the address back from the
// child's log, and waits until /healthz answers there. env must leave LOG_LEVEL
// at info or debug: the address is an info line.
func startServe(t *testing.T, env []string) (*exec.Cmd, string, *testkit.LockedBuffer) {
	t.Helper()
	for _, kv := range env {
		if lvl, ok := strings.CutPrefix(kv, "LOG_LEVEL="); ok && lvl != "info" && lvl != "debug" {
			t.Fatalf("startServe reads the listening address from the info log: drop %s", kv)
		}
	}
	cmd := exec.Command(binPath, "serve")
	cmd.Env = append(os.Environ(), append(env, "HTTP_ADDR=127.0.0.1:0", "LOG_FORMAT=text")...)
	stderr := &testkit.LockedBuffer{}
	cmd.Stderr = stderr
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	var addr string
	require.Eventually(t, func() bool {
		m := listeningAddr.FindStringSubmatch(stderr.String())
		if m != nil {
			addr = m[1]
		}
		return m != nil
	}, 15*time.Second, 20*time.Millisecond, "server logged no listening address: %s", stderr.String())
	base := "http://" + addr
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 15*time.Second, 20*time.Millisecond, "server did not start: %s", stderr.String())
	return cmd, base, stderr
}

func TestServeSubprocessSeedAndSIGTERM(t *testing.T) {
	t.Parallel()
	cmd, base, stderr := startServe(t, []string{"DATA_DIR=" + t.TempDir()})
	body := `{"client_id":"client-123","action_id":"get_client_data","task":{"id":"task_123","name":"Client Task Name","description":"Task description"}}`
	resp, err := http.Post(base+"/api/webhook/make.com/chatgpt-clients", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", raw)
	assert.Contains(t, string(raw), `"status":"processed"`)
	assert.Contains(t, stderr.String(), "webhook source is unsigned")

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, "exit after SIGTERM; stderr: %s", stderr.String())
	case <-time.After(40 * time.Second):
		t.Fatal("server did not exit after SIGTERM")
	}
	assert.Contains(t, stderr.String(), "http stopped")
}
