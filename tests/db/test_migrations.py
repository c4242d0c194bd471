"""Alembic owns the schema: `scf db upgrade` on SQLite and PostgreSQL, refusal when behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text, update
from typer.testing import CliRunner

from scfledger.cli import app
from scfledger.db.migrate import head_revision, require_current, upgrade
from scfledger.db.projections import Member, Receivable
from scfledger.db.session import create_db_engine, session_factory
from scfledger.exceptions import DatabaseNotMigrated


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'var' / 'gateway.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def test_scf_db_upgrade_creates_the_gateway_tables(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCF_DATABASE_URL", database_url)
    engine = create_db_engine(database_url)
    with pytest.raises(DatabaseNotMigrated, match="scf db upgrade"):
        require_current(engine)

    result = CliRunner().invoke(app, ["db", "upgrade"])
    again = CliRunner().invoke(app, ["db", "upgrade"])

    assert result.exit_code == 0, result.output
    assert again.exit_code == 0, again.output
    assert head_revision() in result.output
    require_current(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"operations", "transactions", "account_nonces", "alembic_version"} <= tables
    engine.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'g.sqlite3'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


def test_0009_keeps_the_read_model_and_widens_it_to_what_the_chain_emits(
    database_url: str,
) -> None:
    """A database at 0008 with projected rows: after the upgrade the same values read back,
    compare as numbers, and values beyond 64 bits (a due date of 2^63) fit."""
    upgrade(database_url, "0008_transfer_source_index")
    engine = create_db_engine(database_url)
    sqlite = engine.dialect.name == "sqlite"
    amount = (lambda v: str(v)) if sqlite else (lambda v: v)  # as 0008 stored amounts
    receivable = {
        "debtor": "0xd",
        "creditor": "0xc",
        "currency": "CNY",
        "issue_date": 1_700_000_000,
        "document_hash": "0x",
        "root_token_id": 1,
        "settled_value": amount(0),
        "status": "active",
        "issued_block": 1,
    }
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO receivables (slot, debtor, creditor, face_amount, currency, "
                "issue_date, due_date, document_hash, root_token_id, settled_value, status, "
                "issued_block) VALUES (:slot, :debtor, :creditor, :face_amount, :currency, "
                ":issue_date, :due_date, :document_hash, :root_token_id, :settled_value, "
                ":status, :issued_block)"
            ),
            [
                {**receivable, "slot": 1, "face_amount": amount(2**127), "due_date": 1_800_000_000},
                {**receivable, "slot": 2, "face_amount": amount(900), "due_date": 1_750_000_000},
            ],
        )
        connection.execute(
            text(
                "INSERT INTO members (address, name, legal_id_hash, kyc_hash, roles, status, "
                "admitted_block, updated_block) VALUES ('0xm', :name, '0xl', '0xk', 4, "
                "'active', 1, 1)"
            ),
            {"name": "m" * 256},
        )

    upgrade(database_url)

    with session_factory(engine)() as session, session.begin():
        rows = session.execute(
            select(Receivable.slot, Receivable.face_amount, Receivable.issue_date).order_by(
                Receivable.face_amount
            )
        ).all()
        assert [tuple(r) for r in rows] == [(2, 900, 1_700_000_000), (1, 2**127, 1_700_000_000)]
        late = select(Receivable.slot).where(Receivable.due_date > 1_750_000_000)
        assert list(session.scalars(late)) == [1]
        session.execute(update(Receivable).where(Receivable.slot == 2).values(due_date=2**63))
        session.execute(update(Member).values(name="n" * 1_000))
    with session_factory(engine)() as session:
        assert session.scalar(select(Receivable.due_date).where(Receivable.slot == 2)) == 2**63
        assert session.scalar(select(Member.name)) == "n" * 1_000
    engine.dispose()
