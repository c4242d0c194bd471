"""API keys: shown once, stored as SHA-256, found by hash; each belongs to a user or a
service account of its participant and carries scopes, perhaps an expiry, a last-used time."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from scfledger.db.apikeys import ApiKey
from scfledger.db.models import aware, new_id, utcnow
from scfledger.db.people import User
from scfledger.db.projections import Member
from scfledger.keys.store import check_participant
from scfledger.people.person import checked_scopes

KEY_PREFIX = "scf_"
SERVICE_ACCOUNT = "service"  # every participant's built-in service account (ERP, bootstrap)
DEFAULT_SCOPES = ("read", "write")
LAST_USED_EVERY = timedelta(minutes=1)  # how often last_used_at is written, at most


def hash_key(key: str) -> str:
    # Keys are 256-bit random, so a plain SHA-256 suffices (no dictionary to slow down).
    return hashlib.sha256(key.encode()).hexdigest()


def service_account(session: Session, participant: str) -> User:
    """The participant's service account (created on first use): the owner of the keys an
    institution gets before it has people, and of its integrations' keys."""
    user = session.scalars(
        select(User).where(User.participant == participant, User.username == SERVICE_ACCOUNT)
    ).one_or_none()
    if user is None:
        user = User(
            id=new_id(),
            participant=participant,
            username=SERVICE_ACCOUNT,
            kind="service",
            display_name="Service account",
            roles=["admin", "maker"],
            must_change_password=False,
            failed_logins=0,
            created_at=utcnow(),
        )
        session.add(user)
        session.flush()
    return user


def create_api_key(
    *,
    session: Session,
    participant: str,
    address: str,
    user_id: str | None = None,
    scopes: Iterable[str] = DEFAULT_SCOPES,
    expires_at: datetime | None = None,
    name: str = "",
) -> str:
    """Stores a new key's hash for a user of `participant` (None: its service account) and
    returns the key (the only time it is seen)."""
    check_participant(participant)
    chosen = sorted(checked_scopes(list(scopes)))
    owner = user_id if user_id is not None else service_account(session, participant).id
    public = secrets.token_hex(4)
    key = f"{KEY_PREFIX}{public}_{secrets.token_urlsafe(32)}"
    session.add(
        ApiKey(
            id=new_id(),
            participant=participant,
            address=address,
            key_hash=hash_key(key),
            prefix=f"{KEY_PREFIX}{public}",
            created_at=utcnow(),
            user_id=owner,
            name=name,
            scopes=chosen,
            expires_at=expires_at,
        )
    )
    return key


class Standing(NamedTuple):
    """A member's record as a credential's actor needs it: its address, on-chain roles
    (a bit mask) and status."""

    address: str
    roles: int
    status: str


class Authenticated(NamedTuple):
    """A live key, what its owner is, and the member its address is (None: not admitted)."""

    key_id: str
    participant: str
    address: str
    scopes: frozenset[str]
    user_id: str
    username: str
    user_kind: str
    user_roles: frozenset[str]
    member: Standing | None


# Built once (every request asks): the key, its owner and its member, by the key's hash;
# plain columns, not ORM objects (three entities per request cost more than the query).
_AUTHENTICATE = (
    select(
        ApiKey.id,
        ApiKey.participant,
        ApiKey.address,
        ApiKey.scopes,
        ApiKey.revoked_at,
        ApiKey.expires_at,
        ApiKey.last_used_at,
        User.id,
        User.username,
        User.kind,
        User.roles,
        User.disabled_at,
        Member.address,
        Member.roles,
        Member.status,
    )
    .join(User, User.id == ApiKey.user_id)
    .outerjoin(Member, Member.address == ApiKey.address)
    .where(ApiKey.key_hash == bindparam("key_hash"))
)
_MARK_USED = update(ApiKey).where(ApiKey.id == bindparam("key_id"))


def authenticate(
    *, session: Session, key: str, now: datetime | None = None
) -> Authenticated | None:
    """The live key matching `key`, its owner and its member, or None (unknown, revoked,
    expired, or its owner disabled). Marks the key used (at most once a minute: the caller
    commits). Core statements on the session's connection: what the session has not
    flushed yet is not seen."""
    if not key.startswith(KEY_PREFIX) or len(key) > 128:
        return None
    connection = session.connection()
    found = connection.execute(_AUTHENTICATE, {"key_hash": hash_key(key)}).one_or_none()
    if found is None:
        return None
    (key_id, participant, address, scopes, revoked_at, expires_at, last_used_at) = found[:7]
    (user_id, username, kind, roles, disabled_at, member_address) = found[7:13]
    if revoked_at is not None or disabled_at is not None:
        return None
    now = now or utcnow()
    if expires_at is not None and aware(expires_at) <= now:
        return None
    if last_used_at is None or now - aware(last_used_at) >= LAST_USED_EVERY:
        connection.execute(_MARK_USED, {"key_id": key_id, "last_used_at": now})
    member = None if member_address is None else Standing(member_address, *found[13:])
    return Authenticated(
        key_id=key_id,
        participant=participant,
        address=address,
        scopes=frozenset(str(s) for s in scopes),
        user_id=user_id,
        username=username,
        user_kind=kind,
        user_roles=frozenset(str(r) for r in roles),
        member=member,
    )


def participant_address(session: Session, participant: str) -> str | None:
    """The on-chain address of a participant this gateway serves (its keys carry it)."""
    return session.scalars(
        select(ApiKey.address).where(ApiKey.participant == participant).limit(1)
    ).one_or_none()
