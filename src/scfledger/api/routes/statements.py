"""`/v1/statements` and `/v1/reconciliation`: the caller's business of a period, and its
payments by payment reference, as JSON, CSV or XLSX (docs/money.md "Statements and
reconciliation")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from scfledger.api.deps import CurrentActor, GatewayDep
from scfledger.api.exports import CSV, XLSX, Money, Sheet, download
from scfledger.api.guard import GuardedRoute
from scfledger.api.schemas_statements import (
    PaymentOut,
    ReconciliationOut,
    StatementLineOut,
    StatementOut,
    TotalOut,
)
from scfledger.exceptions import UnknownCurrency
from scfledger.money import format_amount
from scfledger.services import reconciliation, statements
from scfledger.services.statements import DEFAULT_ZONE, Period

router = APIRouter(tags=["statements"], route_class=GuardedRoute)

FROM = Query(alias="from", description="First day, YYYY-MM-DD, in `tz`")
TO = Query(description="Last day (included), YYYY-MM-DD, in `tz`")
FORMAT = Query(description="json, csv (UTF-8 with BOM) or xlsx")
TZ = Query(description="IANA time zone of the days and of the times shown")
DOWNLOADS: dict[int | str, dict[str, Any]] = {
    200: {"content": {CSV: {}, XLSX: {}}, "description": "JSON, or the file to download"}
}


def _amount(minor: int | None, currency: str) -> str | None:
    """A decimal string in the currency; minor units for a code ISO 4217 does not know."""
    if minor is None:
        return None
    try:
        return format_amount(minor, currency)
    except UnknownCurrency:
        return str(minor)


def _iso(at: int, p: Period) -> str:
    return datetime.fromtimestamp(at, UTC).astimezone(p.zone).isoformat()


def _statement_out(s: statements.Statement, zone: str) -> StatementOut:
    p = s.period
    lines = [
        StatementLineOut(
            at=line.entry.at,
            at_iso=_iso(line.entry.at, p),
            kind=line.kind,
            counterparty=line.counterparty,
            counterparty_name=line.counterparty_name,
            slot=line.entry.slot,
            token_id=line.entry.token_id,
            request_id=line.entry.request_id,
            amount=_amount(line.entry.amount, line.entry.currency),
            currency=line.entry.currency,
            status=line.entry.status,
            payment_ref=line.payment_ref,
            tx_hash=line.entry.tx_hash,
            block_number=line.entry.block_number,
        )
        for line in s.lines
    ]
    totals = [
        TotalOut(kind=kind, currency=currency, lines=count, amount=_amount(amount, currency) or "")
        for (kind, currency), (count, amount) in s.totals.items()
    ]
    return StatementOut(
        participant=s.participant,
        address=s.address,
        first_day=p.first.isoformat(),
        last_day=p.last.isoformat(),
        time_zone=zone,
        lines=lines,
        totals=totals,
    )


def _money(text: str | None, currency: str) -> Money | None:
    return None if text is None else Money(text, currency)


def _statement_sheets(out: StatementOut) -> list[Sheet]:
    lines = Sheet(
        "Statement",
        [
            "date", "kind", "counterparty", "counterparty_name", "slot", "token_id",
            "request_id", "amount", "currency", "status", "payment_ref", "tx_hash",
        ],
        [
            [
                line.at_iso, line.kind, line.counterparty, line.counterparty_name, line.slot,
                line.token_id, line.request_id, _money(line.amount, line.currency),
                line.currency, line.status, line.payment_ref, line.tx_hash,
            ]
            for line in out.lines
        ],
    )  # fmt: skip
    totals = Sheet(
        "Totals",
        ["kind", "currency", "lines", "amount"],
        [[t.kind, t.currency, t.lines, Money(t.amount, t.currency)] for t in out.totals],
    )
    return [lines, totals]


@router.get("/v1/statements", response_model=StatementOut, responses=DOWNLOADS)
def statement(
    gateway: GatewayDep,
    actor: CurrentActor,
    first: Annotated[str, FROM],
    to: Annotated[str, TO],
    format: Annotated[str, FORMAT] = "json",
    tz: Annotated[str, TZ] = DEFAULT_ZONE,
) -> Response | StatementOut:
    """The caller's statement of whole days `from` to `to` in `tz` (default Asia/Shanghai,
    at most 366 days): receivables issued (debtor) and received (creditor), pieces sent and
    received, financing steps, settlement steps, each dated by its block, with totals per
    kind and currency. Payment references in clear where the caller paid or was paid."""
    fmt = statements.export_format(format)
    p = statements.period(first, to, tz)
    with gateway.sessions() as session:
        out = _statement_out(statements.statement(session, actor, p), tz)
    if fmt == "json":
        return out
    name = f"statement-{actor.participant}-{out.first_day}-{out.last_day}"
    return download(_statement_sheets(out), fmt, name)


def _payment_out(item: reconciliation.Payment, p: Period) -> PaymentOut:
    e = item.entry
    assert e.ref_hash is not None  # payments carry their reference
    return PaymentOut(
        payment_ref=item.text,
        payment_ref_hash=e.ref_hash,
        kind=e.kind,
        amount=_amount(e.amount, e.currency),
        currency=e.currency,
        payer=e.payer,
        payer_name=item.payer_name,
        payee=e.payee,
        payee_name=item.payee_name,
        request_id=e.request_id,
        slot=e.slot,
        token_id=e.token_id,
        status=e.status,
        at=e.at,
        at_iso=_iso(e.at, p),
        tx_hash=e.tx_hash,
        block_number=e.block_number,
    )


@router.get("/v1/reconciliation", response_model=ReconciliationOut, responses=DOWNLOADS)
def reconcile(
    gateway: GatewayDep,
    actor: CurrentActor,
    first: Annotated[str, FROM],
    to: Annotated[str, TO],
    format: Annotated[str, FORMAT] = "json",
    tz: Annotated[str, TZ] = DEFAULT_ZONE,
) -> Response | ReconciliationOut:
    """One line per payment of the period the caller made or received (auditors: every
    payment, references as hashes): funding, loan and recourse repayments, settlements
    paid on chain, submitted and confirmed; keyed by the payment reference in clear and
    its on-chain hash, for matching against core banking."""
    fmt = statements.export_format(format)
    p = statements.period(first, to, tz)
    with gateway.sessions() as session:
        items = [_payment_out(i, p) for i in reconciliation.payments(session, actor, p)]
    out = ReconciliationOut(
        participant=actor.participant,
        first_day=p.first.isoformat(),
        last_day=p.last.isoformat(),
        time_zone=tz,
        payments=items,
    )
    if fmt == "json":
        return out
    sheet = Sheet(
        "Reconciliation",
        [
            "payment_ref", "payment_ref_hash", "kind", "amount", "currency", "payer",
            "payer_name", "payee", "payee_name", "request_id", "slot", "token_id", "status",
            "block_time", "tx_hash",
        ],
        [
            [
                i.payment_ref, i.payment_ref_hash, i.kind, _money(i.amount, i.currency),
                i.currency, i.payer, i.payer_name, i.payee, i.payee_name, i.request_id,
                i.slot, i.token_id, i.status, i.at_iso, i.tx_hash,
            ]
            for i in items
        ],
    )  # fmt: skip
    name = f"reconciliation-{actor.participant}-{out.first_day}-{out.last_day}"
    return download([sheet], fmt, name)
