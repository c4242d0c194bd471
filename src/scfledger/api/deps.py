"""FastAPI dependencies: the gateway, the authenticated person and participant, what its
role and credential allow, the idempotency key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from scfledger.api.gateway import Gateway
from scfledger.db.people import User
from scfledger.exceptions import (
    AuthenticationRequired,
    CsrfFailed,
    MissingIdempotencyKey,
    PasswordChangeRequired,
    ScopeRequired,
    SessionExpired,
)
from scfledger.people import apikeys, sessions
from scfledger.people.person import Person, session_scopes, user_kind
from scfledger.people.users import roles_of
from scfledger.services.ledger import Actor, actor_for, member_actor
from scfledger.services.people import require_person, timeouts

# What a person signed in with a temporary password may do until it changes it.
PASSWORD_CHANGE_PATHS = frozenset({"/v1/auth/me", "/v1/auth/logout", "/v1/auth/password"})

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def gateway_of(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


async def get_gateway(request: Request) -> Gateway:
    """The dependency: async, so FastAPI runs it on the event loop rather than handing it
    to a worker thread (it only reads the app's state)."""
    return gateway_of(request)


GatewayDep = Annotated[Gateway, Depends(get_gateway)]


def _person(user: User, *, credential: str, credential_id: str, scopes: frozenset[str]) -> Person:
    return Person(
        user_id=user.id,
        username=user.username,
        participant=user.participant,
        kind=user_kind(user.kind),
        roles=roles_of(user),
        credential="session" if credential == "session" else "key",
        credential_id=credential_id,
        scopes=scopes,
    )


def current_actor(
    request: Request,
    gateway: GatewayDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Actor:
    """The person behind the request and the participant it acts for, with its on-chain
    roles from the index: from `Authorization: Bearer <API key>`, else from the session
    cookie (whose writes need the session's X-CSRF-Token header). The actor is kept in
    `request.state.actor` and the credential's id in `request.state.api_key_id` (limits
    per credential: event streams).

    Once per request: a route that takes a body authenticates before reading it
    (`api.guard.GuardedRoute`) and keeps the actor in the request's state."""
    known = getattr(request.state, "actor", None)
    if isinstance(known, Actor):
        return known
    cookie = request.cookies.get(sessions.COOKIE)
    if authorization is None and cookie is not None:
        actor = _session_actor(request, gateway, cookie)
    else:
        actor = _key_actor(request, gateway, authorization)
    request.state.actor = actor
    if request.method in SAFE_METHODS and actor.person and not actor.person.may("read"):
        raise ScopeRequired(scope="read", action="read")
    return actor


def _key_actor(request: Request, gateway: Gateway, authorization: str | None) -> Actor:
    scheme, _, key = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not key:
        raise AuthenticationRequired("send Authorization: Bearer <API key>, or sign in")
    with gateway.reads() as session:
        found = apikeys.authenticate(session=session, key=key.strip())
        if found is None:
            raise AuthenticationRequired("unknown, expired or revoked API key")
        person = Person(
            user_id=found.user_id,
            username=found.username,
            participant=found.participant,
            kind=user_kind(found.user_kind),
            roles=found.user_roles,
            credential="key",
            credential_id=found.key_id,
            scopes=found.scopes,
        )
        if found.member is None:  # not admitted, or an address stored in another case
            actor = actor_for(
                session, participant=found.participant, address=found.address, person=person
            )
        else:
            actor = member_actor(
                found.member, participant=found.participant, address=found.address, person=person
            )
        session.commit()  # the key's last use
    request.state.api_key_id = found.key_id
    return actor


def _session_actor(request: Request, gateway: Gateway, cookie: str) -> Actor:
    with gateway.sessions() as session:
        found = sessions.resolve(session, cookie, timeouts=timeouts(gateway.settings))
        if found is None:
            raise SessionExpired()
        row, user = found
        if request.method not in SAFE_METHODS and not sessions.csrf_matches(
            row, request.headers.get(sessions.CSRF_HEADER)
        ):
            # Recorded in the audit trail under the person the cookie names (a forged
            # cross-site write is worth seeing), though nothing is done for it.
            request.state.audit_subject = {
                "participant": user.participant,
                "username": user.username,
                "user_id": user.id,
            }
            raise CsrfFailed()
        if user.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
            raise PasswordChangeRequired(username=user.username)
        address = apikeys.participant_address(session, user.participant)
        if address is None:
            raise SessionExpired()
        person = _person(
            user, credential="session", credential_id=row.id, scopes=session_scopes(roles_of(user))
        )
        actor = actor_for(session, participant=user.participant, address=address, person=person)
        session.commit()  # the session's last request
    request.state.api_key_id = row.id
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


# 403 unless the actor's credential has the scope and its person one of the roles
# (`scope-required` first): services.people owns the rule.
require = require_person


def writer(actor: CurrentActor) -> Actor:
    """A person who may prepare writes on the ledger: a maker, with a key that may write."""
    require(actor, scope="write", roles=("maker",), action="prepare ledger writes")
    return actor


def administrator(actor: CurrentActor) -> Actor:
    """A person who administers its own institution: an admin, with a key that may write."""
    require(actor, scope="write", roles=("admin",), action="administer its institution")
    return actor


def checker(actor: CurrentActor) -> Actor:
    """A person who may decide drafts: a checker, with a key that may approve."""
    require(actor, scope="approve", roles=("checker",), action="check drafts")
    return actor


Writer = Annotated[Actor, Depends(writer)]
Administrator = Annotated[Actor, Depends(administrator)]
Checker = Annotated[Actor, Depends(checker)]


def idempotency_key(
    key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> str:
    if key is None or not 1 <= len(key) <= 128 or not key.isprintable():
        raise MissingIdempotencyKey()
    return key


IdempotencyKey = Annotated[str, Depends(idempotency_key)]
