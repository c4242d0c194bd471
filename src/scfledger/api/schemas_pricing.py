"""Request and response bodies of pricing: quotes, calendars and the comparison of offers.

Amounts are decimal strings in the currency (`"8000000.00"`), rates and costs percent strings
(`"4.35"` = 4.35 % a year), dates ISO 8601 (`"2026-10-01"`). The fields of amounts and rates
take any JSON value and are documented as strings: the API edge parses them with
`money.parse_amount` and `pricing.offers.parse_percent`, whose refusals have their own
problem types (a JSON number is `amount-not-a-string` or `number-not-exact`, not a generic
validation error)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, JsonValue, WithJsonSchema

from scfledger.api.dates import Dated
from scfledger.api.fields import AmountOut, Mode, TokenId, UnixSeconds
from scfledger.pricing.calendars import NAMES, Adjustment
from scfledger.pricing.daycount import DayCount

AMOUNT_PATTERN = r"^(0|[1-9][0-9]*)(\.[0-9]+)?$"
AmountText = Annotated[
    JsonValue,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": AMOUNT_PATTERN,
            "description": "A decimal string in the currency, at most its minor digits",
            "examples": ["8000000.00"],
        }
    ),
]
PercentText = Annotated[
    JsonValue,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": AMOUNT_PATTERN,
            "description": "An annual rate in percent, at most 8 decimals: 4.35 is 4.35 %",
            "examples": ["4.35"],
        }
    ),
]
BpsText = Annotated[
    JsonValue,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": AMOUNT_PATTERN,
            "description": "Basis points (50 = 0.50 %), at most 10000",
            "examples": ["10"],
        }
    ),
]
CurrencyText = Annotated[
    JsonValue,
    WithJsonSchema(
        {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217", "examples": ["CNY"]}
    ),
]
Percent = Annotated[
    str, Field(description="Percent a year, as a decimal string", examples=["4.6308"])
]
Money = AmountOut  # a decimal string in the currency, exactly its minor digits


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def _iso_date(value: object) -> object:
    """A date as ISO 8601 text only (YYYY-MM-DD): FastAPI validates the parsed JSON, where a
    strict `date` takes no string, and a lax one also Unix seconds."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or _ISO_DATE.fullmatch(value) is None:
        raise ValueError("write a date as YYYY-MM-DD")
    return date.fromisoformat(value)  # ValueError for a month 13


IsoDate = Annotated[date, BeforeValidator(_iso_date)]

# Names documented with the names they take (`enum`) but read as any string: an unknown one
# is the pricing module's `convention-unknown`, not a validation error.
DayCountName = Annotated[str, WithJsonSchema({"type": "string", "enum": [*map(str, DayCount)]})]
CalendarName = Annotated[str, WithJsonSchema({"type": "string", "enum": [*NAMES]})]
AdjustmentName = Annotated[str, WithJsonSchema({"type": "string", "enum": [*map(str, Adjustment)]})]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class FeesIn(Strict):
    flat: AmountText | None = Field(default=None, description="A flat fee (default 0)")
    bps: BpsText | None = Field(
        default=None,
        description="Basis points of the loan's advance, or of the factored piece's value",
    )


_QUOTE_EXAMPLE: dict[str, JsonValue] = {
    "method": "interest",
    "amount": "8000000.00",
    "currency": "CNY",
    "funding_date": "2026-03-02",
    "due_date": "2026-08-29",
    "rate": "4.35",
    "fees": {"flat": "500.00", "bps": "10"},
}


class QuoteIn(Strict):
    """What to price: a piece the caller sees (`token_id`: its value, currency and due date
    from the ledger) or an `amount` with its `currency` and `due_date`."""

    model_config = ConfigDict(json_schema_extra={"examples": [_QUOTE_EXAMPLE]})

    method: Literal["interest", "discount"] = Field(
        description="interest: a loan of `amount`, repaid with interest (a pledge, recourse"
        " factoring); discount: factoring a piece of value `amount` at a discount"
    )
    token_id: TokenId | None = Field(default=None, description="A piece to price")
    amount: AmountText | None = Field(
        default=None,
        description="The advance of a loan, or the value of the factored piece. With"
        " `token_id`: the piece's value by default; a loan may advance less",
    )
    currency: CurrencyText | None = Field(default=None, description="Without `token_id`")
    due_date: IsoDate | None = Field(default=None, description="Without `token_id`")
    funding_date: IsoDate = Field(description="When the advance is paid")
    rate: PercentText = Field(description="The annual interest or discount rate, in percent")
    day_count: DayCountName | None = Field(
        default=None,
        description="Default: the currency's (ACT/360 for CNY, ACT/365F for HKD, JPY, ...)",
    )
    calendar: CalendarName | None = Field(
        default=None,
        description="Business days. Default: the currency's (china for CNY, else weekends)",
    )
    adjustment: AdjustmentName | None = Field(
        default=None, description="How a date on a day off moves. Default: modified_following"
    )
    fees: FeesIn | None = None
    recourse: bool = Field(
        default=False,
        description="Discount with recourse: the seller owes the value back if the debtor"
        " does not pay (the offer's repayment)",
    )
    penalty_rate: PercentText | None = Field(
        default=None, description="Annual penalty rate after the due date (with `paid_on`)"
    )
    paid_on: IsoDate | None = Field(
        default=None, description="When what is owed is paid (with `penalty_rate`)"
    )


class AdjustedDateOut(BaseModel):
    given: date
    adjusted: date = Field(description="The business day the convention moves it to")
    moved: bool
    reason: str | None = Field(
        description="Why the given date is no business day: a holiday's name, or weekend"
    )


class CostOut(BaseModel):
    """The annualised cost over the term's calendar days, per year of 365 days."""

    simple: Percent = Field(description="(given - received) / received x 365 / days")
    effective: Percent = Field(description="(given / received) ^ (365 / days) - 1")


class OfferTermsOut(BaseModel):
    """Terms in the form of an offer's body (`POST /v1/financing-requests/{id}/offers`)."""

    advance: Money
    repayment: Money
    fees: Money
    fund_by: UnixSeconds = Field(description="The last second of the funding date (UTC)")


class PenaltyOut(BaseModel):
    rate: Percent
    paid_on: date
    days_late: int = Field(description="Calendar days after the adjusted due date")
    amount: Money


class QuoteOut(BaseModel):
    method: Literal["interest", "discount"]
    token_id: int | None
    currency: str
    funding_date: AdjustedDateOut
    due_date: AdjustedDateOut
    calendar: str
    adjustment: str
    day_count: str
    days: int = Field(description="Calendar days from funding to the due date (adjusted)")
    accrual_days: int = Field(description="The days as the day count counts them")
    basis: int = Field(description="The days of a year the day count divides by")
    year_fraction: str = Field(description="accrual_days / basis, 12 significant digits")
    rate: Percent
    amount: Money = Field(description="What was priced: the loan's advance, the piece's value")
    advance: Money = Field(description="Paid by the financier at funding, before fees")
    fees: Money = Field(description="Kept from the advance at funding")
    interest: Money | None = Field(description="A loan's interest")
    discount: Money | None = Field(description="A factored piece's discount")
    received: Money = Field(description="What the borrower receives: advance - fees")
    repayment: Money = Field(
        description="What repays the loan; for factoring, what the seller owes on recourse"
    )
    owed: Money = Field(description="What is paid at the due date: repayment, or the value")
    cost: CostOut
    terms: OfferTermsOut
    penalty: PenaltyOut | None


class CalendarOut(BaseModel):
    name: str
    years: list[int] | None = Field(description="First and last year known; null: any year")
    currencies: list[str] = Field(description="The currencies it is the default of")
    description: str


class CalendarDayOut(BaseModel):
    day: date
    business_day: bool
    weekend: bool
    holiday: str | None = Field(
        description="The public holiday it belongs to, or that an in-lieu working day makes up"
    )
    in_lieu_working_day: bool = Field(description="A weekend day worked (调休上班)")


class CalendarDaysOut(BaseModel):
    calendar: str
    days: list[CalendarDayOut]


class AdjustOut(BaseModel):
    calendar: str
    convention: str
    given: date
    adjusted: date
    moved: bool
    reason: str | None = Field(description="Why the given date is no business day")


class ComparedOfferOut(BaseModel):
    rank: int = Field(description="1: the cheapest")
    financier: str
    accepted: bool = Field(description="The offer the requester accepted")
    terms: OfferTermsOut
    received: Money = Field(description="advance - fees, at funding")
    given: Money = Field(
        description="At the due date: a pledge's repayment; a factored piece's value"
    )
    days: int = Field(description="From the funding deadline's date to the piece's due date")
    cost: CostOut | None = Field(description="null when the offer leaves nothing to receive")


class ComparisonOut(Dated):
    """The made offers of a request the caller sees, cheapest first."""

    request_id: int
    token_id: int
    currency: str
    value: Money = Field(description="The piece's value")
    due_date: UnixSeconds
    mode: Mode
    recourse: bool
    offers: list[ComparedOfferOut]
