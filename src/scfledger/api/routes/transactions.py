"""`/v1/transactions`: relay of transactions that members sign with their own keys."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from scfledger.api.guard import GuardedRoute
from scfledger.api.routes.common import WRITE, WriteDep
from scfledger.api.schemas import RelayIn
from scfledger.services.relay import relay_transaction

router = APIRouter(prefix="/v1/transactions", tags=["ledger"], route_class=GuardedRoute)


@router.post("", status_code=202, responses=WRITE)
def relay(body: RelayIn, write: WriteDep) -> JSONResponse:
    """Relay a transaction you signed with your own (registered) key; followed like any write."""
    return write.submit(relay_transaction, raw_transaction=body.raw_transaction)
