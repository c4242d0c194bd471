"""Use cases of the ledger: checked against the read model, then submitted through the pipeline.

Every write first looks the records up in the index (unknown -> RecordNotFound, not the
caller's -> ActionForbidden, wrong state -> WrongState), so a request that cannot succeed
spends no transaction; the contracts check everything again on chain.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils.address import is_address, to_checksum_address
from sqlalchemy import and_, or_, select, union
from sqlalchemy.orm import Session, sessionmaker

from scfledger.chain.calls import ContractCall
from scfledger.db.projections import (
    ChainEvent,
    EscrowBalance,
    Evidence,
    FinancingRequest,
    Member,
    Piece,
    PieceTransfer,
    Receivable,
    Settlement,
)
from scfledger.exceptions import (
    ActionForbidden,
    InvalidInput,
    RecordNotFound,
    WrongState,
)
from scfledger.outbox.operation import OperationView
from scfledger.outbox.pipeline import Pipeline
from scfledger.services.documents import require_uploaded
from scfledger.services.visibility import (
    list_events,
    request_clause,
    sees_receivable,
    settlement_reasons,
    visible_piece,
    visible_request,
    visible_token_ids,
)

__all__ = ["list_events", "visible_piece", "visible_request"]  # reads the routes use from here

ADMIN = 1 << 0
CORE_ENTERPRISE = 1 << 1
SUPPLIER = 1 << 2
FINANCIER = 1 << 3
AUDITOR = 1 << 4
ROLE_NAMES = {
    ADMIN: "admin",
    CORE_ENTERPRISE: "core_enterprise",
    SUPPLIER: "supplier",
    FINANCIER: "financier",
    AUDITOR: "auditor",
}
MODES = {"factoring": 0, "pledge": 1}
MAX_EVIDENCE_PER_PIECE = 32  # ReceivableToken.MAX_EVIDENCE_PER_PIECE
MAX_SETTLE_BATCH = 50  # ReceivableToken.MAX_SETTLE_BATCH
SETTLEABLE = ("active", "financed", "overdue", "defaulted")
BYTES32 = re.compile(r"^0x[0-9a-fA-F]{64}$")


def role_names(roles: int) -> list[str]:
    return [name for bit, name in ROLE_NAMES.items() if roles & bit]


@dataclass(frozen=True)
class Actor:
    """The participant a request acts for: its gateway name and on-chain member record."""

    participant: str
    address: str
    roles: int
    status: str

    @property
    def is_auditor(self) -> bool:
        return bool(self.roles & AUDITOR)

    def require_active(self, action: str) -> None:
        """Only active members act: not one that is suspended or not (yet) admitted."""
        if self.status != "active":
            raise ActionForbidden(
                actor=self.participant, action=action, reason=f"member is {self.status}"
            )

    def require(self, role: int, action: str) -> None:
        self.require_active(action)
        if not self.roles & role:
            raise ActionForbidden(
                actor=self.participant, action=action, reason=f"needs role {ROLE_NAMES[role]}"
            )


@dataclass(frozen=True)
class Idempotency:
    """A write's idempotency key and the fingerprint of the request it came with: a key
    names one request, so the same key with another fingerprint is a conflict."""

    key: str
    request_hash: str


@dataclass(frozen=True)
class Contracts:
    registry: str
    token: str
    financing: str
    deposit_token: str | None = None  # where delivery versus payment settles on chain

    @classmethod
    def of(cls, addresses: dict[str, str]) -> Contracts:
        return cls(
            registry=addresses["ConsortiumRegistry"],
            token=addresses["ReceivableToken"],
            financing=addresses["Financing"],
            deposit_token=addresses.get("DepositToken"),
        )


@dataclass(frozen=True)
class Ledger:
    """What the use cases need: the read model, the pipeline and the contract addresses."""

    sessions: sessionmaker[Session]
    pipeline: Pipeline
    contracts: Contracts


def actor_for(session: Session, *, participant: str, address: str) -> Actor:
    """The member behind an API key; a key of a non-member can read nothing and act on nothing."""
    member = session.get(Member, to_checksum_address(address))
    if member is None:
        return Actor(participant=participant, address=address, roles=0, status="not-admitted")
    return Actor(
        participant=participant, address=member.address, roles=member.roles, status=member.status
    )


def bytes32(value: str, field: str) -> bytes:
    """A 0x-prefixed 32-byte hex value, or the SHA-256 of any other text (a reference)."""
    if BYTES32.fullmatch(value):
        return bytes.fromhex(value[2:])
    if value.startswith("0x"):
        raise InvalidInput(f"{field} must be 32 bytes of hex (0x + 64 digits) or plain text")
    return hashlib.sha256(value.encode()).digest()


def checked_address(value: str, what: str = "address") -> str:
    """`value` checksummed, or InvalidInput when it is not an address."""
    if not is_address(value):
        raise InvalidInput(f"{what} {value!r} is not an address")
    return to_checksum_address(value)


def member_of(session: Session, address: str, what: str, *, active: bool = True) -> Member:
    """The member at `address` (active, unless `active` is False)."""
    if not is_address(address):
        raise InvalidInput(f"{what} {address!r} is not an address")
    member = session.get(Member, to_checksum_address(address))
    if member is None:
        raise RecordNotFound(kind="member", key=address)
    if active and member.status != "active":
        raise WrongState(kind="member", key=address, state=member.status, action=f"use as {what}")
    return member


def submit(
    ledger: Ledger, actor: Actor, idempotency: Idempotency, call: ContractCall, kind: str
) -> OperationView:
    return ledger.pipeline.submit(
        participant=actor.participant,
        idempotency_key=idempotency.key,
        request_hash=idempotency.request_hash,
        call=call,
        kind=kind,
    )


# -- writes ----------------------------------------------------------------------------


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
    actor.require(CORE_ENTERPRISE, "issue receivables")
    document = bytes32(document_hash, "document_hash")
    with ledger.sessions() as session:
        member = member_of(session, creditor, "creditor")
        require_uploaded(session=session, actor=actor, sha256=document.hex())
    call = ContractCall(
        "ReceivableToken",
        ledger.contracts.token,
        "issue",
        (member.address, face_amount, currency.encode(), due_date, document),
    )
    return submit(ledger, actor, idempotency, call, "receivable.issue")


def _pending_receivable(
    session: Session, actor: Actor, slot: int, *, party: str, action: str
) -> Receivable:
    """A receivable awaiting its creditor's decision, on which `party` (creditor or debtor)
    acts; only its two parties and auditors see it (its root is its only piece)."""
    receivable = session.get(Receivable, slot)
    if receivable is None or not sees_receivable(session, actor, receivable):
        raise RecordNotFound(kind="receivable", key=slot)
    if getattr(receivable, party) != actor.address:
        raise ActionForbidden(
            actor=actor.participant, action=action, reason=f"only the {party} may {action}"
        )
    if receivable.status != "pending":
        raise WrongState(kind="receivable", key=slot, state=receivable.status, action=action)
    return receivable


def accept(*, ledger: Ledger, actor: Actor, idempotency: Idempotency, slot: int) -> OperationView:
    """The first creditor accepts a pending receivable (two-party confirmation)."""
    with ledger.sessions() as session:
        _pending_receivable(session, actor, slot, party="creditor", action="accept")
    call = ContractCall("ReceivableToken", ledger.contracts.token, "accept", (slot,))
    return submit(ledger, actor, idempotency, call, "receivable.accept")


def reject_receivable(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, slot: int, reason: str
) -> OperationView:
    """The creditor refuses a pending receivable; its document may be confirmed again."""
    with ledger.sessions() as session:
        _pending_receivable(session, actor, slot, party="creditor", action="reject")
    call = ContractCall(
        "ReceivableToken", ledger.contracts.token, "reject", (slot, bytes32(reason, "reason"))
    )
    return submit(ledger, actor, idempotency, call, "receivable.reject")


def cancel_receivable(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, slot: int
) -> OperationView:
    """The debtor withdraws a receivable its creditor has not accepted yet."""
    with ledger.sessions() as session:
        _pending_receivable(session, actor, slot, party="debtor", action="cancel")
    actor.require(CORE_ENTERPRISE, "cancel receivables")  # e.g. a suspended debtor
    call = ContractCall("ReceivableToken", ledger.contracts.token, "cancel", (slot,))
    return submit(ledger, actor, idempotency, call, "receivable.cancel")


def expire_receivable(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, slot: int
) -> OperationView:
    """Lapses a receivable its creditor did not accept by its deadline (any active member
    who sees it; the contract checks the clock): its document anchor is released."""
    actor.require_active("expire receivables")
    with ledger.sessions() as session:
        receivable = session.get(Receivable, slot)
        if receivable is None or not sees_receivable(session, actor, receivable):
            raise RecordNotFound(kind="receivable", key=slot)
        if receivable.status != "pending":
            raise WrongState(kind="receivable", key=slot, state=receivable.status, action="expire")
    call = ContractCall("ReceivableToken", ledger.contracts.token, "expire", (slot,))
    return submit(ledger, actor, idempotency, call, "receivable.expire")


def held_piece(session: Session, actor: Actor, token_id: int, action: str) -> Piece:
    actor.require_active(action)
    piece = visible_piece(session, actor, token_id)
    if piece.holder != actor.address:
        raise ActionForbidden(
            actor=actor.participant, action=action, reason=f"not the holder of piece {token_id}"
        )
    if piece.state != "active":
        raise WrongState(kind="piece", key=token_id, state=piece.state, action=action)
    return piece


def transfer(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, token_id: int, to: str, value: int
) -> OperationView:
    """The holder sends `value` of a piece to another member (a new child piece)."""
    with ledger.sessions() as session:
        piece = held_piece(session, actor, token_id, "transfer")
        if value > piece.value:
            raise InvalidInput(f"value {value} exceeds the piece's value {piece.value}")
        receiver = member_of(session, to, "receiver")
    call = ContractCall(
        "ReceivableToken",
        ledger.contracts.token,
        "transferFrom",
        (token_id, receiver.address, value),
    )
    return submit(ledger, actor, idempotency, call, "piece.transfer")


def _sent_piece(session: Session, actor: Actor, token_id: int, *, party: str, action: str) -> Piece:
    """A piece sent and awaiting its receiver's signature (签收), on which `party` (the
    receiver, who holds it, or its sender) acts."""
    actor.require_active(action)
    piece = visible_piece(session, actor, token_id)
    if piece.state != "pending" or piece.sender is None:
        state = "a receivable awaiting its creditor" if piece.state == "pending" else piece.state
        raise WrongState(kind="piece", key=token_id, state=state, action=action)
    who = piece.holder if party == "receiver" else piece.sender
    if who != actor.address:
        raise ActionForbidden(
            actor=actor.participant, action=action, reason=f"only the {party} may {action}"
        )
    return piece


def accept_piece(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, token_id: int
) -> OperationView:
    """The receiver signs for a piece sent to it (签收): it becomes active."""
    with ledger.sessions() as session:
        _sent_piece(session, actor, token_id, party="receiver", action="sign for it")
    call = ContractCall("ReceivableToken", ledger.contracts.token, "acceptPiece", (token_id,))
    return submit(ledger, actor, idempotency, call, "piece.accept")


def refuse_piece(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, token_id: int, reason: str
) -> OperationView:
    """The receiver refuses a piece sent to it; its value goes back to the sender."""
    with ledger.sessions() as session:
        _sent_piece(session, actor, token_id, party="receiver", action="refuse it")
    call = ContractCall(
        "ReceivableToken",
        ledger.contracts.token,
        "refusePiece",
        (token_id, bytes32(reason, "reason")),
    )
    return submit(ledger, actor, idempotency, call, "piece.refuse")


def recall_piece(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, token_id: int
) -> OperationView:
    """The sender takes back a piece its receiver has not signed for yet."""
    with ledger.sessions() as session:
        _sent_piece(session, actor, token_id, party="sender", action="recall it")
    call = ContractCall("ReceivableToken", ledger.contracts.token, "recallPiece", (token_id,))
    return submit(ledger, actor, idempotency, call, "piece.recall")


def attach_evidence(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, token_id: int, evidence_hash: str
) -> OperationView:
    """The holder anchors a document it uploaded (delivery note, photo) on its piece, each
    once, by its SHA-256."""
    digest = bytes32(evidence_hash, "evidence_hash")
    if digest == bytes(32):
        raise InvalidInput("evidence_hash must not be zero")
    hex_hash = "0x" + digest.hex()
    with ledger.sessions() as session:
        piece = visible_piece(session, actor, token_id)
        if piece.holder != actor.address:
            raise ActionForbidden(
                actor=actor.participant,
                action="attach evidence",
                reason=f"not the holder of piece {token_id}",
            )
        if actor.status != "active":
            raise ActionForbidden(
                actor=actor.participant,
                action="attach evidence",
                reason=f"member is {actor.status}",
            )
        if piece.state in ("rejected", "cancelled"):
            raise WrongState(
                kind="piece", key=token_id, state=piece.state, action="attach evidence"
            )
        attached = list(
            session.scalars(select(Evidence.evidence_hash).where(Evidence.token_id == token_id))
        )
        if hex_hash in (h.lower() for h in attached):
            raise WrongState(
                kind="piece", key=token_id, state=f"already anchored {hex_hash}", action="attach it"
            )
        if len(attached) >= MAX_EVIDENCE_PER_PIECE:
            raise WrongState(
                kind="piece",
                key=token_id,
                state=f"at its {MAX_EVIDENCE_PER_PIECE} evidence hashes",
                action="attach evidence",
            )
        # Only what one uploaded: an anchor lets whoever sees the piece read the document.
        require_uploaded(session=session, actor=actor, sha256=digest.hex())
    call = ContractCall(
        "ReceivableToken", ledger.contracts.token, "attachEvidence", (token_id, digest)
    )
    return submit(ledger, actor, idempotency, call, "piece.evidence")


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
    and each piece awaits its payee's confirmation. The due date is checked by the contract
    at estimation: the read model does not know the chain's clock."""
    if not 1 <= len(token_ids) <= MAX_SETTLE_BATCH:
        raise InvalidInput(f"settle 1 to {MAX_SETTLE_BATCH} pieces at once")
    if len(set(token_ids)) != len(token_ids):
        raise InvalidInput("token_ids repeat a piece")
    ref = bytes32(payment_ref, "payment_ref")
    if ref == bytes(32):
        raise InvalidInput("payment_ref must not be zero: it is the payee's evidence")
    with ledger.sessions() as session:
        receivable = session.get(Receivable, slot)
        if receivable is None or not sees_receivable(session, actor, receivable):
            raise RecordNotFound(kind="receivable", key=slot)
        if receivable.debtor != actor.address:
            raise ActionForbidden(
                actor=actor.participant, action="settle", reason="only the debtor settles"
            )
        actor.require(CORE_ENTERPRISE, "settle")  # e.g. a suspended debtor
        pieces = {
            p.token_id: p
            for p in session.scalars(select(Piece).where(Piece.token_id.in_(token_ids)))
        }
        for token_id in token_ids:
            piece = pieces.get(token_id)
            if piece is None or piece.slot != slot:
                raise InvalidInput(f"piece {token_id} is not a piece of receivable {slot}")
            if piece.state not in SETTLEABLE:
                raise WrongState(kind="piece", key=token_id, state=piece.state, action="settle")
    if len(token_ids) == 1:
        call = ContractCall(
            "ReceivableToken", ledger.contracts.token, "settle", (token_ids[0], ref)
        )
    else:
        call = ContractCall(
            "ReceivableToken",
            ledger.contracts.token,
            "settleBatch",
            (slot, list(token_ids), ref),
        )
    return submit(ledger, actor, idempotency, call, "receivable.settle")


def _awaiting(piece: Piece, action: str) -> None:
    """The piece's off-chain payment awaits its payee's confirmation."""
    if piece.state != "awaiting_confirmation":
        raise WrongState(kind="piece", key=piece.token_id, state=piece.state, action=action)


def _payee_of(session: Session, actor: Actor, token_id: int, action: str) -> None:
    """The actor is the payee due to confirm the visible piece's off-chain payment."""
    actor.require_active(action)
    piece = visible_piece(session, actor, token_id)
    settlement = session.get(Settlement, token_id)
    if settlement is None or settlement.payee != actor.address:
        raise ActionForbidden(
            actor=actor.participant, action=action, reason="only the payee due to confirm may"
        )
    _awaiting(piece, action)


def confirm_payment(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, token_id: int
) -> OperationView:
    """The payee confirms the debtor's off-chain payment: the lien holder its share first
    (the lien closes), then the holder the rest (the piece is settled)."""
    with ledger.sessions() as session:
        _payee_of(session, actor, token_id, "confirm the payment")
    call = ContractCall("ReceivableToken", ledger.contracts.token, "confirmPayment", (token_id,))
    return submit(ledger, actor, idempotency, call, "settlement.confirm")


def dispute_payment(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, token_id: int, reason: str
) -> OperationView:
    """The payee disputes an off-chain payment: the piece is unpaid again, with every remedy;
    the debtor may settle again with another reference."""
    with ledger.sessions() as session:
        _payee_of(session, actor, token_id, "dispute the payment")
    call = ContractCall(
        "ReceivableToken",
        ledger.contracts.token,
        "disputePayment",
        (token_id, bytes32(reason, "reason")),
    )
    return submit(ledger, actor, idempotency, call, "settlement.dispute")


def finalize_settlement(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, token_id: int
) -> OperationView:
    """The debtor finalises a settlement whose confirmation window closed in silence
    (deemed consent; the contract checks the clock)."""
    action = "finalize the settlement"
    with ledger.sessions() as session:
        piece = visible_piece(session, actor, token_id)
        receivable = session.get(Receivable, piece.slot)
        if receivable is None or receivable.debtor != actor.address:
            raise ActionForbidden(
                actor=actor.participant, action=action, reason="only the debtor finalizes"
            )
        actor.require(CORE_ENTERPRISE, action)
        _awaiting(piece, action)
    call = ContractCall(
        "ReceivableToken", ledger.contracts.token, "finalizeSettlement", (token_id,)
    )
    return submit(ledger, actor, idempotency, call, "settlement.finalize")


def claim_escrow(*, ledger: Ledger, actor: Actor, idempotency: Idempotency) -> OperationView:
    """A reinstated member takes the deposit-token payments escrowed for it while it was
    suspended."""
    actor.require_active("claim escrow")
    if ledger.contracts.deposit_token is None:
        raise WrongState(
            kind="deployment", key="DepositToken", state="not deployed", action="claim escrow"
        )
    with ledger.sessions() as session:
        balance = session.get(EscrowBalance, actor.address)
        if balance is None or balance.amount == 0:
            raise WrongState(kind="escrow", key=actor.address, state="empty", action="claim escrow")
    call = ContractCall("DepositToken", ledger.contracts.deposit_token, "claimEscrow", ())
    return submit(ledger, actor, idempotency, call, "escrow.claim")


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
) -> Sequence[tuple[Piece, Receivable]]:
    """Visible pieces in token id order, after the cursor `after`; `debtor` and the due
    range (Unix seconds, inclusive) filter by the piece's receivable."""
    where: list[Any] = []
    of_receivable: list[Any] = []
    if debtor is not None:
        of_receivable.append(Receivable.debtor == to_checksum_address(debtor))
    if due_from is not None:
        of_receivable.append(Receivable.due_date >= due_from)
    if due_to is not None:
        of_receivable.append(Receivable.due_date <= due_to)
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


def list_requests(
    session: Session,
    actor: Actor,
    *,
    after: int | None,
    limit: int,
    status: str | None = None,
    token_id: int | None = None,
) -> list[FinancingRequest]:
    """Financing requests by id after the cursor: those the caller asked for or was asked
    to finance (auditors: all)."""
    where: list[Any] = []
    if after is not None:
        where.append(FinancingRequest.id > after)
    if status is not None:
        where.append(FinancingRequest.status == status)
    if token_id is not None:
        where.append(FinancingRequest.token_id == token_id)
    if not actor.is_auditor:
        where.append(request_clause(actor))
    query = select(FinancingRequest).where(*where).order_by(FinancingRequest.id).limit(limit)
    return list(session.scalars(query))


def evidence_of(session: Session, actor: Actor, token_id: int) -> list[Evidence]:
    """The evidence hashes anchored on a visible piece, in the order they were attached."""
    visible_piece(session, actor, token_id)
    return list(
        session.scalars(select(Evidence).where(Evidence.token_id == token_id).order_by(Evidence.id))
    )


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


def operation_events(session: Session, tx_hash: str | None) -> list[ChainEvent]:
    """The indexed events of an operation's transaction: the ids it created."""
    if tx_hash is None:
        return []
    return list(
        session.scalars(
            select(ChainEvent).where(ChainEvent.tx_hash == tx_hash).order_by(ChainEvent.log_index)
        )
    )
