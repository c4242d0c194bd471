# The README's two commands are `make run` and `make test`; both set up first.
.PHONY: setup setup-tests run test test-console lint build gas clients

# The dev chain needs Python and npm packages only; geth is built when first needed.
setup:
	scripts/setup.sh

# The tests also start go-ethereum Clique networks and PostgreSQL servers.
setup-tests:
	scripts/setup.sh --tests

run: setup
	.venv/bin/scf up

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	PYTHONPATH=src .venv/bin/lint-imports
	cd console && node_modules/.bin/tsc --noEmit && node_modules/.bin/eslint .

# The console's unit tests (vitest; its browser tests are in tests/console, run by pytest).
test-console: setup
	cd console && node_modules/.bin/vitest run

# Each module runs whole on one worker (--dist loadscope): its module-scoped fixtures (a
# served gateway, a chain) are built once, not once per worker. tests/support/scheduling.py
# deals `spread` tests (the fuzz shards) apart, keeps an `xdist_group` on one worker and
# starts the longest first (tests/support/durations.json; refresh: add --record-durations).
test: setup-tests lint test-console
	.venv/bin/pytest -n 2 --dist loadscope --durations=25

build: setup
	.venv/bin/scf build

gas: setup
	.venv/bin/python bench/gas.py

# The OpenAPI document and the TypeScript client generated from it (clients/).
clients: setup
	scripts/gen-clients.sh
