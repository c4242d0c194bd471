"""A call of a shipped contract's function, encoded to calldata without a node."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_utils.abi import function_signature_to_4byte_selector
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract

from scfledger.chain.artifacts import load_artifact


@dataclass(frozen=True)
class ContractCall:
    """A function of a shipped contract at an address, with its arguments."""

    contract: str
    address: str
    function: str
    args: tuple[Any, ...] = ()

    def calldata(self) -> bytes:
        plain = _plain_function(self.contract, self.function, len(self.args))
        if plain is not None:
            selector, types = plain
            with suppress(Exception):  # arguments eth-abi does not take as given (hex strings)
                return selector + abi_encode(types, list(self.args))
        encoded = _contract_factory(self.contract).encode_abi(self.function, args=list(self.args))
        return bytes(HexBytes(encoded))


@cache
def _plain_function(contract: str, function: str, arity: int) -> tuple[bytes, list[str]] | None:
    """Selector and argument types of a function that is not overloaded at this arity."""
    matches = [
        item
        for item in load_artifact(contract).abi
        if item["type"] == "function" and item["name"] == function and len(item["inputs"]) == arity
    ]
    if len(matches) != 1 or any(p["type"].startswith("tuple") for p in matches[0]["inputs"]):
        return None
    types = [p["type"] for p in matches[0]["inputs"]]
    return function_signature_to_4byte_selector(f"{function}({','.join(types)})"), types


@cache
def _contract_factory(name: str) -> type[Contract]:
    # Building a web3 contract class parses the whole ABI (~20 ms): once per contract.
    return Web3().eth.contract(abi=load_artifact(name).abi)
