"""The one signing path: a transaction of an operation, signed, with the row that stores it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scfledger.chain.fees import FeeFields
from scfledger.db.models import utcnow
from scfledger.keys.store import Signer

CANCEL_GAS = 21_000


@dataclass(frozen=True)
class Signed:
    """A signed transaction: its hash, its bytes and its `transactions` row."""

    tx_hash: str
    raw: bytes
    nonce: int
    row: dict[str, Any]

    @property
    def created_at(self) -> datetime:
        created: datetime = self.row["created_at"]
        return created


def sign_transaction(
    signer: Signer,
    *,
    operation_id: str,
    chain_id: int,
    nonce: int,
    fees: FeeFields,
    to: str | None,
    data: bytes | None,
    gas: int,
    purpose: str = "call",
    now: datetime | None = None,
) -> Signed:
    """Signs a 0-value transaction for an operation (`purpose` "call" carries it; "cancel"
    is a self-transfer that takes its nonce: pass `cancel_transaction`'s fields)."""
    tx: dict[str, Any] = {"chainId": chain_id, "nonce": nonce, "to": to, "value": 0, "gas": gas}
    if data is not None:
        tx["data"] = data
    tx.update(fees)
    signed = signer.sign_transaction(tx)
    tx_hash = "0x" + bytes(signed.hash).hex()
    raw = bytes(signed.raw_transaction)
    row = {
        "tx_hash": tx_hash,
        "operation_id": operation_id,
        "purpose": purpose,
        "nonce": nonce,
        "raw": raw,
        "created_at": now or utcnow(),
        **fee_columns(fees),
    }
    return Signed(tx_hash=tx_hash, raw=raw, nonce=nonce, row=row)


def cancel_fields(sender: str) -> dict[str, Any]:
    """`to`, `data` and `gas` of the self-transfer that cancels a nonce."""
    return {"to": sender, "data": None, "gas": CANCEL_GAS, "purpose": "cancel"}


def fee_columns(fees: Mapping[str, Any]) -> dict[str, int | None]:
    """A transaction's fee fields as `transactions` columns."""

    def get(name: str) -> int | None:
        value = fees.get(name)
        return None if value is None else int(value)

    return {
        "gas_price": get("gasPrice"),
        "max_fee_per_gas": get("maxFeePerGas"),
        "max_priority_fee_per_gas": get("maxPriorityFeePerGas"),
    }


def fee_fields(
    gas_price: int | None, max_fee_per_gas: int | None, max_priority_fee_per_gas: int | None
) -> FeeFields:
    """A stored transaction's fees as transaction fields (to bump them)."""
    if gas_price is not None:
        return {"gasPrice": gas_price}
    return {
        "maxFeePerGas": max_fee_per_gas or 0,
        "maxPriorityFeePerGas": max_priority_fee_per_gas or 0,
    }
