"""Pydantic request and response bodies of the REST API (ORM models live in scfledger.db)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from scfledger.risk.indicators import RiskIndicators
from scfledger.risk.policy import Decision, ReasonCode

# The longest term of a receivable: its due date at most 50 years after it is issued. The
# contract enforces the same bound on chain (ReceivableToken.MAX_TERM, 50 * 365 days
# after the issue block); the gateway checks it against its clock before submitting.
MAX_TERM_SECONDS = 50 * 365 * 86_400
MAX_INT64 = 2**63 - 1  # ids, cursors and dates are 64-bit signed integers in the database

Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$", examples=["0x" + "ab" * 20])]
Hash32 = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$")]
# Minor units of the currency: uint256 on chain, NUMERIC(39) in the database.
Amount = Annotated[int, Field(gt=0, lt=2**128, description="Minor units of the currency")]
TokenId = Annotated[int, Field(ge=1, le=MAX_INT64)]


class Strict(BaseModel):
    """A request body: no unknown fields, and no coercion ("100", true or 100.0 is no
    integer; 1 is no boolean)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class IssueIn(Strict):
    creditor: Address
    face_amount: Amount
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "CNY"
    due_date: Annotated[
        int,
        Field(
            gt=0,
            le=MAX_INT64,
            description=f"Unix seconds, at most {MAX_TERM_SECONDS} s (50 years) from now",
        ),
    ]
    document_hash: Hash32

    @field_validator("due_date")
    @classmethod
    def _within_term(cls, due_date: int) -> int:
        horizon = int(time.time()) + MAX_TERM_SECONDS
        if due_date > horizon:
            raise ValueError(
                f"due_date must be at most {MAX_TERM_SECONDS} s (50 years) from now,"
                f" i.e. <= {horizon}"
            )
        return due_date


class TransferIn(Strict):
    to: Address
    value: Amount


# Minor units that may be zero (fees, a repayment of nothing more than the advance).
AmountOrZero = Annotated[int, Field(ge=0, lt=2**128, description="Minor units of the currency")]
Deadline = Annotated[int, Field(gt=0, lt=2**64, description="Unix seconds")]


class TermsIn(Strict):
    """Financing terms as amounts in minor units of the piece's currency (any pricing
    convention: the discount is what the advance leaves out of the value)."""

    advance: Amount = Field(description="Paid by the financier at funding, before fees")
    repayment: AmountOrZero = Field(
        description="What repays a pledge loan (and caps its lien at settlement), or what the"
        " seller owes on recourse; 0 for factoring without recourse"
    )
    fees: AmountOrZero = Field(default=0, description="Deducted from the advance")
    fund_by: Deadline = Field(description="Funding deadline, before the piece's due date")


class TermsOut(BaseModel):
    advance: int
    repayment: int
    fees: int
    fund_by: int = Field(description="Unix seconds")


class FinancingIn(Strict):
    token_id: TokenId
    financiers: Annotated[list[Address], Field(min_length=1, max_length=5)]
    terms: TermsIn = Field(description="The terms asked")
    mode: Literal["factoring", "pledge"] = "factoring"
    recourse: bool = False


class AcceptOfferIn(Strict):
    financier: Address
    terms: TermsIn = Field(description="The offer accepted, as the financier made it")


class FundIn(Strict):
    payment_ref: Annotated[str, Field(min_length=1, max_length=128)]


Reference = Annotated[
    str,
    Field(
        min_length=1,
        max_length=128,
        description="0x + 64 hex digits, or text (recorded on chain as its SHA-256)",
    ),
]


class RejectIn(Strict):
    reason: Reference


class RepayIn(Strict):
    payment_ref: Reference


class EvidenceIn(Strict):
    evidence_hash: Hash32


class SettleIn(Strict):
    slot: Annotated[int, Field(ge=0, le=MAX_INT64)]
    token_ids: Annotated[list[TokenId], Field(min_length=1, max_length=50)]
    payment_ref: Reference


ProposalStatus = Literal["pending", "executed", "cancelled", "expired"]
RoleName = Literal["admin", "core_enterprise", "supplier", "financier", "auditor"]
ParticipantName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class ParticipantIn(Strict):
    """A gateway participant: a new signing key in the gateway's keystore, or (`address`)
    an account that signs its own transactions and relays them."""

    name: ParticipantName
    address: Address | None = None


class Problem(BaseModel):
    """An RFC 9457 problem document (`application/problem+json`): every error answer.
    Some carry more members: `errors` (invalid fields), `error` (a contract's error, by
    name and arguments) and `operation` (the operation that failed)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="https://scfledger.dev/problems/<slug>: stable, for programs")
    title: str
    status: int
    detail: str


class ParticipantOut(BaseModel):
    name: str
    address: str
    api_key: str = Field(description="Shown once; the gateway stores only its hash.")


class ApiKeyOut(BaseModel):
    prefix: str = Field(description="The key's first characters, to tell keys apart")
    created_at: datetime
    revoked_at: datetime | None


class AdmissionIn(Strict):
    address: Address
    name: Annotated[str, Field(min_length=1, max_length=128)]
    legal_id: Reference
    kyc: Reference
    roles: Annotated[list[RoleName], Field(min_length=1, max_length=5)]


class SuspensionIn(Strict):
    reason: Reference


class ProposalOut(BaseModel):
    id: int
    proposer: str
    target: str
    action: str = Field(description="The governed function, e.g. admitMember")
    args: dict[str, Any]
    status: ProposalStatus
    approvals: list[str]
    deadline: int = Field(description="Unix seconds")
    created_block: int
    updated_block: int


class RelayIn(Strict):
    raw_transaction: Annotated[
        str,
        Field(
            pattern=r"^0x(?:[0-9a-fA-F]{2})+$",
            max_length=2 + 2 * 128 * 1024,
            description="A transaction signed by the caller's own key, 0x-hex",
        ),
    ]


class MemberOut(BaseModel):
    address: str
    name: str
    roles: list[str]
    status: str


class ReceivableOut(BaseModel):
    slot: int
    debtor: str
    creditor: str
    face_amount: int
    currency: str
    issue_date: int
    due_date: int
    document_hash: str
    root_token_id: int
    settled_value: int
    status: str


class PieceOut(BaseModel):
    token_id: int
    slot: int
    holder: str
    value: int
    parent_token_id: int | None
    depth: int
    state: str
    sender: str | None = Field(description="Who sent a piece still awaiting its receiver (签收)")
    receivable: ReceivableOut


class PiecePage(BaseModel):
    items: list[PieceOut]
    next_cursor: str | None


class LineageNodeOut(BaseModel):
    """A piece in a lineage; one the caller does not see is `redacted` (no holder, no state)."""

    token_id: int
    parent_token_id: int | None
    depth: int
    holder: str | None
    value: int
    state: str | None
    redacted: bool = False
    children: list[LineageNodeOut] = []


class LineageOut(BaseModel):
    token_id: int
    ancestors: list[LineageNodeOut]
    tree: LineageNodeOut


class OfferOut(BaseModel):
    financier: str
    status: Literal["invited", "made", "declined"] = Field(
        description="invited: no answer yet; made: its standing offer; declined"
    )
    terms: TermsOut | None
    reason: str | None = Field(description="Why it declined")


class FinancingOut(BaseModel):
    """A financing request. A financier sees only its own offer; the requester sees all."""

    id: int
    token_id: int
    requester: str
    financier: str | None = Field(description="The financier whose offer was accepted")
    asked: TermsOut
    agreed: TermsOut | None
    offers: list[OfferOut]
    mode: str
    recourse: bool
    status: str
    expires_at: int
    payment_ref: str | None


class FinancingPage(BaseModel):
    items: list[FinancingOut]
    next_cursor: str | None


class TransferOut(BaseModel):
    kind: Literal["split", "whole"] = Field(
        description="split: `value` moved to a new child piece; whole: the piece changed hands"
    )
    token_id: int = Field(description="The piece that moved (the child of a split)")
    from_token_id: int | None = Field(description="The piece a split took value from")
    sender: str
    receiver: str
    value: int
    block_number: int
    tx_hash: str


class EvidenceOut(BaseModel):
    token_id: int
    evidence_hash: str
    attached_by: str
    block_number: int


class SettlementOut(BaseModel):
    token_id: int
    slot: int
    holder: str
    status: str = Field(description="settled, awaiting_confirmation or disputed")
    amount: int = Field(description="Value settled so far")
    submitted_amount: int = Field(description="Value the latest submission reported paid")
    lien_holder: str | None
    lien_amount: int
    payee: str | None = Field(description="Who must confirm now (lien holder first, then holder)")
    confirm_by: int | None = Field(description="Unix seconds; after it the debtor may finalize")
    deemed: bool = Field(description="Confirmed by silence past the confirmation window")
    payment_ref: str
    dispute_reason: str | None
    paid_on_chain: bool
    block_number: int
    tx_hash: str


class EscrowOut(BaseModel):
    payee: str
    amount: int = Field(description="Deposit-token payments waiting for the payee")


class SettlementPage(BaseModel):
    items: list[SettlementOut]
    next_cursor: str | None


class FeedEventOut(BaseModel):
    id: int
    block_number: int
    tx_hash: str
    log_index: int
    contract: str
    name: str
    args: dict[str, Any]


class EventPage(BaseModel):
    items: list[FeedEventOut]
    next_cursor: str = Field(description="Pass as `after` to continue; may be past the last item")


class EventOut(BaseModel):
    contract: str
    name: str
    args: dict[str, Any]


class OperationError(BaseModel):
    name: str | None
    args: dict[str, Any] | None
    message: str | None


class OperationOut(BaseModel):
    id: str
    kind: str
    status: str
    tx_hash: str | None
    block_number: int | None
    error: OperationError | None
    events: list[EventOut]


class DocumentOut(BaseModel):
    sha256: str
    size: int
    content_type: str


class WebhookIn(Strict):
    url: Annotated[str, Field(min_length=8, max_length=2048, pattern=r"^https?://")]
    event_names: (
        Annotated[
            list[Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9]{0,63}$")]],
            Field(min_length=1, max_length=64),
        ]
        | None
    ) = None


class WebhookOut(BaseModel):
    id: str
    url: str
    event_names: list[str] | None
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Signs deliveries; shown only in this response.")


class WebhookAttemptOut(BaseModel):
    attempt: int
    status_code: int | None
    error: str | None
    attempted_at: datetime
    next_attempt_at: datetime | None


class WebhookDeliveryOut(BaseModel):
    id: str
    event_id: int
    event_name: str
    status: str
    attempts: list[WebhookAttemptOut]
    next_attempt_at: datetime | None
    delivered_at: datetime | None


class ParticipantStatusOut(BaseModel):
    name: str
    address: str
    status: str = Field(
        description="The member's on-chain status: active, suspended, or not-admitted"
    )
    roles: list[str]


class RiskReasonOut(BaseModel):
    code: ReasonCode
    outcome: Decision
    message: str


class RiskOut(BaseModel):
    """A request's indicators and its financier's policy decision, with every reason."""

    request_id: int
    decision: Decision
    auto_decide: bool = Field(description="The policy lets the gateway act on the decision")
    reasons: list[RiskReasonOut]
    indicators: RiskIndicators


class HealthOut(BaseModel):
    status: Literal["ok"]


class CheckOut(BaseModel):
    """One readiness check; `error` names what failed."""

    ok: bool
    error: str | None = None
    head: int | None = Field(default=None, description="chain: the node's latest block")
    lag: int | None = Field(default=None, description="indexer: blocks behind the head")
    faults: int | None = Field(default=None, description="indexer: events it could not project")


class ReadinessOut(BaseModel):
    status: Literal["ready", "degraded", "not-ready"]
    checks: dict[str, CheckOut] = Field(description="database, chain and indexer")
