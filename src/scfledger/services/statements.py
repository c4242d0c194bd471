"""Statements: a participant's business of a period, from the read model, line by line
with totals per kind and currency (docs/money.md "Statements and reconciliation").

A line is one indexed event the participant is a party to, dated by its block's time:
receivables it issued (debtor) or received (creditor), pieces it sent or received,
financing steps that moved money (funded, repaid, recourse claimed and repaid),
settlement steps (paid on chain, submitted, confirmed, disputed), and pieces a set-off
round reduced (netted: the holder's receivable and the debtor's payable shrink by as
much). Amounts stay integers of minor units here; the API formats them in their currency.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from scfledger.chain.generated import ReceivableStatus
from scfledger.db.projections import (
    ChainEvent,
    FinancingHistory,
    FinancingRequest,
    IndexedBlock,
    Member,
    Piece,
    PieceTransfer,
    Receivable,
    Settlement,
    SettlementHistory,
)
from scfledger.exceptions import ExportFormatUnknown, PeriodInvalid, TimeZoneUnknown
from scfledger.services import payment_refs
from scfledger.services.ledger import Actor

# A line's block time: never None where the period's bounds matched it.
_TIME = cast(ColumnElement[int], IndexedBlock.timestamp)
_S = TypeVar("_S", bound=Select[*tuple[Any, ...]])
DEFAULT_ZONE = "Asia/Shanghai"
MAX_DAYS = 366  # the longest period one statement covers (a year, leap day included)
FORMATS = ("json", "csv", "xlsx")
# Receivables that never took effect are no one's business on a statement.
NEVER_LIVE = ("rejected", "cancelled", "expired")
# Financing steps (FinancingHistory.status) that move money, or a claim to it.
FINANCING_STEPS = ("funded", "repaid", "recourse_claimed", "recourse_repaid")
SETTLEMENT_KINDS = {
    "paid": "settlement_paid",
    "submitted": "settlement_submitted",
    "confirmed": "settlement_confirmed",
    "deemed": "settlement_confirmed",
    "disputed": "settlement_disputed",
}

TRANSFER_KINDS = ("split", "whole", "return")  # PieceTransfer.kind
# A piece a set-off round reduced (PieceNetted): for its holder a receivable that clears,
# for its debtor a payable that clears; status `netted`.
NETTED_KINDS = ("netted_receivable", "netted_payable")
SETTLEMENT_STEPS = tuple(SETTLEMENT_KINDS)
# What the API documents a line's `kind` and `status` may be (its enums).
LINE_KINDS = (
    "receivable_issued",
    "receivable_received",
    "piece_sent",
    "piece_received",
    "piece_returned_sent",
    "piece_returned_received",
    *(f"financing_{step}" for step in FINANCING_STEPS),
    *dict.fromkeys(SETTLEMENT_KINDS.values()),
    *NETTED_KINDS,
)
LINE_STATUSES = tuple(
    dict.fromkeys(
        [
            *ReceivableStatus.labels(),
            *TRANSFER_KINDS,
            *FINANCING_STEPS,
            *SETTLEMENT_STEPS,
            "netted",
        ]
    )
)
# Payments: the financing steps and settlement steps that carry a reference.
PAYMENT_KINDS = tuple(
    k
    for k in LINE_KINDS
    if k.startswith("settlement_") or k.startswith("financing_")
    if k not in ("financing_recourse_claimed", "settlement_disputed")
)
PAYMENT_STATUSES = tuple(
    s for s in (*FINANCING_STEPS, *SETTLEMENT_STEPS) if s not in ("recourse_claimed", "disputed")
)


@dataclass(frozen=True)
class Period:
    """Whole days `first` to `last` in `zone`: block times in [start, end)."""

    first: date
    last: date
    zone: ZoneInfo

    @property
    def start(self) -> int:
        return int(datetime.combine(self.first, datetime.min.time(), self.zone).timestamp())

    @property
    def end(self) -> int:
        after = self.last + timedelta(days=1)
        return int(datetime.combine(after, datetime.min.time(), self.zone).timestamp())


# fromisoformat alone would also read "20261126" and week dates ("2026-W48-4").
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def _day(field: str, value: str) -> date:
    try:
        if _DATE.fullmatch(value) is None:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise PeriodInvalid(field=field, value=value, reason="not a date (YYYY-MM-DD)") from None


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def period(first: str, last: str, zone: str = DEFAULT_ZONE) -> Period:
    """The period of two ISO dates in an IANA time zone; PeriodInvalid or TimeZoneUnknown."""
    if zone not in _zones():  # ZoneInfo() would also read a path
        raise TimeZoneUnknown(value=zone)
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimeZoneUnknown(value=zone) from None
    start, end = _day("from", first), _day("to", last)
    if end < start:
        raise PeriodInvalid(field="to", value=last, reason=f"before from ({first})")
    if (end - start).days >= MAX_DAYS:
        raise PeriodInvalid(field="to", value=last, reason=f"more than {MAX_DAYS} days")
    return Period(start, end, tz)


def export_format(value: str) -> str:
    if value not in FORMATS:
        raise ExportFormatUnknown(value=value, formats=FORMATS)
    return value


@dataclass(frozen=True)
class Entry:
    """One indexed event of the period between two parties: `payer` gives (a payment, a
    claim, a piece) and `payee` gets it. `ref_hash`: the on-chain payment reference."""

    at: int  # the block's Unix seconds
    block_number: int
    tx_hash: str
    log_index: int
    kind: str
    payer: str
    payee: str
    slot: int | None
    token_id: int | None
    request_id: int | None
    amount: int | None  # minor units; None where the step moves nothing (a dispute)
    currency: str
    status: str
    ref_hash: str | None = None


@dataclass(frozen=True)
class Line:
    """An entry as the caller's statement shows it."""

    entry: Entry
    kind: str
    counterparty: str
    counterparty_name: str | None
    payment_ref: str | None  # in clear if the caller may read it, else the hash


@dataclass(frozen=True)
class Statement:
    participant: str
    address: str
    period: Period
    lines: list[Line]
    totals: dict[tuple[str, str], tuple[int, int]]  # (kind, currency) -> (count, amount)


def _in_period(query: _S, block: Any, p: Period) -> _S:
    """Rows of events whose block's time is in the period."""
    return query.join(IndexedBlock, IndexedBlock.number == block).where(
        IndexedBlock.timestamp >= p.start, IndexedBlock.timestamp < p.end
    )


def _receivables(session: Session, me: str, p: Period) -> list[Entry]:
    query = select(Receivable, _TIME).where(
        or_(Receivable.debtor == me, Receivable.creditor == me),
        Receivable.status.not_in(NEVER_LIVE),
    )
    rows = session.execute(_in_period(query, Receivable.issued_block, p)).all()
    issued = session.execute(
        select(ChainEvent.tx_hash, ChainEvent.log_index, ChainEvent.args).where(
            ChainEvent.name == "ReceivableIssued",
            ChainEvent.block_number.in_({r.issued_block for r, _ in rows}),
        )
    ).all()
    where = {int(args["slot"]): (tx, index) for tx, index, args in issued}
    entries = []
    for r, at in rows:
        tx, index = where.get(r.slot, ("", 0))
        entries.append(
            Entry(
                at=at,
                block_number=r.issued_block,
                tx_hash=tx,
                log_index=index,
                kind="receivable",
                payer=r.debtor,
                payee=r.creditor,
                slot=r.slot,
                token_id=r.root_token_id,
                request_id=None,
                amount=r.face_amount,
                currency=r.currency,
                status=r.status,
            )
        )
    return entries


def _transfers(session: Session, me: str, p: Period) -> list[Entry]:
    query = (
        select(PieceTransfer, Piece.slot, Receivable.currency, _TIME)
        .join(Piece, Piece.token_id == PieceTransfer.token_id)
        .join(Receivable, Receivable.slot == Piece.slot)
        .where(or_(PieceTransfer.sender == me, PieceTransfer.receiver == me))
    )
    return [
        Entry(
            at=at,
            block_number=t.block_number,
            tx_hash=t.tx_hash,
            log_index=t.log_index,
            kind="return" if t.kind == "return" else "piece",
            payer=t.sender,
            payee=t.receiver,
            slot=slot,
            token_id=t.token_id,
            request_id=None,
            amount=t.value,
            currency=currency,
            status=t.kind,
        )
        for t, slot, currency, at in session.execute(
            _in_period(query, PieceTransfer.block_number, p)
        )
    ]


def financing_entries(session: Session, me: str | None, p: Period) -> list[Entry]:
    """Financing steps that move money; `me` None: every party's (an auditor's export)."""
    query = (
        select(
            FinancingHistory,
            FinancingRequest,
            Piece.slot,
            Receivable.currency,
            ChainEvent.args,
            _TIME,
        )
        .join(FinancingRequest, FinancingRequest.id == FinancingHistory.request_id)
        .join(Piece, Piece.token_id == FinancingRequest.token_id)
        .join(Receivable, Receivable.slot == Piece.slot)
        .join(
            ChainEvent,
            (ChainEvent.tx_hash == FinancingHistory.tx_hash)
            & (ChainEvent.log_index == FinancingHistory.log_index),
        )
        .where(FinancingHistory.status.in_(FINANCING_STEPS))
    )
    if me is not None:
        query = query.where(or_(FinancingRequest.requester == me, FinancingRequest.financier == me))
    entries = []
    for h, r, slot, currency, args, at in session.execute(
        _in_period(query, FinancingHistory.block_number, p)
    ):
        financier = r.financier or ""
        # The financier pays the advance; the requester repays it (and owes on recourse).
        payer, payee = (
            (financier, r.requester) if h.status == "funded" else (r.requester, financier)
        )
        ref = args.get("paymentRef")
        entries.append(
            Entry(
                at=at,
                block_number=h.block_number,
                tx_hash=h.tx_hash,
                log_index=h.log_index,
                kind=f"financing_{h.status}",
                payer=payer,
                payee=payee,
                slot=slot,
                token_id=r.token_id,
                request_id=r.id,
                amount=h.amount,
                currency=currency,
                status=h.status,
                ref_hash=str(ref).lower() if ref else None,
            )
        )
    return entries


def settlement_entries(session: Session, me: str | None, p: Period) -> list[Entry]:
    """Settlement steps: the debtor pays the payee (the lien holder for its share, or the
    holder); `me` None: every party's."""
    query = (
        select(SettlementHistory, Settlement, Receivable, _TIME)
        .join(Settlement, Settlement.token_id == SettlementHistory.token_id)
        .join(Receivable, Receivable.slot == Settlement.slot)
    )
    if me is not None:
        query = query.where(
            or_(
                Receivable.debtor == me,
                SettlementHistory.payee == me,
                (SettlementHistory.payee.is_(None)) & (Settlement.holder == me),
            )
        )
    entries = []
    for h, s, r, at in session.execute(_in_period(query, SettlementHistory.block_number, p)):
        entries.append(
            Entry(
                at=at,
                block_number=h.block_number,
                tx_hash=h.tx_hash,
                log_index=h.log_index,
                kind=SETTLEMENT_KINDS.get(h.status, f"settlement_{h.status}"),
                payer=r.debtor,
                payee=h.payee or s.holder,
                slot=s.slot,
                token_id=s.token_id,
                request_id=None,
                amount=h.amount,
                currency=r.currency,
                status=h.status,
                ref_hash=h.payment_ref.lower(),
            )
        )
    return entries


def netted_entries(session: Session, me: str | None, p: Period) -> list[Entry]:
    """Pieces set-off rounds reduced (PieceNetted), the debtor's payable and the holder's
    receivable clearing by the same amount; `me` None: every party's."""
    query = select(ChainEvent, _TIME).where(
        ChainEvent.contract == "SetOff", ChainEvent.name == "PieceNetted"
    )
    events = session.execute(_in_period(query, ChainEvent.block_number, p)).all()
    slots = {int(e.args["slot"]) for e, _ in events}
    receivables = {
        r.slot: r for r in session.scalars(select(Receivable).where(Receivable.slot.in_(slots)))
    }
    entries = []
    for e, at in events:
        r = receivables[int(e.args["slot"])]
        holder = str(e.args["holder"])
        if me is not None and me not in (r.debtor, holder):
            continue
        entries.append(
            Entry(
                at=at,
                block_number=e.block_number,
                tx_hash=e.tx_hash,
                log_index=e.log_index,
                kind="netted",
                payer=r.debtor,
                payee=holder,
                slot=r.slot,
                token_id=int(e.args["tokenId"]),
                request_id=None,
                amount=int(e.args["amount"]),
                currency=r.currency,
                status="netted",
            )
        )
    return entries


def ordered(entries: Iterable[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: (e.block_number, e.log_index, e.kind))


def names(session: Session, addresses: Iterable[str]) -> dict[str, str]:
    """Member names by address."""
    wanted = {a for a in addresses if a}
    if not wanted:
        return {}
    query = select(Member.address, Member.name).where(Member.address.in_(wanted))
    return {address: name for address, name in session.execute(query)}


def _side(entry: Entry, me: str) -> str:
    """The line's kind from the caller's side (receivables and pieces)."""
    if entry.kind == "receivable":
        return "receivable_issued" if entry.payer == me else "receivable_received"
    if entry.kind == "piece":
        return "piece_sent" if entry.payer == me else "piece_received"
    if entry.kind == "return":
        return "piece_returned_sent" if entry.payer == me else "piece_returned_received"
    if entry.kind == "netted":
        return "netted_payable" if entry.payer == me else "netted_receivable"
    return entry.kind


def statement(session: Session, actor: Actor, p: Period) -> Statement:
    """The caller's statement of the period: its own business (an auditor's own is
    empty: it is a party to nothing), oldest first."""
    me = actor.address
    entries = ordered(
        [
            *_receivables(session, me, p),
            *_transfers(session, me, p),
            *financing_entries(session, me, p),
            *settlement_entries(session, me, p),
            *netted_entries(session, me, p),
        ]
    )
    member_names = names(session, {e.payer for e in entries} | {e.payee for e in entries})
    clear = payment_refs.readable(session, actor, (e.ref_hash for e in entries))
    lines = []
    totals: dict[tuple[str, str], tuple[int, int]] = defaultdict(lambda: (0, 0))
    for e in entries:
        other = e.payee if e.payer == me else e.payer
        kind = _side(e, me)
        ref = None if e.ref_hash is None else clear.get(e.ref_hash, e.ref_hash)
        lines.append(Line(e, kind, other, member_names.get(other), ref))
        count, amount = totals[(kind, e.currency)]
        totals[(kind, e.currency)] = (count + 1, amount + (e.amount or 0))
    return Statement(actor.participant, me, p, lines, dict(sorted(totals.items())))
