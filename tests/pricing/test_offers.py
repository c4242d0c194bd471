"""Priced offers: worked examples by hand, properties, QuantLib's simple interest, floats."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
import QuantLib as ql  # noqa: N813 (its documented alias)
from hypothesis import assume, given
from hypothesis import strategies as st

from scfledger.exceptions import InvalidRate, NotExact, OfferNotViable
from scfledger.money import MAX_AMOUNT
from scfledger.pricing.calendars import Adjustment, China
from scfledger.pricing.daycount import DayCount
from scfledger.pricing.offers import (
    Cost,
    Fees,
    Offer,
    Term,
    annualised_cost,
    cheapest_first,
    discount,
    interest_bearing,
    parse_bps,
    parse_percent,
    penalty_interest,
    term,
    to_minor,
)

D = Decimal
HALF_YEAR = term(date(2026, 3, 2), date(2026, 8, 29), DayCount.ACT_360)  # 180 days


def test_an_interest_bearing_advance_by_hand() -> None:
    # 8,000,000.00 CNY at 4.35 % ACT/360 for 180 days: 800,000,000 fen x 0.0435 x 180/360
    # = 17,400,000 fen of interest. Fees: 500.00 flat + 10 bps of the advance (8,000.00).
    offer = interest_bearing(800_000_000, D("0.0435"), HALF_YEAR, Fees(flat=50_000, bps=D("10")))
    assert (offer.advance, offer.charge, offer.repayment) == (800_000_000, 17_400_000, 817_400_000)
    assert offer.fees == 50_000 + 800_000
    assert offer.net_proceeds == 799_150_000
    # Cost: 18,250,000 / 799,150,000 x 365 / 180 = 0.046307882681 (to 12 digits).
    assert offer.cost.simple == D("0.0463078826809")


def test_discount_factoring_by_hand() -> None:
    # A piece of 10,000,000.00 CNY discounted at 5 % ACT/360 for 180 days:
    # discount 1,000,000,000 x 0.05 x 180/360 = 25,000,000; fees 20 bps of the value.
    offer = discount(1_000_000_000, D("0.05"), HALF_YEAR, Fees(bps=D("20")))
    assert (offer.charge, offer.advance, offer.fees) == (25_000_000, 975_000_000, 2_000_000)
    assert offer.net_proceeds == 973_000_000  # value x (1 - d x t) - fees
    assert (offer.owed, offer.repayment) == (1_000_000_000, 0)
    assert discount(1_000_000_000, D("0.05"), HALF_YEAR, recourse=True).repayment == 10**9


def test_an_exact_cost_by_hand() -> None:
    # 365,000.00 at 5 % ACT/365F for 73 days: interest 365,000 x 100 x 0.05 x 73/365 =
    # 365,000 fen; simple cost 0.01 x 365/73 = 5 %; effective 1.01 ** 5 - 1 = 5.10100501 %.
    offer = interest_bearing(
        36_500_000, D("0.05"), term(date(2026, 1, 5), date(2026, 3, 19), DayCount.ACT_365F)
    )
    assert offer.charge == 365_000
    assert offer.cost == Cost(simple=D("0.05"), effective=D("0.0510100501"))


@pytest.mark.parametrize(
    ("advance", "rate", "days", "day_count", "interest"),
    [
        (1_000, D("0.0018"), 100, DayCount.ACT_360, 1),  # 0.5 fen rounds up (half-even: 0)
        (5_000, D("0.0018"), 100, DayCount.ACT_360, 3),  # 2.5 rounds up (half-even: 2)
        (4_999, D("0.0018"), 100, DayCount.ACT_360, 2),  # 2.4995 rounds down
        # JPY has no minor digits: 10,000,000 x 0.015 x 91/365 = 37,397.26 -> 37,397 yen.
        (10_000_000, D("0.015"), 91, DayCount.ACT_365F, 37_397),
        # KWD has three: 1,000.000 KWD at 6 % for 30 days = 5.000 KWD = 5,000 fils.
        (1_000_000, D("0.06"), 30, DayCount.ACT_360, 5_000),
    ],
)
def test_interest_is_rounded_once_half_up(
    advance: int, rate: Decimal, days: int, day_count: DayCount, interest: int
) -> None:
    start = date(2026, 1, 5)
    offer = interest_bearing(advance, rate, term(start, start + timedelta(days), day_count))
    assert offer.charge == interest
    assert offer.repayment == advance + interest


def test_penalty_interest_by_hand() -> None:
    # 1,000,000.00 CNY overdue 30 days at 6.525 % (4.35 % x 1.5) ACT/360 = 5,437.50 CNY.
    due = date(2026, 8, 31)
    late = penalty_interest(
        100_000_000, D("0.06525"), due=due, paid=date(2026, 9, 30), day_count=DayCount.ACT_360
    )
    assert late == 543_750
    for paid in (due, due - timedelta(days=3)):
        assert penalty_interest(100, D("0.1"), due=due, paid=paid, day_count=DayCount.ACT_360) == 0


def test_the_term_follows_the_calendar() -> None:
    # Due on National Day 2026 (a holiday): modified following moves it to October 8.
    adjusted = term(date(2026, 4, 1), date(2026, 10, 1), DayCount.ACT_360, calendar=China())
    assert (adjusted.start, adjusted.end, adjusted.days) == (
        date(2026, 4, 1),
        date(2026, 10, 8),
        190,
    )
    preceding = term(
        date(2026, 4, 1),
        date(2026, 10, 1),
        DayCount.ACT_360,
        calendar=China(),
        adjustment=Adjustment.PRECEDING,
    )
    assert preceding.end == date(2026, 9, 30)


def test_offers_from_several_financiers_compare_by_annual_cost() -> None:
    span = (date(2026, 3, 2), date(2026, 8, 29))
    same_rate_360 = interest_bearing(10**8, D("0.04"), term(*span, DayCount.ACT_360))
    same_rate_365 = interest_bearing(10**8, D("0.04"), term(*span, DayCount.ACT_365F))
    with_fees = interest_bearing(10**8, D("0.035"), term(*span, DayCount.ACT_365F), Fees(10**6))
    as_discount = discount(10**8, D("0.0395"), term(*span, DayCount.ACT_365F))
    ranked = cheapest_first([with_fees, same_rate_360, as_discount, same_rate_365])
    # Simple annual costs: 4 % ACT/365F costs 4 %; a 3.95 % discount costs d / (1 - d x t)
    # = 0.0395 / (1 - 0.0395 x 180/365) = 4.0285 % (charged on the value, paid on less);
    # 4 % ACT/360 costs 4 % x 365/360 = 4.0556 %; 3.5 % plus 1 % of fees for 180 days
    # costs about 3.5 % + 1/99 x 365/180 = 5.6 %.
    assert [round(o.cost.simple, 6) for o in (same_rate_365, as_discount, same_rate_360)] == [
        D("0.04"),
        D("0.040285"),
        D("0.040556"),
    ]
    assert ranked == [same_rate_365, as_discount, same_rate_360, with_fees]


def _term_or_none(start: date, end: date, convention: DayCount) -> Term | None:
    try:
        return term(start, end, convention)
    except OfferNotViable:  # 30/360 can count zero days between two calendar days
        return None


money = st.integers(min_value=1, max_value=10**15)
rates = st.decimals(min_value=0, max_value=1, places=6)
terms = st.builds(
    lambda start, days, dc: _term_or_none(start, start + timedelta(days), dc),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
    st.integers(min_value=1, max_value=3650),
    st.sampled_from(list(DayCount)),
).filter(lambda made: made is not None)


@given(money, rates, rates, terms)
def test_a_discount_never_advances_more_than_the_value(
    value: int, rate: Decimal, other: Decimal, offer_term: Term
) -> None:
    try:
        low, high = sorted((rate, other))
        cheap, dear = discount(value, low, offer_term), discount(value, high, offer_term)
    except OfferNotViable:
        return
    assert dear.advance <= cheap.advance <= value
    assert cheap.advance + cheap.charge == value
    assert dear.net_proceeds <= cheap.net_proceeds


@given(money, rates, rates, terms)
def test_a_higher_rate_never_costs_less(
    advance: int, rate: Decimal, other: Decimal, offer_term: Term
) -> None:
    low, high = sorted((rate, other))
    cheap, dear = (interest_bearing(advance, r, offer_term) for r in (low, high))
    assert advance <= cheap.repayment <= dear.repayment
    assert cheap.cost.simple <= dear.cost.simple
    assert cheap.cost.effective <= dear.cost.effective


@given(
    st.integers(min_value=1, max_value=10**12),
    st.decimals(min_value=0, max_value=D("0.5"), places=4),
    st.dates(min_value=date(1950, 1, 1), max_value=date(2150, 1, 1)),
    st.integers(min_value=1, max_value=3650),
    st.sampled_from(list(DayCount)),
)
def test_interest_matches_quantlib_simple_interest(
    advance: int, rate: Decimal, start: date, days: int, convention: DayCount
) -> None:
    end = start + timedelta(days)
    offer_term = _term_or_none(start, end, convention)
    assume(offer_term is not None)
    quantlib = {
        DayCount.ACT_360: ql.Actual360(),
        DayCount.ACT_365F: ql.Actual365Fixed(),
        DayCount.THIRTY_360: ql.Thirty360(ql.Thirty360.BondBasis),
    }[convention]
    simple = ql.InterestRate(float(rate), quantlib, ql.Simple, ql.Annual)
    factor = simple.compoundFactor(
        ql.Date(start.day, start.month, start.year), ql.Date(end.day, end.month, end.year)
    )
    assert offer_term is not None
    repayment = interest_bearing(advance, rate, offer_term).repayment
    # QuantLib works in doubles: within one minor unit of ours at these sizes.
    assert abs(repayment - advance * factor) <= 1


@given(st.fractions(min_value=-(10**12), max_value=10**12, max_denominator=10**6))
def test_to_minor_rounds_to_the_nearest_minor_unit_half_up(value: Fraction) -> None:
    rounded = to_minor(value)
    assert abs(rounded - value) <= Fraction(1, 2)
    if abs(rounded - value) == Fraction(1, 2):
        assert abs(rounded) > abs(value)  # halves go away from zero


def test_refused_terms() -> None:
    with pytest.raises(OfferNotViable):
        term(date(2026, 3, 2), date(2026, 3, 2), DayCount.ACT_360)
    with pytest.raises(OfferNotViable):
        term(date(2026, 3, 2), date(2026, 3, 1), DayCount.ACT_360)
    with pytest.raises(OfferNotViable):  # 100 % for two years: nothing left to advance
        discount(10**6, D("0.5"), term(date(2026, 1, 1), date(2028, 1, 1), DayCount.ACT_360))
    with pytest.raises(OfferNotViable):
        interest_bearing(10**6, D("0.05"), HALF_YEAR, Fees(flat=10**6))
    with pytest.raises(OfferNotViable):
        interest_bearing(0, D("0.05"), HALF_YEAR)
    with pytest.raises(OfferNotViable):
        interest_bearing(MAX_AMOUNT, D("0.05"), HALF_YEAR)
    with pytest.raises(InvalidRate):
        interest_bearing(10**6, D("-0.01"), HALF_YEAR)
    with pytest.raises(InvalidRate):
        interest_bearing(10**6, D("NaN"), HALF_YEAR)


@pytest.mark.parametrize(
    ("text", "rate"), [("4.35", D("0.0435")), ("0", D(0)), ("100", D(1)), ("3.1", D("0.031"))]
)
def test_percent_rates_are_read_exactly(text: str, rate: Decimal) -> None:
    assert parse_percent(text) == rate


@pytest.mark.parametrize("text", ["", "-1", "+4", "4.35%", "1e2", "100.01", "0.123456789", "04"])
def test_malformed_rates_are_refused(text: str) -> None:
    with pytest.raises(InvalidRate):
        parse_percent(text)


def test_basis_points_are_read_exactly() -> None:
    assert parse_bps("50") == D(50)
    assert parse_bps("12.5") == D("12.5")
    for text in ["10000.01", "-5", "5 bps"]:
        with pytest.raises(InvalidRate):
            parse_bps(text)


# Every public pricing function, with one argument replaced by the value given.
def _calls(bad: Any) -> list[Callable[[], object]]:
    start, end = date(2026, 3, 2), date(2026, 8, 29)
    return [
        lambda: parse_percent(bad),
        lambda: parse_bps(bad),
        lambda: interest_bearing(bad, D("0.04"), HALF_YEAR),
        lambda: interest_bearing(10**6, bad, HALF_YEAR),
        lambda: interest_bearing(10**6, D("0.04"), HALF_YEAR, Fees(flat=bad)),
        lambda: interest_bearing(10**6, D("0.04"), HALF_YEAR, Fees(bps=bad)),
        lambda: discount(bad, D("0.04"), HALF_YEAR),
        lambda: discount(10**6, bad, HALF_YEAR),
        lambda: penalty_interest(bad, D("0.1"), due=start, paid=end, day_count=DayCount.ACT_360),
        lambda: penalty_interest(10**6, bad, due=start, paid=end, day_count=DayCount.ACT_360),
        lambda: annualised_cost(received=bad, given=10**6, days=30),
        lambda: annualised_cost(received=10**6, given=bad, days=30),
        lambda: annualised_cost(received=10**6, given=10**6, days=bad),
        lambda: term(start, end, bad),
        lambda: term(bad, end, DayCount.ACT_360),
    ]


@given(st.floats(allow_nan=True, allow_infinity=True), st.data())
def test_no_pricing_function_accepts_a_float(value: float, data: st.DataObject) -> None:
    call = data.draw(st.sampled_from(_calls(value)))
    with pytest.raises(NotExact):
        call()


@pytest.mark.parametrize("index", range(15))
def test_no_pricing_function_accepts_a_boolean(index: int) -> None:
    with pytest.raises((NotExact, InvalidRate)):
        _calls(True)[index]()


def test_offers_are_plain_data() -> None:
    offer = interest_bearing(10**6, D("0.04"), HALF_YEAR)
    assert isinstance(offer, Offer)
    assert offer.term.year_fraction == Fraction(1, 2)
