"""`db.json_loads.loads` gives what `json.loads` gives, types included, for any text: the
engines' JSON columns read the same whichever decoder took them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import JSON, Column, Integer, MetaData, Table, insert, select

from scfledger.db.json_loads import loads
from scfledger.db.session import create_db_engine

# Integers of every size around the 64-bit bounds, where orjson would give a float.
INTEGERS = st.one_of(
    st.integers(),
    st.integers(min_value=2**62, max_value=2**256),
    st.integers(min_value=-(2**256), max_value=-(2**62)),
    st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 2**256 - 1]),
)
SCALARS = st.one_of(
    st.none(), st.booleans(), INTEGERS, st.floats(allow_nan=False, allow_infinity=False),
    st.text(),  # lone surrogates included: orjson refuses them
)  # fmt: skip
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)
# Numbers as JSON may write them, beyond what json.dumps writes.
NUMBER_TEXTS = st.from_regex(
    r"-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?", fullmatch=True
)


def same(a: Any, b: Any) -> bool:
    """Equal with the same types all the way down (1 is not 1.0 nor True), keys in order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return repr(a) == repr(b)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def outcome(decode: Any, document: str | bytes) -> tuple[str, Any]:
    try:
        return "value", decode(document)
    # JSONDecodeError and UnicodeDecodeError are ValueErrors; nesting beyond the stack's
    # depth is a RecursionError.
    except (ValueError, RecursionError) as error:
        return type(error).__name__, str(error)


def agree(document: str | bytes) -> None:
    ours, theirs = outcome(loads, document), outcome(json.loads, document)
    assert ours[0] == theirs[0], (document, ours, theirs)
    assert same(ours[1], theirs[1]), (document, ours, theirs)


@given(VALUES, st.booleans(), st.booleans(), st.sampled_from([None, 0, 2]))
def test_documents_read_as_the_standard_library_reads_them(
    value: Any, as_bytes: bool, ascii_only: bool, indent: int | None
) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only, indent=indent)
    agree(text.encode("utf-8", "surrogatepass") if as_bytes else text)


@given(NUMBER_TEXTS, st.booleans())
def test_numbers_in_every_form_read_as_the_standard_library_reads_them(
    number: str, as_bytes: bool
) -> None:
    for text in (number, f'{{"a": [{number}]}}'):
        agree(text.encode() if as_bytes else text)


@given(st.text() | st.binary())
def test_any_text_reads_or_fails_as_the_standard_library_does(document: str | bytes) -> None:
    agree(document)


@pytest.mark.parametrize(
    "document",
    [
        '{"value": 18446744073709551616}',  # 2**64: orjson alone gives a float
        '{"value": -9223372036854775809}',  # -(2**63) - 1
        "[115792089237316195423570985008687907853269984665640564039457584007913129639935]",
        '{"a": NaN, "b": Infinity}',  # the standard library's, which orjson refuses
        '"\\ud800"',  # a lone surrogate
        '{"a": 1, "a": 2}',  # the last of a repeated key
        "1e400",
        "[" * 2000 + "]" * 2000,  # beyond orjson's nesting limit
    ],
)
def test_texts_where_orjson_differs_read_as_the_standard_library_reads_them(
    document: str,
) -> None:
    agree(document)
    agree(document.encode("utf-8", "surrogatepass"))


def test_json_columns_keep_integers_beyond_64_bits(db_url: str) -> None:
    engine = create_db_engine(db_url)
    table = Table(
        "json_probe", MetaData(), Column("id", Integer, primary_key=True), Column("doc", JSON)
    )
    table.create(engine)
    stored = {"value": 2**256 - 1, "small": 7, "rate": 0.5, "name": "票据"}
    with engine.begin() as connection:
        connection.execute(insert(table), {"id": 1, "doc": stored})
    with engine.connect() as connection:
        read = connection.execute(select(table.c.doc)).scalar_one()
    engine.dispose()
    assert same(read, stored)
