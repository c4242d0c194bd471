"""Portfolio reports from the read model: aging, exposure, tier penetration; CSV and PNG.

Amounts are summed exactly in minor units per currency (never across currencies) and
given as exact Decimals in currency units ("8000000.00" CNY), one row per currency.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, literal, select, union, union_all
from sqlalchemy.orm import Session

from scfledger.db.projections import FinancingRequest, Member, Piece, PieceTransfer, Receivable
from scfledger.risk.amounts import decimal_in
from scfledger.risk.indicators import DAY, EXPOSURE_STATUSES, LIVE_STATES, amount_sum

# (label, greatest days past due in the bucket); None: no upper bound.
AGING_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("not_due", 0),
    ("1-30", 30),
    ("31-60", 60),
    ("61-90", 90),
    ("over_90", None),
)
# Receivables whose debt the core enterprise confirmed.
CONFIRMED = ("active", "settled")


@dataclass(frozen=True)
class AgingRow:
    bucket: str
    currency: str
    pieces: int
    value: Decimal  # in currency units


@dataclass(frozen=True)
class ExposureRow:
    debtor: str
    debtor_name: str
    financier: str
    financier_name: str
    currency: str
    requests: int
    value: Decimal  # the advances outstanding, in currency units


@dataclass(frozen=True)
class PenetrationRow:
    core: str
    core_name: str
    currency: str
    depth: int
    value: Decimal  # value that reached this depth: face amounts at 0, split values below
    members: int  # distinct members that held a piece at this depth in this currency


def _bucket(days_past_due_ceil: int) -> str:
    for label, upper in AGING_BUCKETS:
        if upper is None or days_past_due_ceil <= upper:
            return label
    raise AssertionError("the last bucket is unbounded")


def aging(session: Session, *, now: int) -> list[AgingRow]:
    """Outstanding (live, unsettled) value by days past due at `now`: for each currency
    held, every bucket listed."""
    rows = session.execute(
        select(
            Receivable.currency,
            Receivable.due_date,
            func.count(Piece.token_id),
            amount_sum(session, Piece.value),
        )
        .join(Receivable, Receivable.slot == Piece.slot)
        .where(Piece.state.in_(LIVE_STATES), Piece.value != 0)
        .group_by(Receivable.currency, Receivable.due_date)
    ).all()
    totals: dict[str, dict[str, list[int]]] = {}
    for currency, due_date, pieces, value in rows:
        past = now - due_date
        days = 0 if past <= 0 else -(-past // DAY)  # a second late is a day late
        buckets = totals.setdefault(currency, {label: [0, 0] for label, _ in AGING_BUCKETS})
        total = buckets[_bucket(days)]
        total[0] += pieces
        total[1] += value
    return [
        AgingRow(label, currency, pieces, decimal_in(value, currency))
        for currency, buckets in sorted(totals.items())
        for label, (pieces, value) in buckets.items()
    ]


def _names(session: Session) -> dict[str, str]:
    return {address: name for address, name in session.execute(select(Member.address, Member.name))}


def exposure(session: Session) -> list[ExposureRow]:
    """Outstanding financed value (funded, not repaid or settled; EXPOSURE_STATUSES) by
    debtor, financier and currency, largest first within each currency."""
    rows = session.execute(
        select(
            Receivable.debtor,
            FinancingRequest.financier,
            Receivable.currency,
            func.count(FinancingRequest.id),
            amount_sum(session, FinancingRequest.advance),
        )
        .join(Piece, Piece.token_id == FinancingRequest.token_id)
        .join(Receivable, Receivable.slot == Piece.slot)
        .where(FinancingRequest.status.in_(EXPOSURE_STATUSES))
        .group_by(Receivable.debtor, FinancingRequest.financier, Receivable.currency)
    ).all()
    names = _names(session)
    result = [
        (
            value,
            ExposureRow(
                debtor,
                names.get(debtor, ""),
                financier,
                names.get(financier, ""),
                currency,
                n,
                decimal_in(value, currency),
            ),
        )
        for debtor, financier, currency, n, value in rows
        if financier is not None  # funded requests always have their accepted financier
    ]
    result.sort(key=lambda r: (r[1].currency, -r[0], r[1].debtor, r[1].financier))
    return [row for _, row in result]


def penetration(session: Session) -> list[PenetrationRow]:
    """For each core enterprise (debtor), currency and tier depth, the value that reached
    the depth and the number of distinct members that held it."""
    confirmed = Receivable.status.in_(CONFIRMED)
    values = union_all(
        select(
            Receivable.debtor,
            Receivable.currency,
            literal(0).label("depth"),
            Receivable.face_amount.label("value"),
        ).where(confirmed),
        select(Receivable.debtor, Receivable.currency, Piece.depth, PieceTransfer.value)
        .join(Piece, Piece.token_id == PieceTransfer.token_id)
        .join(Receivable, Receivable.slot == Piece.slot)
        .where(confirmed, PieceTransfer.kind == "split"),
    ).subquery()
    holders = union(
        select(
            Receivable.debtor,
            Receivable.currency,
            literal(0).label("depth"),
            Receivable.creditor.label("member"),
        ).where(confirmed),
        select(Receivable.debtor, Receivable.currency, Piece.depth, PieceTransfer.receiver)
        .join(Piece, Piece.token_id == PieceTransfer.token_id)
        .join(Receivable, Receivable.slot == Piece.slot)
        .where(confirmed),
    ).subquery()
    v, m = values.c, holders.c
    value_rows = session.execute(
        select(v.debtor, v.currency, v.depth, amount_sum(session, v.value)).group_by(
            v.debtor, v.currency, v.depth
        )
    ).all()
    member_rows = session.execute(
        select(m.debtor, m.currency, m.depth, func.count(m.member)).group_by(
            m.debtor, m.currency, m.depth
        )
    ).all()
    members = {(debtor, currency, depth): n for debtor, currency, depth, n in member_rows}
    names = _names(session)
    return sorted(
        (
            PenetrationRow(
                debtor,
                names.get(debtor, ""),
                currency,
                depth,
                decimal_in(value, currency),
                members.get((debtor, currency, depth), 0),
            )
            for debtor, currency, depth, value in value_rows
        ),
        key=lambda r: (r.currency, r.core, r.depth),
    )


def write_csv(rows: Sequence[Any], path: Path, row_type: type[Any]) -> None:
    """The rows of a report as CSV with a header of the row type's field names; amounts
    as exact decimal strings in their row's currency."""
    fields = [f.name for f in dataclasses.fields(row_type)]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(fields)
        for row in rows:
            writer.writerow([getattr(row, name) for name in fields])
