"""Gateway participants: who may call the API, and with which keys.

A participant is a name at this gateway with an address: either a signing key the gateway
keeps in its keystore, or (non-custodial) only an address whose owner signs elsewhere and
relays. Admins create participants and manage API keys; a participant may rotate and
revoke its own keys. API keys are shown once and stored as SHA-256.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from scfledger.db.apikeys import ApiKey
from scfledger.db.models import utcnow
from scfledger.db.session import transaction
from scfledger.exceptions import (
    InvalidInput,
    KeyAlreadyExists,
    ParticipantExists,
    RecordNotFound,
    WrongState,
)
from scfledger.keys.store import KeyStore
from scfledger.services.apikeys import create_api_key
from scfledger.services.ledger import ADMIN, Actor, checked_address

# Gives a new participant's account what it needs to send transactions (gas money on a
# dev chain); None where gas is free or funded another way.
Provision = Callable[[str], None]


@dataclass(frozen=True)
class IssuedKey:
    name: str
    address: str
    api_key: str


def create_participant(
    *,
    sessions: sessionmaker[Session],
    keys: KeyStore | None,
    provision: Provision | None,
    actor: Actor,
    name: str,
    address: str | None,
) -> IssuedKey:
    """A gateway identity for a prospective or existing member (admins): with no `address`,
    a new key in the gateway's keystore (the gateway signs for it); with one, an API key
    only (the participant signs elsewhere and relays). The API key is returned once."""
    actor.require(ADMIN, "create participants")
    if address is not None:
        address = checked_address(address)
    with sessions() as session:
        clash = ApiKey.participant == name
        if address is not None:
            clash = clash | (ApiKey.address == address)
        taken = session.scalar(select(ApiKey.participant).where(clash).limit(1))
    if taken is not None:
        raise ParticipantExists(taken)
    if keys is not None and keys.path(name).is_file():
        raise ParticipantExists(name)
    new_key = address is None
    if address is None:
        if keys is None:
            raise InvalidInput("this gateway has no keystore: give the participant's address")
        try:
            address = keys.new(name)
        except KeyAlreadyExists:
            raise ParticipantExists(name) from None
    if provision is not None:
        try:
            provision(address)
        except BaseException:
            if new_key and keys is not None:  # no half-made participant: the name stays free
                keys.path(name).unlink(missing_ok=True)
            raise
    with transaction(sessions) as session:
        api_key = create_api_key(session=session, participant=name, address=address)
    return IssuedKey(name=name, address=address, api_key=api_key)


def _manage(actor: Actor, name: str, action: str) -> None:
    """Admins manage every participant's keys; a participant its own."""
    if actor.participant != name:
        actor.require(ADMIN, f"{action} of other participants")


def _keys_of(session: Session, name: str) -> Sequence[ApiKey]:
    rows = session.scalars(
        select(ApiKey).where(ApiKey.participant == name).order_by(ApiKey.created_at, ApiKey.id)
    ).all()
    if not rows:
        raise RecordNotFound(kind="participant", key=name)
    return rows


def issue_api_key(*, sessions: sessionmaker[Session], actor: Actor, name: str) -> IssuedKey:
    """Another API key for an existing participant (rotation: issue, switch, revoke)."""
    _manage(actor, name, "issue API keys")
    with transaction(sessions) as session:
        address = _keys_of(session, name)[0].address
        api_key = create_api_key(session=session, participant=name, address=address)
    return IssuedKey(name=name, address=address, api_key=api_key)


def api_keys(*, sessions: sessionmaker[Session], actor: Actor, name: str) -> Sequence[ApiKey]:
    """A participant's keys (their prefixes and dates; never the keys)."""
    _manage(actor, name, "list API keys")
    with sessions() as session:
        return _keys_of(session, name)


def revoke_api_key(
    *, sessions: sessionmaker[Session], actor: Actor, name: str, prefix: str
) -> None:
    """Revokes a participant's key by its prefix; requests with it fail from now on."""
    _manage(actor, name, "revoke API keys")
    with transaction(sessions) as session:
        keys = [k for k in _keys_of(session, name) if k.prefix == prefix]
        if not keys:
            raise RecordNotFound(kind="API key", key=prefix)
        live = [k.id for k in keys if k.revoked_at is None]
        if not live:
            raise WrongState(kind="API key", key=prefix, state="revoked", action="revoke")
        session.execute(update(ApiKey).where(ApiKey.id.in_(live)).values(revoked_at=utcnow()))
