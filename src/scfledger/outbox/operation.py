"""What an operation is to its readers: snapshots (API, intake, confirmer), statuses, JSON."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address

from scfledger.chain.fees import FeeFields
from scfledger.chain.node import is_transient
from scfledger.chain.reverts import decode_revert
from scfledger.db.models import Operation, utcnow
from scfledger.db.models import OperationStatus as OperationStatus  # the outbox owns it
from scfledger.exceptions import ChainError, ChainUnavailable

RELAY_KIND = "relay"
TERMINAL = frozenset({OperationStatus.MINED, OperationStatus.INDEXED, OperationStatus.FAILED})


@dataclass(frozen=True)
class OperationView:
    """A snapshot of an operation row, safe to hand to API schemas and logs."""

    id: str
    participant: str
    idempotency_key: str
    kind: str
    arguments: dict[str, Any]
    status: str
    sender: str
    to_address: str | None
    nonce: int | None
    tx_hash: str | None
    block_number: int | None
    gas_used: int | None
    error_name: str | None
    error_args: dict[str, Any] | None
    error_message: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    mined_at: datetime | None
    error_data: bytes | None = None

    @classmethod
    def of(cls, op: Operation) -> OperationView:
        return cls(**{name: getattr(op, name) for name in VIEW_FIELDS})

    @classmethod
    def of_row(cls, row: Mapping[Any, Any]) -> OperationView:
        """From an operation's column values (a Core row mapping, or the dict inserted)."""
        return cls(**{name: row[name] for name in VIEW_FIELDS})

    @property
    def done(self) -> bool:
        return self.status in TERMINAL

    def error(self) -> ChainError | None:
        """The failure as a domain exception: the contract's decoded error when there is one."""
        if self.status != OperationStatus.FAILED:
            return None
        if self.error_data is not None:
            return decode_revert(self.error_data, self.arguments.get("contract"))
        return ChainError(self.error_message or f"operation {self.id} failed")

    def raise_for_error(self) -> None:
        error = self.error()
        if error is not None:
            raise error


VIEW_FIELDS = tuple(field.name for field in fields(OperationView))


@dataclass(frozen=True)
class SentTransaction:
    """One transaction stored for an operation."""

    tx_hash: str
    purpose: str
    nonce: int
    raw: bytes
    fees: FeeFields


@dataclass(frozen=True)
class Pending:
    """A submitted operation as its confirmer needs it: what it sends, and what was sent."""

    id: str
    participant: str
    kind: str
    sender: str
    to_address: str | None
    data: bytes
    gas_limit: int | None
    nonce: int | None
    updated_at: datetime
    transactions: tuple[SentTransaction, ...]  # oldest first

    @property
    def quiet_for(self) -> float:
        return age(self.updated_at)


@dataclass(frozen=True)
class Queued:
    """A queued operation as the intake needs it to sign it."""

    participant: str
    sender: str
    to_address: str | None
    data: bytes
    gas_limit: int | None


def to_json(value: Any) -> Any:
    """Contract arguments as JSON: bytes as 0x-hex, tuples as lists."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


def request_hash(participant: str, kind: str, to: str | None, data: bytes) -> str:
    """The default fingerprint of a request: who asks for which call."""
    body = json.dumps([participant, kind, to, data.hex()], separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


@lru_cache(maxsize=4096)
def checksum(address: str) -> ChecksumAddress:
    """EIP-55 form of an address (a keccak each time; the same few addresses recur)."""
    return to_checksum_address(address)


def unreachable(exc: BaseException) -> bool:
    """The node did not answer (as opposed to answering with an error)."""
    return isinstance(exc, ChainUnavailable) or is_transient(exc)


def age(moment: datetime, now: datetime | None = None) -> float:
    """Seconds since `moment`."""
    now = now or utcnow()
    if moment.tzinfo is None:  # SQLite returns naive datetimes for aware columns
        moment = moment.replace(tzinfo=now.tzinfo)
    return (now - moment) / timedelta(seconds=1)
