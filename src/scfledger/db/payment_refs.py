"""Payment references in clear: the text behind an on-chain payment reference's hash, kept
by this gateway for the participants who made or received the payment (docs/money.md
"Statements and reconciliation")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scfledger.db.models import Base, utcnow


class PaymentReference(Base):
    """One reader's copy of a payment reference: `participant` (a participant of this
    gateway, the payer or a payee: `role`) may read `text`, whose on-chain form is
    `ref_hash`. Written by the use case before its operation is accepted, keyed by that
    operation's (`made_by`, `idempotency_key`); `operation_id` once accepted. A row is a
    fact about the hash, not a payment: responses show the text only where an indexed
    event carries the hash, so a failed operation's reference shows nowhere."""

    __tablename__ = "payment_references"
    __table_args__ = (
        UniqueConstraint(
            "made_by", "idempotency_key", "participant", name="uq_payment_references_op_reader"
        ),
        Index("ix_payment_references_reader_hash", "participant", "ref_hash"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ref_hash: Mapped[str] = mapped_column(String(66))  # 0x + 64 hex, lower case
    text: Mapped[str] = mapped_column(Text)
    participant: Mapped[str] = mapped_column(String(64))  # who may read it
    role: Mapped[str] = mapped_column(String(8))  # payer | payee
    kind: Mapped[str] = mapped_column(String(64))  # the operation's kind
    made_by: Mapped[str] = mapped_column(String(64))  # the operation's participant
    idempotency_key: Mapped[str] = mapped_column(String(255))
    operation_id: Mapped[str | None] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
