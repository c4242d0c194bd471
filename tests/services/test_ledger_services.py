"""The ledger's use cases in process: each write through the services, mined on eth-tester,
indexed into SQLite, then read back through the services as each party."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from scfledger.db.models import Operation
from scfledger.db.projections import FinancingRequest, Piece, Receivable
from scfledger.exceptions import RecordNotFound
from scfledger.services import financing, receivables, settlements
from scfledger.services.financing import Terms
from scfledger.services.visibility import visible_piece, visible_request
from tests.support.ledger import DAY
from tests.support.services import Services


def piece(s: Services, token_id: int) -> Piece:
    with s.session() as session:
        found = session.get(Piece, token_id)
    assert found is not None, f"piece {token_id} is not indexed"
    return found


def visible_pieces(s: Services, name: str) -> list[int]:
    actor = s.actor(name)
    with s.session() as session:
        rows = receivables.list_pieces(session, actor, after=None, limit=100)
    return [p.token_id for p, _ in rows]


def sees_piece(s: Services, name: str, token_id: int) -> bool:
    actor = s.actor(name)
    with s.session() as session:
        try:
            visible_piece(session, actor, token_id)
        except RecordNotFound:
            return False
    return True


def terms(s: Services, advance: int) -> Terms:
    return Terms(
        advance=advance,
        repayment=advance * 103 // 100,
        fees=0,
        fund_by=s.consortium.now() + 2 * DAY,
    )


def test_issue_is_pending_until_the_creditor_accepts(services: Services) -> None:
    s = services
    slot, root = s.issue(amount=500_000, accept=False)

    with s.session() as session:
        receivable = session.get(Receivable, slot)
        assert receivable is not None
        assert (receivable.debtor, receivable.creditor) == (
            s.address("core"),
            s.address("supplier1"),
        )
        assert (receivable.face_amount, receivable.currency, receivable.status) == (
            500_000,
            "CNY",
            "pending",
        )
    assert (piece(s, root).holder, piece(s, root).state) == (s.address("supplier1"), "pending")

    op = s.act(receivables.accept, "supplier1", slot=slot)

    assert op.status == "indexed"
    assert piece(s, root).state == "active"


def test_a_split_awaits_the_receiver_s_signature_then_is_its_own(services: Services) -> None:
    s = services
    _, root = s.issue(amount=1_000_000)

    child = s.send(root, "supplier2", 400_000, sign=False)

    sent = piece(s, child)
    assert (sent.holder, sent.sender, sent.state) == (
        s.address("supplier2"),
        s.address("supplier1"),
        "pending",
    )
    assert (sent.parent_token_id, sent.depth, sent.value) == (root, 1, 400_000)
    assert piece(s, root).value == 600_000

    s.act(receivables.accept_piece, "supplier2", token_id=child)

    assert piece(s, child).state == "active"
    grandchild = s.send(child, "supplier3", 150_000)
    assert (piece(s, grandchild).depth, piece(s, grandchild).state) == (2, "active")
    assert piece(s, child).value == 250_000


def test_financing_is_requested_offered_accepted_and_funded(services: Services) -> None:
    s = services
    _, root = s.issue(amount=1_000_000)
    child = s.send(root, "supplier2", 300_000)
    asked = terms(s, 300_000)

    requested = s.act(
        financing.request_financing,
        "supplier2",
        token_id=child,
        financiers=[s.address("bank"), s.address("bank2")],
        terms=asked,
        mode="factoring",
        recourse=False,
    )
    request_id = int(s.events(requested)["FinancingRequested"]["requestId"])
    assert piece(s, child).state == "financing"
    s.act(financing.offer_financing, "bank", request_id=request_id, terms=asked)
    s.act(
        financing.accept_offer,
        "supplier2",
        request_id=request_id,
        financier=s.address("bank"),
        terms=asked,
    )
    s.act(financing.fund_financing, "bank", request_id=request_id, payment_ref="wire 1")

    with s.session() as session:
        request = session.get(FinancingRequest, request_id)
        assert request is not None
        assert (request.status, request.financier, request.advance) == (
            "funded",
            s.address("bank"),
            300_000,
        )
    assigned = piece(s, child)
    assert (assigned.holder, assigned.state) == (s.address("bank"), "financed")


def test_settled_off_chain_pieces_are_settled_once_each_payee_confirms(services: Services) -> None:
    s = services
    slot, root = s.issue(amount=1_000_000, due_in=30 * DAY)
    child = s.send(root, "supplier2", 250_000)
    with s.session() as session:
        receivable = session.get(Receivable, slot)
        assert receivable is not None
        due = receivable.due_date
    s.consortium.travel_to(due)

    s.act(
        settlements.settle, "core", slot=slot, token_ids=[root, child], payment_ref="payment run 7"
    )

    assert [piece(s, t).state for t in (root, child)] == ["awaiting_confirmation"] * 2
    s.act(settlements.confirm_payment, "supplier1", token_id=root)
    s.act(settlements.confirm_payment, "supplier2", token_id=child)
    assert [piece(s, t).state for t in (root, child)] == ["settled"] * 2
    core = s.actor("core")
    with s.session() as session:
        paid = settlements.list_settlements(session, core, after=None, limit=10, slot=slot)
    assert sorted((p.token_id, p.status) for p in paid) == [(root, "settled"), (child, "settled")]


def test_each_party_sees_its_own_business_only(services: Services) -> None:
    s = services
    _, root = s.issue(amount=1_000_000)
    child = s.send(root, "supplier2", 300_000)
    grandchild = s.send(child, "supplier3", 100_000)
    unsigned = s.send(root, "supplier4", 50_000, sign=False)
    requested = s.act(
        financing.request_financing,
        "supplier3",
        token_id=grandchild,
        financiers=[s.address("bank")],
        terms=terms(s, 100_000),
        mode="factoring",
        recourse=False,
    )
    request_id = int(s.events(requested)["FinancingRequested"]["requestId"])

    # The debtor owes every piece and the auditor sees all; a holder sees what it holds and
    # what it sent until the receiver signs, not what its receiver did with it; a financier
    # what it is asked to finance.
    everything = sorted([root, child, grandchild, unsigned])
    assert visible_pieces(s, "core") == everything
    assert visible_pieces(s, "auditor") == everything
    assert visible_pieces(s, "supplier1") == [root, unsigned]
    assert visible_pieces(s, "supplier4") == [unsigned]
    assert visible_pieces(s, "supplier2") == [child]
    assert visible_pieces(s, "supplier3") == [grandchild]
    assert visible_pieces(s, "bank") == [grandchild]
    assert visible_pieces(s, "bank2") == []
    assert not sees_piece(s, "supplier4", root)
    assert not sees_piece(s, "supplier2", root)
    assert sees_piece(s, "supplier2", child)
    bank, bank2, supplier1 = s.actor("bank"), s.actor("bank2"), s.actor("supplier1")
    with s.session() as session:
        assert visible_request(session, bank, request_id).id == request_id
        with pytest.raises(RecordNotFound):
            visible_request(session, bank2, request_id)
        with pytest.raises(RecordNotFound):
            visible_request(session, supplier1, request_id)


def test_a_member_cannot_act_on_a_piece_it_does_not_see(services: Services) -> None:
    s = services
    _, root = s.issue(amount=1_000_000)
    with s.session() as session:
        before = session.scalar(select(func.count()).select_from(Operation))

    with pytest.raises(RecordNotFound):
        s.act(receivables.transfer, "supplier4", token_id=root, to=s.address("supplier4"), value=1)

    with s.session() as session:
        assert session.scalar(select(func.count()).select_from(Operation)) == before
    assert (piece(s, root).holder, piece(s, root).value) == (s.address("supplier1"), 1_000_000)
