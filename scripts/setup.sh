#!/usr/bin/env bash
# Sets up what the project needs from the package registries, idempotently: the Python
# virtual environment at .venv (pinned by requirements.lock) and the npm packages (pinned by
# package-lock.json: solcjs, OpenZeppelin, anvil, Swagger UI's assets, openapi-typescript,
# openapi-fetch and typescript for clients/typescript), and the web console's (console/,
# pinned by console/package-lock.json), built into console/dist when its sources changed.
# That is all the dev chain (`make run`) needs. With --tests it also builds go-ethereum from
# the Go module proxy into .tools/bin and installs Debian's postgresql, chromium and
# fonts-noto-cjk when missing (the tests start the first two; the console's browser tests
# need CJK fonts); otherwise geth is built the first time a Clique network is started.
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

# The web console: its packages (same stamp as above), then its build when its sources, its
# lock file or the API's types (clients/typescript/src/schema.d.ts) changed since the last.
if [ ! -f console/node_modules/.package-lock.json ] \
  || [ console/package-lock.json -nt console/node_modules/.package-lock.json ]; then
  (cd console && npm ci --no-audit --no-fund --loglevel=error)
fi
built=console/dist/.sources.sha256
sources=$(find console/src console/index.html console/package-lock.json console/vite.config.ts \
  console/tsconfig.json clients/typescript/src/schema.d.ts -type f -print0 \
  | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ "$(cat "$built" 2>/dev/null)" != "$sources" ]; then
  (cd console && npm run --silent build)
  echo "$sources" > "$built"
fi

[ "$for_tests" -eq 1 ] || exit 0

scripts/build-geth.sh

# Debian packages the tests need: PostgreSQL server binaries (the integration tests start
# their own server), and Debian's chromium with CJK fonts for the console's browser tests
# (Playwright drives it; nothing is downloaded at run time).
missing=()
if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
command -v chromium >/dev/null || missing+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
