"""Day-count conventions: how many days a period counts and what fraction of a year it is."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from fractions import Fraction

from scfledger.exceptions import NotExact, UnknownConvention


class DayCount(StrEnum):
    """ACT/360 (CNY loans: daily rate = annual rate / 360, USD and EUR money markets),
    ACT/365F (GBP, HKD, JPY money markets) and 30/360 Bond Basis (ISDA 2006 4.16(f), as
    QuantLib's `Thirty360(BondBasis)`; not the US variant with its end-of-February rules)."""

    ACT_360 = "ACT/360"
    ACT_365F = "ACT/365F"
    THIRTY_360 = "30/360"

    @classmethod
    def named(cls, name: str) -> DayCount:
        """The convention of a name as written in the API (`ACT/360`); UnknownConvention."""
        try:
            return cls(name)
        except ValueError:
            raise UnknownConvention(kind="day count", name=name, known=list(cls)) from None

    @property
    def basis(self) -> int:
        """The days of the year the count divides by."""
        return 365 if self is DayCount.ACT_365F else 360


# Money-market conventions of the currencies that do not use ACT/360.
_ACT_365 = frozenset({"AUD", "GBP", "HKD", "INR", "JPY", "MYR", "NZD", "SGD", "THB", "ZAR"})


def for_currency(currency: str) -> DayCount:
    """The usual money-market day count of a currency: ACT/365F for those listed above,
    ACT/360 otherwise (CNY included)."""
    return DayCount.ACT_365F if currency in _ACT_365 else DayCount.ACT_360


def day_count(start: date, end: date, convention: DayCount) -> int:
    """The days from `start` to `end` as the convention counts them (negative if `end` is
    before `start`)."""
    _check_dates(start, end)
    if convention is DayCount.THIRTY_360:
        d1, d2 = start.day, end.day
        if d1 == 31:
            d1 = 30
        if d2 == 31 and d1 >= 30:
            d2 = 30
        return 360 * (end.year - start.year) + 30 * (end.month - start.month) + d2 - d1
    return (end - start).days


def year_fraction(start: date, end: date, convention: DayCount) -> Fraction:
    """The exact fraction of a year from `start` to `end`: days / basis."""
    return Fraction(day_count(start, end, convention), convention.basis)


def _check_dates(*days: date) -> None:
    for day in days:
        if not isinstance(day, date):
            raise NotExact(field="date", value=day, expected="a date")
