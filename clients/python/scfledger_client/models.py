"""Request and response bodies of the gateway's REST API, generated from its OpenAPI
document by scripts/gen_python_client.py: do not edit (rerun it). Its length
is the API's: one class per body."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType


class AcceptedCurrencyOut(BaseModel):
    code: Annotated[str, Field(title="Code")]
    """
    ISO 4217 code
    """
    minor_digits: Annotated[int, Field(title="Minor Digits")]
    """
    ISO 4217 minor-unit digits: 2 for CNY, 0 for JPY
    """
    issuable: Annotated[bool, Field(title="Issuable")]
    """
    Receivables may be issued in it here: its digits are the ledger's value decimals (else `POST /v1/receivables` answers 422 currency-not-accepted)
    """
    deposit: Annotated[bool, Field(title="Deposit")]
    """
    The deposit token's currency (SCF_CURRENCIES' first)
    """


class AdjustOut(BaseModel):
    calendar: Annotated[str, Field(title="Calendar")]
    convention: Annotated[str, Field(title="Convention")]
    given: Annotated[date, Field(title="Given")]
    adjusted: Annotated[date, Field(title="Adjusted")]
    moved: Annotated[bool, Field(title="Moved")]
    reason: Annotated[str | None, Field(title="Reason")]
    """
    Why the given date is no business day
    """


class AdjustedDateOut(BaseModel):
    given: Annotated[date, Field(title="Given")]
    adjusted: Annotated[date, Field(title="Adjusted")]
    """
    The business day the convention moves it to
    """
    moved: Annotated[bool, Field(title="Moved")]
    reason: Annotated[str | None, Field(title="Reason")]
    """
    Why the given date is no business day: a holiday's name, or weekend
    """


class AdmissionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    address: Annotated[
        str,
        Field(
            examples=["0xabababababababababababababababababababab"],
            pattern="^0x[0-9a-fA-F]{40}$",
            title="Address",
        ),
    ]
    name: Annotated[str, Field(max_length=128, min_length=1, title="Name")]
    legal_id: Annotated[str, Field(max_length=128, min_length=1, title="Legal Id")]
    """
    0x + 64 hex digits, or text (recorded on chain as its SHA-256)
    """
    kyc: Annotated[str, Field(max_length=128, min_length=1, title="Kyc")]
    """
    0x + 64 hex digits, or text (recorded on chain as its SHA-256)
    """
    roles: Annotated[
        list[Literal["admin", "core_enterprise", "supplier", "financier", "auditor"]],
        Field(max_length=5, min_length=1, title="Roles"),
    ]


class AdvanceBand(BaseModel):
    """
    Debtors settling at least `min_on_time_bps` of their pieces on time may be advanced
    up to `max_advance_bps` of a piece's value.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    min_on_time_bps: Annotated[int, Field(ge=0, le=10000, title="Min On Time Bps")]
    max_advance_bps: Annotated[int, Field(ge=0, le=10000, title="Max Advance Bps")]


Owner = TypeAliasType(
    "Owner",
    Annotated[
        str,
        Field(max_length=64, min_length=1, pattern="^[a-z0-9][a-z0-9._-]*$", title="Owner"),
    ],
)


class ApiKeyIn(BaseModel):
    """
    A new API key: its owner (a username of the caller's participant; by default the
    caller), scopes and perhaps an expiry (in the future, at most a year ahead).
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    name: Annotated[str, Field(max_length=64, title="Name")] = ""
    scopes: Annotated[
        list[Literal["read", "write", "approve"]] | None,
        Field(max_length=3, min_length=1, title="Scopes"),
    ] = None
    expires_at: Annotated[datetime | None, Field(title="Expires At")] = None
    owner: Annotated[Owner | None, Field(title="Owner")] = None


class ApiKeyOut(BaseModel):
    prefix: Annotated[str, Field(title="Prefix")]
    """
    The key's first characters, to tell keys apart
    """
    name: Annotated[str, Field(title="Name")]
    owner: Annotated[str, Field(title="Owner")]
    """
    The username of the user or service account owning it
    """
    scopes: Annotated[list[Literal["read", "write", "approve"]], Field(title="Scopes")]
    created_at: Annotated[datetime, Field(title="Created At")]
    expires_at: Annotated[datetime | None, Field(title="Expires At")]
    last_used_at: Annotated[datetime | None, Field(title="Last Used At")]
    revoked_at: Annotated[datetime | None, Field(title="Revoked At")]


class AuditRecordOut(BaseModel):
    """
    One record of the audit trail: who (person, institution, roles, credential, address,
    user agent), what (the route, the path, the request's SHA-256, never its body), how it
    ended (status, result: `ok` or the problem's type slug; operation, transaction, draft)
    and the chain (`hash` = SHA-256 of `prev_hash` and the record, docs/people.md).
    """

    id: Annotated[int, Field(title="Id")]
    at: Annotated[datetime, Field(title="At")]
    participant: Annotated[str | None, Field(title="Participant")]
    user_id: Annotated[str | None, Field(title="User Id")]
    username: Annotated[str | None, Field(title="Username")]
    roles: Annotated[list[str], Field(title="Roles")]
    """
    The person's roles inside its institution
    """
    credential: Annotated[
        Literal["session", "key", "operator", "anonymous"], Field(title="Credential")
    ]
    address: Annotated[str | None, Field(title="Address")]
    """
    The client's IP address
    """
    user_agent: Annotated[str | None, Field(title="User Agent")]
    action: Annotated[str, Field(title="Action")]
    """
    Method and route template: `POST /v1/receivables`
    """
    target: Annotated[str, Field(title="Target")]
    """
    The path requested
    """
    request_hash: Annotated[str, Field(title="Request Hash")]
    """
    SHA-256 of method, path, query and body (hex)
    """
    status_code: Annotated[int, Field(title="Status Code")]
    """
    The HTTP status answered (an operator command: its exit status)
    """
    result: Annotated[str, Field(title="Result")]
    """
    `ok`, or the type slug of the problem answered
    """
    operation_id: Annotated[str | None, Field(title="Operation Id")]
    tx_hash: Annotated[str | None, Field(title="Tx Hash")]
    draft_id: Annotated[str | None, Field(title="Draft Id")]
    prev_hash: Annotated[str, Field(title="Prev Hash")]
    hash: Annotated[str, Field(title="Hash")]


class BatchLineOut(BaseModel):
    """
    One line: what it became and how far it is. `rejected`: refused before anything was
    sent (`problem` is what a single request would have got); `draft`: held for a checker
    (`draft_id`), `withdrawn` once its checkers rejected it or it expired; otherwise its
    operation's status, `failed` with the contract's `problem`.
    """

    line: Annotated[int, Field(title="Line")]
    status: Annotated[
        Literal[
            "rejected", "draft", "withdrawn", "queued", "submitted", "mined", "indexed", "failed"
        ],
        Field(title="Status"),
    ]
    operation_id: Annotated[str | None, Field(title="Operation Id")]
    draft_id: Annotated[int | None, Field(title="Draft Id")]
    tx_hash: Annotated[str | None, Field(title="Tx Hash")]
    problem: Annotated[dict[str, Any] | None, Field(title="Problem")]
    """
    An RFC 9457 problem document
    """


class BatchOut(BaseModel):
    """
    A batch and its progress: how many lines are in each status, whether all are
    finished, and a page of its lines (`next_cursor`: the last line of the page).
    """

    object: Annotated[Literal["batch"], Field(title="Object")] = "batch"
    id: Annotated[int, Field(title="Id")]
    kind: Annotated[Literal["receivable.issue", "settlement"], Field(title="Kind")]
    lines: Annotated[int, Field(title="Lines")]
    counts: Annotated[dict[str, int], Field(title="Counts")]
    """
    Lines per status; statuses with none omitted
    """
    done: Annotated[bool, Field(title="Done")]
    """
    Every line rejected, mined, indexed, failed or withdrawn
    """
    created_at: Annotated[datetime, Field(title="Created At")]
    items: Annotated[list[BatchLineOut], Field(title="Items")]
    next_cursor: Annotated[str | None, Field(title="Next Cursor")]


class CalendarDayOut(BaseModel):
    day: Annotated[date, Field(title="Day")]
    business_day: Annotated[bool, Field(title="Business Day")]
    weekend: Annotated[bool, Field(title="Weekend")]
    holiday: Annotated[str | None, Field(title="Holiday")]
    """
    The public holiday it belongs to, or that an in-lieu working day makes up
    """
    in_lieu_working_day: Annotated[bool, Field(title="In Lieu Working Day")]
    """
    A weekend day worked (调休上班)
    """


class CalendarDaysOut(BaseModel):
    calendar: Annotated[str, Field(title="Calendar")]
    days: Annotated[list[CalendarDayOut], Field(title="Days")]


class CalendarOut(BaseModel):
    name: Annotated[str, Field(title="Name")]
    years: Annotated[list[int] | None, Field(title="Years")]
    """
    First and last year known; null: any year
    """
    currencies: Annotated[list[str], Field(title="Currencies")]
    """
    The currencies it is the default of
    """
    description: Annotated[str, Field(title="Description")]


class ChainNetworkOut(BaseModel):
    """
    The gateway's chain node and its network as the node reports them.
    """

    engine: Annotated[Literal["dev", "bft", "clique", "unknown"], Field(title="Engine")]
    """
    The consensus engine: dev (anvil, eth-tester), bft (QBFT, IBFT 2.0), clique, or unknown
    """
    peer_count: Annotated[int | None, Field(title="Peer Count")]
    """
    The node's connected peers (`net_peerCount`); null when the node does not say (a dev chain)
    """
    sealers: Annotated[list[str] | None, Field(title="Sealers")]
    """
    The Clique sealers (`clique_getSigners`), checksummed; null when the network is not Clique or its node does not serve the clique API
    """


class ChainTimeOut(BaseModel):
    """
    The chain's clock beside the gateway's. Due dates, deadlines and the overdue state
    are judged on the chain's clock (block timestamps), never on a computer's.
    """

    block_number: Annotated[int, Field(title="Block Number")]
    """
    The node's latest block
    """
    block_timestamp: Annotated[int, Field(title="Block Timestamp")]
    """
    Unix seconds (UTC): the latest block's
    """
    gateway_time: Annotated[int, Field(title="Gateway Time")]
    """
    Unix seconds (UTC): the gateway's clock
    """
    chain_ahead_seconds: Annotated[int, Field(title="Chain Ahead Seconds")]
    """
    block_timestamp - gateway_time: positive when the chain's clock is ahead of the gateway's (a dev chain moved forward), negative when it is behind (no block for a while)
    """
    indexed_block: Annotated[int | None, Field(title="Indexed Block")]
    """
    The last block the gateway has indexed (null: none yet)
    """
    indexed_timestamp: Annotated[int | None, Field(title="Indexed Timestamp")]
    """
    Unix seconds (UTC): the last indexed block's, the time risk views and reports judge at
    """
    block_timestamp_iso: Annotated[
        str, Field(examples=["2027-01-01T00:00:00+00:00"], title="Block Timestamp Iso")
    ]
    """
    `block_timestamp` as ISO 8601 in UTC with its offset (+00:00)
    """
    gateway_time_iso: Annotated[
        str, Field(examples=["2027-01-01T00:00:00+00:00"], title="Gateway Time Iso")
    ]
    """
    `gateway_time` as ISO 8601 in UTC with its offset (+00:00)
    """
    indexed_timestamp_iso: Annotated[
        str | None,
        Field(examples=["2027-01-01T00:00:00+00:00"], title="Indexed Timestamp Iso"),
    ]
    """
    `indexed_timestamp` as ISO 8601 in UTC with its offset (+00:00)
    """


class CheckOut(BaseModel):
    """
    One readiness check; `error` names what failed.
    """

    ok: Annotated[bool, Field(title="Ok")]
    error: Annotated[str | None, Field(title="Error")] = None
    head: Annotated[int | None, Field(title="Head")] = None
    """
    chain: the node's latest block
    """
    lag: Annotated[int | None, Field(title="Lag")] = None
    """
    indexer: blocks behind the head
    """
    faults: Annotated[int | None, Field(title="Faults")] = None
    """
    indexer: events it could not project
    """


TwoCheckerAmount = TypeAliasType(
    "TwoCheckerAmount",
    Annotated[
        str,
        Field(
            examples=["0.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Two Checker Amount",
        ),
    ],
)
"""
A decimal string in the currency's units, exact: "1000000.00" CNY is one million yuan. A JSON number is refused (amount-not-a-string); at most the currency's minor digits (amount-too-precise); zero allowed
"""


class CheckerPolicyIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    kinds: Annotated[
        list[
            Literal[
                "escrow.claim",
                "financing.accept",
                "financing.claim_recourse",
                "financing.expire",
                "financing.fund",
                "financing.offer",
                "financing.reject",
                "financing.repay",
                "financing.repay_recourse",
                "financing.request",
                "financing.withdraw",
                "key.admin",
                "member.admit",
                "member.reinstate",
                "member.suspend",
                "piece.accept",
                "piece.evidence",
                "piece.mark_defaulted",
                "piece.mark_overdue",
                "piece.recall",
                "piece.refuse",
                "piece.transfer",
                "policy.update",
                "proposal.approve",
                "proposal.cancel",
                "proposal.revoke",
                "receivable.accept",
                "receivable.cancel",
                "receivable.expire",
                "receivable.issue",
                "receivable.reject",
                "receivable.settle",
                "setoff.consent",
                "setoff.execute",
                "setoff.propose",
                "setoff.refuse",
                "settlement.confirm",
                "settlement.dispute",
                "settlement.finalize",
                "transaction.relay",
                "user.admin",
            ]
        ],
        Field(max_length=41, title="Kinds"),
    ]
    """
    Kinds that need a checker
    """
    two_checker_amount: Annotated[TwoCheckerAmount | None, Field(title="Two Checker Amount")] = None
    """
    Above it two different checkers, in the deposit currency (SCF_CURRENCIES' first; every currency of the ledger has its digits); null: one always
    """
    draft_ttl_hours: Annotated[int, Field(ge=1, le=2160, title="Draft Ttl Hours")] = 72


TwoCheckerAmount1 = TypeAliasType(
    "TwoCheckerAmount1",
    Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Two Checker Amount",
        ),
    ],
)
"""
A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
"""


class CheckerPolicyOut(BaseModel):
    participant: Annotated[str, Field(title="Participant")]
    kinds: Annotated[list[str], Field(title="Kinds")]
    two_checker_amount: Annotated[TwoCheckerAmount1 | None, Field(title="Two Checker Amount")]
    currency: Annotated[str, Field(examples=["CNY"], title="Currency")]
    """
    The unit of `two_checker_amount`
    """
    draft_ttl_hours: Annotated[int, Field(title="Draft Ttl Hours")]
    default: Annotated[bool, Field(title="Default")]
    """
    True: the participant has set no policy of its own
    """


class CircularTransfersOut(BaseModel):
    count: Annotated[int, Field(title="Count")]
    value: Annotated[
        str,
        Field(
            examples=["8000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Value",
        ),
    ]
    """
    An exact decimal string in the request's currency (`request.currency`), with the currency's minor digits
    """
    members: Annotated[list[str], Field(title="Members")]


class ClearingOut(BaseModel):
    piece: Annotated[int, Field(title="Piece")]
    debtor: Annotated[
        str,
        Field(
            examples=["0xabababababababababababababababababababab"],
            pattern="^0x[0-9a-fA-F]{40}$",
            title="Debtor",
        ),
    ]
    creditor: Annotated[
        str,
        Field(
            examples=["0xabababababababababababababababababababab"],
            pattern="^0x[0-9a-fA-F]{40}$",
            title="Creditor",
        ),
    ]
    """
    The piece's holder
    """
    amount: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Amount",
        ),
    ]
    """
    A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
    """


class CostOut(BaseModel):
    """
    The annualised cost over the term's calendar days, per year of 365 days.
    """

    simple: Annotated[str, Field(examples=["4.6308"], title="Simple")]
    """
    (given - received) / received x 365 / days
    """
    effective: Annotated[str, Field(examples=["4.6308"], title="Effective")]
    """
    (given / received) ^ (365 / days) - 1
    """


class CurrenciesOut(BaseModel):
    """
    The currencies the consortium accepts (SCF_CURRENCIES, in its order).
    """

    value_decimals: Annotated[int, Field(title="Value Decimals")]
    """
    The ledger's value decimals (ReceivableToken)
    """
    currencies: Annotated[list[AcceptedCurrencyOut], Field(title="Currencies")]


class DebtorRecordOut(BaseModel):
    debtor: Annotated[str, Field(title="Debtor")]
    settled_pieces: Annotated[int, Field(title="Settled Pieces")]
    settled_late: Annotated[int, Field(title="Settled Late")]
    on_time_bps: Annotated[int | None, Field(title="On Time Bps")]
    open_overdue_value: Annotated[
        str,
        Field(
            examples=["8000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Open Overdue Value",
        ),
    ]
    """
    An exact decimal string in the request's currency (`request.currency`), with the currency's minor digits
    """
    open_overdue_pieces: Annotated[int, Field(title="Open Overdue Pieces")]
    defaulted_value: Annotated[
        str,
        Field(
            examples=["8000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Defaulted Value",
        ),
    ]
    """
    An exact decimal string in the request's currency (`request.currency`), with the currency's minor digits
    """


class DecisionOut(BaseModel):
    username: Annotated[str, Field(title="Username")]
    decision: Annotated[Literal["approve", "reject"], Field(title="Decision")]
    reason: Annotated[str | None, Field(title="Reason")]
    at: Annotated[datetime, Field(title="At")]


class DocumentOut(BaseModel):
    sha256: Annotated[str, Field(title="Sha256")]
    size: Annotated[int, Field(title="Size")]
    content_type: Annotated[str, Field(title="Content Type")]


Amount = TypeAliasType(
    "Amount",
    Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Amount",
        ),
    ],
)
"""
A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
"""


class DraftOut(BaseModel):
    """
    A maker's write held until checkers approve it. A write answers 202 with this body
    (and `Location: /v1/drafts/{id}`) instead of an operation when the participant's policy
    needs a checker for it: `object` is always "draft" (an operation has no `object`).
    """

    object: Annotated[Literal["draft"], Field(title="Object")]
    """
    Always "draft": tells a draft from an operation
    """
    id: Annotated[int, Field(title="Id")]
    kind: Annotated[str, Field(title="Kind")]
    """
    The operation kind, e.g. receivable.issue
    """
    status: Annotated[
        Literal["pending", "approved", "rejected", "expired", "submitted"],
        Field(title="Status"),
    ]
    arguments: Annotated[dict[str, Any], Field(title="Arguments")]
    """
    The write's arguments, as its use case takes them (amounts as decimal strings; `terms` as [advance, repayment, fees, fund_by])
    """
    amount: Annotated[Amount | None, Field(title="Amount")]
    """
    What the write is worth (the two-checker threshold compares it); null: no amount
    """
    maker: Annotated[str, Field(title="Maker")]
    approvals_required: Annotated[int, Field(ge=1, le=2, title="Approvals Required")]
    decisions: Annotated[list[DecisionOut], Field(title="Decisions")]
    created_at: Annotated[datetime, Field(title="Created At")]
    expires_at: Annotated[datetime, Field(title="Expires At")]
    decided_at: Annotated[datetime | None, Field(title="Decided At")]
    reason: Annotated[str | None, Field(title="Reason")]
    """
    The rejection's reason, or why it was not submitted
    """
    operation_id: Annotated[str | None, Field(title="Operation Id")]
    """
    The operation, once submitted
    """


class DraftPage(BaseModel):
    items: Annotated[list[DraftOut], Field(title="Items")]
    next_cursor: Annotated[str | None, Field(title="Next Cursor")]


class EscrowOut(BaseModel):
    payee: Annotated[str, Field(title="Payee")]
    amount: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Amount",
        ),
    ]
    """
    Deposit-token payments waiting for the payee
    """
    currency: Annotated[str, Field(examples=["CNY"], title="Currency")]
    """
    The deposit token's currency (SCF_CURRENCIES' first)
    """


class EventOut(BaseModel):
    contract: Annotated[str, Field(title="Contract")]
    name: Annotated[str, Field(title="Name")]
    args: Annotated[dict[str, Any], Field(title="Args")]
    """
    The event's arguments by their ABI names: amounts as decimal strings, the receivable's currency as its code (CNY), addresses checksummed, other bytes as 0x-hex
    """
    currency: Annotated[str | None, Field(title="Currency")]
    """
    The currency of the amounts in `args`; null: none, or the ledger's own
    """


class EvidenceIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    evidence_hash: Annotated[str, Field(pattern="^0x[0-9a-fA-F]{64}$", title="Evidence Hash")]


class EvidenceOut(BaseModel):
    token_id: Annotated[int, Field(title="Token Id")]
    evidence_hash: Annotated[str, Field(title="Evidence Hash")]
    attached_by: Annotated[str, Field(title="Attached By")]
    block_number: Annotated[int, Field(title="Block Number")]


class FeedEventOut(BaseModel):
    id: Annotated[int, Field(title="Id")]
    block_number: Annotated[int, Field(title="Block Number")]
    tx_hash: Annotated[str, Field(title="Tx Hash")]
    log_index: Annotated[int, Field(title="Log Index")]
    contract: Annotated[str, Field(title="Contract")]
    name: Annotated[str, Field(title="Name")]
    args: Annotated[dict[str, Any], Field(title="Args")]
    """
    The event's arguments by their ABI names: amounts as decimal strings, the receivable's currency as its code (CNY), addresses checksummed, other bytes as 0x-hex
    """
    currency: Annotated[str | None, Field(title="Currency")]
    """
    The currency of the amounts in `args`; null: none, or the ledger's own
    """


Flat = TypeAliasType(
    "Flat",
    Annotated[str, Field(examples=["8000000.00"], pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$")],
)
"""
A decimal string in the currency, at most its minor digits
"""


Bps = TypeAliasType(
    "Bps",
    Annotated[str, Field(examples=["10"], pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$")],
)
"""
Basis points (50 = 0.50 %), at most 10000
"""


class FeesIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    flat: Flat | None = None
    """
    A flat fee (default 0)
    """
    bps: Bps | None = None
    """
    Basis points of the loan's advance, or of the factored piece's value
    """


class FinancierExposureOut(BaseModel):
    financier: Annotated[str, Field(title="Financier")]
    to_debtor: Annotated[
        str,
        Field(
            examples=["8000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="To Debtor",
        ),
    ]
    """
    An exact decimal string in the request's currency (`request.currency`), with the currency's minor digits
    """
    total: Annotated[
        str,
        Field(
            examples=["8000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Total",
        ),
    ]
    """
    An exact decimal string in the request's currency (`request.currency`), with the currency's minor digits
    """
    to_debtor_after: Annotated[
        str,
        Field(
            examples=["8000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="To Debtor After",
        ),
    ]
    """
    An exact decimal string in the request's currency (`request.currency`), with the currency's minor digits
    """
    total_after: Annotated[
        str,
        Field(
            examples=["8000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Total After",
        ),
    ]
    """
    An exact decimal string in the request's currency (`request.currency`), with the currency's minor digits
    """
    concentration_bps: Annotated[int, Field(title="Concentration Bps")]


Financier = TypeAliasType(
    "Financier",
    Annotated[
        str,
        Field(
            examples=["0xabababababababababababababababababababab"],
            pattern="^0x[0-9a-fA-F]{40}$",
        ),
    ],
)


class FundIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    payment_ref: Annotated[str, Field(max_length=128, min_length=1, title="Payment Ref")]


class HealthOut(BaseModel):
    status: Annotated[Literal["ok"], Field(title="Status")]


class IssueIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    creditor: Annotated[
        str,
        Field(
            examples=["0xabababababababababababababababababababab"],
            pattern="^0x[0-9a-fA-F]{40}$",
            title="Creditor",
        ),
    ]
    face_amount: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Face Amount",
        ),
    ]
    """
    A decimal string in the currency's units, exact: "1000000.00" CNY is one million yuan. A JSON number is refused (amount-not-a-string); at most the currency's minor digits (amount-too-precise)
    """
    currency: Annotated[str, Field(examples=["CNY"], pattern="^[A-Z]{3}$", title="Currency")] = (
        "CNY"
    )
    """
    ISO 4217 code, one the consortium accepts (SCF_CURRENCIES)
    """
    due_date: Annotated[int, Field(gt=0, title="Due Date")]
    """
    Unix seconds, at most 1576800000 s (50 years) from now
    """
    document_hash: Annotated[str, Field(pattern="^0x[0-9a-fA-F]{64}$", title="Document Hash")]
    """
    SHA-256 of a document uploaded first (POST /v1/documents)
    """


class IssuedApiKeyOut(BaseModel):
    name: Annotated[str, Field(title="Name")]
    """
    The participant
    """
    address: Annotated[str, Field(title="Address")]
    api_key: Annotated[str, Field(title="Api Key")]
    """
    Shown once; the gateway stores only its hash.
    """
    key: ApiKeyOut


class ItemIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    piece: Annotated[int, Field(ge=1, title="Piece")]
    """
    The piece (token id) to reduce
    """
    amount: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Amount",
        ),
    ]
    """
    How much of the piece's value clears
    """


JsonValue = TypeAliasType("JsonValue", Any)


class LineageNodeOut(BaseModel):
    """
    A piece in a lineage; one the caller does not see is `redacted` (no holder, no state).
    """

    token_id: Annotated[int, Field(title="Token Id")]
    parent_token_id: Annotated[int | None, Field(title="Parent Token Id")]
    depth: Annotated[int, Field(title="Depth")]
    holder: Annotated[str | None, Field(title="Holder")]
    value: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Value",
        ),
    ]
    """
    A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
    """
    state: Annotated[
        Literal[
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
            "awaiting_confirmation",
            "expired",
            "netted",
        ]
        | None,
        Field(title="State"),
    ]
    redacted: Annotated[bool, Field(title="Redacted")] = False
    children: Annotated[list[LineageNodeOut], Field(title="Children", validate_default=True)] = []


class LineageOut(BaseModel):
    token_id: Annotated[int, Field(title="Token Id")]
    currency: Annotated[str, Field(examples=["CNY"], title="Currency")]
    """
    ISO 4217 code: the unit of the amounts
    """
    ancestors: Annotated[list[LineageNodeOut], Field(title="Ancestors")]
    tree: LineageNodeOut


Code = TypeAliasType("Code", Annotated[str, Field(max_length=16, min_length=1, title="Code")])


class LoginIn(BaseModel):
    """
    A person's credentials: its participant, username, password, and (admins and
    checkers) the current code of its authenticator app.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    participant: Annotated[str, Field(pattern="^[a-z0-9][a-z0-9_-]{0,63}$", title="Participant")]
    username: Annotated[
        str,
        Field(
            max_length=64,
            min_length=1,
            pattern="^[a-z0-9][a-z0-9._-]*$",
            title="Username",
        ),
    ]
    password: Annotated[str, Field(max_length=256, min_length=1, title="Password")]
    code: Annotated[Code | None, Field(title="Code")] = None


class MemberOut(BaseModel):
    address: Annotated[str, Field(title="Address")]
    name: Annotated[str, Field(title="Name")]
    roles: Annotated[
        list[Literal["admin", "core_enterprise", "supplier", "financier", "auditor"]],
        Field(title="Roles"),
    ]
    status: Annotated[Literal["none", "active", "suspended"], Field(title="Status")]
    """
    The member's status in the consortium registry
    """


class OfferTermsOut(BaseModel):
    """
    Terms in the form of an offer's body (`POST /v1/financing-requests/{id}/offers`).
    """

    advance: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Advance",
        ),
    ]
    """
    A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
    """
    repayment: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Repayment",
        ),
    ]
    """
    A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
    """
    fees: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Fees",
        ),
    ]
    """
    A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
    """
    fund_by: Annotated[int, Field(title="Fund By")]
    """
    The last second of the funding date (UTC)
    """


class OperationError(BaseModel):
    name: Annotated[str | None, Field(title="Name")]
    args: Annotated[dict[str, Any] | None, Field(title="Args")]
    message: Annotated[str | None, Field(title="Message")]


class OperationOut(BaseModel):
    """
    A write accepted by the gateway, from intake to its transaction's events.
    """

    id: Annotated[str, Field(title="Id")]
    kind: Annotated[str, Field(title="Kind")]
    """
    What was asked, e.g. receivable.issue or piece.transfer
    """
    status: Annotated[
        Literal["queued", "submitted", "mined", "indexed", "failed"],
        Field(title="Status"),
    ]
    """
    queued: accepted, not yet sent; submitted: sent to the chain; mined: in a block; indexed: its events are readable; failed: see `error`
    """
    tx_hash: Annotated[str | None, Field(title="Tx Hash")]
    block_number: Annotated[int | None, Field(title="Block Number")]
    error: OperationError | None
    events: Annotated[list[EventOut], Field(title="Events")]


Address = TypeAliasType(
    "Address",
    Annotated[
        str,
        Field(
            examples=["0xabababababababababababababababababababab"],
            pattern="^0x[0-9a-fA-F]{40}$",
            title="Address",
        ),
    ],
)


class ParticipantIn(BaseModel):
    """
    A gateway participant: a new signing key in the gateway's keystore, or (`address`)
    an account that signs its own transactions and relays them.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    name: Annotated[str, Field(pattern="^[a-z0-9][a-z0-9_-]{0,63}$", title="Name")]
    address: Annotated[Address | None, Field(title="Address")] = None


class ParticipantOut(BaseModel):
    name: Annotated[str, Field(title="Name")]
    address: Annotated[str, Field(title="Address")]
    api_key: Annotated[str, Field(title="Api Key")]
    """
    Shown once; the gateway stores only its hash.
    """


class ParticipantStatusOut(BaseModel):
    name: Annotated[str, Field(title="Name")]
    address: Annotated[str, Field(title="Address")]
    status: Annotated[Literal["active", "suspended", "not-admitted"], Field(title="Status")]
    """
    The member's on-chain status: active, suspended, or not-admitted
    """
    roles: Annotated[
        list[Literal["admin", "core_enterprise", "supplier", "financier", "auditor"]],
        Field(title="Roles"),
    ]


class PartyOut(BaseModel):
    party: Annotated[
        str,
        Field(
            examples=["0xabababababababababababababababababababab"],
            pattern="^0x[0-9a-fA-F]{40}$",
            title="Party",
        ),
    ]
    answer: Annotated[Literal["awaiting", "given", "refused"], Field(title="Answer")]
    """
    A party's answer to the round
    """


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    current_password: Annotated[str, Field(max_length=256, min_length=1, title="Current Password")]
    new_password: Annotated[str, Field(max_length=256, min_length=1, title="New Password")]


class PaymentOut(BaseModel):
    payment_ref: Annotated[str | None, Field(title="Payment Ref")]
    """
    In clear, if the caller may read it
    """
    payment_ref_hash: Annotated[str, Field(title="Payment Ref Hash")]
    """
    As on chain (bytes32)
    """
    kind: Annotated[
        Literal[
            "financing_funded",
            "financing_repaid",
            "financing_recourse_repaid",
            "settlement_paid",
            "settlement_submitted",
            "settlement_confirmed",
        ],
        Field(title="Kind"),
    ]
    """
    Which payment
    """
    amount: Annotated[Amount | None, Field(title="Amount")]
    """
    A decimal string in the currency (e.g. "1000000.00" CNY)
    """
    currency: Annotated[str, Field(title="Currency")]
    payer: Annotated[str, Field(title="Payer")]
    payer_name: Annotated[str | None, Field(title="Payer Name")]
    payee: Annotated[str, Field(title="Payee")]
    payee_name: Annotated[str | None, Field(title="Payee Name")]
    request_id: Annotated[int | None, Field(title="Request Id")]
    slot: Annotated[int | None, Field(title="Slot")]
    token_id: Annotated[int | None, Field(title="Token Id")]
    status: Annotated[
        Literal["funded", "repaid", "recourse_repaid", "paid", "submitted", "confirmed", "deemed"],
        Field(title="Status"),
    ]
    """
    The step that recorded the payment
    """
    at: Annotated[int, Field(title="At")]
    """
    The block's time, Unix seconds
    """
    at_iso: Annotated[str, Field(title="At Iso")]
    """
    The block's time, ISO 8601 with the period zone's offset
    """
    tx_hash: Annotated[str, Field(title="Tx Hash")]
    block_number: Annotated[int, Field(title="Block Number")]


class PenaltyOut(BaseModel):
    rate: Annotated[str, Field(examples=["4.6308"], title="Rate")]
    """
    Percent a year, as a decimal string
    """
    paid_on: Annotated[date, Field(title="Paid On")]
    days_late: Annotated[int, Field(title="Days Late")]
    """
    Calendar days after the adjusted due date
    """
    amount: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Amount",
        ),
    ]
    """
    A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
    """


class PersonOut(BaseModel):
    """
    Who is signed in (or owns the API key), and what its credential allows.
    """

    user_id: Annotated[str, Field(title="User Id")]
    participant: Annotated[str, Field(title="Participant")]
    username: Annotated[str, Field(title="Username")]
    display_name: Annotated[str, Field(title="Display Name")]
    kind: Annotated[Literal["user", "service"], Field(title="Kind")]
    roles: Annotated[list[Literal["admin", "maker", "checker", "viewer"]], Field(title="Roles")]
    scopes: Annotated[list[Literal["read", "write", "approve"]], Field(title="Scopes")]
    credential: Annotated[Literal["session", "key"], Field(title="Credential")]
    must_change_password: Annotated[bool, Field(title="Must Change Password")]


class PieceProfile(BaseModel):
    depth: Annotated[int, Field(title="Depth")]
    state: Annotated[
        Literal[
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
            "awaiting_confirmation",
            "expired",
            "netted",
        ],
        Field(title="State"),
    ]
    age_blocks: Annotated[int, Field(title="Age Blocks")]
    receivable_age_days: Annotated[int, Field(title="Receivable Age Days")]
    days_to_maturity: Annotated[int, Field(title="Days To Maturity")]


TotalDebt = TypeAliasType(
    "TotalDebt",
    Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Total Debt",
        ),
    ],
)
"""
A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
"""


Cleared = TypeAliasType(
    "Cleared",
    Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Cleared",
        ),
    ],
)
"""
A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
"""


NetInternalDebt = TypeAliasType(
    "NetInternalDebt",
    Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Net Internal Debt",
        ),
    ],
)
"""
A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
"""


class PlannedRoundOut(BaseModel):
    number: Annotated[int, Field(title="Number")]
    """
    The round's number in this plan (propose it by it)
    """
    items: Annotated[list[ClearingOut], Field(title="Items")]
    """
    The items the caller may see
    """
    item_count: Annotated[int, Field(title="Item Count")]
    """
    How many items the round has in all
    """
    total: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Total",
        ),
    ]
    """
    What the round clears in all
    """


MinOnTimeBps = TypeAliasType(
    "MinOnTimeBps", Annotated[int, Field(ge=0, le=10000, title="Min On Time Bps")]
)


MaxConcentrationBps = TypeAliasType(
    "MaxConcentrationBps",
    Annotated[int, Field(ge=0, le=10000, title="Max Concentration Bps")],
)


MaxDepth = TypeAliasType("MaxDepth", Annotated[int, Field(ge=0, title="Max Depth")])


MaxCircularTransfers = TypeAliasType(
    "MaxCircularTransfers", Annotated[int, Field(ge=0, title="Max Circular Transfers")]
)


MaxTransfersInWindow = TypeAliasType(
    "MaxTransfersInWindow", Annotated[int, Field(ge=0, title="Max Transfers In Window")]
)


MaxDuplicateDocumentAttempts = TypeAliasType(
    "MaxDuplicateDocumentAttempts",
    Annotated[int, Field(ge=0, title="Max Duplicate Document Attempts")],
)


MaxOpenOverdueValue = TypeAliasType(
    "MaxOpenOverdueValue",
    Annotated[
        str,
        Field(
            examples=["0.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Max Open Overdue Value",
        ),
    ],
)
"""
A decimal string in the currency's units, exact: "1000000.00" CNY is one million yuan. A JSON number is refused (amount-not-a-string); at most the currency's minor digits (amount-too-precise); zero allowed
"""


MaxExposurePerDebtor = TypeAliasType(
    "MaxExposurePerDebtor",
    Annotated[
        str,
        Field(
            examples=["0.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Max Exposure Per Debtor",
        ),
    ],
)
"""
A decimal string in the currency's units, exact: "1000000.00" CNY is one million yuan. A JSON number is refused (amount-not-a-string); at most the currency's minor digits (amount-too-precise); zero allowed
"""


class PolicyBody(BaseModel):
    """
    A financier's rules (PUT /v1/policies replaces them all: an omitted rule takes its
    default).
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    advance_bands: Annotated[
        list[AdvanceBand] | None, Field(min_length=1, title="Advance Bands")
    ] = None
    no_history_max_advance_bps: Annotated[
        int, Field(ge=0, le=10000, title="No History Max Advance Bps")
    ] = 8000
    min_on_time_bps: Annotated[MinOnTimeBps | None, Field(title="Min On Time Bps")] = 8000
    max_concentration_bps: Annotated[
        MaxConcentrationBps | None, Field(title="Max Concentration Bps")
    ] = None
    max_depth: Annotated[MaxDepth | None, Field(title="Max Depth")] = 4
    min_days_to_maturity: Annotated[int | None, Field(title="Min Days To Maturity")] = 15
    max_circular_transfers: Annotated[
        MaxCircularTransfers | None, Field(title="Max Circular Transfers")
    ] = 0
    max_transfers_in_window: Annotated[
        MaxTransfersInWindow | None, Field(title="Max Transfers In Window")
    ] = 10
    velocity_window_blocks: Annotated[int, Field(gt=0, title="Velocity Window Blocks")] = 7200
    max_duplicate_document_attempts: Annotated[
        MaxDuplicateDocumentAttempts | None,
        Field(title="Max Duplicate Document Attempts"),
    ] = 0
    auto_decide: Annotated[bool, Field(title="Auto Decide")] = False
    max_open_overdue_value: Annotated[
        MaxOpenOverdueValue | None, Field(title="Max Open Overdue Value")
    ] = "0"
    """
    A limit in the currency of the request being judged; null turns it off. Overdue value the debtor may have open
    """
    max_exposure_per_debtor: Annotated[
        MaxExposurePerDebtor | None, Field(title="Max Exposure Per Debtor")
    ] = None
    """
    A limit in the currency of the request being judged; null turns it off. The financier's exposure to one debtor
    """


MaxOpenOverdueValue1 = TypeAliasType(
    "MaxOpenOverdueValue1",
    Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Max Open Overdue Value",
        ),
    ],
)
"""
A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
"""


MaxExposurePerDebtor1 = TypeAliasType(
    "MaxExposurePerDebtor1",
    Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Max Exposure Per Debtor",
        ),
    ],
)
"""
A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
"""


class PolicyOut(BaseModel):
    """
    A financier's rules as stored, the amount limits in the ledger's value decimals.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    advance_bands: Annotated[
        list[AdvanceBand] | None, Field(min_length=1, title="Advance Bands")
    ] = None
    no_history_max_advance_bps: Annotated[
        int, Field(ge=0, le=10000, title="No History Max Advance Bps")
    ] = 8000
    min_on_time_bps: Annotated[MinOnTimeBps | None, Field(title="Min On Time Bps")] = 8000
    max_concentration_bps: Annotated[
        MaxConcentrationBps | None, Field(title="Max Concentration Bps")
    ] = None
    max_depth: Annotated[MaxDepth | None, Field(title="Max Depth")] = 4
    min_days_to_maturity: Annotated[int | None, Field(title="Min Days To Maturity")] = 15
    max_circular_transfers: Annotated[
        MaxCircularTransfers | None, Field(title="Max Circular Transfers")
    ] = 0
    max_transfers_in_window: Annotated[
        MaxTransfersInWindow | None, Field(title="Max Transfers In Window")
    ] = 10
    velocity_window_blocks: Annotated[int, Field(gt=0, title="Velocity Window Blocks")] = 7200
    max_duplicate_document_attempts: Annotated[
        MaxDuplicateDocumentAttempts | None,
        Field(title="Max Duplicate Document Attempts"),
    ] = 0
    auto_decide: Annotated[bool, Field(title="Auto Decide")] = False
    max_open_overdue_value: Annotated[
        MaxOpenOverdueValue1 | None, Field(title="Max Open Overdue Value")
    ]
    """
    A limit in the currency of the request being judged; null turns it off
    """
    max_exposure_per_debtor: Annotated[
        MaxExposurePerDebtor1 | None, Field(title="Max Exposure Per Debtor")
    ]
    """
    A limit in the currency of the request being judged; null turns it off
    """


class PositionOut(BaseModel):
    member: Annotated[
        str,
        Field(
            examples=["0xabababababababababababababababababababab"],
            pattern="^0x[0-9a-fA-F]{40}$",
            title="Member",
        ),
    ]
    payable_before: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Payable Before",
        ),
    ]
    """
    A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
    """
    receivable_before: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Receivable Before",
        ),
    ]
    """
    A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
    """
    payable_after: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Payable After",
        ),
    ]
    """
    A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
    """
    receivable_after: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Receivable After",
        ),
    ]
    """
    A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
    """
    net: Annotated[str, Field(title="Net")]
    """
    receivable - payable, a decimal string (negative: a net debtor); the same after the rounds
    """


class ProposalOut(BaseModel):
    id: Annotated[int, Field(title="Id")]
    proposer: Annotated[str, Field(title="Proposer")]
    target: Annotated[str, Field(title="Target")]
    action: Annotated[str, Field(title="Action")]
    """
    The governed function, e.g. admitMember
    """
    args: Annotated[dict[str, Any], Field(title="Args")]
    status: Annotated[Literal["pending", "executed", "cancelled", "expired"], Field(title="Status")]
    approvals: Annotated[list[str], Field(title="Approvals")]
    deadline: Annotated[int, Field(title="Deadline")]
    """
    Unix seconds (UTC)
    """
    created_block: Annotated[int, Field(title="Created Block")]
    updated_block: Annotated[int, Field(title="Updated Block")]
    deadline_iso: Annotated[
        str, Field(examples=["2027-01-01T00:00:00+00:00"], title="Deadline Iso")
    ]
    """
    `deadline` as ISO 8601 in UTC with its offset (+00:00)
    """


Items = TypeAliasType(
    "Items", Annotated[list[ItemIn], Field(max_length=32, min_length=1, title="Items")]
)


PlanRound = TypeAliasType("PlanRound", Annotated[int, Field(ge=1, le=10000, title="Plan Round")])


Currency = TypeAliasType("Currency", Annotated[str, Field(pattern="^[A-Z]{3}$", title="Currency")])
"""
The plan's currency (with plan_round)
"""


class ProposeIn(BaseModel):
    """
    A round to propose: its `items` (ascending piece order, balanced for every party), or
    the current plan's round `plan_round` of `currency` (as `GET /v1/setoff/plan` numbers
    them, one the caller sees); and the chain time by which every party must consent.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    items: Annotated[Items | None, Field(title="Items")] = None
    plan_round: Annotated[PlanRound | None, Field(title="Plan Round")] = None
    currency: Annotated[Currency | None, Field(title="Currency")] = None
    """
    The plan's currency (with plan_round)
    """
    deadline: Annotated[int, Field(gt=0, title="Deadline")]
    """
    Unix seconds (UTC)
    """


TokenId = TypeAliasType("TokenId", Annotated[int, Field(ge=1, title="Token Id")])
"""
A piece to price
"""


Amount2 = TypeAliasType(
    "Amount2",
    Annotated[str, Field(examples=["8000000.00"], pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$")],
)
"""
A decimal string in the currency, at most its minor digits
"""


Currency1 = TypeAliasType(
    "Currency1", Annotated[str, Field(examples=["CNY"], pattern="^[A-Z]{3}$")]
)
"""
ISO 4217
"""


PenaltyRate = TypeAliasType(
    "PenaltyRate",
    Annotated[str, Field(examples=["4.35"], pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$")],
)
"""
An annual rate in percent, at most 8 decimals: 4.35 is 4.35 %
"""


class QuoteIn(BaseModel):
    """
    What to price: a piece the caller sees (`token_id`: its value, currency and due date
    from the ledger) or an `amount` with its `currency` and `due_date`.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    method: Annotated[Literal["interest", "discount"], Field(title="Method")]
    """
    interest: a loan of `amount`, repaid with interest (a pledge, recourse factoring); discount: factoring a piece of value `amount` at a discount
    """
    token_id: Annotated[TokenId | None, Field(title="Token Id")] = None
    """
    A piece to price
    """
    amount: Amount2 | None = None
    """
    The advance of a loan, or the value of the factored piece. With `token_id`: the piece's value by default; a loan may advance less
    """
    currency: Currency1 | None = None
    """
    Without `token_id`
    """
    due_date: Annotated[date | None, Field(title="Due Date")] = None
    """
    Without `token_id`
    """
    funding_date: Annotated[date, Field(title="Funding Date")]
    """
    When the advance is paid
    """
    rate: Annotated[str, Field(examples=["4.35"], pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    """
    The annual interest or discount rate, in percent
    """
    day_count: Annotated[
        Literal["ACT/360", "ACT/365F", "30/360"] | None, Field(title="Day Count")
    ] = None
    """
    Default: the currency's (ACT/360 for CNY, ACT/365F for HKD, JPY, ...)
    """
    calendar: Annotated[Literal["china", "weekends"] | None, Field(title="Calendar")] = None
    """
    Business days. Default: the currency's (china for CNY, else weekends)
    """
    adjustment: Annotated[
        Literal["following", "modified_following", "preceding", "modified_preceding", "unadjusted"]
        | None,
        Field(title="Adjustment"),
    ] = None
    """
    How a date on a day off moves. Default: modified_following
    """
    fees: FeesIn | None = None
    recourse: Annotated[bool, Field(title="Recourse")] = False
    """
    Discount with recourse: the seller owes the value back if the debtor does not pay (the offer's repayment)
    """
    penalty_rate: PenaltyRate | None = None
    """
    Annual penalty rate after the due date (with `paid_on`)
    """
    paid_on: Annotated[date | None, Field(title="Paid On")] = None
    """
    When what is owed is paid (with `penalty_rate`)
    """


Interest = TypeAliasType(
    "Interest",
    Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Interest",
        ),
    ],
)
"""
A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
"""


Discount = TypeAliasType(
    "Discount",
    Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Discount",
        ),
    ],
)
"""
A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
"""


class QuoteOut(BaseModel):
    method: Annotated[Literal["interest", "discount"], Field(title="Method")]
    token_id: Annotated[int | None, Field(title="Token Id")]
    currency: Annotated[str, Field(title="Currency")]
    funding_date: AdjustedDateOut
    due_date: AdjustedDateOut
    calendar: Annotated[str, Field(title="Calendar")]
    adjustment: Annotated[str, Field(title="Adjustment")]
    day_count: Annotated[str, Field(title="Day Count")]
    days: Annotated[int, Field(title="Days")]
    """
    Calendar days from funding to the due date (adjusted)
    """
    accrual_days: Annotated[int, Field(title="Accrual Days")]
    """
    The days as the day count counts them
    """
    basis: Annotated[int, Field(title="Basis")]
    """
    The days of a year the day count divides by
    """
    year_fraction: Annotated[str, Field(title="Year Fraction")]
    """
    accrual_days / basis, 12 significant digits
    """
    rate: Annotated[str, Field(examples=["4.6308"], title="Rate")]
    """
    Percent a year, as a decimal string
    """
    amount: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Amount",
        ),
    ]
    """
    What was priced: the loan's advance, the piece's value
    """
    advance: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Advance",
        ),
    ]
    """
    Paid by the financier at funding, before fees
    """
    fees: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Fees",
        ),
    ]
    """
    Kept from the advance at funding
    """
    interest: Annotated[Interest | None, Field(title="Interest")]
    """
    A loan's interest
    """
    discount: Annotated[Discount | None, Field(title="Discount")]
    """
    A factored piece's discount
    """
    received: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Received",
        ),
    ]
    """
    What the borrower receives: advance - fees
    """
    repayment: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Repayment",
        ),
    ]
    """
    What repays the loan; for factoring, what the seller owes on recourse
    """
    owed: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Owed",
        ),
    ]
    """
    What is paid at the due date: repayment, or the value
    """
    cost: CostOut
    terms: OfferTermsOut
    penalty: PenaltyOut | None


class ReadinessOut(BaseModel):
    status: Annotated[Literal["ready", "degraded", "not-ready"], Field(title="Status")]
    checks: Annotated[dict[str, CheckOut], Field(title="Checks")]
    """
    database, chain and indexer
    """


class ReceivableOut(BaseModel):
    slot: Annotated[int, Field(title="Slot")]
    debtor: Annotated[str, Field(title="Debtor")]
    creditor: Annotated[str, Field(title="Creditor")]
    face_amount: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Face Amount",
        ),
    ]
    """
    A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
    """
    currency: Annotated[str, Field(title="Currency")]
    """
    ISO 4217 code: the unit of every amount of the receivable
    """
    issue_date: Annotated[int, Field(title="Issue Date")]
    """
    Unix seconds (UTC)
    """
    due_date: Annotated[int, Field(title="Due Date")]
    """
    Unix seconds (UTC)
    """
    document_hash: Annotated[str, Field(title="Document Hash")]
    root_token_id: Annotated[int, Field(title="Root Token Id")]
    settled_value: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Settled Value",
        ),
    ]
    """
    A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
    """
    netted_value: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Netted Value",
        ),
    ]
    """
    What set-off rounds cleared of it: live + settled + netted == face
    """
    status: Annotated[
        Literal["none", "pending", "active", "rejected", "cancelled", "settled", "expired"],
        Field(title="Status"),
    ]
    """
    pending: awaiting the creditor's acceptance (确权); active; settled: paid in full; rejected, cancelled or expired: never accepted
    """
    issue_date_iso: Annotated[
        str, Field(examples=["2027-01-01T00:00:00+00:00"], title="Issue Date Iso")
    ]
    """
    `issue_date` as ISO 8601 in UTC with its offset (+00:00)
    """
    due_date_iso: Annotated[
        str, Field(examples=["2027-01-01T00:00:00+00:00"], title="Due Date Iso")
    ]
    """
    `due_date` as ISO 8601 in UTC with its offset (+00:00)
    """


class ReconciliationOut(BaseModel):
    participant: Annotated[str, Field(title="Participant")]
    first_day: Annotated[str, Field(title="First Day")]
    last_day: Annotated[str, Field(title="Last Day")]
    time_zone: Annotated[str, Field(title="Time Zone")]
    payments: Annotated[list[PaymentOut], Field(title="Payments")]


class RefuseRoundIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    reason: Annotated[str, Field(max_length=128, min_length=1, title="Reason")]
    """
    Why: 0x + 64 hex digits, or text (recorded on chain as its SHA-256)
    """


class RejectIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    reason: Annotated[str, Field(max_length=128, min_length=1, title="Reason")]
    """
    0x + 64 hex digits, or text (recorded on chain as its SHA-256)
    """


class RelayIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    raw_transaction: Annotated[
        str,
        Field(
            max_length=262146,
            pattern="^0x(?:[0-9a-fA-F]{2})+$",
            title="Raw Transaction",
        ),
    ]
    """
    A transaction signed by the caller's own key, 0x-hex
    """


class RepayIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    payment_ref: Annotated[str, Field(max_length=128, min_length=1, title="Payment Ref")]
    """
    0x + 64 hex digits, or text (recorded on chain as its SHA-256)
    """


class RequestFactsOut(BaseModel):
    request_id: Annotated[int, Field(title="Request Id")]
    status: Annotated[
        Literal[
            "none",
            "requested",
            "accepted",
            "rejected",
            "withdrawn",
            "expired",
            "funded",
            "repaid",
            "settled",
            "recourse_claimed",
            "recourse_repaid",
        ],
        Field(title="Status"),
    ]
    token_id: Annotated[int, Field(title="Token Id")]
    slot: Annotated[int, Field(title="Slot")]
    requester: Annotated[str, Field(title="Requester")]
    financier: Annotated[str, Field(title="Financier")]
    debtor: Annotated[str, Field(title="Debtor")]
    creditor: Annotated[str, Field(title="Creditor")]
    terms: Annotated[str, Field(title="Terms")]
    currency: Annotated[str, Field(title="Currency")]
    """
    ISO 4217 code of every amount of the view
    """
    amount: Annotated[
        str,
        Field(
            examples=["8000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Amount",
        ),
    ]
    """
    An exact decimal string in the request's currency (`request.currency`), with the currency's minor digits
    """
    repayment: Annotated[
        str,
        Field(
            examples=["8000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Repayment",
        ),
    ]
    """
    An exact decimal string in the request's currency (`request.currency`), with the currency's minor digits
    """
    fees: Annotated[
        str,
        Field(
            examples=["8000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Fees",
        ),
    ]
    """
    An exact decimal string in the request's currency (`request.currency`), with the currency's minor digits
    """
    piece_value: Annotated[
        str,
        Field(
            examples=["8000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Piece Value",
        ),
    ]
    """
    An exact decimal string in the request's currency (`request.currency`), with the currency's minor digits
    """
    face_amount: Annotated[
        str,
        Field(
            examples=["8000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Face Amount",
        ),
    ]
    """
    An exact decimal string in the request's currency (`request.currency`), with the currency's minor digits
    """
    advance_bps: Annotated[int, Field(title="Advance Bps")]


class RequesterHistoryOut(BaseModel):
    requester: Annotated[str, Field(title="Requester")]
    receivables_from_debtor: Annotated[int, Field(title="Receivables From Debtor")]
    pieces_received_from_debtor: Annotated[int, Field(title="Pieces Received From Debtor")]
    value_received_from_debtor: Annotated[
        str,
        Field(
            examples=["8000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Value Received From Debtor",
        ),
    ]
    """
    An exact decimal string in the request's currency (`request.currency`), with the currency's minor digits
    """
    pieces_received_total: Annotated[int, Field(title="Pieces Received Total")]
    prior_requests: Annotated[int, Field(title="Prior Requests")]
    prior_funded: Annotated[int, Field(title="Prior Funded")]
    prior_recourse_claims: Annotated[int, Field(title="Prior Recourse Claims")]


class RevealedOut(BaseModel):
    """
    What an approved administration draft made for its maker, shown this once (then
    erased): a temporary password, a second factor's secret and URI, or an API key.
    """

    draft_id: Annotated[int, Field(title="Draft Id")]
    kind: Annotated[str, Field(title="Kind")]
    temporary_password: Annotated[str | None, Field(title="Temporary Password")] = None
    totp_secret: Annotated[str | None, Field(title="Totp Secret")] = None
    otpauth_uri: Annotated[str | None, Field(title="Otpauth Uri")] = None
    api_key: Annotated[str | None, Field(title="Api Key")] = None


class RiskReasonOut(BaseModel):
    code: Annotated[
        Literal[
            "debtor_open_overdue",
            "debtor_on_time_rate_low",
            "advance_rate_above_limit",
            "debtor_exposure_above_limit",
            "debtor_concentration_above_limit",
            "depth_above_limit",
            "maturity_too_short",
            "circular_transfers",
            "transfer_velocity_high",
            "duplicate_document_attempts",
        ],
        Field(title="ReasonCode"),
    ]
    """
    Stable codes: clients match on these, never on the text.
    """
    outcome: Annotated[Literal["approve", "refer", "decline"], Field(title="Decision")]
    message: Annotated[str, Field(title="Message")]


Remaining = TypeAliasType(
    "Remaining",
    Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Remaining",
        ),
    ],
)
"""
A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
"""


class RoundItemOut(BaseModel):
    piece: Annotated[int, Field(title="Piece")]
    slot: Annotated[int, Field(title="Slot")]
    debtor: Annotated[
        str,
        Field(
            examples=["0xabababababababababababababababababababab"],
            pattern="^0x[0-9a-fA-F]{40}$",
            title="Debtor",
        ),
    ]
    holder: Annotated[
        str,
        Field(
            examples=["0xabababababababababababababababababababab"],
            pattern="^0x[0-9a-fA-F]{40}$",
            title="Holder",
        ),
    ]
    amount: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Amount",
        ),
    ]
    """
    A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
    """
    remaining: Annotated[Remaining | None, Field(title="Remaining")]
    """
    The piece's value after execution
    """


RefusedBy = TypeAliasType(
    "RefusedBy",
    Annotated[
        str,
        Field(
            examples=["0xabababababababababababababababababababab"],
            pattern="^0x[0-9a-fA-F]{40}$",
            title="Refused By",
        ),
    ],
)


Executor = TypeAliasType(
    "Executor",
    Annotated[
        str,
        Field(
            examples=["0xabababababababababababababababababababab"],
            pattern="^0x[0-9a-fA-F]{40}$",
            title="Executor",
        ),
    ],
)


class RoundOut(BaseModel):
    id: Annotated[int, Field(title="Id")]
    proposer: Annotated[
        str,
        Field(
            examples=["0xabababababababababababababababababababab"],
            pattern="^0x[0-9a-fA-F]{40}$",
            title="Proposer",
        ),
    ]
    status: Annotated[Literal["proposed", "refused", "executed", "lapsed"], Field(title="Status")]
    """
    proposed: awaiting answers; refused: a party refused; executed: every piece reduced; lapsed: proposed and past its deadline at chain time
    """
    deadline: Annotated[int, Field(title="Deadline")]
    """
    Unix seconds (UTC)
    """
    currency: Annotated[str | None, Field(title="Currency")]
    item_count: Annotated[int, Field(title="Item Count")]
    total: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Total",
        ),
    ]
    """
    What the round clears in all
    """
    consents: Annotated[int, Field(title="Consents")]
    party_count: Annotated[int, Field(title="Party Count")]
    items: Annotated[list[RoundItemOut], Field(title="Items")]
    parties: Annotated[list[PartyOut], Field(title="Parties")]
    my_answer: Annotated[Literal["awaiting", "given", "refused"] | None, Field(title="My Answer")]
    """
    The caller's answer (null: not a party)
    """
    gives_up: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Gives Up",
        ),
    ]
    """
    Receivables of the caller the round clears
    """
    sheds: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Sheds",
        ),
    ]
    """
    Debt of the caller the round clears
    """
    refused_by: Annotated[RefusedBy | None, Field(title="Refused By")]
    reason: Annotated[str | None, Field(title="Reason")]
    """
    The refusal's reason as on chain (bytes32)
    """
    executor: Annotated[Executor | None, Field(title="Executor")]
    tx_hash: Annotated[str, Field(title="Tx Hash")]
    """
    The proposal's transaction
    """
    deadline_iso: Annotated[
        str, Field(examples=["2027-01-01T00:00:00+00:00"], title="Deadline Iso")
    ]
    """
    `deadline` as ISO 8601 in UTC with its offset (+00:00)
    """


class RoundPage(BaseModel):
    items: Annotated[list[RoundOut], Field(title="Items")]
    next_cursor: Annotated[str | None, Field(title="Next Cursor")]


class SessionOut(BaseModel):
    id: Annotated[str, Field(title="Id")]
    created_at: Annotated[datetime, Field(title="Created At")]
    last_seen_at: Annotated[datetime, Field(title="Last Seen At")]
    expires_at: Annotated[datetime, Field(title="Expires At")]
    address: Annotated[str, Field(title="Address")]
    """
    The client address it signed in from
    """
    user_agent: Annotated[str, Field(title="User Agent")]
    current: Annotated[bool, Field(title="Current")]
    """
    The session of this request
    """


TokenId1 = TypeAliasType("TokenId1", Annotated[int, Field(ge=1)])


class SettleIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    slot: Annotated[int, Field(ge=0, title="Slot")]
    token_ids: Annotated[list[TokenId1], Field(max_length=50, min_length=1, title="Token Ids")]
    payment_ref: Annotated[str, Field(max_length=128, min_length=1, title="Payment Ref")]
    """
    0x + 64 hex digits, or text (recorded on chain as its SHA-256)
    """


class SettlementOut(BaseModel):
    token_id: Annotated[int, Field(title="Token Id")]
    slot: Annotated[int, Field(title="Slot")]
    holder: Annotated[str, Field(title="Holder")]
    status: Annotated[
        Literal["awaiting_confirmation", "disputed", "settled"], Field(title="Status")
    ]
    """
    Where the piece's settlement stands
    """
    currency: Annotated[str, Field(examples=["CNY"], title="Currency")]
    """
    ISO 4217 code: the unit of the amounts
    """
    amount: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Amount",
        ),
    ]
    """
    Value settled so far
    """
    submitted_amount: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Submitted Amount",
        ),
    ]
    """
    Value the latest submission reported paid
    """
    lien_holder: Annotated[str | None, Field(title="Lien Holder")]
    lien_amount: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Lien Amount",
        ),
    ]
    """
    A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
    """
    payee: Annotated[str | None, Field(title="Payee")]
    """
    Who must confirm now (lien holder first, then holder)
    """
    confirm_by: Annotated[int | None, Field(title="Confirm By")]
    """
    Unix seconds (UTC); after it the debtor may finalize
    """
    deemed: Annotated[bool, Field(title="Deemed")]
    """
    Confirmed by silence past the confirmation window
    """
    payment_ref: Annotated[str, Field(title="Payment Ref")]
    """
    In clear to its payer and payees on this gateway, else the on-chain hash
    """
    payment_ref_hash: Annotated[str, Field(title="Payment Ref Hash")]
    """
    The payment reference as on chain
    """
    dispute_reason: Annotated[str | None, Field(title="Dispute Reason")]
    paid_on_chain: Annotated[bool, Field(title="Paid On Chain")]
    block_number: Annotated[int, Field(title="Block Number")]
    tx_hash: Annotated[str, Field(title="Tx Hash")]
    confirm_by_iso: Annotated[
        str | None,
        Field(examples=["2027-01-01T00:00:00+00:00"], title="Confirm By Iso"),
    ]
    """
    `confirm_by` as ISO 8601 in UTC with its offset (+00:00)
    """


class SettlementPage(BaseModel):
    items: Annotated[list[SettlementOut], Field(title="Items")]
    next_cursor: Annotated[str | None, Field(title="Next Cursor")]


class SlotVelocity(BaseModel):
    transfers_total: Annotated[int, Field(title="Transfers Total")]
    transfers_in_window: Annotated[int, Field(title="Transfers In Window")]
    window_blocks: Annotated[int, Field(title="Window Blocks")]
    transfers_per_day: Annotated[float, Field(title="Transfers Per Day")]


ClientSecret = TypeAliasType(
    "ClientSecret",
    Annotated[str, Field(max_length=512, min_length=1, title="Client Secret")],
)


RequiredAcr = TypeAliasType(
    "RequiredAcr",
    Annotated[str, Field(max_length=255, min_length=1, title="Required Acr")],
)
"""
Ask for this authentication context class and refuse a login without it (the provider's second factor); unset: the provider's login is enough
"""


class SsoIn(BaseModel):
    """
    A participant's OpenID Connect provider. `client_secret` may be left out to keep the
    one stored (never on the first configuration); it is stored sealed and never shown.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    issuer: Annotated[
        str, Field(max_length=2048, min_length=8, pattern="^https?://", title="Issuer")
    ]
    client_id: Annotated[str, Field(max_length=255, min_length=1, title="Client Id")]
    client_secret: Annotated[ClientSecret | None, Field(title="Client Secret")] = None
    username_claim: Annotated[
        str, Field(pattern="^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$", title="Username Claim")
    ] = "preferred_username"
    """
    The claim whose value is the user's username at this gateway
    """
    required_acr: Annotated[RequiredAcr | None, Field(title="Required Acr")] = None
    """
    Ask for this authentication context class and refuse a login without it (the provider's second factor); unset: the provider's login is enough
    """


class SsoOut(BaseModel):
    """
    A participant's OpenID Connect provider (never its client secret).
    """

    participant: Annotated[str, Field(title="Participant")]
    issuer: Annotated[str, Field(title="Issuer")]
    client_id: Annotated[str, Field(title="Client Id")]
    username_claim: Annotated[str, Field(title="Username Claim")]
    required_acr: Annotated[str | None, Field(title="Required Acr")]
    login_url: Annotated[str, Field(title="Login Url")]
    """
    Where the participant's people start signing in
    """
    created_at: Annotated[datetime, Field(title="Created At")]
    updated_at: Annotated[datetime, Field(title="Updated At")]


Amount3 = TypeAliasType(
    "Amount3",
    Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Amount",
        ),
    ],
)
"""
A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
"""


class StatementLineOut(BaseModel):
    at: Annotated[int, Field(title="At")]
    """
    The block's time, Unix seconds
    """
    at_iso: Annotated[str, Field(title="At Iso")]
    """
    The block's time, ISO 8601 with the period zone's offset
    """
    kind: Annotated[
        Literal[
            "receivable_issued",
            "receivable_received",
            "piece_sent",
            "piece_received",
            "piece_returned_sent",
            "piece_returned_received",
            "financing_funded",
            "financing_repaid",
            "financing_recourse_claimed",
            "financing_recourse_repaid",
            "settlement_paid",
            "settlement_submitted",
            "settlement_confirmed",
            "settlement_disputed",
            "netted_receivable",
            "netted_payable",
        ],
        Field(title="Kind"),
    ]
    """
    What happened, from the caller's side
    """
    counterparty: Annotated[str, Field(title="Counterparty")]
    counterparty_name: Annotated[str | None, Field(title="Counterparty Name")]
    slot: Annotated[int | None, Field(title="Slot")]
    token_id: Annotated[int | None, Field(title="Token Id")]
    request_id: Annotated[int | None, Field(title="Request Id")]
    amount: Annotated[Amount3 | None, Field(title="Amount")]
    """
    A decimal string in the currency (e.g. "1000000.00" CNY); null where nothing moves (a dispute)
    """
    currency: Annotated[str, Field(title="Currency")]
    status: Annotated[
        Literal[
            "none",
            "pending",
            "active",
            "rejected",
            "cancelled",
            "settled",
            "expired",
            "split",
            "whole",
            "return",
            "funded",
            "repaid",
            "recourse_claimed",
            "recourse_repaid",
            "paid",
            "submitted",
            "confirmed",
            "deemed",
            "disputed",
            "netted",
        ],
        Field(title="Status"),
    ]
    """
    A receivable's status now; a transfer's kind; the financing or settlement step
    """
    payment_ref: Annotated[str | None, Field(title="Payment Ref")]
    """
    The payment reference in clear if the caller paid or was paid, else its on-chain hash
    """
    tx_hash: Annotated[str, Field(title="Tx Hash")]
    block_number: Annotated[int, Field(title="Block Number")]


class SuspensionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    reason: Annotated[str, Field(max_length=128, min_length=1, title="Reason")]
    """
    0x + 64 hex digits, or text (recorded on chain as its SHA-256)
    """


class TermsIn(BaseModel):
    """
    Financing terms as decimal strings in the piece's currency (any pricing convention:
    the discount is what the advance leaves out of the value).
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    advance: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Advance",
        ),
    ]
    """
    Paid by the financier at funding, before fees, in the piece's currency
    """
    repayment: Annotated[
        str,
        Field(
            examples=["0.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Repayment",
        ),
    ]
    """
    What repays a pledge loan (and caps its lien at settlement), or what the seller owes on recourse; "0" for factoring without recourse
    """
    fees: Annotated[
        str,
        Field(examples=["0.00"], pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$", title="Fees"),
    ] = "0"
    """
    Deducted from the advance
    """
    fund_by: Annotated[int, Field(gt=0, title="Fund By")]
    """
    Funding deadline, before the piece's due date
    """


class TermsOut(BaseModel):
    """
    Financing terms, amounts as decimal strings in the piece's currency.
    """

    advance: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Advance",
        ),
    ]
    """
    A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
    """
    repayment: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Repayment",
        ),
    ]
    """
    A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
    """
    fees: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Fees",
        ),
    ]
    """
    A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
    """
    fund_by: Annotated[int, Field(title="Fund By")]
    """
    Unix seconds (UTC)
    """
    fund_by_iso: Annotated[str, Field(examples=["2027-01-01T00:00:00+00:00"], title="Fund By Iso")]
    """
    `fund_by` as ISO 8601 in UTC with its offset (+00:00)
    """


class TotalOut(BaseModel):
    kind: Annotated[
        Literal[
            "receivable_issued",
            "receivable_received",
            "piece_sent",
            "piece_received",
            "piece_returned_sent",
            "piece_returned_received",
            "financing_funded",
            "financing_repaid",
            "financing_recourse_claimed",
            "financing_recourse_repaid",
            "settlement_paid",
            "settlement_submitted",
            "settlement_confirmed",
            "settlement_disputed",
            "netted_receivable",
            "netted_payable",
        ],
        Field(title="Kind"),
    ]
    """
    The lines' kind
    """
    currency: Annotated[str, Field(title="Currency")]
    lines: Annotated[int, Field(title="Lines")]
    amount: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Amount",
        ),
    ]
    """
    A decimal string in the currency (e.g. "1000000.00" CNY)
    """


class TransferIn(BaseModel):
    """
    Send `value` of the piece to `to`: all of it (the piece changes hands) or part of it
    (a split); the receiver signs for it (签收).
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    to: Annotated[
        str,
        Field(
            examples=["0xabababababababababababababababababababab"],
            pattern="^0x[0-9a-fA-F]{40}$",
            title="To",
        ),
    ]
    value: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Value",
        ),
    ]
    """
    In the piece's currency, e.g. "2500.00"
    """


class TransferOut(BaseModel):
    kind: Annotated[Literal["split", "whole"], Field(title="Kind")]
    """
    split: `value` moved to a new child piece; whole: the piece changed hands
    """
    token_id: Annotated[int, Field(title="Token Id")]
    """
    The piece that moved (the child of a split)
    """
    from_token_id: Annotated[int | None, Field(title="From Token Id")]
    """
    The piece a split took value from
    """
    sender: Annotated[str, Field(title="Sender")]
    receiver: Annotated[str, Field(title="Receiver")]
    value: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Value",
        ),
    ]
    """
    A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
    """
    currency: Annotated[str, Field(examples=["CNY"], title="Currency")]
    """
    ISO 4217 code: the unit of the amounts
    """
    block_number: Annotated[int, Field(title="Block Number")]
    tx_hash: Annotated[str, Field(title="Tx Hash")]


class UserIn(BaseModel):
    """
    A new user (a person: a temporary password to change at first sign-in) or service
    account (API keys only) of the caller's participant.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    username: Annotated[
        str,
        Field(
            max_length=64,
            min_length=1,
            pattern="^[a-z0-9][a-z0-9._-]*$",
            title="Username",
        ),
    ]
    display_name: Annotated[str, Field(max_length=128, title="Display Name")] = ""
    roles: Annotated[
        list[Literal["admin", "maker", "checker", "viewer"]],
        Field(max_length=4, min_length=1, title="Roles"),
    ]
    kind: Annotated[Literal["user", "service"], Field(title="Kind")] = "user"


class UserOut(BaseModel):
    id: Annotated[str, Field(title="Id")]
    participant: Annotated[str, Field(title="Participant")]
    username: Annotated[str, Field(title="Username")]
    display_name: Annotated[str, Field(title="Display Name")]
    kind: Annotated[Literal["user", "service"], Field(title="Kind")]
    roles: Annotated[list[Literal["admin", "maker", "checker", "viewer"]], Field(title="Roles")]
    created_at: Annotated[datetime, Field(title="Created At")]
    disabled: Annotated[bool, Field(title="Disabled")]
    locked_until: Annotated[datetime | None, Field(title="Locked Until")]
    must_change_password: Annotated[bool, Field(title="Must Change Password")]
    second_factor: Annotated[bool, Field(title="Second Factor")]
    """
    Has a second factor (enrolled)
    """


Roles = TypeAliasType(
    "Roles",
    Annotated[
        list[Literal["admin", "maker", "checker", "viewer"]],
        Field(max_length=4, min_length=1, title="Roles"),
    ],
)


DisplayName = TypeAliasType(
    "DisplayName", Annotated[str, Field(max_length=128, title="Display Name")]
)


class UserPatchIn(BaseModel):
    """
    What changes (each optional): roles, display name, disabled or enabled again.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    roles: Annotated[Roles | None, Field(title="Roles")] = None
    display_name: Annotated[DisplayName | None, Field(title="Display Name")] = None
    disabled: Annotated[bool | None, Field(title="Disabled")] = None


class UserSecretsOut(BaseModel):
    """
    A user and the secrets just made for it, each shown this once: a temporary password,
    a second factor's secret and its otpauth:// URI (for an authenticator app's QR code).
    """

    user: UserOut
    temporary_password: Annotated[str | None, Field(title="Temporary Password")] = None
    totp_secret: Annotated[str | None, Field(title="Totp Secret")] = None
    otpauth_uri: Annotated[str | None, Field(title="Otpauth Uri")] = None


class WebhookAttemptOut(BaseModel):
    attempt: Annotated[int, Field(title="Attempt")]
    status_code: Annotated[int | None, Field(title="Status Code")]
    error: Annotated[str | None, Field(title="Error")]
    attempted_at: Annotated[datetime, Field(title="Attempted At")]
    next_attempt_at: Annotated[datetime | None, Field(title="Next Attempt At")]


class WebhookCreated(BaseModel):
    id: Annotated[str, Field(title="Id")]
    url: Annotated[str, Field(title="Url")]
    event_names: Annotated[list[str] | None, Field(title="Event Names")]
    created_at: Annotated[datetime, Field(title="Created At")]
    secret: Annotated[str, Field(title="Secret")]
    """
    Signs deliveries; shown only in this response.
    """


class WebhookDeliveryOut(BaseModel):
    id: Annotated[str, Field(title="Id")]
    event_id: Annotated[int, Field(title="Event Id")]
    event_name: Annotated[str, Field(title="Event Name")]
    status: Annotated[Literal["pending", "delivered", "failed"], Field(title="Status")]
    """
    pending: to be (re)tried; delivered; failed
    """
    attempts: Annotated[list[WebhookAttemptOut], Field(title="Attempts")]
    next_attempt_at: Annotated[datetime | None, Field(title="Next Attempt At")]
    delivered_at: Annotated[datetime | None, Field(title="Delivered At")]


EventName = TypeAliasType("EventName", Annotated[str, Field(pattern="^[A-Za-z][A-Za-z0-9]{0,63}$")])


EventNames = TypeAliasType(
    "EventNames",
    Annotated[list[EventName], Field(max_length=64, min_length=1, title="Event Names")],
)


class WebhookIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    url: Annotated[str, Field(max_length=2048, min_length=8, pattern="^https?://", title="Url")]
    event_names: Annotated[EventNames | None, Field(title="Event Names")] = None


class WebhookOut(BaseModel):
    id: Annotated[str, Field(title="Id")]
    url: Annotated[str, Field(title="Url")]
    event_names: Annotated[list[str] | None, Field(title="Event Names")]
    created_at: Annotated[datetime, Field(title="Created At")]


class Problem(BaseModel):
    """
    An RFC 9457 problem document (`application/problem+json`): every error answer.
    Some carry more members: `errors` (invalid fields), `error` (a contract's error, by
    name and arguments) and `operation` (the operation that failed).
    """

    model_config = ConfigDict(
        extra="allow",
    )
    type: Annotated[str, Field(title="Type")]
    """
    https://scfledger.dev/problems/<slug>: stable, for programs
    """
    title: Annotated[str, Field(title="Title")]
    status: Annotated[int, Field(title="Status")]
    detail: Annotated[str, Field(title="Detail")]


class BatchIn(BaseModel):
    """
    A batch as JSON: its kind and its lines, each the body a single write of the kind
    takes (`POST /v1/receivables`, `POST /v1/settlements`). Line numbers count from 1.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    kind: Annotated[Literal["receivable.issue", "settlement"], Field(title="Kind")]
    lines: Annotated[list[dict[str, Any]], Field(max_length=10000, min_length=1, title="Lines")]


class AcceptOfferIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    financier: Annotated[
        str,
        Field(
            examples=["0xabababababababababababababababababababab"],
            pattern="^0x[0-9a-fA-F]{40}$",
            title="Financier",
        ),
    ]
    terms: TermsIn
    """
    The offer accepted, as the financier made it
    """


class AuditPage(BaseModel):
    items: Annotated[list[AuditRecordOut], Field(title="Items")]
    next_cursor: Annotated[str | None, Field(title="Next Cursor")]


class ComparedOfferOut(BaseModel):
    rank: Annotated[int, Field(title="Rank")]
    """
    1: the cheapest
    """
    financier: Annotated[str, Field(title="Financier")]
    accepted: Annotated[bool, Field(title="Accepted")]
    """
    The offer the requester accepted
    """
    terms: OfferTermsOut
    received: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Received",
        ),
    ]
    """
    advance - fees, at funding
    """
    given: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Given",
        ),
    ]
    """
    At the due date: a pledge's repayment; a factored piece's value
    """
    days: Annotated[int, Field(title="Days")]
    """
    From the funding deadline's date to the piece's due date
    """
    cost: CostOut | None
    """
    null when the offer leaves nothing to receive
    """


class ComparisonOut(BaseModel):
    """
    The made offers of a request the caller sees, cheapest first.
    """

    request_id: Annotated[int, Field(title="Request Id")]
    token_id: Annotated[int, Field(title="Token Id")]
    currency: Annotated[str, Field(title="Currency")]
    value: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Value",
        ),
    ]
    """
    The piece's value
    """
    due_date: Annotated[int, Field(title="Due Date")]
    """
    Unix seconds (UTC)
    """
    mode: Annotated[Literal["factoring", "pledge"], Field(title="Mode")]
    """
    factoring: the piece is assigned; pledge: a lien is recorded
    """
    recourse: Annotated[bool, Field(title="Recourse")]
    offers: Annotated[list[ComparedOfferOut], Field(title="Offers")]
    due_date_iso: Annotated[
        str, Field(examples=["2027-01-01T00:00:00+00:00"], title="Due Date Iso")
    ]
    """
    `due_date` as ISO 8601 in UTC with its offset (+00:00)
    """


class DecidedOut(BaseModel):
    """
    A checker's decision: the draft, and its operation once the approvals were enough.
    """

    draft: DraftOut
    operation: OperationOut | None


class EventPage(BaseModel):
    items: Annotated[list[FeedEventOut], Field(title="Items")]
    next_cursor: Annotated[str, Field(title="Next Cursor")]
    """
    Pass as `after` to continue; may be past the last item
    """


class FinancingIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    token_id: Annotated[int, Field(ge=1, title="Token Id")]
    financiers: Annotated[list[Financier], Field(max_length=5, min_length=1, title="Financiers")]
    terms: TermsIn
    """
    The terms asked
    """
    mode: Annotated[Literal["factoring", "pledge"], Field(title="Mode")] = "factoring"
    recourse: Annotated[bool, Field(title="Recourse")] = False


class LoginOut(BaseModel):
    person: PersonOut
    csrf_token: Annotated[str, Field(title="Csrf Token")]
    """
    Send it back as X-CSRF-Token on every write with this session (shown once)
    """
    session_id: Annotated[str, Field(title="Session Id")]
    idle_expires_at: Annotated[datetime, Field(title="Idle Expires At")]
    """
    When the session ends without a request
    """
    expires_at: Annotated[datetime, Field(title="Expires At")]
    """
    When the session ends in any case
    """


class OfferOut(BaseModel):
    financier: Annotated[str, Field(title="Financier")]
    status: Annotated[Literal["invited", "made", "declined"], Field(title="Status")]
    """
    invited: no answer yet; made: its standing offer; declined
    """
    terms: TermsOut | None
    reason: Annotated[str | None, Field(title="Reason")]
    """
    Why it declined
    """


class PieceOut(BaseModel):
    token_id: Annotated[int, Field(title="Token Id")]
    slot: Annotated[int, Field(title="Slot")]
    holder: Annotated[str, Field(title="Holder")]
    value: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Value",
        ),
    ]
    """
    A decimal string in the currency's units with exactly its minor digits ("1000000.00" CNY); exact: compute with Decimal, never float
    """
    parent_token_id: Annotated[int | None, Field(title="Parent Token Id")]
    depth: Annotated[int, Field(title="Depth")]
    state: Annotated[
        Literal[
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
            "awaiting_confirmation",
            "expired",
            "netted",
        ],
        Field(title="State"),
    ]
    """
    pending: awaiting its receiver's signature (签收); active; financing: locked by an open request; financed; awaiting_confirmation: paid off-chain, awaiting the payee; settled; overdue; defaulted; rejected; cancelled; expired; netted: its whole value cleared by set-off
    """
    sender: Annotated[str | None, Field(title="Sender")]
    """
    Who sent a piece still awaiting its receiver (签收)
    """
    receivable: ReceivableOut


class PiecePage(BaseModel):
    items: Annotated[list[PieceOut], Field(title="Items")]
    next_cursor: Annotated[str | None, Field(title="Next Cursor")]


class PlanOut(BaseModel):
    currency: Annotated[str, Field(examples=["CNY"], title="Currency")]
    """
    ISO 4217 code: the unit of the amounts
    """
    chain_time: Annotated[int, Field(title="Chain Time")]
    """
    The chain time the plan was made at (the index's)
    """
    minimum_piece_value: Annotated[
        str,
        Field(
            examples=["1000000.00"],
            pattern="^(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            title="Minimum Piece Value",
        ),
    ]
    """
    What a partly cleared piece keeps
    """
    rounds: Annotated[list[PlannedRoundOut], Field(title="Rounds")]
    positions: Annotated[list[PositionOut], Field(title="Positions")]
    """
    The caller's own (auditors: all)
    """
    total_debt: Annotated[TotalDebt | None, Field(title="Total Debt")]
    """
    Auditors only
    """
    cleared: Annotated[Cleared | None, Field(title="Cleared")]
    """
    Auditors only
    """
    net_internal_debt: Annotated[NetInternalDebt | None, Field(title="Net Internal Debt")]
    """
    Auditors only
    """


class RiskIndicatorsOut(BaseModel):
    """
    Indicators of a financing request; amounts in `request.currency`.
    """

    request: RequestFactsOut
    debtor: DebtorRecordOut
    exposure: FinancierExposureOut
    requester: RequesterHistoryOut
    piece: PieceProfile
    velocity: SlotVelocity
    circular: CircularTransfersOut
    duplicate_document_attempts: Annotated[int, Field(title="Duplicate Document Attempts")]
    head_block: Annotated[int, Field(title="Head Block")]
    now: Annotated[int, Field(title="Now")]
    """
    Unix seconds (UTC): the chain's time judged at (risk.clock)
    """
    now_iso: Annotated[str, Field(title="Now Iso")]
    """
    `now` as ISO 8601 in UTC with its offset (+00:00)
    """


class RiskOut(BaseModel):
    """
    A request's indicators and its financier's policy decision, with every reason.
    """

    request_id: Annotated[int, Field(title="Request Id")]
    decision: Annotated[Literal["approve", "refer", "decline"], Field(title="Decision")]
    auto_decide: Annotated[bool, Field(title="Auto Decide")]
    """
    The policy lets the gateway act on the decision
    """
    reasons: Annotated[list[RiskReasonOut], Field(title="Reasons")]
    indicators: RiskIndicatorsOut


class StatementOut(BaseModel):
    participant: Annotated[str, Field(title="Participant")]
    address: Annotated[str, Field(title="Address")]
    first_day: Annotated[str, Field(title="First Day")]
    """
    `from`, YYYY-MM-DD
    """
    last_day: Annotated[str, Field(title="Last Day")]
    """
    `to`, YYYY-MM-DD (included)
    """
    time_zone: Annotated[str, Field(title="Time Zone")]
    lines: Annotated[list[StatementLineOut], Field(title="Lines")]
    totals: Annotated[list[TotalOut], Field(title="Totals")]


class FinancingOut(BaseModel):
    """
    A financing request. A financier sees only its own offer; the requester sees all.
    """

    id: Annotated[int, Field(title="Id")]
    token_id: Annotated[int, Field(title="Token Id")]
    requester: Annotated[str, Field(title="Requester")]
    financier: Annotated[str | None, Field(title="Financier")]
    """
    The financier whose offer was accepted
    """
    currency: Annotated[str, Field(examples=["CNY"], title="Currency")]
    """
    ISO 4217 code: the unit of the amounts
    """
    asked: TermsOut
    agreed: TermsOut | None
    offers: Annotated[list[OfferOut], Field(title="Offers")]
    mode: Annotated[Literal["factoring", "pledge"], Field(title="Mode")]
    """
    factoring: the piece is assigned; pledge: a lien is recorded
    """
    recourse: Annotated[bool, Field(title="Recourse")]
    status: Annotated[
        Literal[
            "none",
            "requested",
            "accepted",
            "rejected",
            "withdrawn",
            "expired",
            "funded",
            "repaid",
            "settled",
            "recourse_claimed",
            "recourse_repaid",
        ],
        Field(title="Status"),
    ]
    """
    Where the financing request stands
    """
    expires_at: Annotated[int, Field(title="Expires At")]
    """
    Unix seconds (UTC)
    """
    payment_ref: Annotated[str | None, Field(title="Payment Ref")]
    """
    In clear to its payer and payees on this gateway, else the on-chain hash
    """
    payment_ref_hash: Annotated[str | None, Field(title="Payment Ref Hash")]
    """
    The funding reference as on chain
    """
    expires_at_iso: Annotated[
        str, Field(examples=["2027-01-01T00:00:00+00:00"], title="Expires At Iso")
    ]
    """
    `expires_at` as ISO 8601 in UTC with its offset (+00:00)
    """


class FinancingPage(BaseModel):
    items: Annotated[list[FinancingOut], Field(title="Items")]
    next_cursor: Annotated[str | None, Field(title="Next Cursor")]


LineageNodeOut.model_rebuild()


ProposalStatus = Literal["pending", "executed", "cancelled", "expired"]
RoleName = Literal["admin", "core_enterprise", "supplier", "financier", "auditor"]
DraftStatus = Literal["pending", "approved", "rejected", "expired", "submitted"]
