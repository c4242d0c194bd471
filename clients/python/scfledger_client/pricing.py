"""Endpoints of pricing: quotes, business-day calendars and the comparison of offers."""

from __future__ import annotations

from datetime import date

from scfledger_client.calls import Call, EndpointsBase, endpoint, model, query, segment
from scfledger_client.models import (
    AdjustOut,
    CalendarDaysOut,
    CalendarOut,
    ComparisonOut,
    QuoteIn,
    QuoteOut,
)


class PricingEndpoints(EndpointsBase):
    @endpoint
    def quote(self, body: QuoteIn) -> Call[QuoteOut]:
        """Prices an offer on business days (a computation: nothing is written, so it is
        retried like a read). Amounts and rates are decimal strings: `Decimal(x)` to compute."""
        return Call("POST", "/v1/pricing/quote", model(QuoteOut), body=body)

    @endpoint
    def calendars(self) -> Call[list[CalendarOut]]:
        return Call("GET", "/v1/calendars", model(list[CalendarOut]))

    @endpoint
    def calendar_days(self, name: str, start: date, end: date) -> Call[CalendarDaysOut]:
        """Each day from `start` to `end` (at most 366): business day, holiday, in-lieu work."""
        params = query(**{"from": start.isoformat(), "to": end.isoformat()})
        return Call("GET", f"/v1/calendars/{segment(name)}/days", model(CalendarDaysOut), params)

    @endpoint
    def adjust_date(self, name: str, day: date, convention: str | None = None) -> Call[AdjustOut]:
        """The business day `day` moves to (modified following unless `convention` says)."""
        params = query(date=day.isoformat(), convention=convention)
        return Call("GET", f"/v1/calendars/{segment(name)}/adjust", model(AdjustOut), params)

    @endpoint
    def compare_offers(self, request_id: int) -> Call[ComparisonOut]:
        """The offers made on a request the caller sees, cheapest first."""
        path = f"/v1/financing-requests/{request_id}/offers/comparison"
        return Call("GET", path, model(ComparisonOut))
