"""The route class of every API router: authenticate, then bound the body, before parsing.

FastAPI reads and parses a route's JSON body before it resolves the route's dependencies,
so an anonymous caller could make the gateway parse anything. A `GuardedRoute` that takes a
JSON body first authenticates the caller (if the route needs one: 401 without reading the
body), then reads the body up to MAX_BODY_BYTES (413 `body-too-large`), scans its bytes,
without parsing or recursion, for arrays and objects nested deeper than MAX_JSON_DEPTH
(400 `body-too-deep`) and refuses a body in another media type than JSON (415
`unsupported-media-type`); only then does FastAPI parse it. Routes that stream their own
body (document uploads) have no body field and keep their own limit.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.types import Message, Receive

from scfledger.api.deps import current_actor, gateway_of
from scfledger.exceptions import BodyTooDeep, BodyTooLarge, UnsupportedMediaType

# The largest valid JSON body is a relayed transaction: 128 KiB (geth's limit) as hex.
MAX_BODY_BYTES = 512 * 1024
# The request schemas nest three levels at most (an object holding a list of strings).
MAX_JSON_DEPTH = 32

_OPEN = (0x5B, 0x7B)  # [ {
_CLOSE = (0x5D, 0x7D)  # ] }
_QUOTE, _BACKSLASH = 0x22, 0x5C


def nested_deeper_than(body: bytes, limit: int) -> bool:
    """Whether `body`, read as JSON, nests arrays and objects more than `limit` deep: one
    pass over the bytes, skipping strings, that needs no valid JSON and no recursion."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif byte in _CLOSE:
            depth -= 1
    return False


async def bounded_body(request: Request) -> bytes:
    """The request's body, refused past MAX_BODY_BYTES (by its Content-Length before any
    byte is read, else as it arrives) or nested past MAX_JSON_DEPTH."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise BodyTooLarge(limit=MAX_BODY_BYTES)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge(limit=MAX_BODY_BYTES)
        chunks.append(chunk)
    body = b"".join(chunks)
    if nested_deeper_than(body, MAX_JSON_DEPTH):
        raise BodyTooDeep(limit=MAX_JSON_DEPTH)
    return body


def _is_json(content_type: str | None) -> bool:
    """What FastAPI parses as JSON: application/json and application/*+json."""
    media = (content_type or "").partition(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives `body` once, then what the client sends (a disconnect)."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)


class GuardedRoute(APIRoute):
    """An APIRoute that authenticates and bounds its JSON body before FastAPI parses it."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:  # FastAPI reads no body for this route
            return handler
        authenticates = _depends_on(self.dependant, current_actor)

        async def guarded(request: Request) -> Response:
            if authenticates:
                # Kept in the request's state: the route's own dependency reuses it.
                request.state.actor = await run_in_threadpool(
                    current_actor,
                    request,
                    gateway_of(request),
                    request.headers.get("authorization"),
                )
            body = await bounded_body(request)
            content_type = request.headers.get("content-type")
            if body and not _is_json(content_type):
                raise UnsupportedMediaType(content_type=content_type, expected="application/json")
            return await handler(Request(request.scope, _replaying(body, request.receive)))

        return guarded
