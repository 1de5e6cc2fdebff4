package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStatusListsTheTransportsServed checks that /api/status names stdio only
// while the server is serving stdio.
func TestStatusListsTheTransportsServed(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, testConfig())
	transports := func() []string {
		resp, err := http.Get(e.http.URL + "/api/status")
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var st Status
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
		return st.Transports
	}
	assert.Equal(t, []string{"streamable-http:/mcp", "sse:/sse"}, transports(), "serve mode has no stdio")

	in, feed := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- e.srv.ServeStdio(context.Background(), in, io.Discard) }()
	require.Eventually(t, func() bool { return len(transports()) == 3 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, []string{"stdio", "streamable-http:/mcp", "sse:/sse"}, transports())

	require.NoError(t, feed.Close()) // stdin closes: stdio ends
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("ServeStdio did not return after stdin closed")
	}
	assert.Equal(t, []string{"streamable-http:/mcp", "sse:/sse"}, transports())
}
