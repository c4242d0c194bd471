"""Reads contract views straight from the provider, for tests that read the chain often.

web3.py's `ContractFunction.call()` costs about 8-10 ms of CPU per call here in request
middleware (a chain-id request per call for validation), result formatters and ABI lookups;
the request itself about 1.5 ms on anvil. The property machines read every piece after every
step, so this is where their time went. `read_view` returns what `.call()` returns for the
same view: one output unwrapped, several as a list, structs as tuples, addresses checksummed.
"""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from eth_abi.abi import decode
from eth_abi.grammar import ABIType, TupleType, parse
from eth_typing import ChecksumAddress
from eth_utils.abi import collapse_if_tuple
from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.types import RPCEndpoint

from scfledger.chain.reverts import call_decoding_reverts


@cache
def _outputs(abi_outputs: str) -> tuple[tuple[str, ...], tuple[ABIType, ...]]:
    types = tuple(abi_outputs.split("|")) if abi_outputs else ()
    return types, tuple(parse(t) for t in types)


def _checksummed(kind: ABIType, value: Any) -> Any:
    """Addresses as web3.py returns them (checksummed), however deep in tuples and arrays."""
    if kind.is_array:
        return [_checksummed(kind.item_type, v) for v in value]
    if isinstance(kind, TupleType):
        return tuple(_checksummed(c, v) for c, v in zip(kind.components, value, strict=True))
    if getattr(kind, "base", None) == "address":
        return to_checksum_address(value)
    return value


def read_view(w3: Web3, call: ContractFunction, caller: ChecksumAddress) -> Any:
    """Calls a view as `caller` at the latest block; a revert raises its decoded error."""
    abi = cast(Any, call.abi)
    types, kinds = _outputs("|".join(collapse_if_tuple(o) for o in abi["outputs"]))
    request = {"from": caller, "to": call.address, "data": call._encode_transaction_data()}
    response = call_decoding_reverts(  # eth-tester raises reverts
        lambda: w3.provider.make_request(RPCEndpoint("eth_call"), [request, "latest"])
    )
    if "error" in response:  # a node answers them: replay through web3.py, which decodes
        return call_decoding_reverts(call.call)
    result = response["result"]
    raw = bytes.fromhex(result[2:]) if isinstance(result, str) else bytes(result)
    values = [_checksummed(k, v) for k, v in zip(kinds, decode(types, raw), strict=True)]
    return values[0] if len(values) == 1 else values
