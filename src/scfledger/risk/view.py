"""The risk indicators as the API shows them: every amount a decimal string in the request's
currency ("8000000.00" CNY), exact (money.format_amount); the policy keeps judging the
integer minor units of `indicators.RiskIndicators`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import Field, computed_field

from scfledger.chain.clock import iso8601
from scfledger.chain.generated import RequestStatus
from scfledger.money import AMOUNT_PATTERN
from scfledger.risk.amounts import text_in
from scfledger.risk.indicators import (
    CircularTransfers,
    DebtorRecord,
    FinancierExposure,
    PieceProfile,
    RequesterHistory,
    RequestFacts,
    RiskIndicators,
    SlotVelocity,
)

Money = Annotated[
    str,
    Field(
        pattern=AMOUNT_PATTERN,
        description="An exact decimal string in the request's currency (`request.currency`),"
        " with the currency's minor digits",
        examples=["8000000.00"],
    ),
]


@dataclass(frozen=True)
class RequestFactsOut:
    request_id: int
    status: Annotated[str, Field(json_schema_extra={"enum": list(RequestStatus.labels())})]
    token_id: int
    slot: int
    requester: str
    financier: str  # whose view: the accepted financier, or a named one judging the request
    debtor: str
    creditor: str
    terms: str  # which terms `amount`, `repayment`, `fees` are: agreed, offered or asked
    currency: Annotated[str, Field(description="ISO 4217 code of every amount of the view")]
    amount: Money  # the advance
    repayment: Money
    fees: Money
    piece_value: Money
    face_amount: Money
    advance_bps: int  # amount / piece value, floored


@dataclass(frozen=True)
class DebtorRecordOut:
    debtor: str
    settled_pieces: int
    settled_late: int
    on_time_bps: int | None  # None: nothing settled yet, no record
    open_overdue_value: Money
    open_overdue_pieces: int
    defaulted_value: Money


@dataclass(frozen=True)
class FinancierExposureOut:
    financier: str
    to_debtor: Money
    total: Money
    to_debtor_after: Money
    total_after: Money
    concentration_bps: int


@dataclass(frozen=True)
class RequesterHistoryOut:
    requester: str
    receivables_from_debtor: int
    pieces_received_from_debtor: int
    value_received_from_debtor: Money
    pieces_received_total: int
    prior_requests: int
    prior_funded: int
    prior_recourse_claims: int


@dataclass(frozen=True)
class CircularTransfersOut:
    count: int
    value: Money
    members: tuple[str, ...]


@dataclass(frozen=True)
class RiskIndicatorsOut:
    """Indicators of a financing request; amounts in `request.currency`."""

    request: RequestFactsOut
    debtor: DebtorRecordOut
    exposure: FinancierExposureOut
    requester: RequesterHistoryOut
    piece: PieceProfile
    velocity: SlotVelocity
    circular: CircularTransfersOut
    duplicate_document_attempts: int
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


def risk_view(indicators: RiskIndicators) -> RiskIndicatorsOut:
    """The API's view of `indicators`, amounts formatted in the request's currency."""
    r: RequestFacts = indicators.request
    d: DebtorRecord = indicators.debtor
    e: FinancierExposure = indicators.exposure
    h: RequesterHistory = indicators.requester
    c: CircularTransfers = indicators.circular

    def money(minor: int) -> str:
        return text_in(minor, r.currency)

    return RiskIndicatorsOut(
        request=RequestFactsOut(
            request_id=r.request_id,
            status=r.status,
            token_id=r.token_id,
            slot=r.slot,
            requester=r.requester,
            financier=r.financier,
            debtor=r.debtor,
            creditor=r.creditor,
            terms=r.terms,
            currency=r.currency,
            amount=money(r.amount),
            repayment=money(r.repayment),
            fees=money(r.fees),
            piece_value=money(r.piece_value),
            face_amount=money(r.face_amount),
            advance_bps=r.advance_bps,
        ),
        debtor=DebtorRecordOut(
            debtor=d.debtor,
            settled_pieces=d.settled_pieces,
            settled_late=d.settled_late,
            on_time_bps=d.on_time_bps,
            open_overdue_value=money(d.open_overdue_value),
            open_overdue_pieces=d.open_overdue_pieces,
            defaulted_value=money(d.defaulted_value),
        ),
        exposure=FinancierExposureOut(
            financier=e.financier,
            to_debtor=money(e.to_debtor),
            total=money(e.total),
            to_debtor_after=money(e.to_debtor_after),
            total_after=money(e.total_after),
            concentration_bps=e.concentration_bps,
        ),
        requester=RequesterHistoryOut(
            requester=h.requester,
            receivables_from_debtor=h.receivables_from_debtor,
            pieces_received_from_debtor=h.pieces_received_from_debtor,
            value_received_from_debtor=money(h.value_received_from_debtor),
            pieces_received_total=h.pieces_received_total,
            prior_requests=h.prior_requests,
            prior_funded=h.prior_funded,
            prior_recourse_claims=h.prior_recourse_claims,
        ),
        piece=indicators.piece,
        velocity=indicators.velocity,
        circular=CircularTransfersOut(count=c.count, value=money(c.value), members=c.members),
        duplicate_document_attempts=indicators.duplicate_document_attempts,
        head_block=indicators.head_block,
        now=indicators.now,
    )
