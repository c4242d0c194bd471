"""Decodes revert data of every contract we ship into typed ContractRevert errors."""

from __future__ import annotations

import ast
from collections.abc import Callable
from functools import cache
from typing import TypeVar

from eth_abi.abi import decode as abi_decode
from eth_utils.address import to_checksum_address
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError

from scfledger.chain.contract_types import ContractError
from scfledger.chain.generated import ERRORS
from scfledger.exceptions import ContractRevert, UnknownRevert

T = TypeVar("T")

# Solidity's built-in errors, shared by all contracts.
_BUILTIN: dict[bytes, tuple[str, list[tuple[str, str]]]] = {
    bytes.fromhex("08c379a0"): ("Error", [("message", "string")]),
    bytes.fromhex("4e487b71"): ("Panic", [("code", "uint256")]),
}


@cache
def _by_selector() -> dict[bytes, ContractError]:
    return {error.selector_bytes: error for error in ERRORS}


def decode_revert(data: bytes, called: str | None = None) -> ContractRevert | UnknownRevert:
    """Turns raw revert data into the error our contracts declared for it. An error several
    contracts declare is attributed to `called` (the contract the call was made to) when it
    is one of them, else to the first of them by name."""
    selector, payload = data[:4], data[4:]
    if selector in _BUILTIN:
        name, params = _BUILTIN[selector]
        contract = "solidity"
    elif selector in _by_selector():
        entry = _by_selector()[selector]
        name, params = entry.name, list(entry.params)
        contract = called if called in entry.contracts else entry.contracts[0]
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


def call_decoding_reverts(action: Callable[[], T], called: str | None = None) -> T:
    """Runs a contract call or transaction, re-raising any revert as its decoded error
    (attributed to `called`, the contract called, when it declares the error)."""
    try:
        return action()
    except Exception as exc:
        data = revert_data(exc)
        if data is None:
            raise
        raise decode_revert(data, called) from exc
