"""`ScfClient` (sync) and `AsyncScfClient` (async): how each sends a call, with retries that
reuse the idempotency key, and each one's reader of the server-sent event stream."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncGenerator, Generator
from typing import Any, TypeVar

import httpx

from scfledger_client.admin import AdminEndpoints
from scfledger_client.calls import Call, RetryPolicy, Wait, query
from scfledger_client.checking import CheckingEndpoints
from scfledger_client.finance import FinanceEndpoints
from scfledger_client.ledger import LedgerEndpoints
from scfledger_client.models import FeedEventOut
from scfledger_client.pricing import PricingEndpoints
from scfledger_client.problem import ApiProblem
from scfledger_client.setoff import SetOffEndpoints
from scfledger_client.statements import StatementsEndpoints

T = TypeVar("T")


class Endpoints(
    LedgerEndpoints,
    FinanceEndpoints,
    PricingEndpoints,
    AdminEndpoints,
    CheckingEndpoints,
    StatementsEndpoints,
    SetOffEndpoints,
):
    """The gateway's endpoints, one method each, shared by `ScfClient` and `AsyncScfClient`."""


def _prepare(call: Call[Any]) -> dict[str, Any]:
    """Request arguments; the idempotency key is fixed here, once, for every attempt."""
    key = call.idempotency_key
    if call.write and key is None:
        key = str(uuid.uuid4())
    kwargs: dict[str, Any] = {"params": call.params or None, "headers": call.headers(key)}
    body = call.json()
    if body is not None:
        kwargs["json"] = body
    if call.files is not None:
        kwargs["files"] = call.files
    return kwargs


def _result(call: Call[T], response: httpx.Response) -> T:
    if response.is_error:
        raise ApiProblem.from_response(response)
    return call.parse(response.content if call.raw else response.json())


def _headers(api_key: str | None) -> dict[str, str]:
    return {} if api_key is None else {"Authorization": f"Bearer {api_key}"}


def _attempts(call: Call[Any], retry: RetryPolicy) -> int:
    return retry.attempts if call.retry else 1


class _EventStream:
    """Decodes server-sent event lines (`id:`, `event:`, `data:`, blank line ends a frame,
    `:` starts a comment) into feed events; `last_id` is the cursor to resume from."""

    def __init__(self) -> None:
        self.last_id: str | None = None
        self._data: list[str] = []

    def line(self, line: str) -> FeedEventOut | None:
        if line == "":
            data, self._data = self._data, []
            return FeedEventOut.model_validate_json("\n".join(data)) if data else None
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "id":
            self.last_id = value
        return None  # `event:` repeats the data's name; `retry:` is for browsers


class ScfClient(Endpoints):
    """Synchronous client. `with ScfClient(url, api_key=...) as scf: scf.members()`."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        wait: Wait = "none",
        timeout: float = 70.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.wait = wait
        self.retry = retry or RetryPolicy()
        self.http = httpx.Client(
            base_url=base_url, headers=_headers(api_key), timeout=timeout, transport=transport
        )

    def __enter__(self) -> ScfClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def send(self, call: Call[T]) -> T:
        """Sends `call`, retrying transient failures with the same idempotency key."""
        kwargs = _prepare(call)
        attempts = _attempts(call, self.retry)
        attempt = 0
        while True:
            try:
                response = self.http.request(call.method, call.path, **kwargs)
            except httpx.TransportError:
                if attempt + 1 >= attempts:
                    raise
            else:
                if response.status_code not in self.retry.statuses or attempt + 1 >= attempts:
                    return _result(call, response)
            time.sleep(self.retry.delay(attempt))
            attempt += 1

    def stream_events(
        self, after: str | None = None, *, duration: float | None = None
    ) -> Generator[FeedEventOut, None, None]:
        """Visible events as they are indexed (`/v1/events/stream`), after the cursor
        `after`, until the server ends the stream (`duration` seconds) or the caller stops
        iterating. No reconnection: resume with `after=str(last_event.id)`."""
        params = query(after=after, duration=duration)
        with self.http.stream("GET", "/v1/events/stream", params=params) as response:
            if response.is_error:
                response.read()
                raise ApiProblem.from_response(response)
            decoder = _EventStream()
            for line in response.iter_lines():
                event = decoder.line(line)
                if event is not None:
                    yield event


class AsyncScfClient(Endpoints):
    """Asynchronous client with the same methods as `ScfClient`, awaited."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        wait: Wait = "none",
        timeout: float = 70.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.wait = wait
        self.retry = retry or RetryPolicy()
        self.http = httpx.AsyncClient(
            base_url=base_url, headers=_headers(api_key), timeout=timeout, transport=transport
        )

    async def __aenter__(self) -> AsyncScfClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    async def send(self, call: Call[T]) -> T:
        """Sends `call`, retrying transient failures with the same idempotency key."""
        kwargs = _prepare(call)
        attempts = _attempts(call, self.retry)
        attempt = 0
        while True:
            try:
                response = await self.http.request(call.method, call.path, **kwargs)
            except httpx.TransportError:
                if attempt + 1 >= attempts:
                    raise
            else:
                if response.status_code not in self.retry.statuses or attempt + 1 >= attempts:
                    return _result(call, response)
            await asyncio.sleep(self.retry.delay(attempt))
            attempt += 1

    async def stream_events(
        self, after: str | None = None, *, duration: float | None = None
    ) -> AsyncGenerator[FeedEventOut, None]:
        """`ScfClient.stream_events`, asynchronously: `async for event in ...`."""
        params = query(after=after, duration=duration)
        async with self.http.stream("GET", "/v1/events/stream", params=params) as response:
            if response.is_error:
                await response.aread()
                raise ApiProblem.from_response(response)
            decoder = _EventStream()
            async for line in response.aiter_lines():
                event = decoder.line(line)
                if event is not None:
                    yield event
