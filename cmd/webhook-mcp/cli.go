package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/server"
)

// defaultServerURL is where the CLI subcommands find a running server.
const defaultServerURL = "http://127.0.0.1:8000"

// apiClient talks to a running webhook-mcp over its token-protected HTTP API.
// It is shared by the subcommands that act on a server (approvals, deliveries).
type apiClient struct {
	BaseURL   string // WEBHOOK_MCP_URL
	Token     string // APPROVAL_TOKEN, sent as a bearer token when set
	TokenFile string // where Token was read from when APPROVAL_TOKEN was not given
	HTTP      *http.Client
}

// newAPIClient reads WEBHOOK_MCP_URL (else HTTP_ADDR, as serverURL does),
// APPROVAL_TOKEN and DATA_DIR (cliEnv) from environ. Without APPROVAL_TOKEN, a
// client of a server on this machine (a loopback URL) uses the token the
// server generated into DATA_DIR.
func newAPIClient(environ []string) *apiClient {
	m := envMap(environ)
	// cliEnv has only string fields, which always parse.
	e, _ := env.ParseAsWithOptions[cliEnv](env.Options{Environment: m})
	base := strings.TrimSpace(e.ServerURL)
	if base == "" {
		base = serverURL(m)
	}
	c := &apiClient{BaseURL: strings.TrimRight(base, "/"), Token: e.Token, HTTP: &http.Client{Timeout: 30 * time.Second}}
	dataDir := strings.TrimSpace(e.DataDir)
	if dataDir == "" {
		dataDir = "./data"
	}
	if c.Token == "" && onThisMachine(c.BaseURL) {
		if tok, err := server.ReadApprovalTokenFile(dataDir); err == nil {
			c.Token, c.TokenFile = tok, server.ApprovalTokenFile(dataDir)
		}
	}
	return c
}

// onThisMachine reports whether baseURL names a loopback host.
func onThisMachine(baseURL string) bool {
	u, err := url.Parse(baseURL)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// serverError is an error answer of the server: its status and the error it
// carries (code from the body, or from the status through the api table).
type serverError struct {
	Status int
	Err    *api.Error
}

// Error implements error with a hint for the usual causes.
func (e *serverError) Error() string {
	msg := fmt.Sprintf("server answered %d %s", e.Status, e.Err.Code)
	if e.Err.Message != "" {
		msg += ": " + e.Err.Message
	}
	switch e.Err.Code {
	case api.CodeUnauthorized:
		msg += " (set APPROVAL_TOKEN to the server's token; on the server's machine, DATA_DIR to its data directory " +
			"holding " + server.ApprovalTokenFileName + ")"
	case api.CodeNotFound:
		msg += " (check the id)"
	}
	return msg
}

// Unwrap lets errors.As find the *api.Error.
func (e *serverError) Unwrap() error { return e.Err }

// do sends a request with an optional JSON body and decodes a JSON answer into
// out (when not nil). Error answers become a *serverError wrapping an *api.Error.
func (c *apiClient) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	ctype := ""
	if body != nil || method == http.MethodPost {
		ctype = "application/json" // the server refuses other POSTs
	}
	raw, err := c.send(ctx, method, path, query, ctype, rd)
	if err != nil {
		return err
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("decode answer from %s%s: %w", c.BaseURL, path, err)
		}
	}
	return nil
}

// send sends a request with a body of ctype (none when empty) and returns the
// body of a successful answer; error answers become a *serverError.
func (c *apiClient) send(ctx context.Context, method, path string, query url.Values, ctype string, body io.Reader) ([]byte, error) {
	u := c.BaseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("WEBHOOK_MCP_URL=%q: %w", c.BaseURL, err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("webhook-mcp is not running at %s (connection refused); start it with `webhook-mcp serve` "+
				"or set WEBHOOK_MCP_URL", c.BaseURL)
		}
		return nil, fmt.Errorf("reach webhook-mcp at %s: %w", c.BaseURL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("read answer from %s: %w", c.BaseURL, err)
	}
	if resp.StatusCode >= 300 {
		return nil, &serverError{Status: resp.StatusCode, Err: api.DecodeError(resp.StatusCode, raw)}
	}
	return raw, nil
}

// subcommandOf splits `<group> <sub> ...` arguments. It prints usage for help
// (done=true) and reports a missing or unknown subcommand as errUsage; the
// returned flag set reports its own errors to stderr and has --json.
func subcommandOf(group, usage string, subs []string, args []string, stdout, stderr io.Writer) (
	sub string, rest []string, fs *flag.FlagSet, asJSON *bool, done bool, err error) {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		_, _ = io.WriteString(stdout, usage)
		if len(args) == 0 {
			return "", nil, nil, nil, true, fmt.Errorf("%w: %s needs a subcommand", errUsage, group)
		}
		return "", nil, nil, nil, true, nil
	}
	sub, rest = args[0], args[1:]
	if !slices.Contains(subs, sub) {
		_, _ = io.WriteString(stderr, usage)
		return "", nil, nil, nil, true, fmt.Errorf("%w: unknown %s subcommand %q", errUsage, group, sub)
	}
	fs = flag.NewFlagSet(group+" "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON = fs.Bool("json", false, "print JSON instead of a table")
	return sub, rest, fs, asJSON, false, nil
}

// positionalID parses the flags (before or after the arguments) and checks the
// positional arguments: list takes none, every other subcommand exactly one id,
// returned escaped for a URL path.
func positionalID(fs *flag.FlagSet, group, sub, what string, rest []string) (string, error) {
	pos, err := parseInterspersed(fs, rest)
	if err != nil {
		return "", fmt.Errorf("%w: %v", errUsage, err)
	}
	if sub == "list" {
		if len(pos) > 0 {
			return "", fmt.Errorf("%w: %s list takes no arguments", errUsage, group)
		}
		return "", nil
	}
	if len(pos) != 1 || strings.TrimSpace(pos[0]) == "" {
		return "", fmt.Errorf("%w: %s %s needs exactly one %s id", errUsage, group, sub, what)
	}
	return url.PathEscape(pos[0]), nil
}

// parseInterspersed parses flags that may come before or after positional
// arguments and returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
