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

from scfledger.chain.pipeline import ContractCall, OperationView, Pipeline
from scfledger.db.projections import (
    ChainEvent,
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
OPEN_REQUEST = ("requested", "approved")
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


def _member(session: Session, address: str, what: str) -> Member:
    if not is_address(address):
        raise InvalidInput(f"{what} {address!r} is not an address")
    member = session.get(Member, to_checksum_address(address))
    if member is None:
        raise RecordNotFound(kind="member", key=address)
    if member.status != "active":
        raise WrongState(kind="member", key=address, state=member.status, action=f"use as {what}")
    return member


def _submit(
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
        member = _member(session, creditor, "creditor")
        require_uploaded(session=session, actor=actor, sha256=document.hex())
    call = ContractCall(
        "ReceivableToken",
        ledger.contracts.token,
        "issue",
        (member.address, face_amount, currency.encode(), due_date, document),
    )
    return _submit(ledger, actor, idempotency, call, "receivable.issue")


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
    return _submit(ledger, actor, idempotency, call, "receivable.accept")


def reject_receivable(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, slot: int, reason: str
) -> OperationView:
    """The creditor refuses a pending receivable; its document may be confirmed again."""
    with ledger.sessions() as session:
        _pending_receivable(session, actor, slot, party="creditor", action="reject")
    call = ContractCall(
        "ReceivableToken", ledger.contracts.token, "reject", (slot, bytes32(reason, "reason"))
    )
    return _submit(ledger, actor, idempotency, call, "receivable.reject")


def cancel_receivable(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, slot: int
) -> OperationView:
    """The debtor withdraws a receivable its creditor has not accepted yet."""
    with ledger.sessions() as session:
        _pending_receivable(session, actor, slot, party="debtor", action="cancel")
    actor.require(CORE_ENTERPRISE, "cancel receivables")  # e.g. a suspended debtor
    call = ContractCall("ReceivableToken", ledger.contracts.token, "cancel", (slot,))
    return _submit(ledger, actor, idempotency, call, "receivable.cancel")


def _held_piece(session: Session, actor: Actor, token_id: int, action: str) -> Piece:
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
        piece = _held_piece(session, actor, token_id, "transfer")
        if value > piece.value:
            raise InvalidInput(f"value {value} exceeds the piece's value {piece.value}")
        receiver = _member(session, to, "receiver")
    call = ContractCall(
        "ReceivableToken",
        ledger.contracts.token,
        "transferFrom",
        (token_id, receiver.address, value),
    )
    return _submit(ledger, actor, idempotency, call, "piece.transfer")


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
    return _submit(ledger, actor, idempotency, call, "piece.evidence")


def request_financing(
    *,
    ledger: Ledger,
    actor: Actor,
    idempotency: Idempotency,
    token_id: int,
    financier: str,
    amount: int,
    rate_bps: int,
    mode: str,
    recourse: bool,
) -> OperationView:
    """The holder asks a financier for an advance on its piece (the piece gets locked)."""
    with ledger.sessions() as session:
        piece = _held_piece(session, actor, token_id, "request financing")
        if amount > piece.value:
            raise InvalidInput(f"amount {amount} exceeds the piece's value {piece.value}")
        bank = _member(session, financier, "financier")
        if not bank.roles & FINANCIER:
            raise InvalidInput(f"{financier} is not a financier")
    call = ContractCall(
        "Financing",
        ledger.contracts.financing,
        "request",
        (token_id, bank.address, amount, rate_bps, MODES[mode], recourse),
    )
    return _submit(ledger, actor, idempotency, call, "financing.request")


def _own_request(session: Session, actor: Actor, request_id: int, action: str) -> FinancingRequest:
    """A request the actor may see (else 404) and decides as its financier (else 403)."""
    request = visible_request(session, actor, request_id)
    if request.financier != actor.address:
        raise ActionForbidden(
            actor=actor.participant, action=action, reason="only the named financier decides"
        )
    actor.require(FINANCIER, f"{action} financing")  # e.g. a suspended financier
    return request


def approve_financing(
    *,
    ledger: Ledger,
    actor: Actor,
    idempotency: Idempotency,
    request_id: int,
    amount: int | None,
    rate_bps: int | None,
) -> OperationView:
    """The financier approves a request, at the asked terms unless others are given."""
    with ledger.sessions() as session:
        request = _own_request(session, actor, request_id, "approve")
        if request.status != "requested":
            raise WrongState(
                kind="financing request", key=request_id, state=request.status, action="approve"
            )
        terms = (
            amount if amount is not None else request.amount,
            rate_bps if rate_bps is not None else request.rate_bps,
        )
    call = ContractCall("Financing", ledger.contracts.financing, "approve", (request_id, *terms))
    return _submit(ledger, actor, idempotency, call, "financing.approve")


def fund_financing(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, request_id: int, payment_ref: str
) -> OperationView:
    """The financier records the advance's payment; the piece is assigned or pledged."""
    with ledger.sessions() as session:
        request = _own_request(session, actor, request_id, "fund")
        if request.status != "approved":
            raise WrongState(
                kind="financing request", key=request_id, state=request.status, action="fund"
            )
    call = ContractCall(
        "Financing",
        ledger.contracts.financing,
        "fund",
        (request_id, bytes32(payment_ref, "payment_ref")),
    )
    return _submit(ledger, actor, idempotency, call, "financing.fund")


def reject_financing(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, request_id: int, reason: str
) -> OperationView:
    """The financier refuses an open request; the piece is unlocked."""
    with ledger.sessions() as session:
        request = _own_request(session, actor, request_id, "reject")
        if request.status not in OPEN_REQUEST:
            raise WrongState(
                kind="financing request", key=request_id, state=request.status, action="reject"
            )
    call = ContractCall(
        "Financing",
        ledger.contracts.financing,
        "reject",
        (request_id, bytes32(reason, "reason")),
    )
    return _submit(ledger, actor, idempotency, call, "financing.reject")


def withdraw_financing(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, request_id: int
) -> OperationView:
    """The requester withdraws a request not yet funded; the piece is unlocked."""
    with ledger.sessions() as session:
        request = visible_request(session, actor, request_id)
        if request.requester != actor.address:
            raise ActionForbidden(
                actor=actor.participant, action="withdraw", reason="only the requester withdraws"
            )
        if request.status not in OPEN_REQUEST:
            raise WrongState(
                kind="financing request", key=request_id, state=request.status, action="withdraw"
            )
    call = ContractCall("Financing", ledger.contracts.financing, "withdraw", (request_id,))
    return _submit(ledger, actor, idempotency, call, "financing.withdraw")


def repay_financing(
    *, ledger: Ledger, actor: Actor, idempotency: Idempotency, request_id: int, payment_ref: str
) -> OperationView:
    """Repayment of a funded pledge loan: the financier confirms an off-chain payment, or the
    borrower pays on chain (the contract accepts the borrower only with a deposit token)."""
    with ledger.sessions() as session:
        request = visible_request(session, actor, request_id)
        if actor.address == request.requester and ledger.contracts.deposit_token is None:
            raise ActionForbidden(
                actor=actor.participant,
                action="repay",
                reason="without a deposit token the financier confirms the repayment",
            )
        if actor.address not in (request.financier, request.requester):
            raise ActionForbidden(
                actor=actor.participant,
                action="repay",
                reason="only the financier or the borrower repays",
            )
        actor.require_active("repay")
        if request.status != "funded":
            raise WrongState(
                kind="financing request", key=request_id, state=request.status, action="repay"
            )
        if request.mode != "pledge":
            raise WrongState(
                kind="financing request",
                key=request_id,
                state=f"{request.mode}, not a pledge",
                action="repay",
            )
    call = ContractCall(
        "Financing",
        ledger.contracts.financing,
        "repay",
        (request_id, bytes32(payment_ref, "payment_ref")),
    )
    return _submit(ledger, actor, idempotency, call, "financing.repay")


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
    `settleBatch` for several, all or none). The due date is checked by the contract at
    estimation: the read model does not know the chain's clock."""
    if not 1 <= len(token_ids) <= MAX_SETTLE_BATCH:
        raise InvalidInput(f"settle 1 to {MAX_SETTLE_BATCH} pieces at once")
    if len(set(token_ids)) != len(token_ids):
        raise InvalidInput("token_ids repeat a piece")
    ref = bytes32(payment_ref, "payment_ref")
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
        holders = {
            m.address: m
            for m in session.scalars(
                select(Member).where(Member.address.in_({p.holder for p in pieces.values()}))
            )
        }
        for token_id in token_ids:
            piece = pieces.get(token_id)
            if piece is None or piece.slot != slot:
                raise InvalidInput(f"piece {token_id} is not a piece of receivable {slot}")
            if piece.state not in SETTLEABLE:
                raise WrongState(kind="piece", key=token_id, state=piece.state, action="settle")
            holder = holders.get(piece.holder)
            if holder is None or holder.status != "active":
                state = "held by a suspended member" if holder else "held by a non-member"
                raise WrongState(kind="piece", key=token_id, state=state, action="settle")
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
    return _submit(ledger, actor, idempotency, call, "receivable.settle")


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


def operation_events(session: Session, tx_hash: str | None) -> list[ChainEvent]:
    """The indexed events of an operation's transaction: the ids it created."""
    if tx_hash is None:
        return []
    return list(
        session.scalars(
            select(ChainEvent).where(ChainEvent.tx_hash == tx_hash).order_by(ChainEvent.log_index)
        )
    )
