"""Many rows of one table in one statement: the indexer's inserts and updates of a batch.

On PostgreSQL each column goes as one array parameter and `unnest` turns the arrays back
into rows (`INSERT ... SELECT FROM unnest(...)`, `UPDATE ... FROM unnest(...)`): one round
trip and one statement to parse and plan, whatever the number of rows, where an
executemany or a multi-row VALUES has the server parse, plan and the client render one
statement per row or per thousand. Errors are the driver's, wrapped by SQLAlchemy as for
any statement (`DataError`, `IntegrityError`), so the indexer tells a bad event from
database trouble as before. Elsewhere (SQLite: in process, no round trip) an executemany
of the table's Core statement.

Rows are dicts by column name with Python values: chain integers are checked against
their column (`ChainUint.check`, a ValueError as the ORM raises), JSON values encoded as
SQLAlchemy encodes them (`null` for None).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Integer,
    Table,
    and_,
    bindparam,
    text,
    update,
)
from sqlalchemy import (
    column as sql_column,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from scfledger.db.projections import ChainUint


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    ignore_conflicts_on: tuple[str, ...] = (),
    returning: tuple[str, ...] = (),
) -> list[tuple[Any, ...]]:
    """Inserts `rows` (each with the same columns), in order: ids given by the table's
    sequence follow the rows' order. `ignore_conflicts_on`: the unique columns on which a
    row already present is skipped. `returning`: columns of the rows inserted to return
    (in no particular order; none for a skipped row), so that a caller needing the ids
    the database gave does not read the rows back."""
    if not rows:
        return []
    names = list(rows[0])
    _check(table, names, rows)
    if session.get_bind().dialect.name != "postgresql":
        statement = sqlite.insert(table)
        if ignore_conflicts_on:
            statement = statement.on_conflict_do_nothing(index_elements=ignore_conflicts_on)
        if not returning:
            session.execute(statement, list(rows))
            return []
        returned = statement.returning(*(table.c[name] for name in returning))
        return [tuple(r) for r in session.execute(returned, list(rows))]
    columns = [table.c[name] for name in names]
    listed = ", ".join(_q(n) for n in names)
    conflict = ""
    if ignore_conflicts_on:
        conflict = f" ON CONFLICT ({', '.join(_q(n) for n in ignore_conflicts_on)}) DO NOTHING"
    sql = (
        f"INSERT INTO {_q(table.name)} ({listed}) "  # noqa: S608 - see _q
        f"SELECT {listed} FROM {_unnest(columns)} ORDER BY n{conflict}"
    )
    if returning:
        sql += f" RETURNING {', '.join(_q(n) for n in returning)}"
    return _execute(session, sql, columns, rows)


def copy_rows(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], *, numbered: str | None = None
) -> list[int]:
    """Inserts `rows` (each with the same columns, none already present): `copy_columns`
    of their columns."""
    if not rows:
        return []
    names = list(rows[0])
    columns = {name: list(map(itemgetter(name), rows)) for name in names}
    return copy_columns(session, table, columns, numbered=numbered)


def copy_columns(
    session: Session,
    table: Table,
    columns: dict[str, list[Any]],
    *,
    numbered: str | None = None,
) -> list[int]:
    """Inserts the rows of these columns (name -> the rows' values, in order), none of
    them already present (COPY has no ON CONFLICT). On PostgreSQL by COPY: no statement
    to parse or plan, and the server reads plain text, not arrays whose elements it must
    unquote (the feed's and the journal's JSON). `numbered`: a column left out that takes
    its sequence's next values, in the rows' order; returns them (COPY returns nothing:
    they are drawn from the sequence first). Elsewhere `insert_rows`. Errors as
    `insert_rows` raises them (`IntegrityError`, `DataError`, a ValueError for a chain
    integer out of range)."""
    names = list(columns)
    count = len(columns[names[0]]) if names else 0
    if not count:
        return []
    if session.get_bind().dialect.name != "postgresql":
        rows = [
            dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)
        ]
        if numbered is None:
            insert_rows(session, table, rows)
            return []
        return [insert_rows(session, table, [row], returning=(numbered,))[0][0] for row in rows]
    _check_columns(table, columns)
    texts = [
        _copy_column(values, json_values=isinstance(table.c[name].type, JSON))
        for name, values in columns.items()
    ]
    ids: list[int] = []
    if numbered is not None:
        # The sequence named once (in the select list it would be looked up per row).
        sequence = f"CAST(pg_get_serial_sequence('{_q(table.name)}', '{numbered}') AS regclass)"
        ids = list(
            session.connection()
            .exec_driver_sql(
                f"WITH s AS MATERIALIZED (SELECT {sequence} AS seq)"  # noqa: S608 - see _q
                " SELECT nextval(s.seq) FROM s CROSS JOIN generate_series(1, %s)",
                (count,),
            )
            .scalars()
        )
        ids.sort()
        names.insert(0, numbered)
        texts.insert(0, list(map(str, ids)))
    data = "\n".join(map("\t".join, zip(*texts, strict=True))) + "\n"
    listed = ", ".join(_q(n) for n in names)
    _copy(session, f"COPY {_q(table.name)} ({listed}) FROM STDIN", data)
    return ids


def update_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Sets every column of each row (found by its primary key) to the row's values."""
    if not rows:
        return
    names = list(rows[0])
    _check(table, names, rows)
    keys = [c.name for c in table.primary_key.columns]
    changed = [name for name in names if name not in keys]
    if session.get_bind().dialect.name != "postgresql":
        found = and_(*(table.c[k] == bindparam(f"k_{k}") for k in keys))
        statement = (
            update(table).where(found).values({name: bindparam(f"v_{name}") for name in changed})
        )
        params = [
            {**{f"k_{k}": row[k] for k in keys}, **{f"v_{n}": row[n] for n in changed}}
            for row in rows
        ]
        session.connection().execute(statement, params)
        return
    columns = [table.c[name] for name in names]
    sets = ", ".join(f"{_q(n)} = v.{_q(n)}" for n in changed)
    where = " AND ".join(f"t.{_q(k)} = v.{_q(k)}" for k in keys)
    sql = f"UPDATE {_q(table.name)} AS t SET {sets} FROM {_unnest(columns)} WHERE {where}"  # noqa: S608 - see _q
    _execute(session, sql, columns, rows)


def among(session: Session, column: Column[Any], values: Sequence[Any]) -> ColumnElement[bool]:
    """`column IN (values)` for thousands of values (the rows a batch needs). On PostgreSQL
    the values go as one array parameter, `column IN (SELECT unnest(array))`: an `IN` list
    of thousands of placeholders cost more to render and for the driver to parse than the
    query took to run, and `= ANY(array)` had PostgreSQL scan the table instead of using
    the column's index. An integer the column cannot hold has no row: it is left out
    (the array's cast would refuse it)."""
    if session.get_bind().dialect.name != "postgresql":
        return column.in_(values)
    if isinstance(column.type, Integer):
        values = [v for v in values if isinstance(v, int) and -(2**63) <= v < 2**63]
    keys = text(f"SELECT unnest(CAST(:keys AS {_array_type(column)}[])) AS v")
    listed = keys.bindparams(keys=array_literal(values)).columns(sql_column("v", column.type))
    return column.in_(listed)


def _check(table: Table, names: list[str], rows: Sequence[dict[str, Any]]) -> None:
    """A chain integer its column cannot hold is refused here, as the ORM refuses it."""
    for name in names:
        kind = table.c[name].type
        if isinstance(kind, ChainUint):
            for row in rows:
                value = row[name]
                if value is not None:
                    kind.check(value)


def _check_columns(table: Table, columns: dict[str, list[Any]]) -> None:
    for name, values in columns.items():
        kind = table.c[name].type
        if isinstance(kind, ChainUint):
            for value in values:
                if value is not None:
                    kind.check(value)


def _unnest(columns: list[Column[Any]]) -> str:
    """`unnest(%s::t1[], ...) WITH ORDINALITY AS v(c1, ..., n)`: the rows of the arrays."""
    arrays = ", ".join(f"%s::{_array_type(c)}[]" for c in columns)
    names = ", ".join(_q(c.name) for c in columns)
    return f"unnest({arrays}) WITH ORDINALITY AS v({names}, n)"


_PG = postgresql.dialect()  # type: ignore[no-untyped-call]


def _q(name: str) -> str:
    """An identifier quoted where PostgreSQL needs it (`value`, `timestamp`, ...). Every
    identifier of these statements comes from a table's metadata, every value is a
    parameter: nothing of an event reaches the SQL text."""
    return str(_PG.identifier_preparer.quote(name))


@lru_cache(maxsize=256)
def _array_type(column: Column[Any]) -> str:
    """The column's type without length or precision: an explicit cast to VARCHAR(42)
    would cut a longer value silently, where assigning it to the column refuses it."""
    compiled = column.type.compile(dialect=_PG)
    return re.sub(r"\(.*\)", "", compiled).strip()


def _execute(
    session: Session, sql: str, columns: list[Column[Any]], rows: Sequence[dict[str, Any]]
) -> list[tuple[Any, ...]]:
    """Runs the statement with each column's values as one array; the rows it returns."""
    arrays = [
        array_literal(list(map(itemgetter(c.name), rows)), json_values=isinstance(c.type, JSON))
        for c in columns
    ]
    result = session.connection().exec_driver_sql(sql, tuple(arrays))
    return [tuple(r) for r in result] if result.returns_rows else []


def _copy(session: Session, sql: str, data: str) -> None:
    """Runs a `COPY ... FROM STDIN` with `data` (COPY's text format) in the session's
    transaction; the driver's errors wrapped as SQLAlchemy wraps a statement's."""
    connection = session.connection()
    dbapi = connection.dialect.loaded_dbapi
    cursor = connection.connection.cursor()
    try:
        if "\x00" in data:  # what the driver says of a parameter holding one
            raise dbapi.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
        with cursor.copy(sql) as copy:
            copy.write(data)
    except dbapi.Error as exc:
        raise DBAPIError.instance(sql, None, exc, dbapi.Error, dialect=connection.dialect) from exc
    finally:
        cursor.close()


def _copy_column(values: Sequence[Any], *, json_values: bool = False) -> list[str]:
    """A column's values as COPY's text format has them (`\\N` for NULL, backslash, tab,
    newline and carriage return escaped), whole-column string operations where the column
    holds only integers or only strings, as in `array_literal`. JSON texts are escaped as
    one string (`json.dumps` escapes every control character itself: only backslashes)."""
    if json_values:
        return json_texts(values, escape=_copy_escape)
    kinds = set(map(type, values))
    if kinds == {int}:
        return list(map(str, values))
    if kinds == {str}:
        joined = SEPARATOR.join(values)
        if joined.count(SEPARATOR) == len(values) - 1:  # else the database refuses a NUL
            return _copy_escape(joined).split(SEPARATOR)
    return [_copy_element(v) for v in values]


def _copy_escape(text: str) -> str:
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _copy_element(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int):
        return str(value)
    return _copy_escape(str(value))


def json_texts(values: Sequence[Any], *, escape: Callable[[str], str] | None = None) -> list[str]:
    """Each value's JSON text as `json.dumps` gives it (SQLAlchemy's JSON encoding), from
    one call for the whole column: the values as a JSON array with a marker between them
    (`NaN`, which no event argument holds), split at the markers. A value whose text holds
    the marker's own text makes more pieces than values: then one call per value.
    `escape`: applied to each text (to all of them at once; it must leave the marker's
    text as it is)."""
    if len(values) < 2:
        texts = [json.dumps(v) for v in values]
        return texts if escape is None else list(map(escape, texts))
    mixed: list[Any] = [_MARK] * (2 * len(values) - 1)
    mixed[::2] = values
    body = json.dumps(mixed)[1:-1]
    texts = (body if escape is None else escape(body)).split(_MARK_TEXT)
    if len(texts) != len(values):
        texts = [json.dumps(v) for v in values]
        return texts if escape is None else list(map(escape, texts))
    return texts


_MARK = float("nan")
_MARK_TEXT = ", NaN, "


def array_literal(values: Sequence[Any], *, json_values: bool = False) -> str:
    """`values` as the text of a PostgreSQL array (`{1,"a",NULL}`), cast by the statement to
    the column's array type. Built here with C string methods: the driver's own list
    adaptation quotes each element with a regular expression, which cost more than the
    rest of an indexer batch. A column of only integers or only strings (most are) is
    joined whole, without a Python call per element."""
    if json_values:
        values = json_texts(values)
    kinds = set(map(type, values))
    if kinds == {int}:
        return "{" + ",".join(map(str, values)) + "}"
    if kinds == {str}:
        joined = SEPARATOR.join(values)
        if joined.count(SEPARATOR) == len(values) - 1:  # else the database refuses a NUL
            return '{"' + _escape(joined).replace(SEPARATOR, '","') + '"}'
    return "{" + ",".join(_element(v) for v in values) + "}"


# Joins a column's strings to escape them at once: a character PostgreSQL text cannot hold.
SEPARATOR = "\x00"


def _escape(text: str) -> str:
    """Backslashes and double quotes escaped, as an array element between quotes needs."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _element(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int):
        return str(value)
    return '"' + _escape(str(value)) + '"'
