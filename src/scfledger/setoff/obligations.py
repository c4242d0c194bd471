"""The obligation graph of one currency from the index: which pieces a set-off round may
shrink, as edges debtor -> holder (docs/setoff.md)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from scfledger.chain.generated import MemberStatus, PieceState, ReceivableStatus
from scfledger.db.projections import Member, Piece, Receivable


@dataclass(frozen=True, order=True)
class Obligation:
    """`debtor` owes `creditor` (the piece's holder) `amount` minor units through `piece`."""

    piece: int
    debtor: str
    creditor: str
    amount: int


def obligations(session: Session, *, currency: str, now: int) -> list[Obligation]:
    """The obligations a round in `currency` may clear as the index stands at chain time
    `now`, in piece order: accepted pieces free of any claim (state `active`: not pending,
    locked for financing, financed, awaiting a payment's confirmation, overdue, settled...),
    of an accepted receivable not yet due (a due piece is for settlement), between two
    distinct members who are both active (a suspended member cannot consent on-chain)."""
    debtor = aliased(Member)
    holder = aliased(Member)
    active = MemberStatus.ACTIVE.label
    rows = session.execute(
        select(Piece.token_id, Receivable.debtor, Piece.holder, Piece.value)
        .join(Receivable, Receivable.slot == Piece.slot)
        .join(debtor, debtor.address == Receivable.debtor)
        .join(holder, holder.address == Piece.holder)
        .where(
            Piece.state == PieceState.ACTIVE.label,
            Receivable.status == ReceivableStatus.ACTIVE.label,
            Receivable.currency == currency,
            Receivable.due_date > now,
            Piece.holder != Receivable.debtor,
            debtor.status == active,
            holder.status == active,
        )
        .order_by(Piece.token_id)
    )
    return [
        Obligation(piece=token_id, debtor=owes, creditor=owed, amount=value)
        for token_id, owes, owed, value in rows
        if value > 0
    ]
