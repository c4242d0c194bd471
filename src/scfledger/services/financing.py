"""Financing as offer and acceptance: a holder asks one or several financiers at terms it
names, each financier may offer explicit amounts, the holder accepts one offer, and only the
accepted financier funds, only on the accepted terms (see docs/contracts.md).

As in `ledger`, every write is first checked against the read model (unknown or unseen ->
RecordNotFound, not the caller's -> ActionForbidden, wrong status -> WrongState) and the
contract checks everything again at estimation, before a nonce is spent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy.orm import Session

from scfledger.chain.calls import ContractCall
from scfledger.db.projections import FinancingOffer, FinancingRequest
from scfledger.exceptions import ActionForbidden, InvalidInput, WrongState
from scfledger.outbox.operation import OperationView
from scfledger.services.ledger import (
    FINANCIER,
    MODES,
    Actor,
    Idempotency,
    Ledger,
    bytes32,
    held_piece,
    member_of,
    submit,
    visible_request,
)

MAX_FINANCIERS = 5  # Financing.MAX_FINANCIERS
OPEN_REQUEST = ("requested", "accepted")


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


def _status(request: FinancingRequest, allowed: Sequence[str], action: str) -> None:
    if request.status not in allowed:
        raise WrongState(
            kind="financing request", key=request.id, state=request.status, action=action
        )


def _call(ledger: Ledger, function: str, *args: object) -> ContractCall:
    return ContractCall("Financing", ledger.contracts.financing, function, args)


def _offer_of(session: Session, request_id: int, financier: str) -> FinancingOffer | None:
    return session.get(FinancingOffer, (request_id, financier))


def _as_requester(session: Session, actor: Actor, request_id: int, action: str) -> FinancingRequest:
    request = visible_request(session, actor, request_id)
    if request.requester != actor.address:
        raise ActionForbidden(
            actor=actor.participant, action=action, reason=f"only the requester may {action}"
        )
    actor.require_active(action)
    return request


def _as_named(session: Session, actor: Actor, request_id: int, action: str) -> FinancingRequest:
    """A request the actor is named in as a financier (else 403 once it may see it)."""
    request = visible_request(session, actor, request_id)
    if _offer_of(session, request_id, actor.address) is None:
        raise ActionForbidden(
            actor=actor.participant, action=action, reason="only a named financier may"
        )
    actor.require(FINANCIER, f"{action} financing")  # e.g. a suspended financier
    return request


def _as_accepted(session: Session, actor: Actor, request_id: int, action: str) -> FinancingRequest:
    """A request whose accepted financier is the actor."""
    request = visible_request(session, actor, request_id)
    if request.financier is None or request.financier != actor.address:
        raise ActionForbidden(
            actor=actor.participant, action=action, reason="only the accepted financier may"
        )
    actor.require(FINANCIER, f"{action} financing")
    return request


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
    with ledger.sessions() as session:
        piece = held_piece(session, actor, token_id, "request financing")
        if terms.advance > piece.value:
            raise InvalidInput(f"advance {terms.advance} exceeds the piece's value {piece.value}")
        banks = [member_of(session, f, "financier") for f in financiers]
    addresses = [b.address for b in banks]
    if len(set(addresses)) != len(addresses):
        raise InvalidInput("financiers repeat a financier")
    for bank in banks:
        if not bank.roles & FINANCIER:
            raise InvalidInput(f"{bank.address} is not a financier")
        if bank.address == actor.address:
            raise InvalidInput("the holder cannot finance its own piece")
    call = _call(ledger, "request", token_id, addresses, tuple(terms), MODES[mode], recourse)
    return submit(ledger, actor, idempotency, call, "financing.request")


def offer_financing(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, request_id: int, terms: Terms
) -> OperationView:
    """A named financier offers explicit terms (replacing its earlier offer). A sole named
    financier offering exactly the asked terms is accepted at once by the contract."""
    terms = Terms(*terms)
    terms.check()
    with ledger.sessions() as session:
        request = _as_named(session, actor, request_id, "offer")
        _status(request, ("requested",), "offer")
    call = _call(ledger, "offer", request_id, tuple(terms))
    return submit(ledger, actor, idempotency, call, "financing.offer")


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
    terms = Terms(*terms)
    with ledger.sessions() as session:
        request = _as_requester(session, actor, request_id, "accept offers")
        _status(request, ("requested",), "accept an offer")
        bank = member_of(session, financier, "financier", active=False)
        offer = _offer_of(session, request_id, bank.address)
        if offer is None or offer.status != "made":
            state = "no offer" if offer is None else f"offer {offer.status}"
            raise WrongState(
                kind="financing request", key=request_id, state=state, action="accept it"
            )
        standing = Terms(
            offer.advance or 0, offer.repayment or 0, offer.fees or 0, offer.fund_by or 0
        )
        if standing != terms:
            raise WrongState(
                kind="financing offer",
                key=f"{request_id}/{bank.address}",
                state=f"offering {standing._asdict()}",
                action="accept other terms",
            )
    call = _call(ledger, "acceptOffer", request_id, bank.address, tuple(terms))
    return submit(ledger, actor, idempotency, call, "financing.accept")


def reject_financing(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, request_id: int, reason: str
) -> OperationView:
    """A named financier declines; the request closes (the piece unlocked) when every named
    financier has."""
    with ledger.sessions() as session:
        request = _as_named(session, actor, request_id, "decline")
        _status(request, ("requested",), "decline")
        offer = _offer_of(session, request_id, actor.address)
        if offer is not None and offer.status == "declined":
            raise WrongState(
                kind="financing request", key=request_id, state="declined", action="decline"
            )
    call = _call(ledger, "reject", request_id, bytes32(reason, "reason"))
    return submit(ledger, actor, idempotency, call, "financing.reject")


def withdraw_financing(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, request_id: int
) -> OperationView:
    """The requester withdraws a request before accepting an offer; the piece is unlocked."""
    with ledger.sessions() as session:
        request = _as_requester(session, actor, request_id, "withdraw")
        _status(request, ("requested",), "withdraw")
    call = _call(ledger, "withdraw", request_id)
    return submit(ledger, actor, idempotency, call, "financing.withdraw")


def expire_financing(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, request_id: int
) -> OperationView:
    """Lapses a request past its deadline: unanswered past its expiry, or accepted and not
    funded by the agreed `fund_by` (the requester's way to cancel); the piece is unlocked.
    Any active member who sees the request may; the contract checks the clock."""
    actor.require_active("expire financing")
    with ledger.sessions() as session:
        request = visible_request(session, actor, request_id)
        _status(request, OPEN_REQUEST, "expire")
    call = _call(ledger, "expire", request_id)
    return submit(ledger, actor, idempotency, call, "financing.expire")


def fund_financing(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, request_id: int, payment_ref: str
) -> OperationView:
    """The accepted financier records the advance's payment by the agreed deadline; the
    piece is assigned (factoring) or pledged."""
    with ledger.sessions() as session:
        request = _as_accepted(session, actor, request_id, "fund")
        _status(request, ("accepted",), "fund")
    call = _call(ledger, "fund", request_id, bytes32(payment_ref, "payment_ref"))
    return submit(ledger, actor, idempotency, call, "financing.fund")


def _payer(ledger: Ledger, actor: Actor, request: FinancingRequest, action: str) -> None:
    """The financier confirms a payment made off-chain; with a deposit token the requester
    may pay on chain itself."""
    if actor.address == request.requester and ledger.contracts.deposit_token is None:
        raise ActionForbidden(
            actor=actor.participant,
            action=action,
            reason="without a deposit token the financier confirms the payment",
        )
    if actor.address not in (request.financier, request.requester):
        raise ActionForbidden(
            actor=actor.participant,
            action=action,
            reason="only the financier or the requester may",
        )
    actor.require_active(action)


def repay_financing(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, request_id: int, payment_ref: str
) -> OperationView:
    """Repayment of a funded pledge loan (the agreed `repayment`); releases the lien."""
    with ledger.sessions() as session:
        request = visible_request(session, actor, request_id)
        _payer(ledger, actor, request, "repay")
        _status(request, ("funded",), "repay")
        if request.mode != "pledge":
            raise WrongState(
                kind="financing request",
                key=request_id,
                state=f"{request.mode}, not a pledge",
                action="repay",
            )
    call = _call(ledger, "repay", request_id, bytes32(payment_ref, "payment_ref"))
    return submit(ledger, actor, idempotency, call, "financing.repay")


def claim_recourse(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, request_id: int
) -> OperationView:
    """The financier of a recourse factoring claims against the seller once the piece has
    defaulted (the contract checks the piece)."""
    with ledger.sessions() as session:
        request = _as_accepted(session, actor, request_id, "claim recourse")
        _status(request, ("funded",), "claim recourse")
        if request.mode != "factoring" or not request.recourse:
            raise WrongState(
                kind="financing request",
                key=request_id,
                state=f"{request.mode} without recourse",
                action="claim recourse",
            )
    call = _call(ledger, "claimRecourse", request_id)
    return submit(ledger, actor, idempotency, call, "financing.claim_recourse")


def repay_recourse(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, request_id: int, payment_ref: str
) -> OperationView:
    """The seller's repayment of a recourse claim (the agreed `repayment`): confirmed by the
    financier, or paid on chain by the seller with a deposit token; the piece goes back to
    the seller. Refused once the debtor has paid (the claim closed)."""
    with ledger.sessions() as session:
        request = visible_request(session, actor, request_id)
        _payer(ledger, actor, request, "repay recourse")
        _status(request, ("recourse_claimed",), "repay recourse")
    call = _call(ledger, "repayRecourse", request_id, bytes32(payment_ref, "payment_ref"))
    return submit(ledger, actor, idempotency, call, "financing.repay_recourse")
