package testkit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

// SSEClient is a small MCP client of the HTTP+SSE transport (GET /sse, POST
// /message) that answers the requests a server sends on the stream, which
// mcp-go v1.2.1's SSE client cannot: it drops them. Tests use it to check that
// a server asks elicitation/create over /sse.
type SSEClient struct {
	base, token string
	hc          *http.Client
	cancel      context.CancelFunc
	onElicit    func(params json.RawMessage) any
	endpoint    chan string
	msgURL      string
	seq         atomic.Int64
	done        chan struct{}

	mu      sync.Mutex
	waiting map[string]chan json.RawMessage
	asked   []json.RawMessage
}

// DialSSE opens the event stream of the server at base (sending token as the
// bearer when not empty) and waits for its message endpoint. onElicit answers
// elicitation/create with the result to send; nil answers with an error.
func DialSSE(ctx context.Context, base, token string, onElicit func(params json.RawMessage) any) (*SSEClient, error) {
	sctx, cancel := context.WithCancel(context.Background())
	c := &SSEClient{base: strings.TrimRight(base, "/"), token: token, hc: &http.Client{}, cancel: cancel,
		onElicit: onElicit, endpoint: make(chan string, 1), done: make(chan struct{}), waiting: map[string]chan json.RawMessage{}}
	req, err := http.NewRequestWithContext(sctx, http.MethodGet, c.base+"/sse", nil)
	if err != nil {
		cancel()
		return nil, err
	}
	c.auth(req)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.hc.Do(req)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("open /sse: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("open /sse: status %d", resp.StatusCode)
	}
	go c.read(resp)
	select {
	case ep := <-c.endpoint:
		c.msgURL = c.base + ep
		return c, nil
	case <-ctx.Done():
		c.Close()
		return nil, ctx.Err()
	}
}

func (c *SSEClient) auth(req *http.Request) {
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
}

// Close ends the event stream.
func (c *SSEClient) Close() { c.cancel() }

// Asked returns the params of every elicitation/create received so far.
func (c *SSEClient) Asked() []json.RawMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]json.RawMessage(nil), c.asked...)
}

// read parses the event stream until it ends.
func (c *SSEClient) read(resp *http.Response) {
	defer close(c.done)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 8<<20)
	var event, data string
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.HasPrefix(line, "event:"):
			event = strings.TrimSpace(line[len("event:"):])
		case strings.HasPrefix(line, "data:"):
			data += strings.TrimPrefix(line[len("data:"):], " ")
		case line == "":
			if event == "endpoint" {
				c.endpoint <- data
			} else if data != "" {
				c.onMessage(json.RawMessage(data))
			}
			event, data = "", ""
		}
	}
}

// onMessage routes one JSON-RPC message from the server.
func (c *SSEClient) onMessage(raw json.RawMessage) {
	var m struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
		Params json.RawMessage `json:"params"`
	}
	if json.Unmarshal(raw, &m) != nil || len(m.ID) == 0 || string(m.ID) == "null" {
		return // a notification
	}
	if m.Method == "" {
		c.mu.Lock()
		ch := c.waiting[string(m.ID)]
		delete(c.waiting, string(m.ID))
		c.mu.Unlock()
		if ch != nil {
			ch <- raw
		}
		return
	}
	reply := map[string]any{"jsonrpc": "2.0", "id": m.ID}
	if m.Method == "elicitation/create" && c.onElicit != nil {
		c.mu.Lock()
		c.asked = append(c.asked, m.Params)
		c.mu.Unlock()
		reply["result"] = c.onElicit(m.Params)
	} else {
		reply["error"] = map[string]any{"code": -32601, "message": "not supported by the test client"}
	}
	go func() { _, _ = c.post(context.Background(), reply) }()
}

// post sends one message to the message endpoint and returns the status.
func (c *SSEClient) post(ctx context.Context, msg any) (int, error) {
	b, err := json.Marshal(msg)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.msgURL, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	c.auth(req)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// Post sends a raw message to the message endpoint (to forge one) and returns
// the HTTP status.
func (c *SSEClient) Post(ctx context.Context, msg any) (int, error) { return c.post(ctx, msg) }

// Call sends a request and waits for its response's result.
func (c *SSEClient) Call(ctx context.Context, method string, params any) (json.RawMessage, error) {
	id := c.seq.Add(1)
	key := fmt.Sprint(id)
	ch := make(chan json.RawMessage, 1)
	c.mu.Lock()
	c.waiting[key] = ch
	c.mu.Unlock()
	status, err := c.post(ctx, map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	if err != nil {
		return nil, err
	}
	if status != http.StatusAccepted {
		return nil, fmt.Errorf("%s: status %d", method, status)
	}
	select {
	case raw := <-ch:
		var resp struct {
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(raw, &resp); err != nil {
			return nil, err
		}
		if resp.Error != nil {
			return nil, errors.New(resp.Error.Message)
		}
		return resp.Result, nil
	case <-c.done:
		return nil, errors.New("event stream closed")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Initialize performs the handshake on protocol version, declaring the
// elicitation capability when the client answers elicitations.
func (c *SSEClient) Initialize(ctx context.Context, version, name string) (json.RawMessage, error) {
	caps := map[string]any{}
	if c.onElicit != nil {
		caps["elicitation"] = map[string]any{}
	}
	res, err := c.Call(ctx, "initialize", map[string]any{"protocolVersion": version, "capabilities": caps,
		"clientInfo": map[string]any{"name": name, "version": "1"}})
	if err != nil {
		return nil, err
	}
	_, err = c.post(ctx, map[string]any{"jsonrpc": "2.0", "method": "notifications/initialized"})
	return res, err
}

// CallTool calls a tool and decodes its structured content into out; it
// returns whether the result is a tool error and its first text.
func (c *SSEClient) CallTool(ctx context.Context, name string, args map[string]any, out any) (isError bool, text string, err error) {
	raw, err := c.Call(ctx, "tools/call", map[string]any{"name": name, "arguments": args})
	if err != nil {
		return false, "", err
	}
	var res struct {
		IsError           bool            `json:"isError"`
		StructuredContent json.RawMessage `json:"structuredContent"`
		Content           []struct {
			Text string `json:"text"`
		} `json:"content"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return false, "", err
	}
	if len(res.Content) > 0 {
		text = res.Content[0].Text
	}
	if out != nil && !res.IsError && len(res.StructuredContent) > 0 {
		err = json.Unmarshal(res.StructuredContent, out)
	}
	return res.IsError, text, err
}
