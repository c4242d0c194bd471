"""Use cases of receivables and their pieces: issue and the creditor's consent, splits and
transfers with the receiver's signature (签收), evidence; and the reads of pieces.

Writes check what the caller may see and what only the gateway knows, then let the
contract decide (services.ledger).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from scfledger.chain.calls import ContractCall
from scfledger.db.projections import Evidence, Piece, PieceTransfer, Receivable
from scfledger.exceptions import InvalidInput, RecordNotFound
from scfledger.outbox.operation import OperationView
from scfledger.services.documents import Uploads, require_uploaded, uploads_among
from scfledger.services.ledger import (
    Actor,
    Idempotency,
    Ledger,
    bytes32,
    checked_address,
    submit,
)
from scfledger.services.visibility import (
    visible_piece,
    visible_receivable,
    visible_token_ids,
)

__all__ = ["visible_piece"]  # the routes read a piece's visibility from here too


def token_call(ledger: Ledger, function: str, *args: object) -> ContractCall:
    """A call of the ReceivableToken contract."""
    return ContractCall("ReceivableToken", ledger.contracts.token, function, args)


# -- receivables -----------------------------------------------------------------------


def issue(
    *,
    ledger: Ledger,
    actor: Actor,
    idempotency: Idempotency,
    creditor: str,
    face_amount: int,
    currency: str,
    due_date: int,
    document_hash: str,
) -> OperationView:
    """The debtor (a core enterprise) confirms a receivable to its creditor, against a
    document it uploaded (what backs a receivable is its issuer's to show)."""
    with ledger.sessions() as session:
        call = issue_call(
            session,
            ledger=ledger,
            actor=actor,
            creditor=creditor,
            face_amount=face_amount,
            currency=currency,
            due_date=due_date,
            document_hash=document_hash,
        )
    return submit(ledger, actor, idempotency, call, ISSUE_KIND)


ISSUE_KIND = "receivable.issue"


def issue_call(
    session: Session,
    *,
    ledger: Ledger,
    actor: Actor,
    creditor: str,
    face_amount: int,
    currency: str,
    due_date: int,
    document_hash: str,
) -> ContractCall:
    """`issue`'s checks and its call: `IssueChecks` of this one call."""
    checks = IssueChecks.load(session, actor, [document_hash])
    return checks.call(
        ledger,
        creditor=creditor,
        face_amount=face_amount,
        currency=currency,
        due_date=due_date,
        document_hash=document_hash,
    )


@dataclass(frozen=True)
class IssueChecks:
    """`issue`'s checks of any number of calls by one actor, against what they read from
    the database loaded once (`load`): an ERP batch's lines are judged in memory, each as a
    single request with its arguments would be; a single request is a batch of one."""

    uploads: Uploads  # which of the calls' documents the actor's participant uploaded

    @classmethod
    def load(cls, session: Session, actor: Actor, document_hashes: Iterable[str]) -> IssueChecks:
        """The facts for calls naming `document_hashes` (one query; none for none)."""
        digests = []
        for value in document_hashes:
            try:
                digests.append(bytes32(value, "document_hash").hex())
            except InvalidInput:
                continue  # `call` refuses it before it looks anything up
        return cls(uploads_among(session=session, actor=actor, sha256s=digests))

    def call(
        self,
        ledger: Ledger,
        *,
        creditor: str,
        face_amount: int,
        currency: str,
        due_date: int,
        document_hash: str,
    ) -> ContractCall:
        """The checks of one call (the first that fails raises the problem a single request
        gets) and its contract call. The call's document must be among those loaded."""
        document = bytes32(document_hash, "document_hash")
        to = checked_address(creditor, "creditor")
        # What backs a receivable is its issuer's to show: only a document it uploaded.
        self.uploads.require(document.hex())
        return token_call(ledger, "issue", to, face_amount, currency.encode(), due_date, document)


def _on_receivable(
    ledger: Ledger, actor: Actor, idempotency: Idempotency, slot: int, call: ContractCall, kind: str
) -> OperationView:
    with ledger.sessions() as session:
        visible_receivable(session, actor, slot)
    return submit(ledger, actor, idempotency, call, kind)


def accept(*, ledger: Ledger, actor: Actor, idempotency: Idempotency, slot: int) -> OperationView:
    """The first creditor accepts a pending receivable (two-party confirmation)."""
    call = token_call(ledger, "accept", slot)
    return _on_receivable(ledger, actor, idempotency, slot, call, "receivable.accept")


def reject_receivable(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, slot: int, reason: str
) -> OperationView:
    """The creditor refuses a pending receivable; its document may be confirmed again."""
    call = token_call(ledger, "reject", slot, bytes32(reason, "reason"))
    return _on_receivable(ledger, actor, idempotency, slot, call, "receivable.reject")


def cancel_receivable(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, slot: int
) -> OperationView:
    """The debtor withdraws a receivable its creditor has not accepted yet."""
    call = token_call(ledger, "cancel", slot)
    return _on_receivable(ledger, actor, idempotency, slot, call, "receivable.cancel")


def expire_receivable(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, slot: int
) -> OperationView:
    """Lapses a receivable its creditor did not accept by its deadline (any active member
    who sees it; the contract checks the clock): its document anchor is released."""
    call = token_call(ledger, "expire", slot)
    return _on_receivable(ledger, actor, idempotency, slot, call, "receivable.expire")


# -- pieces ----------------------------------------------------------------------------


def on_piece(
    ledger: Ledger,
    actor: Actor,
    idempotency: Idempotency,
    token_id: int,
    call: ContractCall,
    kind: str,
) -> OperationView:
    """Submits `call` on a piece the actor may see (RecordNotFound otherwise)."""
    with ledger.sessions() as session:
        visible_piece(session, actor, token_id)
    return submit(ledger, actor, idempotency, call, kind)


def transfer(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, token_id: int, to: str, value: int
) -> OperationView:
    """The holder sends `value` of a piece to another member (a new child piece)."""
    receiver = checked_address(to, "receiver")
    call = token_call(ledger, "transferFrom", token_id, receiver, value)
    return on_piece(ledger, actor, idempotency, token_id, call, "piece.transfer")


def accept_piece(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, token_id: int
) -> OperationView:
    """The receiver signs for a piece sent to it (签收): it becomes active."""
    call = token_call(ledger, "acceptPiece", token_id)
    return on_piece(ledger, actor, idempotency, token_id, call, "piece.accept")


def refuse_piece(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, token_id: int, reason: str
) -> OperationView:
    """The receiver refuses a piece sent to it; its value goes back to the sender."""
    call = token_call(ledger, "refusePiece", token_id, bytes32(reason, "reason"))
    return on_piece(ledger, actor, idempotency, token_id, call, "piece.refuse")


def recall_piece(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, token_id: int
) -> OperationView:
    """The sender takes back a piece its receiver has not signed for yet."""
    call = token_call(ledger, "recallPiece", token_id)
    return on_piece(ledger, actor, idempotency, token_id, call, "piece.recall")


def mark_overdue(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, token_id: int
) -> OperationView:
    """A member who sees an unpaid piece (active or financed) marks it overdue once its due
    date and the slot's grace period have passed (the contract reads the clock). Nothing
    changes hands: the piece reads as overdue, and may later be marked defaulted."""
    call = token_call(ledger, "markOverdue", token_id)
    return on_piece(ledger, actor, idempotency, token_id, call, "piece.mark_overdue")


def mark_defaulted(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, token_id: int
) -> OperationView:
    """A member who sees an overdue piece marks it defaulted once the slot's default period
    has passed too: what opens recourse on a piece factored with recourse."""
    call = token_call(ledger, "markDefaulted", token_id)
    return on_piece(ledger, actor, idempotency, token_id, call, "piece.mark_defaulted")


def attach_evidence(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, token_id: int, evidence_hash: str
) -> OperationView:
    """The holder anchors a document it uploaded (delivery note, photo) on its piece, each
    once, by its SHA-256."""
    digest = bytes32(evidence_hash, "evidence_hash")
    if digest == bytes(32):
        raise InvalidInput("evidence_hash must not be zero")
    with ledger.sessions() as session:
        visible_piece(session, actor, token_id)
        # Only what one uploaded: an anchor lets whoever sees the piece read the document.
        require_uploaded(session=session, actor=actor, sha256=digest.hex())
    call = token_call(ledger, "attachEvidence", token_id, digest)
    return submit(ledger, actor, idempotency, call, "piece.evidence")


# -- reads (who sees what: services.visibility) ------------------------------------------


def list_pieces(
    session: Session,
    actor: Actor,
    *,
    after: int | None,
    limit: int,
    holder: str | None = None,
    state: str | None = None,
    slot: int | None = None,
    debtor: str | None = None,
    due_from: int | None = None,
    due_to: int | None = None,
    document_hash: str | None = None,
) -> Sequence[tuple[Piece, Receivable]]:
    """Visible pieces in token id order, after the cursor `after`; `debtor`, the due
    range (Unix seconds, inclusive) and `document_hash` (0x-hex, any case) filter by the
    piece's receivable."""
    where: list[Any] = []
    of_receivable: list[Any] = []
    if debtor is not None:
        of_receivable.append(Receivable.debtor == to_checksum_address(debtor))
    if due_from is not None:
        of_receivable.append(Receivable.due_date >= due_from)
    if due_to is not None:
        of_receivable.append(Receivable.due_date <= due_to)
    if document_hash is not None:  # the indexer keeps it as lower-case hex
        of_receivable.append(Receivable.document_hash == document_hash.lower())
    if of_receivable:  # a condition on Piece, as every reason's select takes
        where.append(Piece.slot.in_(select(Receivable.slot).where(*of_receivable)))
    if after is not None:
        where.append(Piece.token_id > after)
    if holder is not None:
        where.append(Piece.holder == to_checksum_address(holder))
    if state is not None:
        where.append(Piece.state == state)
    if slot is not None:
        where.append(Piece.slot == slot)
    query = select(Piece, Receivable).join(Receivable, Receivable.slot == Piece.slot).where(*where)
    own = holder is not None and to_checksum_address(holder) == actor.address
    if not (actor.is_auditor or own):  # what one holds, one sees
        # Not a filter on a walk of every piece in id order (a participant who sees a few
        # pieces would make it walk the whole book): the first `limit` ids of each reason.
        visible = visible_token_ids(actor, where, limit, after)
        query = query.where(Piece.token_id.in_(visible))
    rows = session.execute(query.order_by(Piece.token_id).limit(limit)).all()
    return [(piece, receivable) for piece, receivable in rows]


def piece_with_receivable(
    session: Session, actor: Actor, token_id: int
) -> tuple[Piece, Receivable]:
    """A piece the actor may see (RecordNotFound otherwise) and its receivable."""
    piece = visible_piece(session, actor, token_id)
    receivable = session.get(Receivable, piece.slot)
    if receivable is None:  # the indexer writes the slot before its pieces
        raise RecordNotFound(kind="receivable", key=piece.slot)
    return piece, receivable


def piece_transfers(session: Session, actor: Actor, token_id: int) -> list[PieceTransfer]:
    """A visible piece's moves: whole transfers of it and splits out of it, in chain order."""
    visible_piece(session, actor, token_id)
    return list(
        session.scalars(
            select(PieceTransfer)
            .where(
                or_(
                    and_(PieceTransfer.token_id == token_id, PieceTransfer.kind != "split"),
                    PieceTransfer.from_token_id == token_id,
                )
            )
            .order_by(PieceTransfer.block_number, PieceTransfer.log_index)
        )
    )


def evidence_of(session: Session, actor: Actor, token_id: int) -> list[Evidence]:
    """The evidence hashes anchored on a visible piece, in the order they were attached."""
    visible_piece(session, actor, token_id)
    return list(
        session.scalars(select(Evidence).where(Evidence.token_id == token_id).order_by(Evidence.id))
    )
