# The README's two commands are `make run` and `make test`; both set up first.
.PHONY: setup setup-tests run test lint build gas clients

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

test: setup-tests lint
	.venv/bin/pytest -n 2 --dist loadgroup

build: setup
	.venv/bin/scf build

gas: setup
	.venv/bin/python bench/gas.py

# The OpenAPI document and the TypeScript client generated from it (clients/).
clients: setup
	scripts/gen-clients.sh
