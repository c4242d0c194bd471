"""A batch is projected with a number of statements that does not grow with its events:
rows are loaded per table, written per table, and a row the batch creates is known to be
new without asking the database for it (`projector.writer`, `scfledger.db.bulk`)."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Engine, Table, event, func, select

from scfledger.db import bulk
from scfledger.db.projections import ChainEvent, Piece, ProjectionJournal, Receivable, Settlement
from scfledger.db.session import create_db_engine, session_factory
from scfledger.indexer.decode import DecodedEvent
from scfledger.indexer.projector import Writer, project

CORE, SUPPLIER, SME = ("0x" + c * 40 for c in "abc")


def events_of(slot: int, pieces: int) -> list[DecodedEvent]:
    """Receivable `slot` (root piece `1000 * slot`) issued and accepted, split into
    `pieces` pieces sent to an SME, each signed for and then settled off-chain
    (submitted, confirmed, settled): the bench's shape, every event in a block of its own
    (blocks from `10_000 * slot`)."""
    found: list[DecodedEvent] = []
    root = 1000 * slot

    def add(name: str, **args: Any) -> None:
        n = 10_000 * slot + len(found)
        found.append(
            DecodedEvent("ReceivableToken", name, args, n, f"0x{n:064x}", f"0x{n:064x}", 0)
        )

    add("ReceivableIssued", slot=slot, tokenId=root, debtor=CORE, creditor=SUPPLIER,
        faceAmount=10**6, currency="0x" + b"CNY".hex(), issueDate=1, dueDate=2,
        documentHash="0x" + "11" * 32)  # fmt: skip
    add("ReceivableAccepted", slot=slot, tokenId=root)
    children = range(root + 1, root + 1 + pieces)
    for child in children:
        add("PieceSplit", parentTokenId=root, childTokenId=child, to=SME, value=100, slot=slot,
            depth=1)  # fmt: skip
    for child in children:
        add("PieceAccepted", tokenId=child)
    ref = "0x" + "22" * 32
    for child in children:
        add("SettlementSubmitted", tokenId=child, payee=SME, amount=100, confirmBy=9,
            paymentRef=ref)  # fmt: skip
        add("PaymentConfirmed", tokenId=child, payee=SME, amount=100, paymentRef=ref,
            deemed=False)  # fmt: skip
        add("PieceSettled", tokenId=child, slot=slot, holder=SME, amount=100, paymentRef=ref,
            paidOnChain=False, lienHolder="0x" + "00" * 20, lienAmount=0)  # fmt: skip
    return found


def statements_to_project(engine: Engine, events: list[DecodedEvent]) -> int:
    """How many statements (an executemany counts once) projecting `events` in one batch
    sends, every block journaled."""
    sent: list[str] = []

    def count(*args: Any) -> None:
        sent.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        with session_factory(engine)() as session, session.begin():
            assert project(session, events, journal_above=0) == []
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(sent)


def test_a_batch_costs_the_same_statements_for_5_pieces_as_for_60(db_url: str) -> None:
    engine = create_db_engine(db_url)
    counts = {pieces: statements_to_project(engine, events_of(slot, pieces))
              for slot, pieces in ((1, 5), (2, 60))}  # fmt: skip
    with session_factory(engine)() as session:
        for slot, pieces in ((1, 5), (2, 60)):
            root = session.get(Piece, 1000 * slot)
            assert root is not None
            assert root.value == 10**6 - 100 * pieces
            settled = session.scalars(select(Settlement.status).where(Settlement.slot == slot))
            assert list(settled) == ["settled"] * pieces
            receivable = session.get(Receivable, slot)
            assert receivable is not None
            assert receivable.settled_value == 100 * pieces
            # Every block journaled: the row before it, or that the block created it.
            entries = session.scalar(
                select(func.count()).where(ProjectionJournal.block_number >= 10_000 * slot,
                                           ProjectionJournal.block_number < 10_000 * (slot + 1))
            )  # fmt: skip
            # issued and accepted: the receivable and the root; each split: the root and
            # the child; each signature: the child; each settlement: the child and its
            # settlement row in each of its three blocks, and the receivable in the last
            assert entries == 4 + 2 * pieces + pieces + 7 * pieces
    engine.dispose()
    assert counts[5] == counts[60], counts


def test_feed_rows_go_in_and_come_back_as_written_with_their_ids(db_url: str) -> None:
    """Strings a text array must escape (quotes, backslashes, commas, braces, spaces, the
    word NULL), JSON of every kind, chain integers; a row already present is skipped and
    returns no id (`bulk.insert_rows(..., returning=...)`)."""
    engine = create_db_engine(db_url)
    table = cast(Table, ChainEvent.__table__)
    awkward = ['a"b', "c\\d", "e,f", "{g}", " h ", "NULL", "", "价", '\\"', 'i"\\,}']
    rows = [
        {"block_number": 2**62 + n, "block_hash": text, "tx_hash": f"0x{n}", "log_index": n,
         "contract": "ReceivableToken", "name": text,
         "args": {"text": text, "n": 2**255 + n, "none": None, "list": [True, text, {}]}}
        for n, text in enumerate(awkward)
    ]  # fmt: skip
    with session_factory(engine)() as session, session.begin():
        first = bulk.insert_rows(session, table, rows[:4], returning=("id", "tx_hash"))
        again = bulk.insert_rows(
            session, table, rows, ignore_conflicts_on=("tx_hash", "log_index"),
            returning=("id", "tx_hash"),
        )  # fmt: skip
    assert sorted(tx for _, tx in first) == [f"0x{n}" for n in range(4)]
    assert sorted(tx for _, tx in again) == sorted(f"0x{n}" for n in range(4, len(rows)))
    ids = dict((tx, i) for i, tx in [*first, *again])
    columns = [table.c[name] for name in rows[0]]
    with engine.connect() as connection:
        stored = {row.tx_hash: row for row in connection.execute(select(table.c.id, *columns))}
    assert len(stored) == len(rows)
    for row in rows:
        found = stored[row["tx_hash"]]
        assert found.id == ids[row["tx_hash"]]
        assert {name: getattr(found, name) for name in row} == row
    engine.dispose()


def test_array_text_escapes_each_element_whatever_the_column_holds() -> None:
    assert bulk.array_literal([1, 2**70, -3]) == "{1,1180591620717411303424,-3}"
    assert bulk.array_literal(['a"b', "c\\d", ""]) == '{"a\\"b","c\\\\d",""}'
    assert bulk.array_literal(["a", None, True, 5]) == '{"a",NULL,t,5}'
    assert (
        bulk.array_literal([None, {"k": "v"}], json_values=True) == '{"null","{\\"k\\": \\"v\\"}"}'
    )
    # A NUL splits no element: the text goes as it is and the database refuses it.
    assert bulk.array_literal(["a\x00b", "c"]) == '{"a\x00b","c"}'


def test_the_preload_finds_rows_by_thousands_of_keys_and_no_row_for_a_key_too_large(
    db_url: str,
) -> None:
    engine = create_db_engine(db_url)
    statements_to_project(engine, events_of(3, 20))
    wanted = [3000 + n for n in range(0, 40, 2)]  # half of them pieces of slot 3
    if engine.dialect.name == "postgresql":  # SQLite cannot even bind it
        wanted.append(2**70)  # an event's argument no BIGINT holds: no row, no error
    with session_factory(engine)() as session:
        w = Writer(session)
        w.load(Piece, wanted)
        found = [k for k in wanted if w.find(Piece, k) is not None]  # no query: all loaded
    assert found == list(range(3000, 3021, 2))
    engine.dispose()
