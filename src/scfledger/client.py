"""Typed Python client of the gateway's REST API (httpx; `ScfClient` sync, `AsyncScfClient` async).

Every endpoint is described once as a `Call` (method, path, query, body, how to parse the
answer); the two clients only differ in how they send it. Adding an endpoint is one
function in `calls` and a one-line method on each client.

Writes carry an `Idempotency-Key` (a uuid4 unless given). A write is retried after a
connection failure or a 502/503/504 with the SAME key, so the gateway runs it at most once
even when the first attempt reached it and only the answer was lost.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter

from scfledger.api.schemas import (
    ApproveIn,
    FinancingIn,
    FinancingOut,
    FundIn,
    IssueIn,
    LineageOut,
    MemberOut,
    OperationOut,
    PieceOut,
    PiecePage,
    TransferIn,
)
from scfledger.risk.policy import Policy

__all__ = [
    "ApiProblem",
    "AsyncScfClient",
    "Call",
    "RetryPolicy",
    "ScfClient",
    "Wait",
    "calls",
]

T = TypeVar("T")
Wait = Literal["none", "mined", "indexed"]
PROBLEM_JSON = "application/problem+json"
RETRY_STATUSES = frozenset({502, 503, 504})


class ApiProblem(Exception):
    """An RFC 9457 problem answered by the gateway; `extensions` holds every other member
    (`errors` of a validation problem, `error` and `operation` of a refused write)."""

    def __init__(
        self,
        *,
        type: str,
        status: int,
        title: str,
        detail: str,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        self.type = type
        self.status = status
        self.title = title
        self.detail = detail
        self.extensions: dict[str, Any] = dict(extensions or {})
        super().__init__(f"{status} {title}: {detail} ({type})")

    @property
    def slug(self) -> str:
        """The last segment of `type`: `duplicate-document`, `forbidden`, ..."""
        return self.type.rstrip("/").rsplit("/", 1)[-1]

    @property
    def operation(self) -> OperationOut | None:
        """The failed operation of a write the chain refused, if the gateway named one."""
        body = self.extensions.get("operation")
        return None if body is None else OperationOut.model_validate(body)

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiProblem:
        """The problem of an error answer; a non-problem body becomes an `about:blank` one."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return cls(
                type="about:blank",
                status=response.status_code,
                title=response.reason_phrase or "HTTP error",
                detail=response.text[:500],
            )
        known = {"type", "status", "title", "detail"}
        return cls(
            type=str(body.get("type", "about:blank")),
            status=int(body.get("status", response.status_code)),
            title=str(body.get("title", response.reason_phrase)),
            detail=str(body.get("detail", "")),
            extensions={k: v for k, v in body.items() if k not in known},
        )


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of transient failures: `attempts` in all, exponential backoff with jitter."""

    attempts: int = 4
    backoff: float = 0.2
    max_backoff: float = 3.0
    statuses: frozenset[int] = RETRY_STATUSES

    def delay(self, attempt: int) -> float:
        """Seconds to sleep after failed attempt number `attempt` (0-based)."""
        ceiling = min(self.max_backoff, self.backoff * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not a secret)


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request and the parser of its successful answer."""

    method: str
    path: str
    parse: Callable[[Any], T]
    params: dict[str, Any] = field(default_factory=dict)
    body: BaseModel | dict[str, Any] | None = None
    write: bool = False
    idempotency_key: str | None = None

    def headers(self, key: str | None) -> dict[str, str]:
        return {} if key is None else {"Idempotency-Key": key}

    def json(self) -> Any:
        if isinstance(self.body, BaseModel):
            return self.body.model_dump(mode="json", exclude_none=True)
        return self.body


def _model(model: type[BaseModel]) -> Callable[[Any], Any]:
    return model.model_validate


def _adapter(tp: Any) -> Callable[[Any], Any]:
    adapter: TypeAdapter[Any] = TypeAdapter(tp)
    return adapter.validate_python


def _json(value: Any) -> dict[str, Any]:
    assert isinstance(value, dict)
    return value


def _write_params(wait: Wait, timeout: float | None) -> dict[str, Any]:
    params: dict[str, Any] = {"wait": wait}
    if timeout is not None:
        params["timeout"] = timeout
    return params


class calls:  # noqa: N801 (a namespace of Call builders)
    """The endpoints, one builder each. Writes return the gateway's operation."""

    @staticmethod
    def members() -> Call[list[MemberOut]]:
        return Call("GET", "/v1/members", _adapter(list[MemberOut]))

    @staticmethod
    def issue(
        body: IssueIn, *, key: str | None, wait: Wait, timeout: float | None
    ) -> Call[OperationOut]:
        return Call(
            "POST",
            "/v1/receivables",
            _model(OperationOut),
            _write_params(wait, timeout),
            body,
            write=True,
            idempotency_key=key,
        )

    @staticmethod
    def list_receivables(
        *,
        cursor: str | None = None,
        limit: int | None = None,
        holder: str | None = None,
        state: str | None = None,
        slot: int | None = None,
    ) -> Call[PiecePage]:
        query = {"cursor": cursor, "limit": limit, "holder": holder, "state": state, "slot": slot}
        params = {k: v for k, v in query.items() if v is not None}
        return Call("GET", "/v1/receivables", _model(PiecePage), params)

    @staticmethod
    def receivable(token_id: int) -> Call[PieceOut]:
        return Call("GET", f"/v1/receivables/{token_id}", _model(PieceOut))

    @staticmethod
    def lineage(token_id: int) -> Call[LineageOut]:
        return Call("GET", f"/v1/receivables/{token_id}/lineage", _model(LineageOut))

    @staticmethod
    def accept(
        slot: int, *, key: str | None, wait: Wait, timeout: float | None
    ) -> Call[OperationOut]:
        return Call(
            "POST",
            f"/v1/receivables/{slot}/accept",
            _model(OperationOut),
            _write_params(wait, timeout),
            write=True,
            idempotency_key=key,
        )

    @staticmethod
    def transfer(
        token_id: int, body: TransferIn, *, key: str | None, wait: Wait, timeout: float | None
    ) -> Call[OperationOut]:
        return Call(
            "POST",
            f"/v1/receivables/{token_id}/transfers",
            _model(OperationOut),
            _write_params(wait, timeout),
            body,
            write=True,
            idempotency_key=key,
        )

    @staticmethod
    def request_financing(
        body: FinancingIn, *, key: str | None, wait: Wait, timeout: float | None
    ) -> Call[OperationOut]:
        return Call(
            "POST",
            "/v1/financing-requests",
            _model(OperationOut),
            _write_params(wait, timeout),
            body,
            write=True,
            idempotency_key=key,
        )

    @staticmethod
    def financing_request(request_id: int) -> Call[FinancingOut]:
        return Call("GET", f"/v1/financing-requests/{request_id}", _model(FinancingOut))

    @staticmethod
    def approve_financing(
        request_id: int, body: ApproveIn, *, key: str | None, wait: Wait, timeout: float | None
    ) -> Call[OperationOut]:
        return Call(
            "POST",
            f"/v1/financing-requests/{request_id}/approve",
            _model(OperationOut),
            _write_params(wait, timeout),
            body,
            write=True,
            idempotency_key=key,
        )

    @staticmethod
    def fund_financing(
        request_id: int, body: FundIn, *, key: str | None, wait: Wait, timeout: float | None
    ) -> Call[OperationOut]:
        return Call(
            "POST",
            f"/v1/financing-requests/{request_id}/fund",
            _model(OperationOut),
            _write_params(wait, timeout),
            body,
            write=True,
            idempotency_key=key,
        )

    @staticmethod
    def risk(request_id: int) -> Call[dict[str, Any]]:
        return Call("GET", f"/v1/financing-requests/{request_id}/risk", _json)

    @staticmethod
    def policy() -> Call[Policy]:
        return Call("GET", "/v1/policies", _model(Policy))

    @staticmethod
    def set_policy(policy: Policy) -> Call[Policy]:
        # A PUT replaces the whole policy: repeating it is harmless, so it is retried too.
        return Call("PUT", "/v1/policies", _model(Policy), body=policy.model_dump(mode="json"))

    @staticmethod
    def operation(operation_id: str) -> Call[OperationOut]:
        return Call("GET", f"/v1/operations/{operation_id}", _model(OperationOut))

    @staticmethod
    def health() -> Call[dict[str, Any]]:
        return Call("GET", "/healthz", _json)

    @staticmethod
    def ready() -> Call[dict[str, Any]]:
        """`/readyz`; a not-ready gateway answers 503, raised as `ApiProblem` after retries."""
        return Call("GET", "/readyz", _json)


def _prepare(call: Call[Any]) -> tuple[dict[str, Any], str | None]:
    """Request arguments; the idempotency key is fixed here, once, for every attempt."""
    key = call.idempotency_key
    if call.write and key is None:
        key = str(uuid.uuid4())
    kwargs: dict[str, Any] = {
        "params": call.params or None,
        "headers": call.headers(key),
    }
    body = call.json()
    if body is not None:
        kwargs["json"] = body
    return kwargs, key


def _result(call: Call[T], response: httpx.Response) -> T:
    if response.is_error:
        raise ApiProblem.from_response(response)
    return call.parse(response.json())


def _headers(api_key: str | None) -> dict[str, str]:
    return {} if api_key is None else {"Authorization": f"Bearer {api_key}"}


class ScfClient:
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
        kwargs, _key = _prepare(call)
        attempt = 0
        while True:
            try:
                response = self.http.request(call.method, call.path, **kwargs)
            except httpx.TransportError:
                if attempt + 1 >= self.retry.attempts:
                    raise
            else:
                if response.status_code not in self.retry.statuses or (
                    attempt + 1 >= self.retry.attempts
                ):
                    return _result(call, response)
            time.sleep(self.retry.delay(attempt))
            attempt += 1

    def _wait(self, wait: Wait | None) -> Wait:
        return self.wait if wait is None else wait

    # Reads.
    def members(self) -> list[MemberOut]:
        return self.send(calls.members())

    def list_receivables(
        self,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        holder: str | None = None,
        state: str | None = None,
        slot: int | None = None,
    ) -> PiecePage:
        return self.send(
            calls.list_receivables(
                cursor=cursor, limit=limit, holder=holder, state=state, slot=slot
            )
        )

    def receivable(self, token_id: int) -> PieceOut:
        return self.send(calls.receivable(token_id))

    def lineage(self, token_id: int) -> LineageOut:
        return self.send(calls.lineage(token_id))

    def financing_request(self, request_id: int) -> FinancingOut:
        return self.send(calls.financing_request(request_id))

    def risk(self, request_id: int) -> dict[str, Any]:
        return self.send(calls.risk(request_id))

    def policy(self) -> Policy:
        return self.send(calls.policy())

    def set_policy(self, policy: Policy) -> Policy:
        return self.send(calls.set_policy(policy))

    def operation(self, operation_id: str) -> OperationOut:
        return self.send(calls.operation(operation_id))

    def health(self) -> dict[str, Any]:
        return self.send(calls.health())

    def ready(self) -> dict[str, Any]:
        return self.send(calls.ready())

    # Writes: each returns the operation (`wait="indexed"`: once its result is readable).
    def issue(
        self,
        body: IssueIn,
        *,
        idempotency_key: str | None = None,
        wait: Wait | None = None,
        timeout: float | None = None,
    ) -> OperationOut:
        return self.send(
            calls.issue(body, key=idempotency_key, wait=self._wait(wait), timeout=timeout)
        )

    def accept(
        self,
        slot: int,
        *,
        idempotency_key: str | None = None,
        wait: Wait | None = None,
        timeout: float | None = None,
    ) -> OperationOut:
        return self.send(
            calls.accept(slot, key=idempotency_key, wait=self._wait(wait), timeout=timeout)
        )

    def transfer(
        self,
        token_id: int,
        body: TransferIn,
        *,
        idempotency_key: str | None = None,
        wait: Wait | None = None,
        timeout: float | None = None,
    ) -> OperationOut:
        return self.send(
            calls.transfer(
                token_id, body, key=idempotency_key, wait=self._wait(wait), timeout=timeout
            )
        )

    def request_financing(
        self,
        body: FinancingIn,
        *,
        idempotency_key: str | None = None,
        wait: Wait | None = None,
        timeout: float | None = None,
    ) -> OperationOut:
        return self.send(
            calls.request_financing(
                body, key=idempotency_key, wait=self._wait(wait), timeout=timeout
            )
        )

    def approve_financing(
        self,
        request_id: int,
        body: ApproveIn | None = None,
        *,
        idempotency_key: str | None = None,
        wait: Wait | None = None,
        timeout: float | None = None,
    ) -> OperationOut:
        return self.send(
            calls.approve_financing(
                request_id,
                body or ApproveIn(),
                key=idempotency_key,
                wait=self._wait(wait),
                timeout=timeout,
            )
        )

    def fund_financing(
        self,
        request_id: int,
        body: FundIn,
        *,
        idempotency_key: str | None = None,
        wait: Wait | None = None,
        timeout: float | None = None,
    ) -> OperationOut:
        return self.send(
            calls.fund_financing(
                request_id, body, key=idempotency_key, wait=self._wait(wait), timeout=timeout
            )
        )


class AsyncScfClient:
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
        kwargs, _key = _prepare(call)
        attempt = 0
        while True:
            try:
                response = await self.http.request(call.method, call.path, **kwargs)
            except httpx.TransportError:
                if attempt + 1 >= self.retry.attempts:
                    raise
            else:
                if response.status_code not in self.retry.statuses or (
                    attempt + 1 >= self.retry.attempts
                ):
                    return _result(call, response)
            await asyncio.sleep(self.retry.delay(attempt))
            attempt += 1

    def _wait(self, wait: Wait | None) -> Wait:
        return self.wait if wait is None else wait

    # Reads.
    async def members(self) -> list[MemberOut]:
        return await self.send(calls.members())

    async def list_receivables(
        self,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        holder: str | None = None,
        state: str | None = None,
        slot: int | None = None,
    ) -> PiecePage:
        return await self.send(
            calls.list_receivables(
                cursor=cursor, limit=limit, holder=holder, state=state, slot=slot
            )
        )

    async def receivable(self, token_id: int) -> PieceOut:
        return await self.send(calls.receivable(token_id))

    async def lineage(self, token_id: int) -> LineageOut:
        return await self.send(calls.lineage(token_id))

    async def financing_request(self, request_id: int) -> FinancingOut:
        return await self.send(calls.financing_request(request_id))

    async def risk(self, request_id: int) -> dict[str, Any]:
        return await self.send(calls.risk(request_id))

    async def policy(self) -> Policy:
        return await self.send(calls.policy())

    async def set_policy(self, policy: Policy) -> Policy:
        return await self.send(calls.set_policy(policy))

    async def operation(self, operation_id: str) -> OperationOut:
        return await self.send(calls.operation(operation_id))

    async def health(self) -> dict[str, Any]:
        return await self.send(calls.health())

    async def ready(self) -> dict[str, Any]:
        return await self.send(calls.ready())

    # Writes.
    async def issue(
        self,
        body: IssueIn,
        *,
        idempotency_key: str | None = None,
        wait: Wait | None = None,
        timeout: float | None = None,
    ) -> OperationOut:
        return await self.send(
            calls.issue(body, key=idempotency_key, wait=self._wait(wait), timeout=timeout)
        )

    async def accept(
        self,
        slot: int,
        *,
        idempotency_key: str | None = None,
        wait: Wait | None = None,
        timeout: float | None = None,
    ) -> OperationOut:
        return await self.send(
            calls.accept(slot, key=idempotency_key, wait=self._wait(wait), timeout=timeout)
        )

    async def transfer(
        self,
        token_id: int,
        body: TransferIn,
        *,
        idempotency_key: str | None = None,
        wait: Wait | None = None,
        timeout: float | None = None,
    ) -> OperationOut:
        return await self.send(
            calls.transfer(
                token_id, body, key=idempotency_key, wait=self._wait(wait), timeout=timeout
            )
        )

    async def request_financing(
        self,
        body: FinancingIn,
        *,
        idempotency_key: str | None = None,
        wait: Wait | None = None,
        timeout: float | None = None,
    ) -> OperationOut:
        return await self.send(
            calls.request_financing(
                body, key=idempotency_key, wait=self._wait(wait), timeout=timeout
            )
        )

    async def approve_financing(
        self,
        request_id: int,
        body: ApproveIn | None = None,
        *,
        idempotency_key: str | None = None,
        wait: Wait | None = None,
        timeout: float | None = None,
    ) -> OperationOut:
        return await self.send(
            calls.approve_financing(
                request_id,
                body or ApproveIn(),
                key=idempotency_key,
                wait=self._wait(wait),
                timeout=timeout,
            )
        )

    async def fund_financing(
        self,
        request_id: int,
        body: FundIn,
        *,
        idempotency_key: str | None = None,
        wait: Wait | None = None,
        timeout: float | None = None,
    ) -> OperationOut:
        return await self.send(
            calls.fund_financing(
                request_id, body, key=idempotency_key, wait=self._wait(wait), timeout=timeout
            )
        )
