"""How an endpoint is declared once for both clients: `Call` (one request and the parser
of its answer), the `@endpoint` descriptor, write options and the retry policy."""

from __future__ import annotations

import functools
import inspect
import random
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import (
    TYPE_CHECKING,
    Any,
    Concatenate,
    Generic,
    Literal,
    ParamSpec,
    TypedDict,
    TypeGuard,
    TypeVar,
    Unpack,
    overload,
)
from urllib.parse import quote

from pydantic import BaseModel, TypeAdapter

from scfledger_client.models import DraftOut, OperationOut

if TYPE_CHECKING:
    from scfledger_client.clients import AsyncScfClient, ScfClient

T = TypeVar("T")
P = ParamSpec("P")
S = TypeVar("S", bound="EndpointsBase")
Wait = Literal["none", "mined", "indexed"]
RETRY_STATUSES = frozenset({502, 503, 504})


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
    """One request and the parser of its successful answer.

    `parse` gets the decoded JSON body, or the raw bytes when `raw` is set (a document, an
    empty 204). `retry` is false for a request that is neither idempotent by nature nor
    made so by an idempotency key (creating a webhook twice makes two webhooks): it is sent
    once, whatever happens. `body` is sent as JSON without its null fields, or with
    `only_set` as the fields the caller set (nulls included: a null may mean "off")."""

    method: str
    path: str
    parse: Callable[[Any], T]
    params: dict[str, Any] = field(default_factory=dict)
    body: BaseModel | None = None
    write: bool = False
    idempotency_key: str | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    raw: bool = False
    retry: bool = True
    only_set: bool = False

    def headers(self, key: str | None) -> dict[str, str]:
        return {} if key is None else {"Idempotency-Key": key}

    def json(self) -> Any:
        if self.body is None:
            return None
        if self.only_set:
            return self.body.model_dump(mode="json", exclude_unset=True)
        return self.body.model_dump(mode="json", exclude_none=True)


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def model(tp: type[T]) -> Callable[[Any], T]:
    """The parser of an answer of type `tp` (a model, or a list of models); built once per
    type, as endpoints build calls on every request."""
    adapter = _ADAPTERS.get(tp)
    if adapter is None:
        adapter = _ADAPTERS[tp] = TypeAdapter(tp)
    parse: Callable[[Any], T] = adapter.validate_python
    return parse


def raw_bytes(value: Any) -> bytes:
    assert isinstance(value, bytes)
    return value


def nothing(_value: Any) -> None:
    return None


def query(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def segment(value: str) -> str:
    """A caller's string as one path segment (an id with a `/` cannot reach another route)."""
    return quote(value, safe="")


OPERATION = model(OperationOut)
# What a write answers: its operation, or (when the participant's maker-checker policy needs
# a checker for it) the draft that holds it off chain, told apart by `object == "draft"`.
Written = OperationOut | DraftOut


def written(body: Any) -> Written:
    if isinstance(body, dict) and body.get("object") == "draft":
        return DraftOut.model_validate(body)
    return OPERATION(body)


def is_draft(result: Written) -> TypeGuard[DraftOut]:
    """Whether a write was held as a draft for a checker rather than submitted."""
    return isinstance(result, DraftOut)


class Endpoint(Generic[S, P, T]):
    """A method of `Endpoints` that builds a `Call`. Read on a client, it is the method that
    builds the call and sends it: `ScfClient` returns `T`, `AsyncScfClient` a coroutine of
    `T` (the overloads of `__get__` tell mypy which)."""

    def __init__(self, build: Callable[Concatenate[S, P], Call[T]]) -> None:
        self.build = build
        self.__doc__ = build.__doc__
        signature = inspect.signature(build)
        self._signature = signature.replace(
            parameters=list(signature.parameters.values())[1:],
            return_annotation=inspect.Signature.empty,
        )

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Endpoint[S, P, T]: ...
    @overload
    def __get__(self, obj: ScfClient, owner: type[Any]) -> Callable[P, T]: ...
    @overload
    def __get__(
        self, obj: AsyncScfClient, owner: type[Any]
    ) -> Callable[P, Coroutine[Any, Any, T]]: ...
    @overload
    def __get__(self, obj: EndpointsBase, owner: type[Any]) -> Callable[P, Any]: ...

    def __get__(self, obj: EndpointsBase | None, owner: type[Any]) -> Any:
        if obj is None:
            return self
        build: Callable[..., Call[T]] = self.build

        def method(*args: Any, **kwargs: Any) -> Any:
            return obj.send(build(obj, *args, **kwargs))

        functools.update_wrapper(method, build)
        del method.__wrapped__  # type: ignore[attr-defined]  # the signature has no `self`
        method.__signature__ = self._signature  # type: ignore[attr-defined]
        return method

    def call(self, client: S, /, *args: P.args, **kwargs: P.kwargs) -> Call[T]:
        """The call this endpoint makes for `client`, unsent (`client.send(call)` sends it)."""
        return self.build(client, *args, **kwargs)


def endpoint(build: Callable[Concatenate[S, P], Call[T]]) -> Endpoint[S, P, T]:
    """Declares a method of `Endpoints` (returning a `Call`) as an endpoint of both clients."""
    return Endpoint(build)


class WriteOptions(TypedDict, total=False):
    """What every write takes besides its own arguments."""

    idempotency_key: str | None  # a uuid4 unless given; the same for every retry
    wait: Wait | None  # none, mined or indexed; by default the client's
    timeout: float | None  # seconds the gateway may wait


class EndpointsBase:
    """What the endpoint groups share: how a call is sent (each client's own) and how a
    write is made.

    Writes return the gateway's operation; they take an `idempotency_key` (a uuid4 unless
    given, the same for every retry) and `wait` (`none`, `mined` or `indexed`, by default
    the client's) with its `timeout` in seconds."""

    wait: Wait = "none"

    def send(self, call: Call[Any]) -> Any:
        raise NotImplementedError

    def _write(
        self, path: str, body: BaseModel | None = None, **options: Unpack[WriteOptions]
    ) -> Call[Written]:
        wait = options.get("wait")
        params: dict[str, Any] = {"wait": self.wait if wait is None else wait}
        if options.get("timeout") is not None:
            params["timeout"] = options["timeout"]
        key = options.get("idempotency_key")
        return Call("POST", path, written, params, body, write=True, idempotency_key=key)
