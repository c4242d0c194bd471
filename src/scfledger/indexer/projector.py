"""Applies decoded events, in chain order, to the read-model tables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from scfledger.chain.generated import Mode, PieceState
from scfledger.db.projections import (
    EscrowBalance,
    Evidence,
    FinancingHistory,
    FinancingOffer,
    FinancingRequest,
    Member,
    Piece,
    PieceTransfer,
    Proposal,
    Receivable,
    Settlement,
    SettlementHistory,
)
from scfledger.indexer.decode import DecodedEvent, decode_call
from scfledger.indexer.faults import Fault, describe, is_fault

PIECE_STATES = PieceState.labels()  # index == the contract's value
MODES = Mode.labels()
ZERO_ADDRESS = "0x" + "00" * 20
ZERO_HASH = "0x" + "00" * 32

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


def _find(session: Session, model: type[Any], key: Any) -> Any:
    """The row, or None: for rows an event creates on first use (escrow, settlement)."""
    try:
        return _get(session, model, key)
    except ProjectionError:
        return None


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
            sender=None,
            created_block=e.block_number,
            updated_block=e.block_number,
        ),
        a["tokenId"],
    )


def _receivable_decided(status: str) -> Handler:
    """The creditor accepted or rejected, the debtor cancelled, or the receivable lapsed."""

    def apply(session: Session, e: DecodedEvent) -> None:
        _get(session, Receivable, e.args["slot"]).status = status
        piece = _get(session, Piece, e.args["tokenId"])
        piece.state = status
        piece.updated_block = e.block_number

    return apply


def _transfer_row(
    e: DecodedEvent,
    kind: str,
    token_id: int,
    from_token_id: int | None,
    sender: str,
    receiver: str,
    value: int,
) -> dict[str, Any]:
    return {
        "tx_hash": e.tx_hash,
        "log_index": e.log_index,
        "block_number": e.block_number,
        "kind": kind,
        "token_id": token_id,
        "from_token_id": from_token_id,
        "sender": sender,
        "receiver": receiver,
        "value": value,
    }


def _piece_split(session: Session, e: DecodedEvent) -> None:
    """Value moved into a new child: `Pending` at another member until it signs for it,
    `Active` when the holder split for itself."""
    a = e.args
    parent = _get(session, Piece, a["parentTokenId"])
    parent.value -= a["value"]
    parent.updated_block = e.block_number
    sent = a["to"] != parent.holder
    _add(
        session,
        Piece(
            token_id=a["childTokenId"],
            slot=a["slot"],
            holder=a["to"],
            value=a["value"],
            parent_token_id=a["parentTokenId"],
            depth=a["depth"],
            state="pending" if sent else "active",
            sender=parent.holder if sent else None,
            created_block=e.block_number,
            updated_block=e.block_number,
        ),
        a["childTokenId"],
    )
    row = _transfer_row(
        e, "split", a["childTokenId"], a["parentTokenId"], parent.holder, a["to"], a["value"]
    )
    _append(session, PieceTransfer, **row)


def _token_transfer(session: Session, e: DecodedEvent) -> None:
    """A whole piece changing hands: sent (it turns `Pending`, PieceStateChanged follows),
    assigned by the financing module (factoring, recourse), or a sent piece going back to
    its sender on refusal or recall (`return`)."""
    a = e.args
    if ZERO_ADDRESS in (a["from"], a["to"]):
        return  # mints are projected from ReceivableIssued and PieceSplit
    piece = _get(session, Piece, a["tokenId"])
    kind = "whole"
    if piece.state == "pending" and piece.sender == a["to"]:
        kind, piece.sender = "return", None
    elif piece.state == "active" and a["from"] != a["to"]:
        piece.sender = a["from"]  # a send: the receiver signs for it or refuses it
    piece.holder = a["to"]
    piece.updated_block = e.block_number
    row = _transfer_row(e, kind, a["tokenId"], None, a["from"], a["to"], piece.value)
    _append(session, PieceTransfer, **row)


def _piece_accepted(session: Session, e: DecodedEvent) -> None:
    piece = _get(session, Piece, e.args["tokenId"])
    piece.state = "active"
    piece.sender = None
    piece.updated_block = e.block_number


def _piece_returned(session: Session, e: DecodedEvent) -> None:
    """A sent piece refused by its receiver or recalled by its sender. Its value went back
    into the sender's piece `returnedTo` (the piece itself, already moved back by its
    Transfer, or its parent: the child stays as an empty tomb, rejected or cancelled)."""
    a = e.args
    piece = _get(session, Piece, a["tokenId"])
    piece.sender = None
    piece.updated_block = e.block_number
    if a["returnedTo"] == a["tokenId"]:
        return
    parent = _get(session, Piece, a["returnedTo"])
    parent.value += piece.value
    parent.updated_block = e.block_number
    row = _transfer_row(
        e, "return", a["returnedTo"], a["tokenId"], a["receiver"], a["sender"], piece.value
    )
    _append(session, PieceTransfer, **row)
    piece.value = 0


def _piece_state_changed(session: Session, e: DecodedEvent) -> None:
    piece = _get(session, Piece, e.args["tokenId"])
    piece.state = PIECE_STATES[e.args["newState"]]
    piece.updated_block = e.block_number


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


# ---- settlement ----------------------------------------------------------------------------


def _settlement_step(
    session: Session,
    e: DecodedEvent,
    status: str,
    *,
    amount: int | None,
    payment_ref: str,
    payee: str | None = None,
    reason: str | None = None,
) -> None:
    _append(
        session,
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


def _settlement_of(session: Session, e: DecodedEvent, piece: Any) -> Settlement:
    """The piece's settlement row, opened on its first settlement (each later submission,
    after a dispute, reopens it)."""
    row = _find(session, Settlement, piece.token_id)
    if row is None:
        row = Settlement(
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
        _add(session, row, piece.token_id)
    row.block_number, row.tx_hash = e.block_number, e.tx_hash
    return cast(Settlement, row)


def _settlement_submitted(session: Session, e: DecodedEvent) -> None:
    """The debtor reported an off-chain payment: the payee (the lien holder first, for its
    share) confirms or disputes it by `confirmBy`."""
    a = e.args
    piece = _get(session, Piece, a["tokenId"])
    row = _settlement_of(session, e, piece)
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
        session, e, "submitted", amount=a["amount"], payment_ref=a["paymentRef"], payee=a["payee"]
    )


def _payment_confirmed(session: Session, e: DecodedEvent) -> None:
    """The payee confirmed (or, `deemed`, stayed silent past the window); PieceSettled
    follows with the share that left circulation."""
    a = e.args
    row = _settlement_of(session, e, _get(session, Piece, a["tokenId"]))
    row.deemed = row.deemed or a["deemed"]
    status = "deemed" if a["deemed"] else "confirmed"
    _settlement_step(
        session, e, status, amount=a["amount"], payment_ref=a["paymentRef"], payee=a["payee"]
    )


def _payment_disputed(session: Session, e: DecodedEvent) -> None:
    """The payee disputed: the piece is unpaid again (its state comes back with
    PieceStateChanged) and the debtor may settle again with another reference."""
    a = e.args
    row = _settlement_of(session, e, _get(session, Piece, a["tokenId"]))
    row.status = "disputed"
    row.payee = None
    row.confirm_by = None
    row.dispute_reason = a["reason"]
    _settlement_step(
        session, e, "disputed", amount=None, payment_ref=a["paymentRef"], payee=a["payee"],
        reason=a["reason"],
    )  # fmt: skip


def _piece_settled(session: Session, e: DecodedEvent) -> None:
    """Value left circulation: all of it at once on-chain, or a confirmed share off-chain
    (the lien holder's, then the holder's rest)."""
    a = e.args
    piece = _get(session, Piece, a["tokenId"])
    piece.value -= a["amount"]
    piece.updated_block = e.block_number
    receivable = _get(session, Receivable, a["slot"])
    receivable.settled_value += a["amount"]
    if receivable.settled_value == receivable.face_amount:
        receivable.status = "settled"
    row = _settlement_of(session, e, piece)
    row.holder = a["holder"]
    row.amount += a["amount"]
    row.payment_ref = a["paymentRef"]
    row.paid_on_chain = a["paidOnChain"]
    if a["lienHolder"] != ZERO_ADDRESS:
        row.lien_holder = a["lienHolder"]
        row.lien_amount += a["lienAmount"]
    if a["paidOnChain"]:
        row.submitted_amount = a["amount"]
        _settlement_step(session, e, "paid", amount=a["amount"], payment_ref=a["paymentRef"])
    if piece.value == 0:
        row.status, row.payee = "settled", None
    else:  # the lien holder's share is settled; the holder confirms the rest
        row.status, row.payee = "awaiting_confirmation", a["holder"]


# ---- deposit token -------------------------------------------------------------------------


def _escrow(sign: int) -> Handler:
    def apply(session: Session, e: DecodedEvent) -> None:
        payee = e.args["payee"]
        row = _find(session, EscrowBalance, payee)
        if row is None:
            row = EscrowBalance(payee=payee, amount=0, updated_block=e.block_number)
            _add(session, row, payee)
        row.amount += sign * e.args["amount"]
        row.updated_block = e.block_number

    return apply


# ---- financing -----------------------------------------------------------------------------


def _history(
    session: Session,
    e: DecodedEvent,
    status: str,
    amount: int | None = None,
    financier: str | None = None,
) -> None:
    _append(
        session,
        FinancingHistory,
        request_id=e.args["requestId"],
        status=status,
        financier=financier,
        amount=amount,
        tx_hash=e.tx_hash,
        log_index=e.log_index,
        block_number=e.block_number,
    )


def _financing_requested(session: Session, e: DecodedEvent) -> None:
    a = e.args
    asked = a["asked"]
    _get(session, Piece, a["tokenId"])  # a piece the projection lacks: a fault too
    _add(
        session,
        FinancingRequest(
            id=a["requestId"],
            token_id=a["tokenId"],
            requester=a["requester"],
            financier=None,
            mode=MODES[a["mode"]],
            recourse=a["recourse"],
            status="requested",
            expires_at=a["expiresAt"],
            asked_advance=asked["advance"],
            asked_repayment=asked["repayment"],
            asked_fees=asked["fees"],
            asked_fund_by=asked["fundBy"],
            advance=None,
            repayment=None,
            fees=None,
            fund_by=None,
            payment_ref=None,
            created_block=e.block_number,
            updated_block=e.block_number,
        ),
        a["requestId"],
    )
    for financier in a["financiers"]:
        _add(
            session,
            FinancingOffer(
                request_id=a["requestId"],
                financier=financier,
                token_id=a["tokenId"],
                status="invited",
                advance=None,
                repayment=None,
                fees=None,
                fund_by=None,
                reason=None,
                updated_block=e.block_number,
            ),
            (a["requestId"], financier),
        )
    _history(session, e, "requested", asked["advance"])


def _set_terms(row: Any, terms: dict[str, int]) -> None:
    row.advance = terms["advance"]
    row.repayment = terms["repayment"]
    row.fees = terms["fees"]
    row.fund_by = terms["fundBy"]


def _financing_offered(session: Session, e: DecodedEvent) -> None:
    a = e.args
    offer = _get(session, FinancingOffer, (a["requestId"], a["financier"]))
    offer.status = "made"
    _set_terms(offer, a["terms"])
    offer.updated_block = e.block_number
    _get(session, FinancingRequest, a["requestId"]).updated_block = e.block_number
    _history(session, e, "offered", a["terms"]["advance"], a["financier"])


def _financing_accepted(session: Session, e: DecodedEvent) -> None:
    a = e.args
    request = _get(session, FinancingRequest, a["requestId"])
    request.status = "accepted"
    request.financier = a["financier"]
    _set_terms(request, a["terms"])
    request.updated_block = e.block_number
    _history(session, e, "accepted", a["terms"]["advance"], a["financier"])


def _financing_rejected(session: Session, e: DecodedEvent) -> None:
    """A named financier declined; the request closes when every one has."""
    a = e.args
    offer = _get(session, FinancingOffer, (a["requestId"], a["financier"]))
    offer.status = "declined"
    offer.reason = a["reason"]
    offer.updated_block = e.block_number
    request = _get(session, FinancingRequest, a["requestId"])
    request.updated_block = e.block_number
    if a["closed"]:
        request.status = "rejected"
    _history(session, e, "rejected" if a["closed"] else "declined", None, a["financier"])


def _financing_status(status: str, amount: str | None = None) -> Handler:
    """A step of the request as a whole (`amount`: the argument carrying its amount); the
    steps after acceptance belong to the accepted financier."""

    def apply(session: Session, e: DecodedEvent) -> None:
        request = _get(session, FinancingRequest, e.args["requestId"])
        request.status = status
        request.updated_block = e.block_number
        if status == "funded":  # the funding reference; repayments keep theirs in the feed
            request.payment_ref = e.args["paymentRef"]
        value = e.args[amount] if amount is not None else None
        _history(session, e, status, value, request.financier)

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
    ("ReceivableToken", "ReceivableExpired"): _receivable_decided("expired"),
    ("ReceivableToken", "PieceSplit"): _piece_split,
    ("ReceivableToken", "Transfer"): _token_transfer,
    ("ReceivableToken", "PieceAccepted"): _piece_accepted,
    ("ReceivableToken", "PieceRefused"): _piece_returned,
    ("ReceivableToken", "PieceRecalled"): _piece_returned,
    ("ReceivableToken", "PieceStateChanged"): _piece_state_changed,
    ("ReceivableToken", "SettlementSubmitted"): _settlement_submitted,
    ("ReceivableToken", "PaymentConfirmed"): _payment_confirmed,
    ("ReceivableToken", "PaymentDisputed"): _payment_disputed,
    ("ReceivableToken", "PieceSettled"): _piece_settled,
    ("ReceivableToken", "EvidenceAttached"): _evidence_attached,
    ("DepositToken", "PaymentEscrowed"): _escrow(+1),
    ("DepositToken", "EscrowClaimed"): _escrow(-1),
    ("Financing", "FinancingRequested"): _financing_requested,
    ("Financing", "FinancingOffered"): _financing_offered,
    ("Financing", "FinancingAccepted"): _financing_accepted,
    ("Financing", "FinancingRejected"): _financing_rejected,
    ("Financing", "FinancingWithdrawn"): _financing_status("withdrawn"),
    ("Financing", "FinancingExpired"): _financing_status("expired"),
    ("Financing", "FinancingFunded"): _financing_status("funded", "advance"),
    ("Financing", "LoanRepaid"): _financing_status("repaid", "amount"),
    ("Financing", "FinancingSettled"): _financing_status("settled", "amount"),
    ("Financing", "RecourseClaimed"): _financing_status("recourse_claimed", "amount"),
    ("Financing", "RecourseRepaid"): _financing_status("recourse_repaid", "amount"),
}


def preload(session: Session, events: list[DecodedEvent]) -> list[Any]:
    """Loads every existing row the events will touch with one query per table, so that
    applying them finds the rows in the session instead of a query per event. Keep the
    returned list while applying: the session holds unmodified rows only weakly."""
    loaded: list[Any] = []
    keys: dict[type[Any], set[Any]] = {
        Piece: set(),
        Receivable: set(),
        FinancingRequest: set(),
        Settlement: set(),
        EscrowBalance: set(),
    }
    members: set[str] = set()
    for event in events:
        a = event.args
        for name in ("tokenId", "parentTokenId", "returnedTo"):
            if name in a:
                keys[Piece].add(a[name])
        if "slot" in a:
            keys[Receivable].add(a["slot"])
        if "requestId" in a:
            keys[FinancingRequest].add(a["requestId"])
        if event.contract == "ReceivableToken" and "tokenId" in a:
            keys[Settlement].add(a["tokenId"])
        if event.contract == "DepositToken" and "payee" in a:
            keys[EscrowBalance].add(a["payee"])
        if event.contract == "ConsortiumRegistry" and "account" in a:
            members.add(a["account"])
    keys[Member] = members
    for model, ids in keys.items():
        column = next(iter(model.__table__.primary_key.columns))
        for start in range(0, len(ids), 1000):
            chunk = list(ids)[start : start + 1000]
            loaded += session.scalars(select(model).where(column.in_(chunk))).all()
    requests = list(keys[FinancingRequest])
    for start in range(0, len(requests), 1000):
        chunk = requests[start : start + 1000]
        offers = select(FinancingOffer).where(FinancingOffer.request_id.in_(chunk))
        loaded += session.scalars(offers).all()
    rows = _rows(session)
    for row in loaded:
        key = row.__mapper__.primary_key_from_instance(row)
        rows[(type(row), key[0] if len(key) == 1 else tuple(key))] = row
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
