"""Engines and sessions for SQLite (WAL, serialized writes) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from scfledger.db import json_loads

SQLITE_BUSY_TIMEOUT_MS = 60_000


def is_sqlite(engine_or_url: Engine | str) -> bool:
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "sqlite"


def create_db_engine(url: str, *, pool_size: int = 20) -> Engine:
    """An engine for `url`.

    SQLite: WAL journal, and every transaction starts with ``BEGIN IMMEDIATE``, so write
    transactions are serialized across threads and processes (SQLite's equivalent of the
    row locks taken on PostgreSQL). PostgreSQL: a pool with pre-ping. Both read JSON
    columns with `db.json_loads.loads`.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            _private_files(Path(database))
        engine = create_engine(
            parsed,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            pool_size=pool_size,
            max_overflow=pool_size,
            json_deserializer=json_loads.loads,
        )
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(
        parsed,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        json_deserializer=json_loads.loads,
    )


def _private_files(database: Path) -> None:
    """Creates the SQLite file mode 0600 (or tightens an existing one), before SQLite
    opens it: SQLite gives its -wal and -shm files the database file's mode. The database
    holds participants' business and sealed secrets, for the gateway's user alone."""
    os.close(os.open(database, os.O_RDONLY | os.O_CREAT, 0o600))
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        # Another user's file (a read-only copy) is left as its owner set it.
        with contextlib.suppress(FileNotFoundError, PermissionError):
            path.chmod(0o600)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control from the sqlite3 module so that BEGIN IMMEDIATE is ours.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()
    dbapi_connection.create_aggregate("uint_sum", 1, UintSum)


class UintSum:
    """`uint_sum(x)`: SUM over SQLite's text-stored chain integers (`ChainUint`), exact at
    any size: SQLite's own SUM turns text into floats or overflows past 2^63. Answers
    decimal text, or NULL over no values, as SUM does."""

    def __init__(self) -> None:
        self.total: int | None = None

    def step(self, value: object) -> None:
        if value is not None:
            self.total = (self.total or 0) + int(str(value))

    def finalize(self) -> str | None:
        return None if self.total is None else str(self.total)


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for what only reads (and at most writes one statement's worth, as a key's
    last use): on PostgreSQL every statement commits on its own, so a session costs no
    BEGIN and no COMMIT or ROLLBACK round trip. Under READ COMMITTED, the isolation of
    every other session here, each statement of a transaction takes its own snapshot
    anyway, so what such a session reads is what a transaction would have read. SQLite
    keeps its transactions (they are local calls, and `BEGIN IMMEDIATE` is ours)."""
    if engine.dialect.name != "postgresql":
        return session_factory(engine)
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    return sessionmaker(autocommit, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on error."""
    with factory() as session, session.begin():
        yield session
