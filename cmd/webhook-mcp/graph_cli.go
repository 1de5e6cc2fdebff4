package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
)

const graphUsage = `Usage:
  webhook-mcp graph export CLIENT_ID [--format memory-jsonl|json|mermaid] [--out FILE]
  webhook-mcp graph import CLIENT_ID [--mode merge|replace] [FILE]

Talks to a running server at WEBHOOK_MCP_URL (else HTTP_ADDR, else http://127.0.0.1:8000) with APPROVAL_TOKEN.
export writes the client's whole graph to FILE (default: standard output), by default in the JSONL
format of the reference MCP memory server (@modelcontextprotocol/server-memory: its MEMORY_FILE_PATH).
import reads such a file (default: standard input) and merges it into the client's graph, or
replaces the client's graph with it (--mode replace).
`

// runGraph is `webhook-mcp graph export|import ...`.
func runGraph(ctx context.Context, args, environ []string, stdin io.Reader, stdout, stderr io.Writer) error {
	sub, rest, fs, _, done, err := subcommandOf("graph", graphUsage, []string{"export", "import"}, args, stdout, stderr)
	if done || err != nil {
		return err
	}
	format := fs.String("format", "memory-jsonl", "export format: memory-jsonl, json or mermaid")
	out := fs.String("out", "", "export to this file instead of standard output")
	mode := fs.String("mode", "merge", "import mode: merge or replace")
	pos, err := parseInterspersed(fs, rest)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if len(pos) < 1 || pos[0] == "" || (sub == "export" && len(pos) != 1) || len(pos) > 2 {
		return fmt.Errorf("%w: graph export needs a client id; graph import a client id and at most one file", errUsage)
	}
	c := newAPIClient(environ)
	path := "/api/clients/" + url.PathEscape(pos[0]) + "/graph"
	if sub == "export" {
		raw, err := c.send(ctx, http.MethodGet, path, url.Values{"format": {*format}}, "", nil)
		if err != nil {
			return err
		}
		if *out == "" {
			_, err = stdout.Write(raw)
			return err
		}
		if err := os.WriteFile(*out, raw, 0o600); err != nil {
			return fmt.Errorf("write %s: %w", *out, err)
		}
		_, err = fmt.Fprintf(stderr, "wrote %s (%d bytes)\n", *out, len(raw))
		return err
	}
	in := stdin
	if len(pos) == 2 && pos[1] != "-" {
		b, err := os.ReadFile(pos[1])
		if err != nil {
			return fmt.Errorf("read %s: %w", pos[1], err)
		}
		in = bytes.NewReader(b)
	}
	raw, err := c.send(ctx, http.MethodPost, path+"/import", url.Values{"format": {"memory-jsonl"}, "mode": {*mode}},
		"application/jsonl", in)
	if err != nil {
		return err
	}
	_, err = stdout.Write(raw)
	return err
}
