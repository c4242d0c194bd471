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
from sqlalchemy import BigInteger, and_, any_, bindparam, or_, select, union
from sqlalchemy.dialects.postgresql import ARRAY
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
    """The debtor (a core enterprise) confirms a receivable to its creditor."""
    actor.require(CORE_ENTERPRISE, "issue receivables")
    with ledger.sessions() as session:
        member = _member(session, creditor, "creditor")
    call = ContractCall(
        "ReceivableToken",
        ledger.contracts.token,
        "issue",
        (
            member.address,
            face_amount,
            currency.encode(),
            due_date,
            bytes32(document_hash, "document_hash"),
        ),
    )
    return _submit(ledger, actor, idempotency, call, "receivable.issue")


def _pending_receivable(
    session: Session, actor: Actor, slot: int, *, party: str, action: str
) -> Receivable:
    """A receivable awaiting its creditor's decision, on which `party` (creditor or debtor)
    acts; invisible to anyone but its two parties and auditors."""
    receivable = session.get(Receivable, slot)
    parties = () if receivable is None else (receivable.creditor, receivable.debtor)
    if receivable is None or not (actor.is_auditor or actor.address in parties):
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
    """The holder anchors a further SHA-256 (delivery note, photo) on its piece, each once."""
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


def _sees_receivable(session: Session, actor: Actor, receivable: Receivable) -> bool:
    """Its parties, auditors, and whoever may see one of its pieces."""
    if actor.is_auditor or actor.address in (receivable.creditor, receivable.debtor):
        return True
    visible = select(Piece.token_id).where(Piece.slot == receivable.slot, _visible_clause(actor))
    return session.scalar(visible.limit(1)) is not None


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
        if receivable is None or not _sees_receivable(session, actor, receivable):
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


# -- reads -----------------------------------------------------------------------------


def _visible_clause(actor: Actor) -> Any:
    # Correlated to Piece only: the listing query joins Receivable too.
    held = (
        select(PieceTransfer.id)
        .where(PieceTransfer.token_id == Piece.token_id, PieceTransfer.sender == actor.address)
        .correlate(Piece)
        .exists()
    )
    party = (
        select(Receivable.slot)
        .where(
            Receivable.slot == Piece.slot,
            or_(Receivable.debtor == actor.address, Receivable.creditor == actor.address),
        )
        .correlate(Piece)
        .exists()
    )
    financed = (
        select(FinancingRequest.id)
        .where(
            FinancingRequest.token_id == Piece.token_id,
            FinancingRequest.financier == actor.address,
        )
        .correlate(Piece)
        .exists()
    )
    return or_(Piece.holder == actor.address, held, party, financed)


def _visible_token_ids(
    actor: Actor, where: Sequence[Any], limit: int | None = None, after: int | None = None
) -> Any:
    """The token ids of the pieces `actor` may read (the rule of `_visible_clause`) among
    those matching `where` (conditions on Piece): one select per reason the actor may read a
    piece, each driven by an index on the actor's address (or on the ids in `where`), so the
    cost follows what the actor has to do with, not the size of the book. With `limit`, each
    reason keeps only its `limit` lowest ids: enough for a page of the first `limit` of all.
    `after` (also in `where` as `Piece.token_id > after`) starts the joined tables' scans."""
    address = actor.address
    held_after = [] if after is None else [PieceTransfer.token_id > after]
    financed_after = [] if after is None else [FinancingRequest.token_id > after]
    # Each reason's token id column: its order is its index's ((sender, token_id) ...).
    reasons = [
        (Piece.token_id, select(Piece.token_id).where(Piece.holder == address, *where)),
        (
            PieceTransfer.token_id,
            select(PieceTransfer.token_id)
            .join(Piece, Piece.token_id == PieceTransfer.token_id)
            .where(PieceTransfer.sender == address, *held_after, *where)
            .distinct(),
        ),
        (
            Piece.token_id,
            select(Piece.token_id)
            .join(Receivable, Receivable.slot == Piece.slot)
            .where(or_(Receivable.debtor == address, Receivable.creditor == address), *where),
        ),
        (
            FinancingRequest.token_id,
            select(FinancingRequest.token_id)
            .join(Piece, Piece.token_id == FinancingRequest.token_id)
            .where(FinancingRequest.financier == address, *financed_after, *where)
            .distinct(),
        ),
    ]
    if limit is None:
        return union(*(branch for _, branch in reasons))
    # A subquery each: SQLite takes no LIMIT on a bare member of a UNION.
    subqueries = [branch.order_by(key).limit(limit).subquery() for key, branch in reasons]
    return union(*(select(sub.c.token_id) for sub in subqueries))


def visible_piece(session: Session, actor: Actor, token_id: int) -> Piece:
    """The piece if the actor holds, held, owes, is owed or finances it (auditors: any)."""
    query = select(Piece).where(Piece.token_id == token_id)
    if not actor.is_auditor:
        query = query.where(_visible_clause(actor))
    piece = session.scalars(query).one_or_none()
    if piece is None:
        raise RecordNotFound(kind="piece", key=token_id)
    return piece


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
        visible = _visible_token_ids(actor, where, limit, after)
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
        where.append(
            or_(
                FinancingRequest.requester == actor.address,
                FinancingRequest.financier == actor.address,
            )
        )
    query = select(FinancingRequest).where(*where).order_by(FinancingRequest.id).limit(limit)
    return list(session.scalars(query))


def visible_request(session: Session, actor: Actor, request_id: int) -> FinancingRequest:
    request = session.get(FinancingRequest, request_id)
    if request is None or not (
        actor.is_auditor or actor.address in (request.requester, request.financier)
    ):
        raise RecordNotFound(kind="financing request", key=request_id)
    return request


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
        address = actor.address
        branches = [
            select(Settlement.token_id).where(Settlement.holder == address, *where),
            select(Settlement.token_id).where(Settlement.lien_holder == address, *where),
            select(Settlement.token_id)
            .join(Receivable, Receivable.slot == Settlement.slot)
            .where(Receivable.debtor == address, *where),
        ]
        subqueries = [b.order_by(Settlement.token_id).limit(limit).subquery() for b in branches]
        query = query.where(
            Settlement.token_id.in_(union(*(select(sub.c.token_id) for sub in subqueries)))
        )
    return list(session.scalars(query.order_by(Settlement.token_id).limit(limit)))


# Event arguments naming a piece, a receivable or a financing request.
PIECE_ARGS = ("tokenId", "parentTokenId", "childTokenId", "_tokenId", "_fromTokenId", "_toTokenId")
SLOT_ARGS = ("slot", "_oldSlot", "_newSlot")
REQUEST_ARGS = ("requestId",)
FEED_SCAN = 1000  # rows scanned per feed page at most, whatever the caller may see
# Argument name -> what it names: 0 a piece, 1 a receivable (slot), 2 a financing request.
_ARG_KIND = {
    **dict.fromkeys(PIECE_ARGS, 0),
    **dict.fromkeys(SLOT_ARGS, 1),
    **dict.fromkeys(REQUEST_ARGS, 2),
}


@dataclass(frozen=True)
class FeedView:
    """What a participant may see of the event feed (see `visible_event`)."""

    address: str
    everything: bool
    pieces: frozenset[int]
    slots: frozenset[int]
    requests: frozenset[int]


def _named(args_of: Sequence[dict[str, Any]]) -> tuple[list[int], list[int], list[int]]:
    """The piece, slot and request ids (integers a BIGINT column can hold) the events name."""
    found: tuple[set[int], set[int], set[int]] = (set(), set(), set())
    for args in args_of:
        for name, value in args.items():
            kind = _ARG_KIND.get(name)
            if kind is not None and isinstance(value, int) and 0 <= value < 2**63:
                found[kind].add(int(value))
    return sorted(found[0]), sorted(found[1]), sorted(found[2])


def _among(session: Session, column: Any, ids: list[int]) -> Any:
    """`column IN ids`: on PostgreSQL one array parameter (`= ANY`), not a thousand."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, ids, type_=ARRAY(BigInteger())))
    return column.in_(ids)


def _feed_view(
    session: Session, actor: Actor, args_of: Sequence[dict[str, Any]] | None
) -> FeedView:
    """What the actor may see of the feed; with `args_of` (events' arguments), only as much
    as these events name: `visible_event` answers the same for them."""
    if actor.is_auditor:
        return FeedView(actor.address, True, frozenset(), frozenset(), frozenset())
    address = actor.address
    piece_query: Any = select(Piece.token_id).where(_visible_clause(actor))
    slot_query = select(Receivable.slot).where(
        or_(Receivable.debtor == address, Receivable.creditor == address)
    )
    request_query = select(FinancingRequest.id).where(
        or_(FinancingRequest.requester == address, FinancingRequest.financier == address)
    )
    queries = [piece_query, slot_query, request_query]
    if args_of is not None:
        named = _named(args_of)
        queries = [
            _visible_token_ids(actor, [_among(session, Piece.token_id, named[0])])
            if named[0]
            else None,
            slot_query.where(_among(session, Receivable.slot, named[1])) if named[1] else None,
            request_query.where(_among(session, FinancingRequest.id, named[2]))
            if named[2]
            else None,
        ]
    pieces, slots, requests = (
        frozenset[int]() if query is None else frozenset(session.scalars(query))
        for query in queries
    )
    return FeedView(
        address=address, everything=False, pieces=pieces, slots=slots, requests=requests
    )


def feed_view(session: Session, actor: Actor) -> FeedView:
    return _feed_view(session, actor, None)


def _visible_args(view: FeedView, args: dict[str, Any]) -> bool:
    if view.everything:
        return True
    named = (view.pieces, view.slots, view.requests)
    for name, value in args.items():
        kind = _ARG_KIND.get(name)
        if kind is not None and value in named[kind]:
            return True
    return view.address in args.values()


def visible_event(view: FeedView, event: ChainEvent) -> bool:
    """Auditors see every event. Anyone else sees an event that names its own address, or a
    piece it can read (`visible_piece`), a receivable it is a party to (debtor or creditor)
    or a financing request it can read (`visible_request`)."""
    return _visible_args(view, event.args)


def list_events(
    session: Session, actor: Actor, *, after: int, limit: int
) -> tuple[list[ChainEvent], int]:
    """Visible events after the cursor `after`, in feed order, and the cursor to continue
    from: the last event scanned, which may be past the last one returned (a page scans at
    most FEED_SCAN rows, so a participant who sees little gets short pages, never slow ones)."""
    if actor.is_auditor:
        found = list(
            session.scalars(
                select(ChainEvent)
                .where(ChainEvent.id > after)
                .order_by(ChainEvent.id)
                .limit(min(limit, FEED_SCAN))
            )
        )
        return found, found[-1].id if found else after
    # Scan ids and arguments only (at most FEED_SCAN rows), ask the read model about just
    # the ids they name (not everything the participant can see), then load the events kept.
    scan = session.execute(
        select(ChainEvent.id, ChainEvent.args)
        .where(ChainEvent.id > after)
        .order_by(ChainEvent.id)
        .limit(FEED_SCAN)
    ).all()
    view = _feed_view(session, actor, [args for _, args in scan])
    kept: list[int] = []
    cursor = after
    for event_id, args in scan:
        cursor = event_id
        if _visible_args(view, args):
            kept.append(event_id)
            if len(kept) == limit:
                break
    if not kept:
        return [], cursor
    events = session.scalars(
        select(ChainEvent).where(_among(session, ChainEvent.id, kept)).order_by(ChainEvent.id)
    )
    return list(events), cursor


def operation_events(session: Session, tx_hash: str | None) -> list[ChainEvent]:
    """The indexed events of an operation's transaction: the ids it created."""
    if tx_hash is None:
        return []
    return list(
        session.scalars(
            select(ChainEvent).where(ChainEvent.tx_hash == tx_hash).order_by(ChainEvent.log_index)
        )
    )
