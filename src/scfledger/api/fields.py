"""Field types of the REST API's bodies: addresses, hashes, amounts as decimal strings,
currencies, dates, and the values each status field takes (documented as an `enum`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo
from pydantic_core import PydanticCustomError

from scfledger import money
from scfledger.api.dates import UnixSeconds as UnixSeconds
from scfledger.chain import generated
from scfledger.exceptions import (
    AmountMalformed,
    AmountNotAString,
    AmountOutOfRange,
    UnknownCurrency,
)

MAX_INT64 = 2**63 - 1  # ids, cursors and dates are 64-bit signed integers in the database

# The problem type of each refusal of an amount or currency a body's schema makes
# (api/errors.py answers a validation failure of one of these types with that problem).
MONEY_ERRORS = {
    AmountNotAString: "amount-not-a-string",
    AmountMalformed: "amount-malformed",
    AmountOutOfRange: "amount-out-of-range",
    UnknownCurrency: "currency-unknown",
}


def _amount_text(value: object, info: ValidationInfo) -> object:
    """A JSON string in plain decimal notation, not negative; the currency's digits and the
    bounds are checked where the currency is known (services.ledger_money)."""
    try:
        return money.check_amount_text(value, field=info.field_name or "amount")
    except (AmountNotAString, AmountMalformed, AmountOutOfRange) as refused:
        raise PydanticCustomError(MONEY_ERRORS[type(refused)], str(refused)) from None


def _currency_code(value: object) -> object:
    try:
        money.currency_exponent(value)  # type: ignore[arg-type]  # anything else is refused
    except UnknownCurrency as refused:
        raise PydanticCustomError("currency-unknown", str(refused)) from None
    return value


AMOUNT_TEXT = (
    'A decimal string in the currency\'s units, exact: "1000000.00" CNY is one million yuan.'
    " A JSON number is refused (amount-not-a-string); at most the currency's minor digits"
    " (amount-too-precise)"
)
# An amount in a request: more than zero.
# (Field before the validator: the pattern stays in the JSON Schema.)
AmountText = Annotated[
    str,
    Field(pattern=money.AMOUNT_PATTERN, description=AMOUNT_TEXT, examples=["1000000.00"]),
    BeforeValidator(_amount_text),
]
# An amount in a request that may be zero (fees, a repayment of nothing more).
AmountOrZeroText = Annotated[
    str,
    Field(
        pattern=money.AMOUNT_PATTERN,
        description=AMOUNT_TEXT + "; zero allowed",
        examples=["0.00"],
    ),
    BeforeValidator(_amount_text),
]
# An amount in a response: the canonical string, exactly the currency's minor digits.
AmountOut = Annotated[
    str,
    Field(
        pattern=money.AMOUNT_PATTERN,
        description="A decimal string in the currency's units with exactly its minor digits"
        ' ("1000000.00" CNY); exact: compute with Decimal, never float',
        examples=["1000000.00"],
    ),
]
Currency = Annotated[
    str,
    Field(
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217 code, one the consortium accepts (SCF_CURRENCIES)",
        examples=["CNY"],
    ),
    BeforeValidator(_currency_code),
]
CurrencyOut = Annotated[
    str, Field(description="ISO 4217 code: the unit of the amounts", examples=["CNY"])
]

Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$", examples=["0x" + "ab" * 20])]
Hash32 = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$")]
TokenId = Annotated[int, Field(ge=1, le=MAX_INT64)]


def values_of(values: tuple[str, ...], description: str) -> Any:
    """The Field of a string documented with the values it takes (`enum` in the OpenAPI
    document) and typed `str` in Python: the indexer and the pipeline write these values and
    own them (tests/api/test_openapi_doc.py checks each tuple below against its owner)."""
    return Field(description=description, json_schema_extra={"enum": list(values)})


# The values of the status fields, as their owners write them (see `enumerated`).
PIECE_STATES = generated.PieceState.labels()
RECEIVABLE_STATUSES = generated.ReceivableStatus.labels()
REQUEST_STATUSES = generated.RequestStatus.labels()
MODES = generated.Mode.labels()
SETTLEMENT_STATUSES = ("awaiting_confirmation", "disputed", "settled")
MEMBER_STATUSES = generated.MemberStatus.labels()
PARTICIPANT_STATUSES = ("active", "suspended", "not-admitted")
OPERATION_STATUSES = ("queued", "submitted", "mined", "indexed", "failed")
DELIVERY_STATUSES = ("pending", "delivered", "failed")
ROLE_NAMES = tuple(role.name.lower() for role in generated.Role if role.bit_count() == 1)

PieceState = Annotated[
    str,
    values_of(
        PIECE_STATES,
        "pending: awaiting its receiver's signature (签收); active; financing: locked by an"
        " open request; financed; awaiting_confirmation: paid off-chain, awaiting the payee;"
        " settled; overdue; defaulted; rejected; cancelled; expired; netted: its whole value"
        " cleared by set-off",
    ),
]
ReceivableStatus = Annotated[
    str,
    values_of(
        RECEIVABLE_STATUSES,
        "pending: awaiting the creditor's acceptance (确权); active; settled: paid in full;"
        " rejected, cancelled or expired: never accepted",
    ),
]
RequestStatus = Annotated[str, values_of(REQUEST_STATUSES, "Where the financing request stands")]
Mode = Annotated[
    str, values_of(MODES, "factoring: the piece is assigned; pledge: a lien is recorded")
]
SettlementStatus = Annotated[
    str, values_of(SETTLEMENT_STATUSES, "Where the piece's settlement stands")
]
MemberStatus = Annotated[
    str, values_of(MEMBER_STATUSES, "The member's status in the consortium registry")
]
ParticipantStatus = Annotated[
    str,
    values_of(
        PARTICIPANT_STATUSES,
        "The member's on-chain status: active, suspended, or not-admitted",
    ),
]
OperationStatus = Annotated[
    str,
    values_of(
        OPERATION_STATUSES,
        "queued: accepted, not yet sent; submitted: sent to the chain; mined: in a block;"
        " indexed: its events are readable; failed: see `error`",
    ),
]
DeliveryStatus = Annotated[
    str, values_of(DELIVERY_STATUSES, "pending: to be (re)tried; delivered; failed")
]
Role = Annotated[str, values_of(ROLE_NAMES, "A consortium role")]


Deadline = Annotated[int, Field(gt=0, lt=2**64, description="Unix seconds (UTC)")]
Reference = Annotated[
    str,
    Field(
        min_length=1,
        max_length=128,
        description="0x + 64 hex digits, or text (recorded on chain as its SHA-256)",
    ),
]


ProposalStatus = Literal["pending", "executed", "cancelled", "expired"]
RoleName = Literal["admin", "core_enterprise", "supplier", "financier", "auditor"]
PARTICIPANT_NAME = r"^[a-z0-9][a-z0-9_-]{0,63}$"
ParticipantName = Annotated[str, Field(pattern=PARTICIPANT_NAME)]


def _utc(moment: datetime) -> datetime:
    """A stored time with its zone: SQLite gives back naive datetimes, which are UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


# A time the gateway stored, answered with its zone (RFC 3339) on every database.
UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
