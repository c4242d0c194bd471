"""Regenerates the Python SDK's models from the gateway's OpenAPI document.

    python scripts/gen_python_client.py          # rewrites scfledger_client/models.py
    python scripts/gen_python_client.py --check  # exit 1 if the checked-in file is stale

The server's schemas (scfledger.api.schemas) are the one owner of the wire format: the SDK
never imports them, it carries this generated copy, and a test fails when the copy is stale.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "clients" / "python" / "scfledger_client" / "models.py"
BIN = Path(sys.executable).parent
HEADER = (
    '"""Request and response bodies of the gateway\'s REST API, generated from its OpenAPI\n'
    "document by scripts/gen_python_client.py: do not edit (rerun it). Its length\n"
    'is the API\'s: one class per body."""'
)
# Bounds a double cannot hold exactly (the document may carry 2**63 - 1 as 9.22e18): the
# server checks them exactly, the SDK would check them wrong by one.
EXACT_FLOATS = 2**53
BOUNDS = ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum")
# Enums the document writes inline that the SDK's signatures name: where each is read.
ALIASES = {
    "ProposalStatus": ("components", "schemas", "ProposalOut", "properties", "status"),
    "RoleName": ("components", "schemas", "AdmissionIn", "properties", "roles", "items"),
    "DraftStatus": ("components", "schemas", "DraftOut", "properties", "status"),
}


def openapi_document() -> dict[str, Any]:
    """The gateway's OpenAPI document, as `/openapi.json` serves it (no chain, no database:
    the document depends on the routes only). The gateway of this checkout, whatever is
    installed."""
    sys.path.insert(0, str(ROOT / "src"))
    from scfledger.api.app import create_app
    from scfledger.api.gateway import Gateway

    standin = cast(Gateway, SimpleNamespace(indexer=None))
    return create_app(standin, run_workers=False).openapi()


def _exact(node: Any) -> Any:
    """The document with integral float bounds as integers, and those no float holds exactly
    dropped."""
    if isinstance(node, list):
        return [_exact(item) for item in node]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key in BOUNDS and isinstance(value, float):
            if abs(value) >= EXACT_FLOATS:
                continue
            value = int(value) if value.is_integer() else value
        result[key] = _exact(value)
    return result


def _aliases(document: dict[str, Any]) -> str:
    """`Name = Literal[...]` for each of ALIASES, from the enum at its place in `document`."""
    lines = []
    for name, path in ALIASES.items():
        node: Any = document
        for key in path:
            node = node[key]
        values = ", ".join(json.dumps(value) for value in node["enum"])
        lines.append(f"{name} = Literal[{values}]")
    return "\n\n" + "\n".join(lines) + "\n"


def generate(document: dict[str, Any]) -> str:
    """models.py's text for `document`, formatted by the repository's ruff settings."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "openapi.json"
        source.write_text(json.dumps(_exact(document), indent=1))
        output = Path(tmp) / "models.py"
        subprocess.run(
            [
                str(BIN / "datamodel-codegen"),
                *("--input", str(source), "--input-file-type", "openapi"),
                *("--output", str(output)),
                *("--output-model-type", "pydantic_v2.BaseModel"),
                *("--target-python-version", "3.11"),
                "--use-annotated",
                "--use-type-alias",
                "--use-standard-collections",
                "--use-union-operator",
                "--strict-nullable",
                "--collapse-root-models",
                "--enum-field-as-literal=all",
                "--use-schema-description",
                "--use-field-description",
                "--disable-timestamp",
                *("--output-datetime-class", "datetime"),
                *("--custom-file-header", HEADER),
                *("--formatters", "builtin"),
            ],
            check=True,
            capture_output=True,
        )
        text = output.read_text() + _aliases(document)
    for command in (["check", "--fix-only", "--quiet"], ["format", "--quiet"]):
        text = subprocess.run(
            [str(BIN / "ruff"), *command, "--stdin-filename", str(MODELS), "-"],
            input=text,
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        ).stdout
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the models are stale")
    parser.add_argument("--models", type=Path, default=MODELS, help="where the models are")
    args = parser.parse_args()
    models: Path = args.models
    text = generate(openapi_document())
    if args.check:
        if not models.exists() or models.read_text() != text:
            print(f"{models} is stale: run scripts/gen_python_client.py")
            return 1
        return 0
    models.write_text(text)
    print(f"wrote {models}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
