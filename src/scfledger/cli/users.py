"""`scf users`: the people of the participants this gateway serves, for its operator.

These commands run on the gateway's host with its database and keystore: they are the
operator's, not an institution's, so they bypass maker-checker (and the API's role checks);
each is recorded in the audit trail instead (credential `operator`, the OS user who ran it,
the command and its arguments, never a secret; its exit status and `ok` or its error).
A secret (a temporary password, a second-factor secret) is printed once, by the command
that makes it, and never stored in clear."""

from __future__ import annotations

import getpass
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from scfledger.api.gateway import WEBHOOK_SECRETS
from scfledger.config import load_settings
from scfledger.db.migrate import require_current
from scfledger.db.models import aware, utcnow
from scfledger.db.people import User
from scfledger.db.session import create_db_engine, session_factory, transaction
from scfledger.exceptions import InvalidInput, ScfError
from scfledger.keys.sealing import Sealer
from scfledger.keys.store import KeyStore
from scfledger.people import apikeys, audit, sessions, users

OPERATOR = (
    "An operator command (on the gateway's host, with its database and keystore): it"
    " bypasses maker-checker and the API's role checks."
)
console = Console()
users_app = typer.Typer(
    help="People of the participants this gateway serves: create, roles, resets, locks. " + OPERATOR
)


class PersonRole(StrEnum):
    """The roles of people.person.PERSON_ROLES, as the command line takes them."""

    admin = "admin"
    maker = "maker"
    checker = "checker"
    viewer = "viewer"


Participant = Annotated[str, typer.Argument(help="The participant (institution), as its keys.")]
Username = Annotated[str, typer.Argument(help="The person's username at the participant.")]
Roles = Annotated[
    list[PersonRole],
    typer.Option("--role", help="A role inside the institution (repeat for several)."),
]


class Refused(Exception):
    """A command that cannot do what it was asked: its message is printed, status 1."""


@contextmanager
def _database(command: str, *arguments: str | None) -> Iterator[Session]:
    """A transaction on the gateway's database (at the current schema), recorded in the
    audit trail as the operator's `scf users <command>` with its arguments (none of them
    secret): in the same transaction when it succeeds, in one of its own with the error
    when it fails. A ScfError or a refusal ends the command with its message and status 1."""
    try:
        engine = create_db_engine(load_settings().database_url)
        try:
            require_current(engine)
            factory = session_factory(engine)
            try:
                with transaction(factory) as session:
                    yield session
                    _record(session, command, arguments, "ok")
            except Exception as exc:
                _record_failure(factory, command, arguments, exc)
                raise
        finally:
            engine.dispose()
    except (ScfError, Refused) as exc:
        console.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(1) from exc


def _record(session: Session, command: str, arguments: tuple[str | None, ...], result: str) -> None:
    """Appends the operator's command to the audit trail: the OS user who ran it (the
    operator has no person at any participant), `scf users <command>` as the action, its
    arguments as the target and their SHA-256 as the request's; status its exit status."""
    given = [a for a in arguments if a is not None]
    line = " ".join(["scf users", command, *given])
    audit.append(
        session,
        audit.AuditEntry(
            action=f"scf users {command}",
            target=" ".join(given),
            request_hash=hashlib.sha256(line.encode()).hexdigest(),
            status=0 if result == "ok" else 1,
            result=result,
            credential="operator",
            participant=arguments[0] if arguments else None,
            username=getpass.getuser(),
            user_agent="scf users",
        ),
    )


def _record_failure(
    factory: sessionmaker[Session],
    command: str,
    arguments: tuple[str | None, ...],
    exc: Exception,
) -> None:
    """Records a failed command (its error's kind, as a problem slug) in a transaction of
    its own: the command's changes are rolled back, its record stays."""
    result = re.sub(r"(?<!^)(?=[A-Z])", "-", type(exc).__name__).lower()
    with transaction(factory) as session:
        _record(session, command, arguments, result)


def _sealer() -> Sealer:
    """The gateway's sealer, which seals second-factor secrets (the keystore passphrase)."""
    return KeyStore.from_settings(load_settings()).sealer(WEBHOOK_SECRETS)


def _served(session: Session, participant: str) -> None:
    if apikeys.participant_address(session, participant) is None:
        raise Refused(f"unknown participant {participant!r}: this gateway does not serve it")


def _user(session: Session, participant: str, username: str) -> User:
    _served(session, participant)
    user = users.find_user(session, participant, username)
    if user is None:
        raise Refused(f"{participant} has no user {username!r}")
    return user


def _person(user: User) -> User:
    if user.kind != "user":
        raise InvalidInput(f"{user.username} is a service account: API keys only, no sign-in")
    return user


def _show_once(password: str | None, enrolment: users.Enrolment | None) -> None:
    """Prints secrets to hand over (out of band): they are not shown again."""
    if password is not None:
        typer.echo(f"temporary password: {password}")
        typer.echo("  (to be changed at the first sign-in)")
    if enrolment is not None:
        typer.echo(f"second-factor secret: {enrolment.secret}")
        typer.echo(f"authenticator URI: {enrolment.uri}")
        typer.echo("  (enter the secret or the URI in an authenticator app)")
    if password is not None or enrolment is not None:
        typer.echo("shown this once: hand it over now, it is stored only hashed or sealed")


def _state(user: User) -> str:
    if user.disabled_at is not None:
        return "disabled"
    if user.locked_until is not None and aware(user.locked_until) > utcnow():
        return f"locked until {aware(user.locked_until):%Y-%m-%d %H:%M} UTC"
    return "active"


def _second_factor(user: User) -> str:
    if user.kind != "user":
        return "-"
    if user.totp_secret is None:
        return "none"
    return "confirmed" if user.totp_confirmed_at is not None else "not yet used"


@users_app.command("list", epilog=OPERATOR)
def list_users(
    participant: Annotated[
        str | None, typer.Option(help="Only the people of this participant.")
    ] = None,
) -> None:
    """The people (and service accounts) of every participant, or of one."""
    with _database("list", participant) as session:
        query = select(User).order_by(User.participant, User.username)
        if participant is not None:
            _served(session, participant)
            query = query.where(User.participant == participant)
        rows = session.scalars(query).all()
        table = Table(title="People")
        for column in ("participant", "username", "kind", "roles", "second factor", "state"):
            table.add_column(column)
        for user in rows:
            table.add_row(
                user.participant,
                user.username,
                user.kind,
                ", ".join(sorted(users.roles_of(user))),
                _second_factor(user),
                _state(user) + (" (must change password)" if user.must_change_password else ""),
            )
    console.print(table)


@users_app.command("create", epilog=OPERATOR)
def create(
    participant: Participant,
    username: Username,
    role: Roles,
    service: Annotated[
        bool, typer.Option("--service", help="A service account: API keys only, no sign-in.")
    ] = False,
    display_name: Annotated[str, typer.Option(help="The person's name, as shown.")] = "",
) -> None:
    """Create a person with roles; prints a temporary password and, for admins and
    checkers, the second-factor secret, once."""
    described = [f"--role {r}" for r in role] + (["--service"] if service else [])
    with _database("create", participant, username, *described) as session:
        _served(session, participant)
        user, enrolment = users.create_user(
            session,
            participant=participant,
            username=username,
            roles=[str(r) for r in role],
            sealer=_sealer(),
            kind="service" if service else "user",
            display_name=display_name,
        )
        password = None if service else users.reset_password(user)  # to change at sign-in
        kind = "service account" if service else "user"
        console.print(f"created {kind} {username} of {participant}: {', '.join(user.roles)}")
    _show_once(password, enrolment)


@users_app.command("roles", epilog=OPERATOR)
def roles(participant: Participant, username: Username, role: Roles) -> None:
    """Give a person these roles (replacing its others); ends its sessions. A person who
    now needs a second factor and has none gets one, printed once."""
    with _database("roles", participant, username, *[f"--role {r}" for r in role]) as session:
        user = _user(session, participant, username)
        enrolment = users.set_roles(user, [str(r) for r in role], _sealer())
        sessions.revoke_all(session, user.id)
        console.print(f"{username} of {participant}: {', '.join(user.roles)}")
    _show_once(None, enrolment)


@users_app.command("reset-password", epilog=OPERATOR)
def reset_password(participant: Participant, username: Username) -> None:
    """A new temporary password (printed once, to change at the next sign-in); the old one
    stops working, the account is unlocked and its sessions end."""
    with _database("reset-password", participant, username) as session:
        user = _person(_user(session, participant, username))
        temporary = users.reset_password(user)
        sessions.revoke_all(session, user.id)
    _show_once(temporary, None)


@users_app.command("reset-second-factor", epilog=OPERATOR)
def reset_second_factor(participant: Participant, username: Username) -> None:
    """A new second-factor secret (printed once) for a person who lost theirs; the old one
    stops working and its sessions end."""
    with _database("reset-second-factor", participant, username) as session:
        user = _person(_user(session, participant, username))
        enrolment = users.enrol_totp(user, _sealer())
        sessions.revoke_all(session, user.id)
    _show_once(None, enrolment)


@users_app.command("disable", epilog=OPERATOR)
def disable(participant: Participant, username: Username) -> None:
    """Refuse the person's sign-ins, sessions and API keys from now on."""
    with _database("disable", participant, username) as session:
        user = _user(session, participant, username)
        users.disable(user)
        sessions.revoke_all(session, user.id)
    console.print(f"{username} of {participant} is disabled")


@users_app.command("enable", epilog=OPERATOR)
def enable(participant: Participant, username: Username) -> None:
    """Let a disabled person sign in again (and unlock it)."""
    with _database("enable", participant, username) as session:
        users.enable(_user(session, participant, username))
    console.print(f"{username} of {participant} is enabled")


@users_app.command("unlock", epilog=OPERATOR)
def unlock(participant: Participant, username: Username) -> None:
    """Lift the lock of too many failed sign-ins (a disabled person stays disabled)."""
    with _database("unlock", participant, username) as session:
        user = _user(session, participant, username)
        user.failed_logins = 0
        user.locked_until = None
    console.print(f"{username} of {participant} is unlocked")
