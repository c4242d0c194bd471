"""`scf users`: the operator's commands over a real gateway database and keystore, checked by
signing in with what they print (people.users.authenticate, as the login route does)."""

from __future__ import annotations

import getpass
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from rich.console import Console
from sqlalchemy import Engine, select
from typer.testing import CliRunner, Result

from scfledger.api.gateway import WEBHOOK_SECRETS
from scfledger.cli import app
from scfledger.cli import users as users_cli
from scfledger.cli.users import PersonRole
from scfledger.db.audit import AuditRecord
from scfledger.db.migrate import upgrade
from scfledger.db.people import User
from scfledger.db.session import create_db_engine, session_factory, transaction
from scfledger.exceptions import AccountLocked, InvalidCredentials, SecondFactorRequired
from scfledger.keys.sealing import Sealer
from scfledger.keys.store import KeyStore
from scfledger.people import sessions, users
from scfledger.people.apikeys import create_api_key
from scfledger.people.person import PERSON_ROLES

PASSPHRASE = "test-passphrase-not-secret"
runner = CliRunner()


@dataclass
class Gateway:
    engine: Engine
    sealer: Sealer


@pytest.fixture
def gateway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Gateway:
    """A gateway's database (at the current schema) serving `core`, and its keystore."""
    url = f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    upgrade(url)
    engine = create_db_engine(url)
    with transaction(session_factory(engine)) as session:
        create_api_key(session=session, participant="core", address="0x" + "11" * 20)
    for name, value in {
        "SCF_DATABASE_URL": url,
        "SCF_KEY_DIR": str(tmp_path / "keys"),
        "SCF_KEYSTORE_PASSPHRASE": PASSPHRASE,
        "SCF_KEYSTORE_SCRYPT_N": "1024",
    }.items():
        monkeypatch.setenv(name, value)
    # Wide enough that no table cell wraps (the module's console measured its terminal).
    monkeypatch.setattr(users_cli, "console", Console(width=200))
    sealer = KeyStore(tmp_path / "keys", PASSPHRASE, scrypt_n=1024).sealer(WEBHOOK_SECRETS)
    return Gateway(engine=engine, sealer=sealer)


def scf(*args: str) -> Result:
    return runner.invoke(app, ["users", *args])


def printed(result: Result, label: str) -> str:
    """The value the command printed after `label: ` (a secret shown once)."""
    found = re.search(rf"^{label}: (\S+)$", result.output, re.MULTILINE)
    assert found is not None, result.output
    return found.group(1)


def sign_in(gateway: Gateway, username: str, password: str, secret: str | None = None) -> User:
    """Signs `username` of core in with `password` and, given `secret`, its current code."""
    code = None if secret is None else pyotp.TOTP(secret).now()
    with transaction(session_factory(gateway.engine)) as session:
        user = users.authenticate(
            session,
            participant="core",
            username=username,
            password=password,
            code=code,
            sealer=gateway.sealer,
        )
        session.expunge(user)
        return user


def test_the_cli_roles_are_the_person_roles() -> None:
    assert tuple(PersonRole) == PERSON_ROLES


def test_create_prints_a_temporary_password_once_and_it_signs_in(gateway: Gateway) -> None:
    created = scf("create", "core", "mia", "--role", "maker")
    assert created.exit_code == 0, created.output
    password = printed(created, "temporary password")
    assert "second-factor secret" not in created.output  # a maker needs none
    user = sign_in(gateway, "mia", password)
    assert (user.roles, user.kind, user.must_change_password) == (["maker"], "user", True)
    listed = scf("list")
    assert listed.exit_code == 0, listed.output
    assert re.search(r"core\s+\S\s+mia\s+\S\s+user\s+\S\s+maker\s", listed.output), listed.output
    assert password not in listed.output


def test_an_admin_and_checker_gets_a_second_factor_printed_once(gateway: Gateway) -> None:
    created = scf("create", "core", "ann", "--role", "admin", "--role", "checker")
    assert created.exit_code == 0, created.output
    password = printed(created, "temporary password")
    secret = printed(created, "second-factor secret")
    uri = printed(created, "authenticator URI")
    assert uri.startswith("otpauth://totp/")
    assert f"secret={secret}" in uri
    with pytest.raises(SecondFactorRequired):
        sign_in(gateway, "ann", password)
    assert sign_in(gateway, "ann", password, secret).roles == ["admin", "checker"]
    for command in (["list"], ["list", "--participant", "core"], ["unlock", "core", "ann"]):
        again = scf(*command)
        assert again.exit_code == 0, again.output
        assert secret not in again.output
        assert password not in again.output


def test_roles_replaces_them_and_enrols_a_second_factor_when_needed(gateway: Gateway) -> None:
    password = printed(scf("create", "core", "bo", "--role", "viewer"), "temporary password")
    with transaction(session_factory(gateway.engine)) as session:
        user = users.find_user(session, "core", "bo")
        assert user is not None
        opened = sessions.open_session(session, user)
    same = scf("roles", "core", "bo", "--role", "maker", "--role", "viewer")
    assert same.exit_code == 0, same.output
    assert "second-factor secret" not in same.output
    with session_factory(gateway.engine)() as session:
        assert sessions.resolve(session, opened.token) is None  # roles changed: signed out
    checker = scf("roles", "core", "bo", "--role", "checker")
    assert checker.exit_code == 0, checker.output
    secret = printed(checker, "second-factor secret")
    assert sign_in(gateway, "bo", password, secret).roles == ["checker"]


def test_reset_password_retires_the_old_one_and_ends_sessions(gateway: Gateway) -> None:
    old = printed(scf("create", "core", "cy", "--role", "maker"), "temporary password")
    with transaction(session_factory(gateway.engine)) as session:
        user = users.find_user(session, "core", "cy")
        assert user is not None
        opened = sessions.open_session(session, user)
    reset = scf("reset-password", "core", "cy")
    assert reset.exit_code == 0, reset.output
    new = printed(reset, "temporary password")
    assert new != old
    with pytest.raises(InvalidCredentials):
        sign_in(gateway, "cy", old)
    assert sign_in(gateway, "cy", new).must_change_password
    with session_factory(gateway.engine)() as session:
        assert sessions.resolve(session, opened.token) is None


def test_reset_second_factor_retires_the_old_secret(gateway: Gateway) -> None:
    created = scf("create", "core", "di", "--role", "checker")
    password, old = printed(created, "temporary password"), printed(created, "second-factor secret")
    reset = scf("reset-second-factor", "core", "di")
    assert reset.exit_code == 0, reset.output
    new = printed(reset, "second-factor secret")
    assert "temporary password" not in reset.output
    with pytest.raises(InvalidCredentials):
        sign_in(gateway, "di", password, old)
    assert sign_in(gateway, "di", password, new).username == "di"


def test_disable_refuses_sign_in_until_enabled(gateway: Gateway) -> None:
    password = printed(scf("create", "core", "ed", "--role", "maker"), "temporary password")
    disabled = scf("disable", "core", "ed")
    assert disabled.exit_code == 0, disabled.output
    with pytest.raises(AccountLocked):
        sign_in(gateway, "ed", password)
    assert "disabled" in scf("list", "--participant", "core").output
    assert scf("enable", "core", "ed").exit_code == 0
    assert sign_in(gateway, "ed", password).disabled_at is None


def test_unlock_lifts_the_lockout_of_failed_sign_ins(gateway: Gateway) -> None:
    password = printed(scf("create", "core", "fa", "--role", "maker"), "temporary password")
    for _ in range(users.Lockout().max_failures):
        with pytest.raises(InvalidCredentials):
            sign_in(gateway, "fa", "not the password at all")
    with pytest.raises(AccountLocked):
        sign_in(gateway, "fa", password)
    assert "locked until" in scf("list").output
    unlocked = scf("unlock", "core", "fa")
    assert unlocked.exit_code == 0, unlocked.output
    assert sign_in(gateway, "fa", password).failed_logins == 0


def test_a_service_account_has_no_password_to_print_or_reset(gateway: Gateway) -> None:
    created = scf("create", "core", "erp", "--role", "maker", "--service")
    assert created.exit_code == 0, created.output
    assert "temporary password" not in created.output
    assert "second-factor" not in created.output
    refused = scf("reset-password", "core", "erp")
    assert refused.exit_code == 1
    assert "erp is a service account: API keys only, no sign-in" in refused.output
    with pytest.raises(InvalidCredentials):
        sign_in(gateway, "erp", "")


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["create", "nobody", "x", "--role", "maker"], 1, "unknown participant 'nobody'"),
        (["roles", "core", "ghost", "--role", "maker"], 1, "core has no user 'ghost'"),
        (["disable", "core", "ghost"], 1, "core has no user 'ghost'"),
        (["reset-password", "elsewhere", "mia"], 1, "unknown participant 'elsewhere'"),
        (["list", "--participant", "nobody"], 1, "unknown participant 'nobody'"),
        (["create", "core", "Bad Name", "--role", "maker"], 1, "a username is 1-64 characters"),
        (["create", "core", "x", "--role", "boss"], 2, "Invalid value for '--role'"),
        (["create", "core", "x"], 2, "Missing option '--role'"),
    ],
)
def test_bad_requests_are_refused_with_a_clear_message(
    gateway: Gateway, args: list[str], status: int, message: str
) -> None:
    result = scf(*args)
    assert result.exit_code == status, result.output
    assert message in " ".join(result.output.split())
    assert "temporary password" not in result.output


def test_a_taken_username_is_refused_and_changes_nothing(gateway: Gateway) -> None:
    password = printed(scf("create", "core", "gu", "--role", "maker"), "temporary password")
    again = scf("create", "core", "gu", "--role", "admin")
    assert again.exit_code == 1
    assert "core already has a user 'gu'" in again.output
    assert sign_in(gateway, "gu", password).roles == ["maker"]


@pytest.mark.parametrize("command", ["list", "create", "roles", "reset-password", "unlock"])
def test_the_help_says_an_operator_command_bypasses_maker_checker(command: str) -> None:
    shown = runner.invoke(app, ["users", command, "--help"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "it bypasses maker-checker and the API's role checks" in " ".join(shown.output.split())


def trail(gateway: Gateway) -> list[AuditRecord]:
    with session_factory(gateway.engine)() as session:
        return list(session.scalars(select(AuditRecord).order_by(AuditRecord.id)))


def test_each_operator_command_is_in_the_audit_trail_without_its_secrets(
    gateway: Gateway,
) -> None:
    created = scf("create", "core", "ho", "--role", "admin", "--role", "checker")
    password = printed(created, "temporary password")
    secret = printed(created, "second-factor secret")
    reset = printed(scf("reset-password", "core", "ho"), "temporary password")
    refused = scf("disable", "core", "ghost")
    assert refused.exit_code == 1
    assert scf("list").exit_code == 0
    records = trail(gateway)
    assert [(r.action, r.target, r.status, r.result) for r in records] == [
        ("scf users create", "core ho --role admin --role checker", 0, "ok"),
        ("scf users reset-password", "core ho", 0, "ok"),
        ("scf users disable", "core ghost", 1, "refused"),
        ("scf users list", "", 0, "ok"),
    ]
    operator = getpass.getuser()
    for record in records:
        assert (record.credential, record.username, record.user_id) == ("operator", operator, None)
        assert record.participant == (None if record.action.endswith("list") else "core")
        columns = " ".join(str(getattr(record, c.key)) for c in AuditRecord.__table__.columns)
        for shown_once in (password, secret, reset):
            assert shown_once not in columns
    line = "scf users create core ho --role admin --role checker"
    assert records[0].request_hash == hashlib.sha256(line.encode()).hexdigest()
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "audit trail intact: 4 records" in verified.output


def test_a_refused_command_is_recorded_and_changes_nothing_else(gateway: Gateway) -> None:
    password = printed(scf("create", "core", "iv", "--role", "maker"), "temporary password")
    taken = scf("create", "core", "iv", "--role", "admin")
    assert taken.exit_code == 1
    assert sign_in(gateway, "iv", password).roles == ["maker"]  # the refusal rolled back
    last = trail(gateway)[-1]
    assert (last.action, last.status, last.result) == ("scf users create", 1, "user-exists")
