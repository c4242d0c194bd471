#!/usr/bin/env bash
# Builds go-ethereum (geth) from the Go module proxy into .tools/bin, idempotently.
#
# v1.13.15 is pinned because it is the last release that still seals Clique
# proof-of-authority blocks (v1.14 removed Clique sealing). Everything Go writes goes
# under .tools/ so the build does not depend on, or pollute, the user's Go state.
set -euo pipefail
cd "$(dirname "$0")/.."

version=v1.13.15
root=$(pwd)
tools="$root/.tools"
geth="$tools/bin/geth"

# Output captured first: `geth version | grep -q` fails under pipefail when grep exits early.
if [ -x "$geth" ] && [[ "$("$geth" version 2>/dev/null)" == *"Version: ${version#v}-stable"* ]]; then
  echo "geth ${version} already built at .tools/bin/geth"
  exit 0
fi

command -v go >/dev/null || { echo "build-geth: 'go' not found on PATH (need Go >= 1.20)" >&2; exit 1; }

mkdir -p "$tools/bin"
export GOBIN="$tools/bin"
export GOPATH="$tools/go"
# Respect caches the user already points at (shared across projects); otherwise stay local.
export GOMODCACHE="${GOMODCACHE:-$tools/go/pkg/mod}"
export GOCACHE="${GOCACHE:-$tools/cache/go-build}"
# 'go install pkg@version' ignores any go.mod; GOTOOLCHAIN=local stops Go from trying to
# download a different toolchain than the one installed.
export GOTOOLCHAIN=local
# sum.golang.org itself may be unreachable; the go command then verifies checksums through
# the module proxy's /sumdb/ endpoint (proxy.golang.org supports it), so GOSUMDB stays on.

# Go >= 1.23 refuses the //go:linkname that github.com/fjl/memsize (a geth dependency)
# uses; -checklinkname=0 lets v1.13.x link. Older linkers do not know the flag.
ldflags=
go_minor=$(go env GOVERSION | sed -nE 's/^go1\.([0-9]+).*/\1/p')
if [ -z "$go_minor" ] || [ "$go_minor" -ge 23 ]; then
  ldflags=-checklinkname=0
fi

echo "building geth ${version} into .tools/bin (takes a minute or two)..."
start=$(date +%s)
# -trimpath keeps local paths out of the binary.
go install -trimpath -ldflags="$ldflags" "github.com/ethereum/go-ethereum/cmd/geth@${version}"
echo "built $("$geth" version | grep '^Version:') in $(( $(date +%s) - start )) s"
