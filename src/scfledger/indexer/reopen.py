"""Operations whose block a reorg replaced go back to the confirmer.

The lead moves `reopen_operations_above` into the outbox store (`outbox/store.py`,
`reopen_above`: the one writer of operation state) when the branches are merged."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from scfledger.db.models import Operation, OperationStatus, utcnow

REOPENED = (OperationStatus.MINED, OperationStatus.INDEXED)


def reopen_operations_above(session: Session, fork_block: int) -> int:
    """Moves the operations mined above `fork_block` (mined or indexed) back to submitted,
    without their block: the confirmer looks for their receipts again, on the chain as it
    is now (the transaction is mined again on the new branch, or goes back to the pool and
    is rebroadcast or replaced like any stuck one). Runs in the reorg's rollback
    transaction; returns how many it reopened."""
    now = utcnow()
    result = session.execute(
        update(Operation)
        .where(Operation.block_number > fork_block, Operation.status.in_(REOPENED))
        .values(
            status=OperationStatus.SUBMITTED,
            block_number=None,
            gas_used=None,
            mined_at=None,
            updated_at=now,
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
