"""Indicators on hand-written read-model rows in SQLite: circular walks through splits,
self-splits, overdue by due date, and a read-model-only database without `operations`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from scfledger.db.migrate import upgrade
from scfledger.db.projections import (
    FinancingOffer,
    FinancingRequest,
    IndexerCheckpoint,
    Piece,
    PieceTransfer,
    Receivable,
)
from scfledger.db.session import create_db_engine, session_factory
from scfledger.risk.indicators import (
    DAY,
    CircularTransfers,
    FinancingRequestNotFound,
    compute_indicators,
)
from scfledger.risk.policy import get_policy

A, B, C, D, DEBTOR, BANK = "0xA", "0xB", "0xC", "0xD", "0xCORE", "0xBANK"
NOW = 1_800_000_000


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'rm.sqlite3'}"
    upgrade(url)
    engine = create_db_engine(url)
    yield engine
    engine.dispose()


def receivable(slot: int, *, due_date: int, creditor: str = A, currency: str = "CNY") -> Receivable:
    return Receivable(
        slot=slot, debtor=DEBTOR, creditor=creditor, face_amount=1_000, currency=currency,
        issue_date=NOW - 10 * DAY, due_date=due_date, document_hash=f"0x{slot:064x}",
        root_token_id=slot * 100, settled_value=0, status="active", issued_block=1,
    )  # fmt: skip


def piece(
    token_id: int, slot: int, holder: str, value: int, parent: int | None, depth: int
) -> Piece:
    return Piece(
        token_id=token_id, slot=slot, holder=holder, value=value, parent_token_id=parent,
        depth=depth, state="active", created_block=1, updated_block=1,
    )  # fmt: skip


def transfer(
    n: int, kind: str, token: int, source: int | None, frm: str, to: str, value: int
) -> PieceTransfer:
    return PieceTransfer(
        tx_hash=f"0x{n:064x}", log_index=0, block_number=10 + n, kind=kind, token_id=token,
        from_token_id=source, sender=frm, receiver=to, value=value,
    )  # fmt: skip


def request(request_id: int, token_id: int, amount: int) -> FinancingRequest:
    """A request already accepted on BANK's offer of `amount` (not yet funded)."""
    return FinancingRequest(
        id=request_id, token_id=token_id, requester=A, financier=BANK, mode="factoring",
        recourse=False, status="accepted", expires_at=NOW, asked_advance=amount,
        asked_repayment=amount, asked_fees=0, asked_fund_by=NOW, advance=amount,
        repayment=amount, fees=0, fund_by=NOW, payment_ref=None, created_block=30,
        updated_block=30,
    )  # fmt: skip


def test_value_split_back_to_an_earlier_holder_is_circular_but_a_self_split_is_not(
    engine: Engine,
) -> None:
    with session_factory(engine)() as session, session.begin():
        session.add_all([
            IndexerCheckpoint(id=1, block_number=40, block_hash="0x" + "0" * 64),
            receivable(1, due_date=NOW + 30 * DAY),
            piece(100, 1, A, 600, None, 0),
            piece(101, 1, A, 100, 100, 1),   # A splits to itself
            piece(102, 1, C, 200, 100, 1),   # A -> B, then B -> C whole
            piece(103, 1, A, 100, 102, 2),   # B splits back to A: circular
            transfer(1, "split", 101, 100, A, A, 100),
            transfer(2, "split", 102, 100, A, B, 300),
            transfer(3, "split", 103, 102, B, A, 100),
            transfer(4, "whole", 102, None, B, C, 200),
            transfer(5, "whole", 101, None, A, D, 100),
            request(1, 100, 300),
        ])  # fmt: skip
    with session_factory(engine)() as session:
        indicators = compute_indicators(session, 1, now=NOW, window_blocks=12)
    assert indicators.circular == CircularTransfers(count=1, value=100, members=(A,))
    # Blocks 11..15 against head 40: the window of 12 blocks holds 29..40, none of them.
    assert (indicators.velocity.transfers_total, indicators.velocity.transfers_in_window) == (5, 0)
    assert indicators.velocity.transfers_per_day == 0.5
    assert (indicators.piece.receivable_age_days, indicators.piece.days_to_maturity) == (10, 30)
    assert indicators.piece.age_blocks == 39


def test_live_value_past_its_due_date_is_open_overdue_before_it_is_marked(engine: Engine) -> None:
    with session_factory(engine)() as session, session.begin():
        session.add_all([
            receivable(1, due_date=NOW - 1),
            receivable(2, due_date=NOW + DAY),
            piece(100, 1, A, 700, None, 0),
            piece(200, 2, A, 1_000, None, 0),
            request(1, 200, 500),
        ])  # fmt: skip
    with session_factory(engine)() as session:
        indicators = compute_indicators(session, 1, now=NOW)
    assert (indicators.debtor.open_overdue_value, indicators.debtor.open_overdue_pieces) == (700, 1)
    assert indicators.debtor.on_time_bps is None
    assert indicators.head_block == 0


def test_amounts_of_other_currencies_are_not_added_to_the_request_s(engine: Engine) -> None:
    """The debtor's overdue value, the bank's exposure and the value received are summed in
    the request's currency only: 700 USD cents are not 700 fen."""
    funded = {"status": "funded"}
    with session_factory(engine)() as session, session.begin():
        session.add_all([
            receivable(1, due_date=NOW - 1, currency="USD"),  # overdue, in dollars
            receivable(2, due_date=NOW - 1),  # overdue, in yuan
            receivable(3, due_date=NOW + 30 * DAY, currency="USD"),
            receivable(4, due_date=NOW + 30 * DAY),
            piece(100, 1, A, 700, None, 0),
            piece(200, 2, A, 300, None, 0),
            piece(300, 3, BANK, 900, None, 0),
            piece(400, 4, A, 1_000, None, 0),
            piece(401, 4, A, 50, 400, 1),
            piece(402, 3, A, 60, 300, 1),
            transfer(1, "split", 401, 400, B, A, 50),
            transfer(2, "split", 402, 300, B, A, 60),
            replace_request(request(1, 300, 800), **funded),  # 800 USD cents funded by BANK
            replace_request(request(2, 200, 250), **funded),  # 250 fen funded by BANK
            request(3, 400, 500),  # the yuan request judged
        ])  # fmt: skip
    with session_factory(engine)() as session:
        indicators = compute_indicators(session, 3, now=NOW)
    assert indicators.request.currency == "CNY"
    assert (indicators.debtor.open_overdue_value, indicators.debtor.open_overdue_pieces) == (300, 1)
    e = indicators.exposure
    assert (e.to_debtor, e.total, e.to_debtor_after, e.total_after) == (250, 250, 750, 750)
    assert indicators.requester.value_received_from_debtor == 50
    assert indicators.requester.pieces_received_from_debtor == 2  # counts: every currency


def test_duplicate_documents_are_zero_without_an_operations_table(engine: Engine) -> None:
    with session_factory(engine)() as session, session.begin():
        session.execute(text("DROP TABLE transactions"))
        session.execute(text("DROP TABLE operations"))
        session.add_all([receivable(1, due_date=NOW + DAY), piece(100, 1, A, 1_000, None, 0),
                         request(1, 100, 500)])  # fmt: skip
    with session_factory(engine)() as session:
        assert compute_indicators(session, 1, now=NOW).duplicate_document_attempts == 0


def test_unknown_request_is_not_found_and_an_unset_policy_is_the_default(engine: Engine) -> None:
    session: Session
    with session_factory(engine)() as session:
        with pytest.raises(FinancingRequestNotFound, match="financing request 9 "):
            compute_indicators(session, 9, now=NOW)
        assert get_policy(session, BANK).auto_decide is False


def test_each_named_financier_judges_its_own_offer_or_else_the_asked_terms(
    engine: Engine,
) -> None:
    """A request to two financiers, not yet accepted: BANK2 is judged on its own offer,
    BANK (no offer yet) on what was asked; by default the first named financier."""
    asked = replace_request(request(1, 100, 500), status="requested", financier=None)
    with session_factory(engine)() as session, session.begin():
        session.add_all([
            receivable(1, due_date=NOW + 30 * DAY),
            piece(100, 1, A, 1_000, None, 0),
            asked,
            offer(1, 100, BANK, None),
            offer(1, 100, BANK2, 800),
        ])  # fmt: skip
    with session_factory(engine)() as session:
        mine = compute_indicators(session, 1, now=NOW, financier=BANK2).request
        theirs = compute_indicators(session, 1, now=NOW, financier=BANK).request
        default = compute_indicators(session, 1, now=NOW).request
    assert (mine.financier, mine.terms, mine.amount, mine.advance_bps) == (
        BANK2,
        "offered",
        800,
        8_000,
    )
    assert (theirs.financier, theirs.terms, theirs.amount) == (BANK, "asked", 500)
    assert default.financier == min(BANK, BANK2)


BANK2 = "0xBANK2"


def replace_request(row: FinancingRequest, **changes: object) -> FinancingRequest:
    for name, value in changes.items():
        setattr(row, name, value)
    if changes.get("financier", BANK) is None:
        row.advance = row.repayment = row.fees = row.fund_by = None
    return row


def offer(request_id: int, token_id: int, financier: str, advance: int | None) -> FinancingOffer:
    return FinancingOffer(
        request_id=request_id, token_id=token_id, financier=financier,
        status="invited" if advance is None else "made", advance=advance,
        repayment=None if advance is None else advance + 30, fees=None if advance is None else 0,
        fund_by=None if advance is None else NOW, reason=None, updated_block=31,
    )  # fmt: skip


def test_a_refused_piece_going_back_to_its_sender_is_neither_circular_nor_received(
    engine: Engine,
) -> None:
    """A sends B a piece, B refuses it: the value returns to A's piece (a `return` row).
    Nothing changed hands, so it is no circular transfer and A received nothing from B."""
    with session_factory(engine)() as session, session.begin():
        session.add_all([
            receivable(1, due_date=NOW + 30 * DAY),
            piece(100, 1, A, 1_000, None, 0),
            piece(101, 1, B, 0, 100, 1),
            transfer(1, "split", 101, 100, A, B, 300),
            transfer(2, "return", 100, 101, B, A, 300),
            request(1, 100, 500),
        ])  # fmt: skip
    with session_factory(engine)() as session:
        indicators = compute_indicators(session, 1, now=NOW)
    assert indicators.circular == CircularTransfers(count=0, value=0, members=())
    assert indicators.velocity.transfers_total == 1
    assert indicators.requester.pieces_received_total == 0
