"""ERP batches: a batch of receivable issues or settlements a participant posted at once,
and its lines, each of which became its own operation (or draft), or a problem."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scfledger.db.models import Base, utcnow


class Batch(Base):
    """One posted batch, acted on once per (participant, idempotency key): `request_hash`
    is the SHA-256 of its kind and lines, so the same key with other lines is a conflict."""

    __tablename__ = "batches"
    __table_args__ = (
        UniqueConstraint("participant", "idempotency_key", name="uq_batches_participant_key"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    participant: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))  # receivable.issue | settlement
    lines: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)  # lines refused before anything was sent
    made_by: Mapped[str | None] = mapped_column(String(128))  # the person who posted it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BatchLine(Base):
    """One line of a batch: the operation (or draft) it became under the key `<batch
    key>#<line>`, or the problem that refused it before anything was sent."""

    __tablename__ = "batch_lines"

    batch_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("batches.id", ondelete="CASCADE"),
        primary_key=True,
    )
    line: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1-based, as sent
    operation_id: Mapped[str | None] = mapped_column(String(36), index=True)
    draft_id: Mapped[int | None] = mapped_column(BigInteger)
    problem: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # RFC 9457, as sent alone
