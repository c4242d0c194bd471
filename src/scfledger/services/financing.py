"""Financing as offer and acceptance: a holder asks one or several financiers at terms it
names, each financier may offer explicit amounts, the holder accepts one offer, and only the
accepted financier funds, only on the accepted terms (see docs/contracts.md); and the reads
of financing requests.

Writes check what the caller may see and the shape of the input, then let the contract
decide (services.ledger): who may act, in which status, by which deadline.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from eth_utils.address import to_checksum_address
from sqlalchemy import select
from sqlalchemy.orm import Session

from scfledger.chain.calls import ContractCall
from scfledger.chain.generated import MAX_FINANCIERS, Mode
from scfledger.db.projections import FinancingRequest
from scfledger.exceptions import InvalidInput
from scfledger.outbox.operation import OperationView
from scfledger.services import payment_refs
from scfledger.services.ledger import (
    Actor,
    Idempotency,
    Ledger,
    bytes32,
    checked_address,
    submit,
)
from scfledger.services.visibility import (
    agreed_clause,
    request_clause,
    visible_piece,
    visible_request,
)


class Terms(NamedTuple):
    """Financing terms as amounts in minor units of the piece's currency (the contract's
    `Terms`): `advance` paid at funding, gross; `fees` deducted from it; `repayment` what
    repays a pledge (and caps the lien) or what the seller owes on recourse; `fund_by` the
    funding deadline (Unix seconds)."""

    advance: int
    repayment: int
    fees: int
    fund_by: int

    def check(self) -> None:
        if self.fees > self.advance:
            raise InvalidInput(f"fees {self.fees} exceed the advance {self.advance}")


def _call(ledger: Ledger, function: str, *args: object) -> ContractCall:
    return ContractCall("Financing", ledger.contracts.financing, function, args)


def _on_request(
    ledger: Ledger,
    actor: Actor,
    idempotency: Idempotency,
    request_id: int,
    call: ContractCall,
    kind: str,
    payment_ref: str | None = None,
) -> OperationView:
    """Submits a call on a request the actor sees; one that pays (`payment_ref`) records
    the reference for its payer and payee: the financier pays the advance, the requester
    repays."""
    with ledger.sessions() as session:
        request = visible_request(session, actor, request_id)
        requester, financier = request.requester, request.financier or ""
    if payment_ref is None:
        return submit(ledger, actor, idempotency, call, kind)
    payer, payee = (financier, requester) if kind == "financing.fund" else (requester, financier)
    return payment_refs.submit_payment(
        ledger,
        actor,
        idempotency,
        call,
        kind,
        text=payment_ref,
        payer=payer or actor.address,
        payees=[payee] if payee else [],
    )


def request_financing(
    *,
    ledger: Ledger,
    actor: Actor,
    idempotency: Idempotency,
    token_id: int,
    financiers: Sequence[str],
    terms: Terms,
    mode: str,
    recourse: bool,
) -> OperationView:
    """The holder asks one to five financiers for financing of its piece at `terms` (the
    piece is locked until the request closes)."""
    terms = Terms(*terms)
    terms.check()
    if not 1 <= len(financiers) <= MAX_FINANCIERS:
        raise InvalidInput(f"name 1 to {MAX_FINANCIERS} financiers")
    addresses = [checked_address(f, "financier") for f in financiers]
    if len(set(addresses)) != len(addresses):
        raise InvalidInput("financiers repeat a financier")
    with ledger.sessions() as session:
        visible_piece(session, actor, token_id)
    if actor.address in addresses:
        raise InvalidInput("the holder cannot finance its own piece")
    mode_value = int(Mode.of_label(mode))
    call = _call(ledger, "request", token_id, addresses, tuple(terms), mode_value, recourse)
    return submit(ledger, actor, idempotency, call, "financing.request")


def offer_financing(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, request_id: int, terms: Terms
) -> OperationView:
    """A named financier offers explicit terms (replacing its earlier offer). A sole named
    financier offering exactly the asked terms is accepted at once by the contract."""
    terms = Terms(*terms)
    terms.check()
    call = _call(ledger, "offer", request_id, tuple(terms))
    return _on_request(ledger, actor, idempotency, request_id, call, "financing.offer")


def accept_offer(
    *,
    ledger: Ledger,
    actor: Actor,
    idempotency: Idempotency,
    request_id: int,
    financier: str,
    terms: Terms,
) -> OperationView:
    """The requester accepts a financier's standing offer. The terms are repeated so that an
    offer replaced meanwhile cannot be accepted unseen (the contract refuses a mismatch)."""
    bank = checked_address(financier, "financier")
    call = _call(ledger, "acceptOffer", request_id, bank, tuple(Terms(*terms)))
    return _on_request(ledger, actor, idempotency, request_id, call, "financing.accept")


def reject_financing(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, request_id: int, reason: str
) -> OperationView:
    """A named financier declines; the request closes (the piece unlocked) when every named
    financier has."""
    call = _call(ledger, "reject", request_id, bytes32(reason, "reason"))
    return _on_request(ledger, actor, idempotency, request_id, call, "financing.reject")


def withdraw_financing(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, request_id: int
) -> OperationView:
    """The requester withdraws a request before accepting an offer; the piece is unlocked."""
    call = _call(ledger, "withdraw", request_id)
    return _on_request(ledger, actor, idempotency, request_id, call, "financing.withdraw")


def expire_financing(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, request_id: int
) -> OperationView:
    """Lapses a request past its deadline: unanswered past its expiry, or accepted and not
    funded by the agreed `fund_by` (the requester's way to cancel); the piece is unlocked.
    Any active member who sees the request may; the contract checks the clock."""
    call = _call(ledger, "expire", request_id)
    return _on_request(ledger, actor, idempotency, request_id, call, "financing.expire")


def fund_financing(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, request_id: int, payment_ref: str
) -> OperationView:
    """The accepted financier records the advance's payment by the agreed deadline; the
    piece is assigned (factoring) or pledged."""
    call = _call(ledger, "fund", request_id, bytes32(payment_ref, "payment_ref"))
    kind = "financing.fund"
    return _on_request(ledger, actor, idempotency, request_id, call, kind, payment_ref)


def repay_financing(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, request_id: int, payment_ref: str
) -> OperationView:
    """Repayment of a funded pledge loan (the agreed `repayment`); releases the lien."""
    call = _call(ledger, "repay", request_id, bytes32(payment_ref, "payment_ref"))
    kind = "financing.repay"
    return _on_request(ledger, actor, idempotency, request_id, call, kind, payment_ref)


def claim_recourse(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, request_id: int
) -> OperationView:
    """The financier of a recourse factoring claims against the seller once the piece has
    defaulted (the contract checks the piece)."""
    call = _call(ledger, "claimRecourse", request_id)
    return _on_request(ledger, actor, idempotency, request_id, call, "financing.claim_recourse")


def repay_recourse(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, request_id: int, payment_ref: str
) -> OperationView:
    """The seller's repayment of a recourse claim (the agreed `repayment`): confirmed by the
    financier, or paid on chain by the seller with a deposit token; the piece goes back to
    the seller. Refused once the debtor has paid (the claim closed)."""
    call = _call(ledger, "repayRecourse", request_id, bytes32(payment_ref, "payment_ref"))
    kind = "financing.repay_recourse"
    return _on_request(ledger, actor, idempotency, request_id, call, kind, payment_ref)


# -- reads (who sees what: services.visibility) ------------------------------------------


def list_requests(
    session: Session,
    actor: Actor,
    *,
    after: int | None,
    limit: int,
    status: str | None = None,
    token_id: int | None = None,
    financier: str | None = None,
) -> list[FinancingRequest]:
    """Financing requests by id after the cursor: those the caller asked for or was asked
    to finance (auditors: all). `financier`: only those whose offer accepted is that
    financier's, among the requests whose agreed terms the caller sees (a financier named
    beside it does not learn who won)."""
    where: list[Any] = []
    if after is not None:
        where.append(FinancingRequest.id > after)
    if status is not None:
        where.append(FinancingRequest.status == status)
    if token_id is not None:
        where.append(FinancingRequest.token_id == token_id)
    if financier is not None:
        where.append(FinancingRequest.financier == to_checksum_address(financier))
        if (agreed := agreed_clause(actor)) is not None:
            where.append(agreed)
    if not actor.is_auditor:
        where.append(request_clause(actor))
    query = select(FinancingRequest).where(*where).order_by(FinancingRequest.id).limit(limit)
    return list(session.scalars(query))
