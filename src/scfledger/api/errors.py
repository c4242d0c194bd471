"""The one place where errors become RFC 9457 problem documents with a stable `type`."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from scfledger.api.fields import MONEY_ERRORS
from scfledger.api.schemas import Problem
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
    ChainError,
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
    InvalidState,
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
    PermissionDenied,
    RecordNotFound,
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
from scfledger.services.event_money import show_error_args
from scfledger.services.ledger import role_names
from scfledger.services.ledger_money import LedgerMoney

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://scfledger.dev/problems/"
PROBLEM_JSON = "application/problem+json"

# Most specific class first: (class, type slug, status, title).
_DOMAIN: list[tuple[type[ScfError], str, int, str]] = [
    (InvalidCredentials, "invalid-credentials", 401, "Sign-in refused"),
    (SecondFactorRequired, "second-factor-required", 401, "One-time code required"),
    (SessionExpired, "session-expired", 401, "Session ended"),
    (SsoFailed, "sso-failed", 401, "Single sign-on failed"),
    (AuthenticationRequired, "unauthenticated", 401, "Authentication required"),
    (SsoUnknownUser, "sso-unknown-user", 403, "No such user"),
    (AccountLocked, "account-locked", 403, "Account locked"),
    (CsrfFailed, "csrf-failed", 403, "CSRF token missing or wrong"),
    (PasswordChangeRequired, "password-change-required", 403, "Password change required"),
    (RoleRequired, "role-required", 403, "Role required"),
    (ScopeRequired, "scope-required", 403, "API key scope required"),
    (OwnDraft, "own-draft", 403, "A draft is checked by someone else"),
    (AlreadyDecided, "already-decided", 409, "Draft already decided"),
    (DraftExpired, "draft-expired", 409, "Draft expired"),
    (NotMaker, "not-maker", 403, "Only the draft's maker may read its secrets"),
    (AlreadyRevealed, "already-revealed", 409, "Secrets already revealed"),
    (UserExists, "user-exists", 409, "User exists"),
    (LastAdmin, "last-admin", 409, "Last admin of the participant"),
    (ActionForbidden, "forbidden", 403, "Action not allowed"),
    (ForeignParticipant, "foreign-participant", 403, "Only the participant itself may do this"),
    (RelayRejected, "relay-rejected", 403, "Transaction not relayed"),
    (PermissionDenied, "forbidden", 403, "Action not allowed"),
    (RecordNotFound, "not-found", 404, "Not found"),
    (NotFoundError, "not-found", 404, "Not found"),
    (KeyNotFound, "no-signing-key", 403, "No signing key at the gateway"),
    (IdempotencyConflict, "idempotency-conflict", 409, "Idempotency key reused"),
    (ParticipantExists, "participant-exists", 409, "Participant exists"),
    (WrongState, "invalid-state", 409, "Invalid state"),
    (InvalidState, "invalid-state", 409, "Invalid state"),
    (SsoStateInvalid, "sso-state-invalid", 400, "Single sign-on state invalid"),
    (MissingIdempotencyKey, "missing-idempotency-key", 400, "Idempotency-Key header missing"),
    (BodyTooLarge, "body-too-large", 413, "Body too large"),
    (BodyTooDeep, "body-too-deep", 400, "Body nested too deeply"),
    (InvalidCursor, "invalid-cursor", 400, "Invalid cursor"),
    (DocumentTooLarge, "document-too-large", 413, "Document too large"),
    (StorageQuotaExceeded, "storage-quota-exceeded", 413, "Document storage quota exceeded"),
    (TooManyStreams, "too-many-streams", 429, "Too many open event streams"),
    (DocumentNotUploaded, "document-not-uploaded", 422, "Document not uploaded"),
    (UnsupportedDocumentType, "unsupported-media-type", 415, "Unsupported media type"),
    (UnsupportedMediaType, "unsupported-media-type", 415, "Unsupported media type"),
    (AmountNotAString, "amount-not-a-string", 422, "Amount is not a decimal string"),
    (AmountMalformed, "amount-malformed", 422, "Amount is not a decimal number"),
    (AmountTooPrecise, "amount-too-precise", 422, "Amount has too many decimals"),
    (AmountOutOfRange, "amount-out-of-range", 422, "Amount out of range"),
    (UnknownCurrency, "currency-unknown", 422, "Unknown currency"),
    (CurrencyNotAccepted, "currency-not-accepted", 422, "Currency not accepted here"),
    (NotExact, "number-not-exact", 422, "Number is not exact"),
    (InvalidRate, "rate-invalid", 422, "Invalid rate"),
    (UnknownConvention, "convention-unknown", 422, "Unknown convention"),
    (CalendarNotCovered, "calendar-not-covered", 422, "Date outside the calendar's years"),
    (OfferNotViable, "offer-not-viable", 422, "Offer not viable"),
    (SetOffRoundInvalid, "setoff-round-invalid", 422, "Set-off round refused"),
    (PeriodInvalid, "period-invalid", 422, "Invalid period"),
    (TimeZoneUnknown, "time-zone-unknown", 422, "Unknown time zone"),
    (ExportFormatUnknown, "export-format-unknown", 422, "Unknown export format"),
    (BatchInvalid, "batch-invalid", 422, "Batch unreadable"),
    (BatchRejected, "batch-rejected", 422, "Batch refused: lines invalid"),
    (InvalidInput, "invalid-input", 422, "Invalid input"),
    (ChainUnavailable, "chain-unavailable", 503, "Chain unavailable"),
    (GasFaucetFailed, "gas-faucet-unavailable", 503, "Gas money could not be sent"),
    (DatabaseError, "database-unavailable", 503, "Database unavailable"),
    (UnknownRevert, "transaction-reverted", 422, "Transaction reverted"),
]

# Every custom error of the contracts (chain/generated.py's ERRORS, a test holds them equal)
# and its HTTP status; its problem type is its name in kebab case (`invalid-piece-state`).
# The contract decides every refusal, so the same refusal always has the same type.
_FORBIDDEN = 403  # the caller may not: not its role, not its record, not its step
_UNKNOWN = 404  # the record does not exist on chain
_CONFLICT = 409  # the record's state (or the clock) does not allow it now
_INVALID = 422  # the request's values are unacceptable whatever the state
REVERT_STATUS: dict[str, int] = {
    **dict.fromkeys(
        (
            "ERC20InsufficientAllowance",
            "ERC3525InsufficientAllowance",
            "ERC721IncorrectOwner",
            "ERC721InsufficientApproval",
            "MissingRole",
            "ModuleBindingClosed",
            "NotActiveMember",
            "NotCreditor",
            "NotDebtor",
            "NotFinancier",
            "NotHolder",
            "NotIssuer",
            "NotPayee",
            "NotProposer",
            "NotRequester",
            "NotRoundParty",
            "NotSender",
            "OnlyFinancing",
            "OnlyGovernance",
            "OnlySetOff",
            "OnlyToken",
        ),
        _FORBIDDEN,
    ),
    **dict.fromkeys(
        (
            "ERC721NonexistentToken",
            "UnknownMember",
            "UnknownProposal",
            "UnknownReceivable",
            "UnknownRequest",
            "UnknownRound",
        ),
        _UNKNOWN,
    ),
    **dict.fromkeys(
        (
            "AcceptanceWindowOpen",
            "AlreadyAnswered",
            "AlreadyApproved",
            "AlreadyDeclined",
            "ConfirmationWindowOpen",
            "ConsentsMissing",
            "DefaultPeriodRunning",
            "DuplicateDocument",
            "ERC20InsufficientBalance",
            "EvidenceAlreadyAttached",
            "EvidenceIsDocument",
            "EvidenceLimitReached",
            "FundingDeadlinePassed",
            "GracePeriodRunning",
            "InsufficientApprovals",
            "InsufficientBalance",
            "InvalidMemberStatus",
            "InvalidPieceState",
            "InvalidRequestStatus",
            "LegalIdAlreadyRegistered",
            "MemberAlreadyExists",
            "ModuleInUse",
            "NoOffer",
            "NoRecourse",
            "NotApproved",
            "NothingEscrowed",
            "NotYetDue",
            "OfferMismatch",
            "PaymentRefDisputed",
            "PieceChangedSincePlan",
            "PieceDue",
            "PieceNotNettable",
            "PieceNotTransferable",
            "ProposalExpired",
            "ProposalNotPending",
            "ReceivableLapsed",
            "RequestExpired",
            "RequestNotExpired",
            "RoundClosed",
            "RoundLapsed",
            "WrongMode",
        ),
        _CONFLICT,
    ),
    **dict.fromkeys(
        (
            "AddressEmptyCode",
            "AdvanceAboveValue",
            "DebtorCannotHold",
            "DepthLimitExceeded",
            "DueDateInPast",
            "DueDateTooFar",
            "DuplicateFinancier",
            "ERC20InvalidApprover",
            "ERC20InvalidReceiver",
            "ERC20InvalidSender",
            "ERC20InvalidSpender",
            "ERC3525ApprovalToOwner",
            "ERC3525InsufficientBalance",
            "ERC3525InvalidReceiver",
            "ERC3525SlotMismatch",
            "ERC721InvalidApprover",
            "ERC721InvalidOperator",
            "ERC721InvalidOwner",
            "ERC721InvalidReceiver",
            "ERC721InvalidSender",
            "EmptyField",
            "EmptyHash",
            "FailedCall",
            "FeesAboveAdvance",
            "InvalidBatchSize",
            "InvalidCurrency",
            "InvalidFinancierCount",
            "InvalidFundingDeadline",
            "InvalidNetAmount",
            "InvalidParameter",
            "InvalidProposalLifetime",
            "InvalidRequestTtl",
            "InvalidRoles",
            "InvalidRoundDeadline",
            "InvalidRoundSize",
            "InvalidThreshold",
            "MissingPaymentRef",
            "PieceNotInSlot",
            "PiecesNotAscending",
            "RootHasNoParent",
            "RoundUnbalanced",
            "SafeCastOverflowedUintDowncast",
            "SelfDealing",
            "SelfFinancing",
            "TargetNotContract",
            "ValueBelowMinimum",
            "ValueMergeUnsupported",
            "ZeroAdvance",
            "ZeroValue",
        ),
        _INVALID,
    ),
}


# The problem types of money refusals the schemas make (api/fields.py MONEY_ERRORS), with
# the titles of the same refusals made by the domain exceptions.
_MONEY_TITLES = {
    slug: title
    for cls, slug, _, title in _DOMAIN
    if cls in MONEY_ERRORS and MONEY_ERRORS[cls] == slug
}


def problem_type(slug: str) -> str:
    return PROBLEM_BASE + slug


def kebab(name: str) -> str:
    """`DuplicateDocument` -> `duplicate-document`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower()


def problem(status: int, slug: str, title: str, detail: str, **extensions: Any) -> JSONResponse:
    body: dict[str, Any] = {
        "type": problem_type(slug),
        "title": title,
        "status": status,
        "detail": detail,
        **extensions,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _json_safe(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def _explained(exc: ContractRevert) -> str:
    """The revert as the contract gave it, then role bits by name (`requiredRoles=4` means
    nothing to a clerk; "supplier" does)."""
    named = [
        f"{key}: {', '.join(role_names(value)) or 'none'}"
        for key, value in exc.args_by_name.items()
        if key.lower().endswith("roles") and isinstance(value, int)
    ]
    return str(exc) + "".join(f"; {text}" for text in named)


def error_response(
    exc: ScfError, money: LedgerMoney | None = None, **extensions: Any
) -> JSONResponse:
    """The problem document of a domain error; with the ledger's `money`, a contract
    error's amounts are shown as decimal strings (services.event_money.ERROR_AMOUNTS)."""
    if isinstance(exc, ContractRevert):
        if money is not None:
            exc = _shown(exc, money)
        # Only Solidity's built-in Error and Panic are not in the table.
        status = REVERT_STATUS.get(exc.name, _INVALID)
        return problem(
            status,
            kebab(exc.name),
            f"Refused by the contract: {exc.name}",
            _explained(exc),
            error={"name": exc.name, "args": _json_safe(exc.args_by_name)},
            **extensions,
        )
    for cls, slug, status, title in _DOMAIN:
        if isinstance(exc, cls):
            return problem(status, slug, title, str(exc), **extensions)
    log.error("unmapped domain error %s", type(exc).__name__)
    return problem(500, "internal-error", "Internal error", "the gateway failed; see its logs")


def _shown(exc: ContractRevert, money: LedgerMoney) -> ContractRevert:
    """The revert with its amounts as decimal strings; as it was if the ledger's value
    decimals cannot be read now (the node is down: the problem is still answered)."""
    try:
        args = show_error_args(exc.name, exc.args_by_name, money)
    except ChainError:
        return exc
    return ContractRevert(name=exc.name, args=args, contract=exc.contract, data=exc.data)


async def _scf_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ScfError)
    return error_response(exc, request.app.state.gateway.money)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return validation_response(exc.errors())


def validation_response(found: Sequence[Any]) -> JSONResponse:
    """The problem of a body its schema refused (pydantic's errors): `malformed-body`,
    an amount or currency problem, or `validation-error`, each naming the fields."""
    errors = [
        {
            "loc": [str(part) for part in e.get("loc", ())],
            "msg": e.get("msg", ""),
            "type": e["type"],
        }
        for e in found
    ]
    if any(e["type"] in ("json_invalid", "model_attributes_type") for e in errors):
        return problem(
            400, "malformed-body", "Malformed body", "the body is not a JSON object", errors=errors
        )
    detail = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors)
    # An amount or currency the body's schema refused has its own problem type (the first
    # such error's), as when the currency's checks refuse it later (docs/money.md).
    money = next((e["type"] for e in errors if e["type"] in _MONEY_TITLES), None)
    if money is not None:
        return problem(422, money, _MONEY_TITLES[money], detail, errors=errors)
    return problem(422, "validation-error", "Invalid request", detail, errors=errors)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    # 400: FastAPI could not decode the body (not UTF-8, a number of over 4,300 digits).
    slug = {400: "malformed-body", 404: "not-found", 405: "method-not-allowed"}.get(
        exc.status_code, "http-error"
    )
    title = {400: "Malformed body", 404: "Not found", 405: "Method not allowed"}.get(
        exc.status_code, "HTTP error"
    )
    return problem(exc.status_code, slug, title, str(exc.detail))


async def _overflow(_request: Request, exc: Exception) -> JSONResponse:
    # SQLite refuses to compare a column with an integer past 64 bits: such an id (a path
    # parameter has no upper bound) names nothing, and the client sent it (schemathesis).
    assert isinstance(exc, OverflowError)
    detail = "a number in the request is out of range (at most 2**63 - 1)"
    return problem(422, "invalid-input", "Invalid input", detail)


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return problem(500, "internal-error", "Internal error", "the gateway failed; see its logs")


# Every operation documents its error answers as problems (FastAPI would document a 422
# with its own validation-error schema, which this gateway never sends).
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for status, description in (
        ("4XX", "The request is refused: a problem with a stable `type`"),
        ("5XX", "The gateway or what it depends on failed: a problem"),
    )
}


def _documented(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """`app.openapi` with the Problem schema that PROBLEM_RESPONSES refer to."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            schemas["Problem"] = Problem.model_json_schema()
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi


def install(app: FastAPI) -> None:
    """The exception handlers, and the Problem schema in the OpenAPI document (the app is
    created with `responses=PROBLEM_RESPONSES`)."""
    app.openapi = _documented(app)  # type: ignore[method-assign]
    app.add_exception_handler(ScfError, _scf_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OverflowError, _overflow)
    app.add_exception_handler(Exception, _unexpected)
