package server

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDebugLogsDetailWithoutSecrets: DEBUG=true logs the request and response
// detail of a webhook, with signatures, tokens and the secret itself absent.
func TestDebugLogsDetailWithoutSecrets(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Debug = true
	cfg.MakeComWebhookSecret = []string{testSecret}
	e := newTestEnv(t, cfg)
	body := []byte(`{"client_id":"dbg","task":{"id":"t1"}}`)
	sig := "sha256=" + signHex(testSecret, body)
	resp, env := e.post(t, seedPath, body, map[string]string{"X-Webhook-Signature": sig,
		"Authorization": "Bearer some-token-value"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	logs := e.logText()
	assert.Contains(t, logs, "webhook body")
	assert.Contains(t, logs, "webhook response")
	assert.Contains(t, logs, env.WebhookID)
	assert.Contains(t, logs, "[redacted]")
	assert.NotContains(t, logs, sig[len("sha256="):], "the signature is not logged")
	assert.NotContains(t, logs, "some-token-value", "tokens are not logged")
	assert.NotContains(t, logs, testSecret, "the secret is never logged")
}
