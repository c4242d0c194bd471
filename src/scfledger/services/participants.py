"""Gateway participants: who may call the API, and with which keys.

A participant is a name at this gateway with an address: either a signing key the gateway
keeps in its keystore, or (non-custodial) only an address whose owner signs elsewhere and
relays. API keys are shown once and stored as SHA-256.

Credentials: an admin creates a participant and receives its first API key once, in the
creation's answer, to hand over out of band; from then on only the participant itself
lists, issues and revokes its keys (no admin acts as another participant: that would
bypass M-of-N governance and custody). Issuing keys needs an active member; listing and
revoking one's own keys (which only ever narrows access) is open to every participant.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from scfledger.chain.generated import Role
from scfledger.db.apikeys import ApiKey
from scfledger.db.models import utcnow
from scfledger.db.projections import Member
from scfledger.db.session import transaction
from scfledger.exceptions import (
    ActionForbidden,
    ForeignParticipant,
    InvalidInput,
    KeyAlreadyExists,
    ParticipantExists,
    RecordNotFound,
    WrongState,
)
from scfledger.keys.store import KeyStore
from scfledger.people.apikeys import create_api_key
from scfledger.services.ledger import Actor, checked_address, role_names

# Gives a new participant's account what it needs to send transactions (gas money on a
# dev chain); None where gas is free or funded another way.
Provision = Callable[[str], None]

# Live keys one participant may hold: enough to rotate several systems without downtime.
MAX_LIVE_KEYS = 10


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
    actor.require(Role.ADMIN, "create participants")
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


def _own(actor: Actor, name: str, action: str) -> None:
    """A participant's credentials and status are its own business alone: anyone else,
    consortium admins included, is refused (ForeignParticipant, whether `name` exists or not)."""
    if actor.participant != name:
        raise ForeignParticipant(actor=actor.participant, participant=name, action=action)


def members(*, session: Session, actor: Actor) -> list[dict[str, object]]:
    """Every consortium member, by name (membership is public to members, suspended ones
    included; PermissionDenied for a participant not admitted). Plain dicts: thousands of
    members are served without building a model each."""
    require_member(actor, "list the members")
    columns = (Member.address, Member.name, Member.roles, Member.status)
    rows = session.execute(select(*columns).order_by(Member.name, Member.address)).all()
    return [
        {"address": address, "name": name, "roles": role_names(roles), "status": status}
        for address, name, roles, status in rows
    ]


def require_member(actor: Actor, action: str) -> None:
    """Consortium members (active or suspended) only: not a participant still awaiting
    admission, which may read only its own status."""
    if actor.status == "not-admitted":
        raise ActionForbidden(
            actor=actor.participant, action=action, reason="not a consortium member"
        )


def own_status(*, actor: Actor, name: str) -> Actor:
    """The caller's own address, on-chain status and roles (`not-admitted` until the
    consortium admits it)."""
    _own(actor, name, "read the status")
    return actor


def _keys_of(session: Session, name: str) -> Sequence[ApiKey]:
    rows = session.scalars(
        select(ApiKey).where(ApiKey.participant == name).order_by(ApiKey.created_at, ApiKey.id)
    ).all()
    if not rows:
        raise RecordNotFound(kind="participant", key=name)
    return rows


def issue_api_key(*, sessions: sessionmaker[Session], actor: Actor, name: str) -> IssuedKey:
    """Another API key of the caller's own (rotation: issue, switch, revoke); active
    members only, at most MAX_LIVE_KEYS live at once."""
    _own(actor, name, "issue API keys")
    actor.require_active("issue API keys")
    with transaction(sessions) as session:
        keys = _keys_of(session, name)
        if sum(k.revoked_at is None for k in keys) >= MAX_LIVE_KEYS:
            raise ActionForbidden(
                actor=actor.participant,
                action="issue API keys",
                reason=f"at most {MAX_LIVE_KEYS} live API keys; revoke one first",
            )
        address = keys[0].address
        api_key = create_api_key(session=session, participant=name, address=address)
    return IssuedKey(name=name, address=address, api_key=api_key)


def api_keys(*, sessions: sessionmaker[Session], actor: Actor, name: str) -> Sequence[ApiKey]:
    """The caller's own keys (their prefixes and dates; never the keys)."""
    _own(actor, name, "list API keys")
    with sessions() as session:
        return _keys_of(session, name)


def revoke_api_key(
    *, sessions: sessionmaker[Session], actor: Actor, name: str, prefix: str
) -> None:
    """Revokes one of the caller's own keys by its prefix; requests with it fail from now on."""
    _own(actor, name, "revoke API keys")
    with transaction(sessions) as session:
        keys = [k for k in _keys_of(session, name) if k.prefix == prefix]
        if not keys:
            raise RecordNotFound(kind="API key", key=prefix)
        live = [k.id for k in keys if k.revoked_at is None]
        if not live:
            raise WrongState(kind="API key", key=prefix, state="revoked", action="revoke")
        session.execute(update(ApiKey).where(ApiKey.id.in_(live)).values(revoked_at=utcnow()))
