"""Append-only rows by COPY on PostgreSQL (`bulk.copy_rows`): what goes in comes back as
written, numbered rows get their sequence's ids in order, and the database's refusals are
SQLAlchemy's errors, which the projector and the feed tell apart (`faults.is_fault`)."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest
from sqlalchemy import Table, select
from sqlalchemy.exc import DataError, IntegrityError

from scfledger.db import bulk
from scfledger.db.migrate import upgrade
from scfledger.db.projections import ChainEvent, PieceTransfer, ProjectionJournal
from scfledger.db.session import create_db_engine, session_factory
from scfledger.indexer.decode import DecodedEvent
from scfledger.indexer.indexer import _insert_feed

# What COPY's text format must escape (tab, newline, carriage return, backslash, `\N`),
# what an array's text had to, and text beyond ASCII.
AWKWARD = ["a\tb", "c\nd", "e\rf", "g\\h", "\\N", "NULL", "", 'i"j', "{k,l}", "价", " m "]

FEED = cast(Table, ChainEvent.__table__)
JOURNAL = cast(Table, ProjectionJournal.__table__)
TRANSFERS = cast(Table, PieceTransfer.__table__)


@pytest.fixture
def pg_url(postgres_url: str) -> str:
    """A migrated PostgreSQL database (COPY is PostgreSQL's)."""
    upgrade(postgres_url)
    return postgres_url


def feed_rows() -> list[dict[str, Any]]:
    return [
        {"block_number": 2**62 + n, "block_hash": text, "tx_hash": f"0x{n}", "log_index": n,
         "contract": "ReceivableToken", "name": text,
         "args": {"text": text, "n": 2**255 + n, "none": None, "list": [True, text, {}]}}
        for n, text in enumerate(AWKWARD)
    ]  # fmt: skip


def test_copied_rows_come_back_as_written_with_ids_in_their_order(db_url: str) -> None:
    """COPY on PostgreSQL, INSERTs on SQLite: the same rows and ids."""
    engine = create_db_engine(db_url)
    rows = feed_rows()
    journal = [
        {"block_number": n, "table_name": text, "row_key": [text, n],
         "previous": None if n % 2 else {"value": 2**200, "holder": text, "ok": False}}
        for n, text in enumerate(AWKWARD)
    ]  # fmt: skip
    with session_factory(engine)() as session, session.begin():
        first = bulk.copy_rows(session, FEED, rows[:3], numbered="id")
        second = bulk.copy_rows(session, FEED, rows[3:], numbered="id")
        assert bulk.copy_rows(session, JOURNAL, journal) == []
    ids = first + second
    assert ids == sorted(ids)
    assert len(set(ids)) == len(rows)
    with engine.connect() as connection:
        stored = connection.execute(select(FEED).order_by(FEED.c.id)).all()
        entries = connection.execute(select(JOURNAL).order_by(JOURNAL.c.id)).all()
    assert [row.id for row in stored] == ids
    assert [{k: getattr(row, k) for k in rows[0]} for row in stored] == rows
    # The journal's own ids follow the rows' order: undoing a block relies on it.
    assert [{k: getattr(row, k) for k in journal[0]} for row in entries] == journal
    engine.dispose()


def test_copy_refusals_are_sqlalchemy_errors(pg_url: str) -> None:
    engine = create_db_engine(pg_url)
    row = feed_rows()[0]
    with session_factory(engine)() as session, session.begin():
        bulk.copy_rows(session, FEED, [row])
        with pytest.raises(IntegrityError), session.begin_nested():  # (tx_hash, log_index)
            bulk.copy_rows(session, FEED, [{**row, "block_number": 7}])
        with pytest.raises(DataError), session.begin_nested():  # longer than VARCHAR(66)
            bulk.copy_rows(session, FEED, [{**row, "tx_hash": "0x" + "ab" * 40}])
        with pytest.raises(DataError, match="NUL"), session.begin_nested():
            bulk.copy_rows(session, FEED, [{**row, "tx_hash": "0x\x00"}])
        transfer = {
            "tx_hash": "0x1",
            "log_index": 0,
            "block_number": 1,
            "kind": "whole",
            "token_id": 1,
            "from_token_id": None,
            "sender": "0xa",
            "receiver": "0xb",
        }
        with pytest.raises(ValueError, match="out of range"), session.begin_nested():
            bulk.copy_rows(session, TRANSFERS, [{**transfer, "value": 2**256}])  # fmt: skip
        assert session.scalars(select(FEED.c.tx_hash)).all() == [row["tx_hash"]]
    engine.dispose()


def event(block: int, tx: str, index: int) -> DecodedEvent:
    return DecodedEvent("ReceivableToken", "Transfer", {"tokenId": index}, block, f"0x{block:064x}",
                        tx, index)  # fmt: skip


def test_the_feed_skips_an_event_it_holds_in_another_block(db_url: str) -> None:
    """COPY cannot skip a row already present: the batch's feed rows then go by INSERT
    ... ON CONFLICT DO NOTHING, and the ids returned are those of the rows inserted."""
    engine = create_db_engine(db_url)
    with session_factory(engine)() as session, session.begin():
        fresh, added = _insert_feed(session, 1, 1, [event(1, "0xaa", 0), event(1, "0xaa", 1)])
        assert [i for i, _ in added] == sorted(i for i, _ in added)
        assert len(added) == 2
        events = [event(2, "0xbb", 0), event(2, "0xaa", 1), event(2, "0xbb", 1)]
        fresh, again = _insert_feed(session, 2, 2, events)
    assert fresh == events  # the projections are the caller's to guard
    assert [a["tokenId"] for _, a in again] == [0, 1]
    assert min(i for i, _ in again) > max(i for i, _ in added)
    with engine.connect() as connection:
        stored = connection.execute(select(FEED.c.id, FEED.c.block_number, FEED.c.tx_hash)).all()
    assert sorted(stored) == sorted(
        [(i, 1, "0xaa") for i, _ in added] + [(i, 2, "0xbb") for i, _ in again]
    )
    engine.dispose()


def test_json_texts_are_json_dumps_of_each_value_whatever_the_values_hold() -> None:
    nan = float("nan")
    cases: list[list[Any]] = [
        [],
        [{"a": 1}],
        [{"a": [1, "x"]}, None, "s", 2**255, True, [], {"b": {"c": None}}],
        [{"text": "a, NaN, b"}, {"n": 1}],  # the marker's text inside a value
        [[1, nan, 2], {"n": 1}],  # and the marker itself
        [nan, 1],
    ]
    for values in cases:
        assert bulk.json_texts(values) == [json.dumps(v) for v in values]
        escaped = bulk.json_texts(values, escape=lambda t: t.replace("1", "one"))
        assert escaped == [json.dumps(v).replace("1", "one") for v in values]
