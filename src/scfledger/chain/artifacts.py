"""Loads the compiled contract artifacts shipped inside the package (no compiler needed)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
BUILD_INFO_FILE = "build-info.json"


class ArtifactNotFound(LookupError):
    """No artifact of that contract name ships with the package."""


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str


@cache
def load_artifact(name: str) -> Artifact:
    """The ABI and bytecode of a contract by name, e.g. ``ReceivableToken``."""
    path = ARTIFACTS_DIR / f"{name}.json"
    if name == BUILD_INFO_FILE.removesuffix(".json") or not path.is_file():
        raise ArtifactNotFound(f"no artifact for contract {name!r} in {ARTIFACTS_DIR}")
    data = json.loads(path.read_text())
    return Artifact(
        name=data["contractName"],
        abi=data["abi"],
        bytecode=data["bytecode"],
        deployed_bytecode=data["deployedBytecode"],
    )


def build_info() -> dict[str, Any]:
    """Compiler version, settings and source hash of the shipped artifacts."""
    info: dict[str, Any] = json.loads((ARTIFACTS_DIR / BUILD_INFO_FILE).read_text())
    return info
