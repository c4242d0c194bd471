"""`/v1/settlements`: the debtor settles pieces from the due date, the payee confirms or
disputes an off-chain payment, the debtor finalizes after silence; `/v1/escrow`: payments
waiting for a suspended member."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from scfledger.api.deps import CurrentActor, GatewayDep
from scfledger.api.guard import GuardedRoute
from scfledger.api.routes.common import (
    WRITE,
    AsciiDigits,
    TokenIdPath,
    WriteDep,
    parse_cursor,
)
from scfledger.api.schemas import (
    MAX_INT64,
    EscrowOut,
    RejectIn,
    SettleIn,
    SettlementOut,
    SettlementPage,
)
from scfledger.services import payment_refs
from scfledger.services import settlements as services
from scfledger.services.ledger_money import slot_currencies

router = APIRouter(prefix="/v1/settlements", tags=["settlements"], route_class=GuardedRoute)
escrow = APIRouter(prefix="/v1/escrow", tags=["settlements"], route_class=GuardedRoute)


@router.post("", status_code=202, responses=WRITE)
def settle(
    body: SettleIn,
    write: WriteDep,
) -> JSONResponse:
    """Settle 1 to 50 pieces of one receivable from its due date (its debtor), all or none:
    each piece's value is paid to its holder (a pledged piece's lien holder first). With
    the deposit token the payment moves at once (to escrow for a suspended payee);
    off-chain `payment_ref` names the payment and each piece awaits its payee's
    confirmation (`/confirm`, `/dispute`; `/finalize` after the window)."""
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
    money = gateway.money
    with gateway.sessions() as session:
        rows = services.list_settlements(session, actor, after=after, limit=limit, slot=slot)
        clear = payment_refs.readable(session, actor, (s.payment_ref for s in rows))
        currencies = slot_currencies(session, [s.slot for s in rows])
        items = [
            SettlementOut(
                token_id=s.token_id,
                slot=s.slot,
                holder=s.holder,
                status=s.status,
                currency=currencies.get(s.slot, money.base),
                amount=money.text(s.amount),
                submitted_amount=money.text(s.submitted_amount),
                lien_holder=s.lien_holder,
                lien_amount=money.text(s.lien_amount),
                payee=s.payee,
                confirm_by=s.confirm_by,
                deemed=s.deemed,
                payment_ref=clear.get(s.payment_ref, s.payment_ref),
                payment_ref_hash=s.payment_ref,
                dispute_reason=s.dispute_reason,
                paid_on_chain=s.paid_on_chain,
                block_number=s.block_number,
                tx_hash=s.tx_hash,
            )
            for s in rows
        ]
    next_cursor = str(items[-1].token_id) if len(items) == limit else None
    return SettlementPage(items=items, next_cursor=next_cursor)


@router.post("/{token_id}/confirm", status_code=202, responses=WRITE)
def confirm(token_id: TokenIdPath, write: WriteDep) -> JSONResponse:
    """Confirm the debtor's off-chain payment of a piece (its payee: the lien holder for its
    share first, then the holder)."""
    return write.submit(services.confirm_payment, token_id=token_id)


@router.post("/{token_id}/dispute", status_code=202, responses=WRITE)
def dispute(token_id: TokenIdPath, body: RejectIn, write: WriteDep) -> JSONResponse:
    """Dispute an off-chain payment (its payee): the piece is unpaid again, with every
    remedy; the debtor may settle again with another payment reference."""
    return write.submit(services.dispute_payment, token_id=token_id, reason=body.reason)


@router.post("/{token_id}/finalize", status_code=202, responses=WRITE)
def finalize(token_id: TokenIdPath, write: WriteDep) -> JSONResponse:
    """Finalize a settlement whose payee stayed silent past the confirmation window (the
    debtor): deemed confirmed."""
    return write.submit(services.finalize_settlement, token_id=token_id)


@escrow.get("")
def escrow_balance(gateway: GatewayDep, actor: CurrentActor) -> EscrowOut:
    """Deposit-token payments waiting in escrow for the caller (paid while it was suspended)."""
    with gateway.sessions() as session:
        amount = services.escrow_of(session, actor)
    money = gateway.money
    return EscrowOut(payee=actor.address, amount=money.text(amount), currency=money.base)


@escrow.post("/claim", status_code=202, responses=WRITE)
def claim(write: WriteDep) -> JSONResponse:
    """Take the payments escrowed for you while you were suspended (once reinstated)."""
    return write.submit(services.claim_escrow)
