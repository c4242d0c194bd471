"""Undoing the projector's writes above a fork block, from the projection journal."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, and_, delete, insert, select, update
from sqlalchemy.orm import Session

from scfledger.db.projections import PROJECTION_TABLES, ProjectionJournal
from scfledger.indexer.projector.writer import APPEND_ONLY

_TABLES = {table.name: table for table in PROJECTION_TABLES}


def undo_above(session: Session, fork: int) -> int:
    """Puts every projection back as it was after block `fork`, newest block first: each
    keyed row a later block created is deleted, each one it changed gets its values before
    the first such block; the append-only rows of later blocks are deleted. The journal of
    those blocks goes too. Only valid while the journal covers every block above `fork`
    (`IndexerCheckpoint.journal_floor <= fork`). Returns the number of rows put back."""
    entries = session.execute(
        select(ProjectionJournal.table_name, ProjectionJournal.row_key, ProjectionJournal.previous)
        .where(ProjectionJournal.block_number > fork)
        .order_by(ProjectionJournal.block_number.desc(), ProjectionJournal.id.desc())
    ).all()
    # Newest first, so the last entry of a row is its first after the fork: its state then.
    before: dict[tuple[str, tuple[Any, ...]], dict[str, Any] | None] = {}
    for table_name, key, previous in entries:
        before[(table_name, tuple(key))] = previous
    for (table_name, key), previous in before.items():
        table = _TABLES[table_name]
        where = and_(*(c == v for c, v in zip(table.primary_key.columns, key, strict=True)))
        if previous is None:
            session.execute(delete(table).where(where))
        elif session.execute(update(table).where(where).values(previous)).rowcount == 0:  # type: ignore[attr-defined]
            session.execute(insert(table).values(previous))
    for model in APPEND_ONLY:
        table = cast(Table, model.__table__)
        session.execute(delete(table).where(table.c.block_number > fork))
    session.execute(delete(ProjectionJournal).where(ProjectionJournal.block_number > fork))
    return len(before)


def prune(session: Session, through: int) -> None:
    """Forgets how to undo blocks up to `through`: no reorg is expected to reach them."""
    session.execute(delete(ProjectionJournal).where(ProjectionJournal.block_number <= through))


def clear(session: Session) -> None:
    """Empties the journal (after a replay of the whole feed, which journals nothing)."""
    session.execute(delete(ProjectionJournal))
