"""Set-off rounds on chain: proposal checks, consent and refusal, lapse, atomic execution,
and a piece changed between plan and execution (one test per way it can change)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from web3.types import TxReceipt

from scfledger.chain.contract_types import record
from scfledger.chain.generated import (
    Consent,
    PieceState,
    PlannedItem,
    ReceivableStatus,
    RoundStatus,
    RoundView,
)
from scfledger.chain.tx import event_args
from tests.support.ledger import (
    ADMIN,
    CORE_ENTERPRISE,
    DAY,
    FINANCIER,
    SUPPLIER,
    Consortium,
    deploy_consortium,
    h,
)

# Three members that both owe (core enterprises) and are owed (suppliers), so debt can
# run in a circle: core owes core2, core2 owes supplier1, supplier1 owes core.
TRADERS = ("core", "core2", "supplier1")
PROPOSERS = ADMIN | CORE_ENTERPRISE | SUPPLIER | FINANCIER
MAX_ITEMS = 32
FACE = 1_000_000


@pytest.fixture(scope="module")
def _traders() -> Consortium:
    c = deploy_consortium()
    for name in TRADERS:
        c.govern(c.registry.functions.setRoles(c.accounts[name], CORE_ENTERPRISE | SUPPLIER))
    return c


@pytest.fixture
def c(_traders: Consortium) -> Iterator[Consortium]:
    snapshot = _traders.eth_tester.take_snapshot()
    documents = _traders.documents
    yield _traders
    _traders.eth_tester.revert_to_snapshot(snapshot)
    _traders.documents = documents


def cycle(c: Consortium, *, amount: int = FACE, due_in: int = 90 * DAY) -> list[int]:
    """Three accepted root pieces around the circle of TRADERS, in token id order."""
    pieces = []
    for debtor, creditor in zip(TRADERS, TRADERS[1:] + TRADERS[:1], strict=True):
        _, root = c.issue_active(debtor=debtor, creditor=creditor, amount=amount, due_in=due_in)
        pieces.append(root)
    return pieces


def propose(
    c: Consortium,
    items: Sequence[tuple[int, int]],
    *,
    deadline_in: int = 7 * DAY,
    sender: str = "core",
) -> int:
    receipt = c.tx(
        c.set_off.functions.propose(list(items), c.now() + deadline_in), c.accounts[sender]
    )
    return int(event_args(c.set_off, "RoundProposed", receipt)[0]["roundId"])


def round_view(c: Consortium, round_id: int) -> RoundView:
    return record(RoundView, c.set_off.functions.getRound(round_id).call())


def parties(c: Consortium, round_id: int) -> dict[str, Consent]:
    addresses, answers = c.set_off.functions.partiesOf(round_id).call()
    names = {address: name for name, address in c.accounts.items()}
    return {names[a]: Consent(x) for a, x in zip(addresses, answers, strict=True)}


def consent_all(c: Consortium, round_id: int) -> None:
    for name in parties(c, round_id):
        c.tx(c.set_off.functions.consent(round_id), c.accounts[name])


def execute(c: Consortium, round_id: int, sender: str = "supplier2") -> TxReceipt:
    return c.tx(c.set_off.functions.execute(round_id), c.accounts[sender])


def circle(c: Consortium, amount: int = 400_000, **kwargs: int) -> tuple[list[int], int]:
    """A cycle and a proposed round clearing `amount` of each of its pieces."""
    pieces = cycle(c, **kwargs)
    return pieces, propose(c, [(p, amount) for p in pieces])


def assert_face_conserved(c: Consortium, token_id: int) -> None:
    """Invariant 1 on the slot of a root piece whose value never split."""
    slot = c.piece(token_id).slot
    r = c.receivable_record(slot)
    assert c.piece(token_id).value + r.settled_value + r.netted_value == r.face_amount


# ---- execution -------------------------------------------------------------------------


def test_round_executes_after_every_party_consents(c: Consortium) -> None:
    pieces, round_id = circle(c)
    assert parties(c, round_id) == dict.fromkeys(("core2", "core", "supplier1"), Consent.AWAITING)
    planned = [record(PlannedItem, i) for i in c.set_off.functions.itemsOf(round_id).call()]
    assert [(i.token_id, i.amount, i.value) for i in planned] == [
        (p, 400_000, FACE) for p in pieces
    ]
    consent_all(c, round_id)
    assert set(parties(c, round_id).values()) == {Consent.GIVEN}

    receipt = execute(c, round_id)

    netted = event_args(c.set_off, "PieceNetted", receipt)
    assert [(e["tokenId"], e["amount"], e["remaining"]) for e in netted] == [
        (p, 400_000, 600_000) for p in pieces
    ]
    assert event_args(c.set_off, "RoundExecuted", receipt)[0]["total"] == 1_200_000
    assert round_view(c, round_id).status == RoundStatus.EXECUTED
    for p in pieces:
        assert c.piece(p).value == 600_000
        assert c.piece(p).state == PieceState.ACTIVE
        assert c.receivable_record(c.piece(p).slot).netted_value == 400_000
        assert_face_conserved(c, p)


def test_a_piece_cleared_whole_is_netted_and_its_slot_discharged(c: Consortium) -> None:
    pieces, round_id = circle(c, FACE)
    consent_all(c, round_id)
    receipt = execute(c, round_id)
    changes = event_args(c.token, "PieceStateChanged", receipt)
    assert [(e["tokenId"], e["newState"]) for e in changes] == [
        (p, PieceState.NETTED) for p in pieces
    ]
    for p in pieces:
        assert c.piece(p).state == PieceState.NETTED
        assert c.piece(p).value == 0
        r = c.receivable_record(c.piece(p).slot)
        assert (r.netted_value, r.settled_value, r.status) == (FACE, 0, ReceivableStatus.SETTLED)
    # A netted piece is finished: it can be neither settled nor netted again.
    slot = c.piece(pieces[0]).slot
    c.travel_to(c.due_date(pieces[0]))
    c.expect_revert(
        lambda: c.tx(c.token.functions.settleBatch(slot, [pieces[0]], h("pay")), c.core),
        "InvalidPieceState",
        pieces[0],
        PieceState.NETTED,
    )


def test_a_partly_netted_piece_settles_the_rest_and_discharges_its_slot(c: Consortium) -> None:
    pieces, round_id = circle(c)
    consent_all(c, round_id)
    execute(c, round_id)
    c.settle([pieces[0]])
    c.confirm(pieces[0])
    r = c.receivable_record(c.piece(pieces[0]).slot)
    assert (r.settled_value, r.netted_value, r.status) == (
        600_000,
        400_000,
        ReceivableStatus.SETTLED,
    )


def test_execution_before_every_party_consented_fails(c: Consortium) -> None:
    _, round_id = circle(c)
    c.tx(c.set_off.functions.consent(round_id), c.core)
    c.tx(c.set_off.functions.consent(round_id), c.core2)
    c.expect_revert(lambda: execute(c, round_id), "ConsentsMissing", round_id, 2, 3)


def test_a_party_consents_once(c: Consortium) -> None:
    _, round_id = circle(c)
    c.tx(c.set_off.functions.consent(round_id), c.core)
    c.expect_revert(
        lambda: c.tx(c.set_off.functions.consent(round_id), c.core),
        "AlreadyAnswered",
        round_id,
        c.core,
        Consent.GIVEN,
    )


def test_a_refusal_stops_the_round_even_after_consent(c: Consortium) -> None:
    _, round_id = circle(c)
    consent_all(c, round_id)
    receipt = c.tx(c.set_off.functions.refuse(round_id, h("price")), c.supplier1)
    assert event_args(c.set_off, "RoundRefused", receipt)[0]["party"] == c.supplier1
    assert round_view(c, round_id).status == RoundStatus.REFUSED
    assert parties(c, round_id)["supplier1"] == Consent.REFUSED
    for action in (
        lambda: execute(c, round_id),
        lambda: c.tx(c.set_off.functions.consent(round_id), c.core),
        lambda: c.tx(c.set_off.functions.refuse(round_id, h("x")), c.core),
    ):
        c.expect_revert(action, "RoundClosed", round_id, RoundStatus.REFUSED)


def test_an_executed_round_is_closed(c: Consortium) -> None:
    _, round_id = circle(c)
    consent_all(c, round_id)
    execute(c, round_id)
    c.expect_revert(lambda: execute(c, round_id), "RoundClosed", round_id, RoundStatus.EXECUTED)


def test_a_round_lapses_after_its_deadline(c: Consortium) -> None:
    _, round_id = circle(c)
    consent_all(c, round_id)
    deadline = round_view(c, round_id).deadline
    c.travel_to(deadline + 1)
    c.eth_tester.mine_blocks(1)  # views read the latest block, not the pending one
    assert round_view(c, round_id).status == RoundStatus.LAPSED
    c.expect_revert(lambda: execute(c, round_id), "RoundLapsed", round_id, deadline)
    c.expect_revert(
        lambda: c.tx(c.set_off.functions.refuse(round_id, h("late")), c.core),
        "RoundLapsed",
        round_id,
        deadline,
    )


def test_unknown_rounds_are_refused(c: Consortium) -> None:
    c.expect_revert(lambda: c.call(c.set_off.functions.getRound(7)), "UnknownRound", 7)
    c.expect_revert(lambda: execute(c, 7), "UnknownRound", 7)


# ---- who may act -----------------------------------------------------------------------


def test_only_parties_answer_a_round(c: Consortium) -> None:
    _, round_id = circle(c)
    c.expect_revert(
        lambda: c.tx(c.set_off.functions.consent(round_id), c.supplier2),
        "NotRoundParty",
        round_id,
        c.supplier2,
    )
    c.expect_revert(
        lambda: c.tx(c.set_off.functions.refuse(round_id, h("no")), c.bank),
        "NotRoundParty",
        round_id,
        c.bank,
    )
    c.expect_revert(
        lambda: c.tx(c.set_off.functions.consent(round_id), c.outsider),
        "NotActiveMember",
        c.outsider,
    )


def test_non_members_and_auditors_cannot_propose_or_execute(c: Consortium) -> None:
    pieces = cycle(c)
    items = [(p, 1_000) for p in pieces]
    c.expect_revert(lambda: propose(c, items, sender="outsider"), "NotActiveMember", c.outsider)
    c.expect_revert(
        lambda: propose(c, items, sender="auditor"), "MissingRole", c.auditor, PROPOSERS
    )
    round_id = propose(c, items, sender="admin1")  # an operator proposes for the members
    consent_all(c, round_id)
    c.expect_revert(lambda: execute(c, round_id, "outsider"), "NotActiveMember", c.outsider)


def test_a_party_suspended_after_consenting_stops_execution(c: Consortium) -> None:
    _, round_id = circle(c)
    consent_all(c, round_id)
    c.govern(c.registry.functions.suspendMember(c.core2, h("fraud")))
    c.expect_revert(lambda: execute(c, round_id), "NotActiveMember", c.core2)


def test_only_the_set_off_contract_nets(c: Consortium) -> None:
    pieces = cycle(c)
    c.expect_revert(
        lambda: c.tx(c.token.functions.net(pieces[0], 1), c.core2), "OnlySetOff", c.core2
    )


# ---- what a proposal may list ----------------------------------------------------------


def test_round_size_is_bounded(c: Consortium) -> None:
    c.expect_revert(lambda: propose(c, []), "InvalidRoundSize", 0, MAX_ITEMS)
    too_many = [(i + 1, 1) for i in range(MAX_ITEMS + 1)]
    c.expect_revert(lambda: propose(c, too_many), "InvalidRoundSize", MAX_ITEMS + 1, MAX_ITEMS)


def test_deadline_must_be_ahead_and_within_the_ttl(c: Consortium) -> None:
    items = [(p, 1_000) for p in cycle(c)]
    for deadline in (c.now(), c.now() + 31 * DAY):
        call = c.set_off.functions.propose(items, deadline)
        exc = c.expect_revert_named(lambda: c.tx(call, c.core), "InvalidRoundDeadline")  # noqa: B023
        assert exc.values[0] == deadline
        assert c.now() + 30 * DAY <= exc.values[1] < c.now() + 31 * DAY  # block time + 30 days


def test_items_must_ascend_so_no_piece_is_listed_twice(c: Consortium) -> None:
    a, b, _ = cycle(c)
    c.expect_revert(lambda: propose(c, [(b, 1), (a, 1)]), "PiecesNotAscending", 1, a)
    c.expect_revert(lambda: propose(c, [(a, 1), (a, 1)]), "PiecesNotAscending", 1, a)


def test_amounts_are_positive_and_at_most_the_value(c: Consortium) -> None:
    a, b, d = cycle(c)
    c.expect_revert(lambda: propose(c, [(a, 0), (b, 0), (d, 0)]), "InvalidNetAmount", a, 0, FACE)
    over = FACE + 1
    c.expect_revert(
        lambda: propose(c, [(a, over), (b, over), (d, over)]), "InvalidNetAmount", a, over, FACE
    )


def test_what_remains_respects_the_minimum_piece(c: Consortium) -> None:
    pieces = cycle(c)
    c.govern(c.token.functions.setMinPieceValue(100))
    c.expect_revert(
        lambda: propose(c, [(p, FACE - 50) for p in pieces]), "ValueBelowMinimum", 50, 100
    )


def test_amounts_must_form_a_circulation(c: Consortium) -> None:
    a, b, d = cycle(c)
    # core2 would give up 100 of receivable and shed 200 of debt.
    c.expect_revert(
        lambda: propose(c, [(a, 100), (b, 200), (d, 100)]), "RoundUnbalanced", c.core2, 100
    )
    # A single obligation cannot clear against nothing.
    c.expect_revert(lambda: propose(c, [(a, 100)]), "RoundUnbalanced", c.core2, -100)


def test_only_accepted_unencumbered_pieces_are_listed(c: Consortium) -> None:
    a, b, d = cycle(c)
    _, pending = c.issue(debtor="core", creditor="core2")
    c.expect_revert(
        lambda: propose(c, [(pending, 1)]), "PieceNotNettable", pending, PieceState.PENDING
    )
    c.request(a, financier="bank")
    c.expect_revert(
        lambda: propose(c, [(a, 1), (b, 1), (d, 1)]), "PieceNotNettable", a, PieceState.FINANCING
    )


# ---- a piece changed between plan and execution: one test per way ----------------------


def _expect_changed(c: Consortium, pieces: list[int], round_id: int, changed: int) -> None:
    """Execution reverts naming the changed piece, and nothing is reduced (all or none)."""
    c.expect_revert(lambda: execute(c, round_id), "PieceChangedSincePlan", round_id, changed)
    for p in pieces:
        r = c.receivable_record(c.piece(p).slot)
        assert r.netted_value == 0
    assert round_view(c, round_id).status == RoundStatus.PROPOSED


def test_a_piece_transferred_since_the_plan_stops_execution(c: Consortium) -> None:
    pieces, round_id = circle(c)
    consent_all(c, round_id)
    c.transfer(pieces[2], "supplier2")  # core's claim on supplier1, the last item
    _expect_changed(c, pieces, round_id, pieces[2])


def test_a_piece_split_since_the_plan_stops_execution(c: Consortium) -> None:
    pieces, round_id = circle(c)
    consent_all(c, round_id)
    c.split(pieces[2], "supplier2", 1_000)
    _expect_changed(c, pieces, round_id, pieces[2])


def test_a_piece_sent_and_not_yet_signed_for_stops_execution(c: Consortium) -> None:
    pieces, round_id = circle(c)
    consent_all(c, round_id)
    c.transfer(pieces[2], "supplier2", sign=False)
    _expect_changed(c, pieces, round_id, pieces[2])


def test_a_piece_financed_since_the_plan_stops_execution(c: Consortium) -> None:
    pieces, round_id = circle(c)
    consent_all(c, round_id)
    c.request_funded(pieces[2], pledge=True)
    assert c.piece(pieces[2]).state == PieceState.FINANCED
    _expect_changed(c, pieces, round_id, pieces[2])


def test_a_piece_locked_for_financing_since_the_plan_stops_execution(c: Consortium) -> None:
    pieces, round_id = circle(c)
    consent_all(c, round_id)
    c.request(pieces[2])
    _expect_changed(c, pieces, round_id, pieces[2])


def test_a_piece_settled_since_the_plan_stops_execution(c: Consortium) -> None:
    pieces = cycle(c, due_in=2 * DAY)
    round_id = propose(c, [(p, 400_000) for p in pieces], deadline_in=20 * DAY)
    consent_all(c, round_id)
    c.settle([pieces[2]])
    assert c.piece(pieces[2]).state == PieceState.AWAITING_CONFIRMATION
    _expect_changed(c, pieces, round_id, pieces[2])
    c.confirm(pieces[2])
    _expect_changed(c, pieces, round_id, pieces[2])


def test_a_piece_overdue_since_the_plan_stops_execution(c: Consortium) -> None:
    pieces = cycle(c, due_in=2 * DAY)
    round_id = propose(c, [(p, 400_000) for p in pieces], deadline_in=20 * DAY)
    consent_all(c, round_id)
    c.travel_to(c.due_date(pieces[2]) + 3 * DAY + 1)
    c.tx(c.token.functions.markOverdue(pieces[2]), c.auditor)
    _expect_changed(c, pieces, round_id, pieces[2])


def test_a_piece_reduced_by_another_round_stops_execution(c: Consortium) -> None:
    pieces, first = circle(c)
    second = propose(c, [(p, 100_000) for p in pieces])
    consent_all(c, first)
    consent_all(c, second)
    execute(c, first)
    c.expect_revert(lambda: execute(c, second), "PieceChangedSincePlan", second, pieces[0])
