"""Use cases of settlement at maturity: the debtor pays (on chain with the deposit token, or
off-chain with a reference the payee confirms or disputes), escrow for suspended payees;
and the reads of settlements.

Writes check what the caller may see and the shape of the input, then let the contract
decide (services.ledger).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from scfledger.chain.calls import ContractCall
from scfledger.chain.generated import MAX_SETTLE_BATCH
from scfledger.db.projections import EscrowBalance, Piece, Settlement
from scfledger.exceptions import InvalidInput, WrongState
from scfledger.outbox.operation import OperationView
from scfledger.services import payment_refs
from scfledger.services.ledger import Actor, Idempotency, Ledger, bytes32, submit
from scfledger.services.receivables import on_piece, token_call
from scfledger.services.visibility import settlement_reasons, visible_receivable


def settle(
    *,
    ledger: Ledger,
    actor: Actor,
    idempotency: Idempotency,
    slot: int,
    token_ids: Sequence[int],
    payment_ref: str,
) -> OperationView:
    """The debtor settles pieces of one receivable from its due date (`settle` for one piece,
    `settleBatch` for several, all or none). With the deposit token the payment moves at
    once (to escrow for a suspended payee); off-chain `payment_ref` identifies the payment
    and each piece awaits its payee's confirmation."""
    with ledger.sessions() as session:
        call, payees = settle_call(
            session, ledger=ledger, actor=actor, slot=slot, token_ids=token_ids,
            payment_ref=payment_ref,
        )  # fmt: skip
    return payment_refs.submit_payment(
        ledger,
        actor,
        idempotency,
        call,
        SETTLE_KIND,
        text=payment_ref,
        payer=actor.address,
        payees=payees,
    )


SETTLE_KIND = "receivable.settle"


def settle_call(
    session: Session,
    *,
    ledger: Ledger,
    actor: Actor,
    slot: int,
    token_ids: Sequence[int],
    payment_ref: str,
) -> tuple[ContractCall, list[str]]:
    """`settle`'s checks, its call and whom it pays (an ERP batch checks each line so
    before queueing it)."""
    if not 1 <= len(token_ids) <= MAX_SETTLE_BATCH:
        raise InvalidInput(f"settle 1 to {MAX_SETTLE_BATCH} pieces at once")
    if len(set(token_ids)) != len(token_ids):
        raise InvalidInput("token_ids repeat a piece")
    ref = bytes32(payment_ref, "payment_ref")
    if ref == bytes(32):
        raise InvalidInput("payment_ref must not be zero: it is the payee's evidence")
    visible_receivable(session, actor, slot)
    # `settle` names no slot: a piece of another receivable than the one asked for is the
    # request's mistake (a piece never changes slot), not the contract's to catch.
    query = select(Piece.token_id, Piece.slot).where(Piece.token_id.in_(token_ids))
    slots = {token_id: of_slot for token_id, of_slot in session.execute(query)}
    for token_id in token_ids:
        if slots.get(token_id) != slot:
            raise InvalidInput(f"piece {token_id} is not a piece of receivable {slot}")
    payees = payment_refs.settlement_payees(session, token_ids)
    if len(token_ids) == 1:
        return token_call(ledger, "settle", token_ids[0], ref), payees
    return token_call(ledger, "settleBatch", slot, list(token_ids), ref), payees


def confirm_payment(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, token_id: int
) -> OperationView:
    """The payee confirms the debtor's off-chain payment: the lien holder its share first
    (the lien closes), then the holder the rest (the piece is settled)."""
    call = token_call(ledger, "confirmPayment", token_id)
    return on_piece(ledger, actor, idempotency, token_id, call, "settlement.confirm")


def dispute_payment(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, token_id: int, reason: str
) -> OperationView:
    """The payee disputes an off-chain payment: the piece is unpaid again, with every remedy;
    the debtor may settle again with another reference."""
    call = token_call(ledger, "disputePayment", token_id, bytes32(reason, "reason"))
    return on_piece(ledger, actor, idempotency, token_id, call, "settlement.dispute")


def finalize_settlement(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, token_id: int
) -> OperationView:
    """The debtor finalises a settlement whose confirmation window closed in silence
    (deemed consent; the contract checks the clock)."""
    call = token_call(ledger, "finalizeSettlement", token_id)
    return on_piece(ledger, actor, idempotency, token_id, call, "settlement.finalize")


def claim_escrow(*, ledger: Ledger, actor: Actor, idempotency: Idempotency) -> OperationView:
    """A reinstated member takes the deposit-token payments escrowed for it while it was
    suspended."""
    if ledger.contracts.deposit_token is None:  # no contract to ask
        raise WrongState(
            kind="deployment", key="DepositToken", state="not deployed", action="claim escrow"
        )
    call = ContractCall("DepositToken", ledger.contracts.deposit_token, "claimEscrow", ())
    return submit(ledger, actor, idempotency, call, "escrow.claim")


# -- reads (who sees what: services.visibility) ------------------------------------------


def list_settlements(
    session: Session, actor: Actor, *, after: int | None, limit: int, slot: int | None = None
) -> list[Settlement]:
    """Settlements by token id after the cursor: the debtor's, those paid to the caller
    (holder or lien holder); auditors see all."""
    where: list[Any] = []
    if after is not None:
        where.append(Settlement.token_id > after)
    if slot is not None:
        where.append(Settlement.slot == slot)
    query = select(Settlement).where(*where)
    if not actor.is_auditor:
        # As in list_pieces: the first `limit` of each reason, each by an index.
        branches = settlement_reasons(actor, where)
        subqueries = [b.order_by(Settlement.token_id).limit(limit).subquery() for b in branches]
        query = query.where(
            Settlement.token_id.in_(union(*(select(sub.c.token_id) for sub in subqueries)))
        )
    return list(session.scalars(query.order_by(Settlement.token_id).limit(limit)))


def escrow_of(session: Session, actor: Actor) -> int:
    """What waits in escrow for the actor (its own business only)."""
    balance = session.get(EscrowBalance, actor.address)
    return 0 if balance is None else balance.amount
