"""The gateway's API keys: one row per issued key, holding only its SHA-256."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from scfledger.db.models import Base, utcnow


class ApiKey(Base):
    """An API key of a user or service account of a participant served by this gateway;
    the key itself is never stored."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    participant: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(42))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True, default=None)
    name: Mapped[str] = mapped_column(String(64), default="")
    scopes: Mapped[list[Any]] = mapped_column(JSON, default=lambda: ["read", "write"])
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
