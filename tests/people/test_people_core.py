"""The people foundation on a migrated database: sign-in with lockout and a second factor
(its window and replay), session timeouts and revocation, API keys with scopes, expiry and
owners. The clock is passed in (`now`, `at`): nothing sleeps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from sqlalchemy.orm import Session

from scfledger.db.apikeys import ApiKey
from scfledger.db.migrate import upgrade
from scfledger.db.models import aware
from scfledger.db.people import User
from scfledger.db.session import create_db_engine, session_factory
from scfledger.exceptions import (
    AccountLocked,
    InvalidCredentials,
    InvalidInput,
    SecondFactorRequired,
    UserExists,
)
from scfledger.keys.sealing import Sealer
from scfledger.people import apikeys, passwords, sessions, totp, users
from scfledger.people.person import session_scopes

PASSWORD = "a long enough password"
NOW = datetime(2026, 11, 26, 9, 0, 0, tzinfo=UTC)
ADDRESS = "0x" + "ab" * 20
SEALER = Sealer(b"k" * 32)
LOCKOUT = users.Lockout()


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    url = f"sqlite:///{tmp_path / 'people.sqlite3'}"
    upgrade(url)
    engine = create_db_engine(url)
    try:
        with session_factory(engine)() as db:
            yield db
    finally:
        engine.dispose()


def person(
    db: Session, username: str, roles: list[str], password: str = PASSWORD
) -> tuple[User, users.Enrolment | None]:
    user, enrolment = users.create_user(
        db, participant="bank", username=username, roles=roles, sealer=SEALER, password=password
    )
    db.commit()
    return user, enrolment


def code_at(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret, interval=totp.STEP).at(moment)


def sign_in(
    db: Session, username: str, *, password: str = PASSWORD, code: str | None = None,
    now: datetime = NOW, lockout: users.Lockout = LOCKOUT,
) -> User:  # fmt: skip
    return users.authenticate(
        db,
        participant="bank",
        username=username,
        password=password,
        code=code,
        sealer=SEALER,
        lockout=lockout,
        now=now,
    )


# -- passwords ------------------------------------------------------------------------------


def test_passwords_are_argon2id_and_short_ones_are_refused() -> None:
    hashed = passwords.hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$")
    assert PASSWORD not in hashed
    assert passwords.verify_password(hashed, PASSWORD)
    assert not passwords.verify_password(hashed, PASSWORD + "!")
    assert not passwords.verify_password(None, PASSWORD)
    with pytest.raises(ValueError, match="at least 12"):
        passwords.hash_password("short")


def test_a_user_needs_a_good_name_known_roles_and_a_free_name(session: Session) -> None:
    with pytest.raises(InvalidInput):
        person(session, "Alice Smith", ["maker"])
    with pytest.raises(InvalidInput):
        person(session, "alice", ["treasurer"])
    with pytest.raises(InvalidInput):
        person(session, "alice", ["maker"], password="short")
    person(session, "alice", ["maker"])
    with pytest.raises(UserExists):
        person(session, "alice", ["viewer"])


# -- sign-in, lockout ----------------------------------------------------------------------


def test_a_maker_signs_in_with_its_password_alone(session: Session) -> None:
    user, enrolment = person(session, "mia", ["maker"])
    assert enrolment is None  # makers need no second factor
    assert sign_in(session, "mia").id == user.id
    for wrong in (
        {"password": PASSWORD + "x"},
        {"password": ""},
    ):
        with pytest.raises(InvalidCredentials):
            sign_in(session, "mia", **wrong)  # type: ignore[arg-type]
    with pytest.raises(InvalidCredentials):
        sign_in(session, "nobody")


def test_failures_lock_the_account_until_the_lockout_ends(session: Session) -> None:
    person(session, "mia", ["maker"])
    lockout = users.Lockout(max_failures=3, duration=timedelta(minutes=15))
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            sign_in(session, "mia", password="wrong password!", lockout=lockout)
    # Locked: even the right password is refused, and says until when.
    with pytest.raises(AccountLocked) as locked:
        sign_in(session, "mia", now=NOW + timedelta(minutes=14), lockout=lockout)
    assert locked.value.until == (NOW + timedelta(minutes=15)).isoformat()
    # The failures were committed: a new session sees the lock.
    session.expire_all()
    user = users.find_user(session, "bank", "mia")
    assert user is not None
    assert aware(user.locked_until or NOW) == NOW + timedelta(minutes=15)
    # Past the lockout, the right password signs in and the count starts again.
    assert sign_in(session, "mia", now=NOW + timedelta(minutes=15, seconds=1), lockout=lockout)
    assert user.failed_logins == 0
    assert user.locked_until is None


def test_an_admin_reset_unlocks_at_once_with_a_temporary_password(session: Session) -> None:
    person(session, "mia", ["maker"])
    lockout = users.Lockout(max_failures=2)
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            sign_in(session, "mia", password="wrong password!", lockout=lockout)
    user = users.find_user(session, "bank", "mia")
    assert user is not None
    temporary = users.reset_password(user)
    session.commit()
    assert len(temporary) >= 12
    signed = sign_in(session, "mia", password=temporary, lockout=lockout)
    assert signed.must_change_password
    with pytest.raises(InvalidCredentials):
        users.change_password(signed, current="not the temporary one", new="a brand new password")
    users.change_password(signed, current=temporary, new="a brand new password")
    assert not signed.must_change_password


def test_a_disabled_user_cannot_sign_in_and_its_keys_stop(session: Session) -> None:
    user, _ = person(session, "mia", ["maker"])
    key = apikeys.create_api_key(
        session=session, participant="bank", address=ADDRESS, user_id=user.id
    )
    users.disable(user, NOW)
    session.commit()
    with pytest.raises(AccountLocked):
        sign_in(session, "mia")
    assert apikeys.authenticate(session=session, key=key, now=NOW) is None
    users.enable(user)
    session.commit()
    assert apikeys.authenticate(session=session, key=key, now=NOW) is not None


# -- the second factor ---------------------------------------------------------------------


def test_admins_and_checkers_need_a_code_within_one_step(session: Session) -> None:
    _, enrolment = person(session, "ada", ["admin"])
    assert enrolment is not None
    assert enrolment.uri.startswith("otpauth://totp/")
    assert "issuer=scfledger" in enrolment.uri
    with pytest.raises(SecondFactorRequired):
        sign_in(session, "ada")
    step = timedelta(seconds=totp.STEP)
    # Two steps off either way: refused (and counted as a failure).
    for off in (-2, 2):
        with pytest.raises(InvalidCredentials):
            sign_in(session, "ada", code=code_at(enrolment.secret, NOW + off * step))
    # The previous step's code, then the next step's (each once).
    assert sign_in(session, "ada", code=code_at(enrolment.secret, NOW - step))
    assert sign_in(session, "ada", code=code_at(enrolment.secret, NOW + step))


def test_a_used_code_is_refused_replay(session: Session) -> None:
    _, enrolment = person(session, "cho", ["checker"])
    assert enrolment is not None
    code = code_at(enrolment.secret, NOW)
    assert sign_in(session, "cho", code=code)
    with pytest.raises(InvalidCredentials):
        sign_in(session, "cho", code=code, now=NOW + timedelta(seconds=5))
    # Nor may an older step's code come after a newer one was used.
    later = NOW + timedelta(seconds=totp.STEP)
    assert sign_in(session, "cho", code=code_at(enrolment.secret, later), now=later)
    with pytest.raises(InvalidCredentials):
        sign_in(session, "cho", code=code_at(enrolment.secret, NOW), now=later)


def test_the_totp_secret_is_stored_sealed(session: Session) -> None:
    user, enrolment = person(session, "ada", ["admin"])
    assert enrolment is not None
    assert user.totp_secret is not None
    assert enrolment.secret not in user.totp_secret
    assert SEALER.open(user.totp_secret, f"totp:{user.id}") == enrolment.secret


def test_a_role_that_needs_a_second_factor_enrols_one(session: Session) -> None:
    user, enrolment = person(session, "mia", ["maker"])
    assert enrolment is None
    assert user.totp_secret is None
    granted = users.set_roles(user, ["maker", "checker"], SEALER)
    assert granted is not None
    assert user.totp_secret is not None
    assert users.set_roles(user, ["checker"], SEALER) is None  # it has one already


# -- sessions ------------------------------------------------------------------------------


def test_a_session_ends_when_idle_too_long_or_past_its_end(session: Session) -> None:
    user, _ = person(session, "mia", ["maker"])
    limits = sessions.Timeouts(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
    opened = sessions.open_session(session, user, timeouts=limits, now=NOW)
    session.commit()
    assert opened.token.startswith("scfs_")
    assert opened.row.token_hash != opened.token
    assert opened.token not in opened.row.token_hash
    # Used every 29 minutes, it lives until its absolute end and no longer.
    moment = NOW
    while moment + timedelta(minutes=29) < NOW + timedelta(hours=12):
        moment += timedelta(minutes=29)
        assert sessions.resolve(session, opened.token, timeouts=limits, now=moment), moment
    assert (
        sessions.resolve(session, opened.token, timeouts=limits, now=NOW + timedelta(hours=12))
        is None
    )
    # Idle: 30 minutes are fine, 31 are not.
    idle = sessions.open_session(session, user, timeouts=limits, now=NOW)
    assert sessions.resolve(session, idle.token, timeouts=limits, now=NOW + timedelta(minutes=30))
    later = NOW + timedelta(minutes=30) + timedelta(minutes=31)
    assert sessions.resolve(session, idle.token, timeouts=limits, now=later) is None


def test_a_revoked_session_is_refused_at_once(session: Session) -> None:
    user, _ = person(session, "mia", ["maker"])
    opened = sessions.open_session(session, user, now=NOW)
    other = sessions.open_session(session, user, now=NOW)
    assert sessions.resolve(session, opened.token, now=NOW) is not None
    sessions.revoke(session, opened.row.id, NOW)
    assert sessions.resolve(session, opened.token, now=NOW) is None
    assert sessions.resolve(session, other.token, now=NOW) is not None
    assert [s.id for s in sessions.sessions_of(session, user.id)] == [other.row.id]
    sessions.revoke_all(session, user.id, NOW)
    assert sessions.resolve(session, other.token, now=NOW) is None
    assert sessions.resolve(session, "scfs_" + "x" * 43, now=NOW) is None


def test_the_csrf_token_matches_its_session_only(session: Session) -> None:
    user, _ = person(session, "mia", ["maker"])
    one = sessions.open_session(session, user, now=NOW)
    two = sessions.open_session(session, user, now=NOW)
    assert sessions.csrf_matches(one.row, one.csrf_token)
    assert not sessions.csrf_matches(one.row, two.csrf_token)
    assert not sessions.csrf_matches(one.row, None)
    assert not sessions.csrf_matches(one.row, "")


def test_a_session_may_what_its_roles_allow() -> None:
    assert session_scopes(frozenset({"viewer"})) == {"read"}
    assert session_scopes(frozenset({"maker"})) == {"read", "write"}
    assert session_scopes(frozenset({"checker"})) == {"read", "approve"}
    assert session_scopes(frozenset({"admin"})) == {"read", "write"}


# -- API keys ------------------------------------------------------------------------------


def test_a_key_carries_its_owner_scopes_and_expiry(session: Session) -> None:
    user, _ = person(session, "mia", ["maker"])
    key = apikeys.create_api_key(
        session=session,
        participant="bank",
        address=ADDRESS,
        user_id=user.id,
        scopes=["read"],
        expires_at=NOW + timedelta(days=1),
        name="erp",
    )
    session.commit()
    row = session.query(ApiKey).one()
    assert key not in row.key_hash
    assert row.prefix == key[:12]
    assert (row.name, row.scopes, row.user_id) == ("erp", ["read"], user.id)
    found = apikeys.authenticate(session=session, key=key, now=NOW)
    assert found is not None
    assert (found.key_id, found.user_id, found.username) == (row.id, user.id, "mia")
    assert (found.scopes, found.user_roles) == (frozenset({"read"}), frozenset({"maker"}))
    assert found.member is None
    session.refresh(row)
    assert aware(row.last_used_at or NOW - timedelta(days=9)) == NOW
    # Used again within the minute: last_used_at is not rewritten; after it, it is.
    apikeys.authenticate(session=session, key=key, now=NOW + timedelta(seconds=30))
    session.refresh(row)
    assert aware(row.last_used_at or NOW) == NOW
    apikeys.authenticate(session=session, key=key, now=NOW + timedelta(minutes=2))
    session.refresh(row)
    assert aware(row.last_used_at or NOW) == NOW + timedelta(minutes=2)
    assert apikeys.authenticate(session=session, key=key, now=NOW + timedelta(days=1)) is None
    with pytest.raises(ValueError, match="unknown scope"):
        apikeys.create_api_key(
            session=session, participant="bank", address=ADDRESS, scopes=["admin"]
        )


def test_a_key_without_an_owner_belongs_to_the_service_account(session: Session) -> None:
    key = apikeys.create_api_key(session=session, participant="bank", address=ADDRESS)
    session.commit()
    found = apikeys.authenticate(session=session, key=key, now=NOW)
    assert found is not None
    assert (found.username, found.user_kind, sorted(found.user_roles)) == (
        "service",
        "service",
        ["admin", "maker"],
    )
    assert found.scopes == {"read", "write"}
    with pytest.raises(InvalidCredentials):
        sign_in(session, "service", password="")  # a service account never signs in
    session.query(ApiKey).one().revoked_at = NOW
    session.commit()
    assert apikeys.authenticate(session=session, key=key, now=NOW) is None
