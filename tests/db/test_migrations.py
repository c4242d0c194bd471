"""Alembic owns the schema: `scf db upgrade` on SQLite and PostgreSQL, refusal when behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect
from typer.testing import CliRunner

from scfledger.cli import app
from scfledger.db.migrate import head_revision, require_current
from scfledger.db.session import create_db_engine
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
