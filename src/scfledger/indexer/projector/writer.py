"""The projector's only way to write the read model, journaling how to undo each block."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from scfledger.db.projections import (
    Evidence,
    FinancingHistory,
    PieceTransfer,
    ProjectionJournal,
    SettlementHistory,
)
from scfledger.indexer.decode import DecodedEvent

# Tables only ever appended to, each row carrying its block: a block's rows are undone by
# deleting the rows of that block, so they need no journal entry.
APPEND_ONLY: tuple[type[Any], ...] = (PieceTransfer, Evidence, FinancingHistory, SettlementHistory)


Handler = Callable[["Writer", DecodedEvent], None]
"""Projects one event through the writer."""


class ProjectionError(RuntimeError):
    """An event refers to a row the projection does not have: the index is inconsistent."""


def row_key(row: Any) -> Any:
    """A row's primary key as the writer keys it: the value, or a tuple of values."""
    key = row.__mapper__.primary_key_from_instance(row)
    return key[0] if len(key) == 1 else tuple(key)


class Writer:
    """Rows of one projection run, read and written by the handlers of one event after
    another (`block`: the block of the event being applied).

    Rows are found without a query or a flush, and held strongly (the session's identity
    map holds unmodified rows only weakly). Keyed rows are journaled for blocks above
    `journal_above` (None: nothing, as in a replay of the whole feed): the first time a
    block creates or touches a row, `projection_journal` gets the row's values before the
    block (or that the block created it), which is how a reorg undoes the block
    (`projector.journal.undo_above`)."""

    def __init__(self, session: Session, journal_above: int | None = None) -> None:
        self.session = session
        self.journal_above = journal_above
        self.block = 0
        self._rows: dict[tuple[type[Any], Any], Any] = {}
        self._appends: dict[type[Any], list[dict[str, Any]]] = {}
        self._journal: list[dict[str, Any]] = []
        self._journaled: set[tuple[type[Any], Any, int]] = set()

    # ---- reading ----------------------------------------------------------------------------

    def cache(self, row: Any) -> None:
        """Holds a row loaded by the caller (a preload of the rows a batch needs)."""
        self._rows[(type(row), row_key(row))] = row

    def require(self, model: type[Any], key: Any) -> Any:
        """The row, to read only; ProjectionError when the projection lacks it."""
        row = self._rows.get((model, key))
        if row is None:
            row = self.session.get(model, key)
            if row is None:
                raise ProjectionError(f"{model.__tablename__} has no row {key!r}")
            self._rows[(model, key)] = row
        return row

    def get(self, model: type[Any], key: Any) -> Any:
        """The row, to change; ProjectionError when the projection lacks it."""
        row = self.require(model, key)
        self._journal_row(model, key, row)
        return row

    def find(self, model: type[Any], key: Any) -> Any:
        """The row to change, or None: for rows an event creates on first use."""
        try:
            return self.get(model, key)
        except ProjectionError:
            return None

    # ---- writing ----------------------------------------------------------------------------

    def add(self, row: Any) -> None:
        """A new keyed row."""
        key = row_key(row)
        self.session.add(row)
        self._rows[(type(row), key)] = row
        self._journal_row(type(row), key, None)

    def append(self, model: type[Any], **values: Any) -> None:
        """Queues a row of an append-only table (transfers, history, settlements, evidence):
        nothing reads them back while a batch is applied, so they go in one bulk INSERT."""
        assert model in APPEND_ONLY, model
        self._appends.setdefault(model, []).append(values)

    def flush(self) -> None:
        """Writes the queued rows (one bulk INSERT per table) and every change."""
        appends, self._appends = self._appends, {}
        for model, rows in appends.items():
            self.session.execute(insert(model), rows)
        journal, self._journal = self._journal, []
        if journal:
            self.session.execute(insert(ProjectionJournal), journal)
        self.session.flush()

    def forget(self) -> None:
        """Drops what a rolled-back savepoint left in memory: cached and queued rows and
        journal entries, rows added, changes not written. What was flushed before it is
        read again when needed."""
        self._rows.clear()
        self._appends.clear()
        self._journal.clear()
        self._journaled.clear()  # a later write of the block journals the row again
        for row in list(self.session.new):
            self.session.expunge(row)
        self.session.expire_all()

    def _journal_row(self, model: type[Any], key: Any, row: Any) -> None:
        """Journals the row's values before the current block (None: the block creates it),
        once per row and block. A second entry of the same row and block (after `forget`)
        comes later and carries a later state: undoing takes the first."""
        if self.journal_above is None or self.block <= self.journal_above:
            return
        mark = (model, key, self.block)
        if mark in self._journaled:
            return
        self._journaled.add(mark)
        previous = None
        if row is not None:
            previous = {
                attr.columns[0].name: _copy(getattr(row, attr.key))
                for attr in row.__mapper__.column_attrs
            }
        self._journal.append(
            {
                "block_number": self.block,
                "table_name": model.__tablename__,
                "row_key": list(key) if isinstance(key, tuple) else [key],
                "previous": previous,
            }
        )


def _copy(value: Any) -> Any:
    """A value as it is now: JSON columns (a proposal's approvals) are copied, so that a
    later change made in place cannot reach the journaled one."""
    return copy.deepcopy(value) if isinstance(value, list | dict) else value
