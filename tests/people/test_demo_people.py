"""The demo's people: seeded with passwords and second factors that sign in, written to a
0600 file by `scf up`, and `scf dev totp` printing a current code from that file only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from scfledger.api.gateway import WEBHOOK_SECRETS
from scfledger.cli import app
from scfledger.cli.gateway import PEOPLE_FILE, write_people
from scfledger.db.migrate import upgrade
from scfledger.db.people import User
from scfledger.db.session import create_db_engine, session_factory, transaction
from scfledger.devchain.seed import DemoPerson, seed_people
from scfledger.exceptions import SecondFactorRequired
from scfledger.keys.sealing import Sealer
from scfledger.keys.store import KeyStore
from scfledger.people import users

runner = CliRunner()


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    url = f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    upgrade(url)
    return create_db_engine(url)


@pytest.fixture
def sealer(tmp_path: Path) -> Sealer:
    return KeyStore(tmp_path / "keys", "test-passphrase-not-secret", scrypt_n=1024).sealer(
        WEBHOOK_SECRETS
    )


def sign_in(engine: Engine, sealer: Sealer, person: DemoPerson, code: str | None) -> User:
    with transaction(session_factory(engine)) as session:
        user = users.authenticate(
            session,
            participant=person.participant,
            username=person.username,
            password=person.password,
            code=code,
            sealer=sealer,
        )
        session.expunge(user)
        return user


def totp(directory: Path, participant: str, username: str) -> str:
    result = runner.invoke(app, ["dev", "totp", "--dir", str(directory), participant, username])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_seeded_people_sign_in_with_the_code_scf_dev_totp_prints(
    engine: Engine, sealer: Sealer, tmp_path: Path
) -> None:
    people = seed_people(engine, sealer, ["core", "auditor"])
    assert {p: sorted(persons) for p, persons in people.items()} == {
        "core": ["admin", "checker", "maker"],
        "auditor": ["admin", "checker", "maker", "viewer"],
    }
    write_people(tmp_path / PEOPLE_FILE, people)
    assert (tmp_path / PEOPLE_FILE).stat().st_mode & 0o777 == 0o600
    written = json.loads((tmp_path / PEOPLE_FILE).read_text())
    assert written["people"]["core"]["maker"] == {
        "roles": ["maker"],
        "password": people["core"]["maker"].password,
        "totpSecret": None,
    }
    for participant, persons in people.items():
        for username, person in persons.items():
            second = person.totp_secret is not None
            assert second == bool({"admin", "checker"} & set(person.roles)), username
            if second:
                with pytest.raises(SecondFactorRequired):
                    sign_in(engine, sealer, person, None)
            code = totp(tmp_path, participant, username) if second else None
            user = sign_in(engine, sealer, person, code)
            assert (user.roles, user.must_change_password) == (sorted(person.roles), False)
    passwords = {p.password for persons in people.values() for p in persons.values()}
    assert len(passwords) == 7  # each its own


@pytest.mark.parametrize(
    ("written", "args", "environment", "status", "message"),
    [
        (True, ["core", "checker"], "production", 2, "refused in production"),
        (False, ["core", "checker"], "development", 2, "no demo people at"),
        (True, ["core", "nobody"], "development", 1, "the demo has no person 'nobody' at 'core'"),
        (True, ["bank", "checker"], "development", 1, "no person 'checker' at 'bank'"),
        (True, ["core", "maker"], "development", 1, "maker of core signs in without a second"),
    ],
)
def test_scf_dev_totp_is_refused_outside_a_demo(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    written: bool,
    args: list[str],
    environment: str,
    status: int,
    message: str,
) -> None:
    people = {
        "core": {
            "checker": DemoPerson("core", "checker", ("checker",), "p" * 16, "JBSWY3DPEHPK3PXP"),
            "maker": DemoPerson("core", "maker", ("maker",), "q" * 16, None),
        }
    }
    if written:
        write_people(tmp_path / PEOPLE_FILE, people)
    monkeypatch.setenv("SCF_ENVIRONMENT", environment)
    monkeypatch.setenv("COLUMNS", "200")
    result = runner.invoke(app, ["dev", "totp", "--dir", str(tmp_path), *args])
    assert result.exit_code == status, result.output
    assert message in " ".join(result.output.split())
    assert not any(line.strip().isdigit() for line in result.output.splitlines())


def test_scf_dev_totp_reads_only_a_file_scf_up_wrote(tmp_path: Path) -> None:
    secret = {"core": {"checker": {"roles": ["checker"], "totpSecret": "JBSWY3DPEHPK3PXP"}}}
    (tmp_path / PEOPLE_FILE).write_text(json.dumps({"people": secret}))
    result = runner.invoke(app, ["dev", "totp", "--dir", str(tmp_path), "core", "checker"])
    assert result.exit_code == 2, result.output
    assert "is not the people file of a demo started by `scf up`" in " ".join(result.output.split())
