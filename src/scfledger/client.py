"""Typed Python client of the gateway's REST API (httpx; `ScfClient` sync, `AsyncScfClient` async).

Every endpoint is written once, as a method of `Endpoints` that builds a `Call` (method,
path, query, body, how to parse the answer) and is decorated with `@endpoint`; both clients
inherit it, and only differ in how they `send` a call: `ScfClient().members()` returns the
members, `AsyncScfClient().members()` a coroutine of them, both checked by mypy. Adding an
endpoint is one method of `Endpoints`. The event stream (`stream_events`) is the exception:
a generator on each client.

Writes carry an `Idempotency-Key` (a uuid4 unless given). A write is retried after a
connection failure or a 502/503/504 with the SAME key, so the gateway runs it at most once
even when the first attempt reached it and only the answer was lost.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import random
import time
import uuid
from collections.abc import (
    AsyncGenerator,
    Callable,
    Coroutine,
    Generator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field
from typing import (
    Any,
    Concatenate,
    Generic,
    Literal,
    ParamSpec,
    TypedDict,
    TypeVar,
    Unpack,
    overload,
)
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter

from scfledger.api.schemas import (
    AcceptOfferIn,
    AdmissionIn,
    ApiKeyOut,
    DocumentOut,
    EscrowOut,
    EventPage,
    EvidenceIn,
    EvidenceOut,
    FeedEventOut,
    FinancingIn,
    FinancingOut,
    FinancingPage,
    FundIn,
    IssueIn,
    LineageOut,
    MemberOut,
    OperationOut,
    ParticipantIn,
    ParticipantOut,
    ParticipantStatusOut,
    PieceOut,
    PiecePage,
    ProposalOut,
    ProposalStatus,
    RejectIn,
    RelayIn,
    RepayIn,
    RoleName,
    SettleIn,
    SettlementPage,
    SuspensionIn,
    TermsIn,
    TransferIn,
    TransferOut,
    WebhookCreated,
    WebhookDeliveryOut,
    WebhookIn,
    WebhookOut,
)
from scfledger.risk.policy import Policy

__all__ = [
    "ApiProblem",
    "AsyncScfClient",
    "Call",
    "Endpoint",
    "Endpoints",
    "ProposalStatus",
    "RetryPolicy",
    "ScfClient",
    "Wait",
    "endpoint",
]

T = TypeVar("T")
P = ParamSpec("P")
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
    """One request and the parser of its successful answer.

    `parse` gets the decoded JSON body, or the raw bytes when `raw` is set (a document, an
    empty 204). `retry` is false for a request that is neither idempotent by nature nor
    made so by an idempotency key (creating a webhook twice makes two webhooks): it is sent
    once, whatever happens."""

    method: str
    path: str
    parse: Callable[[Any], T]
    params: dict[str, Any] = field(default_factory=dict)
    body: BaseModel | dict[str, Any] | None = None
    write: bool = False
    idempotency_key: str | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None
    raw: bool = False
    retry: bool = True

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


def _bytes(value: Any) -> bytes:
    assert isinstance(value, bytes)
    return value


def _nothing(_value: Any) -> None:
    return None


def _query(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _segment(value: str) -> str:
    """A caller's string as one path segment (an id with a `/` cannot reach another route)."""
    return quote(value, safe="")


_OPERATION = _model(OperationOut)
_LIST_OF = {
    "members": _adapter(list[MemberOut]),
    "evidence": _adapter(list[EvidenceOut]),
    "webhooks": _adapter(list[WebhookOut]),
    "deliveries": _adapter(list[WebhookDeliveryOut]),
    "proposals": _adapter(list[ProposalOut]),
    "api_keys": _adapter(list[ApiKeyOut]),
    "transfers": _adapter(list[TransferOut]),
}


class Endpoint(Generic[P, T]):
    """A method of `Endpoints` that builds a `Call`. Read on a client, it is the method that
    builds the call and sends it: `ScfClient` returns `T`, `AsyncScfClient` a coroutine of
    `T` (the overloads of `__get__` tell mypy which)."""

    def __init__(self, build: Callable[Concatenate[Endpoints, P], Call[T]]) -> None:
        self.build = build
        self.__doc__ = build.__doc__
        signature = inspect.signature(build)
        self._signature = signature.replace(
            parameters=list(signature.parameters.values())[1:],
            return_annotation=inspect.Signature.empty,
        )

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Endpoint[P, T]: ...
    @overload
    def __get__(self, obj: ScfClient, owner: type[Any]) -> Callable[P, T]: ...
    @overload
    def __get__(
        self, obj: AsyncScfClient, owner: type[Any]
    ) -> Callable[P, Coroutine[Any, Any, T]]: ...
    @overload
    def __get__(self, obj: Endpoints, owner: type[Any]) -> Callable[P, Any]: ...

    def __get__(self, obj: Endpoints | None, owner: type[Any]) -> Any:
        if obj is None:
            return self
        build = self.build

        def method(*args: Any, **kwargs: Any) -> Any:
            return obj.send(build(obj, *args, **kwargs))

        functools.update_wrapper(method, build)
        del method.__wrapped__  # type: ignore[attr-defined]  # the signature has no `self`
        method.__signature__ = self._signature  # type: ignore[attr-defined]
        return method

    def call(self, client: Endpoints, /, *args: P.args, **kwargs: P.kwargs) -> Call[T]:
        """The call this endpoint makes for `client`, unsent (`client.send(call)` sends it)."""
        return self.build(client, *args, **kwargs)


def endpoint(build: Callable[Concatenate[Endpoints, P], Call[T]]) -> Endpoint[P, T]:
    """Declares a method of `Endpoints` (returning a `Call`) as an endpoint of both clients."""
    return Endpoint(build)


class WriteOptions(TypedDict, total=False):
    """What every write takes besides its own arguments."""

    idempotency_key: str | None  # a uuid4 unless given; the same for every retry
    wait: Wait | None  # none, mined or indexed; by default the client's
    timeout: float | None  # seconds the gateway may wait


class Endpoints:
    """The gateway's endpoints, one method each, shared by `ScfClient` and `AsyncScfClient`.

    Writes return the gateway's operation; they take an `idempotency_key` (a uuid4 unless
    given, the same for every retry) and `wait` (`none`, `mined` or `indexed`, by default
    the client's) with its `timeout` in seconds."""

    wait: Wait = "none"

    def send(self, call: Call[Any]) -> Any:
        raise NotImplementedError

    def _write(
        self, path: str, body: BaseModel | None = None, **options: Unpack[WriteOptions]
    ) -> Call[OperationOut]:
        wait = options.get("wait")
        params: dict[str, Any] = {"wait": self.wait if wait is None else wait}
        if options.get("timeout") is not None:
            params["timeout"] = options["timeout"]
        key = options.get("idempotency_key")
        return Call("POST", path, _OPERATION, params, body, write=True, idempotency_key=key)

    # -- members, operations, health ----------------------------------------------------

    @endpoint
    def members(self) -> Call[list[MemberOut]]:
        """Every consortium member."""
        return Call("GET", "/v1/members", _LIST_OF["members"])

    @endpoint
    def operation(self, operation_id: str) -> Call[OperationOut]:
        """One of the caller's own operations."""
        return Call("GET", f"/v1/operations/{_segment(operation_id)}", _OPERATION)

    @endpoint
    def health(self) -> Call[dict[str, Any]]:
        return Call("GET", "/healthz", _json)

    @endpoint
    def ready(self) -> Call[dict[str, Any]]:
        """`/readyz`; a not-ready gateway answers 503, raised as `ApiProblem` after retries."""
        return Call("GET", "/readyz", _json)

    # -- receivables ----------------------------------------------------------------------

    @endpoint
    def issue(
        self,
        body: IssueIn,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Confirm a receivable owed to a creditor (core enterprises)."""
        return self._write("/v1/receivables", body, **options)

    @endpoint
    def list_receivables(
        self,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        holder: str | None = None,
        state: str | None = None,
        slot: int | None = None,
        debtor: str | None = None,
        due_from: int | None = None,
        due_to: int | None = None,
    ) -> Call[PiecePage]:
        """Visible pieces by token id; continue with `cursor=page.next_cursor`. The due
        range is in Unix seconds, both ends included."""
        params = _query(
            cursor=cursor,
            limit=limit,
            holder=holder,
            state=state,
            slot=slot,
            debtor=debtor,
            due_from=due_from,
            due_to=due_to,
        )
        return Call("GET", "/v1/receivables", _model(PiecePage), params)

    @endpoint
    def transfers(self, token_id: int) -> Call[list[TransferOut]]:
        """A piece's moves, oldest first: whole transfers of it and splits out of it."""
        return Call("GET", f"/v1/receivables/{token_id}/transfers", _LIST_OF["transfers"])

    @endpoint
    def receivable(self, token_id: int) -> Call[PieceOut]:
        return Call("GET", f"/v1/receivables/{token_id}", _model(PieceOut))

    @endpoint
    def lineage(self, token_id: int) -> Call[LineageOut]:
        return Call("GET", f"/v1/receivables/{token_id}/lineage", _model(LineageOut))

    @endpoint
    def accept(
        self,
        slot: int,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Accept a pending receivable (its creditor)."""
        return self._write(f"/v1/receivables/{slot}/accept", **options)

    @endpoint
    def reject_receivable(
        self,
        slot: int,
        reason: str,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Refuse a pending receivable (its creditor); `reason`: 0x + 64 hex or text."""
        return self._write(
            f"/v1/receivables/{slot}/reject",
            RejectIn(reason=reason),
            **options,
        )

    @endpoint
    def cancel_receivable(
        self,
        slot: int,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Withdraw a receivable not yet accepted (its debtor)."""
        return self._write(f"/v1/receivables/{slot}/cancel", **options)

    @endpoint
    def transfer(
        self,
        token_id: int,
        body: TransferIn,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Send part of a piece to another member (its holder)."""
        return self._write(
            f"/v1/receivables/{token_id}/transfers",
            body,
            **options,
        )

    @endpoint
    def sign_piece(
        self,
        token_id: int,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Sign for a piece sent to you (签收, its receiver)."""
        return self._write(f"/v1/receivables/{token_id}/sign", **options)

    @endpoint
    def refuse_piece(
        self,
        token_id: int,
        reason: str,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Refuse a piece sent to you (its receiver); its value goes back to the sender."""
        return self._write(f"/v1/receivables/{token_id}/refuse", RejectIn(reason=reason), **options)

    @endpoint
    def recall_piece(
        self,
        token_id: int,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Take back a piece you sent that its receiver has not signed for (its sender)."""
        return self._write(f"/v1/receivables/{token_id}/recall", **options)

    @endpoint
    def expire_receivable(
        self,
        slot: int,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Lapse a receivable its creditor did not accept in time."""
        return self._write(f"/v1/receivables/{slot}/expire", **options)

    @endpoint
    def attach_evidence(
        self,
        token_id: int,
        evidence_hash: str,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Anchor a SHA-256 (0x + 64 hex) on a piece you hold, each once."""
        return self._write(
            f"/v1/receivables/{token_id}/evidence",
            EvidenceIn(evidence_hash=evidence_hash),
            **options,
        )

    @endpoint
    def evidence(self, token_id: int) -> Call[list[EvidenceOut]]:
        """The evidence hashes anchored on a piece, oldest first."""
        return Call("GET", f"/v1/receivables/{token_id}/evidence", _LIST_OF["evidence"])

    # -- financing ------------------------------------------------------------------------

    @endpoint
    def request_financing(
        self,
        body: FinancingIn,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Ask one to five financiers to finance a piece you hold at the terms you name."""
        return self._write("/v1/financing-requests", body, **options)

    @endpoint
    def financing_requests(
        self,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        status: str | None = None,
        token_id: int | None = None,
    ) -> Call[FinancingPage]:
        """Requests the caller made or was asked to finance (auditors: all), by id."""
        params = _query(cursor=cursor, limit=limit, status=status, token_id=token_id)
        return Call("GET", "/v1/financing-requests", _model(FinancingPage), params)

    @endpoint
    def financing_request(self, request_id: int) -> Call[FinancingOut]:
        return Call("GET", f"/v1/financing-requests/{request_id}", _model(FinancingOut))

    @endpoint
    def offer_financing(
        self,
        request_id: int,
        terms: TermsIn,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Offer terms on a request you are named in (a financier), replacing your offer."""
        return self._write(f"/v1/financing-requests/{request_id}/offers", terms, **options)

    @endpoint
    def accept_offer(
        self,
        request_id: int,
        financier: str,
        terms: TermsIn,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Accept a financier's standing offer (the requester), repeating its terms."""
        return self._write(
            f"/v1/financing-requests/{request_id}/accept",
            AcceptOfferIn(financier=financier, terms=terms),
            **options,
        )

    @endpoint
    def expire_financing(
        self,
        request_id: int,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Lapse a request past its deadline (unanswered, or accepted and not funded in time)."""
        return self._write(f"/v1/financing-requests/{request_id}/expire", **options)

    @endpoint
    def claim_recourse(
        self,
        request_id: int,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Claim recourse against the seller of a defaulted piece (its financier)."""
        return self._write(f"/v1/financing-requests/{request_id}/recourse", **options)

    @endpoint
    def repay_recourse(
        self,
        request_id: int,
        payment_ref: str,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Repay a recourse claim (its financier confirms an off-chain payment)."""
        return self._write(
            f"/v1/financing-requests/{request_id}/recourse/repay",
            RepayIn(payment_ref=payment_ref),
            **options,
        )

    @endpoint
    def fund_financing(
        self,
        request_id: int,
        body: FundIn,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Record the advance's payment (the accepted financier)."""
        return self._write(
            f"/v1/financing-requests/{request_id}/fund",
            body,
            **options,
        )

    @endpoint
    def reject_financing(
        self,
        request_id: int,
        reason: str,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Decline a request you are named in (a financier)."""
        return self._write(
            f"/v1/financing-requests/{request_id}/reject",
            RejectIn(reason=reason),
            **options,
        )

    @endpoint
    def withdraw_financing(
        self,
        request_id: int,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Withdraw a request before accepting an offer (its requester)."""
        return self._write(
            f"/v1/financing-requests/{request_id}/withdraw",
            **options,
        )

    @endpoint
    def repay_financing(
        self,
        request_id: int,
        payment_ref: str,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Repay a funded pledge loan (its financier confirms the off-chain payment)."""
        return self._write(
            f"/v1/financing-requests/{request_id}/repay",
            RepayIn(payment_ref=payment_ref),
            **options,
        )

    @endpoint
    def risk(self, request_id: int) -> Call[dict[str, Any]]:
        """A request's indicators and its financier's policy decision."""
        return Call("GET", f"/v1/financing-requests/{request_id}/risk", _json)

    @endpoint
    def policy(self) -> Call[Policy]:
        return Call("GET", "/v1/policies", _model(Policy))

    @endpoint
    def set_policy(self, policy: Policy) -> Call[Policy]:
        # A PUT replaces the whole policy: repeating it is harmless, so it is retried too.
        return Call("PUT", "/v1/policies", _model(Policy), body=policy.model_dump(mode="json"))

    # -- settlements, events --------------------------------------------------------------

    @endpoint
    def settle(
        self,
        slot: int,
        token_ids: Sequence[int],
        payment_ref: str,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Settle 1 to 50 pieces of one receivable from its due date (its debtor)."""
        return self._write(
            "/v1/settlements",
            SettleIn(slot=slot, token_ids=list(token_ids), payment_ref=payment_ref),
            **options,
        )

    @endpoint
    def confirm_payment(
        self,
        token_id: int,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Confirm the debtor's off-chain payment of a piece (its payee)."""
        return self._write(f"/v1/settlements/{token_id}/confirm", **options)

    @endpoint
    def dispute_payment(
        self,
        token_id: int,
        reason: str,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Dispute an off-chain payment (its payee): the piece is unpaid again."""
        return self._write(
            f"/v1/settlements/{token_id}/dispute", RejectIn(reason=reason), **options
        )

    @endpoint
    def finalize_settlement(
        self,
        token_id: int,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Finalize a settlement its payee left unconfirmed past the window (the debtor)."""
        return self._write(f"/v1/settlements/{token_id}/finalize", **options)

    @endpoint
    def escrow(self) -> Call[EscrowOut]:
        """Deposit-token payments waiting in escrow for the caller."""
        return Call("GET", "/v1/escrow", _model(EscrowOut))

    @endpoint
    def claim_escrow(self, **options: Unpack[WriteOptions]) -> Call[OperationOut]:
        """Take the payments escrowed for you while you were suspended."""
        return self._write("/v1/escrow/claim", **options)

    @endpoint
    def settlements(
        self, *, cursor: str | None = None, limit: int | None = None, slot: int | None = None
    ) -> Call[SettlementPage]:
        """Settlements the caller paid or was paid (auditors: all), by token id."""
        params = _query(cursor=cursor, limit=limit, slot=slot)
        return Call("GET", "/v1/settlements", _model(SettlementPage), params)

    @endpoint
    def events(self, *, after: str | None = None, limit: int | None = None) -> Call[EventPage]:
        """Visible chain events after the cursor `after`, oldest first. A page may be short
        or empty before the head: the head is reached when `next_cursor` equals `after`."""
        params = _query(after=after, limit=limit)
        return Call("GET", "/v1/events", _model(EventPage), params)

    # -- documents, webhooks --------------------------------------------------------------

    @endpoint
    def upload_document(
        self, data: bytes, content_type: str = "application/pdf", filename: str = "document"
    ) -> Call[DocumentOut]:
        """Stores a document by its SHA-256 (the same bytes again are the same document)."""
        files = {"file": (filename, data, content_type)}
        return Call("POST", "/v1/documents", _model(DocumentOut), files=files)

    @endpoint
    def document(self, sha256: str) -> Call[bytes]:
        """The bytes of a document the caller may read (by its SHA-256, hex)."""
        return Call("GET", f"/v1/documents/{_segment(sha256)}", _bytes, raw=True)

    @endpoint
    def create_webhook(
        self, url: str, event_names: Sequence[str] | None = None
    ) -> Call[WebhookCreated]:
        """Subscribes `url` to the caller's events; the secret is returned only here. Sent
        once: a retry after a lost answer would create a second webhook."""
        body = WebhookIn(url=url, event_names=None if event_names is None else list(event_names))
        return Call("POST", "/v1/webhooks", _model(WebhookCreated), body=body, retry=False)

    @endpoint
    def webhooks(self) -> Call[list[WebhookOut]]:
        """The caller's webhooks (without their secrets)."""
        return Call("GET", "/v1/webhooks", _LIST_OF["webhooks"])

    @endpoint
    def delete_webhook(self, webhook_id: str) -> Call[None]:
        """Deletes one of the caller's webhooks. Sent once: a retry of a deletion that
        happened would answer 404."""
        path = f"/v1/webhooks/{_segment(webhook_id)}"
        return Call("DELETE", path, _nothing, raw=True, retry=False)

    @endpoint
    def webhook_deliveries(self, webhook_id: str) -> Call[list[WebhookDeliveryOut]]:
        """The latest deliveries of one of the caller's webhooks, with their attempts."""
        path = f"/v1/webhooks/{_segment(webhook_id)}/deliveries"
        return Call("GET", path, _LIST_OF["deliveries"])

    # -- governance -----------------------------------------------------------------------

    @endpoint
    def create_participant(self, name: str, address: str | None = None) -> Call[ParticipantOut]:
        """A new gateway participant and its API key, shown once (admins). Without
        `address`, the gateway creates its signing key. Sent once: not idempotent."""
        body = ParticipantIn(name=name, address=address)
        return Call("POST", "/v1/participants", _model(ParticipantOut), body=body, retry=False)

    @endpoint
    def participant_status(self, name: str) -> Call[ParticipantStatusOut]:
        """The caller's own address, on-chain status and roles (`name` is the caller's
        participant name; anyone else's is 403 `foreign-participant`)."""
        return Call("GET", f"/v1/participants/{_segment(name)}", _model(ParticipantStatusOut))

    @endpoint
    def api_keys(self, name: str) -> Call[list[ApiKeyOut]]:
        """The caller's own API keys by prefix (`name` is the caller's participant name)."""
        return Call("GET", f"/v1/participants/{_segment(name)}/api-keys", _LIST_OF["api_keys"])

    @endpoint
    def issue_api_key(self, name: str) -> Call[ParticipantOut]:
        """Another API key of the caller's own, shown once (rotation; active members).
        Sent once."""
        path = f"/v1/participants/{_segment(name)}/api-keys"
        return Call("POST", path, _model(ParticipantOut), retry=False)

    @endpoint
    def revoke_api_key(self, name: str, prefix: str) -> Call[None]:
        """Revokes one of the caller's own keys by its prefix. Sent once."""
        path = f"/v1/participants/{_segment(name)}/api-keys/{_segment(prefix)}"
        return Call("DELETE", path, _nothing, raw=True, retry=False)

    @endpoint
    def relay(
        self,
        raw_transaction: bytes | str,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Relays a transaction signed with the caller's own key; followed like any write."""
        raw = raw_transaction if isinstance(raw_transaction, str) else "0x" + raw_transaction.hex()
        body = RelayIn(raw_transaction=raw)
        return self._write("/v1/transactions", body, **options)

    @endpoint
    def admit_member(
        self,
        address: str,
        name: str,
        legal_id: str,
        kyc: str,
        roles: Sequence[RoleName],
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Propose (or approve) admitting a member with its roles (admins)."""
        body = AdmissionIn(
            address=address, name=name, legal_id=legal_id, kyc=kyc, roles=list(roles)
        )
        return self._write("/v1/members", body, **options)

    @endpoint
    def suspend_member(
        self,
        address: str,
        reason: str,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Propose suspending a member (admins)."""
        return self._write(
            f"/v1/members/{_segment(address)}/suspend",
            SuspensionIn(reason=reason),
            **options,
        )

    @endpoint
    def reinstate_member(
        self,
        address: str,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Propose reinstating a suspended member (admins)."""
        return self._write(
            f"/v1/members/{_segment(address)}/reinstate",
            **options,
        )

    @endpoint
    def proposals(self, status: ProposalStatus | None = None) -> Call[list[ProposalOut]]:
        """Governance proposals, optionally of one status."""
        return Call("GET", "/v1/proposals", _LIST_OF["proposals"], _query(status=status))

    @endpoint
    def proposal(self, proposal_id: int) -> Call[ProposalOut]:
        return Call("GET", f"/v1/proposals/{proposal_id}", _model(ProposalOut))

    @endpoint
    def approve_proposal(
        self,
        proposal_id: int,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Approve a pending proposal (admins); the last approval needed executes it."""
        return self._write(
            f"/v1/proposals/{proposal_id}/approve",
            **options,
        )

    @endpoint
    def revoke_approval(
        self,
        proposal_id: int,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Withdraw one's approval of a pending proposal (admins)."""
        return self._write(
            f"/v1/proposals/{proposal_id}/revoke",
            **options,
        )

    @endpoint
    def cancel_proposal(
        self,
        proposal_id: int,
        **options: Unpack[WriteOptions],
    ) -> Call[OperationOut]:
        """Cancel a pending proposal (admins)."""
        return self._write(
            f"/v1/proposals/{proposal_id}/cancel",
            **options,
        )


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
    if call.files is not None:
        kwargs["files"] = call.files
    return kwargs, key


def _result(call: Call[T], response: httpx.Response) -> T:
    if response.is_error:
        raise ApiProblem.from_response(response)
    return call.parse(response.content if call.raw else response.json())


def _headers(api_key: str | None) -> dict[str, str]:
    return {} if api_key is None else {"Authorization": f"Bearer {api_key}"}


def _attempts(call: Call[Any], retry: RetryPolicy) -> int:
    return retry.attempts if call.retry else 1


def _stream_params(after: str | None, duration: float | None) -> dict[str, Any]:
    return _query(after=after, duration=duration)


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
        kwargs, _key = _prepare(call)
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
        params = _stream_params(after, duration)
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
        kwargs, _key = _prepare(call)
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
        params = _stream_params(after, duration)
        async with self.http.stream("GET", "/v1/events/stream", params=params) as response:
            if response.is_error:
                await response.aread()
                raise ApiProblem.from_response(response)
            decoder = _EventStream()
            async for line in response.aiter_lines():
                event = decoder.line(line)
                if event is not None:
                    yield event
