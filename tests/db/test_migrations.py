"""Alembic owns the schema: `scf db upgrade` on SQLite and PostgreSQL, refusal when behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text, update
from typer.testing import CliRunner

import scfledger.db.apikeys
import scfledger.db.audit
import scfledger.db.batches
import scfledger.db.drafts
import scfledger.db.gateway_tables
import scfledger.db.payment_refs
import scfledger.db.sso  # noqa: F401  (every model on Base.metadata)
from scfledger.cli import app
from scfledger.db.migrate import alembic_config, head_revision, require_current, upgrade
from scfledger.db.models import Base
from scfledger.db.projections import (
    FinancingOffer,
    FinancingRequest,
    IndexerCheckpoint,
    Member,
    Receivable,
    Settlement,
)
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


def test_0010_turns_rates_into_terms_and_named_financiers_into_offers(database_url: str) -> None:
    """A database at 0009 with financing and settlements of the old contracts: after the
    upgrade the amount is the asked (and, once approved, the agreed) advance, `approved`
    is `accepted`, each request's financier has its offer row, settlements are settled;
    the downgrade brings the amount and status back."""
    upgrade(database_url, "0009_chain_uints_and_faults")
    engine = create_db_engine(database_url)
    sqlite = engine.dialect.name == "sqlite"

    def amount(v: int) -> object:  # as 0009 stores amounts and dates
        return str(v).zfill(78) if sqlite else v

    def date(v: int) -> object:
        return str(v).zfill(20) if sqlite else v

    request = {"token_id": 7, "requester": "0xs", "financier": "0xb", "rate_bps": 300,
               "mode": "factoring", "recourse": False, "expires_at": date(1_800_000_000),
               "payment_ref": None, "created_block": 1, "updated_block": 2}  # fmt: skip
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO financing_requests (id, token_id, requester, financier, amount, "
                "rate_bps, mode, recourse, status, expires_at, payment_ref, created_block, "
                "updated_block) VALUES (:id, :token_id, :requester, :financier, :amount, "
                ":rate_bps, :mode, :recourse, :status, :expires_at, :payment_ref, "
                ":created_block, :updated_block)"
            ),
            [
                {**request, "id": 1, "amount": amount(900), "status": "requested"},
                {**request, "id": 2, "amount": amount(800), "status": "approved"},
                {**request, "id": 3, "amount": amount(700), "status": "rejected"},
            ],
        )
        connection.execute(
            text(
                "INSERT INTO settlements (token_id, slot, holder, amount, lien_holder, "
                "lien_amount, payment_ref, paid_on_chain, block_number, tx_hash) VALUES "
                "(7, 1, '0xs', :amount, NULL, :zero, '0xref', :on_chain, 3, '0xtx')"
            ),
            {"amount": amount(1_000), "zero": amount(0), "on_chain": False},
        )

    upgrade(database_url)

    with session_factory(engine)() as session:
        rows = session.scalars(select(FinancingRequest).order_by(FinancingRequest.id)).all()
        assert [(r.status, r.asked_advance, r.advance, r.asked_fund_by) for r in rows] == [
            ("requested", 900, None, 1_800_000_000),
            ("accepted", 800, 800, 1_800_000_000),
            ("rejected", 700, None, 1_800_000_000),
        ]
        offers = session.scalars(select(FinancingOffer).order_by(FinancingOffer.request_id)).all()
        assert [(o.request_id, o.financier, o.status, o.advance) for o in offers] == [
            (1, "0xb", "invited", None),
            (2, "0xb", "made", 800),
            (3, "0xb", "declined", None),
        ]
        settled = session.get(Settlement, 7)
        assert settled is not None
        assert (settled.status, settled.amount, settled.submitted_amount, settled.deemed) == (
            "settled",
            1_000,
            1_000,
            False,
        )

    command.downgrade(alembic_config(database_url), "0009_chain_uints_and_faults")
    with engine.connect() as connection:
        back = connection.execute(
            text("SELECT id, status, amount, financier FROM financing_requests ORDER BY id")
        ).all()
    assert [(i, s, int(a), f) for i, s, a, f in back] == [
        (1, "requested", 900, "0xb"),
        (2, "approved", 800, "0xb"),
        (3, "rejected", 700, "0xb"),
    ]
    engine.dispose()


def test_the_migrations_build_the_schema_the_models_declare(database_url: str) -> None:
    """Alembic owns the schema: at head, nothing differs from the ORM models (tables,
    columns and their types, nullability, indexes, constraints)."""
    upgrade(database_url)
    engine = create_db_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_0012_starts_an_existing_checkpoint_with_nothing_journaled(database_url: str) -> None:
    """A database indexed before the journal: the journal can undo nothing below its
    checkpoint (a reorg there replays the feed); the downgrade drops the journal."""
    upgrade(database_url, "0011_identity_salts")
    engine = create_db_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO indexer_checkpoint (id, block_number, block_hash, updated_at) "
                "VALUES (1, 42, '0xab', CURRENT_TIMESTAMP)"
            )
        )

    upgrade(database_url)

    with session_factory(engine)() as session:
        checkpoint = session.get(IndexerCheckpoint, 1)
        assert checkpoint is not None
        assert (checkpoint.block_number, checkpoint.journal_floor) == (42, 42)
    command.downgrade(alembic_config(database_url), "0011_identity_salts")
    assert "projection_journal" not in inspect(engine).get_table_names()
    columns = {c["name"] for c in inspect(engine).get_columns("indexer_checkpoint")}
    assert columns == {"id", "block_number", "block_hash", "updated_at"}
    engine.dispose()


def test_0014_adds_the_single_sign_on_tables_and_its_downgrade_drops_them(
    database_url: str,
) -> None:
    upgrade(database_url, "0013_people")
    engine = create_db_engine(database_url)
    sso_tables = {"participant_sso", "sso_logins"}
    assert not sso_tables & set(inspect(engine).get_table_names())

    upgrade(database_url, "0014_sso")
    assert sso_tables <= set(inspect(engine).get_table_names())
    command.downgrade(alembic_config(database_url), "0013_people")
    assert not sso_tables & set(inspect(engine).get_table_names())
    engine.dispose()
