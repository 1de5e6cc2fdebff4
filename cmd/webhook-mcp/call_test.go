package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cliRun runs the built binary with only env (plus PATH and HOME), so that no
// variable of the test's own environment reaches it, and returns its output
// and exit code.
func cliRun(t *testing.T, env []string, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		require.NoError(t, err)
	}
	return out.String(), errOut.String(), code
}

func TestCallPrintsTheStructuredResult(t *testing.T) {
	t.Parallel()
	_, base, _ := startServe(t, []string{"DATA_DIR=" + t.TempDir()})
	env := []string{"WEBHOOK_MCP_URL=" + base, "DATA_DIR=" + t.TempDir()}

	out, errOut, code := cliRun(t, env, "", "call", "process_webhook_data",
		"--arg", `webhook_data={"client_id":"client-call","task":{"id":"task_call","name":"Call task"}}`,
		"--arg", "action_id=get_client_data")
	require.Zero(t, code, "stderr: %s", errOut)
	var res struct {
		ClientID       string `json:"client_id"`
		ActionID       string `json:"action_id"`
		KnowledgeGraph struct {
			Nodes []struct {
				ID string `json:"id"`
			} `json:"knowledge_nodes"`
		} `json:"knowledge_graph"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	assert.Equal(t, "client-call", res.ClientID)
	assert.Equal(t, "get_client_data", res.ActionID, "a value that is not JSON is a string")
	require.NotEmpty(t, res.KnowledgeGraph.Nodes)

	// --json from stdin, and a number given with --arg stays a number.
	out, errOut, code = cliRun(t, env, `{"client_id":"client-call"}`, "call", "list_webhook_events", "--json", "-",
		"--arg", "limit=1", "--arg", "kind=all")
	require.Zero(t, code, "stderr: %s", errOut)
	var events struct {
		Events []map[string]any `json:"events"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &events), out)
	assert.Len(t, events.Events, 1)

	// The same limit as a JSON string is a string, which the tool refuses.
	_, errOut, code = cliRun(t, env, "", "call", "list_webhook_events", "--arg", `limit="1"`)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "invalid")

	out, errOut, code = cliRun(t, env, "", "call", "--list")
	require.Zero(t, code, "stderr: %s", errOut)
	assert.Contains(t, out, "send_webhook_response")
}

func TestCallToolErrorExitsNonZeroWithTheTextOnStderr(t *testing.T) {
	t.Parallel()
	_, base, _ := startServe(t, []string{"DATA_DIR=" + t.TempDir()})
	out, errOut, code := cliRun(t, []string{"WEBHOOK_MCP_URL=" + base}, "", "call", "process_webhook_data",
		"--json", `{"webhook_data":{"task":{"id":"t1"}}}`)
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "missing_fields")
	assert.Contains(t, errOut, "client_id")

	_, errOut, code = cliRun(t, []string{"WEBHOOK_MCP_URL=" + base}, "", "call", "no_such_tool")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "no_such_tool")

	for _, args := range [][]string{{"call"}, {"call", "a", "b"}, {"call", "x", "--arg", "novalue"}, {"call", "x", "--json", "[1]"}} {
		_, errOut, code = cliRun(t, []string{"WEBHOOK_MCP_URL=" + base}, "", args...)
		assert.NotZero(t, code, "%v", args)
		assert.Contains(t, errOut, "usage", "%v", args)
	}
}

func TestCallFindsTheServerFromHTTPAddr(t *testing.T) {
	t.Parallel()
	_, base, _ := startServe(t, []string{"DATA_DIR=" + t.TempDir()})
	port := base[strings.LastIndex(base, ":")+1:]
	for _, addr := range []string{strings.TrimPrefix(base, "http://"), "0.0.0.0:" + port} {
		out, errOut, code := cliRun(t, []string{"HTTP_ADDR=" + addr}, "", "call", "get_client_knowledge_graph",
			"--arg", "client_id=nobody")
		require.Zero(t, code, "HTTP_ADDR=%s stderr: %s", addr, errOut)
		assert.Contains(t, out, `"client_id": "nobody"`)
	}
	_, errOut, code := cliRun(t, []string{"HTTP_ADDR=127.0.0.1:1"}, "", "call", "--list")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "not running at http://127.0.0.1:1")
}

func TestCallSendsTheBearerToken(t *testing.T) {
	t.Parallel()
	const mcpToken, reviewerToken = "call-test-mcp-token", "call-test-reviewer-token"
	_, base, _ := startServe(t, []string{"DATA_DIR=" + t.TempDir(), "MCP_AUTH_TOKEN=" + mcpToken,
		"APPROVAL_TOKEN=" + reviewerToken})
	tokenDir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(tokenDir, "approval_token"), []byte(reviewerToken+"\n"), 0o600))
	for name, tc := range map[string]struct {
		env  []string
		code int
	}{
		"no credential":             {[]string{"DATA_DIR=" + t.TempDir()}, 1},
		"wrong token":               {[]string{"MCP_AUTH_TOKEN=wrong"}, 1},
		"MCP_AUTH_TOKEN":            {[]string{"MCP_AUTH_TOKEN=" + mcpToken}, 0},
		"APPROVAL_TOKEN":            {[]string{"APPROVAL_TOKEN=" + reviewerToken}, 0},
		"MCP_AUTH_TOKEN goes first": {[]string{"MCP_AUTH_TOKEN=" + mcpToken, "APPROVAL_TOKEN=wrong"}, 0},
		"token file in DATA_DIR":    {[]string{"DATA_DIR=" + tokenDir}, 0},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, errOut, code := cliRun(t, append(tc.env, "WEBHOOK_MCP_URL="+base), "", "call", "--list")
			assert.Equal(t, tc.code, code, "stderr: %s", errOut)
			if tc.code != 0 {
				assert.Contains(t, errOut, "MCP_AUTH_TOKEN")
			}
		})
	}
}

// TestCallUsesTheGeneratedToken: a server without APPROVAL_TOKEN writes one
// into its DATA_DIR; call on the same machine, with the same DATA_DIR and no
// token set, finds it there.
func TestCallUsesTheGeneratedToken(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	_, base, _ := startServe(t, []string{"DATA_DIR=" + dataDir, "MCP_AUTH_TOKEN=call-test-generated-mcp"})
	_, err := os.Stat(filepath.Join(dataDir, "approval_token"))
	require.NoError(t, err, "the server generated its token")
	_, errOut, code := cliRun(t, []string{"WEBHOOK_MCP_URL=" + base, "DATA_DIR=" + t.TempDir()}, "", "call", "--list")
	assert.Equal(t, 1, code, "another DATA_DIR has no token: %s", errOut)
	out, errOut, code := cliRun(t, []string{"WEBHOOK_MCP_URL=" + base, "DATA_DIR=" + dataDir}, "", "call", "--list")
	require.Zero(t, code, "stderr: %s", errOut)
	assert.Contains(t, out, "get_approval_status")
}

// TestTokenFileStaysOnThisMachine: the generated token is read only for a
// server on a loopback address; a remote URL never gets it.
func TestTokenFileStaysOnThisMachine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "approval_token"), []byte("file-token\n"), 0o600))
	env := map[string]string{"DATA_DIR": dir}
	for base, want := range map[string]string{
		"http://127.0.0.1:8000":      "file-token",
		"http://localhost:8000":      "file-token",
		"http://[::1]:8000":          "file-token",
		"https://hooks.example.com":  "",
		"http://10.0.0.5:8000":       "",
		"http://127.0.0.1.nip.io:80": "",
	} {
		assert.Equal(t, want, bearerFor(env, base), base)
	}
	assert.Equal(t, "explicit", bearerFor(map[string]string{"DATA_DIR": dir, "APPROVAL_TOKEN": "explicit"}, "https://hooks.example.com"))
	assert.Empty(t, bearerFor(map[string]string{"DATA_DIR": t.TempDir()}, "http://127.0.0.1:8000"), "no file, no token")
}

func TestArgValue(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]any{
		"client-123":   "client-123",
		"42":           json.Number("42"),
		"true":         true,
		"null":         nil,
		`"42"`:         "42",
		`{"a":1}`:      map[string]any{"a": json.Number("1")},
		`[1,"x"]`:      []any{json.Number("1"), "x"},
		"":             "",
		"1 2":          "1 2",
		`{"a":1} tail`: `{"a":1} tail`,
		"hello world":  "hello world",
	} {
		assert.Equal(t, want, argValue(in), "argValue(%q)", in)
	}
}

func TestServerURL(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"default":                   {map[string]string{}, "http://127.0.0.1:8000"},
		"WEBHOOK_MCP_URL wins":      {map[string]string{"WEBHOOK_MCP_URL": "https://hooks.example.com/", "HTTP_ADDR": "127.0.0.1:9"}, "https://hooks.example.com"},
		"HTTP_ADDR":                 {map[string]string{"HTTP_ADDR": "127.0.0.1:9100"}, "http://127.0.0.1:9100"},
		"HTTP_ADDR all interfaces":  {map[string]string{"HTTP_ADDR": "0.0.0.0:9100"}, "http://127.0.0.1:9100"},
		"HTTP_ADDR without host":    {map[string]string{"HTTP_ADDR": ":9100"}, "http://127.0.0.1:9100"},
		"HTTP_ADDR IPv6":            {map[string]string{"HTTP_ADDR": "[::1]:9100"}, "http://[::1]:9100"},
		"HTTP_ADDR IPv6 unspecific": {map[string]string{"HTTP_ADDR": "[::]:9100"}, "http://127.0.0.1:9100"},
		"HTTP_ADDR port 0":          {map[string]string{"HTTP_ADDR": "127.0.0.1:0"}, "http://127.0.0.1:8000"},
		"HTTP_ADDR malformed":       {map[string]string{"HTTP_ADDR": "nonsense"}, "http://127.0.0.1:8000"},
	} {
		assert.Equal(t, tc.want, serverURL(tc.env), name)
	}
}
