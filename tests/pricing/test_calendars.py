"""Business-day calendars: China against QuantLib's interbank calendar, adjustments by hand
and against QuantLib."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import QuantLib as ql  # noqa: N813 (its documented alias)
from hypothesis import given, settings
from hypothesis import strategies as st

from scfledger.exceptions import CalendarNotCovered, NotExact, UnknownConvention
from scfledger.pricing.calendars import (
    DEFAULT,
    Adjustment,
    Calendars,
    China,
    HolidayNotice,
    WeekendsOnly,
)

CHINA = China()
WEEKENDS = WeekendsOnly()
QL_CHINA = ql.China(ql.China.IB)  # the interbank market works on in-lieu weekend days
QL_ADJUSTMENT = {
    Adjustment.FOLLOWING: ql.Following,
    Adjustment.MODIFIED_FOLLOWING: ql.ModifiedFollowing,
    Adjustment.PRECEDING: ql.Preceding,
    Adjustment.MODIFIED_PRECEDING: ql.ModifiedPreceding,
    Adjustment.UNADJUSTED: ql.Unadjusted,
}

# Every day 2004-2026 on which chinesecalendar (ours: the State Council's notices) and
# QuantLib 1.44's China(IB) disagree; True = a working day. Since 2008 they agree on every
# day. The State Council notice for 2006 (国办发明电[2005]35号) settles 2005-2006:
# 2006-02-05 and 2006-10-08 were in-lieu working Sundays (QuantLib misses them), and
# 2005-12-31 was a working Saturday (chinesecalendar misses it). QuantLib's list of in-lieu
# days starts in 2005 (it misses 2004's six), and it closes weekdays that were no public
# holiday: stock-exchange closures around the Spring Festival, and 4 April, 9 June and 15
# September of some years (Qingming, Dragon Boat and Mid-Autumn became holidays in 2008).
DIFFERENCES: dict[date, tuple[bool, bool]] = {
    date(2004, 1, 17): (True, False),  # in-lieu Saturday, Spring Festival
    date(2004, 1, 18): (True, False),
    date(2004, 1, 19): (True, False),  # exchange closure
    date(2004, 1, 20): (True, False),
    date(2004, 1, 21): (True, False),
    date(2004, 5, 8): (True, False),  # in-lieu weekend, Labour Day
    date(2004, 5, 9): (True, False),
    date(2004, 6, 9): (True, False),  # no public holiday
    date(2004, 9, 15): (True, False),
    date(2004, 10, 9): (True, False),  # in-lieu weekend, National Day
    date(2004, 10, 10): (True, False),
    date(2005, 2, 7): (True, False),  # exchange closure
    date(2005, 2, 8): (True, False),
    date(2005, 4, 4): (True, False),  # no public holiday
    date(2005, 6, 9): (True, False),
    date(2005, 9, 15): (True, False),
    date(2005, 12, 31): (False, True),  # in-lieu Saturday: chinesecalendar is wrong
    date(2006, 1, 26): (True, False),  # exchange closure
    date(2006, 1, 27): (True, False),
    date(2006, 2, 5): (True, False),  # in-lieu Sunday: QuantLib is wrong
    date(2006, 4, 4): (True, False),  # no public holiday
    date(2006, 6, 9): (True, False),
    date(2006, 9, 15): (True, False),
    date(2006, 10, 8): (True, False),  # in-lieu Sunday: QuantLib is wrong
    date(2007, 4, 4): (True, False),  # no public holiday
}


def qdate(day: date) -> ql.Date:
    return ql.Date(day.day, day.month, day.year)


def every_day(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def test_china_agrees_with_quantlib_interbank_but_for_the_known_differences() -> None:
    first, last = date(CHINA.covered[0], 1, 1), date(CHINA.covered[1], 12, 31)
    found = {
        day: (CHINA.is_business_day(day), QL_CHINA.isBusinessDay(qdate(day)))
        for day in every_day(first, last)
        if CHINA.is_business_day(day) != QL_CHINA.isBusinessDay(qdate(day))
    }
    assert found == DIFFERENCES


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 1, 1), False),  # New Year's Day
        (date(2026, 2, 17), False),  # Spring Festival
        (date(2026, 2, 14), True),  # in-lieu working Saturday (调休上班)
        (date(2026, 2, 28), True),
        (date(2026, 5, 1), False),  # Labour Day
        (date(2026, 5, 9), True),  # in-lieu working Saturday
        (date(2026, 10, 1), False),  # National Day
        (date(2026, 10, 10), True),  # in-lieu working Saturday
        (date(2026, 10, 12), True),  # an ordinary Monday
        (date(2026, 10, 11), False),  # an ordinary Sunday
    ],
)
def test_china_knows_holidays_and_in_lieu_working_days(day: date, working: bool) -> None:
    assert CHINA.is_business_day(day) is working
    assert WEEKENDS.is_business_day(day) is (day.weekday() < 5)


@pytest.mark.parametrize(
    ("day", "convention", "adjusted"),
    [
        # National Day 2026: October 1-7 off.
        (date(2026, 10, 1), Adjustment.FOLLOWING, date(2026, 10, 8)),
        (date(2026, 10, 1), Adjustment.PRECEDING, date(2026, 9, 30)),
        (date(2026, 10, 1), Adjustment.MODIFIED_PRECEDING, date(2026, 10, 8)),
        (date(2026, 10, 1), Adjustment.UNADJUSTED, date(2026, 10, 1)),
        # Spring Festival 2025: January 28 - February 4 off, Sunday January 26 worked.
        (date(2025, 1, 31), Adjustment.FOLLOWING, date(2025, 2, 5)),
        (date(2025, 1, 31), Adjustment.MODIFIED_FOLLOWING, date(2025, 1, 27)),
        (date(2025, 1, 28), Adjustment.PRECEDING, date(2025, 1, 27)),
        # Labour Day 2026: May 1-5 off.
        (date(2026, 5, 1), Adjustment.MODIFIED_PRECEDING, date(2026, 5, 6)),
        # a business day never moves.
        (date(2026, 2, 28), Adjustment.FOLLOWING, date(2026, 2, 28)),
    ],
)
def test_china_adjustments_by_hand(day: date, convention: Adjustment, adjusted: date) -> None:
    assert CHINA.adjust(day, convention) == adjusted


@settings(max_examples=300)
@given(
    st.dates(min_value=date(2008, 1, 1), max_value=date(2026, 12, 20)),
    st.sampled_from(list(Adjustment)),
)
def test_china_adjusts_as_quantlib_does(day: date, convention: Adjustment) -> None:
    theirs = QL_CHINA.adjust(qdate(day), QL_ADJUSTMENT[convention])
    ours = CHINA.adjust(day, convention)
    assert (ours.year, ours.month, ours.day) == (
        theirs.year(),
        theirs.month(),
        theirs.dayOfMonth(),
    )


@given(
    st.dates(min_value=date(1901, 1, 8), max_value=date(2199, 12, 24)),
    st.sampled_from(list(Adjustment)),
)
def test_weekends_only_adjusts_as_quantlib_does(day: date, convention: Adjustment) -> None:
    theirs = ql.WeekendsOnly().adjust(qdate(day), QL_ADJUSTMENT[convention])
    ours = WEEKENDS.adjust(day, convention)
    assert ours == date(theirs.year(), theirs.month(), theirs.dayOfMonth())


@pytest.mark.parametrize("day", [date(2003, 12, 31), date(2027, 1, 4), date(2100, 6, 1)])
def test_china_refuses_years_it_has_no_data_for(day: date) -> None:
    with pytest.raises(CalendarNotCovered) as raised:
        CHINA.is_business_day(day)
    assert raised.value.years == CHINA.years


@pytest.mark.parametrize("convention", list(Adjustment))
def test_adjusting_a_day_outside_the_data_is_refused(convention: Adjustment) -> None:
    if convention is Adjustment.UNADJUSTED:
        assert CHINA.adjust(date(2027, 1, 2), convention) == date(2027, 1, 2)
        return
    with pytest.raises(CalendarNotCovered):
        CHINA.adjust(date(2027, 1, 2), convention)


def test_calendars_by_name_and_by_currency() -> None:
    assert DEFAULT.named("china") is DEFAULT.for_currency("CNY")
    assert DEFAULT.named("weekends") is DEFAULT.for_currency("USD")
    assert [c.name for c in DEFAULT] == ["china", "weekends"]
    for name in ["China", "cn", "", None]:
        with pytest.raises(UnknownConvention):
            DEFAULT.named(name)  # type: ignore[arg-type]
    assert Adjustment.named("modified_following") is Adjustment.MODIFIED_FOLLOWING
    with pytest.raises(UnknownConvention):
        Adjustment.named("ModifiedFollowing")


@pytest.mark.parametrize("value", [1.0, "2026-10-01", 20_000, None])
def test_calendars_take_dates_only(value: Any) -> None:
    for calendar in (CHINA, WEEKENDS):
        with pytest.raises(NotExact):
            calendar.is_business_day(value)
        with pytest.raises(NotExact):
            calendar.adjust(value, Adjustment.FOLLOWING)


def test_a_day_is_described_with_its_holiday_and_in_lieu_work() -> None:
    """National Day 2026 (1-7 October off, Saturday 10 October worked in lieu), a plain
    weekend, a plain working day; the weekends calendar knows no holidays."""
    national_day = CHINA.describe(date(2026, 10, 1))
    assert (national_day.business_day, national_day.holiday) == (False, "National Day")
    assert national_day.reason == "National Day"
    worked = CHINA.describe(date(2026, 10, 10))
    assert (worked.business_day, worked.weekend, worked.in_lieu_working_day) == (True, True, True)
    assert (worked.holiday, worked.reason) == ("National Day", None)
    saturday = CHINA.describe(date(2026, 11, 28))
    assert (saturday.business_day, saturday.holiday, saturday.reason) == (False, None, "weekend")
    friday = CHINA.describe(date(2026, 11, 27))
    assert (friday.business_day, friday.in_lieu_working_day, friday.reason) == (True, False, None)
    assert WEEKENDS.describe(date(2026, 10, 1)).reason is None  # a Thursday
    assert WEEKENDS.describe(date(2026, 10, 3)).reason == "weekend"
    with pytest.raises(CalendarNotCovered):
        CHINA.describe(date(2027, 1, 1))


@given(st.dates(date(2004, 1, 1), date(2026, 12, 31)))
@settings(max_examples=300)
def test_a_description_agrees_with_is_business_day(day: date) -> None:
    described = CHINA.describe(day)
    assert described.business_day == CHINA.is_business_day(day)
    assert described.in_lieu_working_day == (described.business_day and day.weekday() >= 5)
    assert (described.reason is None) == described.business_day


# -- the operator's holiday notice for the years after the package's ----------------------

NEXT = CHINA.covered[1] + 1  # the first year chinesecalendar does not know


def notice_document(**changes: Any) -> dict[str, Any]:
    """A made-up notice for NEXT (not the State Council's: dates chosen to test the rules):
    a holiday on a weekday (its first Monday in May), a weekend day worked in lieu (the
    Saturday before)."""
    monday = _first_monday_of_may(NEXT)
    document: dict[str, Any] = {
        "years": [NEXT],
        "holidays": {monday.isoformat(): "Labour Day"},
        "working_days": {(monday - timedelta(days=2)).isoformat(): "Labour Day"},
    }
    return {**document, **changes}


def _first_monday_of_may(year: int) -> date:
    first = date(year, 5, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)


MONDAY = _first_monday_of_may(NEXT)


def test_a_notice_extends_china_by_its_year() -> None:
    china = China(HolidayNotice.parse(notice_document()))
    monday = _first_monday_of_may(NEXT)
    saturday, tuesday, sunday = (monday + timedelta(days=d) for d in (-2, 1, -1))
    assert china.years == (CHINA.covered[0], NEXT)
    assert not china.is_business_day(monday)
    assert china.describe(monday).reason == "Labour Day"
    assert china.is_business_day(saturday)
    assert china.describe(saturday) == china.describe(saturday).__class__(
        saturday, True, "Labour Day", in_lieu_working_day=True
    )
    assert china.is_business_day(tuesday)
    assert not china.is_business_day(sunday)
    assert china.adjust(monday, Adjustment.FOLLOWING) == tuesday
    assert china.adjust(monday, Adjustment.PRECEDING) == saturday  # worked in lieu
    with pytest.raises(CalendarNotCovered) as raised:
        china.is_business_day(date(NEXT + 1, 1, 4))
    assert raised.value.years == (CHINA.covered[0], NEXT)


def test_the_package_prevails_over_a_notice_for_a_year_it_knows() -> None:
    """A notice left in place after the package learnt its year changes nothing there."""
    known = CHINA.covered[1]
    national_day = date(known, 10, 1)
    notice = HolidayNotice.parse(
        notice_document(years=[known], holidays={}, working_days={}),
    )
    china = China(notice)
    assert china.years == CHINA.years
    assert not china.is_business_day(national_day)


@pytest.mark.parametrize(
    ("changes", "fault"),
    [
        ({"years": []}, '"years" is a non-empty list of years'),
        ({"years": ["2027"]}, '"years" is a non-empty list of years'),
        ({"holidays": []}, '"holidays" is an object'),
        ({"holidays": {"1 May": "Labour Day"}}, "'1 May' is no YYYY-MM-DD date"),
        ({"holidays": {f"{NEXT}-5-1": "Labour Day"}}, "is no YYYY-MM-DD date"),
        ({"holidays": {f"{NEXT + 1}-05-03": "Labour Day"}}, "is outside the notice's years"),
        ({"holidays": {f"{NEXT}-05-03": " "}}, "needs the holiday's name"),
        ({"working_days": {f"{NEXT}-05-{MONDAY.day + 2:02}": "Labour Day"}}, "is no weekend day"),
        ({"extra": 1}, 'an object of "years", "holidays", "working_days"'),
    ],
)
def test_a_malformed_notice_says_what_is_wrong(changes: dict[str, Any], fault: str) -> None:
    with pytest.raises(ValueError, match=re.escape(fault)):
        HolidayNotice.parse(notice_document(**changes))


def test_a_day_both_holiday_and_working_day_is_refused() -> None:
    saturday = _first_monday_of_may(NEXT) - timedelta(days=2)
    both = {saturday.isoformat(): "Labour Day"}
    with pytest.raises(ValueError, match="is both a holiday and a working day"):
        HolidayNotice.parse(notice_document(holidays=both, working_days=both))


def test_a_notice_with_a_gap_after_the_package_is_refused() -> None:
    notice = HolidayNotice.parse(notice_document(years=[NEXT + 1], holidays={}, working_days={}))
    with pytest.raises(ValueError, match=f"without a gap: it starts at {NEXT + 1}"):
        Calendars(notice)


def test_a_notice_file_is_read_and_its_faults_name_the_file(tmp_path: Path) -> None:
    good, bad = tmp_path / "notice.json", tmp_path / "bad.json"
    good.write_text(json.dumps(notice_document()), encoding="utf-8")
    bad.write_text("{not json", encoding="utf-8")
    assert Calendars(HolidayNotice.read(good)).named("china").years == (CHINA.covered[0], NEXT)
    with pytest.raises(ValueError, match=f"holiday notice {bad}: "):
        HolidayNotice.read(bad)
    with pytest.raises(ValueError, match=r"holiday notice .*missing\.json: "):
        HolidayNotice.read(tmp_path / "missing.json")
