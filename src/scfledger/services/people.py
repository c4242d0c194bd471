# Over 500 lines: sign-in and users administration share their checks and secrets here.
"""People of an institution over the API: sign-in, sessions, and users administration,
with who may do what (docs/people.md).

An `admin` person administers the users of its own participant only: anyone else,
consortium admins included, is refused (403 `foreign-participant` for another
participant's user, 403 `role-required` for a person who is not an admin). A person's own
sign-in, password and sessions are its own business. Secrets made here (a temporary
password, a second factor's secret, a session's tokens) are returned once and never
logged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from scfledger.config import Settings
from scfledger.db.models import aware, utcnow
from scfledger.db.people import User, UserSession
from scfledger.db.session import transaction
from scfledger.exceptions import (
    ActionForbidden,
    ForeignParticipant,
    InvalidInput,
    LastAdmin,
    RecordNotFound,
    RoleRequired,
    ScopeRequired,
    UserExists,
)
from scfledger.keys.sealing import Sealer
from scfledger.people import sessions as browser
from scfledger.people import users
from scfledger.people.person import UserKind
from scfledger.services import admin_drafts, drafts
from scfledger.services.ledger import Actor

ADMINISTER = "administer the users of its institution"


def require_person(actor: Actor, *, scope: str, roles: tuple[str, ...], action: str) -> None:
    """403 unless the actor's credential has `scope` and its person one of `roles`. For an
    API key, `scope-required` first (a read-only key says so whatever its owner's roles);
    for a session, whose scopes follow from its roles, `role-required` (a viewer is told
    it is a viewer). An actor built without a person (tests acting for a participant)
    passes."""
    person = actor.person
    if person is None:
        return
    if person.credential == "key" and not person.may(scope):
        raise ScopeRequired(scope=scope, action=action)
    if not any(person.has(role) for role in roles):
        raise RoleRequired(username=person.username, action=action, roles=roles)
    if not person.may(scope):
        raise ScopeRequired(scope=scope, action=action)


def require_admin(actor: Actor, action: str = ADMINISTER) -> None:
    require_person(actor, scope="write", roles=("admin",), action=action)


def timeouts(settings: Settings) -> browser.Timeouts:
    return browser.Timeouts(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_absolute_hours),
    )


def lockout(settings: Settings) -> users.Lockout:
    return users.Lockout(
        max_failures=settings.login_max_failures,
        duration=timedelta(minutes=settings.login_lockout_minutes),
    )


# -- sign-in and one's own sessions --------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    """A new session: its user, and its two secrets to hand to the browser once."""

    user: User
    session: UserSession
    token: str
    csrf_token: str
    idle_expires_at: datetime


def login(
    *,
    sessions: sessionmaker[Session],
    sealer: Sealer,
    settings: Settings,
    participant: str,
    username: str,
    password: str,
    code: str | None,
    address: str,
    user_agent: str,
    now: datetime | None = None,
) -> SignedIn:
    """Signs a person in: a new session (InvalidCredentials, SecondFactorRequired or
    AccountLocked otherwise; a failure is counted, committed, before it is raised)."""
    now = now or utcnow()
    with sessions() as session:
        user = users.authenticate(
            session,
            participant=participant,
            username=username,
            password=password,
            code=code,
            sealer=sealer,
            lockout=lockout(settings),
            now=now,
        )
        opened = browser.open_session(
            session,
            user,
            address=address,
            user_agent=user_agent,
            timeouts=timeouts(settings),
            now=now,
        )
        session.commit()
    idle = now + timeouts(settings).idle
    return SignedIn(
        user=user,
        session=opened.row,
        token=opened.token,
        csrf_token=opened.csrf_token,
        idle_expires_at=min(idle, aware(opened.row.expires_at)),
    )


def _own_user(session: Session, actor: Actor) -> User:
    if actor.person is None:
        raise ActionForbidden(
            actor=actor.participant, action="act as a person", reason="no person signed in"
        )
    user = session.get(User, actor.person.user_id)
    if user is None:
        raise RecordNotFound(kind="user", key=actor.person.username)
    return user


def me(*, sessions: sessionmaker[Session], actor: Actor) -> User:
    with sessions() as session:
        return _own_user(session, actor)


def logout(*, sessions: sessionmaker[Session], actor: Actor) -> None:
    """Ends the caller's session (nothing for an API key: revoke the key instead)."""
    person = actor.person
    if person is None or person.credential != "session":
        return
    with transaction(sessions) as session:
        browser.revoke(session, person.credential_id)


def change_password(
    *, sessions: sessionmaker[Session], actor: Actor, current: str, new: str
) -> User:
    """The caller's own password (the current one to prove it); ends its other sessions."""
    with sessions() as session:
        user = _own_user(session, actor)
        if user.kind != "user":
            raise InvalidInput("a service account has no password: it uses API keys")
        if new == current:
            raise InvalidInput("the new password must differ from the current one")
        users.change_password(user, current=current, new=new)
        keep = actor.person.credential_id if actor.person else None
        for other in browser.sessions_of(session, user.id):
            if other.id != keep:
                browser.revoke(session, other.id)
        session.commit()
        return user


def own_sessions(
    *, sessions: sessionmaker[Session], actor: Actor, settings: Settings
) -> Sequence[UserSession]:
    """The caller's sessions still open, newest first (revoked, idle or past their end
    ones are left out)."""
    now = utcnow()
    limits = timeouts(settings)
    with sessions() as session:
        user = _own_user(session, actor)
        return [
            s
            for s in browser.sessions_of(session, user.id)
            if aware(s.expires_at) > now and now - aware(s.last_seen_at) <= limits.idle
        ]


def revoke_session(*, sessions: sessionmaker[Session], actor: Actor, session_id: str) -> None:
    """Ends one of the caller's sessions at once; another's or an ended one is not found."""
    with transaction(sessions) as session:
        user = _own_user(session, actor)
        row = session.get(UserSession, session_id)
        if row is None or row.user_id != user.id or row.revoked_at is not None:
            raise RecordNotFound(kind="session", key=session_id)
        browser.revoke(session, session_id)


# -- users administration (an admin, of its own participant's users) -----------------------


@dataclass(frozen=True)
class UserSecrets:
    """A user and the secrets just made for it, to hand over once."""

    user: User
    temporary_password: str | None = None
    enrolment: users.Enrolment | None = None


def list_users(*, sessions: sessionmaker[Session], actor: Actor) -> Sequence[User]:
    """The users and service accounts of the caller's participant, by username."""
    require_person(actor, scope="read", roles=("admin",), action=ADMINISTER)
    with sessions() as session:
        return session.scalars(
            select(User).where(User.participant == actor.participant).order_by(User.username)
        ).all()


def _administered(session: Session, actor: Actor, user_id: str, *, scope: str) -> User:
    """A user of the caller's participant, which the caller (an admin) administers."""
    require_person(actor, scope=scope, roles=("admin",), action=ADMINISTER)
    user = session.get(User, user_id) if len(user_id) <= 36 else None
    if user is None:
        raise RecordNotFound(kind="user", key=user_id)
    if user.participant != actor.participant:
        raise ForeignParticipant(
            actor=actor.participant, participant=user.participant, action="administer the users"
        )
    return user


def get_user(*, sessions: sessionmaker[Session], actor: Actor, user_id: str) -> User:
    with sessions() as session:
        return _administered(session, actor, user_id, scope="read")


USER_ADMIN = "user.admin"
Administered = UserSecrets | drafts.DraftView


def _held(
    sessions: sessionmaker[Session], actor: Actor, arguments: dict[str, Any], now: datetime | None
) -> drafts.DraftView | None:
    """The draft this users administration becomes when it waits for a checker (else None:
    apply it now)."""
    return admin_drafts.hold_administration(
        sessions, actor=actor, kind=USER_ADMIN, arguments=arguments, now=now or utcnow()
    )


def create_user(
    *,
    sessions: sessionmaker[Session],
    sealer: Sealer,
    actor: Actor,
    username: str,
    display_name: str,
    roles: list[str],
    kind: UserKind,
    now: datetime | None = None,
) -> Administered:
    """A new user of the caller's participant: a person gets a temporary password (to
    change at first sign-in) and, as admin or checker, a second factor; a service account
    gets neither (API keys only). A draft instead when a checker must approve it."""
    require_admin(actor)
    arguments = {
        "action": "create",
        "username": username,
        "display_name": display_name,
        "roles": sorted(roles),
        "kind": kind,
    }
    with sessions() as session:  # a name already taken is refused before it waits
        if users.find_user(session, actor.participant, username) is not None:
            raise UserExists(participant=actor.participant, username=username)
    held = _held(sessions, actor, arguments, now)
    if held is not None:
        return held
    with transaction(sessions) as session:
        return _create(session, sealer, actor.participant, arguments)


def _create(
    session: Session, sealer: Sealer, participant: str, arguments: dict[str, Any]
) -> UserSecrets:
    kind: UserKind = arguments["kind"]
    user, enrolment = users.create_user(
        session,
        participant=participant,
        username=arguments["username"],
        roles=arguments["roles"],
        sealer=sealer,
        kind=kind,
        display_name=arguments["display_name"],
    )
    temporary = users.reset_password(user) if kind == "user" else None
    return UserSecrets(user=user, temporary_password=temporary, enrolment=enrolment)


def _keep_an_admin(session: Session, user: User) -> None:
    """LastAdmin when `user` is the only enabled admin (person or service account) of its
    participant."""
    others = session.scalars(
        select(User).where(
            User.participant == user.participant,
            User.id != user.id,
            User.disabled_at.is_(None),
        )
    ).all()
    if not any("admin" in other.roles for other in others):
        raise LastAdmin(participant=user.participant, username=user.username)


def update_user(
    *,
    sessions: sessionmaker[Session],
    sealer: Sealer,
    actor: Actor,
    user_id: str,
    roles: list[str] | None = None,
    display_name: str | None = None,
    disabled: bool | None = None,
    now: datetime | None = None,
) -> Administered:
    """Changes a user's roles, name or whether it is disabled. New roles or disabling end
    its sessions at once (its API keys stop working while it is disabled); new roles that
    need a second factor it lacks come with one (returned once). The last enabled admin
    keeps its role (LastAdmin); nobody disables itself. A draft instead when a checker
    must approve it."""
    with sessions() as session:
        user = _administered(session, actor, user_id, scope="write")
        arguments = {
            "action": "update",
            "user_id": user.id,
            "username": user.username,
            "roles": None if roles is None else sorted(roles),
            "display_name": display_name,
            "disabled": disabled,
        }
        maker_id = actor.person.user_id if actor.person is not None else None
        _check_update(session, user, arguments, maker_id)  # refused before it waits
    held = _held(sessions, actor, arguments, now)
    if held is not None:
        return held
    with transaction(sessions) as session:
        return _update(session, sealer, actor.participant, arguments, maker_id, now)


def _check_update(
    session: Session, user: User, arguments: dict[str, Any], maker_id: str | None
) -> None:
    roles, disabled = arguments["roles"], arguments["disabled"]
    demoted = roles is not None and "admin" in user.roles and "admin" not in roles
    if demoted and user.disabled_at is None:
        _keep_an_admin(session, user)
    if disabled and user.disabled_at is None:
        if maker_id == user.id:
            raise ActionForbidden(
                actor=user.username,
                action="disable itself",
                reason="another admin of the institution must",
            )
        if "admin" in user.roles:
            _keep_an_admin(session, user)


def _update(
    session: Session,
    sealer: Sealer,
    participant: str,
    arguments: dict[str, Any],
    maker_id: str | None,
    now: datetime | None,
) -> UserSecrets:
    user = _user_of(session, participant, arguments["user_id"])
    _check_update(session, user, arguments, maker_id)
    roles, disabled = arguments["roles"], arguments["disabled"]
    if arguments["display_name"] is not None:
        user.display_name = arguments["display_name"]
    enrolment = None
    if roles is not None and set(roles) != set(user.roles):
        enrolment = users.set_roles(user, roles, sealer)
        browser.revoke_all(session, user.id, now)
    if disabled and user.disabled_at is None:
        users.disable(user, now)
        browser.revoke_all(session, user.id, now)
    elif disabled is False and user.disabled_at is not None:
        users.enable(user)
    return UserSecrets(user=user, enrolment=enrolment)


def _user_of(session: Session, participant: str, user_id: str) -> User:
    """The user an approved draft names (it may have gone since)."""
    user = session.get(User, user_id)
    if user is None or user.participant != participant:
        raise RecordNotFound(kind="user", key=user_id)
    return user


def _person_account(user: User, action: str) -> None:
    if user.kind != "user":
        raise InvalidInput(f"cannot {action}: {user.username} is a service account (API keys)")


def reset_password(
    *, sessions: sessionmaker[Session], actor: Actor, user_id: str, now: datetime | None = None
) -> Administered:
    """A temporary password for the user (once; changed at its next sign-in): unlocks the
    account and ends its sessions. A draft instead when a checker must approve it."""
    with sessions() as session:
        user = _administered(session, actor, user_id, scope="write")
        _person_account(user, "reset the password")
        arguments = {"action": "reset-password", "user_id": user.id, "username": user.username}
    held = _held(sessions, actor, arguments, now)
    if held is not None:
        return held
    with transaction(sessions) as session:
        return _reset_password(session, actor.participant, arguments)


def _reset_password(session: Session, participant: str, arguments: dict[str, Any]) -> UserSecrets:
    user = _user_of(session, participant, arguments["user_id"])
    _person_account(user, "reset the password")
    temporary = users.reset_password(user)
    browser.revoke_all(session, user.id)
    return UserSecrets(user=user, temporary_password=temporary)


def reset_second_factor(
    *,
    sessions: sessionmaker[Session],
    sealer: Sealer,
    actor: Actor,
    user_id: str,
    now: datetime | None = None,
) -> Administered:
    """A new second-factor secret for the user (once), replacing its lost one; ends its
    sessions. A draft instead when a checker must approve it."""
    with sessions() as session:
        user = _administered(session, actor, user_id, scope="write")
        _person_account(user, "reset the second factor")
        arguments = {
            "action": "reset-second-factor",
            "user_id": user.id,
            "username": user.username,
        }
    held = _held(sessions, actor, arguments, now)
    if held is not None:
        return held
    with transaction(sessions) as session:
        return _reset_second_factor(session, sealer, actor.participant, arguments)


def _reset_second_factor(
    session: Session, sealer: Sealer, participant: str, arguments: dict[str, Any]
) -> UserSecrets:
    user = _user_of(session, participant, arguments["user_id"])
    _person_account(user, "reset the second factor")
    enrolment = users.enrol_totp(user, sealer)
    browser.revoke_all(session, user.id)
    return UserSecrets(user=user, enrolment=enrolment)


def secrets_of(made: UserSecrets) -> dict[str, str]:
    """The secrets a users administration made, by the name the API answers them under."""
    found = {
        "temporary_password": made.temporary_password,
        "totp_secret": None if made.enrolment is None else made.enrolment.secret,
        "otpauth_uri": None if made.enrolment is None else made.enrolment.uri,
    }
    return {name: value for name, value in found.items() if value is not None}


def _approved(session: Session, approved: drafts.Approved) -> dict[str, str] | None:
    """Applies an approved users administration draft; the secrets it made, for its maker."""
    sealer, arguments, participant = approved.sealer, approved.arguments, approved.participant
    assert sealer is not None, "users administration needs the gateway's sealer"
    action = arguments["action"]
    if action == "create":
        made = _create(session, sealer, participant, arguments)
    elif action == "update":
        made = _update(session, sealer, participant, arguments, approved.maker_id, None)
    elif action == "reset-password":
        made = _reset_password(session, participant, arguments)
    elif action == "reset-second-factor":
        made = _reset_second_factor(session, sealer, participant, arguments)
    else:
        raise InvalidInput(f"unknown users administration {action!r}")
    return secrets_of(made) or None


drafts.register_action(USER_ADMIN, _approved)
