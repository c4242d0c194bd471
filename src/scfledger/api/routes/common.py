"""Shared by the write routes: idempotent submission, bounded waiting that holds no thread,
operation bodies."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BeforeValidator
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from scfledger.api.deps import GatewayDep, IdempotencyKey, Writer
from scfledger.api.draft_schemas import DecisionOut, DraftOut
from scfledger.api.errors import error_response
from scfledger.api.gateway import Gateway
from scfledger.api.schemas import MAX_INT64, EventOut, OperationError, OperationOut
from scfledger.exceptions import InvalidCursor
from scfledger.outbox.operation import OperationStatus, OperationView
from scfledger.services import drafts, payment_refs
from scfledger.services.event_money import show_error_args, show_events
from scfledger.services.ledger import Actor, Idempotency, operation_events
from scfledger.services.ledger_money import LedgerMoney

Wait = Literal["none", "mined", "indexed"]
MAX_WAIT = 60.0
FALLBACK = 0.25  # seconds between reads of an operation no local loop reports on
WaitQuery = Annotated[Wait, Query(description="Return once the operation is mined or indexed.")]
TimeoutQuery = Annotated[float, Query(gt=0, le=60)]
WRITE: dict[int | str, dict[str, Any]] = {
    202: {
        "model": OperationOut | DraftOut,
        "description": "The operation; or, when the participant's policy needs a checker for "
        "this write, the draft that holds it (`object: draft`, `Location: /v1/drafts/{id}`)",
    }
}
ADDRESS = r"^0x[0-9a-fA-F]{40}$"


def _ascii_integer(value: object) -> object:
    """A path or query integer as sent: ASCII digits only. Pydantic would also read "1.0",
    " 1", "+1" and "1_000" (and strict mode refuses every string, which all of these are)."""
    if isinstance(value, str) and _DIGITS.fullmatch(value) is None:
        raise ValueError("must be a whole number in ASCII digits")
    return value


_DIGITS = re.compile(r"[0-9]+")
# After Query()/Path() in Annotated[...], so the OpenAPI schema keeps its minimum/maximum.
AsciiDigits = BeforeValidator(_ascii_integer)
TokenIdPath = Annotated[int, Path(ge=1, le=MAX_INT64), AsciiDigits]
IdPath = Annotated[int, Path(ge=0, le=MAX_INT64), AsciiDigits]  # slots, requests, proposals


_CURSOR = re.compile(r"[0-9]{1,19}")  # ASCII only: str.isdigit() also takes "²" and "٣"


def parse_cursor(cursor: str | None) -> int | None:
    """A page cursor or feed position: the last id of the previous page (None: from the
    start). ASCII digits up to MAX_INT64 (ids in the database), else InvalidCursor (400)."""
    if cursor is None:
        return None
    if _CURSOR.fullmatch(cursor) is None or int(cursor) > MAX_INT64:
        raise InvalidCursor(cursor)
    return int(cursor)


def operation_out(gateway: Gateway, view: OperationView) -> OperationOut:
    with gateway.sessions() as session:
        rows = operation_events(session, view.tx_hash)
        shown = show_events(session, gateway.money, [(e.contract, e.name, e.args) for e in rows])
        # An operation is its participant's only: its references, in clear where it may.
        clear = payment_refs.revealed(session, view.participant, [s.args for s in shown])
        events = [
            EventOut(contract=e.contract, name=e.name, args=args, currency=s.currency)
            for e, s, args in zip(rows, shown, clear, strict=True)
        ]
    error = None
    if view.status == OperationStatus.FAILED:
        args = view.error_args
        if view.error_name is not None and args is not None:
            args = show_error_args(view.error_name, args, gateway.money)
        error = OperationError(name=view.error_name, args=args, message=view.error_message)
    return OperationOut(
        id=view.id,
        kind=view.kind,
        status=view.status,
        tx_hash=view.tx_hash,
        block_number=view.block_number,
        error=error,
        events=events,
    )


def _indexed_through(gateway: Gateway, view: OperationView) -> bool:
    """The indexer is past the operation's block (its events, if any, are readable)."""
    checkpoint = gateway.indexer.checkpoint()
    return (
        view.block_number is not None
        and checkpoint is not None
        and checkpoint[0] >= view.block_number
    )


def _moved_on(gateway: Gateway, view: OperationView) -> Callable[[], bool]:
    """Whether this process knows, in memory, that the operation went past `view`: mined
    and its block indexed, or (submitted) mined or failed."""
    if view.status == OperationStatus.MINED:
        block = view.block_number
        return lambda: block is not None and gateway.indexed_block >= block
    return lambda: gateway.pipeline.finished_here(view.id)


async def wait_for(
    gateway: Gateway, view: OperationView, wait: Wait, timeout: float
) -> OperationView:
    """Waits until the operation is mined or indexed (or failed), at most `timeout` seconds.

    The operation is read again when this process's pipeline has finished it or its indexer
    has passed its block (known in memory, without a query), else every FALLBACK seconds
    (work done by another gateway process). The wait is awaited on the event loop; only
    the reads take a worker thread, each for one query."""
    if wait == "none":
        return view
    deadline = time.monotonic() + min(timeout, MAX_WAIT)
    pipeline = gateway.pipeline
    # A wake that found the operation where it was (a reorg reopened an operation this
    # process remembers finishing) is not trusted again: the next wait is the timed one,
    # not a loop of reads.
    stale = False
    while True:
        if view.status in (OperationStatus.FAILED, OperationStatus.INDEXED):
            return view
        if view.status == OperationStatus.MINED:
            if wait == "mined":
                return view
            block = view.block_number
            known = block is not None and gateway.indexed_block >= block
            if known or await run_in_threadpool(_indexed_through, gateway, view):
                return await run_in_threadpool(pipeline.mark_indexed, view.id)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return view
        moved = (lambda: False) if stale else _moved_on(gateway, view)
        await gateway.progress.wait(moved, min(remaining, FALLBACK))
        again = await run_in_threadpool(pipeline.get, view.id)
        stale = (again.status, again.block_number) == (view.status, view.block_number)
        view = again


def request_fingerprint(
    participant: str, service: Callable[..., OperationView], arguments: dict[str, Any]
) -> str:
    """What a write asks for, as the idempotency key's request: the caller, the use case and
    its arguments (path and body, as validated), whatever the index says about them."""
    request = [participant, f"{service.__module__}.{service.__qualname__}", arguments]
    encoded = json.dumps(request, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


def _answer(gateway: Gateway, view: OperationView) -> JSONResponse:
    """202 with the operation; an operation that failed at estimation answers with the
    contract's problem, naming it."""
    body: dict[str, Any] = operation_out(gateway, view).model_dump(mode="json")
    failure = view.error()
    if failure is not None:
        return error_response(failure, gateway.money, operation=body)
    return JSONResponse(body, status_code=202)


class OperationResponse(JSONResponse):
    """The answer to a write, sent once the operation is as far as `wait` asks (or
    `timeout` passed). The route returns it as soon as the operation is accepted; the
    wait is awaited while the response is sent, on the event loop, so a waiting request
    holds no worker thread (the pool that runs routes and health checks). JSON either
    way: the operation, or the contract's problem."""

    def __init__(self, gateway: Gateway, view: OperationView, *, wait: Wait, timeout: float):
        super().__init__(None, status_code=202)  # what is sent is decided in __call__
        self._gateway, self._view, self._wait, self._timeout = gateway, view, wait, timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        view = await wait_for(self._gateway, self._view, self._wait, self._timeout)
        answer = await run_in_threadpool(_answer, self._gateway, view)
        await answer(scope, receive, send)


def accepted(
    gateway: Gateway, view: OperationView, *, wait: Wait, timeout: float
) -> OperationResponse:
    """202 with the operation once it is as far as `wait` asks (or `timeout` passed); an
    operation that failed at estimation answers with the contract's problem, naming it."""
    return OperationResponse(gateway, view, wait=wait, timeout=timeout)


# The arguments of a held write that are amounts in minor units (the use cases take them
# so), and the positions in `terms` ([advance, repayment, fees, fund_by]) that are.
_DRAFT_AMOUNTS = ("face_amount", "value", "two_checker_amount")
_TERMS_AMOUNTS = 3


def _draft_arguments(arguments: dict[str, Any], money: LedgerMoney) -> dict[str, Any]:
    """A draft's stored arguments with their amounts as decimal strings, as the checker
    reads them (the maker sent strings; the draft keeps what the use case takes)."""
    shown = dict(arguments)
    for name in _DRAFT_AMOUNTS:
        if isinstance(value := shown.get(name), int) and not isinstance(value, bool):
            shown[name] = money.text(value)
    items = shown.get("items")  # a set-off round's [piece, amount] pairs
    if isinstance(items, list) and all(isinstance(i, list) and len(i) == 2 for i in items):
        shown["items"] = [[piece, money.text(amount)] for piece, amount in items]
    terms = shown.get("terms")
    if isinstance(terms, list) and len(terms) > _TERMS_AMOUNTS:
        shown["terms"] = [
            money.text(v) if i < _TERMS_AMOUNTS and isinstance(v, int) else v
            for i, v in enumerate(terms)
        ]
    return shown


def draft_out(view: drafts.DraftView, money: LedgerMoney) -> DraftOut:
    d = view.draft
    return DraftOut(
        object="draft",
        id=d.id,
        kind=d.kind,
        status=d.status,  # type: ignore[arg-type]  # services.drafts writes these five
        arguments=_draft_arguments(d.arguments, money),
        amount=money.optional(None if d.amount is None else int(d.amount)),
        maker=d.maker,
        approvals_required=d.approvals_required,
        decisions=[
            DecisionOut(
                username=c.username,
                decision=c.decision,  # type: ignore[arg-type]  # approve | reject
                reason=c.reason,
                at=c.at,
            )
            for c in view.decisions
        ],
        created_at=d.created_at,
        expires_at=d.expires_at,
        decided_at=d.decided_at,
        reason=d.reason,
        operation_id=d.operation_id,
    )


def drafted(view: drafts.DraftView, money: LedgerMoney) -> JSONResponse:
    """202 with the draft that holds a write, and where to follow it."""
    body = draft_out(view, money).model_dump(mode="json")
    return JSONResponse(body, status_code=202, headers={"Location": f"/v1/drafts/{view.draft.id}"})


@dataclass(frozen=True)
class Write:
    """What every write route takes: the gateway, the caller, its idempotency key and how
    long to wait; `submit` runs one ledger service with them."""

    gateway: Gateway
    actor: Actor
    key: str
    wait: Wait
    timeout: float

    def submit(self, service: Callable[..., OperationView], **arguments: Any) -> JSONResponse:
        """Runs `service(ledger=, actor=, idempotency=, **arguments)` once per idempotency key.

        The key is looked up before anything else, before the service checks roles, state or
        what the caller may see: a key already used for another request is 409
        `idempotency-conflict` (even when this request would be refused), and a retry of
        the same request gets the first attempt's operation without being checked again
        (the first attempt may have changed the state those checks read)."""
        idempotency = Idempotency(
            key=self.key,
            request_hash=request_fingerprint(self.actor.participant, service, arguments),
        )
        # Maker-checker: a write the participant's policy checks is held as a draft (the
        # same key and request find it again), answered 202 with the draft.
        draft = drafts.held(self.gateway.sessions, self.actor.participant, idempotency)
        if draft is not None:
            return drafted(draft, self.gateway.money)
        view = self.gateway.pipeline.find(
            self.actor.participant, idempotency.key, idempotency.request_hash
        )
        if view is None:
            draft = drafts.hold(
                self.gateway.sessions,
                actor=self.actor,
                service=drafts.service_name(service),
                arguments=arguments,
                idempotency=idempotency,
                now=self.gateway.wall_clock(),
            )
            if draft is not None:
                return drafted(draft, self.gateway.money)
            view = service(
                ledger=self.gateway.ledger, actor=self.actor, idempotency=idempotency, **arguments
            )
        return accepted(self.gateway, view, wait=self.wait, timeout=self.timeout)


def write_context(
    gateway: GatewayDep,
    actor: Writer,
    key: IdempotencyKey,
    wait: WaitQuery = "none",
    timeout: TimeoutQuery = 30.0,
) -> Write:
    return Write(gateway=gateway, actor=actor, key=key, wait=wait, timeout=timeout)


WriteDep = Annotated[Write, Depends(write_context)]
