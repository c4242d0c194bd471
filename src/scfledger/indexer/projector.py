"""Applies decoded events, in chain order, to the read-model tables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from scfledger.db.projections import (
    Evidence,
    FinancingHistory,
    FinancingRequest,
    Member,
    Piece,
    PieceTransfer,
    Proposal,
    Receivable,
    Settlement,
)
from scfledger.indexer.decode import DecodedEvent, decode_call
from scfledger.indexer.faults import Fault, describe, is_fault

PIECE_STATES = (
    "none",
    "pending",
    "active",
    "financing",
    "financed",
    "settled",
    "overdue",
    "defaulted",
    "rejected",
    "cancelled",
)
MODES = ("factoring", "pledge")
ZERO_ADDRESS = "0x" + "00" * 20

Handler = Callable[[Session, DecodedEvent], None]


class ProjectionError(RuntimeError):
    """An event refers to a row the projection does not have: the index is inconsistent."""


CACHE = "scf_projection_rows"


def _rows(session: Session) -> dict[tuple[type[Any], Any], Any]:
    """Rows of this transaction by (model, key): found without a query or a flush, and held
    strongly (the session's identity map holds unmodified rows only weakly)."""
    rows: dict[tuple[type[Any], Any], Any] = session.info.setdefault(CACHE, {})
    return rows


def _get(session: Session, model: type[Any], key: Any) -> Any:
    rows = _rows(session)
    row = rows.get((model, key))
    if row is None:
        row = session.get(model, key)
        if row is None:
            raise ProjectionError(f"{model.__tablename__} has no row {key!r}")
        rows[(model, key)] = row
    return row


APPEND = "scf_projection_appends"


def _append(session: Session, model: type[Any], **values: Any) -> None:
    """Queues a row of an append-only table (transfers, history, settlements, evidence):
    nothing reads them back while a batch is applied, so they go in one bulk INSERT."""
    appends: dict[type[Any], list[dict[str, Any]]] = session.info.setdefault(APPEND, {})
    appends.setdefault(model, []).append(values)


def flush_appended(session: Session) -> None:
    """Writes the queued append-only rows, one bulk INSERT per table."""
    appends: dict[type[Any], list[dict[str, Any]]] = session.info.pop(APPEND, {})
    for model, rows in appends.items():
        session.execute(insert(model), rows)


def _add(session: Session, row: Any, key: Any) -> None:
    session.add(row)
    _rows(session)[(type(row), key)] = row


# ---- registry ------------------------------------------------------------------------------


def _member_admitted(session: Session, e: DecodedEvent) -> None:
    a = e.args
    _add(
        session,
        Member(
            address=a["account"],
            name=a["name"],
            legal_id_hash=a["legalIdHash"],
            kyc_hash=a["kycHash"],
            roles=a["roles"],
            status="active",
            admitted_block=e.block_number,
            updated_block=e.block_number,
        ),
        a["account"],
    )


def _member_update(**changes: Any) -> Handler:
    def apply(session: Session, e: DecodedEvent) -> None:
        member = _get(session, Member, e.args["account"])
        for column, source in changes.items():
            setattr(member, column, e.args.get(source, source))
        member.updated_block = e.block_number

    return apply


def _proposal_created(session: Session, e: DecodedEvent) -> None:
    a = e.args
    action, args = decode_call(a["data"])
    _add(
        session,
        Proposal(
            id=a["proposalId"],
            proposer=a["proposer"],
            target=a["target"],
            data=a["data"],
            action=action,
            args=args,
            status="pending",
            approvals=[],
            deadline=a["deadline"],
            created_block=e.block_number,
            updated_block=e.block_number,
        ),
        a["proposalId"],
    )


def _proposal_approval(approved: bool) -> Handler:
    def apply(session: Session, e: DecodedEvent) -> None:
        proposal = _get(session, Proposal, e.args["proposalId"])
        others = [a for a in proposal.approvals if a != e.args["admin"]]
        proposal.approvals = [*others, e.args["admin"]] if approved else others
        proposal.updated_block = e.block_number

    return apply


def _proposal_status(status: str) -> Handler:
    def apply(session: Session, e: DecodedEvent) -> None:
        proposal = _get(session, Proposal, e.args["proposalId"])
        proposal.status = status
        proposal.updated_block = e.block_number

    return apply


# ---- receivable token ----------------------------------------------------------------------


def currency_text(code: bytes) -> str:
    """A `bytes3` currency code as text: the contract takes any non-zero bytes, so NULs (a
    shorter code, or garbage; PostgreSQL text cannot hold them) are dropped and what is
    not ASCII becomes U+FFFD."""
    return code.replace(b"\0", b"").decode("ascii", errors="replace")


def _receivable_issued(session: Session, e: DecodedEvent) -> None:
    a = e.args
    currency = currency_text(bytes.fromhex(a["currency"][2:]))
    _add(
        session,
        Receivable(
            slot=a["slot"],
            debtor=a["debtor"],
            creditor=a["creditor"],
            face_amount=a["faceAmount"],
            currency=currency,
            issue_date=a["issueDate"],
            due_date=a["dueDate"],
            document_hash=a["documentHash"],
            root_token_id=a["tokenId"],
            settled_value=0,
            status="pending",
            issued_block=e.block_number,
        ),
        a["slot"],
    )
    _add(
        session,
        Piece(
            token_id=a["tokenId"],
            slot=a["slot"],
            holder=a["creditor"],
            value=a["faceAmount"],
            parent_token_id=None,
            depth=0,
            state="pending",
            created_block=e.block_number,
            updated_block=e.block_number,
        ),
        a["tokenId"],
    )


def _receivable_decided(status: str) -> Handler:
    def apply(session: Session, e: DecodedEvent) -> None:
        _get(session, Receivable, e.args["slot"]).status = status
        piece = _get(session, Piece, e.args["tokenId"])
        piece.state = status
        piece.updated_block = e.block_number

    return apply


def _piece_split(session: Session, e: DecodedEvent) -> None:
    a = e.args
    parent = _get(session, Piece, a["parentTokenId"])
    parent.value -= a["value"]
    parent.updated_block = e.block_number
    _add(
        session,
        Piece(
            token_id=a["childTokenId"],
            slot=a["slot"],
            holder=a["to"],
            value=a["value"],
            parent_token_id=a["parentTokenId"],
            depth=a["depth"],
            state="active",
            created_block=e.block_number,
            updated_block=e.block_number,
        ),
        a["childTokenId"],
    )
    _append(
        session,
        PieceTransfer,
        tx_hash=e.tx_hash,
        log_index=e.log_index,
        block_number=e.block_number,
        kind="split",
        token_id=a["childTokenId"],
        from_token_id=a["parentTokenId"],
        sender=parent.holder,
        receiver=a["to"],
        value=a["value"],
    )


def _token_transfer(session: Session, e: DecodedEvent) -> None:
    a = e.args
    if ZERO_ADDRESS in (a["from"], a["to"]):
        return  # mints are projected from ReceivableIssued and PieceSplit
    piece = _get(session, Piece, a["tokenId"])
    piece.holder = a["to"]
    piece.updated_block = e.block_number
    _append(
        session,
        PieceTransfer,
        tx_hash=e.tx_hash,
        log_index=e.log_index,
        block_number=e.block_number,
        kind="whole",
        token_id=a["tokenId"],
        from_token_id=None,
        sender=a["from"],
        receiver=a["to"],
        value=piece.value,
    )


def _piece_state_changed(session: Session, e: DecodedEvent) -> None:
    piece = _get(session, Piece, e.args["tokenId"])
    piece.state = PIECE_STATES[e.args["newState"]]
    piece.updated_block = e.block_number


def _piece_settled(session: Session, e: DecodedEvent) -> None:
    a = e.args
    piece = _get(session, Piece, a["tokenId"])
    piece.value -= a["amount"]
    receivable = _get(session, Receivable, a["slot"])
    receivable.settled_value += a["amount"]
    if receivable.settled_value == receivable.face_amount:
        receivable.status = "settled"
    _append(
        session,
        Settlement,
        token_id=a["tokenId"],
        slot=a["slot"],
        holder=a["holder"],
        amount=a["amount"],
        lien_holder=None if a["lienHolder"] == ZERO_ADDRESS else a["lienHolder"],
        lien_amount=a["lienAmount"],
        payment_ref=a["paymentRef"],
        paid_on_chain=a["paidOnChain"],
        block_number=e.block_number,
        tx_hash=e.tx_hash,
    )


def _evidence_attached(session: Session, e: DecodedEvent) -> None:
    _get(session, Piece, e.args["tokenId"])  # a piece the projection lacks: a fault too
    _append(
        session,
        Evidence,
        token_id=e.args["tokenId"],
        evidence_hash=e.args["evidenceHash"],
        attached_by=e.args["by"],
        block_number=e.block_number,
    )


# ---- financing -----------------------------------------------------------------------------


def _history(session: Session, e: DecodedEvent, status: str, amount: int | None = None) -> None:
    _append(
        session,
        FinancingHistory,
        request_id=e.args["requestId"],
        status=status,
        amount=amount,
        tx_hash=e.tx_hash,
        log_index=e.log_index,
        block_number=e.block_number,
    )


def _financing_requested(session: Session, e: DecodedEvent) -> None:
    a = e.args
    _get(session, Piece, a["tokenId"])  # a piece the projection lacks: a fault too
    _add(
        session,
        FinancingRequest(
            id=a["requestId"],
            token_id=a["tokenId"],
            requester=a["requester"],
            financier=a["financier"],
            amount=a["amount"],
            rate_bps=a["rateBps"],
            mode=MODES[a["mode"]],
            recourse=a["recourse"],
            status="requested",
            expires_at=a["expiresAt"],
            payment_ref=None,
            created_block=e.block_number,
            updated_block=e.block_number,
        ),
        a["requestId"],
    )
    _history(session, e, "requested", a["amount"])


def _financing_status(status: str) -> Handler:
    def apply(session: Session, e: DecodedEvent) -> None:
        request = _get(session, FinancingRequest, e.args["requestId"])
        request.status = status
        request.updated_block = e.block_number
        if "rateBps" in e.args:  # approval fixes the terms
            request.amount = e.args["amount"]
            request.rate_bps = e.args["rateBps"]
        if status == "funded":  # the funding reference; repayments keep theirs in the feed
            request.payment_ref = e.args["paymentRef"]
        _history(session, e, status, e.args.get("amount"))

    return apply


HANDLERS: dict[tuple[str, str], Handler] = {
    ("ConsortiumRegistry", "MemberAdmitted"): _member_admitted,
    ("ConsortiumRegistry", "MemberRolesChanged"): _member_update(roles="newRoles"),
    ("ConsortiumRegistry", "MemberSuspended"): _member_update(status="suspended"),
    ("ConsortiumRegistry", "MemberReinstated"): _member_update(status="active"),
    ("ConsortiumRegistry", "MemberKycUpdated"): _member_update(kyc_hash="kycHash"),
    ("ConsortiumRegistry", "ProposalCreated"): _proposal_created,
    ("ConsortiumRegistry", "ProposalApproved"): _proposal_approval(True),
    ("ConsortiumRegistry", "ProposalApprovalRevoked"): _proposal_approval(False),
    ("ConsortiumRegistry", "ProposalExecuted"): _proposal_status("executed"),
    ("ConsortiumRegistry", "ProposalCancelled"): _proposal_status("cancelled"),
    ("ReceivableToken", "ReceivableIssued"): _receivable_issued,
    ("ReceivableToken", "ReceivableAccepted"): _receivable_decided("active"),
    ("ReceivableToken", "ReceivableRejected"): _receivable_decided("rejected"),
    ("ReceivableToken", "ReceivableCancelled"): _receivable_decided("cancelled"),
    ("ReceivableToken", "PieceSplit"): _piece_split,
    ("ReceivableToken", "Transfer"): _token_transfer,
    ("ReceivableToken", "PieceStateChanged"): _piece_state_changed,
    ("ReceivableToken", "PieceSettled"): _piece_settled,
    ("ReceivableToken", "EvidenceAttached"): _evidence_attached,
    ("Financing", "FinancingRequested"): _financing_requested,
    ("Financing", "FinancingWithdrawn"): _financing_status("withdrawn"),
    ("Financing", "FinancingRejected"): _financing_status("rejected"),
    ("Financing", "FinancingApproved"): _financing_status("approved"),
    ("Financing", "FinancingExpired"): _financing_status("expired"),
    ("Financing", "FinancingFunded"): _financing_status("funded"),
    ("Financing", "LoanRepaid"): _financing_status("repaid"),
    ("Financing", "LienSettled"): _financing_status("settled"),
    ("Financing", "RecourseClaimed"): _financing_status("recourse_claimed"),
    ("Financing", "RecourseRepaid"): _financing_status("recourse_repaid"),
}


def preload(session: Session, events: list[DecodedEvent]) -> list[Any]:
    """Loads every existing row the events will touch with one query per table, so that
    applying them finds the rows in the session instead of a query per event. Keep the
    returned list while applying: the session holds unmodified rows only weakly."""
    loaded: list[Any] = []
    keys: dict[type[Any], set[Any]] = {Piece: set(), Receivable: set(), FinancingRequest: set()}
    members: set[str] = set()
    for event in events:
        a = event.args
        for name in ("tokenId", "parentTokenId"):
            if name in a:
                keys[Piece].add(a[name])
        if "slot" in a:
            keys[Receivable].add(a["slot"])
        if "requestId" in a:
            keys[FinancingRequest].add(a["requestId"])
        if event.contract == "ConsortiumRegistry" and "account" in a:
            members.add(a["account"])
    for model, ids in keys.items():
        column = next(iter(model.__table__.primary_key.columns))
        for start in range(0, len(ids), 1000):
            chunk = list(ids)[start : start + 1000]
            loaded += session.scalars(select(model).where(column.in_(chunk))).all()
    if members:
        loaded += session.scalars(select(Member).where(Member.address.in_(members))).all()
    rows = _rows(session)
    for row in loaded:
        rows[(type(row), row.__mapper__.primary_key_from_instance(row)[0])] = row
    return loaded


def apply_event(session: Session, event: DecodedEvent) -> None:
    """Projects one event; events without a projection live only in the feed."""
    handler = HANDLERS.get((event.contract, event.name))
    if handler is not None:
        handler(session, event)


def project(session: Session, events: list[DecodedEvent]) -> list[Fault]:
    """Projects `events` in chain order and flushes them; returns those that could not be.

    All at once first, in one savepoint (the fast path). If that fails on an event's fault
    (`faults.is_fault`), the savepoint is rolled back and the events are applied one by
    one, each in its own savepoint and flushed at once: a failing event leaves no row
    written or changed, and the others are projected. Database trouble is raised."""
    try:
        with session.begin_nested():
            loaded = preload(session, events)
            with session.no_autoflush:  # every row it needs is preloaded or created here
                for event in events:
                    apply_event(session, event)
            flush_appended(session)
            session.flush()
            del loaded
        return []
    except Exception as exc:
        if not is_fault(exc):
            raise
        _forget(session)
    found: list[Fault] = []
    for event in events:
        try:
            with session.begin_nested():
                apply_event(session, event)
                flush_appended(session)
                session.flush()
        except Exception as exc:
            if not is_fault(exc):
                raise
            _forget(session)
            found.append(Fault(event, describe(exc)))
    return found


def _forget(session: Session) -> None:
    """Drops what a rolled-back savepoint left in memory: cached and queued rows, rows
    added, changes not written. What was flushed before it is read again when needed."""
    session.info.pop(CACHE, None)
    session.info.pop(APPEND, None)
    for row in list(session.new):
        session.expunge(row)
    session.expire_all()
