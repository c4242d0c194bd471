"""Gateway participants: who may call the API, and with which keys.

A participant is a name at this gateway with an address: either a signing key the gateway
keeps in its keystore, or (non-custodial) only an address whose owner signs elsewhere and
relays. API keys are shown once and stored as SHA-256.

Credentials: an admin creates a participant and receives its first API key once, in the
creation's answer (owned by the participant's service account), to hand over out of band;
from then on only the participant itself lists, issues and revokes its keys (no admin acts
as another participant: that would bypass M-of-N governance and custody). Inside the
participant, issuing a key (to any of its users or service accounts) needs an `admin`
person and an active member; an admin lists and revokes every key of its participant,
anyone else only its own (which only ever narrows access).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from scfledger.chain.generated import Role
from scfledger.db.apikeys import ApiKey
from scfledger.db.models import utcnow
from scfledger.db.people import User
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
from scfledger.people.apikeys import DEFAULT_SCOPES, create_api_key, hash_key
from scfledger.people.person import PERSON_ROLES
from scfledger.people.users import find_user
from scfledger.services import admin_drafts, drafts
from scfledger.services.ledger import Actor, checked_address, role_names
from scfledger.services.people import require_admin, require_person

# Gives a new participant's account what it needs to send transactions (gas money on a
# dev chain); None where gas is free or funded another way.
Provision = Callable[[str], None]

# Live keys one participant may hold: enough to rotate several systems without downtime.
MAX_LIVE_KEYS = 10
# The furthest expiry a new key may have: keys are rotated at least yearly.
MAX_KEY_LIFETIME = timedelta(days=366)


@dataclass(frozen=True)
class IssuedKey:
    name: str
    address: str
    api_key: str


@dataclass(frozen=True)
class KeyView:
    """A stored key (never the key itself) and the username of its owner."""

    row: ApiKey
    owner: str


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
    require_admin(actor, "create participants")
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


def _owner(session: Session, actor: Actor, name: str, owner: str | None) -> User:
    """The user a new key is for: `owner` (a username of participant `name`), else the
    caller itself (else the participant's service account)."""
    if owner is None and actor.person is not None:
        found = session.get(User, actor.person.user_id)
    elif owner is None:
        found = find_user(session, name, "service")
    else:
        found = find_user(session, name, owner)
    if found is None:
        raise RecordNotFound(kind="user", key=owner)
    if found.disabled_at is not None:
        raise WrongState(kind="user", key=found.username, state="disabled", action="issue API keys")
    return found


def _checked_expiry(expires_at: datetime | None, now: datetime) -> datetime | None:
    if expires_at is None:
        return None
    if expires_at.tzinfo is None:
        raise InvalidInput("expires_at needs a time zone (e.g. 2027-01-31T00:00:00Z)")
    if not now < expires_at <= now + MAX_KEY_LIFETIME:
        raise InvalidInput("expires_at must be in the future, at most a year ahead")
    return expires_at


KEY_ADMIN = "key.admin"


def issue_api_key(
    *,
    sessions: sessionmaker[Session],
    actor: Actor,
    name: str,
    owner: str | None = None,
    scopes: Sequence[str] = DEFAULT_SCOPES,
    expires_at: datetime | None = None,
    key_name: str = "",
    now: datetime | None = None,
) -> tuple[IssuedKey, KeyView] | drafts.DraftView:
    """Another API key of the caller's own participant, for one of its users or service
    accounts (default: the caller), with `scopes` and perhaps an expiry: an admin of an
    active member only, at most MAX_LIVE_KEYS live at once. The key is returned once; or
    a draft when a checker must approve it (the key is then revealed to the maker once)."""
    _own(actor, name, "issue API keys")
    require_admin(actor, "issue API keys")
    actor.require_active("issue API keys")
    now = now or utcnow()
    _checked_expiry(expires_at, now)
    with sessions() as session:  # refused before it waits: an unknown or disabled owner
        user = _owner(session, actor, name, owner)
        _room_for_a_key(session, actor, name)
    arguments = {
        "action": "issue",
        "owner": user.username,
        "scopes": sorted(scopes),
        "expires_at": None if expires_at is None else expires_at.isoformat(),
        "name": key_name,
    }
    held = admin_drafts.hold_administration(
        sessions, actor=actor, kind=KEY_ADMIN, arguments=arguments, now=now
    )
    if held is not None:
        return held
    with transaction(sessions) as session:
        return _issue(session, actor, name, arguments, now)


def _room_for_a_key(session: Session, actor: Actor, name: str) -> None:
    if sum(k.revoked_at is None for k in _keys_of(session, name)) >= MAX_LIVE_KEYS:
        raise ActionForbidden(
            actor=actor.participant,
            action="issue API keys",
            reason=f"at most {MAX_LIVE_KEYS} live API keys; revoke one first",
        )


def _issue(
    session: Session, actor: Actor, name: str, arguments: dict[str, Any], now: datetime
) -> tuple[IssuedKey, KeyView]:
    expires_at = arguments["expires_at"]
    expiry = _checked_expiry(
        None if expires_at is None else datetime.fromisoformat(expires_at), now
    )
    _room_for_a_key(session, actor, name)
    user = _owner(session, actor, name, arguments["owner"])
    address = _keys_of(session, name)[0].address
    api_key = create_api_key(
        session=session,
        participant=name,
        address=address,
        user_id=user.id,
        scopes=arguments["scopes"],
        expires_at=expiry,
        name=arguments["name"],
    )
    session.flush()
    row = session.scalars(select(ApiKey).where(ApiKey.key_hash == hash_key(api_key))).one()
    return IssuedKey(name=name, address=address, api_key=api_key), KeyView(row, user.username)


def api_keys(*, sessions: sessionmaker[Session], actor: Actor, name: str) -> list[KeyView]:
    """The caller's own participant's keys (their prefixes and dates; never the keys):
    all of them to an admin, its own to anyone else."""
    _own(actor, name, "list API keys")
    person = actor.person
    with sessions() as session:
        keys = _keys_of(session, name)
        if person is not None and not person.has("admin"):
            keys = [k for k in keys if k.user_id == person.user_id]
        owners = dict(
            session.execute(select(User.id, User.username).where(User.participant == name)).all()
        )
    return [KeyView(k, owners.get(k.user_id or "", "")) for k in keys]


def revoke_api_key(
    *,
    sessions: sessionmaker[Session],
    actor: Actor,
    name: str,
    prefix: str,
    now: datetime | None = None,
) -> drafts.DraftView | None:
    """Revokes a key of the caller's own participant by its prefix (an admin: any of them;
    anyone else: its own); requests with it fail from now on. One's own key is revoked at
    once (that only narrows access, and a leaked key cannot wait); an admin revoking
    another's key waits for a checker when the policy checks `key.admin` (the draft)."""
    _own(actor, name, "revoke API keys")
    with sessions() as session:
        keys = _revocable(session, actor, name, prefix)
        person = actor.person
        foreign = person is not None and any(k.user_id != person.user_id for k in keys)
    if foreign:
        held = admin_drafts.hold_administration(
            sessions,
            actor=actor,
            kind=KEY_ADMIN,
            arguments={"action": "revoke", "prefix": prefix},
            now=now or utcnow(),
        )
        if held is not None:
            return held
    with transaction(sessions) as session:
        _revoke(session, actor, name, prefix)
    return None


def _revocable(session: Session, actor: Actor, name: str, prefix: str) -> list[ApiKey]:
    """The live keys of `prefix` the actor may revoke (RecordNotFound, WrongState, 403)."""
    keys = [k for k in _keys_of(session, name) if k.prefix == prefix]
    person = actor.person
    if person is not None and any(k.user_id != person.user_id for k in keys):
        require_admin(actor, "revoke another's API keys")
    require_person(actor, scope="write", roles=PERSON_ROLES, action="revoke API keys")
    if not keys:
        raise RecordNotFound(kind="API key", key=prefix)
    live = [k for k in keys if k.revoked_at is None]
    if not live:
        raise WrongState(kind="API key", key=prefix, state="revoked", action="revoke")
    return live


def _revoke(session: Session, actor: Actor, name: str, prefix: str) -> None:
    live = [k.id for k in _revocable(session, actor, name, prefix)]
    session.execute(update(ApiKey).where(ApiKey.id.in_(live)).values(revoked_at=utcnow()))


def _approved(session: Session, approved: drafts.Approved) -> dict[str, str] | None:
    """Applies an approved key administration draft as the participant (the maker was
    an admin when it asked); a new key goes to its maker alone."""
    arguments, participant = approved.arguments, approved.participant
    actor = _as_participant(session, participant)
    if arguments["action"] == "revoke":
        _revoke(session, actor, participant, arguments["prefix"])
        return None
    issued, _view = _issue(session, actor, participant, arguments, utcnow())
    return {"api_key": issued.api_key}


def _as_participant(session: Session, participant: str) -> Actor:
    """The participant acting without a person, for an approved draft (its checks ran
    when the maker asked and run again where the state may have changed)."""
    row = _keys_of(session, participant)[0]
    return Actor(participant=participant, address=row.address, roles=0, status="active")


drafts.register_action(KEY_ADMIN, _approved)
