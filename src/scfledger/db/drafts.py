"""ORM models of maker-checker (复核): participants' policies, drafts awaiting checkers, the
checkers' decisions, and the off-chain gateway events that announce them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scfledger.db.models import Base, utcnow
from scfledger.db.projections import Uint256

BIG_ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER only


class ParticipantPolicy(Base):
    """Which operation kinds of a participant need a checker, and above which amount two.

    A participant without a row has the default policy (`people.policy.DEFAULT_POLICY`)."""

    __tablename__ = "participant_policies"

    participant: Mapped[str] = mapped_column(String(64), primary_key=True)
    kinds: Mapped[list[Any]] = mapped_column(JSON)  # operation kinds that need a checker
    # Minor units; above it two different checkers approve. None: one checker always.
    two_checker_amount: Mapped[int | None] = mapped_column(Uint256, default=None)
    draft_ttl_hours: Mapped[int] = mapped_column(Integer, default=72)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")  # a username


class Draft(Base):
    """A maker's write held off chain until checkers approve it (then it is submitted with
    its original idempotency key and request) or one rejects it, or it expires."""

    __tablename__ = "drafts"
    __table_args__ = (
        UniqueConstraint("participant", "idempotency_key", name="uq_drafts_participant_key"),
        Index("ix_drafts_participant_status", "participant", "status"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    participant: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))  # the operation kind (people.policy)
    service: Mapped[str] = mapped_column(String(128))  # the use case's dotted name
    arguments: Mapped[dict[str, Any]] = mapped_column(JSON)  # as Write.submit validated them
    amount: Mapped[int | None] = mapped_column(Uint256, default=None)  # minor units
    idempotency_key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    maker_id: Mapped[str] = mapped_column(String(36))
    maker: Mapped[str] = mapped_column(String(64))  # the maker's username
    # pending -> approved (being submitted) -> submitted; pending -> rejected | expired
    status: Mapped[str] = mapped_column(String(16), default="pending")
    approvals_required: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    operation_id: Mapped[str | None] = mapped_column(String(36), default=None)
    # What an approved administration action made for its maker alone (a temporary
    # password, a second factor, an API key): sealed, bound to the draft, erased once the
    # maker has read it (revealed_at).
    sealed_secrets: Mapped[str | None] = mapped_column(Text, default=None)
    revealed_at: Mapped[datetime | None] = mapped_column(default=None)


class DraftDecision(Base):
    """One checker's approval or rejection of a draft: once per checker and draft."""

    __tablename__ = "draft_decisions"
    __table_args__ = (
        UniqueConstraint("draft_id", "user_id", name="uq_draft_decisions_draft_user"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(36))
    username: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(16))  # approve | reject
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class GatewayEvent(Base):
    """An off-chain event of one participant (a draft created, approved, rejected, expired,
    submitted): its own feed (`/v1/drafts/stream`), since the event feed is the chain's."""

    __tablename__ = "gateway_events"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    participant: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
