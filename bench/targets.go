package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

const (
	webhookPath = "/api/webhook/make.com/chatgpt-clients"
	extractTool = "extract_client_knowledge_graph"
	statusTool  = "get_approval_status"
	sendTool    = "send_webhook_response"
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

func compactJSON(b []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return b
	}
	return buf.Bytes()
}
