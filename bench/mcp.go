package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
)

// mcpSessions is a pool of initialised Streamable HTTP sessions on one
// server, shared by the tools/call scenarios run against it, the way an MCP
// client with open sessions calls.
type mcpSessions struct {
	client *http.Client
	url    string
	ids    []string
}

func newMCPSessions(ctx context.Context, client *http.Client, base string, n int) (*mcpSessions, error) {
	s := &mcpSessions{client: client, url: base + "/mcp"}
	for i := range n {
		id, err := s.initialize(ctx, i)
		if err != nil {
			return nil, fmt.Errorf("mcp session %d: %w", i, err)
		}
		s.ids = append(s.ids, id)
	}
	return s, nil
}

// initialize opens one session: initialize, then notifications/initialized.
// The client declares no capabilities (no elicitation: an approval stays
// pending).
func (s *mcpSessions) initialize(ctx context.Context, n int) (string, error) {
	init := fmt.Sprintf(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":%q,`+
		`"capabilities":{},"clientInfo":{"name":"bench-%d","version":"1"}}}`, mcpVersion, n)
	resp, body, err := s.post(ctx, "", []byte(init))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"result"`)) {
		return "", fmt.Errorf("initialize: status %d: %.200s", resp.StatusCode, body)
	}
	sid := resp.Header.Get("Mcp-Session-Id")
	resp, body, err = s.post(ctx, sid, []byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`))
	if err != nil {
		return "", err
	}
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("notifications/initialized: status %d: %.200s", resp.StatusCode, body)
	}
	return sid, nil
}

func (s *mcpSessions) post(ctx context.Context, session string, payload []byte) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(payload))
	if err != nil {
		return nil, nil, err
	}
	req.Header["Content-Type"] = []string{"application/json"}
	req.Header["Accept"] = []string{"application/json, text/event-stream"}
	req.Header["Mcp-Protocol-Version"] = []string{mcpVersion}
	if session != "" {
		req.Header["Mcp-Session-Id"] = []string{session}
	}
	resp, err := s.client.Do(req)
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

// callRaw sends one tools/call with id seq on session seq mod the pool size
// and returns the response body once it is a successful tool result.
func (s *mcpSessions) callRaw(ctx context.Context, seq int64, head, tail []byte) ([]byte, error) {
	// A fresh buffer per request: the transport may still hold the body.
	msg := make([]byte, 0, len(head)+len(tail)+20)
	msg = append(strconv.AppendInt(append(msg, head...), seq, 10), tail...)
	resp, body, err := s.post(ctx, s.ids[int(seq)%len(s.ids)], msg)
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("status %d: %.200s", resp.StatusCode, body)
	case bytes.Contains(body, rpcError):
		return nil, fmt.Errorf("json-rpc error: %.200s", body)
	case bytes.Contains(body, toolError):
		return nil, fmt.Errorf("tool error: %.200s", body)
	case !bytes.Contains(body, []byte(`"result"`)):
		return nil, errors.New("no result in the response")
	}
	return body, nil
}

// mcpTarget calls one tool with fixed arguments on a session pool.
type mcpTarget struct {
	sessions *mcpSessions
	tool     string
	head     []byte // `{"jsonrpc":"2.0","id":`
	tail     []byte // `,"method":"tools/call","params":{...}}`
}

func newMCPTarget(s *mcpSessions, tool string, arguments []byte) *mcpTarget {
	return &mcpTarget{sessions: s, tool: tool, head: []byte(`{"jsonrpc":"2.0","id":`),
		tail: fmt.Appendf(nil, `,"method":"tools/call","params":{"name":%q,"arguments":%s}}`, tool, compactJSON(arguments))}
}

func (t *mcpTarget) do(ctx context.Context, seq int64) error {
	_, err := t.sessions.callRaw(ctx, seq, t.head, t.tail)
	return err
}

// call makes one call and decodes the tool's structured result into out.
func (t *mcpTarget) call(ctx context.Context, seq int64, out any) error {
	body, err := t.sessions.callRaw(ctx, seq, t.head, t.tail)
	if err != nil {
		return err
	}
	return decodeToolResult(body, out)
}

// decodeToolResult reads a tools/call response (a JSON body or one SSE
// event) and decodes its structuredContent, else its first text content.
func decodeToolResult(body []byte, out any) error {
	if i := bytes.Index(body, []byte("data:")); i >= 0 && !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		body, _, _ = bytes.Cut(bytes.TrimSpace(body[i+len("data:"):]), []byte("\n"))
	}
	var rpc struct {
		Result struct {
			Structured json.RawMessage `json:"structuredContent"`
			Content    []struct {
				Text string `json:"text"`
			} `json:"content"`
		} `json:"result"`
	}
	if err := json.Unmarshal(body, &rpc); err != nil {
		return fmt.Errorf("decode tools/call response: %w: %.200s", err, body)
	}
	raw := rpc.Result.Structured
	if len(raw) == 0 && len(rpc.Result.Content) > 0 {
		raw = json.RawMessage(rpc.Result.Content[0].Text)
	}
	if len(raw) == 0 {
		return fmt.Errorf("tools/call response has no result content: %.200s", body)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("decode tool result: %w: %.200s", err, raw)
	}
	return nil
}

// benchResponseURL is where the benchmark's approval request would POST if a
// person approved it; nobody does, and nothing listens there (discard port).
// The product allows it through OUTBOUND_ALLOW_HOSTS=127.0.0.1 (productEnv).
const benchResponseURL = "http://127.0.0.1:9/bench-response"

// createApproval asks the product for one approval (send_webhook_response)
// and checks that get_approval_status reads it back pending: the id the
// read-only scenario then polls.
func createApproval(ctx context.Context, s *mcpSessions, seq int64) (string, error) {
	send := newMCPTarget(s, sendTool, fmt.Appendf(nil,
		`{"response_url":%q,"response_data":{"bench":true},"client_id":"bench"}`, benchResponseURL))
	var pending struct {
		Status     string `json:"status"`
		ApprovalID string `json:"approval_id"`
	}
	if err := send.call(ctx, seq, &pending); err != nil {
		return "", fmt.Errorf("%s: %w", sendTool, err)
	}
	if pending.ApprovalID == "" || pending.Status != "pending_approval" {
		return "", fmt.Errorf("%s: status %q, approval_id %q: want pending_approval and an id",
			sendTool, pending.Status, pending.ApprovalID)
	}
	var st struct {
		ApprovalID string `json:"approval_id"`
		State      string `json:"state"`
	}
	if err := newMCPTarget(s, statusTool, approvalArgs(pending.ApprovalID)).call(ctx, seq+1, &st); err != nil {
		return "", fmt.Errorf("%s: %w", statusTool, err)
	}
	if st.ApprovalID != pending.ApprovalID || st.State != "pending" {
		return "", fmt.Errorf("%s: approval %q in state %q: want %q pending", statusTool, st.ApprovalID, st.State, pending.ApprovalID)
	}
	return pending.ApprovalID, nil
}

// extractArgs are the arguments of extract_client_knowledge_graph for a payload.
func extractArgs(payload []byte) []byte {
	return append(append([]byte(`{"webhook_data":`), compactJSON(payload)...), '}')
}

func approvalArgs(id string) []byte { return fmt.Appendf(nil, `{"approval_id":%q}`, id) }

// dirBytes is the total size of the regular files under dir (the SQLite
// database, its WAL and shared-memory files).
func dirBytes(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			n += fi.Size()
		}
		return nil
	})
	return n, err
}
