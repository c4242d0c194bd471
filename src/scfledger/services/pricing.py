"""Pricing for the API: a quote of a financing offer (on a piece the caller sees, or on an
amount), and the comparison of the offers made on a financing request. pricing/ does the
arithmetic; this module finds the piece, applies the conventions and who sees what.

Dates: the ledger's times are Unix seconds (UTC); a piece's due date is the UTC date of its
receivable's `due_date`, and a funding date becomes the offer's `fund_by` as the last second
of that day (UTC), so that an offer made from a quote is funded on the day it was priced for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Literal

from sqlalchemy.orm import Session

from scfledger.db.projections import FinancingRequest, Piece, Receivable
from scfledger.exceptions import OfferNotViable, RecordNotFound
from scfledger.pricing import offers
from scfledger.pricing.calendars import Adjustment, Calendar
from scfledger.pricing.daycount import DayCount, day_count
from scfledger.services.ledger import Actor
from scfledger.services.visibility import visible_offers, visible_piece, visible_request

Method = Literal["interest", "discount"]


def day_of(seconds: int) -> date:
    """The UTC date of a Unix time."""
    return datetime.fromtimestamp(seconds, UTC).date()


def end_of(day: date) -> int:
    """The last second (Unix, UTC) of `day`."""
    return int(datetime.combine(day + timedelta(days=1), time(), UTC).timestamp()) - 1


@dataclass(frozen=True)
class PieceBasis:
    """What a quote on a piece takes from the index: its value, currency and due date."""

    token_id: int
    value: int
    currency: str
    due_seconds: int

    @property
    def due(self) -> date:
        return day_of(self.due_seconds)


def piece_basis(session: Session, actor: Actor, token_id: int) -> PieceBasis:
    """The piece's value, currency and due date, if the actor may see the piece
    (RecordNotFound otherwise, as for an unknown one)."""
    piece = visible_piece(session, actor, token_id)
    receivable = session.get(Receivable, piece.slot)
    if receivable is None:  # the indexer writes the receivable before its pieces
        raise RecordNotFound(kind="piece", key=token_id)
    return PieceBasis(token_id, piece.value, receivable.currency, receivable.due_date)


@dataclass(frozen=True)
class Penalty:
    """Penalty interest (罚息) at an annual `rate` on what is owed at the due date, paid on
    `paid_on`."""

    rate: Decimal
    paid_on: date


@dataclass(frozen=True)
class QuoteRequest:
    """A quote's inputs, parsed: `amount` (minor units) is the advance of a loan
    (`interest`) or the value of a factored piece (`discount`). `due_seconds`: the piece's
    due date on chain (a quote on a piece), which the funding deadline must precede."""

    method: Method
    amount: int
    currency: str
    funding: date
    due: date
    rate: Decimal
    day_count: DayCount
    calendar: Calendar
    adjustment: Adjustment
    fees: offers.Fees
    recourse: bool = False
    penalty: Penalty | None = None
    due_seconds: int | None = None


@dataclass(frozen=True)
class Adjusted:
    """A date as given and as the calendar's convention moves it; `reason`: why the given
    date is no business day (a holiday's name, "weekend"), None if it is one."""

    given: date
    adjusted: date
    reason: str | None

    @property
    def moved(self) -> bool:
        return self.adjusted != self.given


@dataclass(frozen=True)
class PenaltyQuote:
    rate: Decimal
    paid_on: date
    days_late: int
    amount: int


@dataclass(frozen=True)
class Quote:
    """A priced offer with its dates: `offer` as pricing.offers made it, `fund_by` the
    funding deadline to offer (the last second of the adjusted funding date)."""

    request: QuoteRequest
    funding: Adjusted
    due: Adjusted
    offer: offers.Offer
    fund_by: int
    penalty: PenaltyQuote | None

    @property
    def accrual_days(self) -> int:
        """The term's days as its day count counts them (30/360 differs from calendar days)."""
        term = self.offer.term
        return day_count(term.start, term.end, term.day_count)


def adjusted(calendar: Calendar, day: date, convention: Adjustment) -> Adjusted:
    """`day` moved by `convention` on `calendar`, and why (CalendarNotCovered outside the
    calendar's years)."""
    return Adjusted(day, calendar.adjust(day, convention), calendar.describe(day).reason)


def quote(q: QuoteRequest) -> Quote:
    """The offer of `q`: its term on business days, its amounts, cost and penalty."""
    funding = adjusted(q.calendar, q.funding, q.adjustment)
    due = adjusted(q.calendar, q.due, q.adjustment)
    term = offers.term(q.funding, q.due, q.day_count, calendar=q.calendar, adjustment=q.adjustment)
    if q.method == "interest":
        offer = offers.interest_bearing(q.amount, q.rate, term, q.fees)
    else:
        offer = offers.discount(q.amount, q.rate, term, q.fees, recourse=q.recourse)
    fund_by = end_of(term.start)
    if q.due_seconds is not None and fund_by >= q.due_seconds:
        raise OfferNotViable(
            f"funding on {term.start} does not end before the piece is due ({q.due_seconds})"
        )
    penalty = None
    if q.penalty is not None:
        owed, paid = offer.owed, q.penalty.paid_on
        amount = offers.penalty_interest(
            owed, q.penalty.rate, due=term.end, paid=paid, day_count=q.day_count
        )
        late = max(0, (paid - term.end).days)
        penalty = PenaltyQuote(q.penalty.rate, paid, late, amount)
    return Quote(q, funding, due, offer, fund_by, penalty)


# -- comparing the offers made on a request ----------------------------------------------


@dataclass(frozen=True)
class Compared:
    """A made offer on one scale: what the requester `received` at funding (advance -
    fees), what it `gives` at the due date, over `days` from the funding deadline's date to
    the piece's due date, and the annualised cost (None when the requester receives
    nothing: fees equal to the advance)."""

    financier: str
    advance: int
    repayment: int
    fees: int
    fund_by: int
    received: int
    given: int
    days: int
    cost: offers.Cost | None
    accepted: bool


@dataclass(frozen=True)
class Comparison:
    request: FinancingRequest
    value: int
    currency: str
    due_seconds: int
    offers: list[Compared]  # cheapest first


def given_for(request: FinancingRequest, repayment: int, value: int) -> int:
    """What the requester gives up for the advance, as the Financing contract settles each
    mode: a pledge loan is repaid (`repayment`, the lien's cap); a factored piece is
    assigned to the financier, who collects its value from the debtor, with or without
    recourse (recourse is owed only if the debtor defaults: a risk, not a price)."""
    return repayment if request.mode == "pledge" else value


def compare(session: Session, actor: Actor, request_id: int) -> Comparison:
    """The made offers of a request the actor sees (the requester and auditors: all; a
    financier: its own), costed and ranked cheapest first (pricing.offers.cheapest_first's
    order: effective, then simple annual cost; an offer that cannot be costed last)."""
    request = visible_request(session, actor, request_id)
    piece = session.get(Piece, request.token_id)
    receivable = session.get(Receivable, piece.slot) if piece is not None else None
    if piece is None or receivable is None:
        raise RecordNotFound(kind="financing request", key=request_id)
    made = [o for o in visible_offers(session, actor, request) if o.status == "made"]
    compared = []
    for o in made:
        if o.advance is None or o.repayment is None or o.fees is None or o.fund_by is None:
            continue  # a made offer always has terms
        received = o.advance - o.fees
        given = given_for(request, o.repayment, piece.value)
        days = max(1, (day_of(receivable.due_date) - day_of(o.fund_by)).days)
        cost = (
            offers.annualised_cost(received=received, given=given, days=days)
            if received > 0
            else None
        )
        compared.append(
            Compared(
                financier=o.financier,
                advance=o.advance,
                repayment=o.repayment,
                fees=o.fees,
                fund_by=o.fund_by,
                received=received,
                given=given,
                days=days,
                cost=cost,
                accepted=o.financier == request.financier,
            )
        )
    return Comparison(
        request, piece.value, receivable.currency, receivable.due_date, _rank(compared)
    )


def _rank(compared: Sequence[Compared]) -> list[Compared]:
    def key(c: Compared) -> tuple[bool, Decimal, Decimal]:
        if c.cost is None:
            return (True, Decimal(0), Decimal(0))
        return (False, c.cost.effective, c.cost.simple)

    return sorted(compared, key=key)
