"""Handlers of settlement events (receivable token) and of the deposit token's escrow."""

from __future__ import annotations

from typing import Any

from scfledger.db.projections import EscrowBalance, Piece, Receivable, Settlement, SettlementHistory
from scfledger.indexer.decode import DecodedEvent
from scfledger.indexer.projector.values import ZERO_ADDRESS, ZERO_HASH
from scfledger.indexer.projector.writer import Handler, Writer


def _settlement_step(
    w: Writer,
    e: DecodedEvent,
    status: str,
    *,
    amount: int | None,
    payment_ref: str,
    payee: str | None = None,
    reason: str | None = None,
) -> None:
    w.append(
        SettlementHistory,
        token_id=e.args["tokenId"],
        status=status,
        payee=payee,
        amount=amount,
        payment_ref=payment_ref,
        reason=reason,
        tx_hash=e.tx_hash,
        log_index=e.log_index,
        block_number=e.block_number,
    )


def _settlement_of(w: Writer, e: DecodedEvent, piece: Any) -> Any:
    """The piece's settlement row, opened on its first settlement (each later submission,
    after a dispute, reopens it)."""
    row = w.find(Settlement, piece.token_id)
    if row is None:
        row = w.add(
            Settlement,
            token_id=piece.token_id,
            slot=piece.slot,
            holder=piece.holder,
            status="awaiting_confirmation",
            amount=0,
            submitted_amount=0,
            lien_holder=None,
            lien_amount=0,
            payee=None,
            confirm_by=None,
            deemed=False,
            payment_ref=ZERO_HASH,
            dispute_reason=None,
            paid_on_chain=False,
            block_number=e.block_number,
            tx_hash=e.tx_hash,
        )
    row.block_number, row.tx_hash = e.block_number, e.tx_hash
    return row


def _settlement_submitted(w: Writer, e: DecodedEvent) -> None:
    """The debtor reported an off-chain payment: the payee (the lien holder first, for its
    share) confirms or disputes it by `confirmBy`."""
    a = e.args
    piece = w.get(Piece, a["tokenId"])
    row = _settlement_of(w, e, piece)
    row.holder = piece.holder
    row.status = "awaiting_confirmation"
    row.payee = a["payee"]
    row.submitted_amount = a["amount"]
    row.confirm_by = a["confirmBy"]
    row.payment_ref = a["paymentRef"]
    row.paid_on_chain = False
    row.dispute_reason = None
    if a["payee"] != piece.holder:
        row.lien_holder = a["payee"]
    _settlement_step(
        w, e, "submitted", amount=a["amount"], payment_ref=a["paymentRef"], payee=a["payee"]
    )


def _payment_confirmed(w: Writer, e: DecodedEvent) -> None:
    """The payee confirmed (or, `deemed`, stayed silent past the window); PieceSettled
    follows with the share that left circulation."""
    a = e.args
    row = _settlement_of(w, e, w.get(Piece, a["tokenId"]))
    row.deemed = row.deemed or a["deemed"]
    status = "deemed" if a["deemed"] else "confirmed"
    _settlement_step(
        w, e, status, amount=a["amount"], payment_ref=a["paymentRef"], payee=a["payee"]
    )


def _payment_disputed(w: Writer, e: DecodedEvent) -> None:
    """The payee disputed: the piece is unpaid again (its state comes back with
    PieceStateChanged) and the debtor may settle again with another reference."""
    a = e.args
    row = _settlement_of(w, e, w.get(Piece, a["tokenId"]))
    row.status = "disputed"
    row.payee = None
    row.confirm_by = None
    row.dispute_reason = a["reason"]
    _settlement_step(
        w, e, "disputed", amount=None, payment_ref=a["paymentRef"], payee=a["payee"],
        reason=a["reason"],
    )  # fmt: skip


def discharge(receivable: Any, amount: int, *, netted: bool) -> None:
    """Value of the slot left circulation, paid or netted by set-off; the slot is `settled`
    once settled + netted == face (as `ReceivableToken._discharge`: the one rule)."""
    if netted:
        receivable.netted_value += amount
    else:
        receivable.settled_value += amount
    if receivable.settled_value + receivable.netted_value == receivable.face_amount:
        receivable.status = "settled"


def _piece_settled(w: Writer, e: DecodedEvent) -> None:
    """Value left circulation: all of it at once on-chain, or a confirmed share off-chain
    (the lien holder's, then the holder's rest)."""
    a = e.args
    piece = w.get(Piece, a["tokenId"])
    piece.value -= a["amount"]
    piece.updated_block = e.block_number
    discharge(w.get(Receivable, a["slot"]), a["amount"], netted=False)
    row = _settlement_of(w, e, piece)
    row.holder = a["holder"]
    row.amount += a["amount"]
    row.payment_ref = a["paymentRef"]
    row.paid_on_chain = a["paidOnChain"]
    if a["lienHolder"] != ZERO_ADDRESS:
        row.lien_holder = a["lienHolder"]
        row.lien_amount += a["lienAmount"]
    if a["paidOnChain"]:
        row.submitted_amount = a["amount"]
        _settlement_step(w, e, "paid", amount=a["amount"], payment_ref=a["paymentRef"])
    if piece.value == 0:
        row.status, row.payee = "settled", None
    else:  # the lien holder's share is settled; the holder confirms the rest
        row.status, row.payee = "awaiting_confirmation", a["holder"]


# ---- deposit token -------------------------------------------------------------------------


def _escrow(sign: int) -> Handler:
    def apply(w: Writer, e: DecodedEvent) -> None:
        payee = e.args["payee"]
        row = w.find(EscrowBalance, payee)
        if row is None:
            row = w.add(EscrowBalance, payee=payee, amount=0, updated_block=e.block_number)
        row.amount += sign * e.args["amount"]
        row.updated_block = e.block_number

    return apply


HANDLERS: dict[tuple[str, str], Handler] = {
    ("ReceivableToken", "SettlementSubmitted"): _settlement_submitted,
    ("ReceivableToken", "PaymentConfirmed"): _payment_confirmed,
    ("ReceivableToken", "PaymentDisputed"): _payment_disputed,
    ("ReceivableToken", "PieceSettled"): _piece_settled,
    ("DepositToken", "PaymentEscrowed"): _escrow(+1),
    ("DepositToken", "EscrowClaimed"): _escrow(-1),
}
