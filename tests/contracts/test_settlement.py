"""Settlement at maturity, overdue and default, one piece or a batch of a slot."""

from __future__ import annotations

from typing import Any

from scfledger.chain.tx import event_args
from tests.fixtures.ledger import CORE_ENTERPRISE, DAY, Consortium, h

ACTIVE, FINANCING, FINANCED, SETTLED, OVERDUE, DEFAULTED = 2, 3, 4, 5, 6, 7
R_ACTIVE, R_SETTLED = 2, 5
SETTLED_REQUEST = 8
ZERO = "0x" + "00" * 20


def receivable(c: Consortium, slot: int) -> Any:
    return c.token.functions.getReceivable(slot).call()


def three_tier_slot(c: Consortium) -> tuple[int, list[int]]:
    """A slot of 1,000,000 split into 600,000 / 300,000 / 100,000 over three tiers."""
    slot, root = c.issue_active(amount=1_000_000)
    tier2 = c.split(root, "supplier2", 400_000)
    tier3 = c.split(tier2, "supplier3", 100_000)
    return slot, [root, tier2, tier3]


def test_settlement_before_the_due_date_fails(consortium: Consortium) -> None:
    c = consortium
    slot, pieces = three_tier_slot(c)
    due = receivable(c, slot)[6]
    c.expect_revert(
        lambda: c.tx(c.token.functions.settle(pieces[0], h("p")), c.core), "NotYetDue", slot, due
    )
    c.expect_revert(
        lambda: c.tx(c.token.functions.settleBatch(slot, pieces, h("p")), c.core),
        "NotYetDue",
        slot,
        due,
    )


def test_only_the_debtor_settles(consortium: Consortium) -> None:
    c = consortium
    slot, pieces = three_tier_slot(c)
    c.travel_to(receivable(c, slot)[6])
    fn = c.token.functions
    c.expect_revert(lambda: c.tx(fn.settle(pieces[0], h("p")), c.core2), "NotDebtor", slot, c.core2)
    c.expect_revert(
        lambda: c.tx(fn.settle(pieces[0], h("p")), c.supplier1),
        "MissingRole",
        c.supplier1,
        CORE_ENTERPRISE,
    )
    c.expect_revert(lambda: c.tx(fn.settle(99, h("p")), c.core), "ERC721NonexistentToken", 99)


def test_debtor_settles_each_piece_to_its_holder_and_value_leaves_circulation(
    consortium: Consortium,
) -> None:
    c = consortium
    fn = c.token.functions
    slot, pieces = three_tier_slot(c)
    c.travel_to(receivable(c, slot)[6])
    receipt = c.tx(fn.settle(pieces[2], h("pay-3")), c.core)
    assert event_args(c.token, "PieceSettled", receipt) == [
        {
            "tokenId": pieces[2],
            "slot": slot,
            "holder": c.supplier3,
            "amount": 100_000,
            "lienHolder": ZERO,
            "lienAmount": 0,
            "paymentRef": h("pay-3"),
            "paidOnChain": False,
        }
    ]
    assert event_args(c.token, "TransferValue", receipt) == [
        {"_fromTokenId": pieces[2], "_toTokenId": 0, "_value": 100_000}
    ]
    assert c.piece(pieces[2])[3:7:3] == (0, SETTLED)
    assert receivable(c, slot)[9:11] == (100_000, R_ACTIVE)
    c.tx(fn.settleBatch(slot, pieces[:2], h("pay-rest")), c.core)
    assert receivable(c, slot)[9:11] == (1_000_000, R_SETTLED)
    c.expect_revert(
        lambda: c.tx(fn.settle(pieces[0], h("again")), c.core),
        "InvalidPieceState",
        pieces[0],
        SETTLED,
    )
    c.expect_revert(
        lambda: c.tx(fn.transferFrom(c.supplier2, c.supplier4, pieces[1]), c.supplier2),
        "PieceNotTransferable",
        pieces[1],
        SETTLED,
    )


def test_batch_is_bounded_single_slot_and_all_or_nothing(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    slot, pieces = three_tier_slot(c)
    other_slot, other_root = c.issue_active(amount=1000)
    c.request(pieces[1])  # locked: cannot be settled
    c.travel_to(receivable(c, slot)[6])
    c.expect_revert(
        lambda: c.tx(fn.settleBatch(slot, [], h("p")), c.core), "InvalidBatchSize", 0, 50
    )
    c.expect_revert(
        lambda: c.tx(fn.settleBatch(slot, [pieces[0]] * 51, h("p")), c.core),
        "InvalidBatchSize",
        51,
        50,
    )
    c.expect_revert(
        lambda: c.tx(fn.settleBatch(slot, [pieces[0], other_root], h("p")), c.core),
        "PieceNotInSlot",
        other_root,
        slot,
    )
    c.expect_revert(
        lambda: c.tx(fn.settleBatch(slot, [pieces[0], pieces[1]], h("p")), c.core),
        "InvalidPieceState",
        pieces[1],
        FINANCING,
    )
    assert c.piece(pieces[0])[6] == ACTIVE  # the valid first piece was not settled either
    assert receivable(c, slot)[9] == 0
    assert receivable(c, other_slot)[9] == 0


def test_batch_of_fifty_pieces_settles_in_one_transaction(consortium: Consortium) -> None:
    c = consortium
    slot, root = c.issue_active(amount=1_000_000)
    pieces = [root] + [c.split(root, "supplier2", 1000) for _ in range(49)]
    c.travel_to(receivable(c, slot)[6])
    receipt = c.tx(c.token.functions.settleBatch(slot, pieces, h("bulk")), c.core)
    assert len(event_args(c.token, "PieceSettled", receipt)) == 50
    assert receivable(c, slot)[9:11] == (1_000_000, R_SETTLED)


def test_settling_a_pledged_piece_pays_the_lien_holder_first(consortium: Consortium) -> None:
    c = consortium
    slot, pieces = three_tier_slot(c)
    request_id = c.request_funded(
        pieces[1], amount=200_000, rate_bps=500, pledge=True, sender="supplier2"
    )
    c.travel_to(receivable(c, slot)[6])
    receipt = c.tx(c.token.functions.settle(pieces[1], h("pay-2")), c.core)
    settled = event_args(c.token, "PieceSettled", receipt)[0]
    assert (settled["holder"], settled["amount"], settled["lienHolder"], settled["lienAmount"]) == (
        c.supplier2,
        300_000,
        c.bank,
        210_000,
    )
    assert event_args(c.financing, "LienSettled", receipt) == [
        {"requestId": request_id, "tokenId": pieces[1], "financier": c.bank, "amount": 210_000}
    ]
    assert c.financing.functions.getRequest(request_id).call()[8] == SETTLED_REQUEST
    assert c.financing.functions.lienOf(pieces[1]).call() == [0, ZERO, 0]


def test_settling_a_factored_piece_pays_the_financier_that_holds_it(consortium: Consortium) -> None:
    c = consortium
    slot, pieces = three_tier_slot(c)
    c.request_funded(pieces[2], sender="supplier3", financier="bank2")
    c.travel_to(receivable(c, slot)[6])
    receipt = c.tx(c.token.functions.settle(pieces[2], h("pay")), c.core)
    assert event_args(c.token, "PieceSettled", receipt)[0]["holder"] == c.bank2


def test_suspended_holder_is_not_paid_until_reinstated(consortium: Consortium) -> None:
    c = consortium
    slot, pieces = three_tier_slot(c)
    c.govern(c.registry.functions.suspendMember(c.supplier3, h("inquiry")))
    c.travel_to(receivable(c, slot)[6])
    c.expect_revert(
        lambda: c.tx(c.token.functions.settle(pieces[2], h("p")), c.core),
        "NotActiveMember",
        c.supplier3,
    )


def test_overdue_and_default_follow_the_grace_and_default_periods(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    slot, pieces = three_tier_slot(c)
    _, pending = c.issue()
    due = receivable(c, slot)[6]
    grace, default = fn.gracePeriod().call(), fn.defaultPeriod().call()
    assert (grace, default) == (3 * DAY, 30 * DAY)
    c.travel_to(due + 1)
    c.expect_revert(
        lambda: c.tx(fn.markOverdue(pieces[0]), c.outsider),
        "GracePeriodRunning",
        pieces[0],
        due + grace,
    )
    c.travel_to(due + grace)
    receipt = c.tx(fn.markOverdue(pieces[0]), c.outsider)
    assert event_args(c.token, "PieceStateChanged", receipt) == [
        {"tokenId": pieces[0], "oldState": ACTIVE, "newState": OVERDUE}
    ]
    c.expect_revert(
        lambda: c.tx(fn.markOverdue(pending), c.outsider), "InvalidPieceState", pending, 1
    )
    c.expect_revert(
        lambda: c.split(pieces[0], "supplier4", 10), "PieceNotTransferable", pieces[0], OVERDUE
    )
    c.expect_revert(
        lambda: c.tx(fn.markDefaulted(pieces[1]), c.outsider),
        "InvalidPieceState",
        pieces[1],
        ACTIVE,
    )
    c.expect_revert(
        lambda: c.tx(fn.markDefaulted(pieces[0]), c.outsider),
        "DefaultPeriodRunning",
        pieces[0],
        due + grace + default,
    )
    c.travel_to(due + grace + default)
    c.tx(fn.markDefaulted(pieces[0]), c.outsider)
    assert c.piece(pieces[0])[6] == DEFAULTED
    c.tx(fn.settle(pieces[0], h("late")), c.core)  # late payment still settles
    assert c.piece(pieces[0])[6] == SETTLED


def test_periods_change_only_through_governance(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    c.expect_revert(lambda: c.tx(fn.setPeriods(DAY, DAY), c.admin1), "OnlyGovernance", c.admin1)
    c.govern(fn.setPeriods(0, 10 * DAY))
    assert (fn.gracePeriod().call(), fn.defaultPeriod().call()) == (0, 10 * DAY)
    field = b"defaultPeriod".ljust(32, b"\0")
    c.expect_revert(lambda: c.govern(fn.setPeriods(DAY, 0)), "InvalidParameter", field, 0)
    c.expect_revert(
        lambda: c.govern(fn.setPeriods(366 * DAY, DAY)),
        "InvalidParameter",
        b"gracePeriod".ljust(32, b"\0"),
        366 * DAY,
    )
