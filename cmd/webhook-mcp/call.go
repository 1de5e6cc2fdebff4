package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/webhook-mcp/webhook-mcp/server"
)

const callUsage = `Usage: webhook-mcp call <tool> [--arg key=value ...] [--json '{...}' | --json -]
       webhook-mcp call --list

Calls a tool of a running webhook-mcp over MCP (Streamable HTTP on /mcp) and prints
its result as JSON. The server is WEBHOOK_MCP_URL, else http://HTTP_ADDR, else
http://127.0.0.1:8000.

  --arg key=value   one argument; the value is parsed as JSON when it is valid JSON
                    (42, true, {"a":1}, "quoted"), else taken as a string; repeatable
  --json OBJECT     the arguments as one JSON object, "-" reads it from stdin;
                    --arg entries are set on top of it
  --list            list the server's tools instead of calling one

Credential (bearer token): MCP_AUTH_TOKEN, else APPROVAL_TOKEN, else the token
the server generated in DATA_DIR (approval_token) when the server is on this
machine. The exit status is 1 when the tool answers with an error; its text goes
to stderr.
`

// argList collects repeated --arg key=value flags.
type argList []string

func (a *argList) String() string     { return strings.Join(*a, " ") }
func (a *argList) Set(s string) error { *a = append(*a, s); return nil }

// runCall is `webhook-mcp call`.
func runCall(ctx context.Context, args, environ []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
		_, err := io.WriteString(stdout, callUsage)
		return err
	}
	fs := flag.NewFlagSet("call", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { _, _ = io.WriteString(stderr, callUsage) }
	var kvs argList
	fs.Var(&kvs, "arg", "key=value argument (repeatable)")
	rawJSON := fs.String("json", "", "arguments as a JSON object, - for stdin")
	list := fs.Bool("list", false, "list the tools")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *list {
		if len(pos) > 0 || len(kvs) > 0 || *rawJSON != "" {
			return fmt.Errorf("%w: call --list takes nothing else", errUsage)
		}
	} else if len(pos) != 1 || strings.TrimSpace(pos[0]) == "" {
		_, _ = io.WriteString(stderr, callUsage)
		return fmt.Errorf("%w: call needs exactly one tool name", errUsage)
	}
	var arguments map[string]any
	if !*list {
		if arguments, err = callArguments(*rawJSON, kvs, stdin); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	env := envMap(environ)
	base := serverURL(env)
	c, err := connectMCP(ctx, base, bearerFor(env, base))
	if err != nil {
		return err
	}
	defer c.Close()
	if *list {
		return listTools(ctx, c, base, stdout)
	}
	req := mcp.CallToolRequest{}
	req.Params.Name = pos[0]
	req.Params.Arguments = arguments
	res, err := c.CallTool(ctx, req)
	if err != nil {
		return explainMCPError(base, fmt.Errorf("call %s: %w", pos[0], err))
	}
	if res.IsError {
		return fmt.Errorf("%s: %s", pos[0], resultText(res))
	}
	return printResult(stdout, res)
}

// callArguments merges --json (an object) and the --arg entries.
func callArguments(rawJSON string, kvs []string, stdin io.Reader) (map[string]any, error) {
	args := map[string]any{}
	if rawJSON == "-" {
		b, err := io.ReadAll(io.LimitReader(stdin, 64<<20))
		if err != nil {
			return nil, fmt.Errorf("read --json from stdin: %w", err)
		}
		rawJSON = string(b)
	}
	if strings.TrimSpace(rawJSON) != "" {
		dec := json.NewDecoder(strings.NewReader(rawJSON))
		dec.UseNumber()
		if err := dec.Decode(&args); err != nil || args == nil {
			return nil, fmt.Errorf("--json wants a JSON object, e.g. '{\"client_id\":\"client-123\"}'")
		}
	}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("--arg %q: want key=value", kv)
		}
		args[k] = argValue(v)
	}
	return args, nil
}

// argValue is v parsed as JSON when it is valid JSON, else v as a string.
func argValue(v string) any {
	dec := json.NewDecoder(strings.NewReader(v))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err == nil && !dec.More() {
		if _, err := dec.Token(); errors.Is(err, io.EOF) {
			return out
		}
	}
	return v
}

// envMap turns KEY=value strings into a map.
func envMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// serverURL is the base URL of the server a CLI command talks to:
// WEBHOOK_MCP_URL, else http://HTTP_ADDR (an unspecified host such as 0.0.0.0
// is reached on loopback), else the default.
func serverURL(env map[string]string) string {
	if u := strings.TrimSpace(env["WEBHOOK_MCP_URL"]); u != "" {
		return strings.TrimRight(u, "/")
	}
	addr := strings.TrimSpace(env["HTTP_ADDR"])
	host, port, err := net.SplitHostPort(addr)
	if addr == "" || err != nil || port == "" || port == "0" {
		return defaultServerURL
	}
	if ip, err := netip.ParseAddr(host); host == "" || (err == nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// bearerFor picks the credential for base: MCP_AUTH_TOKEN, APPROVAL_TOKEN, or
// the token the server generated into DATA_DIR, read only when base is on
// this machine so that it never travels elsewhere.
func bearerFor(env map[string]string, base string) string {
	for _, k := range []string{"MCP_AUTH_TOKEN", "APPROVAL_TOKEN"} {
		if v := strings.TrimSpace(env[k]); v != "" {
			return v
		}
	}
	if !onThisMachine(base) {
		return ""
	}
	dir := strings.TrimSpace(env["DATA_DIR"])
	if dir == "" {
		dir = "./data"
	}
	tok, err := server.ReadApprovalTokenFile(dir)
	if err != nil {
		return ""
	}
	return tok
}

// connectMCP starts and initializes an MCP session on base/mcp.
func connectMCP(ctx context.Context, base, token string) (*client.Client, error) {
	var opts []transport.StreamableHTTPCOption
	if token != "" {
		opts = append(opts, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
	}
	opts = append(opts, transport.WithHTTPTimeout(60*time.Second))
	tr, err := transport.NewStreamableHTTP(base+"/mcp", opts...)
	if err != nil {
		return nil, fmt.Errorf("WEBHOOK_MCP_URL=%q: %w", base, err)
	}
	c := client.NewClient(tr)
	if err := c.Start(ctx); err != nil {
		return nil, explainMCPError(base, fmt.Errorf("connect to %s/mcp: %w", base, err))
	}
	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = mcp.Implementation{Name: "webhook-mcp-cli", Version: version}
	if _, err := c.Initialize(ctx, init); err != nil {
		_ = c.Close()
		return nil, explainMCPError(base, fmt.Errorf("initialize MCP session at %s/mcp: %w", base, err))
	}
	return c, nil
}

// explainMCPError adds what to do about the usual failures.
func explainMCPError(base string, err error) error {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("webhook-mcp is not running at %s (connection refused); start it with `webhook-mcp serve` "+
			"or set WEBHOOK_MCP_URL (or HTTP_ADDR)", base)
	case errors.Is(err, transport.ErrUnauthorized) || errors.Is(err, transport.ErrAuthorizationRequired):
		return fmt.Errorf("%w (set MCP_AUTH_TOKEN to the server's token)", err)
	}
	return err
}

// resultText joins the text contents of a tool result.
func resultText(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if t, ok := c.(mcp.TextContent); ok {
			parts = append(parts, t.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// printResult writes the structured result as indented JSON: the text content
// when it is that JSON (it keeps the server's key order), else the structured
// content, else the text as it is.
func printResult(w io.Writer, res *mcp.CallToolResult) error {
	text := resultText(res)
	var buf bytes.Buffer
	switch {
	case json.Valid([]byte(text)) && json.Indent(&buf, []byte(text), "", "  ") == nil:
	case res.StructuredContent != nil:
		b, err := json.MarshalIndent(res.StructuredContent, "", "  ")
		if err != nil {
			return fmt.Errorf("encode result: %w", err)
		}
		buf.Write(b)
	default:
		buf.WriteString(text)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// listTools prints the server's tools, one a line: name and title.
func listTools(ctx context.Context, c *client.Client, base string, w io.Writer) error {
	res, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		return explainMCPError(base, fmt.Errorf("list tools: %w", err))
	}
	for _, t := range res.Tools {
		title := t.Title
		if title == "" {
			title = t.Annotations.Title
		}
		if _, err := fmt.Fprintf(w, "%-32s %s\n", t.Name, title); err != nil {
			return err
		}
	}
	return nil
}
