"""Delivery versus payment: the deposit token pays advances, repayments and settlements in
the same transaction as the ledger change, and only members hold it."""

from __future__ import annotations

from scfledger.chain.tx import event_args
from tests.support.ledger import FINANCIER, STARTING_CASH, Consortium, h

FINANCED, SETTLED = 4, 5


def balances(c: Consortium, *names: str) -> list[int]:
    return [c.cash.functions.balanceOf(c.accounts[n]).call() for n in names]


def test_deposit_token_is_issued_by_its_financier_and_held_only_by_members(
    dvp_consortium: Consortium,
) -> None:
    c = dvp_consortium
    fn = c.cash.functions
    assert fn.issuer().call() == c.bank
    assert fn.decimals().call() == 2
    c.expect_revert(lambda: c.tx(fn.mint(c.supplier1, 1), c.bank2), "NotIssuer", c.bank2)
    c.expect_revert(lambda: c.tx(fn.mint(c.outsider, 1), c.bank), "NotActiveMember", c.outsider)
    c.expect_revert(
        lambda: c.tx(fn.transfer(c.outsider, 1), c.supplier1), "NotActiveMember", c.outsider
    )
    c.govern(c.registry.functions.suspendMember(c.supplier1, h("inquiry")))
    c.expect_revert(
        lambda: c.tx(fn.transfer(c.supplier2, 1), c.supplier1), "NotActiveMember", c.supplier1
    )
    c.expect_revert(
        lambda: c.tx(fn.transfer(c.cash.address, 1), c.supplier2), "NotActiveMember", c.cash.address
    )
    c.expect_revert(lambda: c.tx(fn.claimEscrow(), c.supplier2), "NothingEscrowed", c.supplier2)
    assert fn.ledger().call() == c.token.address
    supply = fn.totalSupply().call()
    c.tx(fn.burn(1000), c.bank)
    assert fn.totalSupply().call() == supply - 1000


def test_issuer_that_lost_its_financier_role_cannot_mint(dvp_consortium: Consortium) -> None:
    c = dvp_consortium
    c.govern(c.registry.functions.setRoles(c.bank, 1 << 2))
    c.expect_revert(
        lambda: c.tx(c.cash.functions.mint(c.bank, 1), c.bank), "MissingRole", c.bank, FINANCIER
    )


def test_funding_pays_the_advance_and_assigns_the_piece_in_one_transaction(
    dvp_consortium: Consortium,
) -> None:
    c = dvp_consortium
    _, token_id = c.issue_active(amount=1_000_000)
    terms = c.terms(token_id, advance=970_000, fees=5_000)
    request_id = c.request_accepted(token_id, terms=terms)
    before = balances(c, "bank", "supplier1")
    receipt = c.tx(c.financing.functions.fund(request_id, h("dvp-1")), c.bank)
    # The requester receives the advance net of the agreed fees.
    assert balances(c, "bank", "supplier1") == [before[0] - 965_000, before[1] + 965_000]
    assert event_args(c.financing, "FinancingFunded", receipt)[0]["paidOnChain"] is True
    assert event_args(c.token, "Transfer", receipt) == [
        {"from": c.supplier1, "to": c.bank, "tokenId": token_id}
    ]
    assert c.piece(token_id).holder == c.bank


def test_funding_without_cash_allowance_fails_and_changes_nothing(
    dvp_consortium: Consortium,
) -> None:
    c = dvp_consortium
    _, token_id = c.issue_active(amount=1_000_000)
    request_id = c.request_accepted(token_id, financier="bank2", amount=500_000)
    c.tx(c.cash.functions.approve(c.financing.address, 0), c.bank2)
    before = balances(c, "bank2", "supplier1")
    c.expect_revert(
        lambda: c.tx(c.financing.functions.fund(request_id, h("w")), c.bank2),
        "ERC20InsufficientAllowance",
        c.financing.address,
        0,
        500_000,
    )
    assert balances(c, "bank2", "supplier1") == before
    assert c.piece(token_id).holder == c.supplier1
    assert c.request_record(request_id)["status"] == 2  # still accepted


def test_settlement_pays_holders_and_the_lien_holder_in_the_settling_transaction(
    dvp_consortium: Consortium,
) -> None:
    c = dvp_consortium
    slot, root = c.issue_active(amount=1_000_000)
    pledged = c.split(root, "supplier2", 400_000)
    terms = c.terms(pledged, advance=300_000, repayment=330_000)
    c.request_funded(pledged, terms=terms, pledge=True, sender="supplier2")
    c.travel_to(c.due_date(root))
    before = balances(c, "core", "supplier1", "supplier2", "bank")
    c.tx(c.token.functions.settleBatch(slot, [root, pledged], h("maturity")), c.core)
    after = balances(c, "core", "supplier1", "supplier2", "bank")
    assert after == [
        before[0] - 1_000_000,
        before[1] + 600_000,
        before[2] + 400_000 - 330_000,
        before[3] + 330_000,
    ]


def test_borrower_repays_a_pledge_on_chain(dvp_consortium: Consortium) -> None:
    c = dvp_consortium
    _, token_id = c.issue_active(amount=1_000_000)
    terms = c.terms(token_id, advance=500_000, repayment=510_000)
    request_id = c.request_funded(token_id, terms=terms, pledge=True)
    before = balances(c, "supplier1", "bank")
    receipt = c.tx(c.financing.functions.repay(request_id, h("repay")), c.supplier1)
    assert event_args(c.financing, "LoanRepaid", receipt)[0]["paidOnChain"] is True
    assert balances(c, "supplier1", "bank") == [before[0] - 510_000, before[1] + 510_000]
    assert c.piece(token_id).state == 2


def test_seller_repays_recourse_on_chain_and_gets_the_piece_back(
    dvp_consortium: Consortium,
) -> None:
    c = dvp_consortium
    _, token_id = c.issue_active(amount=1_000_000)
    terms = c.terms(token_id, advance=800_000, repayment=800_000)
    request_id = c.request_funded(token_id, terms=terms, recourse=True)
    due = c.due_date(token_id)
    c.travel_to(due + 3 * 86_400)
    c.tx(c.token.functions.markOverdue(token_id), c.auditor)
    c.travel_to(due + 33 * 86_400)
    c.tx(c.token.functions.markDefaulted(token_id), c.auditor)
    c.tx(c.financing.functions.claimRecourse(request_id), c.bank)
    before = balances(c, "supplier1", "bank")
    c.tx(c.financing.functions.repayRecourse(request_id, h("buyback")), c.supplier1)
    assert balances(c, "supplier1", "bank") == [before[0] - 800_000, before[1] + 800_000]
    assert c.piece(token_id).holder == c.supplier1


def test_cash_supply_is_unchanged_by_the_lifecycle(dvp_consortium: Consortium) -> None:
    c = dvp_consortium
    supply = c.cash.functions.totalSupply().call()
    slot, root = c.issue_active(amount=1_000_000)
    c.request_funded(root, amount=900_000)
    c.travel_to(c.due_date(root))
    c.tx(c.token.functions.settle(root, h("p")), c.core)
    assert c.cash.functions.totalSupply().call() == supply
    assert (
        sum(balances(c, *[n for n in c.accounts if n not in ("admin1", "admin2", "admin3")]))
        == supply
    )
    assert supply == STARTING_CASH * 9
    assert c.piece(root).state == SETTLED
    assert c.receivable_record(slot).settled_value == 1_000_000
