"""`/v1/pricing/quote`, `/v1/calendars` and `/v1/financing-requests/{id}/offers/comparison`:
price an offer, see business days before signing, compare the offers made (docs/money.md,
"Pricing in the API"). Reads only: nothing is written, no idempotency key."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Path, Query
from pydantic import JsonValue

from scfledger import money
from scfledger.api.deps import CurrentActor, GatewayDep
from scfledger.api.guard import GuardedRoute
from scfledger.api.routes.common import IdPath
from scfledger.api.schemas_pricing import (
    AdjustedDateOut,
    AdjustOut,
    CalendarDayOut,
    CalendarDaysOut,
    CalendarOut,
    ComparedOfferOut,
    ComparisonOut,
    CostOut,
    FeesIn,
    OfferTermsOut,
    PenaltyOut,
    QuoteIn,
    QuoteOut,
)
from scfledger.exceptions import InvalidInput, ScopeRequired
from scfledger.pricing import calendars, daycount, offers
from scfledger.pricing.calendars import Adjustment, Calendars
from scfledger.pricing.daycount import DayCount
from scfledger.services import pricing as services
from scfledger.services.ledger import Actor

router = APIRouter(tags=["pricing"], route_class=GuardedRoute)

MAX_DAYS = 366  # days listed by one calendar request


def reader(actor: CurrentActor) -> Actor:
    """The caller of a read made with POST (a computation with a body): the read scope, as
    every GET needs (api.deps.current_actor checks it for GET only)."""
    if actor.person is not None and not actor.person.may("read"):
        raise ScopeRequired(scope="read", action="read")
    return actor


Reader = Annotated[Actor, Depends(reader)]


def percent(fraction: Decimal) -> str:
    """A fraction (0.0435) as a percent string ("4.35"), exact, without exponent."""
    return format((fraction * 100).normalize(), "f")


def _significant(value: Fraction, digits: int = 12) -> str:
    with localcontext() as context:
        context.prec, context.rounding = digits, ROUND_HALF_UP
        shown = Decimal(value.numerator) / Decimal(value.denominator)
    return format(shown.normalize(), "f")


def _cost(cost: offers.Cost) -> CostOut:
    return CostOut(simple=percent(cost.simple), effective=percent(cost.effective))


def _terms(advance: int, repayment: int, fees: int, fund_by: int, currency: str) -> OfferTermsOut:
    return OfferTermsOut(
        advance=money.format_amount(advance, currency),
        repayment=money.format_amount(repayment, currency),
        fees=money.format_amount(fees, currency),
        fund_by=fund_by,
    )


# -- the quote ---------------------------------------------------------------------------


def _amount(text: JsonValue, currency: str, **limits: Any) -> int:
    # parse_amount refuses what is no string itself (amount-not-a-string): hence the cast.
    return money.parse_amount(cast(str, text), currency, **limits)


def _percent(text: JsonValue, field: str) -> Decimal:
    return offers.parse_percent(cast(str, text), field=field)  # number-not-exact if no str


def quote_request(
    body: QuoteIn, basis: services.PieceBasis | None, known: Calendars
) -> services.QuoteRequest:
    """The quote's inputs parsed at the API edge: amounts in the currency's minor units,
    rates as fractions, conventions by name, the currency's defaults where none is named."""
    if basis is None:
        if body.amount is None or body.currency is None or body.due_date is None:
            raise InvalidInput("name a piece (token_id), or an amount, a currency and a due_date")
        currency = cast(str, body.currency)
        money.currency_exponent(currency)  # currency-unknown, for a non-string too
        amount = _amount(body.amount, currency)
        due, due_seconds = body.due_date, None
    else:
        if body.currency is not None or body.due_date is not None:
            raise InvalidInput("a piece's currency and due date are its receivable's: send none")
        currency, due, due_seconds = basis.currency, basis.due, basis.due_seconds
        if body.amount is None:
            amount = basis.value
        elif body.method == "discount":
            raise InvalidInput("factoring prices the whole piece: send no amount with token_id")
        else:  # a loan against the piece may advance less than its value
            amount = _amount(body.amount, currency, maximum=basis.value)
    fees = body.fees or FeesIn()
    flat = (
        0 if fees.flat is None else _amount(fees.flat, currency, allow_zero=True, field="fees.flat")
    )
    bps = (
        Decimal(0) if fees.bps is None else offers.parse_bps(cast(str, fees.bps), field="fees.bps")
    )
    if (body.penalty_rate is None) != (body.paid_on is None):
        raise InvalidInput("send penalty_rate and paid_on together")
    penalty = None
    if body.penalty_rate is not None and body.paid_on is not None:
        penalty = services.Penalty(_percent(body.penalty_rate, "penalty_rate"), body.paid_on)
    return services.QuoteRequest(
        method=body.method,
        amount=amount,
        currency=currency,
        funding=body.funding_date,
        due=due,
        rate=_percent(body.rate, "rate"),
        day_count=(
            daycount.for_currency(currency)
            if body.day_count is None
            else DayCount.named(body.day_count)
        ),
        calendar=(
            known.for_currency(currency) if body.calendar is None else known.named(body.calendar)
        ),
        adjustment=(
            Adjustment.MODIFIED_FOLLOWING
            if body.adjustment is None
            else Adjustment.named(body.adjustment)
        ),
        fees=offers.Fees(flat=flat, bps=bps),
        recourse=body.recourse,
        penalty=penalty,
        due_seconds=due_seconds,
    )


def _adjusted(a: services.Adjusted) -> AdjustedDateOut:
    return AdjustedDateOut(given=a.given, adjusted=a.adjusted, moved=a.moved, reason=a.reason)


def quote_out(q: services.Quote, token_id: int | None) -> QuoteOut:
    r, o = q.request, q.offer
    c = r.currency

    def shown(minor: int) -> str:
        return money.format_amount(minor, c)

    penalty = None
    if q.penalty is not None:
        p = q.penalty
        penalty = PenaltyOut(
            rate=percent(p.rate), paid_on=p.paid_on, days_late=p.days_late, amount=shown(p.amount)
        )
    return QuoteOut(
        method=r.method,
        token_id=token_id,
        currency=c,
        funding_date=_adjusted(q.funding),
        due_date=_adjusted(q.due),
        calendar=r.calendar.name,
        adjustment=r.adjustment.value,
        day_count=r.day_count.value,
        days=o.term.days,
        accrual_days=q.accrual_days,
        basis=r.day_count.basis,
        year_fraction=_significant(o.term.year_fraction),
        rate=percent(r.rate),
        amount=shown(r.amount),
        advance=shown(o.advance),
        fees=shown(o.fees),
        interest=shown(o.charge) if o.kind == "interest" else None,
        discount=shown(o.charge) if o.kind == "discount" else None,
        received=shown(o.net_proceeds),
        repayment=shown(o.repayment),
        owed=shown(o.owed),
        cost=_cost(o.cost),
        terms=_terms(o.advance, o.repayment, o.fees, q.fund_by, c),
        penalty=penalty,
    )


@router.post("/v1/pricing/quote")
def quote(body: QuoteIn, gateway: GatewayDep, actor: Reader) -> QuoteOut:
    """Price a financing offer on business days: its dates moved off days off, its amounts,
    annualised cost and the `terms` to offer as they are. Computes only; writes nothing.

    A piece (`token_id`) must be one the caller sees (404 otherwise)."""
    basis = None
    if body.token_id is not None:
        with gateway.sessions() as session:
            basis = services.piece_basis(session, actor, body.token_id)
    return quote_out(services.quote(quote_request(body, basis, gateway.calendars)), body.token_id)


# -- calendars ---------------------------------------------------------------------------

_DESCRIPTIONS = {
    "china": "Mainland China's working days as the State Council publishes them: public"
    " holidays off, in-lieu weekend working days (调休上班) on (chinesecalendar)",
    "weekends": "Monday to Friday, no holidays",
}
CalendarName = Annotated[str, Path(description="A calendar's name (`GET /v1/calendars`)")]


@router.get("/v1/calendars")
def list_calendars(gateway: GatewayDep, actor: CurrentActor) -> list[CalendarOut]:
    """The business-day calendars, the years each knows and the currencies it is the
    default of."""
    del actor
    defaults: dict[str, list[str]] = {}
    for code, name in calendars.BY_CURRENCY.items():
        defaults.setdefault(name, []).append(code)
    return [
        CalendarOut(
            name=c.name,
            years=None if c.years is None else list(c.years),
            currencies=sorted(defaults.get(c.name, [])),
            description=_DESCRIPTIONS.get(c.name, c.name),
        )
        for c in gateway.calendars
    ]


@router.get("/v1/calendars/{name}/days")
def calendar_days(
    name: CalendarName,
    gateway: GatewayDep,
    actor: CurrentActor,
    start: Annotated[date, Query(alias="from", description="The first day")],
    end: Annotated[date, Query(alias="to", description=f"The last day, at most {MAX_DAYS} on")],
) -> CalendarDaysOut:
    """Each day from `from` to `to`: a business day or not, its holiday, whether it is a
    weekend day worked in lieu."""
    del actor
    calendar = gateway.calendars.named(name)
    count = (end - start).days + 1
    if not 1 <= count <= MAX_DAYS:
        raise InvalidInput(f"from must not be after to, and at most {MAX_DAYS} days apart")
    described = [calendar.describe(start + timedelta(days=i)) for i in range(count)]
    return CalendarDaysOut(
        calendar=calendar.name,
        days=[
            CalendarDayOut(
                day=d.day,
                business_day=d.business_day,
                weekend=d.weekend,
                holiday=d.holiday,
                in_lieu_working_day=d.in_lieu_working_day,
            )
            for d in described
        ],
    )


@router.get("/v1/calendars/{name}/adjust")
def adjust(
    name: CalendarName,
    gateway: GatewayDep,
    actor: CurrentActor,
    day: Annotated[date, Query(alias="date", description="The date to move off a day off")],
    convention: Annotated[
        str,
        Query(
            description="A business-day convention", json_schema_extra={"enum": list(Adjustment)}
        ),
    ] = Adjustment.MODIFIED_FOLLOWING.value,
) -> AdjustOut:
    """The business day a date moves to under a convention: what a form shows before its
    user signs."""
    del actor
    calendar = gateway.calendars.named(name)
    rule = Adjustment.named(convention)
    moved = services.adjusted(calendar, day, rule)
    return AdjustOut(
        calendar=calendar.name,
        convention=rule.value,
        given=moved.given,
        adjusted=moved.adjusted,
        moved=moved.moved,
        reason=moved.reason,
    )


# -- comparing offers --------------------------------------------------------------------


@router.get("/v1/financing-requests/{request_id}/offers/comparison")
def compare_offers(request_id: IdPath, gateway: GatewayDep, actor: CurrentActor) -> ComparisonOut:
    """The offers made on a request, on one scale and cheapest first: what the requester
    receives (advance - fees), what it gives at the due date, the days from the funding
    deadline to the piece's due date, and the annualised cost.

    The requester and auditors see every offer; a financier its own only."""
    with gateway.sessions() as session:
        found = services.compare(session, actor, request_id)
    c = found.currency
    return ComparisonOut(
        request_id=found.request.id,
        token_id=found.request.token_id,
        currency=c,
        value=money.format_amount(found.value, c),
        due_date=found.due_seconds,
        mode=found.request.mode,
        recourse=found.request.recourse,
        offers=[
            ComparedOfferOut(
                rank=rank,
                financier=o.financier,
                accepted=o.accepted,
                terms=_terms(o.advance, o.repayment, o.fees, o.fund_by, c),
                received=money.format_amount(o.received, c),
                given=money.format_amount(o.given, c),
                days=o.days,
                cost=None if o.cost is None else _cost(o.cost),
            )
            for rank, o in enumerate(found.offers, start=1)
        ],
    )
