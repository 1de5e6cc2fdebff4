package main

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBaselineMCPServesTheMeasuredTools(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(baselineMCPHandler())
	t.Cleanup(srv.Close)
	ctx := context.Background()
	s, err := newMCPSessions(ctx, newClient(), srv.URL, 2)
	require.NoError(t, err)
	require.Len(t, s.ids, 2)
	for i, tgt := range []*mcpTarget{
		newMCPTarget(s, statusTool, approvalArgs(baselineApprovalID)),
		newMCPTarget(s, extractTool, extractArgs([]byte(`{"client_id": "c1"}`))),
	} {
		var out struct{ Status string }
		require.NoError(t, tgt.call(ctx, int64(i+1), &out), tgt.tool)
		assert.Equal(t, "ok", out.Status, tgt.tool)
	}
	assert.Error(t, newMCPTarget(s, "no_such_tool", []byte(`{}`)).do(ctx, 9), "an unknown tool is an error")
}

func TestDecodeToolResult(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, body string }{
		{"structured JSON", `{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"{}"}],"structuredContent":{"approval_id":"a1"}}}`},
		{"text only", `{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"{\"approval_id\":\"a1\"}"}]}}`},
		{"one SSE event", "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"structuredContent\":{\"approval_id\":\"a1\"}}}\n\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out struct {
				ApprovalID string `json:"approval_id"`
			}
			require.NoError(t, decodeToolResult([]byte(tc.body), &out))
			assert.Equal(t, "a1", out.ApprovalID)
		})
	}
	var out map[string]any
	assert.Error(t, decodeToolResult([]byte(`{"jsonrpc":"2.0","id":1,"result":{"content":[]}}`), &out))
}

func TestDirBytesCountsEveryFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "webhook-mcp.db"), make([]byte, 4096), 0o600))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sub", "webhook-mcp.db-wal"), make([]byte, 100), 0o600))
	n, err := dirBytes(dir)
	require.NoError(t, err)
	assert.Equal(t, int64(4196), n)
	_, err = dirBytes(filepath.Join(dir, "absent"))
	assert.Error(t, err)
}
