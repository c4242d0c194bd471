"""Typed Python client of the scfledger gateway's REST API (httpx, pydantic): `ScfClient`
sync, `AsyncScfClient` async.

Every endpoint is written once, as a method that builds a `Call` (method, path, query,
body, how to parse the answer) decorated with `@endpoint`; both clients inherit it, and
only differ in how they `send` a call: `ScfClient().members()` returns the members,
`AsyncScfClient().members()` a coroutine of them, both checked by mypy. Adding an endpoint
is one method of an endpoint group (`ledger`, `finance`, `admin`). The event stream
(`stream_events`) is the exception: a generator on each client.

A write returns its operation, or a `models.DraftOut` (`object == "draft"`, `is_draft`) when
the participant's maker-checker policy holds it for a checker: nothing is on chain until a
checker approves it (`approve_draft`).

Writes carry an `Idempotency-Key` (a uuid4 unless given). A write is retried after a
connection failure or a 502/503/504 with the SAME key, so the gateway runs it at most once
even when the first attempt reached it and only the answer was lost.

Request and response bodies are `scfledger_client.models`, generated from the gateway's
OpenAPI document; receivables are addressed by slot, pieces by token id.

Amounts are decimal strings in the currency's units both ways (`"1000000.00"` CNY is one
million yuan): `amount(Decimal(...))` writes one for a request body (a float or an int
raises TypeError), and `Decimal(piece.value)` computes with one read back.
"""

from scfledger_client import models
from scfledger_client.amounts import amount
from scfledger_client.calls import (
    Call,
    Endpoint,
    RetryPolicy,
    Wait,
    WriteOptions,
    Written,
    endpoint,
    is_draft,
)
from scfledger_client.clients import AsyncScfClient, Endpoints, ScfClient
from scfledger_client.models import ProposalStatus, RoleName
from scfledger_client.problem import ApiProblem

__all__ = [
    "ApiProblem",
    "AsyncScfClient",
    "Call",
    "Endpoint",
    "Endpoints",
    "ProposalStatus",
    "RetryPolicy",
    "RoleName",
    "ScfClient",
    "Wait",
    "WriteOptions",
    "Written",
    "amount",
    "endpoint",
    "is_draft",
    "models",
]
