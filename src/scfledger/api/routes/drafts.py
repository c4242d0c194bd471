"""`/v1/drafts` and `/v1/policy`: maker-checker (复核).

A write the participant's policy needs a checker for answers 202 with a draft (`object:
"draft"`, `Location: /v1/drafts/{id}`) instead of an operation. A checker of the same
participant, another person than the maker, approves it (with a key of scope `approve`);
the approval that reaches the policy's count submits it. Drafts are announced on
`/v1/drafts/stream` (server-sent events, the participant's off-chain gateway events; the
chain's events stay on `/v1/events`) and to the participant's webhooks.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from scfledger.api.deps import Administrator, Checker, CurrentActor, GatewayDep
from scfledger.api.draft_schemas import (
    CheckerPolicyIn,
    CheckerPolicyOut,
    DecidedOut,
    DraftOut,
    DraftPage,
    DraftStatus,
    GatewayEventOut,
)
from scfledger.api.gateway import Gateway
from scfledger.api.guard import GuardedRoute
from scfledger.api.routes.common import (
    AsciiDigits,
    IdPath,
    draft_out,
    drafted,
    operation_out,
    parse_cursor,
)
from scfledger.api.schemas import RejectIn
from scfledger.api.schemas_people import RevealedOut
from scfledger.services import admin_drafts, checking, drafts
from scfledger.services.ledger import Actor

router = APIRouter(tags=["drafts"], route_class=GuardedRoute)

STREAM_POLL = 0.5
KEEP_ALIVE = 15.0
STREAM_PAGE = 100


@router.get("/v1/drafts")
def list_drafts(
    gateway: GatewayDep,
    actor: CurrentActor,
    status: Annotated[DraftStatus | None, Query(description="Only drafts in this status")] = None,
    after: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=200), AsciiDigits] = 50,
) -> DraftPage:
    """Your participant's drafts, oldest first (those past their time are expired first)."""
    views = drafts.list_drafts(
        gateway.sessions,
        actor,
        now=gateway.wall_clock(),
        after=parse_cursor(after),
        limit=limit,
        status=status,
    )
    items = [draft_out(v, gateway.money) for v in views]
    return DraftPage(items=items, next_cursor=str(items[-1].id) if len(items) == limit else None)


def _events(gateway: Gateway, actor: Actor, after: int) -> list[GatewayEventOut]:
    with gateway.sessions() as session:
        rows = drafts.gateway_events(session, actor.participant, after=after, limit=STREAM_PAGE)
        return [
            GatewayEventOut(id=e.id, name=e.name, args=e.args, created_at=e.created_at)
            for e in rows
        ]


@router.get(
    "/v1/drafts/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream(
    request: Request,
    gateway: GatewayDep,
    actor: CurrentActor,
    after: Annotated[str | None, Query(description="Start after this gateway event id")] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    duration: Annotated[
        float, Query(gt=0, le=3600, description="Seconds until the server closes the stream")
    ] = 300.0,
) -> StreamingResponse:
    """Your participant's draft events as server-sent events (`DraftCreated`,
    `DraftApproved`, `DraftRejected`, `DraftExpired`, `DraftSubmitted`; `id:` is the
    gateway event's id, `data:` the event as JSON). Counted with `/v1/events/stream`
    against `SCF_SSE_STREAMS_PER_KEY`."""
    start = parse_cursor(last_event_id or after or None) or 0
    slot = gateway.streams.acquire(request.state.api_key_id, gateway.settings.sse_streams_per_key)

    async def frames() -> AsyncIterator[str]:
        try:
            cursor = start
            deadline = time.monotonic() + duration
            quiet_since = time.monotonic()
            yield "retry: 1000\n\n"
            while time.monotonic() < deadline and not await request.is_disconnected():
                items = await run_in_threadpool(_events, gateway, actor, cursor)
                for item in items:
                    data = json.dumps(item.model_dump(mode="json"), separators=(",", ":"))
                    yield f"id: {item.id}\nevent: {item.name}\ndata: {data}\n\n"
                    cursor = item.id
                if items:
                    quiet_since = time.monotonic()
                    continue
                if time.monotonic() - quiet_since >= KEEP_ALIVE:
                    quiet_since = time.monotonic()
                    yield ": keep-alive\n\n"
                await asyncio.sleep(STREAM_POLL)
        finally:
            slot.release()

    return StreamingResponse(
        frames(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/v1/drafts/{draft_id}")
def get_draft(draft_id: IdPath, gateway: GatewayDep, actor: CurrentActor) -> DraftOut:
    """One of your participant's drafts (`404 not-found` for another's)."""
    view = drafts.get_draft(gateway.sessions, actor, draft_id, now=gateway.wall_clock())
    return draft_out(view, gateway.money)


@router.post("/v1/drafts/{draft_id}/approve")
def approve(draft_id: IdPath, gateway: GatewayDep, actor: Checker) -> DecidedOut:
    """Approve a pending draft of your participant made by someone else (`403 own-draft`
    for your own, `409 already-decided` twice or once it is no longer pending, `409
    draft-expired` past its time). The approval that reaches the policy's count (two
    different checkers above its two-checker amount) submits the write with the maker's
    idempotency key: `operation` is then the operation, failed if the contract refused it."""
    view, operation = drafts.approve_draft(
        gateway.ledger, actor, draft_id, now=gateway.wall_clock(), sealer=gateway.sealer
    )
    return DecidedOut(
        draft=draft_out(view, gateway.money),
        operation=None if operation is None else operation_out(gateway, operation),
    )


@router.post("/v1/drafts/{draft_id}/reveal")
def reveal(draft_id: IdPath, gateway: GatewayDep, actor: CurrentActor) -> RevealedOut:
    """What an approved administration draft of yours made (a user's temporary password and
    second factor, an API key), shown to its maker this once and then erased: `403
    not-maker` for anyone else, checkers included; `409 already-revealed` the second
    time; `409 invalid-state` for a draft that made nothing (yet)."""
    view = drafts.get_draft(gateway.sessions, actor, draft_id, now=gateway.wall_clock())
    made = admin_drafts.reveal_secrets(
        gateway.sessions, actor, draft_id, sealer=gateway.sealer, now=gateway.wall_clock()
    )
    return RevealedOut(draft_id=draft_id, kind=view.draft.kind, **made)


@router.post("/v1/drafts/{draft_id}/reject")
def reject(draft_id: IdPath, body: RejectIn, gateway: GatewayDep, actor: Checker) -> DraftOut:
    """Reject a pending draft of your participant with a reason (refusals as for approve)."""
    view = drafts.reject_draft(
        gateway.sessions, actor, draft_id, reason=body.reason, now=gateway.wall_clock()
    )
    return draft_out(view, gateway.money)


def _policy_out(gateway: Gateway, actor: Actor) -> CheckerPolicyOut:
    with gateway.sessions() as session:
        policy, default = checking.read_policy(session, actor)
    money = gateway.money
    return CheckerPolicyOut(
        participant=actor.participant,
        kinds=sorted(policy.kinds),
        two_checker_amount=money.optional(policy.two_checker_amount),
        currency=money.base,
        draft_ttl_hours=policy.draft_ttl_hours,
        default=default,
    )


@router.get("/v1/policy")
def get_policy(gateway: GatewayDep, actor: CurrentActor) -> CheckerPolicyOut:
    """Your participant's maker-checker policy (the default until an admin sets one)."""
    return _policy_out(gateway, actor)


@router.put(
    "/v1/policy",
    response_model=CheckerPolicyOut,
    responses={202: {"model": DraftOut, "description": "The change waits for a checker"}},
)
def put_policy(
    body: CheckerPolicyIn, gateway: GatewayDep, actor: Administrator
) -> CheckerPolicyOut | JSONResponse:
    """Set your participant's policy (admins). A change that asks as much or more applies
    at once (200, the policy); one that asks less, while the current policy checks
    `policy.update`, waits for a checker (202, the draft): no one loosens four eyes alone."""
    limit = body.two_checker_amount
    money = gateway.money
    held = checking.update_policy(
        gateway.sessions,
        actor,
        kinds=list(body.kinds),
        two_checker_amount=None
        if limit is None
        else money.parse(limit, money.base, field="two_checker_amount", allow_zero=True),
        draft_ttl_hours=body.draft_ttl_hours,
        now=gateway.wall_clock(),
    )
    if held is not None:
        return drafted(held, gateway.money)
    return _policy_out(gateway, actor)
