"""Financing as offer and acceptance: request to named financiers, offers, acceptance, withdraw,
decline, fund (factoring and pledge), repay, expiry and recourse; and the double-financing
attempts that must all fail."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from scfledger.chain.tx import event_args
from tests.support.ledger import DAY, FINANCIER, Consortium, h

# PieceState
ACTIVE, FINANCING, FINANCED, OVERDUE, DEFAULTED = 2, 3, 4, 6, 7
# RequestStatus
REQUESTED, ACCEPTED, REJECTED, WITHDRAWN, EXPIRED, FUNDED, REPAID = 1, 2, 3, 4, 5, 6, 7
SETTLED, RECOURSE_CLAIMED, RECOURSE_REPAID = 8, 9, 10
# OfferStatus
MADE, DECLINED = 1, 2
FACTORING, PLEDGE = 0, 1
ZERO = "0x" + "00" * 20


def active_piece(c: Consortium, amount: int = 1_000_000) -> int:
    return c.issue_active(amount=amount)[1]


def terms_dict(terms: tuple[int, int, int, int]) -> dict[str, int]:
    return dict(zip(("advance", "repayment", "fees", "fundBy"), terms, strict=True))


# ---- request -------------------------------------------------------------------------------


def test_request_to_several_financiers_locks_the_piece_and_records_the_asked_terms(
    consortium: Consortium,
) -> None:
    c = consortium
    token_id = active_piece(c)
    asked = c.terms(token_id, advance=800_000, repayment=824_000, fees=2_000)
    receipt = c.tx(
        c.financing.functions.request(token_id, [c.bank, c.bank2], asked, PLEDGE, False),
        c.supplier1,
    )
    block_time = c.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    expires = block_time + 7 * DAY
    assert event_args(c.financing, "FinancingRequested", receipt) == [
        {
            "requestId": 1,
            "tokenId": token_id,
            "requester": c.supplier1,
            "financiers": [c.bank, c.bank2],
            "asked": terms_dict(asked),
            "mode": PLEDGE,
            "recourse": False,
            "expiresAt": expires,
        }
    ]
    assert event_args(c.token, "PieceStateChanged", receipt) == [
        {"tokenId": token_id, "oldState": ACTIVE, "newState": FINANCING}
    ]
    assert c.request_record(1) == {
        "id": 1,
        "tokenId": token_id,
        "requester": c.supplier1,
        "financiers": [c.bank, c.bank2],
        "financier": ZERO,
        "mode": PLEDGE,
        "recourse": False,
        "status": REQUESTED,
        "createdAt": block_time,
        "expiresAt": expires,
        "fundedAt": 0,
        "asked": terms_dict(asked),
        "agreed": terms_dict((0, 0, 0, 0)),
        "paymentRef": b"\0" * 32,
    }
    assert c.piece(token_id).state == FINANCING
    assert c.financing.functions.openRequestOf(token_id).call() == 1
    assert c.financing.functions.openCount().call() == 1


def test_request_expiry_is_capped_at_the_due_date(consortium: Consortium) -> None:
    c = consortium
    _, token_id = c.issue_active(due_in=2 * DAY)
    request_id = c.request(token_id)
    assert c.request_record(request_id)["expiresAt"] == c.due_date(token_id)


def test_request_fails_with_its_own_error_for_each_bad_input(consortium: Consortium) -> None:
    c = consortium
    fn = c.financing.functions
    token_id = active_piece(c, 1000)
    _, pending = c.issue()
    bank_piece = c.split(token_id, "bank", 100)
    now, due = c.now(), c.due_date(token_id)
    ok = (10, 11, 0, now + DAY)
    cases: list[tuple[Any, str, str, tuple[object, ...]]] = [
        (
            fn.request(token_id, [c.bank], ok, 0, False),
            "supplier2",
            "NotHolder",
            (token_id, c.supplier2),
        ),
        (
            fn.request(pending, [c.bank], ok, 0, False),
            "supplier1",
            "InvalidPieceState",
            (pending, 1),
        ),
        (fn.request(bank_piece, [c.bank], ok, 0, False), "bank", "SelfFinancing", (c.bank,)),
        (
            fn.request(token_id, [c.core], ok, 0, False),
            "supplier1",
            "DebtorCannotHold",
            (1, c.core),
        ),
        (
            fn.request(token_id, [c.supplier2], ok, 0, False),
            "supplier1",
            "MissingRole",
            (c.supplier2, FINANCIER),
        ),
        (
            fn.request(token_id, [c.outsider], ok, 0, False),
            "supplier1",
            "NotActiveMember",
            (c.outsider,),
        ),
        (fn.request(token_id, [], ok, 0, False), "supplier1", "InvalidFinancierCount", (0, 5)),
        (
            fn.request(token_id, [c.bank] * 6, ok, 0, False),
            "supplier1",
            "InvalidFinancierCount",
            (6, 5),
        ),
        (
            fn.request(token_id, [c.bank, c.bank2, c.bank], ok, 0, False),
            "supplier1",
            "DuplicateFinancier",
            (c.bank,),
        ),
        (
            fn.request(token_id, [c.bank], (0, 0, 0, now + DAY), 0, False),
            "supplier1",
            "ZeroAdvance",
            (),
        ),
        (
            fn.request(token_id, [c.bank], (901, 0, 0, now + DAY), 0, False),
            "supplier1",
            "AdvanceAboveValue",
            (token_id, 900, 901),
        ),
        (
            fn.request(token_id, [c.bank], (10, 0, 11, now + DAY), 0, False),
            "supplier1",
            "FeesAboveAdvance",
            (10, 11),
        ),
        (fn.request(99, [c.bank], ok, 0, False), "supplier1", "ERC721NonexistentToken", (99,)),
    ]
    for call, sender, name, values in cases:
        c.expect_revert(partial(c.tx, call, c.accounts[sender]), name, *values)
    late = fn.request(token_id, [c.bank], (10, 0, 0, due), 0, False)
    exc = c.expect_revert_named(partial(c.tx, late, c.supplier1), "InvalidFundingDeadline")
    fund_by, earliest, latest = exc.values
    assert (fund_by, latest) == (due, due - 1)
    assert earliest > now  # the block's time + 1
    assert c.financing.functions.requestCount().call() == 0
    assert c.piece(token_id).state == ACTIVE


def test_request_fails_for_a_suspended_holder_and_at_the_due_date(consortium: Consortium) -> None:
    c = consortium
    token_id = active_piece(c)
    c.govern(c.registry.functions.suspendMember(c.supplier1, h("inquiry")))
    c.expect_revert(
        lambda: c.request(token_id, terms=(1, 1, 0, c.now() + DAY)), "NotActiveMember", c.supplier1
    )
    c.govern(c.registry.functions.reinstateMember(c.supplier1))
    due = c.due_date(token_id)
    c.travel_to(due)
    c.expect_revert(
        lambda: c.request(token_id, terms=(1, 1, 0, due + DAY)), "PieceDue", token_id, due
    )


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


# ---- offers and acceptance -----------------------------------------------------------------


def test_each_named_financier_offers_and_the_requester_accepts_one(consortium: Consortium) -> None:
    c = consortium
    fn = c.financing.functions
    token_id = active_piece(c)
    request_id = c.request(token_id, financier=["bank", "bank2"], amount=900_000)
    low = c.terms(token_id, advance=850_000, repayment=900_000, fees=1_000)
    high = c.terms(token_id, advance=880_000, repayment=910_000, fees=500)
    c.expect_revert(
        lambda: c.tx(fn.offer(request_id, low), c.supplier2),
        "NotFinancier",
        request_id,
        c.supplier2,
    )
    receipt = c.tx(fn.offer(request_id, low), c.bank)
    assert event_args(c.financing, "FinancingOffered", receipt) == [
        {
            "requestId": request_id,
            "tokenId": token_id,
            "financier": c.bank,
            "terms": terms_dict(low),
        }
    ]
    assert event_args(c.financing, "FinancingAccepted", receipt) == []  # two named: no shortcut
    c.tx(fn.offer(request_id, high), c.bank2)
    offer = c.struct(fn.getOffer(request_id, c.bank2))
    assert (offer["terms"], offer["status"]) == (terms_dict(high), MADE)
    # The requester accepts exactly the terms it saw; a replaced or absent offer is refused.
    c.expect_revert(
        lambda: c.tx(fn.acceptOffer(request_id, c.bank2, low), c.supplier1),
        "OfferMismatch",
        request_id,
        c.bank2,
    )
    c.expect_revert(
        lambda: c.tx(fn.acceptOffer(request_id, c.admin1, low), c.supplier1),
        "NoOffer",
        request_id,
        c.admin1,
    )
    c.expect_revert(
        lambda: c.tx(fn.acceptOffer(request_id, c.bank2, high), c.bank2),
        "NotRequester",
        request_id,
        c.bank2,
    )
    receipt = c.tx(fn.acceptOffer(request_id, c.bank2, high), c.supplier1)
    assert event_args(c.financing, "FinancingAccepted", receipt) == [
        {
            "requestId": request_id,
            "tokenId": token_id,
            "financier": c.bank2,
            "terms": terms_dict(high),
        }
    ]
    record = c.request_record(request_id)
    assert (record["status"], record["financier"], record["agreed"]) == (
        ACCEPTED,
        c.bank2,
        terms_dict(high),
    )
    # The other offer lapsed: its financier can neither fund nor offer again.
    c.expect_revert(
        lambda: c.tx(fn.fund(request_id, h("w")), c.bank), "NotFinancier", request_id, c.bank
    )
    c.expect_revert(
        lambda: c.tx(fn.offer(request_id, low), c.bank),
        "InvalidRequestStatus",
        request_id,
        ACCEPTED,
    )


def test_a_sole_financier_offering_the_asked_terms_is_accepted_at_once(
    consortium: Consortium,
) -> None:
    c = consortium
    fn = c.financing.functions
    token_id = active_piece(c)
    request_id = c.request(token_id)
    asked = c.asked_terms(request_id)
    receipt = c.tx(fn.offer(request_id, asked), c.bank)
    assert event_args(c.financing, "FinancingAccepted", receipt) == [
        {
            "requestId": request_id,
            "tokenId": token_id,
            "financier": c.bank,
            "terms": terms_dict(asked),
        }
    ]
    assert c.request_record(request_id)["status"] == ACCEPTED


def test_offers_are_checked_like_requests_and_lapse_with_their_deadline(
    consortium: Consortium,
) -> None:
    c = consortium
    fn = c.financing.functions
    token_id = active_piece(c)
    request_id = c.request(token_id, financier=["bank", "bank2"])
    now, due = c.now(), c.due_date(token_id)
    c.expect_revert(lambda: c.tx(fn.offer(request_id, (0, 0, 0, now + DAY)), c.bank), "ZeroAdvance")
    c.expect_revert(
        lambda: c.tx(fn.offer(request_id, (1_000_001, 0, 0, now + DAY)), c.bank),
        "AdvanceAboveValue",
        token_id,
        1_000_000,
        1_000_001,
    )
    c.expect_revert(
        lambda: c.tx(fn.offer(request_id, (5, 0, 6, now + DAY)), c.bank), "FeesAboveAdvance", 5, 6
    )
    exc = c.expect_revert_named(
        lambda: c.tx(fn.offer(request_id, (5, 0, 0, now)), c.bank), "InvalidFundingDeadline"
    )
    assert (exc.values[0], exc.values[2]) == (now, due - 1)
    assert exc.values[1] > now
    short = (900_000, 920_000, 0, c.now() + 3600)
    c.tx(fn.offer(request_id, short), c.bank)
    c.travel_to(short[3] + 1)
    c.expect_revert(
        lambda: c.tx(fn.acceptOffer(request_id, c.bank, short), c.supplier1),
        "FundingDeadlinePassed",
        request_id,
        short[3],
    )


def test_requester_withdraws_until_it_accepts(consortium: Consortium) -> None:
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
    assert c.request_record(request_id)["status"] == WITHDRAWN
    assert c.piece(token_id).state == ACTIVE
    assert fn.openRequestOf(token_id).call() == 0
    assert fn.openCount().call() == 0
    c.expect_revert(
        lambda: c.tx(fn.withdraw(request_id), c.supplier1),
        "InvalidRequestStatus",
        request_id,
        WITHDRAWN,
    )
    c.expect_revert(lambda: c.tx(fn.withdraw(77), c.supplier1), "UnknownRequest", 77)
    c.split(token_id, "supplier2", 10)  # unlocked: it moves again


def test_request_closes_when_every_named_financier_declines(consortium: Consortium) -> None:
    c = consortium
    fn = c.financing.functions
    token_id = active_piece(c)
    request_id = c.request(token_id, financier=["bank", "bank2"])
    c.expect_revert(
        lambda: c.tx(fn.reject(request_id, h("x")), c.supplier2),
        "NotFinancier",
        request_id,
        c.supplier2,
    )
    c.tx(fn.offer(request_id, c.asked_terms(request_id)), c.bank)
    receipt = c.tx(fn.reject(request_id, h("concentration")), c.bank)
    assert event_args(c.financing, "FinancingRejected", receipt) == [
        {
            "requestId": request_id,
            "tokenId": token_id,
            "financier": c.bank,
            "reason": h("concentration"),
            "closed": False,
        }
    ]
    assert c.struct(fn.getOffer(request_id, c.bank))["status"] == DECLINED
    c.expect_revert(
        lambda: c.tx(fn.reject(request_id, h("x")), c.bank), "AlreadyDeclined", request_id, c.bank
    )
    c.expect_revert(  # a decline is final: no offer after it
        lambda: c.tx(fn.offer(request_id, c.asked_terms(request_id)), c.bank),
        "AlreadyDeclined",
        request_id,
        c.bank,
    )
    c.expect_revert(
        lambda: c.tx(fn.acceptOffer(request_id, c.bank, c.asked_terms(request_id)), c.supplier1),
        "NoOffer",
        request_id,
        c.bank,
    )
    assert c.piece(token_id).state == FINANCING
    receipt = c.tx(fn.reject(request_id, h("limits")), c.bank2)
    assert event_args(c.financing, "FinancingRejected", receipt)[0]["closed"] is True
    assert c.request_record(request_id)["status"] == REJECTED
    assert c.piece(token_id).state == ACTIVE


def test_unanswered_and_unfunded_requests_expire(consortium: Consortium) -> None:
    c = consortium
    fn = c.financing.functions
    first, second = active_piece(c), active_piece(c)
    unanswered = c.request(first)
    unfunded = c.request_accepted(second)
    expires = c.request_record(unanswered)["expiresAt"]
    fund_by = c.request_record(unfunded)["agreed"]["fundBy"]
    c.expect_revert(
        lambda: c.tx(fn.expire(unanswered), c.auditor), "RequestNotExpired", unanswered, expires
    )
    c.expect_revert(
        lambda: c.tx(fn.expire(unfunded), c.supplier1), "RequestNotExpired", unfunded, fund_by
    )
    c.travel_to(max(expires, fund_by) + 1)
    c.expect_revert(
        lambda: c.tx(fn.offer(unanswered, (1, 1, 0, c.now() + 10)), c.bank),
        "RequestExpired",
        unanswered,
        expires,
    )
    c.expect_revert(
        lambda: c.tx(fn.fund(unfunded, h("w")), c.bank), "FundingDeadlinePassed", unfunded, fund_by
    )
    receipt = c.tx(fn.expire(unanswered), c.auditor)  # any active member may lapse it
    assert event_args(c.financing, "FinancingExpired", receipt) == [
        {"requestId": unanswered, "tokenId": first}
    ]
    c.tx(fn.expire(unfunded), c.supplier1)  # the requester cancels an unfunded acceptance
    assert (c.request_record(unanswered)["status"], c.request_record(unfunded)["status"]) == (
        EXPIRED,
        EXPIRED,
    )
    assert (c.piece(first).state, c.piece(second).state) == (ACTIVE, ACTIVE)
    c.expect_revert(
        lambda: c.tx(fn.expire(unfunded), c.auditor), "InvalidRequestStatus", unfunded, EXPIRED
    )


# ---- fund ----------------------------------------------------------------------------------


def test_factoring_assigns_the_piece_to_the_financier(consortium: Consortium) -> None:
    c = consortium
    fn = c.financing.functions
    token_id = active_piece(c)
    request_id = c.request(token_id, amount=950_000)
    c.expect_revert(
        lambda: c.tx(fn.fund(request_id, h("w")), c.bank), "NotFinancier", request_id, c.bank
    )
    c.tx(fn.offer(request_id, c.asked_terms(request_id)), c.bank)
    c.expect_revert(lambda: c.tx(fn.fund(request_id, b"\0" * 32), c.bank), "MissingPaymentRef")
    receipt = c.tx(fn.fund(request_id, h("SWIFT-123")), c.bank)
    assert event_args(c.financing, "FinancingFunded", receipt) == [
        {
            "requestId": request_id,
            "tokenId": token_id,
            "financier": c.bank,
            "advance": 950_000,
            "fees": 0,
            "mode": FACTORING,
            "paymentRef": h("SWIFT-123"),
            "paidOnChain": False,
        }
    ]
    assert event_args(c.token, "Transfer", receipt) == [
        {"from": c.supplier1, "to": c.bank, "tokenId": token_id}
    ]
    assert c.piece(token_id).holder == c.bank
    assert c.piece(token_id).state == FINANCED
    record = c.request_record(request_id)
    assert (record["status"], record["paymentRef"]) == (FUNDED, h("SWIFT-123"))
    assert fn.openRequestOf(token_id).call() == 0
    assert fn.fundedRequestOf(token_id).call() == request_id
    assert fn.lienOf(token_id).call() == [0, ZERO, 0]
    assert fn.openCount().call() == 0  # a factoring without recourse needs nothing more here


def test_pledge_keeps_the_piece_with_its_holder_under_a_lien(consortium: Consortium) -> None:
    c = consortium
    fn = c.financing.functions
    token_id = active_piece(c)
    request_id = c.request_funded(
        token_id, terms=c.terms(token_id, advance=500_000, repayment=520_000), pledge=True
    )
    assert c.piece(token_id).holder == c.supplier1
    assert c.piece(token_id).state == FINANCED
    assert fn.lienOf(token_id).call() == [request_id, c.bank, 520_000]
    assert fn.amountOwed(request_id).call() == 520_000
    assert fn.openCount().call() == 1


def test_funding_fails_for_another_financier_or_a_suspended_seller(consortium: Consortium) -> None:
    c = consortium
    fn = c.financing.functions
    token_id = active_piece(c)
    request_id = c.request_accepted(token_id)
    c.expect_revert(
        lambda: c.tx(fn.fund(request_id, h("w")), c.bank2), "NotFinancier", request_id, c.bank2
    )
    c.govern(c.registry.functions.suspendMember(c.supplier1, h("inquiry")))
    c.expect_revert(
        lambda: c.tx(fn.fund(request_id, h("w")), c.bank), "NotActiveMember", c.supplier1
    )
    assert c.request_record(request_id)["status"] == ACCEPTED


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
    c.transfer(token_id, "supplier2")
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
    asked = c.asked_terms(request_id)
    # The funding bank cannot fund again, offer again, or have the piece requested anew.
    c.expect_revert(
        lambda: c.tx(fn.fund(request_id, h("again")), c.bank),
        "InvalidRequestStatus",
        request_id,
        FUNDED,
    )
    c.expect_revert(
        lambda: c.tx(fn.offer(request_id, asked), c.bank),
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
        lambda: c.request(other, financier="bank2", sender="bank", terms=asked),
        "InvalidPieceState",
        other,
        FINANCED,
    )


# ---- repay and recourse --------------------------------------------------------------------


def test_financier_confirms_pledge_repayment_and_the_piece_is_freed(consortium: Consortium) -> None:
    c = consortium
    fn = c.financing.functions
    token_id = active_piece(c)
    terms = c.terms(token_id, advance=400_000, repayment=420_000)
    request_id = c.request_funded(token_id, terms=terms, pledge=True)
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
    assert c.request_record(request_id)["status"] == REPAID
    assert c.piece(token_id).state == ACTIVE
    assert fn.lienOf(token_id).call() == [0, ZERO, 0]
    assert fn.openCount().call() == 0
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
    receivable = c.receivable(c.piece(token_id).slot)
    grace, default = receivable["gracePeriod"], receivable["defaultPeriod"]
    c.travel_to(due + grace)
    c.tx(c.token.functions.markOverdue(token_id), c.auditor)
    c.travel_to(due + grace + default)
    c.tx(c.token.functions.markDefaulted(token_id), c.auditor)


def test_recourse_financier_claims_against_the_seller_after_default(consortium: Consortium) -> None:
    c = consortium
    fn = c.financing.functions
    slot, token_id = c.issue_active(amount=1_000_000)
    terms = c.terms(token_id, advance=900_000, repayment=909_000)
    request_id = c.request_funded(token_id, terms=terms, recourse=True)
    assert fn.openCount().call() == 1  # recourse: the module may still have to act
    c.expect_revert(
        lambda: c.tx(fn.claimRecourse(request_id), c.bank), "InvalidPieceState", token_id, FINANCED
    )
    default_piece(c, token_id)
    assert c.piece(token_id).state == DEFAULTED
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
    assert c.request_record(request_id)["status"] == RECOURSE_CLAIMED
    c.expect_revert(
        lambda: c.tx(fn.repayRecourse(request_id, h("r")), c.supplier1),
        "NotFinancier",
        request_id,
        c.supplier1,
    )
    c.tx(fn.repayRecourse(request_id, h("recourse-paid")), c.bank)
    assert c.request_record(request_id)["status"] == RECOURSE_REPAID
    assert fn.openCount().call() == 0
    assert c.piece(token_id).holder == c.supplier1  # the seller holds the claim on the debtor again
    assert c.piece(token_id).state == DEFAULTED
    receipt = c.tx(c.token.functions.settle(token_id, h("late-payment")), c.core)
    assert event_args(c.token, "SettlementSubmitted", receipt)[0]["payee"] == c.supplier1
    c.confirm(token_id)
    assert c.receivable(slot)["settledValue"] == 1_000_000


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
    c.expect_revert(
        lambda: c.tx(fn.bindModules(ZERO, ZERO, ZERO), c.deployer),
        "ModuleBindingClosed",
        c.deployer,
    )
    c.expect_revert(
        lambda: c.tx(fn.bindModules(ZERO, ZERO, ZERO), c.admin1), "ModuleBindingClosed", c.admin1
    )
    c.expect_revert(lambda: c.tx(fn.setModules(ZERO, ZERO), c.admin1), "OnlyGovernance", c.admin1)
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
    fn = c.financing.functions
    c.expect_revert(lambda: c.call(fn.getRequest(42)), "UnknownRequest", 42)
    c.expect_revert(lambda: c.call(fn.amountOwed(42)), "UnknownRequest", 42)
    c.expect_revert(lambda: c.call(fn.getOffer(42, c.bank)), "UnknownRequest", 42)
    assert c.piece(token_id).state == state
