"""Fee fields for transactions: zero-fee permissioned chains, legacy gas price, EIP-1559."""

from __future__ import annotations

import threading
import time
from typing import Literal

from web3 import Web3

FeeMode = Literal["auto", "zero", "legacy", "eip1559"]
FeeFields = dict[str, int]

# Nodes refuse a same-nonce replacement that does not raise the fee by at least 10%
# (go-ethereum's default price bump); 20% leaves room for rounding.
REPLACEMENT_BUMP = 1.2
DEFAULT_PRIORITY_FEE = 1_000_000_000  # 1 gwei, when the node cannot suggest one


class FeePolicy:
    """Fee fields for the next transaction, refreshed from the node at most every `ttl` s.

    ``zero``: ``gasPrice = 0`` (permissioned chains configured with a zero minimum gas
    price, e.g. go-ethereum ``--miner.gasprice 0``, Besu ``--min-gas-price=0``).
    ``legacy``: the node's ``eth_gasPrice``. ``eip1559``: ``maxFeePerGas = 2 * baseFee +
    tip`` so a transaction survives several full blocks of base-fee rise. ``auto``:
    EIP-1559 when the latest block has a base fee, else legacy.
    """

    def __init__(
        self,
        w3: Web3,
        *,
        mode: FeeMode = "auto",
        priority_fee: int | None = None,
        ttl: float = 2.0,
    ) -> None:
        self.w3 = w3
        self.mode = mode
        self.priority_fee = priority_fee
        self.ttl = ttl
        self._lock = threading.Lock()
        self._cached: FeeFields | None = None
        self._cached_at = 0.0

    def fields(self) -> FeeFields:
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached_at > self.ttl:
                self._cached = self._fetch()
                self._cached_at = now
            return dict(self._cached)

    def _fetch(self) -> FeeFields:
        if self.mode == "zero":
            return {"gasPrice": 0}
        if self.mode == "legacy":
            return {"gasPrice": int(self.w3.eth.gas_price)}
        base_fee = self.w3.eth.get_block("latest").get("baseFeePerGas")
        if base_fee is None:
            if self.mode == "eip1559":
                raise ValueError("fee mode eip1559, but the chain's blocks have no base fee")
            return {"gasPrice": int(self.w3.eth.gas_price)}
        tip = self.priority_fee
        if tip is None:
            try:
                tip = int(self.w3.eth.max_priority_fee)
            except Exception:  # nodes without eth_maxPriorityFeePerGas
                tip = DEFAULT_PRIORITY_FEE
        return {"maxFeePerGas": 2 * int(base_fee) + tip, "maxPriorityFeePerGas": tip}


def bumped(previous: FeeFields, current: FeeFields) -> FeeFields:
    """Fees for a replacement: at least `REPLACEMENT_BUMP` times the previous, or current."""

    def up(value: int) -> int:
        return int(value * REPLACEMENT_BUMP) + 1

    if "gasPrice" in previous:
        price = max(
            up(previous["gasPrice"]), current.get("gasPrice", current.get("maxFeePerGas", 0))
        )
        return {"gasPrice": price}
    tip = max(up(previous["maxPriorityFeePerGas"]), current.get("maxPriorityFeePerGas", 0))
    fee = max(up(previous["maxFeePerGas"]), current.get("maxFeePerGas", 0), tip)
    return {"maxFeePerGas": fee, "maxPriorityFeePerGas": tip}


def is_zero(fees: FeeFields) -> bool:
    return all(value == 0 for value in fees.values())
