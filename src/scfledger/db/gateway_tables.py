"""ORM models of the gateway's off-chain features: documents, webhooks, identity salts,
financiers' risk policies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scfledger.db.models import Base, new_id, utcnow


class Document(Base):
    """One upload of a document by a participant; the bytes live on disk under their SHA-256.

    The same bytes uploaded twice by one participant are one row; by two, two rows (each
    uploader may download them).
    """

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("sha256", "uploader", name="uq_documents_sha256_uploader"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    uploader: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Webhook(Base):
    """A participant's subscription to the chain events it may see, delivered to `url`.

    The secret signs deliveries, so it must be readable again (a hash could not sign): it is
    stored sealed (`keys.sealing`, `v1.<nonce | ciphertext | tag>`, at most 107 characters)
    under a key derived from the keystore passphrase; it is shown once, on creation, and
    never returned or logged afterwards.
    """

    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    participant: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(42))
    url: Mapped[str] = mapped_column(String(2048))
    # None: every visible event; otherwise only these event names.
    event_names: Mapped[list[str] | None] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(String(128))
    # The last chain_events.id considered: a new subscription starts at the feed's head.
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One event to deliver to one webhook: its body is fixed when queued, so every retry
    sends (and signs) the same bytes."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id", name="uq_webhook_deliveries_webhook_event"),
        Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    webhook_id: Mapped[str] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int] = mapped_column(BigInteger)
    event_name: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    # pending -> delivered, or failed after the last attempt.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)


class WebhookAttempt(Base):
    """The delivery log: every attempt, its HTTP status or error, and when the next is due."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempt: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)


class IdentitySalt(Base):
    """A member's salt for its identity anchors on-chain (legal id, KYC file): the registry
    stores sha256(salt || identifier), so a public identifier cannot be guessed back from
    it (chain/identity.py). The gateway keeps the salt of each member it admitted or serves,
    to compute and later prove those anchors; it is never returned by the API or logged."""

    __tablename__ = "identity_salts"

    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    salt: Mapped[str] = mapped_column(String(64))  # 32 bytes, hex
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RiskPolicyRow(Base):
    """One financier's rules, stored as the JSON of a `scfledger.risk.policy.Policy` (which
    validates them)."""

    __tablename__ = "risk_policies"

    financier: Mapped[str] = mapped_column(String(42), primary_key=True)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
