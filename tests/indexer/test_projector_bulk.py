"""A batch is projected with a number of statements that does not grow with its events:
rows are loaded per table, written per table, and a row the batch creates is known to be
new without asking the database for it (`projector.writer`, `scfledger.db.bulk`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event, func, select

from scfledger.db.projections import Piece, ProjectionJournal, Receivable, Settlement
from scfledger.db.session import create_db_engine, session_factory
from scfledger.indexer.decode import DecodedEvent
from scfledger.indexer.projector import project

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
