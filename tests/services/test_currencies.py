"""The currency of each slot, piece, financing request and set-off round an events page
names, read in one statement on each engine (`ledger_money.currencies`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

from scfledger.db.session import create_db_engine, session_factory
from scfledger.indexer.decode import DecodedEvent
from scfledger.indexer.projector import project
from scfledger.services.ledger_money import Currencies, currencies
from tests.support.postgres import db_url, postgres, postgres_url

__all__ = ["db_url", "postgres", "postgres_url"]

CORE, SUPPLIER, SME, BANK = ("0x" + c * 40 for c in "abcd")
REF = "0x" + "22" * 32


def book() -> list[DecodedEvent]:
    """Receivable 1 in CNY and 2 in USD (root pieces 1000 and 2000), each split once to
    the SME (pieces 1001 and 2001); piece 1001 offered for financing (request 7); pieces
    1000 and 2001 planned in set-off round 5 (two currencies: the round's is unknown) and
    1001 in round 6 (CNY)."""
    found: list[DecodedEvent] = []

    def add(contract: str, name: str, **args: Any) -> None:
        n = len(found) + 1
        found.append(DecodedEvent(contract, name, args, n, f"0x{n:064x}", f"0x{n:064x}", 0))

    for slot, code in ((1, b"CNY"), (2, b"USD")):
        root = 1000 * slot
        add("ReceivableToken", "ReceivableIssued", slot=slot, tokenId=root, debtor=CORE,
            creditor=SUPPLIER, faceAmount=10**6, currency="0x" + code.hex(), issueDate=1,
            dueDate=2, documentHash="0x" + "11" * 32)  # fmt: skip
        add("ReceivableToken", "PieceSplit", parentTokenId=root, childTokenId=root + 1,
            to=SME, value=100, slot=slot, depth=1)  # fmt: skip
    add("Financing", "FinancingRequested", requestId=7, tokenId=1001, requester=SME,
        mode=0, recourse=False, expiresAt=9, financiers=[BANK],
        asked={"advance": 90, "repayment": 100, "fees": 1, "fundBy": 9})  # fmt: skip
    for round_id, pieces in ((5, (1000, 2001)), (6, (1001,))):
        for token_id in pieces:
            add("SetOff", "ItemPlanned", roundId=round_id, tokenId=token_id, holder=SME,
                debtor=CORE, amount=10)  # fmt: skip
    return found


def statements(engine: Engine, **asked: Any) -> tuple[Currencies, int]:
    """What `currencies` finds, and how many queries it sends (SQLite's BEGIN aside)."""
    sent: list[str] = []

    def count(*args: Any) -> None:
        if args[2].startswith("SELECT"):
            sent.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        with session_factory(engine)() as session:
            return currencies(session, **asked), len(sent)
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_every_kind_is_read_in_one_statement_and_unknown_ids_name_nothing(db_url: str) -> None:
    engine = create_db_engine(db_url)
    with session_factory(engine)() as session, session.begin():
        assert project(session, book()) == []
    found, sent = statements(
        engine,
        slots=[1, 2, 3, 1],
        pieces=[1000, 1001, 2001, 9999],
        requests=[7, 8],
        rounds=[5, 6, 4],
    )
    assert sent == 1
    assert found == Currencies(
        slots={1: "CNY", 2: "USD"},
        pieces={1000: "CNY", 1001: "CNY", 2001: "USD"},
        requests={7: "CNY"},
        rounds={6: "CNY"},
    )
    assert statements(engine, pieces=[2001]) == (Currencies(pieces={2001: "USD"}), 1)
    assert statements(engine) == (Currencies(), 0)
    engine.dispose()
