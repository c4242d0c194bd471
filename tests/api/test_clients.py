"""The clients generated from the OpenAPI document are current: clients/openapi.json is what
the gateway serves, clients/typescript/src/schema.d.ts is what openapi-typescript makes of
it, and the TypeScript client compiles with tsc --strict (scripts/gen-clients.sh
regenerates them)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from scfledger.api.app import build_app

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "clients" / "openapi.json"


def test_the_checked_in_document_is_the_gateways() -> None:
    kept = json.loads(DOCUMENT.read_text())
    assert kept == build_app().openapi(), "clients/openapi.json is stale: scripts/gen-clients.sh"


def test_the_typescript_client_is_current_and_compiles() -> None:
    """openapi-typescript over the document gives the checked-in types, and tsc --strict
    (noEmit) accepts the client and its example."""
    result = subprocess.run(
        ["scripts/gen-clients.sh", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
