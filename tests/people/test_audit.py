"""The audit trail's chain on SQLite and PostgreSQL: appends, verification (edited,
deleted in the middle, deleted last, anchored), concurrent appends, exports."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from scfledger.cli import app
from scfledger.db.audit import AuditRecord
from scfledger.db.migrate import upgrade
from scfledger.db.session import create_db_engine, session_factory, transaction
from scfledger.people import audit
from scfledger.people.audit import AuditEntry, AuditFilter
from tests.support.postgres import postgres, postgres_url

__all__ = ["postgres", "postgres_url"]  # fixtures


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
    upgrade(url)
    engine = create_db_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


def entry(n: int, **overrides: object) -> AuditEntry:
    values: dict[str, object] = {
        "action": "POST /v1/receivables",
        "target": f"/v1/receivables?n={n}",
        "request_hash": hashlib.sha256(str(n).encode()).hexdigest(),
        "status": 202,
        "result": "ok",
        "credential": "session",
        "participant": "core" if n % 2 else "bank",
        "user_id": f"u-{n}",
        "username": f"clerk{n}",
        "roles": ("maker", "admin"),
        "address": "127.0.0.1",
        "user_agent": "pytest 会计",
        "operation_id": f"op-{n}",
        "tx_hash": "0x" + "ab" * 32,
    }
    values.update(overrides)
    return AuditEntry(**values)  # type: ignore[arg-type]


def append_many(sessions: sessionmaker[Session], count: int) -> None:
    for n in range(1, count + 1):
        with transaction(sessions) as session:
            audit.append(session, entry(n))


def check(sessions: sessionmaker[Session]) -> audit.Verification:
    with sessions() as session:
        return audit.verify(session)


def run(engine: Engine, statement: str) -> None:
    with engine.begin() as connection:
        connection.execute(text(statement))


def test_an_untouched_chain_verifies_and_names_its_head(sessions: sessionmaker[Session]) -> None:
    assert check(sessions) == audit.Verification(True, 0, 0, audit.GENESIS)
    append_many(sessions, 5)
    result = check(sessions)
    with sessions() as session:
        last = session.execute(text("SELECT hash FROM audit_records WHERE id = 5")).scalar_one()
    assert result == audit.Verification(True, 5, 5, last)


def test_the_hash_is_sha256_of_prev_hash_and_the_documented_canonical_json(
    sessions: sessionmaker[Session],
) -> None:
    at = datetime(2026, 11, 26, 3, 40, 0, 123456, tzinfo=UTC)
    with transaction(sessions) as session:
        record = audit.append(session, entry(1, at=at, user_agent="UA\x00\n"))
    # Written out by hand from the module's docstring: keys sorted, no spaces, UTF-8.
    document = (
        '{"action":"POST /v1/receivables","address":"127.0.0.1","at":"2026-11-26T03:40:00.123456Z",'
        '"credential":"session","draft_id":null,"id":1,"operation_id":"op-1",'
        '"participant":"core","prev_hash":"'
        + "0" * 64
        + '","request_hash":"'
        + hashlib.sha256(b"1").hexdigest()
        + '","result":"ok","roles":"admin,maker","status":202,"target":"/v1/receivables?n=1",'
        '"tx_hash":"0x' + "ab" * 32 + '","user_agent":"UA??","user_id":"u-1","username":"clerk1"}'
    )
    expected = hashlib.sha256(("0" * 64 + document).encode()).hexdigest()
    assert (record.prev_hash, record.hash) == ("0" * 64, expected)
    with sessions() as session:
        stored = session.execute(text("SELECT user_agent, hash FROM audit_records")).one()
    assert tuple(stored) == ("UA??", expected)


def test_an_edited_record_is_named(engine: Engine, sessions: sessionmaker[Session]) -> None:
    append_many(sessions, 4)
    run(engine, "UPDATE audit_records SET status = 200, result = 'ok' WHERE id = 2")
    result = check(sessions)
    assert (result.intact, result.broken_id, result.count) == (False, 2, 1)
    assert result.reason == "its fields do not match its hash (the record was edited)"


def test_an_edited_record_with_its_hash_recomputed_breaks_the_next_link(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    append_many(sessions, 4)
    with sessions() as session:
        row = audit.fields_of(session.get_one(AuditRecord, 2))
    row["username"] = "someone-else"
    forged = audit.record_hash(row)
    run(
        engine,
        f"UPDATE audit_records SET username = 'someone-else', hash = '{forged}' WHERE id = 2",
    )
    result = check(sessions)
    assert (result.intact, result.broken_id) == (False, 3)
    assert result.reason is not None
    assert "record 2 was rewritten" in result.reason


def test_a_deleted_record_in_the_middle_is_named(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    append_many(sessions, 5)
    run(engine, "DELETE FROM audit_records WHERE id = 3")
    result = check(sessions)
    assert (result.intact, result.broken_id, result.count) == (False, 3, 2)
    assert result.reason == "record(s) 3 missing before 4 (deleted)"


def test_a_deleted_last_record_is_named_by_the_head(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    append_many(sessions, 5)
    run(engine, "DELETE FROM audit_records WHERE id = 5")
    result = check(sessions)
    assert (result.intact, result.broken_id, result.count) == (False, 5, 4)
    assert result.reason == "the head names record 5: records after 4 were deleted"


def test_a_rewritten_tail_with_its_head_passes_alone_but_not_against_an_anchor(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """The limit of a chain in the database it protects: cutting the last records and
    moving the head back is consistent again; a head anchored elsewhere catches it."""
    append_many(sessions, 5)
    anchored = check(sessions)
    with sessions() as session:
        fourth = session.execute(text("SELECT hash FROM audit_records WHERE id = 4")).scalar_one()
    run(engine, "DELETE FROM audit_records WHERE id = 5")
    run(engine, f"UPDATE audit_head SET last_id = 4, hash = '{fourth}'")
    assert check(sessions).intact
    with sessions() as session:
        result = audit.verify(session, anchor=(anchored.head_id, anchored.head_hash))
    assert (result.intact, result.broken_id) == (False, 5)
    assert result.reason == "the anchored record 5 is gone (deleted)"


def test_concurrent_appends_form_one_chain(sessions: sessionmaker[Session]) -> None:
    """Eight threads appending at once (each its own transactions): one chain, every
    record in it, ids contiguous."""
    threads, per_thread = 8, 15
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def appender(t: int) -> None:
        try:
            start.wait()
            for n in range(per_thread):
                with transaction(sessions) as session:
                    audit.append(session, entry(t * 100 + n))
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=appender, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert errors == []
    result = check(sessions)
    assert (result.intact, result.count) == (True, threads * per_thread), result
    with sessions() as session:
        hashes = session.execute(text("SELECT count(DISTINCT prev_hash) FROM audit_records"))
        assert hashes.scalar_one() == threads * per_thread  # nobody shares a predecessor


@pytest.mark.parametrize("format", ["csv", "json"])
def test_an_export_round_trips_and_verifies(
    sessions: sessionmaker[Session], format: audit.ExportFormat
) -> None:
    append_many(sessions, 3)
    with transaction(sessions) as session:  # text that CSV must quote, no operation
        audit.append(
            session,
            entry(4, user_agent='Mozilla/5.0 "quoted", comma', operation_id=None, tx_hash=None),
        )
    with sessions() as session:
        lines = list(audit.export(session, format))
        stored = [
            audit.as_exported(audit.fields_of(record))
            for record in session.scalars(select(AuditRecord).order_by(AuditRecord.id))
        ]
    assert all(line.endswith("\n") and line.count("\n") == 1 for line in lines)
    assert len(lines) == 4 + (format == "csv")
    parsed = list(audit.parse_export(format, lines))
    assert parsed == stored
    assert parsed[3]["operation_id"] is None
    assert parsed[3]["user_agent"] == 'Mozilla/5.0 "quoted", comma'
    assert audit.walk(parsed, head=(4, parsed[-1]["hash"])).intact
    parsed[1]["status"] = 500
    assert audit.walk(parsed, head=None).broken_id == 2


def test_an_export_takes_the_filters(sessions: sessionmaker[Session]) -> None:
    append_many(sessions, 6)
    later = datetime.now(UTC) + timedelta(hours=1)
    with transaction(sessions) as session:
        audit.append(session, entry(7, at=later, action="GET /v1/pieces"))
    with sessions() as session:

        def ids(filters: AuditFilter) -> list[int]:
            return [json.loads(line)["id"] for line in audit.export(session, "json", filters)]

        assert ids(AuditFilter(participant="bank")) == [2, 4, 6]
        assert ids(AuditFilter(username="clerk3")) == [3]
        assert ids(AuditFilter(action="GET /v1/pieces")) == [7]
        assert ids(AuditFilter(since=later)) == [7]
        assert ids(AuditFilter(until=later - timedelta(minutes=1))) == [1, 2, 3, 4, 5, 6]
        page = audit.list_records(session, AuditFilter(participant="core"), after=1, limit=2)
        assert [r.id for r in page] == [3, 5]


def test_verify_reads_in_batches(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "BATCH", 2)
    append_many(sessions, 5)
    assert check(sessions).count == 5
    with sessions() as session:
        assert len(list(audit.export(session, "json"))) == 5


def test_scf_audit_verify_and_export(
    engine: Engine,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SCF_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    append_many(sessions, 3)
    runner = CliRunner()

    intact = runner.invoke(app, ["audit", "verify"])
    assert intact.exit_code == 0, intact.output
    head = check(sessions)
    assert f"intact: 3 records; head 3:{head.head_hash}" in intact.output

    for format in ("csv", "json"):
        out = tmp_path / f"audit.{format}"
        exported = runner.invoke(app, ["audit", "export", "--format", format, "--out", str(out)])
        assert exported.exit_code == 0, exported.output
        assert out.stat().st_mode & 0o777 == 0o600
        again = runner.invoke(
            app,
            [
                "audit",
                "verify",
                "--file",
                str(out),
                "--format",
                format,
                "--anchor",
                f"3:{head.head_hash}",
            ],
        )
        assert again.exit_code == 0, again.output
    filtered = runner.invoke(app, ["audit", "export", "--format", "json", "--participant", "bank"])
    assert [json.loads(line)["id"] for line in filtered.stdout.splitlines()] == [2]

    run(engine, "UPDATE audit_records SET address = '10.0.0.9' WHERE id = 2")
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "broken at record 2: its fields do not match its hash" in broken.output
    wrong_anchor = runner.invoke(app, ["audit", "verify", "--anchor", "1:" + "0" * 64])
    assert wrong_anchor.exit_code == 1
    assert "broken at record 1" in wrong_anchor.output


def test_a_subject_is_read_from_itself_or_a_dict_naming_a_participant() -> None:
    subject = audit.AuditSubject("core", "clerk")
    assert audit.AuditSubject.of(subject) is subject
    assert audit.AuditSubject.of({"participant": "core", "username": "clerk"}) == subject
    assert audit.AuditSubject.of({"participant": "core"}) == audit.AuditSubject("core")
    assert audit.AuditSubject.of({"username": "clerk"}) is None
    assert audit.AuditSubject.of("core") is None
