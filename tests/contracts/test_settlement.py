"""Settlement at maturity off-chain: the debtor reports a payment by reference, the payee
confirms or disputes, silence past the slot's window is deemed consent; overdue and default."""

from __future__ import annotations

from scfledger.chain.generated import Receivable
from scfledger.chain.tx import event_args
from tests.support.ledger import CORE_ENTERPRISE, DAY, Consortium, h

ACTIVE, FINANCING, FINANCED, SETTLED, OVERDUE, DEFAULTED = 2, 3, 4, 5, 6, 7
AWAITING = 10
R_ACTIVE, R_SETTLED = 2, 5
SETTLED_REQUEST = 8
ZERO = "0x" + "00" * 20


def receivable(c: Consortium, slot: int) -> Receivable:
    return c.receivable_record(slot)


def three_tier_slot(c: Consortium) -> tuple[int, list[int]]:
    """A slot of 1,000,000 split into 600,000 / 300,000 / 100,000 over three tiers."""
    slot, root = c.issue_active(amount=1_000_000)
    tier2 = c.split(root, "supplier2", 400_000)
    tier3 = c.split(tier2, "supplier3", 100_000)
    return slot, [root, tier2, tier3]


def test_settlement_before_the_due_date_fails(consortium: Consortium) -> None:
    c = consortium
    slot, pieces = three_tier_slot(c)
    due = receivable(c, slot).due_date
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
    c.travel_to(receivable(c, slot).due_date)
    fn = c.token.functions
    c.expect_revert(lambda: c.tx(fn.settle(pieces[0], h("p")), c.core2), "NotDebtor", slot, c.core2)
    c.expect_revert(
        lambda: c.tx(fn.settle(pieces[0], h("p")), c.supplier1),
        "MissingRole",
        c.supplier1,
        CORE_ENTERPRISE,
    )
    c.expect_revert(lambda: c.tx(fn.settle(99, h("p")), c.core), "ERC721NonexistentToken", 99)
    c.expect_revert(lambda: c.tx(fn.settle(pieces[0], b"\0" * 32), c.core), "MissingPaymentRef")


def test_payee_confirms_and_only_then_value_leaves_circulation(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    slot, pieces = three_tier_slot(c)
    c.travel_to(receivable(c, slot).due_date)
    receipt = c.tx(fn.settle(pieces[2], h("pay-3")), c.core)
    block_time = c.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    confirm_by = block_time + 7 * DAY
    assert event_args(c.token, "SettlementSubmitted", receipt) == [
        {
            "tokenId": pieces[2],
            "slot": slot,
            "payee": c.supplier3,
            "amount": 100_000,
            "paymentRef": h("pay-3"),
            "confirmBy": confirm_by,
        }
    ]
    assert event_args(c.token, "PieceSettled", receipt) == []
    assert c.piece(pieces[2])[3:7:3] == (100_000, AWAITING)
    assert c.struct(fn.settlementOf(pieces[2])) == {
        "paymentRef": h("pay-3"),
        "confirmBy": confirm_by,
        "priorState": ACTIVE,
        "payee": c.supplier3,
        "amount": 100_000,
    }
    assert receivable(c, slot).settled_value == 0
    c.expect_revert(
        lambda: c.tx(fn.confirmPayment(pieces[2]), c.supplier2),
        "NotPayee",
        pieces[2],
        c.supplier2,
        c.supplier3,
    )
    receipt = c.tx(fn.confirmPayment(pieces[2]), c.supplier3)
    assert event_args(c.token, "PaymentConfirmed", receipt) == [
        {
            "tokenId": pieces[2],
            "payee": c.supplier3,
            "amount": 100_000,
            "paymentRef": h("pay-3"),
            "deemed": False,
        }
    ]
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
    assert (lambda r: (r.settled_value, r.status))(receivable(c, slot)) == (100_000, R_ACTIVE)
    c.tx(fn.settleBatch(slot, pieces[:2], h("pay-rest")), c.core)
    c.confirm(pieces[0])
    c.confirm(pieces[1])
    assert (lambda r: (r.settled_value, r.status))(receivable(c, slot)) == (1_000_000, R_SETTLED)
    c.expect_revert(
        lambda: c.tx(fn.settle(pieces[0], h("again")), c.core),
        "InvalidPieceState",
        pieces[0],
        SETTLED,
    )
    c.expect_revert(
        lambda: c.tx(fn.confirmPayment(pieces[0]), c.supplier1),
        "InvalidPieceState",
        pieces[0],
        SETTLED,
    )


def test_piece_awaiting_confirmation_can_neither_move_nor_be_marked_overdue(
    consortium: Consortium,
) -> None:
    c = consortium
    fn = c.token.functions
    slot, pieces = three_tier_slot(c)
    due = receivable(c, slot).due_date
    c.travel_to(due)
    c.tx(fn.settle(pieces[0], h("pay")), c.core)
    c.travel_to(due + 40 * DAY)
    c.expect_revert(
        lambda: c.tx(fn.markOverdue(pieces[0]), c.auditor), "InvalidPieceState", pieces[0], AWAITING
    )
    c.expect_revert(
        lambda: c.split(pieces[0], "supplier4", 10), "PieceNotTransferable", pieces[0], AWAITING
    )
    c.expect_revert(
        lambda: c.tx(fn.settle(pieces[0], h("pay-again")), c.core),
        "InvalidPieceState",
        pieces[0],
        AWAITING,
    )


def test_dispute_returns_the_piece_unpaid_with_its_remedies(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    slot, pieces = three_tier_slot(c)
    due = receivable(c, slot).due_date
    c.travel_to(due + 3 * DAY)
    c.tx(fn.markOverdue(pieces[1]), c.auditor)
    c.tx(fn.settle(pieces[1], h("wire-1")), c.core)
    c.expect_revert(
        lambda: c.tx(fn.disputePayment(pieces[1], h("x")), c.core),
        "NotPayee",
        pieces[1],
        c.core,
        c.supplier2,
    )
    receipt = c.tx(fn.disputePayment(pieces[1], h("not-received")), c.supplier2)
    assert event_args(c.token, "PaymentDisputed", receipt) == [
        {
            "tokenId": pieces[1],
            "payee": c.supplier2,
            "paymentRef": h("wire-1"),
            "reason": h("not-received"),
        }
    ]
    assert event_args(c.token, "PieceStateChanged", receipt) == [
        {"tokenId": pieces[1], "oldState": AWAITING, "newState": OVERDUE}
    ]
    assert c.piece(pieces[1]).value == 300_000
    assert c.struct(fn.settlementOf(pieces[1]))["confirmBy"] == 0
    # The same reference cannot be reported again; a new one can, and default still runs.
    c.expect_revert(
        lambda: c.tx(fn.settle(pieces[1], h("wire-1")), c.core),
        "PaymentRefDisputed",
        pieces[1],
        h("wire-1"),
    )
    c.travel_to(due + 33 * DAY)
    c.tx(fn.markDefaulted(pieces[1]), c.auditor)
    c.tx(fn.settle(pieces[1], h("wire-2")), c.core)
    c.confirm(pieces[1])
    assert c.piece(pieces[1]).state == SETTLED


def test_silence_past_the_window_is_deemed_consent_finalised_by_the_debtor(
    consortium: Consortium,
) -> None:
    c = consortium
    fn = c.token.functions
    slot, pieces = three_tier_slot(c)
    c.travel_to(receivable(c, slot).due_date)
    c.tx(fn.settle(pieces[2], h("pay")), c.core)
    confirm_by = c.struct(fn.settlementOf(pieces[2]))["confirmBy"]
    c.expect_revert(
        lambda: c.tx(fn.finalizeSettlement(pieces[2]), c.core),
        "ConfirmationWindowOpen",
        pieces[2],
        confirm_by,
    )
    c.travel_to(confirm_by + 1)
    c.expect_revert(
        lambda: c.tx(fn.finalizeSettlement(pieces[2]), c.core2), "NotDebtor", slot, c.core2
    )
    receipt = c.tx(fn.finalizeSettlement(pieces[2]), c.core)
    assert event_args(c.token, "PaymentConfirmed", receipt)[0]["deemed"] is True
    assert c.piece(pieces[2])[3:7:3] == (0, SETTLED)


def test_batch_is_bounded_single_slot_and_all_or_nothing(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    slot, pieces = three_tier_slot(c)
    other_slot, other_root = c.issue_active(amount=1000)
    c.request(pieces[1])  # locked: cannot be settled
    c.travel_to(receivable(c, slot).due_date)
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
    assert c.piece(pieces[0]).state == ACTIVE  # the valid first piece was not settled either
    assert receivable(c, slot).settled_value == 0
    assert receivable(c, other_slot).settled_value == 0


def test_batch_of_fifty_pieces_settles_in_one_transaction(consortium: Consortium) -> None:
    c = consortium
    slot, root = c.issue_active(amount=1_000_000)
    pieces = [root] + [c.split(root, "supplier2", 1000) for _ in range(49)]
    c.travel_to(receivable(c, slot).due_date)
    receipt = c.tx(c.token.functions.settleBatch(slot, pieces, h("bulk")), c.core)
    assert len(event_args(c.token, "SettlementSubmitted", receipt)) == 50
    c.travel_to(c.now() + 8 * DAY)
    for piece in pieces:
        c.tx(c.token.functions.finalizeSettlement(piece), c.core)
    assert (lambda r: (r.settled_value, r.status))(receivable(c, slot)) == (1_000_000, R_SETTLED)


def test_settling_a_pledged_piece_pays_the_lien_holder_first(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    slot, pieces = three_tier_slot(c)
    terms = c.terms(pieces[1], advance=200_000, repayment=210_000)
    request_id = c.request_funded(pieces[1], terms=terms, pledge=True, sender="supplier2")
    c.travel_to(receivable(c, slot).due_date)
    receipt = c.tx(fn.settle(pieces[1], h("pay-2")), c.core)
    assert event_args(c.token, "SettlementSubmitted", receipt)[0]["payee"] == c.bank
    c.expect_revert(
        lambda: c.tx(fn.confirmPayment(pieces[1]), c.supplier2),
        "NotPayee",
        pieces[1],
        c.supplier2,
        c.bank,
    )
    receipt = c.tx(fn.confirmPayment(pieces[1]), c.bank)
    settled = event_args(c.token, "PieceSettled", receipt)[0]
    assert (settled["holder"], settled["amount"], settled["lienHolder"], settled["lienAmount"]) == (
        c.supplier2,
        210_000,
        c.bank,
        210_000,
    )
    assert event_args(c.financing, "FinancingSettled", receipt) == [
        {"requestId": request_id, "tokenId": pieces[1], "financier": c.bank, "amount": 210_000}
    ]
    assert c.request_record(request_id)["status"] == SETTLED_REQUEST
    assert c.financing.functions.lienOf(pieces[1]).call() == [0, ZERO, 0]
    # The holder's share awaits the holder; a dispute now leaves it unpaid and unliened.
    assert c.struct(fn.settlementOf(pieces[1]))["payee"] == c.supplier2
    assert c.piece(pieces[1])[3:7:3] == (90_000, AWAITING)
    c.tx(fn.disputePayment(pieces[1], h("short")), c.supplier2)
    assert c.piece(pieces[1])[3:7:3] == (90_000, ACTIVE)
    c.tx(fn.settle(pieces[1], h("pay-2b")), c.core)
    c.confirm(pieces[1])
    assert receivable(c, slot).settled_value == 300_000


def test_settling_a_factored_piece_pays_the_financier_that_holds_it(consortium: Consortium) -> None:
    c = consortium
    slot, pieces = three_tier_slot(c)
    request_id = c.request_funded(pieces[2], sender="supplier3", financier="bank2")
    c.travel_to(receivable(c, slot).due_date)
    receipt = c.tx(c.token.functions.settle(pieces[2], h("pay")), c.core)
    assert event_args(c.token, "SettlementSubmitted", receipt)[0]["payee"] == c.bank2
    receipt = c.confirm(pieces[2])
    assert event_args(c.financing, "FinancingSettled", receipt) == [
        {"requestId": request_id, "tokenId": pieces[2], "financier": c.bank2, "amount": 100_000}
    ]


def test_overdue_and_default_follow_the_slot_periods(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    slot, pieces = three_tier_slot(c)
    _, pending = c.issue()
    due = receivable(c, slot).due_date
    grace, default = fn.gracePeriod().call(), fn.defaultPeriod().call()
    assert (grace, default) == (3 * DAY, 30 * DAY)
    c.travel_to(due + 1)
    c.expect_revert(
        lambda: c.tx(fn.markOverdue(pieces[0]), c.auditor),
        "GracePeriodRunning",
        pieces[0],
        due + grace,
    )
    c.travel_to(due + grace)
    receipt = c.tx(fn.markOverdue(pieces[0]), c.auditor)
    assert event_args(c.token, "PieceStateChanged", receipt) == [
        {"tokenId": pieces[0], "oldState": ACTIVE, "newState": OVERDUE}
    ]
    c.expect_revert(
        lambda: c.tx(fn.markOverdue(pending), c.auditor), "InvalidPieceState", pending, 1
    )
    c.expect_revert(
        lambda: c.split(pieces[0], "supplier4", 10), "PieceNotTransferable", pieces[0], OVERDUE
    )
    c.expect_revert(
        lambda: c.tx(fn.markDefaulted(pieces[1]), c.auditor),
        "InvalidPieceState",
        pieces[1],
        ACTIVE,
    )
    c.expect_revert(
        lambda: c.tx(fn.markDefaulted(pieces[0]), c.auditor),
        "DefaultPeriodRunning",
        pieces[0],
        due + grace + default,
    )
    c.travel_to(due + grace + default)
    c.tx(fn.markDefaulted(pieces[0]), c.auditor)
    assert c.piece(pieces[0]).state == DEFAULTED
    c.tx(fn.settle(pieces[0], h("late")), c.core)  # late payment still settles
    c.confirm(pieces[0])
    assert c.piece(pieces[0]).state == SETTLED


def test_periods_and_windows_change_only_through_governance(consortium: Consortium) -> None:
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
    c.expect_revert(
        lambda: c.tx(fn.setConsentWindows(DAY, DAY), c.admin1), "OnlyGovernance", c.admin1
    )
    c.govern(fn.setConsentWindows(2 * DAY, 3 * DAY))
    assert (fn.acceptanceWindow().call(), fn.confirmationWindow().call()) == (2 * DAY, 3 * DAY)
    c.expect_revert(
        lambda: c.govern(fn.setConsentWindows(60, DAY)),
        "InvalidParameter",
        b"acceptanceWindow".ljust(32, b"\0"),
        60,
    )
    c.expect_revert(
        lambda: c.govern(fn.setConsentWindows(DAY, 366 * DAY)),
        "InvalidParameter",
        b"confirmationWindow".ljust(32, b"\0"),
        366 * DAY,
    )
