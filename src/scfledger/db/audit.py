"""ORM models of the audit trail: hash-chained records of every authenticated action, and
the chain's head (the last record's id and hash)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from scfledger.db.models import Base

# Column lengths: what is longer is cut before the record is hashed (people/audit.py).
PARTICIPANT_LENGTH = 64
USER_ID_LENGTH = 36
USERNAME_LENGTH = 128
CREDENTIAL_LENGTH = 16
ADDRESS_LENGTH = 64
USER_AGENT_LENGTH = 256
ACTION_LENGTH = 200
TARGET_LENGTH = 512
RESULT_LENGTH = 64
OPERATION_ID_LENGTH = 36
TX_HASH_LENGTH = 66
DRAFT_ID_LENGTH = 36


class AuditRecord(Base):
    """One authenticated request (or login attempt), chained to the record before it:
    `hash` = SHA-256 over `prev_hash` and this row's fields (people/audit.py). Never a
    request body: only its SHA-256, with the method, path and query (`request_hash`)."""

    __tablename__ = "audit_records"
    __table_args__ = (
        Index("ix_audit_records_participant_id", "participant", "id"),
        Index("ix_audit_records_at", "at"),
    )

    # Given by the appender, under the head's lock: ids are contiguous (1, 2, ...), so a
    # missing id is a deleted record.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    at: Mapped[datetime]
    participant: Mapped[str | None] = mapped_column(String(PARTICIPANT_LENGTH))
    user_id: Mapped[str | None] = mapped_column(String(USER_ID_LENGTH))
    username: Mapped[str | None] = mapped_column(String(USERNAME_LENGTH))
    roles: Mapped[str] = mapped_column(Text)  # the person's roles, sorted, comma-separated
    credential: Mapped[str] = mapped_column(String(CREDENTIAL_LENGTH))
    address: Mapped[str | None] = mapped_column(String(ADDRESS_LENGTH))
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_LENGTH))
    action: Mapped[str] = mapped_column(String(ACTION_LENGTH))
    target: Mapped[str] = mapped_column(String(TARGET_LENGTH))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    result: Mapped[str] = mapped_column(String(RESULT_LENGTH))
    operation_id: Mapped[str | None] = mapped_column(String(OPERATION_ID_LENGTH))
    tx_hash: Mapped[str | None] = mapped_column(String(TX_HASH_LENGTH))
    draft_id: Mapped[str | None] = mapped_column(String(DRAFT_ID_LENGTH))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The chain's head, one row (id 1), updated in the transaction of every append: the
    last record's id and hash. Locked while appending (SELECT ... FOR UPDATE), so that
    concurrent appends form one chain; compared by the verification, so that deleting the
    last records is detected."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
