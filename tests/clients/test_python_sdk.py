"""The Python SDK as a bank installs it: its own distribution, without the server, and its
models the gateway's current OpenAPI document."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SDK = REPO / "clients" / "python"
# What the gateway needs and a client must not: importing any of these is a leak.
SERVER_ONLY = (
    "scfledger",
    "web3",
    "eth_account",
    "eth_tester",
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "psycopg",
    "matplotlib",
    "alembic",
)
USE_THE_SDK = f"""
import asyncio, json, sys
import scfledger_client
from scfledger_client import AsyncScfClient, ScfClient, models

ScfClient("http://127.0.0.1:1").close()
asyncio.run(AsyncScfClient("http://127.0.0.1:1").aclose())
models.IssueIn(creditor="0x" + "ab" * 20, face_amount="0.01", due_date=1,
               document_hash="0x" + "0" * 64)
print(json.dumps({{
    "file": scfledger_client.__file__,
    "leaked": sorted({{m.split(".")[0] for m in sys.modules}} & set({SERVER_ONLY!r})),
}}))
"""


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0]


def test_sdk_is_its_own_distribution_needing_httpx_and_pydantic_only() -> None:
    project = tomllib.loads((SDK / "pyproject.toml").read_text())
    assert project["project"]["name"] == "scfledger-client"
    requires = sorted(_name(r) for r in project["project"]["dependencies"])
    assert requires == ["httpx", "pydantic", "typing-extensions"]
    assert project["tool"]["setuptools"]["packages"] == ["scfledger_client"]


def test_sdk_alone_imports_nothing_of_the_server(tmp_path: Path) -> None:
    """The package as installed (its directory, nothing else of the checkout on the path)
    runs, and its use imports nothing of the gateway (nor web3, FastAPI, ...). (`pip
    install clients/python` builds it with setuptools from PyPI: not offline, so not here.)"""
    site = tmp_path / "site"
    shutil.copytree(SDK / "scfledger_client", site / "scfledger_client")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    answer = subprocess.run(
        [sys.executable, "-c", USE_THE_SDK],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    used = json.loads(answer.stdout)
    assert Path(used["file"]).is_relative_to(site)
    assert used["leaked"] == []


def test_the_gateway_does_not_import_the_sdk() -> None:
    """The server owns the schemas; the SDK carries a generated copy, never the reverse."""
    code = "import sys, scfledger.api.app; print('scfledger_client' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(SDK)])}
    answer = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env
    )
    assert answer.stdout.strip() == "False"


def test_sdk_models_are_what_the_gateway_openapi_generates(tmp_path: Path) -> None:
    """The checked-in models are what `scripts/gen_python_client.py` generates from the
    gateway's OpenAPI document now (after an API change: rerun it)."""
    fresh = tmp_path / "models.py"
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_python_client.py"), "--models", str(fresh)],
        check=True,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
        timeout=300,
    )
    checked_in = (SDK / "scfledger_client" / "models.py").read_text()
    assert fresh.read_text() == checked_in, "stale: run python scripts/gen_python_client.py"
