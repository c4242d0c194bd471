"""ORM models of single sign-on: each participant's OpenID Connect provider, and the logins
begun and not yet finished."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from scfledger.db.models import Base, utcnow


class ParticipantSso(Base):
    """A participant's identity provider: its people sign in there instead of with a
    password. The client secret is stored sealed (`keys.sealing`, the record is
    `sso/<participant>`) and never returned or logged."""

    __tablename__ = "participant_sso"

    participant: Mapped[str] = mapped_column(String(64), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(2048))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret: Mapped[str] = mapped_column(String(1024))
    # The ID token (or userinfo) claim whose value is the user's username here.
    username_claim: Mapped[str] = mapped_column(String(64), default="preferred_username")
    # When set, the login is asked for this authentication context class (acr_values) and
    # refused unless the ID token's `acr` is exactly it (the IdP's second factor, say).
    required_acr: Mapped[str | None] = mapped_column(String(255), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SsoLogin(Base):
    """A login sent to the identity provider: what its callback must match. Single use
    (`used_at`), valid for a few minutes, bound to the browser that began it (the SHA-256
    of a cookie set then). The state is kept only as its SHA-256."""

    __tablename__ = "sso_logins"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    participant: Mapped[str] = mapped_column(String(64))
    browser_hash: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier: Mapped[str] = mapped_column(String(128))
    redirect_uri: Mapped[str] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    used_at: Mapped[datetime | None] = mapped_column(default=None)
