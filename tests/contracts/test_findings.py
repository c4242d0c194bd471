"""Regression tests for the consent audit (issue 13): one test or more per finding, named
after it. Each attack of the audit is replayed and must now fail with its exact error, or
end the way the consent principle of DESIGN.md says it must."""

from __future__ import annotations

import hashlib
from dataclasses import fields

from scfledger.chain.deploy import LedgerParams, deploy_contract
from scfledger.chain.tx import event_args
from tests.support.ledger import (
    ADMINS,
    CORE_ENTERPRISE,
    DAY,
    FINANCIER,
    MEMBERS,
    Consortium,
    h,
    legal_id,
)

# PieceState
PENDING, ACTIVE, FINANCING, FINANCED, SETTLED, OVERDUE, DEFAULTED = 1, 2, 3, 4, 5, 6, 7
REJECTED, CANCELLED, AWAITING, EXPIRED = 8, 9, 10, 11
R_EXPIRED = 6
# RequestStatus
REQUESTED, ACCEPTED, FUNDED, SETTLED_REQUEST, RECOURSE_CLAIMED = 1, 2, 6, 8, 9
ZERO = "0x" + "00" * 20


def cash(c: Consortium, *names: str) -> list[int]:
    return [c.cash.functions.balanceOf(c.accounts[n]).call() for n in names]


def default_piece(c: Consortium, token_id: int) -> None:
    due = c.due_date(token_id)
    c.travel_to(due + 3 * DAY)
    c.tx(c.token.functions.markOverdue(token_id), c.auditor)
    c.travel_to(due + 33 * DAY)
    c.tx(c.token.functions.markDefaulted(token_id), c.auditor)


# ---- F1: the financier no longer sets the terms alone ---------------------------------------


def test_f1_financier_cannot_fund_terms_the_requester_did_not_accept(
    consortium: Consortium,
) -> None:
    c = consortium
    fn = c.financing.functions
    _, token_id = c.issue_active(amount=1_000_000)
    asked = c.terms(token_id, advance=900_000, repayment=927_000)
    request_id = c.request(token_id, terms=asked)
    # The audit's attack: answer with an advance of 1 and take the piece at once.
    c.tx(fn.offer(request_id, (1, 0, 0, asked[3])), c.bank)
    c.expect_revert(
        lambda: c.tx(fn.fund(request_id, h("w")), c.bank), "NotFinancier", request_id, c.bank
    )
    assert c.request_record(request_id)["status"] == REQUESTED
    assert c.piece(token_id)[2:7:4] == (c.supplier1, FINANCING)
    # Only terms the requester accepts can be funded, and exactly those are recorded.
    c.tx(fn.offer(request_id, asked), c.bank)  # a sole financier at the asked terms: accepted
    receipt = c.tx(fn.fund(request_id, h("w")), c.bank)
    assert event_args(c.financing, "FinancingFunded", receipt)[0]["advance"] == 900_000


def test_f1_pledge_lien_is_the_repayment_the_requester_accepted(consortium: Consortium) -> None:
    c = consortium
    fn = c.financing.functions
    _, token_id = c.issue_active(amount=1_000_000)
    request_id = c.request(token_id, financier=["bank", "bank2"], amount=500_000, pledge=True)
    greedy = c.terms(token_id, advance=500_000, repayment=1_000_000)
    fair = c.terms(token_id, advance=500_000, repayment=515_000)
    c.tx(fn.offer(request_id, greedy), c.bank)
    c.tx(fn.offer(request_id, fair), c.bank2)
    c.expect_revert(
        lambda: c.tx(fn.fund(request_id, h("w")), c.bank), "NotFinancier", request_id, c.bank
    )
    c.tx(fn.acceptOffer(request_id, c.bank2, fair), c.supplier1)
    c.tx(fn.fund(request_id, h("w")), c.bank2)
    assert fn.lienOf(token_id).call() == [request_id, c.bank2, 515_000]


# ---- F8: withdraw can no longer race fund ----------------------------------------------------


def test_f8_accepted_request_cannot_be_withdrawn_or_financed_elsewhere(
    consortium: Consortium,
) -> None:
    c = consortium
    fn = c.financing.functions
    _, token_id = c.issue_active(amount=1_000_000)
    request_id = c.request(token_id, financier=["bank", "bank2"])
    terms = c.asked_terms(request_id)
    c.tx(fn.offer(request_id, terms), c.bank)
    c.tx(fn.acceptOffer(request_id, c.bank, terms), c.supplier1)
    # The bank wires off-chain; the seller's withdraw can no longer land first.
    c.expect_revert(
        lambda: c.tx(fn.withdraw(request_id), c.supplier1),
        "InvalidRequestStatus",
        request_id,
        ACCEPTED,
    )
    c.expect_revert(
        lambda: c.request(token_id, financier="bank2", terms=terms),
        "InvalidPieceState",
        token_id,
        FINANCING,
    )
    c.expect_revert(
        lambda: c.tx(fn.fund(request_id, h("w2")), c.bank2), "NotFinancier", request_id, c.bank2
    )
    c.tx(fn.fund(request_id, h("w1")), c.bank)
    assert c.piece(token_id)[2:7:4] == (c.bank, FINANCED)


def test_f8_unfunded_acceptance_lapses_at_its_deadline_and_frees_the_piece(
    consortium: Consortium,
) -> None:
    c = consortium
    fn = c.financing.functions
    _, token_id = c.issue_active(amount=1_000_000)
    request_id = c.request_accepted(token_id)
    fund_by = c.request_record(request_id)["agreed"]["fundBy"]
    c.travel_to(fund_by + 1)
    c.expect_revert(
        lambda: c.tx(fn.fund(request_id, h("w")), c.bank),
        "FundingDeadlinePassed",
        request_id,
        fund_by,
    )
    c.tx(fn.expire(request_id), c.supplier1)
    assert c.piece(token_id).state == ACTIVE


# ---- F2: recourse ends when the debtor pays -------------------------------------------------


def test_f2_debtor_settlement_closes_an_open_recourse_claim(consortium: Consortium) -> None:
    c = consortium
    fn = c.financing.functions
    _, token_id = c.issue_active(amount=1_000_000)
    terms = c.terms(token_id, advance=900_000, repayment=927_000)
    request_id = c.request_funded(token_id, terms=terms, recourse=True)
    default_piece(c, token_id)
    c.tx(fn.claimRecourse(request_id), c.bank)
    c.tx(c.token.functions.settle(token_id, h("debtor-pays")), c.core)
    # While the payment awaits the bank's confirmation the seller cannot be made to pay too.
    c.expect_revert(
        lambda: c.tx(fn.repayRecourse(request_id, h("r")), c.bank),
        "InvalidPieceState",
        token_id,
        AWAITING,
    )
    receipt = c.confirm(token_id)
    assert event_args(c.financing, "FinancingSettled", receipt) == [
        {"requestId": request_id, "tokenId": token_id, "financier": c.bank, "amount": 1_000_000}
    ]
    c.expect_revert(
        lambda: c.tx(fn.repayRecourse(request_id, h("r")), c.bank),
        "InvalidRequestStatus",
        request_id,
        SETTLED_REQUEST,
    )
    assert fn.openCount().call() == 0


def test_f2_delivery_versus_payment_pays_the_financier_once(dvp_consortium: Consortium) -> None:
    c = dvp_consortium
    fn = c.financing.functions
    _, token_id = c.issue_active(amount=1_000_000)
    terms = c.terms(token_id, advance=900_000, repayment=927_000)
    request_id = c.request_funded(token_id, terms=terms, recourse=True)
    default_piece(c, token_id)
    c.tx(fn.claimRecourse(request_id), c.bank)
    before = cash(c, "bank", "supplier1")
    c.tx(c.token.functions.settle(token_id, h("p")), c.core)
    c.expect_revert(
        lambda: c.tx(fn.repayRecourse(request_id, h("r")), c.supplier1),
        "InvalidRequestStatus",
        request_id,
        SETTLED_REQUEST,
    )
    assert cash(c, "bank", "supplier1") == [before[0] + 1_000_000, before[1]]


# ---- F3: off-chain settlement is no longer the debtor's word alone ---------------------------


def test_f3_off_chain_settlement_needs_a_reference_and_the_payees_confirmation(
    consortium: Consortium,
) -> None:
    c = consortium
    fn = c.token.functions
    slot, root = c.issue_active(amount=1_000_000)
    child = c.split(root, "supplier2", 400_000)
    request_id = c.request_funded(child, recourse=True, sender="supplier2")
    c.travel_to(c.due_date(root))
    c.expect_revert(
        lambda: c.tx(fn.settleBatch(slot, [root, child], b"\0" * 32), c.core), "MissingPaymentRef"
    )
    c.tx(fn.settleBatch(slot, [root, child], h("claimed-paid")), c.core)
    assert [c.piece(t).state for t in (root, child)] == [AWAITING, AWAITING]
    assert c.receivable(slot)["settledValue"] == 0
    # The bank never got the money: it disputes and keeps overdue, default and recourse.
    c.tx(fn.disputePayment(child, h("not-received")), c.bank)
    assert c.piece(child)[2:7:4] == (c.bank, FINANCED)
    default_piece(c, child)
    c.tx(c.financing.functions.claimRecourse(request_id), c.bank)
    assert c.request_record(request_id)["status"] == RECOURSE_CLAIMED


# ---- F4 and M3: anchors bound to the parties, evidence unique --------------------------------


def test_f4_another_debtors_issue_neither_blocks_nor_uses_the_document(
    consortium: Consortium,
) -> None:
    c = consortium
    fn = c.token.functions
    document = h("invoice-CM-0042")
    squatter, _ = c.issue(debtor="core2", creditor="supplier2", amount=1, document=document)
    slot, _ = c.issue(debtor="core", creditor="supplier1", document=document)  # not blocked
    assert slot != squatter
    own = fn.anchorOf(document, c.core, c.supplier1).call()
    assert fn.slotOfAnchor(own).call() == slot
    assert c.receivable(slot)["anchor"] == own
    assert c.receivable(squatter)["anchor"] != own
    c.expect_revert(
        lambda: c.issue(debtor="core", creditor="supplier1", document=document),
        "DuplicateDocument",
        document,
        slot,
    )


def test_f4_pending_receivable_lapses_and_releases_its_anchor(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    document = h("invoice-lapse")
    slot, root = c.issue(document=document)
    accept_by = c.receivable(slot)["acceptBy"]
    c.expect_revert(
        lambda: c.tx(fn.expire(slot), c.auditor), "AcceptanceWindowOpen", slot, accept_by
    )
    c.travel_to(accept_by + 1)
    c.expect_revert(lambda: c.tx(fn.accept(slot), c.supplier1), "ReceivableLapsed", slot, accept_by)
    c.expect_revert(lambda: c.tx(fn.expire(slot), c.outsider), "NotActiveMember", c.outsider)
    receipt = c.tx(fn.expire(slot), c.auditor)
    assert event_args(c.token, "ReceivableExpired", receipt) == [
        {"slot": slot, "tokenId": root, "by": c.auditor}
    ]
    assert (c.receivable(slot)["status"], c.piece(root).state) == (R_EXPIRED, EXPIRED)
    again, _ = c.issue(document=document)
    assert fn.slotOfAnchor(fn.anchorOf(document, c.core, c.supplier1).call()).call() == again


def test_m3_evidence_hashes_are_unique_ledger_wide(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    _, first = c.issue_active(document=h("invoice-first"))
    _, second = c.issue_active(document=h("invoice-second"), creditor="supplier2")
    c.expect_revert(
        lambda: c.tx(fn.attachEvidence(first, h("invoice-second")), c.supplier1),
        "EvidenceIsDocument",
        h("invoice-second"),
    )
    c.tx(fn.attachEvidence(first, h("delivery-note-7")), c.supplier1)
    c.expect_revert(
        lambda: c.tx(fn.attachEvidence(second, h("delivery-note-7")), c.supplier2),
        "EvidenceAlreadyAttached",
        first,
        h("delivery-note-7"),
    )
    assert fn.pieceOfEvidence(h("delivery-note-7")).call() == first


# ---- F5: the role rule everywhere -------------------------------------------------------------


def test_f5_marking_and_expiry_need_an_active_member(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    _, token_id = c.issue_active()
    request_id = c.request(token_id)
    c.travel_to(c.due_date(token_id) + 40 * DAY)
    c.expect_revert(
        lambda: c.tx(fn.markOverdue(token_id), c.outsider), "NotActiveMember", c.outsider
    )
    c.expect_revert(
        lambda: c.tx(fn.markDefaulted(token_id), c.outsider), "NotActiveMember", c.outsider
    )
    c.expect_revert(
        lambda: c.tx(c.financing.functions.expire(request_id), c.outsider),
        "NotActiveMember",
        c.outsider,
    )
    c.govern(c.registry.functions.suspendMember(c.auditor, h("inquiry")))
    c.expect_revert(
        lambda: c.tx(c.financing.functions.expire(request_id), c.auditor),
        "NotActiveMember",
        c.auditor,
    )


def test_f5_suspended_admin_cannot_cancel_its_proposal(consortium: Consortium) -> None:
    c = consortium
    registry = c.registry.functions
    call = registry.setKycHash(c.bank, h("kyc-2027"))
    c.tx(registry.propose(c.registry.address, call._encode_transaction_data()), c.admin3)
    proposal_id = registry.proposalCount().call()
    c.govern(registry.suspendMember(c.admin3, h("inquiry")))
    c.expect_revert(
        lambda: c.tx(registry.cancel(proposal_id), c.admin3), "NotActiveMember", c.admin3
    )


def test_f5_recourse_repayment_never_hands_the_piece_to_a_suspended_seller(
    consortium: Consortium,
) -> None:
    c = consortium
    fn = c.financing.functions
    _, token_id = c.issue_active()
    request_id = c.request_funded(token_id, recourse=True)
    default_piece(c, token_id)
    c.tx(fn.claimRecourse(request_id), c.bank)
    c.govern(c.registry.functions.suspendMember(c.supplier1, h("inquiry")))
    c.expect_revert(
        lambda: c.tx(fn.repayRecourse(request_id, h("r")), c.bank), "NotActiveMember", c.supplier1
    )
    assert c.piece(token_id).holder == c.bank


def test_f5_deposit_token_spender_must_be_an_active_member(dvp_consortium: Consortium) -> None:
    c = dvp_consortium
    fn = c.cash.functions
    c.tx(fn.approve(c.outsider, 1000), c.supplier1)
    c.tx(fn.approve(c.supplier3, 1000), c.supplier1)
    c.expect_revert(
        lambda: c.tx(fn.transferFrom(c.supplier1, c.supplier2, 1000), c.outsider),
        "NotActiveMember",
        c.outsider,
    )
    c.expect_revert(
        lambda: c.tx(fn.pay(c.supplier1, c.supplier2, 1000), c.outsider),
        "NotActiveMember",
        c.outsider,
    )
    c.govern(c.registry.functions.suspendMember(c.supplier3, h("inquiry")))
    c.expect_revert(
        lambda: c.tx(fn.transferFrom(c.supplier1, c.supplier2, 1000), c.supplier3),
        "NotActiveMember",
        c.supplier3,
    )
    c.govern(c.registry.functions.reinstateMember(c.supplier3))
    before = cash(c, "supplier1", "supplier2")
    c.tx(fn.transferFrom(c.supplier1, c.supplier2, 1000), c.supplier3)
    assert cash(c, "supplier1", "supplier2") == [before[0] - 1000, before[1] + 1000]


# ---- F6: one suspension no longer freezes settlement ------------------------------------------


def test_f6_payment_to_a_suspended_lien_holder_waits_in_escrow(dvp_consortium: Consortium) -> None:
    c = dvp_consortium
    _, root = c.issue_active(amount=1_000_000)
    terms = c.terms(root, advance=500_000, repayment=515_000)
    c.request_funded(root, financier="bank2", terms=terms, pledge=True)
    c.govern(c.registry.functions.suspendMember(c.bank2, h("inquiry")))
    before = cash(c, "core", "supplier1", "bank2")
    c.travel_to(c.due_date(root))
    receipt = c.tx(c.token.functions.settle(root, h("maturity")), c.core)
    assert event_args(c.cash, "PaymentEscrowed", receipt) == [
        {"payee": c.bank2, "payer": c.core, "amount": 515_000}
    ]
    assert cash(c, "core", "supplier1", "bank2") == [
        before[0] - 1_000_000,
        before[1] + 485_000,
        before[2],
    ]
    assert c.piece(root).state == SETTLED  # the debtor is discharged, not driven to default
    assert c.cash.functions.escrowOf(c.bank2).call() == 515_000
    c.expect_revert(
        lambda: c.tx(c.cash.functions.claimEscrow(), c.bank2), "NotActiveMember", c.bank2
    )
    c.govern(c.registry.functions.reinstateMember(c.bank2))
    receipt = c.tx(c.cash.functions.claimEscrow(), c.bank2)
    assert event_args(c.cash, "EscrowClaimed", receipt) == [{"payee": c.bank2, "amount": 515_000}]
    assert cash(c, "bank2") == [before[2] + 515_000]
    assert c.cash.functions.escrowOf(c.bank2).call() == 0


def test_f6_suspended_pledgor_does_not_block_the_active_lien_holder(
    dvp_consortium: Consortium,
) -> None:
    c = dvp_consortium
    _, root = c.issue_active(amount=1_000_000)
    terms = c.terms(root, advance=500_000, repayment=515_000)
    c.request_funded(root, financier="bank2", terms=terms, pledge=True)
    c.govern(c.registry.functions.suspendMember(c.supplier1, h("inquiry")))
    before = cash(c, "bank2")
    c.travel_to(c.due_date(root))
    c.tx(c.token.functions.settle(root, h("maturity")), c.core)
    assert cash(c, "bank2") == [before[0] + 515_000]
    assert c.cash.functions.escrowOf(c.supplier1).call() == 485_000


def test_f6_borrower_repays_a_suspended_lien_holder_into_escrow(dvp_consortium: Consortium) -> None:
    c = dvp_consortium
    _, root = c.issue_active(amount=1_000_000)
    terms = c.terms(root, advance=500_000, repayment=515_000)
    request_id = c.request_funded(root, financier="bank2", terms=terms, pledge=True)
    c.govern(c.registry.functions.suspendMember(c.bank2, h("inquiry")))
    c.tx(c.financing.functions.repay(request_id, h("repay")), c.supplier1)
    assert c.cash.functions.escrowOf(c.bank2).call() == 515_000
    assert c.piece(root).state == ACTIVE


def test_f6_off_chain_payee_suspension_does_not_drive_the_debtor_to_default(
    consortium: Consortium,
) -> None:
    c = consortium
    fn = c.token.functions
    _, root = c.issue_active()
    c.govern(c.registry.functions.suspendMember(c.supplier1, h("inquiry")))
    c.travel_to(c.due_date(root))
    c.tx(fn.settle(root, h("wire")), c.core)
    confirm_by = c.struct(fn.settlementOf(root))["confirmBy"]
    c.travel_to(confirm_by + 1)
    c.expect_revert(
        lambda: c.tx(fn.markOverdue(root), c.auditor), "InvalidPieceState", root, AWAITING
    )
    c.tx(fn.finalizeSettlement(root), c.core)
    assert c.piece(root).state == SETTLED


# ---- F7: the debtor never holds its own receivable ---------------------------------------------


def test_f7_debtor_cannot_be_named_financier_of_its_own_receivable(consortium: Consortium) -> None:
    c = consortium
    c.govern(c.registry.functions.setRoles(c.core, CORE_ENTERPRISE | FINANCIER))
    slot, root = c.issue_active()
    c.expect_revert(lambda: c.request(root, financier="core"), "DebtorCannotHold", slot, c.core)
    c.expect_revert(
        lambda: c.request(root, financier=["bank", "core"]), "DebtorCannotHold", slot, c.core
    )
    c.expect_revert(lambda: c.transfer(root, "core"), "DebtorCannotHold", slot, c.core)


# ---- W1: module replacement --------------------------------------------------------------------


def test_w1_financing_module_is_not_replaced_while_it_has_open_requests_or_liens(
    consortium: Consortium,
) -> None:
    c = consortium
    token = c.token.functions
    replacement = deploy_contract(
        c.w3, "Financing", c.deployer, c.registry.address, c.token.address, 7 * DAY
    ).address
    _, root = c.issue_active()
    request_id = c.request(root)
    c.expect_revert(
        lambda: c.govern(token.setModules(replacement, ZERO)), "ModuleInUse", c.financing.address, 1
    )
    c.tx(c.financing.functions.withdraw(request_id), c.supplier1)
    pledge = c.request_funded(root, pledge=True)
    c.expect_revert(
        lambda: c.govern(token.setModules(replacement, ZERO)), "ModuleInUse", c.financing.address, 1
    )
    c.tx(c.financing.functions.repay(pledge, h("repaid")), c.bank)
    c.govern(token.setModules(replacement, ZERO))
    assert token.financing().call() == replacement


# ---- M1, M2, M4: parameters without surprises ---------------------------------------------------


def test_m1_due_date_is_at_most_fifty_years_away(consortium: Consortium) -> None:
    c = consortium
    assert c.token.functions.MAX_TERM().call() == 50 * 365 * DAY
    call = c.token.functions.issue(c.supplier1, 1000, b"CNY", 2**64 - 1, h("forever"))
    exc = c.expect_revert_named(lambda: c.tx(call, c.core), "DueDateTooFar")
    due, latest = exc.values
    assert due == 2**64 - 1
    assert 0 <= latest - 50 * 365 * DAY - c.now() <= 60  # the block's time + MAX_TERM


def test_m2_a_sent_piece_waits_for_the_receivers_signature(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    _, root = c.issue_active(amount=1000)
    child = c.split(root, "supplier2", 400, sign=False)
    assert (c.piece(child).state, c.piece(child).sender) == (PENDING, c.supplier1)  # state, sender
    # Pending: it can neither move nor be financed, and only the receiver signs for it.
    c.expect_revert(
        lambda: c.split(child, "supplier3", 100), "PieceNotTransferable", child, PENDING
    )
    c.expect_revert(
        lambda: c.request(child, terms=(100, 100, 0, c.now() + DAY)),
        "InvalidPieceState",
        child,
        PENDING,
    )
    c.expect_revert(
        lambda: c.tx(fn.acceptPiece(child), c.supplier1), "NotHolder", child, c.supplier1
    )
    c.expect_revert(
        lambda: c.tx(fn.recallPiece(child), c.supplier3), "NotSender", child, c.supplier3
    )
    receipt = c.tx(fn.acceptPiece(child), c.supplier2)
    assert event_args(c.token, "PieceAccepted", receipt) == [
        {"tokenId": child, "receiver": c.supplier2, "sender": c.supplier1}
    ]
    assert c.piece(child).state == ACTIVE
    c.expect_revert(
        lambda: c.tx(fn.acceptPiece(child), c.supplier2), "InvalidPieceState", child, ACTIVE
    )
    _, pending_root = c.issue()
    c.expect_revert(
        lambda: c.tx(fn.acceptPiece(pending_root), c.supplier1),
        "InvalidPieceState",
        pending_root,
        PENDING,
    )


def test_m2_refused_value_goes_back_into_the_senders_piece(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    _, root = c.issue_active(amount=1000)
    child = c.split(root, "supplier2", 400, sign=False)
    receipt = c.tx(fn.refusePiece(child, h("no-order")), c.supplier2)
    assert event_args(c.token, "PieceRefused", receipt) == [
        {
            "tokenId": child,
            "receiver": c.supplier2,
            "sender": c.supplier1,
            "returnedTo": root,
            "reason": h("no-order"),
        }
    ]
    assert (c.piece(root).value, c.piece(child).value, c.piece(child).state) == (1000, 0, REJECTED)
    recalled = c.split(root, "supplier3", 300, sign=False)
    receipt = c.tx(fn.recallPiece(recalled), c.supplier1)
    assert event_args(c.token, "PieceRecalled", receipt)[0]["returnedTo"] == root
    assert (c.piece(root).value, c.piece(recalled).state) == (1000, CANCELLED)


def test_m2_a_piece_whose_parent_moved_on_returns_whole_to_the_sender(
    consortium: Consortium,
) -> None:
    c = consortium
    fn = c.token.functions
    _, root = c.issue_active(amount=1000)
    child = c.split(root, "supplier2", 400, sign=False)
    c.transfer(root, "supplier4")  # the parent now belongs to someone else
    c.tx(fn.refusePiece(child, h("no")), c.supplier2)
    assert c.piece(child)[2:7] == (c.supplier1, 400, root, 1, ACTIVE)
    # A whole transfer arrives pending too, and a recall takes it back.
    c.tx(fn.transferFrom(c.supplier1, c.supplier3, child), c.supplier1)
    assert c.piece(child)[2:7:4] == (c.supplier3, PENDING)
    c.tx(fn.recallPiece(child), c.supplier1)
    assert c.piece(child)[2:7:4] == (c.supplier1, ACTIVE)


def test_m2_deployments_default_to_a_sensible_minimum_piece_value() -> None:
    default = next(f.default for f in fields(LedgerParams) if f.name == "min_piece_value")
    assert default == 10_000  # 100.00 in a currency of two decimals


def test_m4_governed_periods_do_not_change_live_receivables(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    _, live = c.issue_active()
    c.govern(fn.setPeriods(0, 1))
    _, later = c.issue_active(creditor="supplier2")
    due = c.due_date(live)
    c.travel_to(due + 2)
    c.expect_revert(
        lambda: c.tx(fn.markOverdue(live), c.auditor), "GracePeriodRunning", live, due + 3 * DAY
    )
    c.travel_to(c.due_date(later) + 1)
    c.tx(fn.markOverdue(later), c.auditor)  # issued under the new periods
    assert c.piece(later).state == OVERDUE


# ---- P1: salted identity anchors -----------------------------------------------------------------


def test_p1_identity_anchors_are_salted_per_member(consortium: Consortium) -> None:
    c = consortium
    for name in [*ADMINS, *MEMBERS]:
        member = c.registry.functions.getMember(c.accounts[name]).call()
        public_id = legal_id(name)
        assert member[2] == hashlib.sha256(c.salts[name] + public_id.encode()).digest()
        assert member[2] != hashlib.sha256(public_id.encode()).digest()
    assert len({c.salts[n] for n in MEMBERS}) == len(MEMBERS)
