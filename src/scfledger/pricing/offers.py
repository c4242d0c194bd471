"""Financing offers priced as banks price them: interest-bearing advances, discount
factoring, fees, penalty interest, and the annualised cost that makes offers comparable.

Every amount is an int of minor units; every intermediate value is an exact Fraction; each
money result (an interest, a discount, a fee) is rounded once to the minor unit, half up
(四舍五入: the People's Bank of China's rule for interest, "to the fen, rounded half up"),
and totals are sums of rounded parts, so they add up exactly. Floats are refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Literal

from scfledger.exceptions import InvalidRate, NotExact, OfferNotViable
from scfledger.money import MAX_AMOUNT
from scfledger.pricing.calendars import Adjustment, Calendar
from scfledger.pricing.daycount import DayCount, year_fraction

DAYS_PER_YEAR = 365  # annualised costs count calendar days, whatever the offer's day count
COST_DIGITS = 12  # significant digits of an annualised cost
_RATE = re.compile(r"(?:0|[1-9][0-9]*)(?:\.[0-9]+)?", re.ASCII)


def to_minor(value: Fraction) -> int:
    """An exact amount rounded to the minor unit, half up (away from zero)."""
    if value < 0:
        return -to_minor(-value)
    return (2 * value.numerator + value.denominator) // (2 * value.denominator)


def parse_percent(text: str, *, field: str = "rate", maximum: Decimal = Decimal(100)) -> Decimal:
    """An annual rate written in percent ("4.35") as a fraction (Decimal("0.0435"))."""
    return _parse(text, field=field, maximum=maximum, places=8) / 100


def parse_bps(text: str, *, field: str = "fee_bps") -> Decimal:
    """A number of basis points ("50" = 0.50 %), at most 10,000 (100 %)."""
    return _parse(text, field=field, maximum=Decimal(10_000), places=4)


def _parse(text: str, *, field: str, maximum: Decimal, places: int) -> Decimal:
    if not isinstance(text, str):
        raise NotExact(field=field, value=text, expected="a decimal string")
    if not _RATE.fullmatch(text):
        raise InvalidRate(field=field, text=text, reason="write digits and an optional fraction")
    whole, _, fraction = text.partition(".")
    if len(fraction) > places:
        raise InvalidRate(field=field, text=text, reason=f"at most {places} decimals")
    if len(whole) > 6 or Decimal(text) > maximum:
        raise InvalidRate(field=field, text=text, reason=f"at most {maximum}")
    return Decimal(text)


def _rate(value: Decimal, what: str) -> Fraction:
    """A rate as an exact Fraction; floats and booleans refused, negatives too."""
    if not isinstance(value, Decimal):
        raise NotExact(field=what, value=value, expected="a Decimal")
    if not value.is_finite() or value < 0:
        raise InvalidRate(field=what, text=str(value), reason="a finite rate of at least 0")
    return Fraction(value)


def _minor(value: int, what: str, *, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise NotExact(field=what, value=value, expected="an int of minor units")
    if not (0 if allow_zero else 1) <= value <= MAX_AMOUNT:
        raise OfferNotViable(f"{what} {value} is outside 1..{MAX_AMOUNT} minor units")
    return value


@dataclass(frozen=True)
class Term:
    """From the funding date to the due date (both business days), and the day count."""

    start: date
    end: date
    day_count: DayCount

    @property
    def days(self) -> int:
        """Calendar days of the term."""
        return (self.end - self.start).days

    @property
    def year_fraction(self) -> Fraction:
        return year_fraction(self.start, self.end, self.day_count)


def term(
    start: date,
    end: date,
    day_count: DayCount,
    *,
    calendar: Calendar | None = None,
    adjustment: Adjustment = Adjustment.MODIFIED_FOLLOWING,
) -> Term:
    """The term from `start` to `end`, both moved off days off by `calendar` (none: as
    given). The adjusted dates are what the parties sign."""
    if calendar is not None:
        start, end = calendar.adjust(start, adjustment), calendar.adjust(end, adjustment)
    if not isinstance(day_count, DayCount):
        raise NotExact(field="day_count", value=day_count, expected="a DayCount")
    made = Term(start=start, end=end, day_count=day_count)
    if made.year_fraction <= 0 or made.days <= 0:
        raise OfferNotViable(f"the due date {end} must come after the funding date {start}")
    return made


@dataclass(frozen=True)
class Fees:
    """A flat fee in minor units plus basis points of the offer's base (the advance of a
    loan, the value of a factored piece)."""

    flat: int = 0
    bps: Decimal = field(default_factory=Decimal)

    def on(self, base: int) -> int:
        flat = _minor(self.flat, "flat fee", allow_zero=True)
        return flat + to_minor(base * _rate(self.bps, "fee bps") / 10_000)


@dataclass(frozen=True)
class Cost:
    """What an offer costs per year of 365 days, as fractions (0.0435 = 4.35 %): `simple`
    is (given - received) / received x 365 / days; `effective` compounds it over a year,
    (given / received) ** (365 / days) - 1. Both to 12 significant digits, half up."""

    simple: Decimal
    effective: Decimal


@dataclass(frozen=True)
class Offer:
    """A priced offer, its amounts as the financing contract records them: the financier
    pays `advance` at funding and keeps `fees` from it; `repayment` repays a loan (or is
    what the seller owes on recourse). `charge` is the interest or the discount; `owed` is
    what the borrower gives up at the due date (a loan's repayment, a piece's value)."""

    kind: Literal["interest", "discount"]
    term: Term
    rate: Decimal
    advance: int
    fees: int
    repayment: int
    charge: int
    owed: int

    @property
    def net_proceeds(self) -> int:
        """What the borrower receives at funding."""
        return self.advance - self.fees

    @property
    def cost(self) -> Cost:
        return annualised_cost(received=self.net_proceeds, given=self.owed, days=self.term.days)


def interest_bearing(advance: int, rate: Decimal, term: Term, fees: Fees | None = None) -> Offer:
    """A loan of `advance` at an annual `rate`: repayment = advance x (1 + rate x days /
    basis); fees are kept from the advance at funding, so the borrower's whole cost is
    interest + fees."""
    advance = _minor(advance, "advance")
    interest = to_minor(advance * _rate(rate, "rate") * term.year_fraction)
    kept = (fees or Fees()).on(advance)
    if kept >= advance:
        raise OfferNotViable(f"fees of {kept} leave nothing of the advance {advance}")
    repayment = advance + interest
    if repayment > MAX_AMOUNT:
        raise OfferNotViable("the repayment exceeds what the ledger holds")
    return Offer("interest", term, rate, advance, kept, repayment, interest, repayment)


def discount(
    value: int, rate: Decimal, term: Term, fees: Fees | None = None, *, recourse: bool = False
) -> Offer:
    """Factoring a piece of `value` at an annual discount `rate`: advance = value x (1 -
    rate x days / basis), and the seller receives advance - fees. With recourse the seller
    owes the value back if the debtor does not pay (the repayment); without, nothing."""
    value = _minor(value, "value")
    charge = to_minor(value * _rate(rate, "rate") * term.year_fraction)
    advance = value - charge
    if advance <= 0:
        raise OfferNotViable(f"a discount of {charge} takes the whole value {value}")
    kept = (fees or Fees()).on(value)
    if kept >= advance:
        raise OfferNotViable(f"fees of {kept} leave nothing of the advance {advance}")
    return Offer("discount", term, rate, advance, kept, value if recourse else 0, charge, value)


def penalty_interest(
    amount: int, rate: Decimal, *, due: date, paid: date, day_count: DayCount
) -> int:
    """Interest on an overdue `amount` at the annual penalty `rate` (罚息) from the due date
    to the day it is paid: 0 when paid on or before the due date."""
    amount = _minor(amount, "overdue amount", allow_zero=True)
    late = year_fraction(due, paid, day_count)
    return to_minor(amount * _rate(rate, "penalty rate") * late) if late > 0 else 0


def annualised_cost(*, received: int, given: int, days: int) -> Cost:
    """The annual cost of receiving `received` now for `given` after `days` calendar days
    (any offer's amounts, priced here or not)."""
    received = _minor(received, "received")
    given = _minor(given, "given", allow_zero=True)
    if isinstance(days, bool) or not isinstance(days, int):
        raise NotExact(field="days", value=days, expected="an int")
    if days <= 0:
        raise OfferNotViable("the term must last at least one day")
    simple = Fraction(given - received, received) * Fraction(DAYS_PER_YEAR, days)
    with localcontext() as exact:
        exact.prec = 60
        growth = (Decimal(given) / Decimal(received)) ** (Decimal(DAYS_PER_YEAR) / days)
        effective = growth - 1
    with localcontext() as shown:
        shown.prec, shown.rounding = COST_DIGITS, ROUND_HALF_UP
        return Cost(
            simple=Decimal(simple.numerator) / Decimal(simple.denominator), effective=+effective
        )


def cheapest_first(offers: Iterable[Offer]) -> list[Offer]:
    """Offers ranked by effective annual cost (then simple), cheapest first; ties keep
    their order."""
    return sorted(offers, key=lambda o: (o.cost.effective, o.cost.simple))
