"""Issues and checks API keys: shown once, stored as SHA-256, compared by hash lookup."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from scfledger.db.apikeys import ApiKey
from scfledger.db.models import new_id, utcnow
from scfledger.keys.store import check_participant

KEY_PREFIX = "scf_"


def hash_key(key: str) -> str:
    # Keys are 256-bit random, so a plain SHA-256 suffices (no dictionary to slow down).
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(*, session: Session, participant: str, address: str) -> str:
    """Stores a new key's hash for `participant` and returns the key (the only time it is seen)."""
    check_participant(participant)
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
        )
    )
    return key


def authenticate(*, session: Session, key: str) -> ApiKey | None:
    """The live key row matching `key`, or None."""
    if not key.startswith(KEY_PREFIX) or len(key) > 128:
        return None
    row = session.scalars(select(ApiKey).where(ApiKey.key_hash == hash_key(key))).one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    return row
