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
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from scfledger.chain.pipeline import ContractCall, OperationView, Pipeline
from scfledger.db.projections import (
    ChainEvent,
    FinancingRequest,
    Member,
    Piece,
    PieceTransfer,
    Receivable,
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

    def require(self, role: int, action: str) -> None:
        if self.status != "active":
            raise ActionForbidden(
                actor=self.participant, action=action, reason=f"member is {self.status}"
            )
        if not self.roles & role:
            raise ActionForbidden(
                actor=self.participant, action=action, reason=f"needs role {ROLE_NAMES[role]}"
            )


@dataclass(frozen=True)
class Contracts:
    registry: str
    token: str
    financing: str

    @classmethod
    def of(cls, addresses: dict[str, str]) -> Contracts:
        return cls(
            registry=addresses["ConsortiumRegistry"],
            token=addresses["ReceivableToken"],
            financing=addresses["Financing"],
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


def _member(session: Session, address: str, what: str) -> Member:
    if not is_address(address):
        raise InvalidInput(f"{what} {address!r} is not an address")
    member = session.get(Member, to_checksum_address(address))
    if member is None:
        raise RecordNotFound(kind="member", key=address)
    if member.status != "active":
        raise WrongState(kind="member", key=address, state=member.status, action=f"use as {what}")
    return member


def _submit(ledger: Ledger, actor: Actor, key: str, call: ContractCall, kind: str) -> OperationView:
    return ledger.pipeline.submit(
        participant=actor.participant, idempotency_key=key, call=call, kind=kind
    )


def replay(ledger: Ledger, actor: Actor, key: str) -> OperationView | None:
    """The operation already accepted under this idempotency key, if any."""
    return ledger.pipeline.find(actor.participant, key)


# -- writes ----------------------------------------------------------------------------


def issue(
    *,
    ledger: Ledger,
    actor: Actor,
    idempotency_key: str,
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
    return _submit(ledger, actor, idempotency_key, call, "receivable.issue")


def accept(*, ledger: Ledger, actor: Actor, idempotency_key: str, slot: int) -> OperationView:
    """The first creditor accepts a pending receivable (two-party confirmation)."""
    with ledger.sessions() as session:
        receivable = session.get(Receivable, slot)
        if receivable is None or actor.address not in (receivable.creditor, receivable.debtor):
            raise RecordNotFound(kind="receivable", key=slot)
        if receivable.creditor != actor.address:
            raise ActionForbidden(
                actor=actor.participant, action="accept", reason="only the creditor accepts"
            )
        if receivable.status != "pending":
            raise WrongState(kind="receivable", key=slot, state=receivable.status, action="accept")
    call = ContractCall("ReceivableToken", ledger.contracts.token, "accept", (slot,))
    return _submit(ledger, actor, idempotency_key, call, "receivable.accept")


def _held_piece(session: Session, actor: Actor, token_id: int, action: str) -> Piece:
    piece = visible_piece(session, actor, token_id)
    if piece.holder != actor.address:
        raise ActionForbidden(
            actor=actor.participant, action=action, reason=f"not the holder of piece {token_id}"
        )
    if piece.state != "active":
        raise WrongState(kind="piece", key=token_id, state=piece.state, action=action)
    return piece


def transfer(
    *, ledger: Ledger, actor: Actor, idempotency_key: str, token_id: int, to: str, value: int
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
    return _submit(ledger, actor, idempotency_key, call, "piece.transfer")


def request_financing(
    *,
    ledger: Ledger,
    actor: Actor,
    idempotency_key: str,
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
    return _submit(ledger, actor, idempotency_key, call, "financing.request")


def _own_request(session: Session, actor: Actor, request_id: int, action: str) -> FinancingRequest:
    request = visible_request(session, actor, request_id)
    if request.financier != actor.address:
        raise ActionForbidden(
            actor=actor.participant, action=action, reason="only the named financier decides"
        )
    return request


def approve_financing(
    *,
    ledger: Ledger,
    actor: Actor,
    idempotency_key: str,
    request_id: int,
    amount: int | None,
    rate_bps: int | None,
) -> OperationView:
    """The financier approves a request, at the asked terms unless others are given."""
    actor.require(FINANCIER, "approve financing")
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
    return _submit(ledger, actor, idempotency_key, call, "financing.approve")


def fund_financing(
    *, ledger: Ledger, actor: Actor, idempotency_key: str, request_id: int, payment_ref: str
) -> OperationView:
    """The financier records the advance's payment; the piece is assigned or pledged."""
    actor.require(FINANCIER, "fund financing")
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
    return _submit(ledger, actor, idempotency_key, call, "financing.fund")


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
) -> Sequence[tuple[Piece, Receivable]]:
    """Visible pieces in token id order, after the cursor `after`."""
    query = select(Piece, Receivable).join(Receivable, Receivable.slot == Piece.slot)
    if not actor.is_auditor:
        query = query.where(_visible_clause(actor))
    if after is not None:
        query = query.where(Piece.token_id > after)
    if holder is not None:
        query = query.where(Piece.holder == to_checksum_address(holder))
    if state is not None:
        query = query.where(Piece.state == state)
    if slot is not None:
        query = query.where(Piece.slot == slot)
    rows = session.execute(query.order_by(Piece.token_id).limit(limit)).all()
    return [(piece, receivable) for piece, receivable in rows]


def visible_request(session: Session, actor: Actor, request_id: int) -> FinancingRequest:
    request = session.get(FinancingRequest, request_id)
    if request is None or not (
        actor.is_auditor or actor.address in (request.requester, request.financier)
    ):
        raise RecordNotFound(kind="financing request", key=request_id)
    return request


def operation_events(session: Session, tx_hash: str | None) -> list[ChainEvent]:
    """The indexed events of an operation's transaction: the ids it created."""
    if tx_hash is None:
        return []
    return list(
        session.scalars(
            select(ChainEvent).where(ChainEvent.tx_hash == tx_hash).order_by(ChainEvent.log_index)
        )
    )
