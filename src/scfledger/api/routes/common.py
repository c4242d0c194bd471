"""Shared by the write routes: idempotent submission, bounded waiting, operation bodies."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Query
from fastapi.responses import JSONResponse
from sqlalchemy import update

from scfledger.api.deps import CurrentActor, GatewayDep, IdempotencyKey
from scfledger.api.errors import error_response
from scfledger.api.gateway import Gateway
from scfledger.api.schemas import EventOut, OperationError, OperationOut
from scfledger.chain.pipeline import OperationView
from scfledger.db.models import Operation, OperationStatus
from scfledger.db.session import transaction
from scfledger.exceptions import IdempotencyConflict, InvalidInput, ScfError
from scfledger.services.ledger import Actor, operation_events, replay

Wait = Literal["none", "mined", "indexed"]
MAX_WAIT = 60.0
FALLBACK = 0.25  # seconds between reads of an operation no local loop reports on
WaitQuery = Annotated[Wait, Query(description="Return once the operation is mined or indexed.")]
TimeoutQuery = Annotated[float, Query(gt=0, le=60)]
WRITE: dict[int | str, dict[str, Any]] = {202: {"model": OperationOut}}
ADDRESS = r"^0x[0-9a-fA-F]{40}$"


def parse_cursor(cursor: str | None) -> int | None:
    """A page cursor: the last id of the previous page (None: from the start)."""
    if cursor is None:
        return None
    if not cursor.isdigit() or len(cursor) > 19:
        raise InvalidInput(f"invalid cursor {cursor!r}")
    return int(cursor)


def operation_out(gateway: Gateway, view: OperationView) -> OperationOut:
    with gateway.sessions() as session:
        events = [
            EventOut(contract=e.contract, name=e.name, args=e.args)
            for e in operation_events(session, view.tx_hash)
        ]
    error = None
    if view.status == OperationStatus.FAILED:
        error = OperationError(
            name=view.error_name, args=view.error_args, message=view.error_message
        )
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
    return lambda: gateway.pipeline.settled_here(view.id)


def wait_for(gateway: Gateway, view: OperationView, wait: Wait, timeout: float) -> OperationView:
    """Waits until the operation is mined or indexed (or failed), at most `timeout` seconds.

    The operation is read again when this process's pipeline has settled it or its indexer
    has passed its block (known in memory, without a query), else every FALLBACK seconds
    (work done by another gateway process)."""
    if wait == "none":
        return view
    deadline = time.monotonic() + min(timeout, MAX_WAIT)
    pipeline = gateway.pipeline
    while True:
        if view.status in (OperationStatus.FAILED, OperationStatus.INDEXED):
            return view
        if view.status == OperationStatus.MINED:
            if wait == "mined":
                return view
            block = view.block_number
            known = block is not None and gateway.indexed_block >= block
            if known or _indexed_through(gateway, view):
                # The indexer saw the block before the pipeline saw the receipt: the
                # indexer's own mark found the operation still submitted.
                with transaction(gateway.sessions) as session:
                    session.execute(
                        update(Operation)
                        .where(
                            Operation.id == view.id,
                            Operation.status == OperationStatus.MINED,
                        )
                        .values(status=OperationStatus.INDEXED)
                    )
                return gateway.pipeline.get(view.id)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return view
        gateway.await_progress(_moved_on(gateway, view), min(remaining, FALLBACK))
        view = pipeline.get(view.id)


def accepted(
    gateway: Gateway,
    actor: Actor,
    key: str,
    action: Callable[[], OperationView],
    *,
    wait: Wait,
    timeout: float,
) -> JSONResponse:
    """Runs a write once per idempotency key and answers 202 with the operation.

    A retry whose checks no longer pass (the first attempt changed the state) returns the
    operation of the first attempt; one that fails at estimation answers with the
    contract's problem, naming the operation.
    """
    existing = replay(gateway.ledger, actor, key)
    try:
        view = action()
    except IdempotencyConflict:
        raise
    except ScfError:
        if existing is None:
            raise
        view = existing
    view = wait_for(gateway, view, wait, timeout)
    body: dict[str, Any] = operation_out(gateway, view).model_dump(mode="json")
    failure = view.error()
    if failure is not None:
        return error_response(failure, operation=body)
    return JSONResponse(body, status_code=202)


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
        """Calls `service(ledger=, actor=, idempotency_key=, **arguments)` through `accepted`."""
        return accepted(
            self.gateway,
            self.actor,
            self.key,
            lambda: service(
                ledger=self.gateway.ledger,
                actor=self.actor,
                idempotency_key=self.key,
                **arguments,
            ),
            wait=self.wait,
            timeout=self.timeout,
        )


def write_context(
    gateway: GatewayDep,
    actor: CurrentActor,
    key: IdempotencyKey,
    wait: WaitQuery = "none",
    timeout: TimeoutQuery = 30.0,
) -> Write:
    return Write(gateway=gateway, actor=actor, key=key, wait=wait, timeout=timeout)


WriteDep = Annotated[Write, Depends(write_context)]
