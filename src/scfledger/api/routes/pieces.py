"""`/v1/pieces/{token_id}`: pieces by token id: list, read, lineage, transfer (split) and
sign for (签收), refuse or recall a sent piece, evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from scfledger.api.deps import CurrentActor, GatewayDep
from scfledger.api.guard import GuardedRoute
from scfledger.api.routes.common import (
    ADDRESS,
    WRITE,
    AsciiDigits,
    TokenIdPath,
    WriteDep,
    parse_cursor,
)
from scfledger.api.routes.receivables import receivable_out
from scfledger.api.schemas import (
    MAX_INT64,
    EvidenceIn,
    EvidenceOut,
    LineageNodeOut,
    LineageOut,
    PieceOut,
    PiecePage,
    RejectIn,
    TransferIn,
    TransferOut,
)
from scfledger.exceptions import InvalidInput
from scfledger.services import lineage as lineages
from scfledger.services import receivables as services
from scfledger.services.ledger_money import LedgerMoney, piece_currency
from scfledger.services.lineage import LineageNode

if TYPE_CHECKING:  # row types of the response builder only
    from scfledger.db.projections import Piece, Receivable

DOCUMENT_HASH = r"^0x[0-9a-fA-F]{64}$"

router = APIRouter(prefix="/v1/pieces", tags=["pieces"], route_class=GuardedRoute)


def piece_out(piece: Piece, receivable: Receivable, money: LedgerMoney) -> PieceOut:
    return PieceOut(
        token_id=piece.token_id,
        slot=piece.slot,
        holder=piece.holder,
        value=money.text(piece.value),
        parent_token_id=piece.parent_token_id,
        depth=piece.depth,
        state=piece.state,
        sender=piece.sender,
        receivable=receivable_out(receivable, money),
    )


def _node(node: LineageNode, money: LedgerMoney) -> LineageNodeOut:
    return LineageNodeOut(
        token_id=node.token_id,
        parent_token_id=node.parent_token_id,
        depth=node.depth,
        holder=node.holder,
        value=money.text(node.value),
        state=node.state,
        redacted=node.redacted,
        children=[_node(child, money) for child in node.children],
    )


@router.get("")
def list_pieces(
    gateway: GatewayDep,
    actor: CurrentActor,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500), AsciiDigits] = 50,
    holder: Annotated[str | None, Query(pattern=ADDRESS)] = None,
    state: str | None = None,
    slot: Annotated[int | None, Query(ge=0, le=MAX_INT64), AsciiDigits] = None,
    debtor: Annotated[str | None, Query(pattern=ADDRESS)] = None,
    due_from: Annotated[
        int | None, Query(ge=0, le=MAX_INT64, description="Unix seconds"), AsciiDigits
    ] = None,
    due_to: Annotated[
        int | None, Query(ge=0, le=MAX_INT64, description="Unix seconds"), AsciiDigits
    ] = None,
    document_hash: Annotated[
        str | None,
        Query(pattern=DOCUMENT_HASH, description="The receivable's invoice: 0x + SHA-256 hex"),
    ] = None,
) -> PiecePage:
    """Pieces the caller holds or held, owes, or finances (auditors: all), by token id;
    filters by holder, state, receivable (slot), debtor, due date (inclusive range) and
    the receivable's document hash."""
    after = parse_cursor(cursor)
    if due_from is not None and due_to is not None and due_from > due_to:
        raise InvalidInput(f"due_from {due_from} is after due_to {due_to}")
    with gateway.sessions() as session:
        rows = services.list_pieces(
            session,
            actor,
            after=after,
            limit=limit,
            holder=holder,
            state=state,
            slot=slot,
            debtor=debtor,
            due_from=due_from,
            due_to=due_to,
            document_hash=document_hash,
        )
        items = [piece_out(piece, receivable, gateway.money) for piece, receivable in rows]
    next_cursor = str(items[-1].token_id) if len(items) == limit else None
    return PiecePage(items=items, next_cursor=next_cursor)


@router.get("/{token_id}")
def get_piece(token_id: TokenIdPath, gateway: GatewayDep, actor: CurrentActor) -> PieceOut:
    """A piece the caller may see, with its receivable (`404 not-found` otherwise, and for
    a slot: receivables are under `/v1/receivables/{slot}`)."""
    with gateway.sessions() as session:
        piece, receivable = services.piece_with_receivable(session, actor, token_id)
        return piece_out(piece, receivable, gateway.money)


@router.get("/{token_id}/lineage")
def lineage(token_id: TokenIdPath, gateway: GatewayDep, actor: CurrentActor) -> LineageOut:
    """Ancestors up to the root (nearest first) and the tree of pieces split from this one.
    Pieces the caller does not see are `redacted`: token id, parent, depth and value only."""
    with gateway.sessions() as session:
        found = lineages.lineage(session, actor, token_id)
        currency = piece_currency(session, token_id)
    money = gateway.money
    return LineageOut(
        token_id=found.token_id,
        currency=currency or money.base,
        ancestors=[_node(n, money) for n in found.ancestors],
        tree=_node(found.tree, money),
    )


@router.post("/{token_id}/transfers", status_code=202, responses=WRITE)
def transfer(
    token_id: TokenIdPath,
    body: TransferIn,
    write: WriteDep,
) -> JSONResponse:
    """Send part of a piece to another member (the holder); mints a child piece, pending
    until the receiver signs for it (`/sign`), refuses it (`/refuse`) or you recall it.
    `value` is a decimal string in the piece's currency."""
    with write.gateway.sessions() as session:
        currency = piece_currency(session, token_id)
    value = write.gateway.money.parse(body.value, currency, field="value")
    return write.submit(services.transfer, token_id=token_id, to=body.to, value=value)


@router.post("/{token_id}/sign", status_code=202, responses=WRITE)
def sign_piece(token_id: TokenIdPath, write: WriteDep) -> JSONResponse:
    """Sign for a piece sent to you (签收, its receiver): it becomes active and yours."""
    return write.submit(services.accept_piece, token_id=token_id)


@router.post("/{token_id}/refuse", status_code=202, responses=WRITE)
def refuse_piece(token_id: TokenIdPath, body: RejectIn, write: WriteDep) -> JSONResponse:
    """Refuse a piece sent to you (its receiver): its value goes back to the sender."""
    return write.submit(services.refuse_piece, token_id=token_id, reason=body.reason)


@router.post("/{token_id}/recall", status_code=202, responses=WRITE)
def recall_piece(token_id: TokenIdPath, write: WriteDep) -> JSONResponse:
    """Take back a piece you sent that its receiver has not signed for (its sender)."""
    return write.submit(services.recall_piece, token_id=token_id)


@router.post("/{token_id}/overdue", status_code=202, responses=WRITE)
def mark_overdue(token_id: TokenIdPath, write: WriteDep) -> JSONResponse:
    """Mark an unpaid piece overdue once its due date and the slot's grace period have
    passed (any member who sees it; before then: 409 `grace-period-running`)."""
    return write.submit(services.mark_overdue, token_id=token_id)


@router.post("/{token_id}/default", status_code=202, responses=WRITE)
def mark_defaulted(token_id: TokenIdPath, write: WriteDep) -> JSONResponse:
    """Mark an overdue piece defaulted once the slot's default period has passed too (any
    member who sees it; before then: 409 `default-period-running`). A piece factored with
    recourse then opens recourse to its financier."""
    return write.submit(services.mark_defaulted, token_id=token_id)


@router.post("/{token_id}/evidence", status_code=202, responses=WRITE)
def attach_evidence(
    token_id: TokenIdPath,
    body: EvidenceIn,
    write: WriteDep,
) -> JSONResponse:
    """Anchor a document you uploaded (delivery note, photo) on a piece you hold, by its
    SHA-256, each once (`422 document-not-uploaded` for one you did not upload)."""
    return write.submit(
        services.attach_evidence,
        token_id=token_id,
        evidence_hash=body.evidence_hash,
    )


@router.get("/{token_id}/transfers")
def transfers(token_id: TokenIdPath, gateway: GatewayDep, actor: CurrentActor) -> list[TransferOut]:
    """A piece's moves, oldest first: whole transfers of it and splits out of it."""
    money = gateway.money
    with gateway.sessions() as session:
        currency = piece_currency(session, token_id) or money.base
        return [
            TransferOut(
                kind="split" if t.kind == "split" else "whole",
                token_id=t.token_id,
                from_token_id=t.from_token_id,
                sender=t.sender,
                receiver=t.receiver,
                value=money.text(t.value),
                currency=currency,
                block_number=t.block_number,
                tx_hash=t.tx_hash,
            )
            for t in services.piece_transfers(session, actor, token_id)
        ]


@router.get("/{token_id}/evidence")
def evidence(token_id: TokenIdPath, gateway: GatewayDep, actor: CurrentActor) -> list[EvidenceOut]:
    """The evidence hashes anchored on a piece, oldest first."""
    with gateway.sessions() as session:
        return [
            EvidenceOut(
                token_id=e.token_id,
                evidence_hash=e.evidence_hash,
                attached_by=e.attached_by,
                block_number=e.block_number,
            )
            for e in services.evidence_of(session, actor, token_id)
        ]
