"""`read_session_factory`: reads on PostgreSQL open no transaction (no BEGIN, no COMMIT or
ROLLBACK round trip), and the connection they used runs transactions again once back in
the pool; SQLite keeps its transactions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from psycopg.pq import TransactionStatus
from sqlalchemy import text
from sqlalchemy.orm import Session

from scfledger.db.migrate import upgrade
from scfledger.db.session import create_db_engine, read_session_factory, session_factory


def _dbapi(session: Session) -> Any:
    dbapi = session.connection().connection.dbapi_connection
    assert dbapi is not None
    return dbapi


def _status(session: Session) -> TransactionStatus:
    return TransactionStatus(_dbapi(session).info.transaction_status)


def test_reads_on_postgresql_open_no_transaction(postgres_url: str) -> None:
    upgrade(postgres_url)
    engine = create_db_engine(postgres_url)
    try:
        with read_session_factory(engine)() as session:
            assert session.execute(text("SELECT count(*) FROM members")).scalar_one() == 0
            assert _status(session) == TransactionStatus.IDLE  # no BEGIN was sent
            used = _dbapi(session)
            session.commit()  # what a read session's caller may do: nothing to send
        with session_factory(engine)() as session:  # the pool's one connection again
            session.execute(text("SELECT 1"))
            assert _dbapi(session) is used
            assert _status(session) == TransactionStatus.INTRANS
    finally:
        engine.dispose()


def test_sqlite_keeps_its_transactions(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'index.sqlite3'}"
    upgrade(url)
    engine = create_db_engine(url)
    try:
        with read_session_factory(engine)() as session:
            session.execute(text("SELECT count(*) FROM members"))
            assert session.in_transaction()
            assert session.get_bind() is engine
    finally:
        engine.dispose()
