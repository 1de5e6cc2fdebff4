#!/usr/bin/env bash
# make inspector-check: the MCP Inspector CLI (@modelcontextprotocol/inspector
# --cli) lists and calls the tools over stdio and over Streamable HTTP (/mcp),
# and with an OAuth access token in --header.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node-tools.sh
INSPECTOR="$TOOLS/@modelcontextprotocol/inspector/clients/launcher/build/index.js"
trap stop_server EXIT
out=$(mktemp -d)
check() { # name, file, needle
	if grep -q -- "$3" "$2"; then
		echo "inspector-check $1: ok"
	else
		echo "inspector-check $1: FAILED (no $3 in the output)"
		sed 's/^/    /' "$2"
		exit 1
	fi
}
call_args=(--method tools/call --tool-name extract_client_knowledge_graph
	--tool-arg 'webhook_data={"client_id":"inspector-client","task":{"id":"task-1","name":"Inspector task"}}')

stdio_data=$(mktemp -d)
stdio=("$INSPECTOR" --cli -e "DATA_DIR=$stdio_data" -e HTTP_ADDR=127.0.0.1:0 -e LOG_LEVEL=warn "$(pwd)/bin/webhook-mcp" stdio)
"$NODE" "${stdio[@]}" --method tools/list >"$out/stdio-list.json" 2>"$out/stdio.err" || { cat "$out/stdio.err"; exit 1; }
check "stdio tools/list" "$out/stdio-list.json" '"name": "validate_webhook_signature"'
"$NODE" "${stdio[@]}" "${call_args[@]}" >"$out/stdio-call.json" 2>>"$out/stdio.err" || { cat "$out/stdio.err"; exit 1; }
check "stdio tools/call" "$out/stdio-call.json" 'task:task-1'
rm -rf "$stdio_data"

start_server env
"$NODE" "$INSPECTOR" --cli "$BASE_URL/mcp" --transport http --method tools/list >"$out/http-list.json" 2>"$out/http.err" || { cat "$out/http.err"; exit 1; }
check "http tools/list" "$out/http-list.json" '"name": "process_webhook_data"'
"$NODE" "$INSPECTOR" --cli "$BASE_URL/mcp" --transport http "${call_args[@]}" >"$out/http-call.json" 2>>"$out/http.err" || { cat "$out/http.err"; exit 1; }
check "http tools/call" "$out/http-call.json" 'task:task-1'

# OAuth: a real OpenID provider in a Go test issues the token the Inspector
# sends with --header "Authorization: Bearer <token>" (server/inspector_test.go).
NODE="$NODE" INSPECTOR_CLI="$INSPECTOR" go test -count=1 -v -run '^TestInspectorCLIWithOAuthToken$' ./server >"$out/oauth.log" 2>&1 ||
	{ cat "$out/oauth.log"; exit 1; }
check "oauth bearer tools/call" "$out/oauth.log" '^--- PASS: TestInspectorCLIWithOAuthToken'
rm -rf "$out"
echo "inspector-check ok: tools listed and called over stdio and /mcp, and with an OAuth bearer token"
