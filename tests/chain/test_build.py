"""The shipped artifacts are what the sources compile to, for an EVM every engine runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scfledger.chain.artifacts import ARTIFACTS_DIR, ArtifactNotFound, build_info, load_artifact
from scfledger.chain.build import (
    COMPILER_SETTINGS,
    CONTRACTS_DIR,
    GENERATED_FILE,
    build,
    compiler_version,
    source_hash,
)

# Opcodes newer than `paris`: geth 1.13's Clique engine (and older Besu set-ups) reject them.
POST_PARIS_OPCODES = {0x5F: "PUSH0", 0x5E: "MCOPY", 0x5C: "TLOAD", 0x5D: "TSTORE", 0x49: "BLOBHASH"}
DEPLOYABLE = {"ConsortiumRegistry", "ReceivableToken", "SetOff"}


def opcodes(bytecode_hex: str) -> list[int]:
    """The opcodes of EVM bytecode, skipping PUSH data."""
    code = bytes.fromhex(bytecode_hex.removeprefix("0x"))
    found, pc = [], 0
    while pc < len(code):
        op = code[pc]
        found.append(op)
        pc += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return found


def test_shipped_artifacts_are_not_stale() -> None:
    info = build_info()
    assert info["compiler"] == compiler_version()
    assert info["settings"] == COMPILER_SETTINGS
    assert info["sourceHash"] == source_hash(info["sources"], info["compiler"]), (
        "contracts changed since the artifacts were built: run `scf build`"
    )


def test_every_contract_source_is_part_of_the_build() -> None:
    own = {p.relative_to(CONTRACTS_DIR).as_posix() for p in CONTRACTS_DIR.rglob("*.sol")}
    assert own <= set(build_info()["sources"])


def test_rebuild_reproduces_the_shipped_artifacts(tmp_path: Path) -> None:
    result = build(tmp_path)
    assert set(result.contracts) >= DEPLOYABLE
    for name in result.contracts:
        rebuilt = json.loads((tmp_path / f"{name}.json").read_text())
        shipped = json.loads((ARTIFACTS_DIR / f"{name}.json").read_text())
        assert rebuilt == shipped, f"{name} differs from the shipped artifact"
    # The generated constants, enums, structs and errors too, byte for byte.
    assert (tmp_path / GENERATED_FILE.name).read_bytes() == GENERATED_FILE.read_bytes(), (
        "chain/generated.py is stale: run `scf build`"
    )


def test_compiler_settings_target_paris_with_a_fixed_optimizer() -> None:
    assert COMPILER_SETTINGS["evmVersion"] == "paris"
    assert COMPILER_SETTINGS["optimizer"] == {"enabled": True, "runs": 200}
    assert build_info()["compiler"].startswith("0.8.28+")


@pytest.mark.parametrize("name", sorted(DEPLOYABLE))
def test_bytecode_uses_no_opcode_newer_than_paris(name: str) -> None:
    artifact = load_artifact(name)
    for code in (artifact.bytecode, artifact.deployed_bytecode):
        used = {POST_PARIS_OPCODES[op] for op in opcodes(code) if op in POST_PARIS_OPCODES}
        assert not used, f"{name} uses {used}"


@pytest.mark.parametrize("name", sorted(DEPLOYABLE))
def test_runtime_code_fits_the_contract_size_limit(name: str) -> None:
    assert len(bytes.fromhex(load_artifact(name).deployed_bytecode[2:])) <= 24_576


def test_opcode_walk_skips_push_data() -> None:
    # PUSH2 0x5f5f, then PUSH0: only the last byte is an opcode 0x5f.
    assert opcodes("0x615f5f5f") == [0x61, 0x5F]


def test_unknown_artifact_is_a_clear_error() -> None:
    with pytest.raises(ArtifactNotFound, match="NoSuchContract"):
        load_artifact("NoSuchContract")
