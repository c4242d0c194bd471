"""The reconciliation export: one line per payment of a period, keyed by its payment
reference, for a bank's clerk to match against core banking (docs/money.md "Statements
and reconciliation")."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from scfledger.services import payment_refs
from scfledger.services.ledger import Actor
from scfledger.services.statements import (
    Entry,
    Period,
    financing_entries,
    names,
    ordered,
    settlement_entries,
)


@dataclass(frozen=True)
class Payment:
    """A payment step: funding, repayment, recourse repayment, a settlement paid on chain,
    submitted or confirmed. `text`: the reference in clear, None where the caller may not
    read it."""

    entry: Entry
    text: str | None
    payer_name: str | None
    payee_name: str | None


def payments(session: Session, actor: Actor, p: Period) -> list[Payment]:
    """The period's payments the caller made or received (auditors: every payment, with
    the hashes only), oldest first."""
    me = None if actor.is_auditor else actor.address
    entries = [
        e
        for e in ordered([*financing_entries(session, me, p), *settlement_entries(session, me, p)])
        if e.ref_hash is not None and e.status != "disputed"
    ]
    clear = payment_refs.readable(session, actor, (e.ref_hash for e in entries))
    member = names(session, {e.payer for e in entries} | {e.payee for e in entries})
    return [
        Payment(e, clear.get(e.ref_hash or ""), member.get(e.payer), member.get(e.payee))
        for e in entries
    ]
