package server

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inspectorCLI returns a function that runs the MCP Inspector CLI
// (scripts/inspector-check.sh installs it and sets NODE and INSPECTOR_CLI)
// and returns its output and exit error; the test is skipped without it.
func inspectorCLI(t *testing.T) func(t *testing.T, args ...string) (string, error) {
	t.Helper()
	node, cli := os.Getenv("NODE"), os.Getenv("INSPECTOR_CLI")
	if node == "" || cli == "" {
		t.Skip("NODE and INSPECTOR_CLI are not set: make inspector-check runs this test with the Inspector CLI")
	}
	return func(t *testing.T, args ...string) (string, error) { return runInspector(t, node, cli, args...) }
}

func runInspector(t *testing.T, node, cli string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{cli, "--cli"}, args...)...)
	cmd.Env = append(os.Environ(), "MCP_CATALOG_PATH="+filepath.Join(t.TempDir(), "catalog.json"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestInspectorCLIWithOAuthToken: the MCP Inspector CLI calls a tool with
// --header "Authorization: Bearer <token>" holding an access token from the
// OpenID provider, is refused without it, and sees the MCP Apps links only
// when it advertises the extension.
func TestInspectorCLIWithOAuthToken(t *testing.T) {
	inspector := inspectorCLI(t)
	e := newOAuthEnv(t, nil)
	token := e.token(t, ScopeRead, ScopeWrite)
	url := e.public + "/mcp"
	bearer := "Authorization: Bearer " + token

	out, err := inspector(t, url, "--transport", "http", "--method", "tools/list")
	require.Error(t, err, "no token: %s", out)
	assert.Contains(t, out, "auth_required", "the 401 sends the Inspector to OAuth")

	out, err = inspector(t, url, "--transport", "http", "--header", bearer, "--method", "tools/call",
		"--tool-name", "extract_client_knowledge_graph",
		"--tool-arg", `webhook_data={"client_id":"inspector-client","task":{"id":"task-1","name":"Inspector task"}}`)
	require.NoError(t, err, out)
	assert.Contains(t, out, "task:task-1")

	out, err = inspector(t, url, "--transport", "http", "--header", bearer, "--method", "tools/list",
		"--advertise-apps", "--app-info")
	require.NoError(t, err, out)
	assert.Contains(t, out, approvalCardURI)
	assert.Contains(t, out, graphViewURI)
	out, _ = inspector(t, url, "--transport", "http", "--header", bearer, "--method", "tools/list", "--app-info")
	assert.NotContains(t, out, "ui://webhook-mcp/", "without the extension no tool links a view")

	readOnly := "Authorization: Bearer " + e.token(t, ScopeRead)
	out, err = inspector(t, url, "--transport", "http", "--header", readOnly, "--method", "tools/call",
		"--tool-name", "process_webhook_data", "--tool-arg", `webhook_data={"client_id":"c1"}`)
	require.Error(t, err, "a write tool with a read-only token: %s", out)
	assert.Contains(t, strings.ToLower(out), "insufficient scope: required")
	assert.Contains(t, out, "webhooks:read webhooks:write", "the scopes to ask for, from the 403's challenge")
}
