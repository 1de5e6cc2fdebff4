package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestServeExplainsAPortHeldByAnotherCopy starts a second `serve` on the
// address a first one holds: it exits naming the other webhook-mcp and the
// ways out; on an address some other program holds it says that instead.
func TestServeExplainsAPortHeldByAnotherCopy(t *testing.T) {
	t.Parallel()
	_, base, _ := startServe(t, []string{"DATA_DIR=" + t.TempDir()})
	addr := strings.TrimPrefix(base, "http://")

	_, errOut, code := cliRun(t, []string{"DATA_DIR=" + t.TempDir(), "HTTP_ADDR=" + addr}, "", "serve")
	assert.Equal(t, 1, code, errOut)
	assert.Contains(t, errOut, "another webhook-mcp (version dev) already serves this address")
	assert.Contains(t, errOut, "webhook-mcp stdio")
	assert.Contains(t, errOut, "http://"+addr+"/approvals")
	assert.Contains(t, errOut, "HTTP_ADDR=127.0.0.1:8001")
	assert.Contains(t, errOut, "address already in use", "the cause stays visible")

	other := httptest.NewServer(http.NotFoundHandler())
	defer other.Close()
	_, errOut, code = cliRun(t, []string{"DATA_DIR=" + t.TempDir(), "HTTP_ADDR=" + other.Listener.Addr().String()}, "", "serve")
	assert.Equal(t, 1, code, errOut)
	assert.Contains(t, errOut, "in use by another program (not webhook-mcp)")
	assert.NotContains(t, errOut, "another webhook-mcp")
}
