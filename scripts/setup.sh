#!/usr/bin/env bash
# Sets up what the project needs from the package registries, idempotently: the Python
# virtual environment at .venv (pinned by requirements.lock) and the npm packages (pinned by
# package-lock.json: solcjs, OpenZeppelin, anvil, Swagger UI's assets, openapi-typescript,
# openapi-fetch and typescript for clients/typescript). That is all the dev chain (`make run`)
# needs. With --tests it also builds go-ethereum from the Go module proxy into .tools/bin and
# installs Debian's postgresql when its server binaries are missing (the tests start both);
# otherwise geth is built the first time a Clique network is started.
set -euo pipefail
cd "$(dirname "$0")/.."

for_tests=0
case "${1:-}" in
  "") ;;
  --tests) for_tests=1 ;;
  *) echo "usage: scripts/setup.sh [--tests]" >&2; exit 2 ;;
esac

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3

if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(cat requirements.lock pyproject.toml clients/python/pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.lock
  .venv/bin/pip install --quiet --disable-pip-version-check --no-deps -e .
  # The SDK, its own distribution (httpx and pydantic only, both in the lock already).
  .venv/bin/pip install --quiet --disable-pip-version-check --no-deps -e clients/python
  echo "$want" > "$stamp"
fi

# npm writes node_modules/.package-lock.json on every install: missing or older than the
# lock file, the packages are not the locked ones.
if [ ! -f node_modules/.package-lock.json ] \
  || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # No install script reports usage home (swagger-ui-dist pulls in @scarf/scarf): a bank
  # network has no internet, and nothing should try.
  SCARF_ANALYTICS=false npm ci --no-audit --no-fund --loglevel=error
fi

[ "$for_tests" -eq 1 ] || exit 0

scripts/build-geth.sh

# PostgreSQL server binaries for the integration tests (they start their own server).
if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
fi
