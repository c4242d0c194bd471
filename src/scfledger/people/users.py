"""Users of a participant: creation, roles, sign-in with password and second factor,
lockout, reset and disabling. Authorization (who may administer whom) is the caller's."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from scfledger.db.models import aware, new_id, utcnow
from scfledger.db.people import User
from scfledger.exceptions import (
    AccountLocked,
    InvalidCredentials,
    InvalidInput,
    SecondFactorRequired,
    UserExists,
)
from scfledger.keys.sealing import Sealer
from scfledger.people import passwords, totp
from scfledger.people.person import SECOND_FACTOR_ROLES, UserKind, checked_roles

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
TOTP_RECORD = "totp"  # the sealed secret's record tag, with the user id


@cache
def _absent_hash() -> str:
    """A hash checked when the user does not exist, so that the answer takes as long."""
    return passwords.hash_password("no such user: the answer takes as long")


@dataclass(frozen=True)
class Lockout:
    """Sign-in limits: this many failures in a row lock the account for `duration`."""

    max_failures: int = 5
    duration: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class Enrolment:
    """A second factor to hand to its person once: the secret and the otpauth:// URI."""

    secret: str
    uri: str


def needs_second_factor(roles: frozenset[str] | list[str]) -> bool:
    return bool(SECOND_FACTOR_ROLES & set(roles))


def roles_of(user: User) -> frozenset[str]:
    return frozenset(str(r) for r in user.roles)


def find_user(session: Session, participant: str, username: str) -> User | None:
    return session.scalars(
        select(User).where(User.participant == participant, User.username == username)
    ).one_or_none()


def create_user(
    session: Session,
    *,
    participant: str,
    username: str,
    roles: list[str],
    sealer: Sealer,
    password: str | None = None,
    kind: UserKind = "user",
    display_name: str = "",
) -> tuple[User, Enrolment | None]:
    """A new user; with a second factor (returned once) when its roles need one.
    InvalidInput for a bad name, roles or password; UserExists for a taken name."""
    if USERNAME.fullmatch(username) is None:
        raise InvalidInput(
            "a username is 1-64 characters: lowercase letters, digits, '.', '_' or '-'"
        )
    try:
        chosen = checked_roles(roles)
        password_hash = None if password is None else passwords.hash_password(password)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    if find_user(session, participant, username) is not None:
        raise UserExists(participant=participant, username=username)
    user = User(
        id=new_id(),
        participant=participant,
        username=username,
        kind=kind,
        display_name=display_name,
        roles=sorted(chosen),
        password_hash=password_hash,
        must_change_password=False,
        failed_logins=0,
        created_at=utcnow(),
    )
    session.add(user)
    enrolment = None
    if kind == "user" and needs_second_factor(chosen):
        enrolment = enrol_totp(user, sealer)
    session.flush()
    return user, enrolment


def enrol_totp(user: User, sealer: Sealer) -> Enrolment:
    """A new second-factor secret for `user` (replacing any), to hand over once."""
    secret = totp.new_secret()
    user.totp_secret = sealer.seal(secret, f"{TOTP_RECORD}:{user.id}")
    user.totp_confirmed_at = None
    user.totp_last_step = None
    return Enrolment(
        secret=secret,
        uri=totp.provisioning_uri(secret, username=user.username, participant=user.participant),
    )


def set_roles(user: User, roles: list[str], sealer: Sealer) -> Enrolment | None:
    """Gives `user` these roles; a second factor (returned once) if they now need one."""
    try:
        chosen = checked_roles(roles)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    user.roles = sorted(chosen)
    if user.kind == "user" and needs_second_factor(chosen) and user.totp_secret is None:
        return enrol_totp(user, sealer)
    return None


def reset_password(user: User) -> str:
    """A temporary password for `user` (to hand over once), to be changed at next sign-in;
    unlocks the account."""
    temporary = secrets.token_urlsafe(12)
    user.password_hash = passwords.hash_password(temporary)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    return temporary


def change_password(user: User, *, current: str, new: str) -> None:
    if not passwords.verify_password(user.password_hash, current):
        raise InvalidCredentials()
    try:
        user.password_hash = passwords.hash_password(new)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    user.must_change_password = False


def disable(user: User, now: datetime | None = None) -> None:
    user.disabled_at = now or utcnow()


def enable(user: User) -> None:
    user.disabled_at = None
    user.failed_logins = 0
    user.locked_until = None


def authenticate(
    session: Session,
    *,
    participant: str,
    username: str,
    password: str,
    code: str | None,
    sealer: Sealer,
    lockout: Lockout = Lockout(),
    now: datetime | None = None,
) -> User:
    """The user these credentials sign in, or: InvalidCredentials (unknown user, wrong
    password or code: never said which), SecondFactorRequired (right password, no code),
    AccountLocked (too many failures, or disabled). A failure is committed before it is
    raised, so that the count survives the caller's rollback."""
    now = now or utcnow()
    user = find_user(session, participant, username)
    if user is None or user.kind != "user":
        passwords.verify_password(_absent_hash(), password)
        raise InvalidCredentials()
    if user.locked_until is not None and aware(user.locked_until) > now:
        raise AccountLocked(until=aware(user.locked_until).isoformat())
    if not passwords.verify_password(user.password_hash, password):
        _failed(session, user, lockout, now)
    if user.disabled_at is not None:
        raise AccountLocked(until=None)
    if user.totp_secret is not None and (
        needs_second_factor(roles_of(user)) or user.totp_confirmed_at is not None
    ):
        if not code:
            raise SecondFactorRequired()
        secret = sealer.open(user.totp_secret, f"{TOTP_RECORD}:{user.id}")
        step = totp.verify(secret, code, last_step=user.totp_last_step, at=now.timestamp())
        if step is None:
            _failed(session, user, lockout, now)
        user.totp_last_step = step
        if user.totp_confirmed_at is None:
            user.totp_confirmed_at = now
    user.failed_logins = 0
    user.locked_until = None
    return user


def _failed(session: Session, user: User, lockout: Lockout, now: datetime) -> None:
    user.failed_logins += 1
    if user.failed_logins >= lockout.max_failures:
        user.locked_until = now + lockout.duration
        user.failed_logins = 0
    session.commit()
    raise InvalidCredentials()
