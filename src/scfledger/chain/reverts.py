"""Decodes revert data of every contract we ship into typed ContractRevert errors."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from eth_abi.abi import decode as abi_decode
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError

from scfledger.chain.artifacts import ARTIFACTS_DIR, load_artifact
from scfledger.exceptions import ContractRevert, UnknownRevert

T = TypeVar("T")

# Solidity's built-in errors, shared by all contracts.
_BUILTIN: dict[bytes, tuple[str, list[tuple[str, str]]]] = {
    bytes.fromhex("08c379a0"): ("Error", [("message", "string")]),
    bytes.fromhex("4e487b71"): ("Panic", [("code", "uint256")]),
}


@dataclass(frozen=True)
class _ErrorAbi:
    name: str
    contract: str
    params: list[tuple[str, str]]


def _abi_type(param: dict[str, Any]) -> str:
    kind: str = param["type"]
    if kind.startswith("tuple"):
        inner = ",".join(_abi_type(component) for component in param["components"])
        return f"({inner}){kind[5:]}"
    return kind


@cache
def _error_table() -> dict[bytes, _ErrorAbi]:
    table: dict[bytes, _ErrorAbi] = {}
    for path in sorted(ARTIFACTS_DIR.glob("*.json")):
        if path.stem == "build-info":
            continue
        artifact = load_artifact(path.stem)
        for item in artifact.abi:
            if item["type"] != "error":
                continue
            params = [(p["name"], _abi_type(p)) for p in item["inputs"]]
            signature = f"{item['name']}({','.join(t for _, t in params)})"
            table.setdefault(
                function_signature_to_4byte_selector(signature),
                _ErrorAbi(name=item["name"], contract=artifact.name, params=params),
            )
    return table


def decode_revert(data: bytes) -> ContractRevert | UnknownRevert:
    """Turns raw revert data into the error our contracts declared for it."""
    selector, payload = data[:4], data[4:]
    if selector in _BUILTIN:
        name, params = _BUILTIN[selector]
        contract = "solidity"
    elif selector in _error_table():
        entry = _error_table()[selector]
        name, params, contract = entry.name, entry.params, entry.contract
    else:
        return UnknownRevert(data)
    try:
        values = abi_decode([t for _, t in params], payload)
    except Exception:  # malformed payload: keep the raw data rather than guess
        return UnknownRevert(data)
    values = tuple(
        to_checksum_address(v) if t == "address" else v
        for (_, t), v in zip(params, values, strict=True)
    )
    return ContractRevert(
        name=name,
        args=dict(zip([n for n, _ in params], values, strict=True)),
        contract=contract,
        data=data,
    )


def revert_data(exc: BaseException) -> bytes | None:
    """The raw revert data carried by a web3.py or eth-tester exception, if any."""
    if isinstance(exc, ContractCustomError | ContractPanicError | ContractLogicError):
        data = exc.data
        if isinstance(data, str) and data.startswith("0x"):
            return bytes.fromhex(data[2:])
        return None
    # eth-tester reports "execution reverted: b'...'" with the data as a bytes literal.
    message = str(exc.args[0]) if exc.args else ""
    prefix = "execution reverted: "
    if type(exc).__name__ == "TransactionFailed" and message.startswith(prefix + "b"):
        literal = ast.literal_eval(message[len(prefix) :])
        if isinstance(literal, bytes):
            return literal
    return None


def call_decoding_reverts(action: Callable[[], T]) -> T:
    """Runs a contract call or transaction, re-raising any revert as its decoded error."""
    try:
        return action()
    except Exception as exc:
        data = revert_data(exc)
        if data is None:
            raise
        raise decode_revert(data) from exc
