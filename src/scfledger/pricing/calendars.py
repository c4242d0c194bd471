"""Business-day calendars and the conventions that move a date off a day off."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Day:
    """What a calendar says of a day: a business day or not, the public holiday it belongs
    to or, on a weekend day worked in lieu (调休上班), makes up for (its name as the
    calendar's source gives it, e.g. "National Day")."""

    day: date
    business_day: bool
    holiday: str | None = None
    in_lieu_working_day: bool = False

    @property
    def weekend(self) -> bool:
        return self.day.weekday() >= 5

    @property
    def reason(self) -> str | None:
        """Why it is no business day (the holiday's name, or "weekend"); None if it is one."""
        if self.business_day:
            return None
        return self.holiday or ("weekend" if self.weekend else "day off")


class Calendar(ABC):
    """A market's business days."""

    name: str
    years: tuple[int, int] | None = None  # the years it knows; None: every year

    @abstractmethod
    def is_business_day(self, day: date) -> bool:
        """Whether banks settle payments on `day`."""

    def describe(self, day: date) -> Day:
        """`day` as this calendar sees it (CalendarNotCovered outside its years)."""
        return Day(day, self.is_business_day(day))

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

    def describe(self, day: date) -> Day:
        business = self.is_business_day(day)  # checks the years first
        _, name = chinese_calendar.get_holiday_detail(day)  # a worked weekend: what it makes up
        return Day(day, business, name, in_lieu_working_day=business and day.weekday() >= 5)


CALENDARS: dict[str, Calendar] = {c.name: c for c in (China(), WeekendsOnly())}
BY_CURRENCY = {"CNY": "china"}  # the calendar of a currency; "weekends" otherwise


def calendar_named(name: str) -> Calendar:
    """The calendar of a name (`china`, `weekends`); UnknownConvention otherwise."""
    try:
        return CALENDARS[name]
    except (KeyError, TypeError):
        raise UnknownConvention(kind="calendar", name=name, known=list(CALENDARS)) from None


def for_currency(currency: str) -> Calendar:
    """The calendar a currency's payments follow: `china` for CNY, weekends otherwise."""
    return CALENDARS[BY_CURRENCY.get(currency, "weekends")]


def _check_date(day: date) -> None:
    if not isinstance(day, date):
        raise NotExact(field="date", value=day, expected="a date")
