"""The OpenAPI document a partner codes against, and Swagger UI served by the gateway itself.

The document FastAPI generates is completed here, in one place, when it is first asked for:
the authentication scheme on every operation that needs it, the problems each operation can
answer (status by status, with the `type` values: derived from what the route depends on,
plus a short table of what only some routes answer), and `Idempotency-Key` marked required
on every write. `python -m scfledger.api.openapi` prints the document (the clients are
generated from it: scripts/gen-clients.sh).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from scfledger.api import errors, fields, swagger_ui
from scfledger.api.deps import SAFE_METHODS, current_actor, get_gateway, idempotency_key
from scfledger.api.routes.common import write_context
from scfledger.api.routes.governance import governance_write
from scfledger.api.schemas_batch import BatchIn
from scfledger.chain.artifacts import load_artifact
from scfledger.exceptions import (
    AccountLocked,
    ActionForbidden,
    AlreadyDecided,
    AlreadyRevealed,
    AmountMalformed,
    AmountNotAString,
    AmountOutOfRange,
    AmountTooPrecise,
    AuthenticationRequired,
    BatchInvalid,
    BatchRejected,
    BodyTooDeep,
    BodyTooLarge,
    CalendarNotCovered,
    ChainUnavailable,
    ContractRevert,
    CsrfFailed,
    CurrencyNotAccepted,
    DatabaseError,
    DocumentNotUploaded,
    DocumentTooLarge,
    DraftExpired,
    ExportFormatUnknown,
    ForeignParticipant,
    GasFaucetFailed,
    IdempotencyConflict,
    InvalidCredentials,
    InvalidCursor,
    InvalidInput,
    InvalidRate,
    KeyNotFound,
    LastAdmin,
    MissingIdempotencyKey,
    NotExact,
    NotFoundError,
    NotMaker,
    OfferNotViable,
    OwnDraft,
    ParticipantExists,
    PasswordChangeRequired,
    PeriodInvalid,
    RelayRejected,
    RoleRequired,
    ScfError,
    ScopeRequired,
    SecondFactorRequired,
    SessionExpired,
    SetOffRoundInvalid,
    SsoFailed,
    SsoStateInvalid,
    SsoUnknownUser,
    StorageQuotaExceeded,
    TimeZoneUnknown,
    TooManyStreams,
    UnknownConvention,
    UnknownCurrency,
    UnknownRevert,
    UnsupportedDocumentType,
    UnsupportedMediaType,
    UserExists,
    WrongState,
)

DESCRIPTION = """Receivables, multi-tier transfers and financing on a consortium chain.

**Authentication.** Every `/v1` operation takes an API key as `Authorization: Bearer <key>`
(the *Authorize* button below), or a person's session: `POST /v1/auth/login` sets the
`scf_session` cookie and answers a CSRF token, sent back as `X-CSRF-Token` on every write.
What a person may do follows its roles in its institution (admin, maker, checker, viewer)
and an API key's scopes (read, write, approve). `/metrics` takes the operator's metrics
token the same way.

**Amounts** are integers in the minor units of the receivable's currency (ISO 4217: fen for
CNY, cents for USD), exact, never floating point. Dates are Unix seconds (UTC).

**Writes** answer `202` with an operation (`/v1/operations/{id}`) and need an
`Idempotency-Key` header: a retry with the same key and body gets the same operation.

**Dates** in answers come with an ISO 8601 sibling, `<name>_iso` (UTC, `+00:00`), beside
their Unix seconds. Due dates and deadlines are judged on the chain's clock:
`GET /v1/chain/time`.

**Errors** are RFC 9457 problems (`application/problem+json`) whose `type`,
`https://scfledger.dev/problems/<slug>`, is stable: each operation lists the types it can
answer, status by status. A contract's refusal has the type of its custom error
(`NotHolder` is `not-holder`) and carries the error's arguments in `error`.
"""

API_KEY = "apiKey"  # the names of the security schemes
METRICS_TOKEN = "metricsToken"  # noqa: S105
SECURITY_SCHEMES = {
    API_KEY: {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key of a participant (`scf apikeys create`, or the"
        " participant's own `/v1/participants/{name}/api-keys`)",
    },
    METRICS_TOKEN: {
        "type": "http",
        "scheme": "bearer",
        "description": "The operator's SCF_METRICS_TOKEN",
    },
}
IDEMPOTENCY_KEY = "Idempotency-Key"


@dataclass(frozen=True)
class ProblemType:
    status: int
    slug: str
    title: str


# Problems the exception handlers of api/errors.py answer for no domain error.
MALFORMED_BODY = ProblemType(400, "malformed-body", "Malformed body")
VALIDATION_ERROR = ProblemType(422, "validation-error", "Invalid request")
INTERNAL_ERROR = ProblemType(500, "internal-error", "Internal error")

# The contracts a write can reach, by the start of its path; their custom errors are
# problems it can answer. A relayed transaction may call any of them.
LEDGER = ("ConsortiumRegistry", "ReceivableToken", "Financing", "DepositToken", "SetOff")
WRITE_CONTRACTS: dict[str, tuple[str, ...]] = {
    "/v1/members": ("ConsortiumRegistry",),
    "/v1/proposals": ("ConsortiumRegistry",),
    "/v1/receivables": ("ReceivableToken", "ConsortiumRegistry"),
    "/v1/pieces": ("ReceivableToken", "ConsortiumRegistry"),
    "/v1/financing-requests": LEDGER,
    "/v1/settlements": ("ReceivableToken", "DepositToken", "ConsortiumRegistry"),
    "/v1/escrow": ("ReceivableToken", "DepositToken", "ConsortiumRegistry"),
    "/v1/setoff": ("SetOff", "ReceivableToken", "ConsortiumRegistry"),
    "/v1/transactions": LEDGER,
}

# Routes that read their own body, JSON among other media types (a batch's CSV), by
# "METHOD path": their JSON model, documented as FastAPI documents a body parameter's.
OWN_JSON_BODIES: dict[str, type[BaseModel]] = {"POST /v1/batches": BatchIn}

# What only some operations answer, by "METHOD path" (the rest follows from each route's
# dependencies: see `problems_of`). tests/api/test_openapi_doc.py checks every key is served.
# A checker's decision on a draft (maker-checker).
_DECIDE = (RoleRequired, ScopeRequired, OwnDraft, AlreadyDecided, DraftExpired)
# An amount in the body (a decimal string in the piece's currency: docs/money.md).
_AMOUNT = (AmountNotAString, AmountMalformed, AmountTooPrecise, AmountOutOfRange)
_PIECE_AMOUNT = (*_AMOUNT, CurrencyNotAccepted)
# Pricing's refusals of its inputs (docs/money.md): amounts, currencies, rates, conventions.
_CALENDAR = (UnknownConvention, CalendarNotCovered)
_PRICING = (NotExact, InvalidRate, UnknownCurrency, *_CALENDAR)
ROUTE_PROBLEMS: dict[str, tuple[type[ScfError], ...]] = {
    "GET /metrics": (AuthenticationRequired,),
    "GET /v1/chain/time": (ChainUnavailable,),
    "GET /v1/chain/network": (ChainUnavailable,),
    "GET /v1/currencies": (ChainUnavailable,),
    "GET /v1/statements": (PeriodInvalid, TimeZoneUnknown, ExportFormatUnknown),
    "GET /v1/reconciliation": (PeriodInvalid, TimeZoneUnknown, ExportFormatUnknown),
    "POST /v1/receivables": (DocumentNotUploaded, *_AMOUNT, UnknownCurrency, CurrencyNotAccepted),
    "POST /v1/pieces/{token_id}/transfers": _PIECE_AMOUNT,
    "POST /v1/financing-requests": _PIECE_AMOUNT,
    "POST /v1/financing-requests/{request_id}/offers": _PIECE_AMOUNT,
    "POST /v1/financing-requests/{request_id}/accept": _PIECE_AMOUNT,
    "POST /v1/pieces/{token_id}/evidence": (DocumentNotUploaded,),
    "POST /v1/participants": (ParticipantExists, InvalidInput, KeyNotFound),
    "GET /v1/participants/{name}": (ForeignParticipant,),
    "GET /v1/participants/{name}/api-keys": (ForeignParticipant,),
    "POST /v1/participants/{name}/api-keys": (ForeignParticipant, WrongState),
    "POST /v1/drafts/{draft_id}/reveal": (NotMaker, AlreadyRevealed, WrongState),
    "DELETE /v1/participants/{name}/api-keys/{prefix}": (ForeignParticipant,),
    "POST /v1/transactions": (RelayRejected,),
    "POST /v1/batches": (
        BatchInvalid,
        BatchRejected,
        BodyTooLarge,
        UnsupportedMediaType,
        KeyNotFound,
    ),
    "POST /v1/documents": (
        BodyTooLarge,
        DocumentTooLarge,
        StorageQuotaExceeded,
        UnsupportedDocumentType,
        InvalidInput,
    ),
    "GET /v1/events/stream": (TooManyStreams, InvalidCursor),
    "POST /v1/webhooks": (WrongState,),
    "GET /v1/drafts/stream": (TooManyStreams, InvalidCursor),
    "POST /v1/drafts/{draft_id}/approve": _DECIDE,
    "POST /v1/drafts/{draft_id}/reject": _DECIDE,
    "PUT /v1/policy": (RoleRequired, ScopeRequired, *_PIECE_AMOUNT),
    "GET /v1/auth/sso/{participant}/login": (SsoFailed,),
    "GET /v1/auth/sso/{participant}/callback": (SsoStateInvalid, SsoFailed, SsoUnknownUser),
    "PUT /v1/participants/{name}/sso": (ForeignParticipant, RoleRequired, ScopeRequired),
    "GET /v1/participants/{name}/sso": (ForeignParticipant, RoleRequired, ScopeRequired),
    "POST /v1/auth/login": (InvalidCredentials, SecondFactorRequired, AccountLocked),
    "POST /v1/auth/password": (InvalidCredentials,),
    "GET /v1/users": (RoleRequired,),
    "POST /v1/users": (UserExists,),
    "GET /v1/users/{user_id}": (RoleRequired, ForeignParticipant),
    "PATCH /v1/users/{user_id}": (ForeignParticipant, LastAdmin),
    "POST /v1/users/{user_id}/password-reset": (ForeignParticipant,),
    "POST /v1/users/{user_id}/second-factor-reset": (ForeignParticipant,),
    "GET /v1/audit": (RoleRequired,),
    "GET /v1/audit/export": (RoleRequired,),
    "POST /v1/pricing/quote": (*_AMOUNT, *_PRICING, OfferNotViable),
    "GET /v1/calendars/{name}/days": _CALENDAR,
    "GET /v1/calendars/{name}/adjust": _CALENDAR,
    # A receivable whose currency is no ISO 4217 code (the contract takes any 3 bytes).
    "GET /v1/financing-requests/{request_id}/offers/comparison": (UnknownCurrency,),
    "GET /v1/setoff/plan": (UnknownCurrency, CurrencyNotAccepted, ChainUnavailable),
    "POST /v1/setoff/rounds": (SetOffRoundInvalid, *_AMOUNT, UnknownCurrency, CurrencyNotAccepted),
}

# Readiness answers its own body, not a problem, also when it is not ready (503).
_READINESS = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["ready", "degraded", "not-ready"]},
        "checks": {"type": "object", "description": "Database, chain and indexer, each `ok`"},
    },
    "required": ["status", "checks"],
}
PROBES: dict[str, dict[str, Any]] = {
    "GET /readyz": {
        str(status): {
            "description": description,
            "content": {"application/json": {"schema": _READINESS}},
        }
        for status, description in (
            (200, "ready, or degraded: serving, some events could not be projected"),
            (503, "not-ready: the database or the chain is down, or the index is far behind"),
        )
    }
}

# Query filters on a status field: the values they match (any other matches nothing).
FILTER_VALUES: dict[tuple[str, str], tuple[str, ...]] = {
    ("GET /v1/pieces", "state"): fields.PIECE_STATES,
    ("GET /v1/financing-requests", "status"): fields.REQUEST_STATUSES,
}

# Every authenticated operation: no or a bad credential, a session ended, a key's scope, a
# temporary password not changed yet; writes also a missing CSRF token and a person's role.
_AUTHENTICATED = (
    AuthenticationRequired,
    SessionExpired,
    ActionForbidden,
    ScopeRequired,
    PasswordChangeRequired,
)
_AUTHENTICATED_WRITE = (CsrfFailed, RoleRequired)
_JSON_BODY = (BodyTooLarge, BodyTooDeep, UnsupportedMediaType)
_IDEMPOTENT = (MissingIdempotencyKey, IdempotencyConflict)
_WRITE = (KeyNotFound, WrongState, ChainUnavailable, GasFaucetFailed, UnknownRevert)
_CURSORS = {"cursor", "after"}


def _example(cls: type[ScfError]) -> ScfError:
    """An instance of `cls` without its constructor's fields: enough for the error mapping,
    which maps by class."""
    exc = cls.__new__(cls)
    Exception.__init__(exc, "documentation")
    return exc


def problem_type_of(exc: ScfError) -> ProblemType:
    """The status, slug and title api/errors.py answers `exc` with (its one mapping)."""
    response = errors.error_response(exc)
    body = json.loads(bytes(response.body))
    return ProblemType(response.status_code, body["type"].rsplit("/", 1)[1], body["title"])


def contract_problems(contracts: Iterable[str]) -> set[ProblemType]:
    """The problems of every custom error the contracts declare in their ABI."""
    found = set()
    for contract in contracts:
        for item in load_artifact(contract).abi:
            if item["type"] == "error":
                revert = ContractRevert(name=item["name"], args={}, contract=contract, data=b"")
                found.add(problem_type_of(revert))
    return found


def _depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)


def api_routes(app: FastAPI) -> Iterator[tuple[APIRoute, str]]:
    """Every documented route of the app, with its full path (routers included)."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema and context.path_format:
            yield route, context.path_format


def key_of(method: str, path: str) -> str:
    return f"{method.upper()} {path}"


def problems_of(route: APIRoute, method: str, path: str) -> set[ProblemType]:
    """Every problem the operation can answer: what its dependencies imply (authentication,
    a JSON body, parameters, an idempotency key, a write to the chain) and its own entries."""
    domain: list[type[ScfError]] = []
    fixed = {INTERNAL_ERROR}
    dependant = route.dependant
    if _depends_on(dependant, get_gateway) and key_of(method, path) not in PROBES:
        domain.append(DatabaseError)
    if _depends_on(dependant, current_actor):
        domain += _AUTHENTICATED
        if method.upper() not in SAFE_METHODS:
            domain += _AUTHENTICATED_WRITE
    json_body = route.body_field is not None or key_of(method, path) in OWN_JSON_BODIES
    if dependant.path_params or json_body:
        domain.append(NotFoundError)  # an id in the path or the body that names nothing seen
    if json_body:
        domain += _JSON_BODY
        fixed.add(MALFORMED_BODY)
    if json_body or dependant.query_params or dependant.path_params:
        domain.append(InvalidInput)  # well-formed values that do not go together
        fixed.add(VALIDATION_ERROR)
    if any(param.alias in _CURSORS for param in dependant.query_params):
        domain.append(InvalidCursor)
    if _depends_on(dependant, idempotency_key):
        domain += _IDEMPOTENT
    domain += ROUTE_PROBLEMS.get(key_of(method, path), ())
    writes = any(_depends_on(dependant, call) for call in (write_context, governance_write))
    if writes:
        domain += _WRITE
    found = fixed | {problem_type_of(_example(cls)) for cls in domain}
    if writes:
        prefix = next((p for p in WRITE_CONTRACTS if path.startswith(p)), None)
        found |= contract_problems(WRITE_CONTRACTS[prefix] if prefix else LEDGER)
    return found


def _responses(problems: set[ProblemType], shared: dict[str, Any]) -> dict[str, Any]:
    """The operation's problem responses, one per status, each naming its `type` values: as
    references to `shared` (the document's components.responses, where operations answering
    the same types share one entry)."""
    by_status: dict[int, list[ProblemType]] = {}
    for problem in sorted(problems, key=lambda p: (p.status, p.slug)):
        by_status.setdefault(problem.status, []).append(problem)
    responses = {}
    for status, listed in by_status.items():
        types = sorted({errors.problem_type(p.slug) for p in listed})
        lines = sorted({f"- `{p.slug}`: {p.title}" for p in listed})
        schema = {
            "allOf": [
                {"$ref": "#/components/schemas/Problem"},
                {"type": "object", "properties": {"type": {"type": "string", "enum": types}}},
            ]
        }
        slugs = sorted({p.slug for p in listed})
        digest = hashlib.sha256(" ".join(slugs).encode()).hexdigest()[:10]
        name = f"Problem{status}-{slugs[0] if len(slugs) == 1 else digest}"
        shared[name] = {
            "description": "A problem, of one of these types:\n" + "\n".join(lines),
            "content": {errors.PROBLEM_JSON: {"schema": schema}},
        }
        responses[str(status)] = {"$ref": f"#/components/responses/{name}"}
    return responses


def _own_json_bodies(schema: dict[str, Any], components: dict[str, Any]) -> None:
    """The JSON model of each route that reads its own body (OWN_JSON_BODIES), as a
    component the route's request body refers to."""
    for key, body in OWN_JSON_BODIES.items():
        method, path = key.split(" ", 1)
        content = schema["paths"][path][method.lower()]["requestBody"]["content"]
        model = body.model_json_schema(ref_template="#/components/schemas/{model}")
        components.setdefault("schemas", {})[body.__name__] = model
        content["application/json"] = {"schema": {"$ref": f"#/components/schemas/{body.__name__}"}}


def complete(app: FastAPI, schema: dict[str, Any]) -> None:
    """Adds to FastAPI's document what it cannot know (see the module's docstring)."""
    components = schema.setdefault("components", {})
    components["securitySchemes"] = SECURITY_SCHEMES
    _own_json_bodies(schema, components)
    shared: dict[str, Any] = {}
    for route, path in api_routes(app):
        for method in route.methods or ():
            operation = schema["paths"][path][method.lower()]
            if _depends_on(route.dependant, current_actor):
                operation["security"] = [{API_KEY: []}]
            elif path == "/metrics":
                operation["security"] = [{METRICS_TOKEN: []}]
            for parameter in operation.get("parameters", []):
                values = FILTER_VALUES.get((key_of(method, path), parameter["name"]))
                if values is not None:
                    parameter["schema"] = {"type": "string", "enum": list(values)}
                if parameter["in"] == "header" and parameter["name"] == IDEMPOTENCY_KEY:
                    parameter["required"] = True
                    parameter["description"] = (
                        "1 to 128 printable characters, unique per request: a retry with the"
                        " same key and body gets the first attempt's operation"
                    )
                    parameter["schema"] = {"type": "string", "minLength": 1, "maxLength": 128}
            documented = _responses(problems_of(route, method, path), shared)
            operation["responses"] = {
                **operation["responses"],
                **documented,
                **PROBES.get(key_of(method, path), {}),
            }
    components["responses"] = dict(sorted(shared.items()))


def install(app: FastAPI) -> None:
    """Completes `app.openapi` (after api/errors.install) and serves Swagger UI at /docs
    with its assets from this gateway."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            complete(app, generate())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    swagger_ui.install(app)


def main(argv: list[str] | None = None) -> None:
    """Prints the gateway's OpenAPI document (JSON, keys in order, as /openapi.json)."""
    from scfledger.api.app import build_app  # the app imports this module

    del argv
    json.dump(build_app().openapi(), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
