package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGraphCLIImportExport drives `webhook-mcp graph import|export` against a
// served binary found through HTTP_ADDR alone (no WEBHOOK_MCP_URL), as the
// approvals and deliveries commands are.
func TestGraphCLIImportExport(t *testing.T) {
	t.Parallel()
	_, base, _ := startServe(t, []string{"DATA_DIR=" + t.TempDir(), "APPROVAL_TOKEN=graph-cli-token"})
	env := []string{"HTTP_ADDR=" + strings.TrimPrefix(base, "http://"), "APPROVAL_TOKEN=graph-cli-token"}
	file := filepath.Join(t.TempDir(), "memory.jsonl")
	require.NoError(t, os.WriteFile(file, []byte(
		`{"type":"entity","name":"person:ada","entityType":"person","observations":["label: Ada","role: lead"]}`+"\n"+
			`{"type":"entity","name":"company:acme","entityType":"company","observations":["label: Acme"]}`+"\n"+
			`{"type":"relation","from":"person:ada","to":"company:acme","relationType":"WORKS_AT"}`+"\n"), 0o600))

	out, errOut, code := cliRun(t, env, "", "graph", "import", "acme", file)
	require.Zero(t, code, errOut)
	assert.Contains(t, out, `"node_count":2`)

	out, errOut, code = cliRun(t, env, "", "graph", "export", "acme")
	require.Zero(t, code, errOut)
	assert.Equal(t, `{"type":"entity","name":"company:acme","entityType":"company","observations":["label: Acme"]}`+"\n"+
		`{"type":"entity","name":"person:ada","entityType":"person","observations":["label: Ada","role: lead"]}`+"\n"+
		`{"type":"relation","from":"person:ada","to":"company:acme","relationType":"WORKS_AT"}`+"\n", out)

	out, errOut, code = cliRun(t, env, `{"type":"entity","name":"x","entityType":"tag","observations":[]}`,
		"graph", "import", "acme", "--mode", "replace")
	require.Zero(t, code, errOut)
	assert.Contains(t, out, `"mode":"replace"`)
	exported := filepath.Join(t.TempDir(), "out.jsonl")
	_, errOut, code = cliRun(t, env, "", "graph", "export", "acme", "--out", exported)
	require.Zero(t, code, errOut)
	b, err := os.ReadFile(exported)
	require.NoError(t, err)
	assert.Equal(t, `{"type":"entity","name":"tag:x","entityType":"tag","observations":["label: x"]}`+"\n", string(b))

	_, errOut, code = cliRun(t, env, "", "deliveries", "list")
	require.Zero(t, code, "deliveries follows HTTP_ADDR too: %s", errOut)
	_, errOut, code = cliRun(t, []string{"HTTP_ADDR=127.0.0.1:1"}, "", "approvals", "list")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "not running at http://127.0.0.1:1")
}
