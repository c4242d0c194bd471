"""Day counts and year fractions, by hand and against QuantLib on random dates."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

import pytest
import QuantLib as ql  # noqa: N813 (its documented alias)
from hypothesis import given
from hypothesis import strategies as st

from scfledger.exceptions import NotExact, UnknownConvention
from scfledger.pricing.daycount import DayCount, day_count, for_currency, year_fraction

QUANTLIB = {
    DayCount.ACT_360: ql.Actual360(),
    DayCount.ACT_365F: ql.Actual365Fixed(),
    DayCount.THIRTY_360: ql.Thirty360(ql.Thirty360.BondBasis),
}
# QuantLib's dates run from 1901 to 2199.
dates = st.dates(min_value=date(1901, 1, 1), max_value=date(2199, 12, 31))


def qdate(day: date) -> ql.Date:
    return ql.Date(day.day, day.month, day.year)


@given(dates, dates, st.sampled_from(list(DayCount)))
def test_day_counts_and_year_fractions_match_quantlib(
    start: date, end: date, convention: DayCount
) -> None:
    theirs = QUANTLIB[convention]
    assert day_count(start, end, convention) == theirs.dayCount(qdate(start), qdate(end))
    # QuantLib divides in doubles; the exact fraction rounds to the same double.
    assert float(year_fraction(start, end, convention)) == theirs.yearFraction(
        qdate(start), qdate(end)
    )


@given(dates, st.integers(min_value=0, max_value=366), st.sampled_from(list(DayCount)))
def test_a_year_fraction_is_days_over_basis_exactly(
    start: date, days: int, convention: DayCount
) -> None:
    end = date.fromordinal(min(start.toordinal() + days, date(2199, 12, 31).toordinal()))
    fraction = year_fraction(start, end, convention)
    assert isinstance(fraction, Fraction)
    assert fraction * convention.basis == day_count(start, end, convention)


@pytest.mark.parametrize(
    ("start", "end", "act", "thirty"),
    [
        # 2026-01-31 -> 2026-02-28: the 31st counts as the 30th; February is not stretched.
        (date(2026, 1, 31), date(2026, 2, 28), 28, 28),
        # 30th -> 31st: the end 31st counts as the 30th because the start is the 30th.
        (date(2026, 1, 30), date(2026, 3, 31), 60, 60),
        # 28th -> 31st: the end 31st stays 31 (the start is before the 30th).
        (date(2026, 2, 28), date(2026, 3, 31), 31, 33),
        # a leap year: ACT counts Feb 29.
        (date(2028, 2, 1), date(2028, 3, 1), 29, 30),
        (date(2026, 3, 2), date(2026, 8, 29), 180, 177),
        (date(2026, 1, 1), date(2027, 1, 1), 365, 360),
    ],
)
def test_day_counts_by_hand(start: date, end: date, act: int, thirty: int) -> None:
    assert day_count(start, end, DayCount.ACT_360) == act
    assert day_count(start, end, DayCount.ACT_365F) == act
    assert day_count(start, end, DayCount.THIRTY_360) == thirty
    assert year_fraction(start, end, DayCount.ACT_360) == Fraction(act, 360)
    assert year_fraction(start, end, DayCount.ACT_365F) == Fraction(act, 365)
    assert year_fraction(start, end, DayCount.THIRTY_360) == Fraction(thirty, 360)


def test_conventions_are_named_as_the_api_writes_them() -> None:
    assert DayCount.named("ACT/360") is DayCount.ACT_360
    assert DayCount.named("ACT/365F") is DayCount.ACT_365F
    assert DayCount.named("30/360") is DayCount.THIRTY_360
    for name in ["act/360", "ACT/365", "ACT/ACT", ""]:
        with pytest.raises(UnknownConvention):
            DayCount.named(name)


def test_each_currency_has_its_money_market_day_count() -> None:
    assert for_currency("CNY") is DayCount.ACT_360
    assert for_currency("USD") is DayCount.ACT_360
    assert for_currency("GBP") is DayCount.ACT_365F
    assert for_currency("HKD") is DayCount.ACT_365F


@pytest.mark.parametrize("value", [1.0, 20_000.0, "2026-01-01", 738_000, None])
def test_day_counts_take_dates_only(value: Any) -> None:
    with pytest.raises(NotExact):
        day_count(value, date(2026, 1, 1), DayCount.ACT_360)
    with pytest.raises(NotExact):
        year_fraction(date(2026, 1, 1), value, DayCount.ACT_365F)
