"""`/v1/settlements`: the debtor settles pieces from the due date; settlements are listed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from scfledger.api.deps import CurrentActor, GatewayDep
from scfledger.api.guard import GuardedRoute
from scfledger.api.routes.common import WRITE, AsciiDigits, WriteDep, parse_cursor
from scfledger.api.schemas import MAX_INT64, SettleIn, SettlementOut, SettlementPage
from scfledger.services import ledger as services

router = APIRouter(prefix="/v1/settlements", tags=["settlements"], route_class=GuardedRoute)


@router.post("", status_code=202, responses=WRITE)
def settle(
    body: SettleIn,
    write: WriteDep,
) -> JSONResponse:
    """Settle 1 to 50 pieces of one receivable from its due date (its debtor), all or none:
    each piece's value is paid to its holder (a pledged piece's lien holder first)."""
    return write.submit(
        services.settle,
        slot=body.slot,
        token_ids=body.token_ids,
        payment_ref=body.payment_ref,
    )


@router.get("")
def list_settlements(
    gateway: GatewayDep,
    actor: CurrentActor,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500), AsciiDigits] = 50,
    slot: Annotated[int | None, Query(ge=0, le=MAX_INT64), AsciiDigits] = None,
) -> SettlementPage:
    """Settlements the caller paid (debtor) or was paid (holder, lien holder); auditors: all.
    By token id; `cursor` is the last token id of the previous page."""
    after = parse_cursor(cursor)
    with gateway.sessions() as session:
        items = [
            SettlementOut(
                token_id=s.token_id,
                slot=s.slot,
                holder=s.holder,
                amount=s.amount,
                lien_holder=s.lien_holder,
                lien_amount=s.lien_amount,
                payment_ref=s.payment_ref,
                paid_on_chain=s.paid_on_chain,
                block_number=s.block_number,
                tx_hash=s.tx_hash,
            )
            for s in services.list_settlements(session, actor, after=after, limit=limit, slot=slot)
        ]
    next_cursor = str(items[-1].token_id) if len(items) == limit else None
    return SettlementPage(items=items, next_cursor=next_cursor)
