#!/usr/bin/env bash
# make conformance: runs the official MCP conformance suite
# (@modelcontextprotocol/conformance, server mode over Streamable HTTP) against
# a fresh "webhook-mcp serve", for every scenario that applies to a server
# without the suite's own test fixtures. The suite's output goes to a log (shown
# on failure) so its summary lines are never read as Go's test count.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node-tools.sh
# Not run, since they read the suite's own fixtures (prompts named test_*,
# resources test://…) that this server does not have: prompts-get-simple,
# prompts-get-with-args, prompts-get-embedded-resource, prompts-get-with-image,
# resources-read-text, resources-read-binary, resources-templates-read, and the
# tools-call-* scenarios; logging-set-level: the logging capability is not
# declared (no notifications/message are sent).
SCENARIOS=(server-initialize ping tools-list dns-rebinding-protection server-sse-multiple-streams resources-list
	resources-subscribe resources-unsubscribe prompts-list completion-complete)
trap stop_server EXIT
start_server env
logdir=$(mktemp -d)
ok=0
failed=()
for s in "${SCENARIOS[@]}"; do
	log="$logdir/$s.log"
	if "$NODE" "$TOOLS/@modelcontextprotocol/conformance/dist/index.js" server --url "$BASE_URL/mcp" --scenario "$s" >"$log" 2>&1 &&
		grep -q ', 0 failed' "$log" && ! grep -q 'FAILURE' "$log"; then
		ok=$((ok + 1))
		echo "conformance scenario $s: ok"
	else
		failed+=("$s")
		echo "conformance scenario $s: FAILED"
		sed 's/\x1b\[[0-9;]*m//g' "$log" | sed 's/^/    /'
	fi
done
echo "conformance scenarios ok: $ok/${#SCENARIOS[@]}"
rm -rf "$logdir"
[ ${#failed[@]} -eq 0 ] || { echo "conformance scenarios failed: ${failed[*]}"; exit 1; }
