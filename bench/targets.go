package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

const (
	webhookPath = "/api/webhook/make.com/chatgpt-clients"
	mcpTool     = "extract_client_knowledge_graph"
	mcpVersion  = "2025-11-25"
)

// webhookTarget POSTs one payload, signed as Make.com would sign it
// (X-Webhook-Signature: sha256=<hex>), with a unique Idempotency-Key per
// request so that no request is a replay of another.
type webhookTarget struct {
	client *http.Client
	url    string
	body   []byte
	sig    string
	prefix string // of the idempotency keys: unique per run and phase group
}

func newWebhookTarget(client *http.Client, base string, body []byte, secret, prefix string) *webhookTarget {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return &webhookTarget{client: client, url: base + webhookPath, body: body,
		sig: "sha256=" + hex.EncodeToString(m.Sum(nil)), prefix: prefix}
}

func (t *webhookTarget) do(ctx context.Context, seq int64) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(t.body))
	if err != nil {
		return err
	}
	req.Header["Content-Type"] = []string{"application/json"}
	req.Header["X-Webhook-Signature"] = []string{t.sig}
	req.Header["Idempotency-Key"] = []string{t.prefix + strconv.FormatInt(seq, 10)}
	resp, err := t.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return fmt.Errorf("status %d: %s", resp.StatusCode, bytes.TrimSpace(b))
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// mcpTarget sends JSON-RPC tools/call requests over Streamable HTTP on a pool
// of initialised sessions, the way an MCP client with open sessions does.
type mcpTarget struct {
	client   *http.Client
	url      string
	sessions []string
	head     []byte // `{"jsonrpc":"2.0","id":`
	tail     []byte // `,"method":"tools/call","params":{...}}`
}

func newMCPTarget(ctx context.Context, client *http.Client, base string, payload []byte, sessions int) (*mcpTarget, error) {
	t := &mcpTarget{client: client, url: base + "/mcp", head: []byte(`{"jsonrpc":"2.0","id":`)}
	t.tail = fmt.Appendf(nil, `,"method":"tools/call","params":{"name":%q,"arguments":{"webhook_data":%s}}}`,
		mcpTool, compactJSON(payload))
	for i := range sessions {
		id, err := t.initialize(ctx, i)
		if err != nil {
			return nil, fmt.Errorf("mcp session %d: %w", i, err)
		}
		t.sessions = append(t.sessions, id)
	}
	return t, nil
}

// initialize opens one session: initialize, then notifications/initialized.
func (t *mcpTarget) initialize(ctx context.Context, n int) (string, error) {
	init := fmt.Sprintf(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":%q,`+
		`"capabilities":{},"clientInfo":{"name":"bench-%d","version":"1"}}}`, mcpVersion, n)
	resp, body, err := t.post(ctx, "", []byte(init))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"result"`)) {
		return "", fmt.Errorf("initialize: status %d: %.200s", resp.StatusCode, body)
	}
	sid := resp.Header.Get("Mcp-Session-Id")
	resp, body, err = t.post(ctx, sid, []byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`))
	if err != nil {
		return "", err
	}
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("notifications/initialized: status %d: %.200s", resp.StatusCode, body)
	}
	return sid, nil
}

func (t *mcpTarget) post(ctx context.Context, session string, payload []byte) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(payload))
	if err != nil {
		return nil, nil, err
	}
	req.Header["Content-Type"] = []string{"application/json"}
	req.Header["Accept"] = []string{"application/json, text/event-stream"}
	req.Header["Mcp-Protocol-Version"] = []string{mcpVersion}
	if session != "" {
		req.Header["Mcp-Session-Id"] = []string{session}
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

var (
	rpcError  = []byte(`"error":{"code"`)
	toolError = []byte(`"isError":true`)
)

func (t *mcpTarget) do(ctx context.Context, seq int64) error {
	// A fresh buffer per request: the transport may still hold the body.
	msg := make([]byte, 0, len(t.head)+len(t.tail)+20)
	msg = append(strconv.AppendInt(append(msg, t.head...), seq, 10), t.tail...)
	resp, body, err := t.post(ctx, t.sessions[int(seq)%len(t.sessions)], msg)
	if err != nil {
		return err
	}
	switch {
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("status %d: %.200s", resp.StatusCode, body)
	case bytes.Contains(body, rpcError):
		return fmt.Errorf("json-rpc error: %.200s", body)
	case bytes.Contains(body, toolError):
		return fmt.Errorf("tool error: %.200s", body)
	case !bytes.Contains(body, []byte(`"result"`)):
		return errors.New("no result in the response")
	}
	return nil
}

func compactJSON(b []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return b
	}
	return buf.Bytes()
}
