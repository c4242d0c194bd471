"""Compiles contracts/ with the npm solc (solcjs) through py-solc-x into shipped artifacts
and the generated constants module (chain/generated.py)."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scfledger.chain.artifacts import ARTIFACTS_DIR, BUILD_INFO_FILE
from scfledger.chain.codegen import generate

REPO_ROOT = Path(__file__).resolve().parents[3]
CONTRACTS_DIR = REPO_ROOT / "contracts"
NODE_MODULES = REPO_ROOT / "node_modules"
SHIM = REPO_ROOT / "scripts" / "solcjs-shim.js"
GENERATED_NAME = "generated.py"
GENERATED_FILE = Path(__file__).resolve().parent / GENERATED_NAME
MOCKS = "mocks/"  # test doubles: compiled and shipped, but nothing is generated from them

# Fixed so every build of the same sources yields the same bytecode. `paris` is the newest
# EVM that go-ethereum 1.13's Clique engine, eth-tester, anvil and Besu all run (no PUSH0).
COMPILER_SETTINGS: dict[str, Any] = {
    "evmVersion": "paris",
    "optimizer": {"enabled": True, "runs": 200},
    "metadata": {"bytecodeHash": "none"},
    "outputSelection": {
        "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]},
    },
}


class BuildError(RuntimeError):
    """The compiler or its toolchain failed."""


@dataclass(frozen=True)
class BuildResult:
    compiler_version: str
    source_hash: str
    contracts: tuple[str, ...]


def own_sources() -> dict[str, str]:
    """Every .sol file under contracts/, keyed by its path relative to contracts/."""
    return {
        path.relative_to(CONTRACTS_DIR).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(CONTRACTS_DIR.rglob("*.sol"))
    }


def _resolve_import(unit: str) -> Path:
    for base in (CONTRACTS_DIR, NODE_MODULES):
        candidate = base / unit
        if candidate.is_file():
            return candidate
    raise BuildError(f"source unit {unit} not found in contracts/ or node_modules/")


def source_hash(units: list[str], compiler_version: str) -> str:
    """SHA-256 over every compiled source unit, the settings and the compiler version."""
    digest = hashlib.sha256()
    digest.update(compiler_version.encode())
    digest.update(json.dumps(COMPILER_SETTINGS, sort_keys=True).encode())
    for unit in sorted(units):
        digest.update(unit.encode() + b"\0")
        digest.update(_resolve_import(unit).read_bytes() + b"\0")
    return digest.hexdigest()


def compiler_version() -> str:
    import solcx.wrapper

    return str(solcx.wrapper.get_version_str_from_solc_binary(str(SHIM)))


def compile_contracts() -> dict[str, Any]:
    """Runs the compiler on contracts/ and returns solc's standard-JSON output."""
    import solcx
    import solcx.exceptions

    if shutil.which("node") is None:
        raise BuildError("node is not installed; run scripts/setup.sh")
    if not (NODE_MODULES / "solc").is_dir():
        raise BuildError("node_modules/solc is missing; run scripts/setup.sh (npm ci)")
    standard_input = {
        "language": "Solidity",
        "sources": {unit: {"content": text} for unit, text in own_sources().items()},
        # The AST (what the generated module is read from) changes no bytecode.
        "settings": {**COMPILER_SETTINGS, "outputSelection": _with_ast()},
    }
    try:
        output: dict[str, Any] = solcx.compile_standard(standard_input, solc_binary=str(SHIM))
    except solcx.exceptions.SolcError as exc:
        raise BuildError(str(exc)) from exc
    return output


def _with_ast() -> dict[str, Any]:
    selection: dict[str, Any] = COMPILER_SETTINGS["outputSelection"]
    return {"*": {**selection["*"], "": ["ast"]}}


def build(out_dir: Path = ARTIFACTS_DIR, generated_file: Path | None = None) -> BuildResult:
    """Compiles and writes one artifact per deployable contract plus build-info.json, and
    the generated module: to `generated_file`, by default chain/generated.py when building
    the shipped artifacts, else generated.py in `out_dir`."""
    version = compiler_version()
    output = compile_contracts()
    units = list(output["sources"].keys())
    digest = source_hash(units, version)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("*.json"):
        stale.unlink()
    names: list[str] = []
    abis: dict[str, list[dict[str, Any]]] = {}
    for unit in sorted(own_sources()):
        for name, contract in sorted(output["contracts"].get(unit, {}).items()):
            bytecode = contract["evm"]["bytecode"]["object"]
            if not bytecode or not contract["abi"]:
                continue  # interfaces, abstract contracts, libraries of constants
            artifact = {
                "contractName": name,
                "sourceName": unit,
                "abi": contract["abi"],
                "bytecode": "0x" + bytecode,
                "deployedBytecode": "0x" + contract["evm"]["deployedBytecode"]["object"],
            }
            (out_dir / f"{name}.json").write_text(json.dumps(artifact, indent=1) + "\n")
            names.append(name)
            if not unit.startswith(MOCKS):
                abis[name] = contract["abi"]
    build_info = {
        "compiler": version,
        "settings": COMPILER_SETTINGS,
        "sourceHash": digest,
        "sources": sorted(units),
        "contracts": names,
    }
    (out_dir / BUILD_INFO_FILE).write_text(json.dumps(build_info, indent=1) + "\n")
    asts = {
        unit: output["sources"][unit]["ast"] for unit in own_sources() if not unit.startswith(MOCKS)
    }
    if generated_file is None:
        generated_file = GENERATED_FILE if out_dir == ARTIFACTS_DIR else out_dir / GENERATED_NAME
    generated_file.write_text(generate(asts, abis))
    return BuildResult(compiler_version=version, source_hash=digest, contracts=tuple(names))
