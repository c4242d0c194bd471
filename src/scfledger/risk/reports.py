"""Portfolio reports from the read model: aging, exposure, tier penetration; CSV and PNG."""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, literal, select, union, union_all
from sqlalchemy.orm import Session

from scfledger.db.projections import FinancingRequest, Member, Piece, PieceTransfer, Receivable
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
    pieces: int
    value: int


@dataclass(frozen=True)
class ExposureRow:
    debtor: str
    debtor_name: str
    financier: str
    financier_name: str
    requests: int
    value: int


@dataclass(frozen=True)
class PenetrationRow:
    core: str
    core_name: str
    depth: int
    value: int  # value that reached this depth: face amounts at 0, split values below
    members: int  # distinct members that held a piece at this depth


def _bucket(days_past_due_ceil: int) -> str:
    for label, upper in AGING_BUCKETS:
        if upper is None or days_past_due_ceil <= upper:
            return label
    raise AssertionError("the last bucket is unbounded")


def aging(session: Session, *, now: int) -> list[AgingRow]:
    """Outstanding (live, unsettled) value by days past due at `now`, every bucket listed."""
    rows = session.execute(
        select(Receivable.due_date, func.count(Piece.token_id), amount_sum(session, Piece.value))
        .join(Receivable, Receivable.slot == Piece.slot)
        .where(Piece.state.in_(LIVE_STATES), Piece.value != 0)
        .group_by(Receivable.due_date)
    ).all()
    totals = {label: [0, 0] for label, _ in AGING_BUCKETS}
    for due_date, pieces, value in rows:
        past = now - due_date
        days = 0 if past <= 0 else -(-past // DAY)  # a second late is a day late
        total = totals[_bucket(days)]
        total[0] += pieces
        total[1] += value
    return [AgingRow(label, *totals[label]) for label, _ in AGING_BUCKETS]


def _names(session: Session) -> dict[str, str]:
    return {address: name for address, name in session.execute(select(Member.address, Member.name))}


def exposure(session: Session) -> list[ExposureRow]:
    """Outstanding financed value (funded, not repaid or settled) by debtor and financier,
    largest first."""
    rows = session.execute(
        select(
            Receivable.debtor,
            FinancingRequest.financier,
            func.count(FinancingRequest.id),
            amount_sum(session, FinancingRequest.advance),
        )
        .join(Piece, Piece.token_id == FinancingRequest.token_id)
        .join(Receivable, Receivable.slot == Piece.slot)
        .where(FinancingRequest.status.in_(EXPOSURE_STATUSES))
        .group_by(Receivable.debtor, FinancingRequest.financier)
    ).all()
    names = _names(session)
    result = [
        ExposureRow(debtor, names.get(debtor, ""), financier, names.get(financier, ""), n, value)
        for debtor, financier, n, value in rows
        if financier is not None  # funded requests always have their accepted financier
    ]
    return sorted(result, key=lambda r: (-r.value, r.debtor, r.financier))


def penetration(session: Session) -> list[PenetrationRow]:
    """For each core enterprise (debtor) and tier depth, the value that reached the depth and
    the number of distinct members that held it."""
    confirmed = Receivable.status.in_(CONFIRMED)
    values = union_all(
        select(
            Receivable.debtor, literal(0).label("depth"), Receivable.face_amount.label("value")
        ).where(confirmed),
        select(Receivable.debtor, Piece.depth, PieceTransfer.value)
        .join(Piece, Piece.token_id == PieceTransfer.token_id)
        .join(Receivable, Receivable.slot == Piece.slot)
        .where(confirmed, PieceTransfer.kind == "split"),
    ).subquery()
    holders = union(
        select(
            Receivable.debtor, literal(0).label("depth"), Receivable.creditor.label("member")
        ).where(confirmed),
        select(Receivable.debtor, Piece.depth, PieceTransfer.receiver)
        .join(Piece, Piece.token_id == PieceTransfer.token_id)
        .join(Receivable, Receivable.slot == Piece.slot)
        .where(confirmed),
    ).subquery()
    value_rows = session.execute(
        select(values.c.debtor, values.c.depth, amount_sum(session, values.c.value)).group_by(
            values.c.debtor, values.c.depth
        )
    ).all()
    member_rows = session.execute(
        select(holders.c.debtor, holders.c.depth, func.count(holders.c.member)).group_by(
            holders.c.debtor, holders.c.depth
        )
    ).all()
    members = {(debtor, depth): n for debtor, depth, n in member_rows}
    names = _names(session)
    return sorted(
        (
            PenetrationRow(
                debtor, names.get(debtor, ""), depth, value, members.get((debtor, depth), 0)
            )
            for debtor, depth, value in value_rows
        ),
        key=lambda r: (r.core, r.depth),
    )


def write_csv(rows: Sequence[Any], path: Path, row_type: type[Any]) -> None:
    """The rows of a report as CSV with a header of the row type's field names."""
    fields = [f.name for f in dataclasses.fields(row_type)]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(fields)
        for row in rows:
            writer.writerow([getattr(row, name) for name in fields])
