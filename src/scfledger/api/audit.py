"""The ASGI middleware that writes one audit record per authenticated request (people/audit.py).

Who: the request's `state.actor` (set by `api.deps.current_actor` once it authenticated a
credential, also when the route then refuses) or, for a sign-in attempt, its
`state.audit_subject` (recorded as "anonymous" with the username tried). A request that
authenticated no one and tried no one (no credential, a wrong key, an ended session) is
not recorded.

What: the route's template as the action (`POST /v1/receivables`), the raw path as the
target, the SHA-256 of the request (method, raw path, query and the body bytes the gateway
read; never the body itself), the status, the result (the problem's type slug, else
"ok"), and from an answer's body (read as it passes, at most 64 KiB, only problems and
202s) the operation's id and transaction hash; the draft from `state.audit_draft_id` or a
`draft_id` path parameter.

When: after the response is sent, on a worker thread, one short transaction; an event
stream (`text/event-stream`) is recorded when it starts, never buffered. The records of
requests that end while one is being written wait for it and are then written together,
in one transaction (`GroupWriter`): every record locks the one head row of the trail, so
one transaction per record would queue every request of every process on it. A failure to
write is logged (its class only: a database error's text would carry the row) and
counted (`scf_audit_failures`), and does not change the answer already sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from prometheus_client import Counter
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scfledger.api.errors import PROBLEM_BASE, PROBLEM_JSON
from scfledger.db.session import transaction
from scfledger.people.audit import AuditEntry, AuditSubject, append_many
from scfledger.services.ledger import Actor

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # of an answer read for its problem type or operation
EVENT_STREAM = "text/event-stream"


def request_digest(scope: Scope) -> hashlib._Hash:
    """A SHA-256 started with `METHOD raw-path?query\\n`; the body bytes follow."""
    raw_path = scope.get("raw_path") or scope["path"].encode()
    digest = hashlib.sha256(scope["method"].encode("ascii") + b" " + raw_path)
    digest.update(b"?" + scope.get("query_string", b"") + b"\n")
    return digest


def _media(headers: Headers) -> str:
    return headers.get("content-type", "").partition(";")[0].strip().lower()


class _Answer:
    """What passes back to the client: status, media type, and the start of the body
    when it names a problem or an operation."""

    def __init__(self) -> None:
        self.status = 500  # until the app starts an answer: it raised
        self.media = ""
        self.body = bytearray()
        self.keep = False
        self.started = False

    def start(self, message: Message) -> None:
        self.started = True
        self.status = int(message["status"])
        self.media = _media(Headers(raw=message.get("headers", [])))
        self.keep = self.media == PROBLEM_JSON or (
            self.status == 202 and self.media == "application/json"
        )

    def chunk(self, body: bytes) -> None:
        if self.keep:
            if len(self.body) + len(body) > MAX_BODY:
                self.keep = False
                self.body.clear()
            else:
                self.body += body

    def document(self) -> dict[str, Any]:
        if not self.body:
            return {}
        try:
            parsed = json.loads(bytes(self.body))
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}

    def outcome(self) -> tuple[str, str | None, str | None]:
        """(result, operation id, transaction hash)."""
        document = self.document()
        problem = document.get("type")
        if self.media == PROBLEM_JSON and isinstance(problem, str):
            result = problem.removeprefix(PROBLEM_BASE)
        elif self.status >= 400:
            result = f"http-{self.status}"
        else:
            result = "ok"
        operation = document.get("operation") if self.media == PROBLEM_JSON else document
        if not isinstance(operation, dict):
            return result, None, None
        return result, _text(operation.get("id")), _text(operation.get("tx_hash"))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def entry_for(
    scope: Scope, status: int, result: str, request_hash: str, **found: str | None
) -> AuditEntry | None:
    """The record of the request, or None when it authenticated no one and tried no one."""
    state = scope.get("state") or {}
    actor, subject = state.get("actor"), AuditSubject.of(state.get("audit_subject"))
    route = scope.get("route")
    template = getattr(route, "path", None) or "(unmatched)"
    headers = Headers(scope=scope)
    client = scope.get("client")
    path_params = scope.get("path_params") or {}
    common: dict[str, Any] = {
        "action": f"{scope['method']} {template}",
        "target": (scope.get("raw_path") or scope["path"].encode()).decode("latin-1"),
        "request_hash": request_hash,
        "status": status,
        "result": result,
        "address": client[0] if client else None,
        "user_agent": headers.get("user-agent"),
        "draft_id": _text(state.get("audit_draft_id")) or _text(path_params.get("draft_id")),
        **found,
    }
    if isinstance(actor, Actor):
        person = actor.person
        if person is None:
            return AuditEntry(credential="key", participant=actor.participant, **common)
        return AuditEntry(
            credential=person.credential,
            participant=actor.participant,
            user_id=person.user_id,
            username=person.username,
            roles=sorted(person.roles),
            **common,
        )
    if subject is not None:
        return AuditEntry(
            credential="anonymous",
            participant=subject.participant,
            user_id=subject.user_id,
            username=subject.username,
            **common,
        )
    return None


_Waiting = tuple[AuditEntry, "asyncio.Future[None]"]  # an entry and its request's wait


class GroupWriter:
    """Writes audit entries with `write` on a worker thread, the entries that arrive while
    a write runs together in the next one (group commit). `await add(entry)` returns once
    the entry is written and raises what its write raised. When a group fails, each of its
    entries is written again alone, so one bad entry keeps no other out."""

    def __init__(self, write: Callable[[Sequence[AuditEntry]], None]) -> None:
        self._write = write
        # Per event loop (a process has one; tests may start several one after another):
        # the entries waiting for the next write, and the task writing, if any.
        self._waiting: dict[asyncio.AbstractEventLoop, list[_Waiting]] = {}
        self._writers: dict[asyncio.AbstractEventLoop, asyncio.Task[None]] = {}

    async def add(self, entry: AuditEntry) -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._waiting.setdefault(loop, []).append((entry, done))
        if loop not in self._writers:
            self._writers[loop] = loop.create_task(self._drain(loop))
        await done

    async def _drain(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            while group := self._waiting.pop(loop, []):
                try:
                    await run_in_threadpool(self._write, [entry for entry, _ in group])
                except Exception:
                    for entry, done in group:
                        await self._alone(entry, done)
                else:
                    for _, done in group:
                        _settle(done, None)
        finally:
            del self._writers[loop]

    async def _alone(self, entry: AuditEntry, done: asyncio.Future[None]) -> None:
        try:
            await run_in_threadpool(self._write, [entry])
        except Exception as exc:
            _settle(done, exc)
        else:
            _settle(done, None)


def _settle(done: asyncio.Future[None], error: Exception | None) -> None:
    if done.done():  # its request was cancelled while it waited
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)


class AuditMiddleware:
    """Records every authenticated request of the app it wraps (see the module)."""

    def __init__(
        self, app: ASGIApp, *, sessions: Callable[[], sessionmaker[Session]], failures: Counter
    ) -> None:
        self.app = app
        self.sessions = sessions  # read when writing: the app is built before its gateway
        self.failures = failures
        self.writer = GroupWriter(self._write)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})  # one dict, shared by every Request of this scope
        digest = request_digest(scope)
        answer = _Answer()
        recorded = False

        async def hashing_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                digest.update(message.get("body", b""))
            return message

        async def watching_send(message: Message) -> None:
            nonlocal recorded
            if message["type"] == "http.response.start":
                answer.start(message)
                await send(message)
                if answer.media == EVENT_STREAM:  # recorded as it starts, never buffered
                    recorded = True
                    await self._record(scope, answer, digest.hexdigest())
                return
            if message["type"] == "http.response.body":
                answer.chunk(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, hashing_receive, watching_send)
        finally:
            if not recorded:
                await self._record(scope, answer, digest.hexdigest())

    async def _record(self, scope: Scope, answer: _Answer, request_hash: str) -> None:
        result, operation_id, tx_hash = answer.outcome()
        if not answer.started:
            result = "internal-error"
        entry = entry_for(
            scope,
            answer.status,
            result,
            request_hash,
            operation_id=operation_id,
            tx_hash=tx_hash,
        )
        if entry is None:
            return
        try:
            await self.writer.add(entry)
        except Exception as exc:  # the answer is sent: the failure is the operator's to see
            log.error(
                "audit record not written for %s (status %s): %s",
                entry.action,
                entry.status,
                type(exc).__name__,
            )
            self.failures.inc()

    def _write(self, entries: Sequence[AuditEntry]) -> None:
        with transaction(self.sessions()) as session:
            append_many(session, entries)
