"""Business-day calendars and the conventions that move a date off a day off."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path

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


@dataclass(frozen=True)
class HolidayNotice:
    """The public holidays and in-lieu working days (调休上班) of years the `chinesecalendar`
    package does not know yet, as the State Council's notice gives them (it publishes the
    next year's each autumn; a release of the package follows weeks or months later). An
    operator writes the notice into a JSON file named by `SCF_HOLIDAY_NOTICE`
    (docs/money.md, "Business days"):

        {"years": [2027],
         "holidays": {"2027-01-01": "New Year's Day", ...},
         "working_days": {"2027-02-20": "Spring Festival", ...}}

    Every date lies in a listed year; a working day is a weekend day and names the holiday
    it makes up for; no day is both."""

    years: tuple[int, ...]
    holidays: Mapping[date, str] = field(default_factory=dict)
    working_days: Mapping[date, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, document: object) -> HolidayNotice:
        """The notice of a decoded JSON document; ValueError saying what is wrong."""
        if not isinstance(document, dict) or set(document) != {"years", "holidays", "working_days"}:
            raise ValueError('a holiday notice is an object of "years", "holidays", "working_days"')
        years = document["years"]
        if not isinstance(years, list) or not years or not all(type(y) is int for y in years):
            raise ValueError('"years" is a non-empty list of years')
        notice = cls(
            years=tuple(sorted(set(years))),
            holidays=_named_days(document["holidays"], "holidays", years),
            working_days=_named_days(document["working_days"], "working_days", years),
        )
        for day in notice.working_days:
            if day in notice.holidays:
                raise ValueError(f"{day} is both a holiday and a working day")
            if day.weekday() < 5:
                raise ValueError(f"working day {day} is no weekend day: weekdays are worked anyway")
        return notice

    @classmethod
    def read(cls, path: Path) -> HolidayNotice:
        """The notice in the JSON file `path`; ValueError naming the file and the fault."""
        try:
            return cls.parse(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:  # json.JSONDecodeError is a ValueError
            raise ValueError(f"holiday notice {path}: {exc}") from None


def _named_days(found: object, key: str, years: list[int]) -> dict[date, str]:
    if not isinstance(found, dict):
        raise ValueError(f'"{key}" is an object of "YYYY-MM-DD": name')
    days: dict[date, str] = {}
    for text, name in found.items():
        try:
            day = date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise ValueError(f'"{key}": {text!r} is no YYYY-MM-DD date')
        if day.year not in years:
            raise ValueError(f'"{key}": {day} is outside the notice\'s years {sorted(years)}')
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f'"{key}": {day} needs the holiday\'s name')
        days[day] = name.strip()
    return days


class China(Calendar):
    """Mainland China's working days as the State Council publishes them each year: public
    holidays off and in-lieu weekend working days (调休上班) on, from the `chinesecalendar`
    package, and after its last year from a `HolidayNotice` if the operator gave one. Banks
    and the interbank market (CFETS) work on in-lieu days; the stock exchanges do not. A
    year neither knows raises CalendarNotCovered rather than guessing."""

    name = "china"
    known = (min(_china_data.holidays).year, max(_china_data.holidays).year)  # the package's

    def __init__(self, notice: HolidayNotice | None = None) -> None:
        first, last = self.known
        # The package prevails for the years it knows: a notice for them is ignored.
        added = [year for year in (notice.years if notice else ()) if year > last]
        if added != list(range(last + 1, last + 1 + len(added))):
            raise ValueError(
                f"a holiday notice must continue chinesecalendar's years (to {last}) without a"
                f" gap: it starts at {added[0]}"
            )
        self.notice = notice if added else None
        self.covered = (first, last + len(added))
        self.years = self.covered

    def is_business_day(self, day: date) -> bool:
        _check_date(day)
        if not self.covered[0] <= day.year <= self.covered[1]:
            raise CalendarNotCovered(calendar=self.name, day=day, years=self.covered)
        if self.notice is None or day.year <= self.known[1]:
            return bool(chinese_calendar.is_workday(day))
        if day in self.notice.holidays:
            return False
        return day in self.notice.working_days or day.weekday() < 5

    def describe(self, day: date) -> Day:
        business = self.is_business_day(day)  # checks the years first
        if self.notice is None or day.year <= self.known[1]:
            _, name = chinese_calendar.get_holiday_detail(day)  # a worked weekend: what it makes up
        else:
            name = self.notice.holidays.get(day) or self.notice.working_days.get(day)
        return Day(day, business, name, in_lieu_working_day=business and day.weekday() >= 5)


BY_CURRENCY = {"CNY": "china"}  # the calendar of a currency; "weekends" otherwise
NAMES = ("china", "weekends")


class Calendars:
    """The calendars a gateway prices on, by name: China's (with the operator's holiday
    notice, if any) and weekends only."""

    def __init__(self, notice: HolidayNotice | None = None) -> None:
        self._by_name: dict[str, Calendar] = {c.name: c for c in (China(notice), WeekendsOnly())}

    def __iter__(self) -> Iterator[Calendar]:
        return iter(self._by_name.values())

    def named(self, name: str) -> Calendar:
        """The calendar of a name (`china`, `weekends`); UnknownConvention otherwise."""
        try:
            return self._by_name[name]
        except (KeyError, TypeError):
            raise UnknownConvention(kind="calendar", name=name, known=list(NAMES)) from None

    def for_currency(self, currency: str) -> Calendar:
        """The calendar a currency's payments follow: `china` for CNY, weekends otherwise."""
        return self._by_name[BY_CURRENCY.get(currency, "weekends")]


DEFAULT = Calendars()  # without a holiday notice: the package's years only


def _check_date(day: date) -> None:
    if not isinstance(day, date):
        raise NotExact(field="date", value=day, expected="a date")
