"""ORM models of the gateway's own state: operations, their transactions, account nonces."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so that migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """`moment` in UTC with its zone: SQLite returns naive datetimes for aware columns."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def new_id() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: DateTime(timezone=True)}


class OperationStatus(enum.StrEnum):
    """queued -> submitted -> mined (-> indexed, set by the indexer) or failed."""

    QUEUED = "queued"
    SUBMITTED = "submitted"
    MINED = "mined"
    INDEXED = "indexed"
    FAILED = "failed"


class Operation(Base):
    """One write requested by a participant; acted on once whatever is retried."""

    __tablename__ = "operations"
    __table_args__ = (
        UniqueConstraint("participant", "idempotency_key", name="uq_operations_participant_key"),
        Index("ix_operations_status_created", "status", "created_at"),
        Index("ix_operations_sender_nonce", "sender", "nonce"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    participant: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    # SHA-256 over what was asked: a key reused for another request is refused.
    request_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))
    arguments: Mapped[dict[str, Any]] = mapped_column(JSON)
    sender: Mapped[str] = mapped_column(String(42))
    to_address: Mapped[str | None] = mapped_column(String(42))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    gas_limit: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default=OperationStatus.QUEUED)
    nonce: Mapped[int | None] = mapped_column(BigInteger)
    tx_hash: Mapped[str | None] = mapped_column(String(66), index=True)
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    gas_used: Mapped[int | None] = mapped_column(BigInteger)
    error_name: Mapped[str | None] = mapped_column(String(128))
    error_args: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error_message: Mapped[str | None] = mapped_column(Text)
    error_data: Mapped[bytes | None] = mapped_column(LargeBinary)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    mined_at: Mapped[datetime | None]

    transactions: Mapped[list[Transaction]] = relationship(
        back_populates="operation", order_by="Transaction.created_at"
    )


class Transaction(Base):
    """Each signed transaction broadcast for an operation: the first and any replacement."""

    __tablename__ = "transactions"

    tx_hash: Mapped[str] = mapped_column(String(66), primary_key=True)
    operation_id: Mapped[str] = mapped_column(ForeignKey("operations.id"), index=True)
    # "call" carries the operation; "cancel" is a 0-value self-transfer that takes the
    # nonce of a call the node refused, so later nonces of the account are not stuck.
    purpose: Mapped[str] = mapped_column(String(16), default="call")
    nonce: Mapped[int] = mapped_column(BigInteger)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    gas_price: Mapped[int | None] = mapped_column(BigInteger)
    max_fee_per_gas: Mapped[int | None] = mapped_column(BigInteger)
    max_priority_fee_per_gas: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    operation: Mapped[Operation] = relationship(back_populates="transactions")


class AccountNonce(Base):
    """The next nonce to hand out for a gateway-signed account; locked while allocating."""

    __tablename__ = "account_nonces"

    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    next_nonce: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
