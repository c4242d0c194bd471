"""Financing: request, withdraw, reject, approve, fund (factoring and pledge), repay, expiry
and recourse; and the double-financing attempts that must all fail."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from scfledger.chain.tx import event_args
from tests.fixtures.ledger import DAY, FINANCIER, SUPPLIER, Consortium, h

# PieceState
ACTIVE, FINANCING, FINANCED, OVERDUE, DEFAULTED = 2, 3, 4, 6, 7
# RequestStatus
REQUESTED, APPROVED, REJECTED, WITHDRAWN, EXPIRED, FUNDED, REPAID = 1, 2, 3, 4, 5, 6, 7
RECOURSE_CLAIMED, RECOURSE_REPAID = 9, 10
FACTORING, PLEDGE = 0, 1
HOLDERS = SUPPLIER | FINANCIER


def request_record(c: Consortium, request_id: int) -> Any:
    return c.financing.functions.getRequest(request_id).call()


def active_piece(c: Consortium, amount: int = 1_000_000) -> int:
    return c.issue_active(amount=amount)[1]


# ---- request -------------------------------------------------------------------------------


def test_request_locks_the_piece_and_records_the_terms(consortium: Consortium) -> None:
    c = consortium
    token_id = active_piece(c)
    receipt = c.tx(
        c.financing.functions.request(token_id, c.bank, 800_000, 250, PLEDGE, False), c.supplier1
    )
    block_time = c.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    expires = block_time + 7 * DAY
    assert event_args(c.financing, "FinancingRequested", receipt) == [
        {
            "requestId": 1,
            "tokenId": token_id,
            "requester": c.supplier1,
            "financier": c.bank,
            "amount": 800_000,
            "rateBps": 250,
            "mode": PLEDGE,
            "recourse": False,
            "expiresAt": expires,
        }
    ]
    assert event_args(c.token, "PieceStateChanged", receipt) == [
        {"tokenId": token_id, "oldState": ACTIVE, "newState": FINANCING}
    ]
    assert request_record(c, 1) == (
        1,
        token_id,
        c.supplier1,
        c.bank,
        800_000,
        250,
        PLEDGE,
        False,
        REQUESTED,
        block_time,
        expires,
        0,
        b"\0" * 32,
    )
    assert c.piece(token_id)[6] == FINANCING
    assert c.financing.functions.openRequestOf(token_id).call() == 1
    assert c.financing.functions.requestCount().call() == 1


def test_request_expiry_is_capped_at_the_due_date(consortium: Consortium) -> None:
    c = consortium
    _, token_id = c.issue_active(due_in=2 * DAY)
    request_id = c.request(token_id)
    assert request_record(c, request_id)[10] == c.due_date(token_id)


def test_request_fails_with_its_own_error_for_each_bad_input(consortium: Consortium) -> None:
    c = consortium
    fn = c.financing.functions
    token_id = active_piece(c, 1000)
    _, pending = c.issue()
    bank_piece = c.split(token_id, "bank", 100)
    cases: list[tuple[Any, str, str, tuple[object, ...]]] = [
        (
            fn.request(token_id, c.bank, 10, 0, 0, False),
            "supplier2",
            "NotHolder",
            (token_id, c.supplier2),
        ),
        (
            fn.request(pending, c.bank, 10, 0, 0, False),
            "supplier1",
            "InvalidPieceState",
            (pending, 1),
        ),
        (fn.request(bank_piece, c.bank, 10, 0, 0, False), "bank", "SelfFinancing", (c.bank,)),
        (
            fn.request(token_id, c.supplier2, 10, 0, 0, False),
            "supplier1",
            "MissingRole",
            (c.supplier2, FINANCIER),
        ),
        (
            fn.request(token_id, c.outsider, 10, 0, 0, False),
            "supplier1",
            "NotActiveMember",
            (c.outsider,),
        ),
        (fn.request(token_id, c.bank, 0, 0, 0, False), "supplier1", "ZeroAdvance", ()),
        (
            fn.request(token_id, c.bank, 901, 0, 0, False),
            "supplier1",
            "AdvanceAboveValue",
            (token_id, 900, 901),
        ),
        (fn.request(token_id, c.bank, 10, 10_001, 0, False), "supplier1", "InvalidRate", (10_001,)),
        (fn.request(99, c.bank, 10, 0, 0, False), "supplier1", "ERC721NonexistentToken", (99,)),
    ]
    for call, sender, name, values in cases:
        c.expect_revert(partial(c.tx, call, c.accounts[sender]), name, *values)
    assert c.financing.functions.requestCount().call() == 0
    assert c.piece(token_id)[6] == ACTIVE


def test_request_fails_for_a_suspended_holder_and_at_the_due_date(consortium: Consortium) -> None:
    c = consortium
    token_id = active_piece(c)
    c.govern(c.registry.functions.suspendMember(c.supplier1, h("inquiry")))
    c.expect_revert(lambda: c.request(token_id), "NotActiveMember", c.supplier1)
    c.govern(c.registry.functions.reinstateMember(c.supplier1))
    due = c.due_date(token_id)
    c.travel_to(due)
    c.expect_revert(lambda: c.request(token_id), "PieceDue", token_id, due)


def test_locked_piece_can_be_neither_moved_nor_financed_again(consortium: Consortium) -> None:
    c = consortium
    token_id = active_piece(c)
    c.request(token_id)
    c.expect_revert(
        lambda: c.split(token_id, "supplier2", 10), "PieceNotTransferable", token_id, FINANCING
    )
    c.expect_revert(
        lambda: c.tx(
            c.token.functions.transferFrom(c.supplier1, c.supplier2, token_id), c.supplier1
        ),
        "PieceNotTransferable",
        token_id,
        FINANCING,
    )
    c.expect_revert(
        lambda: c.request(token_id, financier="bank2"), "InvalidPieceState", token_id, FINANCING
    )


# ---- withdraw, reject, approve, expire ------------------------------------------------------


def test_requester_withdraws_an_open_request(consortium: Consortium) -> None:
    c = consortium
    fn = c.financing.functions
    token_id = active_piece(c)
    request_id = c.request(token_id)
    c.expect_revert(
        lambda: c.tx(fn.withdraw(request_id), c.bank), "NotRequester", request_id, c.bank
    )
    receipt = c.tx(fn.withdraw(request_id), c.supplier1)
    assert event_args(c.financing, "FinancingWithdrawn", receipt) == [
        {"requestId": request_id, "tokenId": token_id}
    ]
    assert request_record(c, request_id)[8] == WITHDRAWN
    assert c.piece(token_id)[6] == ACTIVE
    assert fn.openRequestOf(token_id).call() == 0
    c.expect_revert(
        lambda: c.tx(fn.withdraw(request_id), c.supplier1),
        "InvalidRequestStatus",
        request_id,
        WITHDRAWN,
    )
    c.expect_revert(lambda: c.tx(fn.withdraw(77), c.supplier1), "UnknownRequest", 77)
    c.split(token_id, "supplier2", 10)  # unlocked: it moves again


def test_financier_rejects_with_a_reason_and_only_the_named_financier_may(
    consortium: Consortium,
) -> None:
    c = consortium
    fn = c.financing.functions
    token_id = active_piece(c)
    request_id = c.request(token_id)
    c.expect_revert(
        lambda: c.tx(fn.reject(request_id, h("x")), c.bank2), "NotFinancier", request_id, c.bank2
    )
    receipt = c.tx(fn.reject(request_id, h("concentration")), c.bank)
    assert event_args(c.financing, "FinancingRejected", receipt) == [
        {
            "requestId": request_id,
            "tokenId": token_id,
            "financier": c.bank,
            "reason": h("concentration"),
        }
    ]
    assert request_record(c, request_id)[8] == REJECTED
    assert c.piece(token_id)[6] == ACTIVE


def test_financier_approves_with_its_own_terms(consortium: Consortium) -> None:
    c = consortium
    fn = c.financing.functions
    token_id = active_piece(c)
    request_id = c.request(token_id, amount=900_000, rate_bps=300)
    c.expect_revert(
        lambda: c.tx(fn.approve(request_id, 900_001, 300), c.bank),
        "AdvanceAboveRequest",
        request_id,
        900_000,
        900_001,
    )
    c.expect_revert(lambda: c.tx(fn.approve(request_id, 0, 300), c.bank), "ZeroAdvance")
    c.expect_revert(lambda: c.tx(fn.approve(request_id, 10, 10_001), c.bank), "InvalidRate", 10_001)
    c.expect_revert(
        lambda: c.tx(fn.approve(request_id, 10, 1), c.supplier1),
        "NotFinancier",
        request_id,
        c.supplier1,
    )
    receipt = c.tx(fn.approve(request_id, 850_000, 450), c.bank)
    assert event_args(c.financing, "FinancingApproved", receipt) == [
        {
            "requestId": request_id,
            "tokenId": token_id,
            "financier": c.bank,
            "amount": 850_000,
            "rateBps": 450,
        }
    ]
    record = request_record(c, request_id)
    assert (record[4], record[5], record[8]) == (850_000, 450, APPROVED)
    assert fn.amountOwed(request_id).call() == 850_000 + 850_000 * 450 // 10_000
    c.expect_revert(
        lambda: c.tx(fn.approve(request_id, 1, 1), c.bank),
        "InvalidRequestStatus",
        request_id,
        APPROVED,
    )


def test_unanswered_and_unfunded_requests_expire(consortium: Consortium) -> None:
    c = consortium
    fn = c.financing.functions
    first, second = active_piece(c), active_piece(c)
    unanswered = c.request(first)
    unfunded = c.request(second)
    c.tx(fn.approve(unfunded, request_record(c, unfunded)[4], 100), c.bank)
    expires = request_record(c, unanswered)[10]
    c.expect_revert(
        lambda: c.tx(fn.expire(unanswered), c.outsider), "RequestNotExpired", unanswered, expires
    )
    c.travel_to(expires + 1)
    c.expect_revert(
        lambda: c.tx(fn.approve(unanswered, 1, 1), c.bank), "RequestExpired", unanswered, expires
    )
    c.expect_revert(
        lambda: c.tx(fn.fund(unfunded, h("w")), c.bank),
        "RequestExpired",
        unfunded,
        request_record(c, unfunded)[10],
    )
    receipt = c.tx(fn.expire(unanswered), c.outsider)  # anyone may lapse it
    assert event_args(c.financing, "FinancingExpired", receipt) == [
        {"requestId": unanswered, "tokenId": first}
    ]
    c.tx(fn.expire(unfunded), c.auditor)
    assert (request_record(c, unanswered)[8], request_record(c, unfunded)[8]) == (EXPIRED, EXPIRED)
    assert (c.piece(first)[6], c.piece(second)[6]) == (ACTIVE, ACTIVE)


# ---- fund ----------------------------------------------------------------------------------


def test_factoring_assigns_the_piece_to_the_financier(consortium: Consortium) -> None:
    c = consortium
    fn = c.financing.functions
    token_id = active_piece(c)
    request_id = c.request(token_id, amount=950_000)
    c.expect_revert(
        lambda: c.tx(fn.fund(request_id, h("w")), c.bank),
        "InvalidRequestStatus",
        request_id,
        REQUESTED,
    )
    c.tx(fn.approve(request_id, 950_000, 200), c.bank)
    c.expect_revert(lambda: c.tx(fn.fund(request_id, b"\0" * 32), c.bank), "MissingPaymentRef")
    receipt = c.tx(fn.fund(request_id, h("SWIFT-123")), c.bank)
    assert event_args(c.financing, "FinancingFunded", receipt) == [
        {
            "requestId": request_id,
            "tokenId": token_id,
            "financier": c.bank,
            "amount": 950_000,
            "mode": FACTORING,
            "paymentRef": h("SWIFT-123"),
            "paidOnChain": False,
        }
    ]
    assert event_args(c.token, "Transfer", receipt) == [
        {"from": c.supplier1, "to": c.bank, "tokenId": token_id}
    ]
    assert c.piece(token_id)[2] == c.bank
    assert c.piece(token_id)[6] == FINANCED
    record = request_record(c, request_id)
    assert (record[8], record[12]) == (FUNDED, h("SWIFT-123"))
    assert fn.openRequestOf(token_id).call() == 0
    assert fn.lienOf(token_id).call() == [0, "0x" + "00" * 20, 0]


def test_pledge_keeps_the_piece_with_its_holder_under_a_lien(consortium: Consortium) -> None:
    c = consortium
    fn = c.financing.functions
    token_id = active_piece(c)
    request_id = c.request_funded(token_id, amount=500_000, rate_bps=400, pledge=True)
    assert c.piece(token_id)[2] == c.supplier1
    assert c.piece(token_id)[6] == FINANCED
    assert fn.lienOf(token_id).call() == [request_id, c.bank, 520_000]


def test_funding_fails_for_another_financier_or_a_suspended_seller(consortium: Consortium) -> None:
    c = consortium
    fn = c.financing.functions
    token_id = active_piece(c)
    request_id = c.request(token_id)
    c.tx(fn.approve(request_id, 1000, 0), c.bank)
    c.expect_revert(
        lambda: c.tx(fn.fund(request_id, h("w")), c.bank2), "NotFinancier", request_id, c.bank2
    )
    c.govern(c.registry.functions.suspendMember(c.supplier1, h("inquiry")))
    c.expect_revert(
        lambda: c.tx(fn.fund(request_id, h("w")), c.bank), "NotActiveMember", c.supplier1
    )
    assert request_record(c, request_id)[8] == APPROVED


def test_financed_piece_can_be_neither_moved_nor_financed_again(consortium: Consortium) -> None:
    c = consortium
    factored, pledged = active_piece(c), active_piece(c)
    c.request_funded(factored)
    c.request_funded(pledged, pledge=True)
    c.expect_revert(
        lambda: c.split(factored, "bank2", 10), "PieceNotTransferable", factored, FINANCED
    )
    c.expect_revert(
        lambda: c.split(pledged, "supplier2", 10), "PieceNotTransferable", pledged, FINANCED
    )
    c.expect_revert(
        lambda: c.request(factored, financier="bank2"), "InvalidPieceState", factored, FINANCED
    )
    c.expect_revert(
        lambda: c.request(pledged, financier="bank2"), "InvalidPieceState", pledged, FINANCED
    )


# ---- double-financing scenarios ------------------------------------------------------------


def test_double_financing_by_the_holder_fails(consortium: Consortium) -> None:
    c = consortium
    token_id = active_piece(c)
    c.request(token_id, financier="bank")
    c.expect_revert(
        lambda: c.request(token_id, financier="bank2"), "InvalidPieceState", token_id, FINANCING
    )
    child_attempt = lambda: c.split(token_id, "supplier1", 100)  # noqa: E731
    c.expect_revert(child_attempt, "PieceNotTransferable", token_id, FINANCING)


def test_double_financing_by_a_former_holder_fails(consortium: Consortium) -> None:
    c = consortium
    token_id = active_piece(c)
    c.tx(c.token.functions.transferFrom(c.supplier1, c.supplier2, token_id), c.supplier1)
    c.expect_revert(
        lambda: c.request(token_id, sender="supplier1"), "NotHolder", token_id, c.supplier1
    )
    c.request_funded(token_id, financier="bank")  # the new holder finances it once
    c.expect_revert(
        lambda: c.request(token_id, sender="supplier1"), "NotHolder", token_id, c.supplier1
    )


def test_double_financing_by_a_colluding_financier_fails(consortium: Consortium) -> None:
    c = consortium
    fn = c.financing.functions
    token_id = active_piece(c)
    request_id = c.request_funded(token_id, financier="bank", pledge=True)
    # The funding bank cannot fund again, approve again, or have the piece requested anew.
    c.expect_revert(
        lambda: c.tx(fn.fund(request_id, h("again")), c.bank),
        "InvalidRequestStatus",
        request_id,
        FUNDED,
    )
    c.expect_revert(
        lambda: c.tx(fn.approve(request_id, 1, 1), c.bank),
        "InvalidRequestStatus",
        request_id,
        FUNDED,
    )
    # Another bank colluding with the holder cannot get the pledged piece.
    c.expect_revert(
        lambda: c.request(token_id, financier="bank2"), "InvalidPieceState", token_id, FINANCED
    )
    c.expect_revert(
        lambda: c.tx(fn.reject(request_id, h("x")), c.bank2), "NotFinancier", request_id, c.bank2
    )
    # A factoring financier that now holds the piece cannot finance it again elsewhere.
    other = active_piece(c)
    c.request_funded(other, financier="bank")
    c.expect_revert(
        lambda: c.request(other, financier="bank2", sender="bank"),
        "InvalidPieceState",
        other,
        FINANCED,
    )


# ---- repay and recourse --------------------------------------------------------------------


def test_financier_confirms_pledge_repayment_and_the_piece_is_freed(consortium: Consortium) -> None:
    c = consortium
    fn = c.financing.functions
    token_id = active_piece(c)
    request_id = c.request_funded(token_id, amount=400_000, rate_bps=500, pledge=True)
    c.expect_revert(
        lambda: c.tx(fn.repay(request_id, h("r")), c.supplier1),
        "NotFinancier",
        request_id,
        c.supplier1,
    )
    c.expect_revert(lambda: c.tx(fn.repay(request_id, b"\0" * 32), c.bank), "MissingPaymentRef")
    receipt = c.tx(fn.repay(request_id, h("repay-1")), c.bank)
    assert event_args(c.financing, "LoanRepaid", receipt) == [
        {
            "requestId": request_id,
            "tokenId": token_id,
            "payer": c.bank,
            "amount": 420_000,
            "paymentRef": h("repay-1"),
            "paidOnChain": False,
        }
    ]
    assert request_record(c, request_id)[8] == REPAID
    assert c.piece(token_id)[6] == ACTIVE
    assert fn.lienOf(token_id).call() == [0, "0x" + "00" * 20, 0]
    c.expect_revert(
        lambda: c.tx(fn.repay(request_id, h("r")), c.bank),
        "InvalidRequestStatus",
        request_id,
        REPAID,
    )


def test_repay_of_a_factoring_is_refused(consortium: Consortium) -> None:
    c = consortium
    token_id = active_piece(c)
    request_id = c.request_funded(token_id)
    c.expect_revert(
        lambda: c.tx(c.financing.functions.repay(request_id, h("r")), c.bank),
        "WrongMode",
        request_id,
        FACTORING,
    )


def default_piece(c: Consortium, token_id: int) -> None:
    due = c.due_date(token_id)
    grace, default = (
        c.token.functions.gracePeriod().call(),
        c.token.functions.defaultPeriod().call(),
    )
    c.travel_to(due + grace)
    c.tx(c.token.functions.markOverdue(token_id), c.outsider)
    c.travel_to(due + grace + default)
    c.tx(c.token.functions.markDefaulted(token_id), c.outsider)


def test_recourse_financier_claims_against_the_seller_after_default(consortium: Consortium) -> None:
    c = consortium
    fn = c.financing.functions
    slot, token_id = c.issue_active(amount=1_000_000)
    request_id = c.request_funded(token_id, amount=900_000, rate_bps=100, recourse=True)
    c.expect_revert(
        lambda: c.tx(fn.claimRecourse(request_id), c.bank), "InvalidPieceState", token_id, FINANCED
    )
    default_piece(c, token_id)
    assert c.piece(token_id)[6] == DEFAULTED
    receipt = c.tx(fn.claimRecourse(request_id), c.bank)
    assert event_args(c.financing, "RecourseClaimed", receipt) == [
        {
            "requestId": request_id,
            "tokenId": token_id,
            "seller": c.supplier1,
            "financier": c.bank,
            "amount": 909_000,
        }
    ]
    assert request_record(c, request_id)[8] == RECOURSE_CLAIMED
    c.expect_revert(
        lambda: c.tx(fn.repayRecourse(request_id, h("r")), c.supplier1),
        "NotFinancier",
        request_id,
        c.supplier1,
    )
    c.tx(fn.repayRecourse(request_id, h("recourse-paid")), c.bank)
    assert request_record(c, request_id)[8] == RECOURSE_REPAID
    assert c.piece(token_id)[2] == c.supplier1  # the seller holds the claim on the debtor again
    assert c.piece(token_id)[6] == DEFAULTED
    receipt = c.tx(c.token.functions.settle(token_id, h("late-payment")), c.core)
    assert event_args(c.token, "PieceSettled", receipt)[0]["holder"] == c.supplier1
    assert c.token.functions.getReceivable(slot).call()[9] == 1_000_000


def test_recourse_is_refused_without_recourse_or_for_a_pledge(consortium: Consortium) -> None:
    c = consortium
    fn = c.financing.functions
    plain, pledged = active_piece(c), active_piece(c)
    without = c.request_funded(plain, recourse=False)
    pledge = c.request_funded(pledged, pledge=True, recourse=True)
    c.expect_revert(lambda: c.tx(fn.claimRecourse(without), c.bank), "NoRecourse", without)
    c.expect_revert(lambda: c.tx(fn.claimRecourse(pledge), c.bank), "NoRecourse", pledge)
    c.expect_revert(
        lambda: c.tx(fn.claimRecourse(pledge), c.bank2), "NotFinancier", pledge, c.bank2
    )


# ---- module boundaries and governance ------------------------------------------------------


def test_module_functions_refuse_everyone_but_their_module(consortium: Consortium) -> None:
    c = consortium
    token_id = active_piece(c)
    fn = c.token.functions
    c.expect_revert(
        lambda: c.tx(fn.setPieceState(token_id, FINANCED), c.supplier1),
        "OnlyFinancing",
        c.supplier1,
    )
    c.expect_revert(lambda: c.tx(fn.assign(token_id, c.bank), c.admin1), "OnlyFinancing", c.admin1)
    c.expect_revert(
        lambda: c.tx(c.financing.functions.onSettled(token_id, 1), c.core), "OnlyToken", c.core
    )
    zero = "0x" + "00" * 20
    c.expect_revert(
        lambda: c.tx(fn.bindModules(zero, zero), c.deployer), "ModuleBindingClosed", c.deployer
    )
    c.expect_revert(
        lambda: c.tx(fn.bindModules(zero, zero), c.admin1), "ModuleBindingClosed", c.admin1
    )
    c.expect_revert(lambda: c.tx(fn.setModules(zero, zero), c.admin1), "OnlyGovernance", c.admin1)
    assert fn.financing().call() == c.financing.address


def test_request_lifetime_changes_only_through_governance(consortium: Consortium) -> None:
    c = consortium
    fn = c.financing.functions
    c.expect_revert(lambda: c.tx(fn.setRequestTtl(DAY), c.admin1), "OnlyGovernance", c.admin1)
    c.govern(fn.setRequestTtl(DAY))
    assert fn.requestTtl().call() == DAY
    c.expect_revert(lambda: c.govern(fn.setRequestTtl(60)), "InvalidRequestTtl", 60)
    c.expect_revert(lambda: c.govern(fn.setRequestTtl(91 * DAY)), "InvalidRequestTtl", 91 * DAY)


@pytest.mark.parametrize("state", [FINANCING, FINANCED])
def test_views_report_unknown_requests(consortium: Consortium, state: int) -> None:
    c = consortium
    token_id = active_piece(c)
    if state == FINANCING:
        c.request(token_id)
    else:
        c.request_funded(token_id)
    c.expect_revert(lambda: c.call(c.financing.functions.getRequest(42)), "UnknownRequest", 42)
    c.expect_revert(lambda: c.call(c.financing.functions.amountOwed(42)), "UnknownRequest", 42)
    assert c.piece(token_id)[6] == state
