package server

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// TestSecretHeadersNeverRecorded sends twenty credential-bearing headers whose
// names a denylist misses: the inbox keeps each name with a redacted value,
// the DEBUG log has none of the values, and harmless headers stay readable.
func TestSecretHeadersNeverRecorded(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Debug = true
	e := newTestEnv(t, cfg)
	h := map[string]string{"X-Request-Id": "req-visible-1", "Idempotency-Key": "idem-visible-1"}
	for i, name := range testkit.SecretHeaderNames {
		h[name] = testkit.SecretHeaderValue(i)
	}
	resp, env := e.post(t, seedPath, []byte(`{"client_id":"redact-1","task":{"id":"t1"}}`), h)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%+v", env.Error)

	evs, err := e.store.ListEvents(context.Background(), webhook.EventFilter{ClientID: "redact-1"})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	got := evs[0].Headers
	for i, name := range testkit.SecretHeaderNames {
		assert.Equal(t, webhook.Redacted, got[http.CanonicalHeaderKey(name)], "inbox header %s", name)
		assert.NotContains(t, e.logText(), testkit.SecretHeaderValue(i), "debug log leaks %s", name)
	}
	assert.Equal(t, "req-visible-1", got["X-Request-Id"])
	assert.Equal(t, "idem-visible-1", got["Idempotency-Key"])
	assert.Equal(t, "application/json", got["Content-Type"])
	assert.Contains(t, e.logText(), "webhook body", "the debug line with the headers was written")
	assert.Contains(t, e.logText(), "req-visible-1")
}
