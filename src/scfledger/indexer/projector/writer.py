"""The projector's only way to write the read model, journaling how to undo each block."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

from sqlalchemy import Table, and_, select
from sqlalchemy.orm import Session

from scfledger.db import bulk
from scfledger.db.projections import (
    Evidence,
    FinancingHistory,
    PieceTransfer,
    ProjectionJournal,
    SettlementHistory,
)
from scfledger.indexer.decode import DecodedEvent
from scfledger.indexer.projector import records
from scfledger.indexer.projector.records import Record

# Tables only ever appended to, each row carrying its block: a block's rows are undone by
# deleting the rows of that block, so they need no journal entry.
APPEND_ONLY: tuple[type[Any], ...] = (PieceTransfer, Evidence, FinancingHistory, SettlementHistory)

# Keys per query when loading the rows of a batch.
LOAD_CHUNK = 5_000

Handler = Callable[["Writer", DecodedEvent], None]
"""Projects one event through the writer."""


class ProjectionError(RuntimeError):
    """An event refers to a row the projection does not have: the index is inconsistent."""


class Writer:
    """Rows of one projection run, read and written by the handlers of one event after
    another (`block`: the block of the event being applied).

    Keyed rows are `records` (plain objects, not in the session): loaded for a whole batch
    at once (`load`), created (`add`) and changed by the handlers, and written by `flush`
    with one statement per table for the new rows and one for the changed ones
    (`scfledger.db.bulk`); rows of append-only tables are queued the same way. Keyed rows
    are journaled for blocks above `journal_above` (None: nothing, as in a replay of the
    whole feed): the first time a block creates or touches a row, `projection_journal`
    gets the row's values before the block (or that the block created it), which is how a
    reorg undoes the block (`projector.journal.undo_above`)."""

    def __init__(self, session: Session, journal_above: int | None = None) -> None:
        self.session = session
        self.journal_above = journal_above
        self.block = 0
        self._rows: dict[tuple[type[Any], Any], Record] = {}
        # Keys (or first key columns) whose rows were all loaded: a key among them that is
        # not in `_rows` has no row, known without a query.
        self._loaded: dict[type[Any], set[Any]] = {}
        self._new: dict[type[Any], dict[Any, Record]] = {}
        self._changed: dict[type[Any], dict[Any, Record]] = {}
        self._appends: dict[type[Any], list[dict[str, Any]]] = {}
        self._journal: list[dict[str, Any]] = []
        self._journaled: set[tuple[type[Any], Any, int]] = set()

    # ---- reading ----------------------------------------------------------------------------

    def load(self, model: type[Any], values: Iterable[Any]) -> None:
        """Loads the rows whose first key column is among `values` (a preload of the rows
        a batch needs), and remembers that there are no others."""
        table = _table(model)
        column = next(iter(table.primary_key.columns))
        wanted = list(set(values) - self._loaded.get(model, set()))
        for start in range(0, len(wanted), LOAD_CHUNK):
            chunk = wanted[start : start + LOAD_CHUNK]
            query = select(table).where(bulk.among(self.session, column, chunk))
            for found in self.session.execute(query).all():
                row = records.loaded(model, found._mapping)
                self._rows.setdefault((model, row.key), row)
        self._loaded.setdefault(model, set()).update(wanted)

    def require(self, model: type[Any], key: Any) -> Any:
        """The row, to read only; ProjectionError when the projection lacks it."""
        row = self._rows.get((model, key))
        if row is None:
            if (key[0] if isinstance(key, tuple) else key) not in self._loaded.get(model, ()):
                row = self._fetch(model, key)
            if row is None:
                raise ProjectionError(f"{model.__tablename__} has no row {key!r}")
            self._rows[(model, key)] = row
        return row

    def get(self, model: type[Any], key: Any) -> Any:
        """The row, to change; ProjectionError when the projection lacks it."""
        row = self.require(model, key)
        self._journal_row(model, key, row)
        new = self._new.get(model)
        if new is None or key not in new:
            self._changed.setdefault(model, {})[key] = row
        return row

    def find(self, model: type[Any], key: Any) -> Any:
        """The row to change, or None: for rows an event creates on first use."""
        try:
            return self.get(model, key)
        except ProjectionError:
            return None

    # ---- writing ----------------------------------------------------------------------------

    def add(self, model: type[Any], **values: Any) -> Any:
        """A new keyed row, of these column values; returns it."""
        row = records.new(model, values)
        key = row.key
        if (model, key) in self._rows:  # the database refuses it, with its own error
            self.flush()
            bulk.insert_rows(self.session, _table(model), [row.values()])
        self._rows[(model, key)] = row
        self._new.setdefault(model, {})[key] = row
        self._journal_row(model, key, None)
        return row

    def append(self, model: type[Any], **values: Any) -> None:
        """Queues a row of an append-only table (transfers, history, settlements, evidence):
        nothing reads them back while a batch is applied, so they go in one bulk INSERT."""
        assert model in APPEND_ONLY, model
        self._appends.setdefault(model, []).append(values)

    def flush(self) -> None:
        """Writes the new rows, the changed rows, the queued rows and the journal: one
        statement per table and kind."""
        new, self._new = self._new, {}
        changed, self._changed = self._changed, {}
        appends, self._appends = self._appends, {}
        journal, self._journal = self._journal, []
        for model, rows in new.items():
            bulk.copy_rows(self.session, _table(model), [r.values() for r in rows.values()])
        for model, rows in changed.items():
            bulk.update_rows(self.session, _table(model), [r.values() for r in rows.values()])
        for model, appended in appends.items():
            bulk.copy_rows(self.session, _table(model), appended)
        bulk.copy_rows(self.session, _table(ProjectionJournal), journal)

    def forget(self) -> None:
        """Drops what a rolled-back savepoint left in memory: loaded, new, changed and
        queued rows and journal entries. What was flushed before it is read again when
        needed."""
        self._rows.clear()
        self._loaded.clear()
        self._new.clear()
        self._changed.clear()
        self._appends.clear()
        self._journal.clear()
        self._journaled.clear()  # a later write of the block journals the row again

    def _fetch(self, model: type[Any], key: Any) -> Record | None:
        table = _table(model)
        keys = key if isinstance(key, tuple) else (key,)
        where = and_(*(c == v for c, v in zip(table.primary_key.columns, keys, strict=True)))
        found = self.session.execute(select(table).where(where)).first()
        return None if found is None else records.loaded(model, found._mapping)

    def _journal_row(self, model: type[Any], key: Any, row: Record | None) -> None:
        """Journals the row's values before the current block (None: the block creates it),
        once per row and block. A second entry of the same row and block (after `forget`)
        comes later and carries a later state: undoing takes the first."""
        if self.journal_above is None or self.block <= self.journal_above:
            return
        mark = (model, key, self.block)
        if mark in self._journaled:
            return
        self._journaled.add(mark)
        self._journal.append(
            {
                "block_number": self.block,
                "table_name": model.__tablename__,
                "row_key": list(key) if isinstance(key, tuple) else [key],
                "previous": None if row is None else row.snapshot(),
            }
        )


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)
