package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/store"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// TestSignedWebhookReplayIsNotProcessedAgain replays a captured Standard
// Webhooks request through the built binary with IDEMPOTENCY_WINDOW=0 and a
// fresh Idempotency-Key: the signed webhook-id is kept for WEBHOOK_TOLERANCE,
// so the replay gets the first answer and nothing is processed twice.
func TestSignedWebhookReplayIsNotProcessedAgain(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	t.Parallel()
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("replay-e2e-secret"))
	dataDir := t.TempDir()
	cmd, base, _ := startServe(t, []string{"DATA_DIR=" + dataDir, "MAKE_COM_WEBHOOK_SECRET=" + secret,
		"IDEMPOTENCY_WINDOW=0", "WEBHOOK_TOLERANCE=5m"})
	key, err := webhook.DecodeSecret(secret)
	require.NoError(t, err)
	body := `{"client_id":"replayed","task":{"id":"r1","name":"Once"}}`
	now := time.Now()
	post := func(idemKey string) (int, string, string) {
		req, err := http.NewRequest(http.MethodPost, base+"/api/webhook/make.com/chatgpt-clients", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("webhook-id", "msg_captured")
		req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
		req.Header.Set("webhook-signature", webhook.SignStandard(key, "msg_captured", now, []byte(body)))
		req.Header.Set("Idempotency-Key", idemKey)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var env struct {
			WebhookID string `json:"webhook_id"`
		}
		require.NoError(t, json.Unmarshal(raw, &env), "%s", raw)
		return resp.StatusCode, resp.Header.Get("Idempotent-Replayed"), env.WebhookID
	}
	code1, replayed1, id1 := post("first")
	require.Equal(t, http.StatusOK, code1)
	assert.Empty(t, replayed1)
	code2, replayed2, id2 := post("a-fresh-key")
	assert.Equal(t, http.StatusOK, code2)
	assert.Equal(t, "true", replayed2, "the replay is answered from the first call")
	assert.Equal(t, id1, id2)
	require.NoError(t, cmd.Process.Kill())
	_, _ = cmd.Process.Wait()
	st, err := store.Open(context.Background(), store.Options{DataDir: dataDir})
	require.NoError(t, err)
	defer st.Close()
	evs, err := st.ListEvents(context.Background(), webhook.EventFilter{ClientID: "replayed"})
	require.NoError(t, err)
	assert.Len(t, evs, 1, "processed once")
}

// TestSecretArgumentIsNeverStored calls validate_webhook_signature with a
// secret_key through the built binary: the secret reaches no file of the
// data directory (the call is read-only, so it is not recorded).
func TestSecretArgumentIsNeverStored(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	t.Parallel()
	dataDir := t.TempDir()
	const secret = "sk-never-store-me-5f1c"
	cmd, base, _ := startServe(t, []string{"DATA_DIR=" + dataDir, "MCP_AUTH_TOKEN=mcp-test-token"})
	c, err := client.NewStreamableHttpClient(base+"/mcp", transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer mcp-test-token"}))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, c.Start(ctx))
	_, err = c.Initialize(ctx, mcp.InitializeRequest{Params: mcp.InitializeParams{ProtocolVersion: "2025-11-25",
		ClientInfo: mcp.Implementation{Name: "secret-test", Version: "1"}}})
	require.NoError(t, err)
	payload := `{"client_id":"c"}`
	req := mcp.CallToolRequest{}
	req.Params.Name = "validate_webhook_signature"
	req.Params.Arguments = map[string]any{"webhook_data": payload, "secret_key": secret,
		"signature": "sha256=" + strings.Repeat("0", 64)}
	res, err := c.CallTool(ctx, req)
	require.NoError(t, err)
	require.False(t, res.IsError, "%v", res.Content)
	require.NoError(t, c.Close())
	require.NoError(t, cmd.Process.Kill()) // no checkpoint: the WAL is read as it is
	_, _ = cmd.Process.Wait()
	files := 0
	require.NoError(t, filepath.Walk(dataDir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.NotContains(t, string(b), secret, "%s holds the secret", path)
		return nil
	}))
	assert.Positive(t, files)
}
