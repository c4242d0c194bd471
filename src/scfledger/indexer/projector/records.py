"""Rows of the keyed projection tables as the projector holds them: plain objects, no ORM.

A batch touches tens of thousands of rows; an ORM instance costs its instrumentation on
every load, construction and attribute change, and the unit of work a statement per row
at the flush. A record is a slotted object with one attribute per column (named as the
model's), whose chain integers are checked when set, as the models' set listeners check
them (`scfledger.db.projections`): a value the column cannot hold fails the event that
set it. The writer (`projector.writer`) loads, creates and writes records in bulk.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from operator import attrgetter
from typing import Any, ClassVar, cast

from sqlalchemy import JSON, Table
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from scfledger.db.projections import ChainUint


class Record:
    """One row of `table`; subclasses are made per model by `record_type`."""

    __slots__ = ()
    table: ClassVar[Table]
    names: ClassVar[tuple[str, ...]]  # the table's columns, in order
    key_names: ClassVar[tuple[str, ...]]  # its primary key's
    defaults: ClassVar[dict[str, Any]]  # scalar column defaults, for columns not given
    checked: ClassVar[dict[str, ChainUint]]  # chain integer columns
    name_set: ClassVar[frozenset[str]]
    getter: ClassVar[Callable[..., tuple[Any, ...]]]  # the values of `names`, in order
    json_names: ClassVar[tuple[str, ...]]  # columns that may hold a list or a dict

    def __setattr__(self, name: str, value: Any) -> None:
        kind = self.checked.get(name)
        if kind is not None and value is not None:
            kind.check(value)
        object.__setattr__(self, name, value)

    @property
    def key(self) -> Any:
        """The primary key as the writer keys rows: the value, or a tuple of values."""
        if len(self.key_names) == 1:
            return getattr(self, self.key_names[0])
        return tuple(getattr(self, n) for n in self.key_names)

    def values(self) -> dict[str, Any]:
        """Column name -> value, to write."""
        return dict(zip(self.names, self.getter(self), strict=True))

    def snapshot(self) -> dict[str, Any]:
        """The values as they are now, JSON values copied so that a later change made in
        place (a proposal's approvals) cannot reach them: what the journal keeps."""
        values = self.values()
        for name in self.json_names:
            value = values[name]
            if isinstance(value, list | dict):
                values[name] = copy.deepcopy(value)
        return values


_TYPES: dict[type[Any], type[Record]] = {}


def record_type(model: type[Any]) -> type[Record]:
    """The record class of a mapped model (columns named as their attributes, which the
    projection models keep)."""
    if model not in _TYPES:
        _TYPES[model] = _make_type(model)
    return _TYPES[model]


def _make_type(model: type[Any]) -> type[Record]:
    table = cast(Table, model.__table__)
    names = tuple(c.name for c in table.columns)
    for name in names:
        assert getattr(model, name).property.columns[0] is table.c[name], (model, name)
    defaults = {
        c.name: c.default.arg
        for c in table.columns
        if isinstance(c.default, ScalarElementColumnDefault)
    }
    namespace = {
        "__slots__": names,
        "table": table,
        "names": names,
        "key_names": tuple(c.name for c in table.primary_key.columns),
        "defaults": defaults,
        "checked": {c.name: c.type for c in table.columns if isinstance(c.type, ChainUint)},
        "name_set": frozenset(names),
        "getter": staticmethod(attrgetter(*names)),
        "json_names": tuple(c.name for c in table.columns if isinstance(c.type, JSON)),
    }
    assert len(names) > 1, table  # attrgetter of one name gives the value, not a tuple
    return type(f"{model.__name__}Record", (Record,), namespace)


def new(model: type[Any], values: dict[str, Any]) -> Record:
    """A record of a new row; TypeError when a column without a default is not given."""
    kind = record_type(model)
    if values.keys() != kind.name_set:
        values = {**kind.defaults, **values}
        if values.keys() != kind.name_set:
            unknown = set(values) - kind.name_set
            missing = kind.name_set - set(values)
            raise TypeError(
                f"{kind.table.name}: unknown {sorted(unknown)}, missing {sorted(missing)}"
            )
    for name, column in kind.checked.items():
        value = values[name]
        if value is not None:
            column.check(value)
    row = object.__new__(kind)
    set_value = object.__setattr__
    for name in kind.names:
        set_value(row, name, values[name])
    return row


def loaded(model: type[Any], values: Any) -> Record:
    """A record of a row read from the database (`values` by column name): not checked
    again."""
    kind = record_type(model)
    row = object.__new__(kind)
    set_value = object.__setattr__
    for name in kind.names:
        set_value(row, name, values[name])
    return row
