"""Browser sessions: a random cookie token and a CSRF token, stored only as SHA-256; idle
and absolute timeouts; revocable one by one."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from scfledger.db.models import aware, new_id, utcnow
from scfledger.db.people import User, UserSession

COOKIE = "scf_session"  # HttpOnly, SameSite=Strict, Secure over TLS
CSRF_HEADER = "X-CSRF-Token"
TOKEN_PREFIX = "scfs_"  # noqa: S105 - a prefix that names the token kind, not a secret
SEEN_EVERY = timedelta(minutes=1)  # how often last_seen_at is written, at most


@dataclass(frozen=True)
class Timeouts:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)


@dataclass(frozen=True)
class Opened:
    """A new session and its two secrets, each given to the browser once."""

    row: UserSession
    token: str  # the cookie
    csrf_token: str  # sent back in X-CSRF-Token on every write


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def open_session(
    session: Session,
    user: User,
    *,
    address: str = "",
    user_agent: str = "",
    timeouts: Timeouts = Timeouts(),
    now: datetime | None = None,
) -> Opened:
    now = now or utcnow()
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    row = UserSession(
        id=new_id(),
        user_id=user.id,
        token_hash=_digest(token),
        csrf_hash=_digest(csrf_token),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timeouts.absolute,
        address=address[:64],
        user_agent=user_agent[:256],
    )
    session.add(row)
    session.flush()
    return Opened(row=row, token=token, csrf_token=csrf_token)


def resolve(
    session: Session,
    token: str,
    *,
    timeouts: Timeouts = Timeouts(),
    now: datetime | None = None,
) -> tuple[UserSession, User] | None:
    """The live session of cookie `token` and its user, or None: unknown, revoked, idle
    past `timeouts.idle`, past its absolute end, or its user disabled. Marks it seen (at
    most once a minute: the caller commits)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
        return None
    row = session.scalars(
        select(UserSession).where(UserSession.token_hash == _digest(token))
    ).one_or_none()
    now = now or utcnow()
    if (
        row is None
        or row.revoked_at is not None
        or aware(row.expires_at) <= now
        or now - aware(row.last_seen_at) > timeouts.idle
    ):
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled_at is not None:
        return None
    if now - aware(row.last_seen_at) >= SEEN_EVERY:
        row.last_seen_at = now
    return row, user


def csrf_matches(row: UserSession, csrf_token: str | None) -> bool:
    return csrf_token is not None and hmac.compare_digest(_digest(csrf_token), row.csrf_hash)


def revoke(session: Session, session_id: str, now: datetime | None = None) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )


def revoke_all(session: Session, user_id: str, now: datetime | None = None) -> None:
    """Ends every session of a user (disabled, password reset, roles changed)."""
    session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )


def sessions_of(session: Session, user_id: str) -> Sequence[UserSession]:
    """A user's sessions not revoked, newest first (expired ones included until pruned)."""
    return session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .order_by(UserSession.created_at.desc())
    ).all()
