"""`/v1/batches`: an ERP's batch of receivable issues or settlements, each line its own
operation (or draft), and the batch's progress (docs/gateway.md#batches)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from scfledger.api import batch_input
from scfledger.api.deps import CurrentActor, GatewayDep, IdempotencyKey, Writer
from scfledger.api.errors import error_response
from scfledger.api.gateway import Gateway
from scfledger.api.guard import GuardedRoute
from scfledger.api.routes.common import AsciiDigits, IdPath, parse_cursor
from scfledger.api.schemas_batch import BatchIn, BatchLineOut, BatchOut
from scfledger.exceptions import BatchRejected
from scfledger.services import batches as services
from scfledger.services.ledger import Actor

router = APIRouter(prefix="/v1/batches", tags=["batches"], route_class=GuardedRoute)

PAGE = 100  # lines in the answer to a post
_CSV_EXAMPLE = (
    "creditor,face_amount,currency,due_date,document_hash\n"
    "0x8ba1f109551bD432803012645Ac136ddd64DBA72,1000000.00,CNY,1798761600,"
    "0x9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n"
)
# The body is read by the route (JSON, CSV or a multipart CSV upload), so FastAPI does not
# see a body parameter; this documents it in the OpenAPI schema.
_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": BatchIn.model_json_schema()},
            "text/csv": {"schema": {"type": "string"}, "example": _CSV_EXAMPLE},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [batch_input.FILE_FIELD],
                    "properties": {batch_input.FILE_FIELD: {"type": "string", "format": "binary"}},
                },
            },
        },
    }
}
KindQuery = Annotated[
    str | None,
    Query(
        pattern=r"^(receivable\.issue|settlement)$",
        description="The lines' kind (required for CSV): receivable.issue or settlement",
    ),
]


def batch_out(gateway: Gateway, actor: Actor, batch_id: int, *, after: int, limit: int) -> BatchOut:
    with gateway.sessions() as session:
        batch, counts, done = services.progress(session, actor, batch_id)
        results = services.lines(session, actor, batch_id, after=after, limit=limit)
    items = [_line_out(r) for r in results]
    last = batch.lines if not items else items[-1].line
    return BatchOut(
        id=batch.id,
        kind=batch.kind,  # type: ignore[arg-type]  # services.batches writes these two
        lines=batch.lines,
        counts=counts,
        done=done,
        created_at=batch.created_at,
        items=items,
        next_cursor=str(last) if len(items) == limit and last < batch.lines else None,
    )


def _line_out(result: services.LineResult) -> BatchLineOut:
    view = result.operation
    problem = result.problem
    if view is not None and problem is None:
        failure = view.error()
        if failure is not None:
            problem = batch_input.problem_of(failure)
    return BatchLineOut(
        line=result.line,
        status=result.status,  # type: ignore[arg-type]  # services.batches' statuses
        operation_id=None if view is None else view.id,
        draft_id=result.draft_id,
        tx_hash=None if view is None else view.tx_hash,
        problem=problem,
    )


@router.post("", status_code=202, openapi_extra=_BODY, response_model=BatchOut)
async def post_batch(
    request: Request,
    gateway: GatewayDep,
    actor: Writer,
    key: IdempotencyKey,
    kind: KindQuery = None,
    all_or_none: Annotated[
        bool, Query(description="Refuse the whole batch (422 batch-rejected) if any line is")
    ] = False,
) -> JSONResponse:
    """Post up to 10,000 receivable issues or settlements at once (makers of core
    enterprises' ERPs): JSON `{kind, lines}`, or CSV (`text/csv`, or a multipart upload
    in field `file`) with `?kind=`. Every line is checked as its single write would be
    before anything is sent; a refused line carries that write's problem and the others
    go on (`all_or_none=true`: any refused line refuses the batch, `422 batch-rejected`
    listing every line's problem, and nothing is sent). Each line is its own operation (or
    draft, under a maker-checker policy) with the idempotency key `<Idempotency-Key>#<line>`:
    the same batch again is the same batch. `202` with the batch; follow it at
    `Location`."""
    body = await batch_input.read_body(request)
    batch_kind, raw = await batch_input.raw_lines(request, body, kind)
    batch_id = await run_in_threadpool(_create, gateway, actor, key, batch_kind, raw, all_or_none)
    if isinstance(batch_id, JSONResponse):
        return batch_id
    out = await run_in_threadpool(batch_out, gateway, actor, batch_id, after=0, limit=PAGE)
    return JSONResponse(
        out.model_dump(mode="json"),
        status_code=202,
        headers={"Location": f"/v1/batches/{batch_id}"},
    )


def _create(
    gateway: Gateway, actor: Actor, key: str, kind: str, raw: list[object], all_or_none: bool
) -> int | JSONResponse:
    lines = [
        batch_input.check_line(n, line, kind, actor.participant, gateway.money)
        for n, line in enumerate(raw, start=1)
    ]
    try:
        return services.create(
            ledger=gateway.ledger,
            actor=actor,
            key=key,
            request_hash=batch_input.batch_fingerprint(actor.participant, kind, raw),
            kind=kind,
            lines=lines,
            problem_of=batch_input.problem_of,
            now=gateway.wall_clock(),
            all_or_none=all_or_none,
        )
    except BatchRejected as exc:
        return error_response(exc, lines=exc.problems)


@router.get("/{batch_id}")
def get_batch(
    batch_id: IdPath,
    gateway: GatewayDep,
    actor: CurrentActor,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500), AsciiDigits] = 100,
) -> BatchOut:
    """One of your participant's batches (`404 not-found` for another's): lines per
    status, `done` once every line is finished, and a page of its lines after line
    `cursor` with their operations (`/v1/operations/{id}`) or drafts."""
    after = parse_cursor(cursor) or 0
    return batch_out(gateway, actor, batch_id, after=after, limit=limit)
