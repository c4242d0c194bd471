"""`/v1/financing-requests`: ask financiers, offer, accept, decline, withdraw, expire, fund,
repay and recourse; requests and their offers are read here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from scfledger.api.deps import CurrentActor, GatewayDep
from scfledger.api.guard import GuardedRoute
from scfledger.api.routes.common import (
    ADDRESS,
    WRITE,
    AsciiDigits,
    IdPath,
    Write,
    WriteDep,
    parse_cursor,
)
from scfledger.api.schemas import (
    MAX_INT64,
    AcceptOfferIn,
    FinancingIn,
    FinancingOut,
    FinancingPage,
    FundIn,
    OfferOut,
    RejectIn,
    RepayIn,
    TermsIn,
    TermsOut,
)
from scfledger.services import financing as services
from scfledger.services import payment_refs
from scfledger.services.ledger import Actor
from scfledger.services.ledger_money import (
    LedgerMoney,
    piece_currency,
    request_currencies,
    request_currency,
)
from scfledger.services.visibility import sees_agreed_terms, visible_offers, visible_request

if TYPE_CHECKING:  # row types of the response builders only
    from scfledger.db.projections import FinancingOffer, FinancingRequest

router = APIRouter(prefix="/v1/financing-requests", tags=["financing"], route_class=GuardedRoute)


def _terms(body: TermsIn, money: LedgerMoney, currency: str | None) -> services.Terms:
    """The terms in minor units of the piece's currency (`currency`)."""
    return services.Terms(
        money.parse(body.advance, currency, field="advance"),
        money.parse(body.repayment, currency, field="repayment", allow_zero=True),
        money.parse(body.fees, currency, field="fees", allow_zero=True),
        body.fund_by,
    )


def _terms_out(
    money: LedgerMoney,
    advance: int | None,
    repayment: int | None,
    fees: int | None,
    fund_by: int | None,
) -> TermsOut | None:
    if advance is None or repayment is None or fees is None or fund_by is None:
        return None
    return TermsOut(
        advance=money.text(advance),
        repayment=money.text(repayment),
        fees=money.text(fees),
        fund_by=fund_by,
    )


def _offer_out(o: FinancingOffer, money: LedgerMoney) -> OfferOut:
    return OfferOut(
        financier=o.financier,
        status=o.status,  # type: ignore[arg-type]  # the projection writes these three
        terms=_terms_out(money, o.advance, o.repayment, o.fees, o.fund_by),
        reason=o.reason,
    )


def financing_out(
    session: Session,
    actor: Actor,
    r: FinancingRequest,
    money: LedgerMoney,
    currency: str | None = None,
) -> FinancingOut:
    """The request as `actor` sees it; `currency`: its piece's, if the caller read it."""
    asked = _terms_out(money, r.asked_advance, r.asked_repayment, r.asked_fees, r.asked_fund_by)
    assert asked is not None  # every request asks terms
    if currency is None:
        currency = request_currency(session, r.id) or money.base
    # Who won and at what terms: a financier whose offer was not taken learns neither.
    party = sees_agreed_terms(actor, r)
    agreed = _terms_out(money, r.advance, r.repayment, r.fees, r.fund_by)
    return FinancingOut(
        id=r.id,
        token_id=r.token_id,
        requester=r.requester,
        financier=r.financier if party else None,
        currency=currency,
        asked=asked,
        agreed=agreed if party else None,
        offers=[_offer_out(o, money) for o in visible_offers(session, actor, r)],
        mode=r.mode,
        recourse=r.recourse,
        status=r.status,
        expires_at=r.expires_at,
        payment_ref=payment_refs.shown(session, actor, r.payment_ref),
        payment_ref_hash=r.payment_ref,
    )


def _currency_of(write: Write, request_id: int) -> str | None:
    with write.gateway.sessions() as session:
        return request_currency(session, request_id)


@router.post("", status_code=202, responses=WRITE)
def request_financing(body: FinancingIn, write: WriteDep) -> JSONResponse:
    """Ask one to five financiers to finance a piece you hold at the terms you name (locks
    the piece until the request closes). Amounts are decimal strings in the piece's
    currency."""
    with write.gateway.sessions() as session:
        currency = piece_currency(session, body.token_id)
    return write.submit(
        services.request_financing,
        token_id=body.token_id,
        financiers=body.financiers,
        terms=_terms(body.terms, write.gateway.money, currency),
        mode=body.mode,
        recourse=body.recourse,
    )


@router.get("")
def list_requests(
    gateway: GatewayDep,
    actor: CurrentActor,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500), AsciiDigits] = 50,
    status: str | None = None,
    token_id: Annotated[int | None, Query(ge=1, le=MAX_INT64), AsciiDigits] = None,
    financier: Annotated[
        str | None,
        Query(
            pattern=ADDRESS,
            description="The financier whose offer was accepted (your own address: the"
            " requests you fund); only requests whose agreed terms you see",
        ),
    ] = None,
) -> FinancingPage:
    """Requests the caller made or is named in as a financier (auditors: all), by id;
    filters by status, piece and the accepted financier."""
    with gateway.sessions() as session:
        rows = services.list_requests(
            session,
            actor,
            after=parse_cursor(cursor),
            limit=limit,
            status=status,
            token_id=token_id,
            financier=financier,
        )
        currencies = request_currencies(session, [r.id for r in rows])
        money = gateway.money
        items = [
            financing_out(session, actor, r, money, currencies.get(r.id, money.base)) for r in rows
        ]
    next_cursor = str(items[-1].id) if len(items) == limit else None
    return FinancingPage(items=items, next_cursor=next_cursor)


@router.get("/{request_id}")
def get_request(request_id: IdPath, gateway: GatewayDep, actor: CurrentActor) -> FinancingOut:
    with gateway.sessions() as session:
        request = visible_request(session, actor, request_id)
        return financing_out(session, actor, request, gateway.money)


@router.post("/{request_id}/offers", status_code=202, responses=WRITE)
def offer(request_id: IdPath, body: TermsIn, write: WriteDep) -> JSONResponse:
    """Offer terms (a named financier), replacing your earlier offer. A sole named financier
    offering exactly the asked terms is accepted at once."""
    terms = _terms(body, write.gateway.money, _currency_of(write, request_id))
    return write.submit(services.offer_financing, request_id=request_id, terms=terms)


@router.post("/{request_id}/accept", status_code=202, responses=WRITE)
def accept(request_id: IdPath, body: AcceptOfferIn, write: WriteDep) -> JSONResponse:
    """Accept a financier's standing offer (the requester), repeating its terms; the other
    offers lapse and the request can no longer be withdrawn."""
    terms = _terms(body.terms, write.gateway.money, _currency_of(write, request_id))
    return write.submit(
        services.accept_offer, request_id=request_id, financier=body.financier, terms=terms
    )


@router.post("/{request_id}/reject", status_code=202, responses=WRITE)
def reject(request_id: IdPath, body: RejectIn, write: WriteDep) -> JSONResponse:
    """Decline a request (a named financier); it closes when every named financier has."""
    return write.submit(services.reject_financing, request_id=request_id, reason=body.reason)


@router.post("/{request_id}/withdraw", status_code=202, responses=WRITE)
def withdraw(request_id: IdPath, write: WriteDep) -> JSONResponse:
    """Withdraw a request before accepting an offer (its requester); the piece is unlocked."""
    return write.submit(services.withdraw_financing, request_id=request_id)


@router.post("/{request_id}/expire", status_code=202, responses=WRITE)
def expire(request_id: IdPath, write: WriteDep) -> JSONResponse:
    """Lapse a request past its deadline: unanswered past `expires_at`, or accepted and not
    funded by the agreed `fund_by` (how the requester cancels); the piece is unlocked."""
    return write.submit(services.expire_financing, request_id=request_id)


@router.post("/{request_id}/fund", status_code=202, responses=WRITE)
def fund(request_id: IdPath, body: FundIn, write: WriteDep) -> JSONResponse:
    """Record the advance's payment (the accepted financier, by the agreed `fund_by`); the
    piece is assigned or pledged."""
    return write.submit(
        services.fund_financing, request_id=request_id, payment_ref=body.payment_ref
    )


@router.post("/{request_id}/repay", status_code=202, responses=WRITE)
def repay(request_id: IdPath, body: RepayIn, write: WriteDep) -> JSONResponse:
    """Repay a funded pledge loan: its financier confirms an off-chain payment, or (with a
    deposit token) the borrower pays on chain. The lien is released."""
    return write.submit(
        services.repay_financing, request_id=request_id, payment_ref=body.payment_ref
    )


@router.post("/{request_id}/recourse", status_code=202, responses=WRITE)
def claim_recourse(request_id: IdPath, write: WriteDep) -> JSONResponse:
    """Claim recourse against the seller of a defaulted piece (the financier of a recourse
    factoring)."""
    return write.submit(services.claim_recourse, request_id=request_id)


@router.post("/{request_id}/recourse/repay", status_code=202, responses=WRITE)
def repay_recourse(request_id: IdPath, body: RepayIn, write: WriteDep) -> JSONResponse:
    """Repay a recourse claim: its financier confirms an off-chain payment, or (with a
    deposit token) the seller pays on chain; the piece goes back to the seller. Refused
    once the debtor has paid."""
    return write.submit(
        services.repay_recourse, request_id=request_id, payment_ref=body.payment_ref
    )
