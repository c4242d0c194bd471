"""`/v1/events`: the feed of indexed chain events, paged by cursor or as server-sent events.

Who sees what is `services.visibility` (the rule of every read): auditors every event; anyone
else an event of a set-off round it is a party to or proposed, else about a financing
request it can read, else about a piece it can read, else (none named) one that names its
own address; read from the feed's visibility table the indexer keeps by that rule. The
cursor is the feed row id.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from scfledger.api.deps import CurrentActor, GatewayDep
from scfledger.api.fast_json import FastJSONResponse
from scfledger.api.gateway import Gateway
from scfledger.api.guard import GuardedRoute
from scfledger.api.routes.common import AsciiDigits, parse_cursor
from scfledger.api.schemas import EventPage
from scfledger.api.streams import StreamSlot
from scfledger.services import payment_refs
from scfledger.services import visibility as services
from scfledger.services.event_money import show_events
from scfledger.services.ledger import Actor

FeedEvent = dict[str, Any]  # a `FeedEventOut` as JSON

router = APIRouter(prefix="/v1/events", tags=["events"], route_class=GuardedRoute)

STREAM_POLL = 0.5  # seconds between feed polls of an idle stream
KEEP_ALIVE = 15.0  # seconds of silence before a comment line keeps proxies from timing out
RETRY_MS = 1000  # reconnection delay advised to clients
STREAM_PAGE = 100


def _feed_cursor(value: str | None) -> int:
    """A feed position: an event id, 0 (or empty) for the start."""
    return parse_cursor(value or None) or 0


def _page(gateway: Gateway, actor: Actor, after: int, limit: int) -> tuple[list[FeedEvent], int]:
    """A page of the feed as `FeedEventOut`'s JSON objects: plain dicts, not models (the
    read model's columns have the fields' types; a page is 100-500 of them)."""
    with gateway.reads() as session:
        rows, cursor = services.list_events(session, actor, after=after, limit=limit)
        shown = show_events(
            session,
            gateway.money,
            [(e.contract, e.name, e.args) for e in rows],
            [e.stored_currency for e in rows],
        )
        clear = payment_refs.revealed(session, actor.participant, [s.args for s in shown])
        return [
            {
                "id": e.id,
                "block_number": e.block_number,
                "tx_hash": e.tx_hash,
                "log_index": e.log_index,
                "contract": e.contract,
                "name": e.name,
                "args": args,
                "currency": s.currency,
            }
            for e, s, args in zip(rows, shown, clear, strict=True)
        ], cursor


async def _releasing(frames: AsyncIterator[str], slot: StreamSlot) -> AsyncIterator[str]:
    """`frames`, giving back the stream's slot however the stream ends."""
    try:
        async for frame in frames:
            yield frame
    finally:
        slot.release()


@router.get("", response_model=EventPage)
def feed(
    gateway: GatewayDep,
    actor: CurrentActor,
    after: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500), AsciiDigits] = 100,
) -> FastJSONResponse:
    """Visible events after the cursor, oldest first. Auditors see every event; anyone else
    an event of a set-off round it is a party to or proposed, else about a financing request
    it can read, else about a piece it can read (pieces of a receivable it does not deal
    with directly stay hidden), else one naming its own address (membership, governance,
    deposit token). A page may be short (an auditor's scans a bounded number of rows; anyone
    else's is short only at the head): continue from `next_cursor`; the head is reached when
    `next_cursor` comes back equal to `after`."""
    items, cursor = _page(gateway, actor, _feed_cursor(after), limit)
    # Written as JSON here: FastAPI would validate the page again, on another thread.
    return FastJSONResponse({"items": items, "next_cursor": str(cursor)})


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream(
    request: Request,
    gateway: GatewayDep,
    actor: CurrentActor,
    after: Annotated[str | None, Query(description="Start after this cursor")] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    duration: Annotated[
        float, Query(gt=0, le=3600, description="Seconds until the server closes the stream")
    ] = 300.0,
) -> StreamingResponse:
    """Visible events as server-sent events (`id:` is the feed cursor, `event:` the event's
    name, `data:` the event as JSON). A reconnecting client's `Last-Event-ID` takes precedence
    over `after`. The stream ends after `duration` seconds; reconnect to go on. One API key
    holds at most `SCF_SSE_STREAMS_PER_KEY` (default 4) streams open: 429 beyond."""
    start = _feed_cursor(last_event_id or after)
    slot = gateway.streams.acquire(request.state.api_key_id, gateway.settings.sse_streams_per_key)

    async def frames() -> AsyncIterator[str]:
        cursor = start
        deadline = time.monotonic() + duration
        quiet_since = time.monotonic()
        yield f"retry: {RETRY_MS}\n\n"
        while time.monotonic() < deadline and not await request.is_disconnected():
            items, cursor = await run_in_threadpool(_page, gateway, actor, cursor, STREAM_PAGE)
            for item in items:
                data = json.dumps(item, separators=(",", ":"))
                yield f"id: {item['id']}\nevent: {item['name']}\ndata: {data}\n\n"
            if items:
                quiet_since = time.monotonic()
                continue
            if time.monotonic() - quiet_since >= KEEP_ALIVE:
                quiet_since = time.monotonic()
                yield ": keep-alive\n\n"
            await asyncio.sleep(STREAM_POLL)

    return StreamingResponse(
        _releasing(frames(), slot),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
