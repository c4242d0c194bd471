# The README's two commands are `make run` and `make test`; both set up first.
.PHONY: setup run test lint build gas

setup:
	scripts/setup.sh

run: setup
	.venv/bin/scf up

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy

test: lint
	.venv/bin/pytest -n 2 --dist loadgroup

build: setup
	.venv/bin/scf build

gas: setup
	.venv/bin/python bench/gas.py
