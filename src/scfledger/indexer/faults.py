"""Chain events the read model could not project: told apart from database trouble,
recorded once, listed and counted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError
from sqlalchemy.orm import Session

from scfledger.db.projections import IndexerFault
from scfledger.indexer.decode import DecodedEvent

MAX_ERROR_CHARS = 2_000


@dataclass(frozen=True)
class Fault:
    """One event that could not be projected, and why."""

    event: DecodedEvent
    error: str


def is_fault(exc: Exception) -> bool:
    """Whether `exc`, raised while projecting one event, belongs to that event: a value a
    column refuses, a row the event needs that the projection lacks, a handler's bug. The
    database's own trouble (a lost connection, a lock or deadlock timeout) is not: the
    batch is retried instead, so a passing outage never skips an event."""
    if isinstance(exc, DBAPIError):
        return isinstance(exc, DataError | IntegrityError)
    return True


def describe(exc: Exception) -> str:
    """The error without the SQL statement SQLAlchemy wraps around a driver's error."""
    cause = exc.orig if isinstance(exc, StatementError) and exc.orig is not None else exc
    return f"{type(cause).__name__}: {cause}"[:MAX_ERROR_CHARS]


def _row(fault: Fault) -> dict[str, Any]:
    return {**fault.event.place(), "error": fault.error}


def record(session: Session, faults: Sequence[Fault]) -> None:
    """Adds the faults; one already recorded keeps its first error and time."""
    if not faults:
        return
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = module.insert(IndexerFault).on_conflict_do_nothing(
        index_elements=["tx_hash", "log_index"]
    )
    session.execute(statement, [_row(f) for f in faults])


def replace_all(session: Session, faults: Sequence[Fault]) -> None:
    """Makes the table exactly `faults`, after a replay of the whole feed: faults of events
    no longer in the feed (rolled back by a reorg) or now projected go; those that remain
    keep their first time."""
    keep = {(f.event.tx_hash, f.event.log_index) for f in faults}
    rows = session.execute(select(IndexerFault.id, IndexerFault.tx_hash, IndexerFault.log_index))
    stale = [id_ for id_, tx_hash, log_index in rows if (tx_hash, log_index) not in keep]
    for start in range(0, len(stale), 500):
        session.execute(delete(IndexerFault).where(IndexerFault.id.in_(stale[start : start + 500])))
    record(session, faults)


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(IndexerFault)) or 0


def listing(session: Session, limit: int = 1_000) -> list[IndexerFault]:
    """The first `limit` faults in chain order."""
    return list(
        session.scalars(
            select(IndexerFault)
            .order_by(IndexerFault.block_number, IndexerFault.log_index)
            .limit(limit)
        )
    )


def drop_above(session: Session, block: int) -> None:
    """Forgets the faults of blocks above `block`: a reorg took their events away."""
    session.execute(delete(IndexerFault).where(IndexerFault.block_number > block))
