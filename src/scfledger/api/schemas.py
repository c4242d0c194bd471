"""Pydantic request and response bodies of the REST API (ORM models live in scfledger.db).

Over 500 lines: every body of the API, each with its documented example, read in one place."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

from scfledger.api.dates import Dated
from scfledger.api.fields import (  # re-exported: the SDK and the routes import them from here
    MAX_INT64 as MAX_INT64,
)
from scfledger.api.fields import (
    Address,
    AmountOrZeroText,
    AmountOut,
    AmountText,
    Currency,
    CurrencyOut,
    Deadline,
    DeliveryStatus,
    Hash32,
    MemberStatus,
    Mode,
    OperationStatus,
    ParticipantName,
    ParticipantStatus,
    PieceState,
    ReceivableStatus,
    Reference,
    RequestStatus,
    Role,
    SettlementStatus,
    TokenId,
    UnixSeconds,
)
from scfledger.api.fields import (
    ProposalStatus as ProposalStatus,
)
from scfledger.api.fields import (
    RoleName as RoleName,
)
from scfledger.risk.policy import Decision, ReasonCode
from scfledger.risk.view import RiskIndicatorsOut

# The longest term of a receivable: its due date at most 50 years after it is issued. The
# contract enforces the same bound on chain (ReceivableToken.MAX_TERM, 50 * 365 days
# after the issue block); the gateway checks it against its clock before submitting.
MAX_TERM_SECONDS = 50 * 365 * 86_400


class Strict(BaseModel):
    """A request body: no unknown fields, and no coercion ("100", true or 100.0 is no
    integer; 1 is no boolean)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class IssueIn(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "creditor": "0x8ba1f109551bD432803012645Ac136ddd64DBA72",
                    "face_amount": "1000000.00",
                    "currency": "CNY",
                    "due_date": 1_798_761_600,
                    "document_hash": "0x9f86d081884c7d659a2feaa0c55ad015"
                    "a3bf4f1b2b0b822cd15d6c15b0f00a08",
                }
            ]
        }
    )

    creditor: Address
    face_amount: AmountText
    currency: Currency = "CNY"
    due_date: Annotated[
        int,
        Field(
            gt=0,
            le=MAX_INT64,
            description=f"Unix seconds, at most {MAX_TERM_SECONDS} s (50 years) from now",
        ),
    ]
    document_hash: Hash32 = Field(
        description="SHA-256 of a document uploaded first (POST /v1/documents)"
    )

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
    """Send `value` of the piece to `to`: all of it (the piece changes hands) or part of it
    (a split); the receiver signs for it (签收)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"to": "0x2546BcD3c84621e976D8185a91A922aE77ECEc30", "value": "2500.00"}]
        }
    )

    to: Address
    value: AmountText = Field(description='In the piece\'s currency, e.g. "2500.00"')


_TERMS_EXAMPLE: dict[str, JsonValue] = {
    "advance": "9500.00",
    "repayment": "0",
    "fees": "50.00",
    "fund_by": 1_767_225_600,
}
_FINANCIER = "0xdD2FD4581271e230360230F9337D5c0430Bf44C0"


class TermsIn(Strict):
    """Financing terms as decimal strings in the piece's currency (any pricing convention:
    the discount is what the advance leaves out of the value)."""

    advance: AmountText = Field(
        description="Paid by the financier at funding, before fees, in the piece's currency"
    )
    repayment: AmountOrZeroText = Field(
        description="What repays a pledge loan (and caps its lien at settlement), or what the"
        ' seller owes on recourse; "0" for factoring without recourse'
    )
    fees: AmountOrZeroText = Field(default="0", description="Deducted from the advance")
    fund_by: Deadline = Field(description="Funding deadline, before the piece's due date")

    model_config = ConfigDict(json_schema_extra={"examples": [_TERMS_EXAMPLE]})


class TermsOut(Dated):
    """Financing terms, amounts as decimal strings in the piece's currency."""

    advance: AmountOut
    repayment: AmountOut
    fees: AmountOut
    fund_by: UnixSeconds


class FinancingIn(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "token_id": 7,
                    "financiers": [_FINANCIER],
                    "terms": _TERMS_EXAMPLE,
                    "mode": "factoring",
                    "recourse": False,
                }
            ]
        }
    )

    token_id: TokenId
    financiers: Annotated[list[Address], Field(min_length=1, max_length=5)]
    terms: TermsIn = Field(description="The terms asked")
    mode: Literal["factoring", "pledge"] = "factoring"
    recourse: bool = False


class AcceptOfferIn(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"financier": _FINANCIER, "terms": _TERMS_EXAMPLE}]}
    )

    financier: Address
    terms: TermsIn = Field(description="The offer accepted, as the financier made it")


class FundIn(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"payment_ref": "WIRE-2026-0001"}]})

    payment_ref: Annotated[str, Field(min_length=1, max_length=128)]


class RejectIn(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "invoice does not match the delivery"}]}
    )

    reason: Reference


class RepayIn(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"payment_ref": "WIRE-2026-0002"}]})

    payment_ref: Reference


class EvidenceIn(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "evidence_hash": "0x2c26b46b68ffc68ff99b453c1d304134"
                    "13422d706483bfa0f98a5e886266e7ae"
                }
            ]
        }
    )

    evidence_hash: Hash32


class SettleIn(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"slot": 3, "token_ids": [7, 9], "payment_ref": "WIRE-2026-0003"}]
        }
    )

    slot: Annotated[int, Field(ge=0, le=MAX_INT64)]
    token_ids: Annotated[list[TokenId], Field(min_length=1, max_length=50)]
    payment_ref: Reference


class ParticipantIn(Strict):
    """A gateway participant: a new signing key in the gateway's keystore, or (`address`)
    an account that signs its own transactions and relays them."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "acme-steel"}]})

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


class AdmissionIn(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "address": "0x8ba1f109551bD432803012645Ac136ddd64DBA72",
                    "name": "Acme Steel Co., Ltd.",
                    "legal_id": "91310000MA1FL0001X",
                    "kyc": "kyc-file-2026-0042",
                    "roles": ["supplier"],
                }
            ]
        }
    )

    address: Address
    name: Annotated[str, Field(min_length=1, max_length=128)]
    legal_id: Reference
    kyc: Reference
    roles: Annotated[list[RoleName], Field(min_length=1, max_length=5)]


class SuspensionIn(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "licence revoked"}]})

    reason: Reference


class ProposalOut(Dated):
    id: int
    proposer: str
    target: str
    action: str = Field(description="The governed function, e.g. admitMember")
    args: dict[str, Any]
    status: ProposalStatus
    approvals: list[str]
    deadline: UnixSeconds
    created_block: int
    updated_block: int


class RelayIn(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "raw_transaction": "0x02f8b1827a6980843b9aca00847735940083030d4094"
                    "5fbdb2315678afecb367f032d93f642f64180aa380b844a9059cbb"
                }
            ]
        }
    )

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
    roles: list[Role]
    status: MemberStatus


class ReceivableOut(Dated):
    slot: int
    debtor: str
    creditor: str
    face_amount: AmountOut
    currency: str = Field(description="ISO 4217 code: the unit of every amount of the receivable")
    issue_date: UnixSeconds
    due_date: UnixSeconds
    document_hash: str
    root_token_id: int
    settled_value: AmountOut
    netted_value: AmountOut = Field(
        description="What set-off rounds cleared of it: live + settled + netted == face"
    )
    status: ReceivableStatus


class PieceOut(BaseModel):
    token_id: int
    slot: int
    holder: str
    value: AmountOut
    parent_token_id: int | None
    depth: int
    state: PieceState
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
    value: AmountOut
    state: PieceState | None
    redacted: bool = False
    children: list[LineageNodeOut] = []


class LineageOut(BaseModel):
    token_id: int
    currency: CurrencyOut
    ancestors: list[LineageNodeOut]
    tree: LineageNodeOut


class OfferOut(BaseModel):
    financier: str
    status: Literal["invited", "made", "declined"] = Field(
        description="invited: no answer yet; made: its standing offer; declined"
    )
    terms: TermsOut | None
    reason: str | None = Field(description="Why it declined")


class FinancingOut(Dated):
    """A financing request. A financier sees only its own offer; the requester sees all."""

    id: int
    token_id: int
    requester: str
    financier: str | None = Field(description="The financier whose offer was accepted")
    currency: CurrencyOut
    asked: TermsOut
    agreed: TermsOut | None
    offers: list[OfferOut]
    mode: Mode
    recourse: bool
    status: RequestStatus
    expires_at: UnixSeconds
    payment_ref: str | None = Field(
        description="In clear to its payer and payees on this gateway, else the on-chain hash"
    )
    payment_ref_hash: str | None = Field(description="The funding reference as on chain")


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
    value: AmountOut
    currency: CurrencyOut
    block_number: int
    tx_hash: str


class EvidenceOut(BaseModel):
    token_id: int
    evidence_hash: str
    attached_by: str
    block_number: int


class SettlementOut(Dated):
    token_id: int
    slot: int
    holder: str
    status: SettlementStatus
    currency: CurrencyOut
    amount: AmountOut = Field(description="Value settled so far")
    submitted_amount: AmountOut = Field(description="Value the latest submission reported paid")
    lien_holder: str | None
    lien_amount: AmountOut
    payee: str | None = Field(description="Who must confirm now (lien holder first, then holder)")
    confirm_by: UnixSeconds | None = Field(
        description="Unix seconds (UTC); after it the debtor may finalize"
    )
    deemed: bool = Field(description="Confirmed by silence past the confirmation window")
    payment_ref: str = Field(
        description="In clear to its payer and payees on this gateway, else the on-chain hash"
    )
    payment_ref_hash: str = Field(description="The payment reference as on chain")
    dispute_reason: str | None
    paid_on_chain: bool
    block_number: int
    tx_hash: str


class EscrowOut(BaseModel):
    payee: str
    amount: AmountOut = Field(description="Deposit-token payments waiting for the payee")
    currency: CurrencyOut = Field(
        description="The deposit token's currency (SCF_CURRENCIES' first)"
    )


class SettlementPage(BaseModel):
    items: list[SettlementOut]
    next_cursor: str | None


EVENT_ARGS = (
    "The event's arguments by their ABI names: amounts as decimal strings, the receivable's"
    " currency as its code (CNY), addresses checksummed, other bytes as 0x-hex"
)
EVENT_CURRENCY = "The currency of the amounts in `args`; null: none, or the ledger's own"


class FeedEventOut(BaseModel):
    id: int
    block_number: int
    tx_hash: str
    log_index: int
    contract: str
    name: str
    args: dict[str, Any] = Field(description=EVENT_ARGS)
    currency: str | None = Field(description=EVENT_CURRENCY)


class EventPage(BaseModel):
    items: list[FeedEventOut]
    next_cursor: str = Field(description="Pass as `after` to continue; may be past the last item")


class EventOut(BaseModel):
    contract: str
    name: str
    args: dict[str, Any] = Field(description=EVENT_ARGS)
    currency: str | None = Field(description=EVENT_CURRENCY)


class OperationError(BaseModel):
    name: str | None
    args: dict[str, Any] | None
    message: str | None


class OperationOut(BaseModel):
    """A write accepted by the gateway, from intake to its transaction's events."""

    id: str
    kind: str = Field(description="What was asked, e.g. receivable.issue or piece.transfer")
    status: OperationStatus
    tx_hash: str | None
    block_number: int | None
    error: OperationError | None
    events: list[EventOut]


class DocumentOut(BaseModel):
    sha256: str
    size: int
    content_type: str


class WebhookIn(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "https://erp.example.com/scf/hooks",
                    "event_names": ["PieceSent", "FinancingFunded"],
                }
            ]
        }
    )

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
    status: DeliveryStatus
    attempts: list[WebhookAttemptOut]
    next_attempt_at: datetime | None
    delivered_at: datetime | None


class ParticipantStatusOut(BaseModel):
    name: str
    address: str
    status: ParticipantStatus
    roles: list[Role]


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
    indicators: RiskIndicatorsOut


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


class AuditRecordOut(BaseModel):
    """One record of the audit trail: who (person, institution, roles, credential, address,
    user agent), what (the route, the path, the request's SHA-256, never its body), how it
    ended (status, result: `ok` or the problem's type slug; operation, transaction, draft)
    and the chain (`hash` = SHA-256 of `prev_hash` and the record, docs/people.md)."""

    id: int
    at: datetime
    participant: str | None
    user_id: str | None
    username: str | None
    roles: list[str] = Field(description="The person's roles inside its institution")
    credential: Literal["session", "key", "operator", "anonymous"]
    address: str | None = Field(description="The client's IP address")
    user_agent: str | None
    action: str = Field(description="Method and route template: `POST /v1/receivables`")
    target: str = Field(description="The path requested")
    request_hash: str = Field(description="SHA-256 of method, path, query and body (hex)")
    status_code: int = Field(
        description="The HTTP status answered (an operator command: its exit status)"
    )
    result: str = Field(description="`ok`, or the type slug of the problem answered")
    operation_id: str | None
    tx_hash: str | None
    draft_id: str | None
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditRecordOut]
    next_cursor: str | None


class SsoIn(Strict):
    """A participant's OpenID Connect provider. `client_secret` may be left out to keep the
    one stored (never on the first configuration); it is stored sealed and never shown."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "issuer": "https://login.acme-steel.example/realms/staff",
                    "client_id": "scfledger",
                    "client_secret": "a secret the provider issued",
                }
            ]
        },
    )

    issuer: str = Field(min_length=8, max_length=2048, pattern=r"^https?://")
    client_id: str = Field(min_length=1, max_length=255)
    client_secret: str | None = Field(default=None, min_length=1, max_length=512)
    username_claim: str = Field(
        default="preferred_username",
        pattern=r"^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$",
        description="The claim whose value is the user's username at this gateway",
    )
    required_acr: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="Ask for this authentication context class and refuse a login without it"
        " (the provider's second factor); unset: the provider's login is enough",
    )


class SsoOut(BaseModel):
    """A participant's OpenID Connect provider (never its client secret)."""

    participant: str
    issuer: str
    client_id: str
    username_claim: str
    required_acr: str | None
    login_url: str = Field(description="Where the participant's people start signing in")
    created_at: datetime
    updated_at: datetime
