"""`/v1/receivables/{slot}`: receivables by slot: issue, read, and the creditor's accept or
reject, the debtor's cancel, expiry. Pieces (by token id) are under `/v1/pieces`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from scfledger.api.deps import CurrentActor, GatewayDep
from scfledger.api.guard import GuardedRoute
from scfledger.api.routes.common import WRITE, IdPath, WriteDep
from scfledger.api.schemas import IssueIn, ReceivableOut, RejectIn
from scfledger.services import receivables as services
from scfledger.services.ledger_money import LedgerMoney
from scfledger.services.visibility import visible_receivable

if TYPE_CHECKING:  # the row type of the response builder only
    from scfledger.db.projections import Receivable

router = APIRouter(prefix="/v1/receivables", tags=["receivables"], route_class=GuardedRoute)


def receivable_out(receivable: Receivable, money: LedgerMoney) -> ReceivableOut:
    return ReceivableOut(
        slot=receivable.slot,
        debtor=receivable.debtor,
        creditor=receivable.creditor,
        face_amount=money.text(receivable.face_amount),
        currency=receivable.currency,
        issue_date=receivable.issue_date,
        due_date=receivable.due_date,
        document_hash=receivable.document_hash,
        root_token_id=receivable.root_token_id,
        settled_value=money.text(receivable.settled_value),
        netted_value=money.text(receivable.netted_value),
        status=receivable.status,
    )


@router.post("", status_code=202, responses=WRITE)
def issue(
    body: IssueIn,
    write: WriteDep,
) -> JSONResponse:
    """Confirm a receivable owed to a creditor (core enterprises), against a document you
    uploaded (`422 document-not-uploaded` otherwise). `face_amount` is a decimal string in
    `currency` (`"1000000.00"`), which must be one the consortium accepts
    (`422 currency-not-accepted`)."""
    money = write.gateway.money
    currency = money.check_currency(body.currency)
    return write.submit(
        services.issue,
        creditor=body.creditor,
        face_amount=money.parse(body.face_amount, currency, field="face_amount"),
        currency=currency,
        due_date=body.due_date,
        document_hash=body.document_hash,
    )


@router.get("/{slot}")
def get_receivable(slot: IdPath, gateway: GatewayDep, actor: CurrentActor) -> ReceivableOut:
    """A receivable the caller may see: its debtor, first creditor, auditors and whoever sees
    one of its pieces (`404 not-found` otherwise, and for a token id: pieces are under
    `/v1/pieces/{token_id}`)."""
    with gateway.sessions() as session:
        return receivable_out(visible_receivable(session, actor, slot), gateway.money)


@router.post("/{slot}/accept", status_code=202, responses=WRITE)
def accept(
    slot: IdPath,
    write: WriteDep,
) -> JSONResponse:
    """Accept a pending receivable (its creditor)."""
    return write.submit(services.accept, slot=slot)


@router.post("/{slot}/expire", status_code=202, responses=WRITE)
def expire(slot: IdPath, write: WriteDep) -> JSONResponse:
    """Lapse a receivable its creditor did not accept in time (any active member who sees
    it); its document is released."""
    return write.submit(services.expire_receivable, slot=slot)


@router.post("/{slot}/reject", status_code=202, responses=WRITE)
def reject(
    slot: IdPath,
    body: RejectIn,
    write: WriteDep,
) -> JSONResponse:
    """Refuse a pending receivable (its creditor); its document can be confirmed again."""
    return write.submit(services.reject_receivable, slot=slot, reason=body.reason)


@router.post("/{slot}/cancel", status_code=202, responses=WRITE)
def cancel(
    slot: IdPath,
    write: WriteDep,
) -> JSONResponse:
    """Withdraw a receivable not yet accepted (its debtor); its document is released."""
    return write.submit(services.cancel_receivable, slot=slot)
