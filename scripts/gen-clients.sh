#!/usr/bin/env bash
# Regenerates what is generated from the gateway's OpenAPI document: clients/openapi.json
# (the document itself, as /openapi.json serves it) and the TypeScript client's types
# (clients/typescript/src/schema.d.ts, by openapi-typescript); then type-checks the client
# with tsc --strict. Run after changing a route or a schema; tests/api/test_clients.py fails
# while these files are stale. With --check, writes nothing and exits 1 if they are stale.
set -euo pipefail
cd "$(dirname "$0")/.."

check=0
case "${1:-}" in
  "") ;;
  --check) check=1 ;;
  *) echo "usage: scripts/gen-clients.sh [--check]" >&2; exit 2 ;;
esac

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" .venv/bin/python -m scfledger.api.openapi > "$out/openapi.json"
node_modules/.bin/openapi-typescript "$out/openapi.json" -o "$out/schema.d.ts" --silent

stale=0
for pair in "openapi.json:clients/openapi.json" "schema.d.ts:clients/typescript/src/schema.d.ts"; do
  fresh="$out/${pair%%:*}" kept="${pair#*:}"
  if ! cmp -s "$fresh" "$kept"; then
    stale=1
    if [ "$check" -eq 1 ]; then echo "stale: $kept (run scripts/gen-clients.sh)" >&2; else cp "$fresh" "$kept"; fi
  fi
done
[ "$check" -eq 1 ] && [ "$stale" -eq 1 ] && exit 1
node_modules/.bin/tsc -p clients/typescript/tsconfig.json
