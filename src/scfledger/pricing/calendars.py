"""Business-day calendars and the conventions that move a date off a day off."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import date, timedelta
from enum import StrEnum

import chinese_calendar
from chinese_calendar import constants as _china_data

from scfledger.exceptions import CalendarNotCovered, NotExact, UnknownConvention

_DAY = timedelta(days=1)


class Adjustment(StrEnum):
    """Business-day conventions (ISDA 2006 4.12): where a date on a day off moves to."""

    FOLLOWING = "following"
    MODIFIED_FOLLOWING = "modified_following"  # following, unless that leaves the month
    PRECEDING = "preceding"
    MODIFIED_PRECEDING = "modified_preceding"  # preceding, unless that leaves the month
    UNADJUSTED = "unadjusted"

    @classmethod
    def named(cls, name: str) -> Adjustment:
        try:
            return cls(name)
        except ValueError:
            raise UnknownConvention(kind="adjustment", name=name, known=list(cls)) from None


class Calendar(ABC):
    """A market's business days."""

    name: str

    @abstractmethod
    def is_business_day(self, day: date) -> bool:
        """Whether banks settle payments on `day`."""

    def adjust(self, day: date, convention: Adjustment) -> date:
        """`day` if it is a business day, else the business day the convention names."""
        _check_date(day)
        if convention is Adjustment.UNADJUSTED or self.is_business_day(day):
            return day
        if convention is Adjustment.FOLLOWING:
            return self._roll(day, _DAY)
        if convention is Adjustment.PRECEDING:
            return self._roll(day, -_DAY)
        step = _DAY if convention is Adjustment.MODIFIED_FOLLOWING else -_DAY
        moved = self._roll(day, step)
        return moved if moved.month == day.month else self._roll(day, -step)

    def _roll(self, day: date, step: timedelta) -> date:
        day += step
        while not self.is_business_day(day):
            day += step
        return day


class WeekendsOnly(Calendar):
    """Monday to Friday, no holidays: for currencies without a configured market calendar."""

    name = "weekends"

    def is_business_day(self, day: date) -> bool:
        _check_date(day)
        return day.weekday() < 5


class China(Calendar):
    """Mainland China's working days as the State Council publishes them each year: public
    holidays off and in-lieu weekend working days (调休上班) on, from the `chinesecalendar`
    package. Banks and the interbank market (CFETS) work on in-lieu days; the stock
    exchanges do not. A year the package does not know raises CalendarNotCovered rather
    than guessing: update the package when the next year's notice is out."""

    name = "china"
    years = (min(_china_data.holidays).year, max(_china_data.holidays).year)

    def is_business_day(self, day: date) -> bool:
        _check_date(day)
        if not self.years[0] <= day.year <= self.years[1]:
            raise CalendarNotCovered(calendar=self.name, day=day, years=self.years)
        return bool(chinese_calendar.is_workday(day))


CALENDARS: dict[str, Calendar] = {c.name: c for c in (China(), WeekendsOnly())}
_BY_CURRENCY = {"CNY": "china"}


def calendar_named(name: str) -> Calendar:
    """The calendar of a name (`china`, `weekends`); UnknownConvention otherwise."""
    try:
        return CALENDARS[name]
    except (KeyError, TypeError):
        raise UnknownConvention(kind="calendar", name=name, known=list(CALENDARS)) from None


def for_currency(currency: str) -> Calendar:
    """The calendar a currency's payments follow: `china` for CNY, weekends otherwise."""
    return CALENDARS[_BY_CURRENCY.get(currency, "weekends")]


def _check_date(day: date) -> None:
    if not isinstance(day, date):
        raise NotExact(field="date", value=day, expected="a date")
