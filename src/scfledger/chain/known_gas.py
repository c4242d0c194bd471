"""Gas limits of the ledger's fixed-cost calls, known with a safe margin.

For these calls the pipeline simulates once (`eth_call` with this limit) instead of
estimating (`eth_estimateGas` runs the call again and again in a binary search over the
block's gas limit): the simulation still refuses a call the contract would revert before
a nonce is spent, and proves the limit enough in the state of the moment. A call that
fails with its known limit is estimated as any other (the revert decoded, or the gas
found). `tests/chain/test_known_gas.py` checks every limit against real estimates times
`GAS_MARGIN`, so a contract change that raises a call's gas fails the test, not a block.
"""

from __future__ import annotations

from functools import cache

from eth_utils.abi import function_signature_to_4byte_selector

from scfledger.chain.artifacts import load_artifact

# (contract, function) -> gas limit, every overload of the name: about 1.5x the estimate
# of the heaviest case the test checks (issue 373,738 with cold storage; accept 50,480; a
# split 212,014 and a whole-piece transfer 139,041; signing for a piece 50,480; refusing
# one 65,629, on eth-tester, 2026-11-26).
KNOWN_GAS: dict[tuple[str, str], int] = {
    ("ReceivableToken", "issue"): 560_000,
    ("ReceivableToken", "accept"): 80_000,
    ("ReceivableToken", "transferFrom"): 320_000,
    ("ReceivableToken", "acceptPiece"): 80_000,
    ("ReceivableToken", "refusePiece"): 100_000,
}


@cache
def _by_selector() -> dict[bytes, int]:
    limits: dict[bytes, int] = {}
    for (contract, function), gas in KNOWN_GAS.items():
        for item in load_artifact(contract).abi:
            if item["type"] == "function" and item["name"] == function:
                types = ",".join(p["type"] for p in item["inputs"])
                limits[function_signature_to_4byte_selector(f"{function}({types})")] = gas
    return limits


def known_gas(data: bytes) -> int | None:
    """The known gas limit of the call `data` encodes (by its selector), or None."""
    return _by_selector().get(bytes(data[:4]))
