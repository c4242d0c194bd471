"""`/v1/financing-requests`: request, read, approve, reject, withdraw, fund and repay advances."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

from scfledger.api.deps import CurrentActor, GatewayDep
from scfledger.api.guard import GuardedRoute
from scfledger.api.routes.common import WRITE, AsciiDigits, IdPath, WriteDep, parse_cursor
from scfledger.api.schemas import (
    MAX_INT64,
    ApproveIn,
    FinancingIn,
    FinancingOut,
    FinancingPage,
    FundIn,
    RejectIn,
    RepayIn,
)
from scfledger.db.projections import FinancingRequest
from scfledger.services import ledger as services

router = APIRouter(prefix="/v1/financing-requests", tags=["financing"], route_class=GuardedRoute)


@router.post("", status_code=202, responses=WRITE)
def request_financing(
    body: FinancingIn,
    write: WriteDep,
) -> JSONResponse:
    """Ask a financier for an advance on a piece you hold (locks the piece)."""
    return write.submit(
        services.request_financing,
        token_id=body.token_id,
        financier=body.financier,
        amount=body.amount,
        rate_bps=body.rate_bps,
        mode=body.mode,
        recourse=body.recourse,
    )


def financing_out(r: FinancingRequest) -> FinancingOut:
    return FinancingOut(
        id=r.id,
        token_id=r.token_id,
        requester=r.requester,
        financier=r.financier,
        amount=r.amount,
        rate_bps=r.rate_bps,
        mode=r.mode,
        recourse=r.recourse,
        status=r.status,
        expires_at=r.expires_at,
        payment_ref=r.payment_ref,
    )


@router.get("")
def list_requests(
    gateway: GatewayDep,
    actor: CurrentActor,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500), AsciiDigits] = 50,
    status: str | None = None,
    token_id: Annotated[int | None, Query(ge=1, le=MAX_INT64), AsciiDigits] = None,
) -> FinancingPage:
    """Requests the caller made or was asked to finance (auditors: all), by id."""
    with gateway.sessions() as session:
        rows = services.list_requests(
            session,
            actor,
            after=parse_cursor(cursor),
            limit=limit,
            status=status,
            token_id=token_id,
        )
    items = [financing_out(r) for r in rows]
    next_cursor = str(items[-1].id) if len(items) == limit else None
    return FinancingPage(items=items, next_cursor=next_cursor)


@router.get("/{request_id}")
def get_request(request_id: IdPath, gateway: GatewayDep, actor: CurrentActor) -> FinancingOut:
    with gateway.sessions() as session:
        return financing_out(services.visible_request(session, actor, request_id))


@router.post("/{request_id}/approve", status_code=202, responses=WRITE)
def approve(
    request_id: IdPath,
    write: WriteDep,
    body: ApproveIn | None = Body(default=None),  # noqa: B008 (FastAPI's idiom)
) -> JSONResponse:
    """Approve a request (its financier), at the asked terms unless others are given."""
    terms = body or ApproveIn()
    return write.submit(
        services.approve_financing,
        request_id=request_id,
        amount=terms.amount,
        rate_bps=terms.rate_bps,
    )


@router.post("/{request_id}/fund", status_code=202, responses=WRITE)
def fund(
    request_id: IdPath,
    body: FundIn,
    write: WriteDep,
) -> JSONResponse:
    """Record the advance's payment (its financier); the piece is assigned or pledged."""
    return write.submit(
        services.fund_financing,
        request_id=request_id,
        payment_ref=body.payment_ref,
    )


@router.post("/{request_id}/reject", status_code=202, responses=WRITE)
def reject(
    request_id: IdPath,
    body: RejectIn,
    write: WriteDep,
) -> JSONResponse:
    """Refuse an open request (its financier); the piece is unlocked."""
    return write.submit(
        services.reject_financing,
        request_id=request_id,
        reason=body.reason,
    )


@router.post("/{request_id}/withdraw", status_code=202, responses=WRITE)
def withdraw(
    request_id: IdPath,
    write: WriteDep,
) -> JSONResponse:
    """Withdraw a request not yet funded (its requester); the piece is unlocked."""
    return write.submit(services.withdraw_financing, request_id=request_id)


@router.post("/{request_id}/repay", status_code=202, responses=WRITE)
def repay(
    request_id: IdPath,
    body: RepayIn,
    write: WriteDep,
) -> JSONResponse:
    """Repay a funded pledge loan: its financier confirms an off-chain payment, or (with a
    deposit token) the borrower pays on chain. The lien is released."""
    return write.submit(
        services.repay_financing,
        request_id=request_id,
        payment_ref=body.payment_ref,
    )
