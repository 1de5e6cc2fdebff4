#!/usr/bin/env bash
# make mcpb-validate: checks every bundle `make mcpb` wrote into dist/ with the
# MCP Bundles CLI (@anthropic-ai/mcpb, pinned in node-tools.sh): `mcpb unpack`
# reads the zip as Claude Desktop does, `mcpb validate` checks its
# manifest.json against the manifest schema, and the entry point must be there
# (executable except on Windows). The bundle's binary answering `initialize`
# over stdio is checked by internal/bundle's Go tests.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node-tools.sh
MCPB=("$NODE" "$TOOLS/@anthropic-ai/mcpb/dist/cli/cli.js")
shopt -s nullglob
bundles=(dist/*.mcpb)
[ ${#bundles[@]} -gt 0 ] || { echo "no dist/*.mcpb: run make mcpb first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for b in "${bundles[@]}"; do
	dir="$work/$(basename "$b" .mcpb)"
	if ! out=$("${MCPB[@]}" unpack "$b" "$dir" 2>&1); then
		echo "mcpb unpack $b: FAILED"; echo "$out" | sed 's/^/    /'; exit 1
	fi
	if ! out=$("${MCPB[@]}" validate "$dir/manifest.json" 2>&1); then
		echo "mcpb validate $b: FAILED"; echo "$out" | sed 's/^/    /'; exit 1
	fi
	entry=$("$NODE" -e 'console.log(require(process.argv[1]).server.entry_point)' "$dir/manifest.json")
	[ -f "$dir/$entry" ] || { echo "$b: entry point $entry missing" >&2; exit 1; }
	case "$entry" in
	*.exe) ;;
	*) [ -x "$dir/$entry" ] || { echo "$b: $entry is not executable" >&2; exit 1; } ;;
	esac
	echo "mcpb validate $b: ok ($entry)"
done
echo "mcpb bundles ok: ${#bundles[@]}"
