"""Risk indicators of one financing request, computed from the read model in a few queries.

The projections carry block numbers, not block times: ages and maturities come from the
receivable's issue and due dates against `now` (the chain's time, given
by the caller: risk.clock), and a settlement counts once it is final (paid on-chain, or confirmed by
its payees) and as late when the piece had been marked overdue or defaulted on chain
before it was settled (the contract only allows that after the due date).

Amounts are integers in minor units (the policy compares them exactly) and only ever summed
within one currency: the request's (its slot's). `risk/view.py` shows them as decimal
strings in that currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field, computed_field
from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    column,
    func,
    inspect,
    or_,
    select,
    table,
    type_coerce,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql._typing import _ColumnExpressionArgument

from scfledger.chain.clock import iso8601
from scfledger.chain.generated import PieceState, RequestStatus
from scfledger.db.projections import (
    ChainEvent,
    FinancingOffer,
    FinancingRequest,
    IndexerCheckpoint,
    Piece,
    PieceTransfer,
    Receivable,
    Settlement,
    Uint256,
)
from scfledger.exceptions import NotFoundError
from scfledger.money import MinorUnits

DAY = 86_400
BPS = 10_000
# Pieces whose value is still owed by the debtor (pending ones are not yet confirmed debt).
LIVE_STATES = ("active", "financing", "financed", "overdue", "defaulted")
OVERDUE_STATES = ("overdue", "defaulted")
# Indexes of "overdue" and "defaulted" in the contract's State enum (PieceStateChanged).
OVERDUE_STATE_CODES = (6, 7)
# Financing still outstanding for the financier: funded and not repaid, settled or bought back.
EXPOSURE_STATUSES = ("funded", "recourse_claimed")
FUNDED_STATUSES = ("funded", "repaid", "settled", "recourse_claimed", "recourse_repaid")
RECOURSE_STATUSES = ("recourse_claimed", "recourse_repaid")
DEFAULT_WINDOW_BLOCKS = 7_200

# A lightweight view of the gateway's operations table (migration 0001): only what is read.
_operations = table("operations", column("error_name"), column("sender"))


class FinancingRequestNotFound(NotFoundError):
    def __init__(self, request_id: int) -> None:
        self.request_id = request_id
        super().__init__(f"financing request {request_id} is not in the read model")


@dataclass(frozen=True)
class RequestFacts:
    request_id: int
    status: Annotated[str, Field(json_schema_extra={"enum": list(RequestStatus.labels())})]
    token_id: int
    slot: int
    requester: str
    financier: str  # whose view: the accepted financier, or a named one judging the request
    debtor: str
    creditor: str
    terms: str  # which terms `amount`, `repayment`, `fees` are: agreed, offered or asked
    currency: str  # the slot's: every amount of the indicators is in it
    amount: MinorUnits  # the advance
    repayment: MinorUnits
    fees: MinorUnits
    piece_value: MinorUnits
    face_amount: MinorUnits
    advance_bps: int  # amount / piece value, floored


@dataclass(frozen=True)
class DebtorRecord:
    debtor: str
    settled_pieces: int
    settled_late: int
    on_time_bps: int | None  # None: nothing settled yet, no record
    open_overdue_value: MinorUnits  # live value past due or marked overdue/defaulted
    open_overdue_pieces: int  # in the request's currency, as the values
    defaulted_value: MinorUnits


@dataclass(frozen=True)
class FinancierExposure:
    financier: str
    to_debtor: MinorUnits  # funded, not yet repaid or settled, on the debtor's receivables
    total: MinorUnits  # in the request's currency, as every amount here
    to_debtor_after: MinorUnits  # with this request funded
    total_after: MinorUnits
    concentration_bps: int  # to_debtor_after / total_after, floored


@dataclass(frozen=True)
class RequesterHistory:
    requester: str
    receivables_from_debtor: int  # accepted receivables with the requester as creditor
    pieces_received_from_debtor: int  # splits and transfers received in the debtor's slots
    value_received_from_debtor: MinorUnits  # in the request's currency
    pieces_received_total: int
    prior_requests: int
    prior_funded: int
    prior_recourse_claims: int


@dataclass(frozen=True)
class PieceProfile:
    depth: int
    state: Annotated[str, Field(json_schema_extra={"enum": list(PieceState.labels())})]
    age_blocks: int  # since the piece was created, to the indexed head
    receivable_age_days: int
    days_to_maturity: int  # floored; negative once past due


@dataclass(frozen=True)
class SlotVelocity:
    transfers_total: int
    transfers_in_window: int
    window_blocks: int
    transfers_per_day: float  # over the receivable's age (at least one day), 2 decimals


@dataclass(frozen=True)
class CircularTransfers:
    count: int  # transfers whose receiver already held this value
    value: MinorUnits
    members: tuple[str, ...]  # the members the value returned to, sorted


@dataclass(frozen=True)
class RiskIndicators:
    request: RequestFacts
    debtor: DebtorRecord
    exposure: FinancierExposure
    requester: RequesterHistory
    piece: PieceProfile
    velocity: SlotVelocity
    circular: CircularTransfers
    duplicate_document_attempts: int  # the debtor's issuances reverted with DuplicateDocument
    head_block: int
    now: Annotated[
        int,
        Field(description="Unix seconds (UTC): the chain's time judged at (risk.clock)"),
    ]

    @computed_field(  # type: ignore[prop-decorator]
        description="`now` as ISO 8601 in UTC with its offset (+00:00)"
    )
    @property
    def now_iso(self) -> str:
        return iso8601(self.now)


def amount_sum(session: Session, value: _ColumnExpressionArgument[Any]) -> ColumnElement[int]:
    """SUM of an amount column, exact on both databases (SQLite stores amounts as text, and
    its SUM over text is a float or overflows: `uint_sum` there)."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    summed = func.uint_sum(value) if sqlite else func.sum(value)
    return type_coerce(func.coalesce(summed, 0), Uint256)


def financier_of(session: Session, request: FinancingRequest, financier: str | None) -> str:
    """Whose view of a request: `financier` if given, else the accepted financier, else the
    first named one (by address)."""
    if financier is not None:
        return financier
    if request.financier is not None:
        return request.financier
    named = session.scalar(
        select(func.min(FinancingOffer.financier)).where(FinancingOffer.request_id == request.id)
    )
    return named or request.requester  # a request names at least one financier


def _terms(
    session: Session, request: FinancingRequest, financier: str
) -> tuple[str, int, int, int]:
    """The terms a financier judges: the agreed ones once accepted, else its standing offer,
    else what was asked."""
    if request.advance is not None and request.financier == financier:
        return "agreed", request.advance, request.repayment or 0, request.fees or 0
    offer = session.get(FinancingOffer, (request.id, financier))
    if offer is not None and offer.advance is not None:
        return "offered", offer.advance, offer.repayment or 0, offer.fees or 0
    return "asked", request.asked_advance, request.asked_repayment, request.asked_fees


def compute_indicators(
    session: Session,
    request_id: int,
    *,
    now: int,
    window_blocks: int = DEFAULT_WINDOW_BLOCKS,
    financier: str | None = None,
) -> RiskIndicators:
    """Every indicator of financing request `request_id` as `financier` sees it (by default
    `financier_of`); `now` is a block timestamp (unix seconds; the API's is the last
    indexed block's), `window_blocks` the span of the velocity count."""
    row = session.execute(
        select(FinancingRequest, Piece, Receivable)
        .join(Piece, Piece.token_id == FinancingRequest.token_id)
        .join(Receivable, Receivable.slot == Piece.slot)
        .where(FinancingRequest.id == request_id)
    ).one_or_none()
    if row is None:
        raise FinancingRequestNotFound(request_id)
    request, piece, receivable = row
    viewer = financier_of(session, request, financier)
    terms, advance, repayment, fees = _terms(session, request, viewer)
    head_block = session.scalar(select(func.max(IndexerCheckpoint.block_number))) or 0
    facts = RequestFacts(
        request_id=request.id,
        status=request.status,
        token_id=piece.token_id,
        slot=piece.slot,
        requester=request.requester,
        financier=viewer,
        debtor=receivable.debtor,
        creditor=receivable.creditor,
        terms=terms,
        currency=receivable.currency,
        amount=advance,
        repayment=repayment,
        fees=fees,
        piece_value=piece.value,
        face_amount=receivable.face_amount,
        advance_bps=advance * BPS // piece.value if piece.value else BPS,
    )
    velocity, circular = _slot_transfers(session, receivable, head_block, window_blocks, now)
    return RiskIndicators(
        request=facts,
        debtor=_debtor_record(session, receivable.debtor, receivable.currency, now),
        exposure=_exposure(session, request, facts),
        requester=_requester_history(session, request, receivable),
        piece=PieceProfile(
            depth=piece.depth,
            state=piece.state,
            age_blocks=max(head_block - piece.created_block, 0),
            receivable_age_days=max(now - receivable.issue_date, 0) // DAY,
            days_to_maturity=(receivable.due_date - now) // DAY,
        ),
        velocity=velocity,
        circular=circular,
        duplicate_document_attempts=_duplicate_documents(session, receivable.debtor),
        head_block=head_block,
        now=now,
    )


def _debtor_record(session: Session, debtor: str, currency: str, now: int) -> DebtorRecord:
    """The debtor's settlement record over all its receivables (a rate of pieces), and its
    open overdue value in `currency`."""
    marked = select(ChainEvent.args["tokenId"].as_integer()).where(
        ChainEvent.contract == "ReceivableToken",
        ChainEvent.name == "PieceStateChanged",
        ChainEvent.args["newState"].as_integer().in_(OVERDUE_STATE_CODES),
    )
    settled, late = session.execute(
        select(
            func.count(Settlement.token_id),
            func.coalesce(func.sum(case((Settlement.token_id.in_(marked), 1), else_=0)), 0),
        )
        .join(Receivable, Receivable.slot == Settlement.slot)
        .where(Receivable.debtor == debtor, Settlement.status == "settled")
    ).one()
    overdue_value, overdue_pieces, defaulted_value = session.execute(
        select(
            amount_sum(session, Piece.value),
            func.count(Piece.token_id),
            amount_sum(session, case((Piece.state == "defaulted", Piece.value), else_=None)),
        )
        .join(Receivable, Receivable.slot == Piece.slot)
        .where(
            Receivable.debtor == debtor,
            Receivable.currency == currency,
            Piece.state.in_(LIVE_STATES),
            Piece.value != 0,
            or_(Piece.state.in_(OVERDUE_STATES), Receivable.due_date < now),
        )
    ).one()
    return DebtorRecord(
        debtor=debtor,
        settled_pieces=settled,
        settled_late=late,
        on_time_bps=(settled - late) * BPS // settled if settled else None,
        open_overdue_value=overdue_value,
        open_overdue_pieces=overdue_pieces,
        defaulted_value=defaulted_value,
    )


def _exposure(
    session: Session, request: FinancingRequest, facts: RequestFacts
) -> FinancierExposure:
    """The financier's funded advances outstanding in the request's currency, to the debtor
    and in all, and with this request's advance added (unless it is already among them)."""
    to_debtor, total = session.execute(
        select(
            amount_sum(
                session,
                case((Receivable.debtor == facts.debtor, FinancingRequest.advance), else_=None),
            ),
            amount_sum(session, FinancingRequest.advance),
        )
        .join(Piece, Piece.token_id == FinancingRequest.token_id)
        .join(Receivable, Receivable.slot == Piece.slot)
        .where(
            FinancingRequest.financier == facts.financier,
            FinancingRequest.status.in_(EXPOSURE_STATUSES),
            Receivable.currency == facts.currency,
        )
    ).one()
    counted = request.status in EXPOSURE_STATUSES and request.financier == facts.financier
    extra = 0 if counted else facts.amount
    to_debtor_after, total_after = to_debtor + extra, total + extra
    return FinancierExposure(
        financier=facts.financier,
        to_debtor=to_debtor,
        total=total,
        to_debtor_after=to_debtor_after,
        total_after=total_after,
        concentration_bps=to_debtor_after * BPS // total_after if total_after else 0,
    )


def _requester_history(
    session: Session, request: FinancingRequest, receivable: Receivable
) -> RequesterHistory:
    """Counts over all the requester's business; the value received from the debtor in the
    request's currency."""
    requester, debtor = request.requester, receivable.debtor
    as_creditor = session.scalar(
        select(func.count(Receivable.slot)).where(
            Receivable.creditor == requester,
            Receivable.debtor == debtor,
            Receivable.status.in_(("active", "settled")),
        )
    )
    with_debtor = Receivable.debtor == debtor
    received, received_value, received_total = session.execute(
        select(
            func.coalesce(func.sum(case((with_debtor, 1), else_=0)), 0),
            amount_sum(
                session,
                case(
                    (
                        with_debtor & (Receivable.currency == receivable.currency),
                        PieceTransfer.value,
                    ),
                    else_=None,
                ),
            ),
            func.count(PieceTransfer.id),
        )
        .join(Piece, Piece.token_id == PieceTransfer.token_id)
        .join(Receivable, Receivable.slot == Piece.slot)
        .where(
            PieceTransfer.receiver == requester,
            PieceTransfer.sender != requester,
            PieceTransfer.kind != "return",  # a refused or recalled piece coming back
        )
    ).one()
    statuses = session.execute(
        select(FinancingRequest.status, func.count(FinancingRequest.id))
        .where(FinancingRequest.requester == requester, FinancingRequest.id != request.id)
        .group_by(FinancingRequest.status)
    ).all()
    by_status = {status: count for status, count in statuses}
    return RequesterHistory(
        requester=requester,
        receivables_from_debtor=as_creditor or 0,
        pieces_received_from_debtor=received,
        value_received_from_debtor=received_value,
        pieces_received_total=received_total,
        prior_requests=sum(by_status.values()),
        prior_funded=sum(by_status.get(s, 0) for s in FUNDED_STATUSES),
        prior_recourse_claims=sum(by_status.get(s, 0) for s in RECOURSE_STATUSES),
    )


def _slot_transfers(
    session: Session, receivable: Receivable, head_block: int, window_blocks: int, now: int
) -> tuple[SlotVelocity, CircularTransfers]:
    """Velocity and circular transfers from one ordered walk over the slot's transfers."""
    transfers = session.execute(
        select(
            PieceTransfer.kind,
            PieceTransfer.token_id,
            PieceTransfer.from_token_id,
            PieceTransfer.sender,
            PieceTransfer.receiver,
            PieceTransfer.value,
            PieceTransfer.block_number,
        )
        .join(Piece, Piece.token_id == PieceTransfer.token_id)
        # A piece refused or recalled goes back to its sender: nothing changed hands.
        .where(Piece.slot == receivable.slot, PieceTransfer.kind != "return")
        .order_by(PieceTransfer.block_number, PieceTransfer.log_index)
    ).all()
    # The members each piece's value has passed through: a child starts from its parent's.
    paths: dict[int, frozenset[str]] = {receivable.root_token_id: frozenset({receivable.creditor})}
    count = value = in_window = 0
    members: set[str] = set()
    for kind, token_id, from_token_id, sender, receiver, amount, block in transfers:
        if block > head_block - window_blocks:
            in_window += 1
        source = from_token_id if kind == "split" and from_token_id is not None else token_id
        path = paths.get(source, frozenset({sender}))
        # A split to oneself moves nothing between members.
        if receiver != sender and receiver in path:
            count += 1
            value += amount
            members.add(receiver)
        paths[token_id] = path | {receiver}
    age_days = max(max(now - receivable.issue_date, 0) // DAY, 1)
    velocity = SlotVelocity(
        transfers_total=len(transfers),
        transfers_in_window=in_window,
        window_blocks=window_blocks,
        transfers_per_day=round(len(transfers) / age_days, 2),
    )
    return velocity, CircularTransfers(count=count, value=value, members=tuple(sorted(members)))


def _duplicate_documents(session: Session, debtor: str) -> int:
    """Issuances by the debtor that reverted with DuplicateDocument, as the gateway recorded
    them; 0 where the gateway's operations table is absent (a read-model-only database)."""
    if not inspect(session.connection()).has_table("operations"):
        return 0
    return (
        session.scalar(
            select(func.count())
            .select_from(_operations)
            .where(
                and_(
                    _operations.c.error_name == "DuplicateDocument",
                    func.lower(_operations.c.sender) == debtor.lower(),
                )
            )
        )
        or 0
    )
