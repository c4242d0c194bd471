"""Request and response bodies of maker-checker: drafts, decisions, the participant's policy."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from scfledger.api.fields import AmountOrZeroText, AmountOut, CurrencyOut, UtcDatetime
from scfledger.api.schemas import OperationOut, Strict
from scfledger.people.policy import ALL_KINDS, MAX_TTL_HOURS

DraftStatus = Literal["pending", "approved", "rejected", "expired", "submitted"]
Kind = Annotated[str, Field(json_schema_extra={"enum": sorted(ALL_KINDS)})]


class DecisionOut(BaseModel):
    username: str
    decision: Literal["approve", "reject"]
    reason: str | None
    at: UtcDatetime


class DraftOut(BaseModel):
    """A maker's write held until checkers approve it. A write answers 202 with this body
    (and `Location: /v1/drafts/{id}`) instead of an operation when the participant's policy
    needs a checker for it: `object` is always "draft" (an operation has no `object`)."""

    object: Literal["draft"] = Field(description='Always "draft": tells a draft from an operation')
    id: int
    kind: str = Field(description="The operation kind, e.g. receivable.issue")
    status: DraftStatus
    arguments: dict[str, Any] = Field(
        description="The write's arguments, as its use case takes them (amounts as decimal"
        " strings; `terms` as [advance, repayment, fees, fund_by])"
    )
    amount: AmountOut | None = Field(
        description="What the write is worth (the two-checker threshold compares it); null:"
        " no amount"
    )
    maker: str
    approvals_required: int = Field(ge=1, le=2)
    decisions: list[DecisionOut]
    created_at: UtcDatetime
    expires_at: UtcDatetime
    decided_at: UtcDatetime | None
    reason: str | None = Field(description="The rejection's reason, or why it was not submitted")
    operation_id: str | None = Field(description="The operation, once submitted")


class DraftPage(BaseModel):
    items: list[DraftOut]
    next_cursor: str | None


class DecidedOut(BaseModel):
    """A checker's decision: the draft, and its operation once the approvals were enough."""

    draft: DraftOut
    operation: OperationOut | None


class CheckerPolicyIn(Strict):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "kinds": ["receivable.issue", "financing.fund"],
                    "two_checker_amount": "5000000.00",
                    "draft_ttl_hours": 72,
                }
            ]
        },
    )

    kinds: list[Kind] = Field(max_length=len(ALL_KINDS), description="Kinds that need a checker")
    two_checker_amount: AmountOrZeroText | None = Field(
        default=None,
        description="Above it two different checkers, in the deposit currency (SCF_CURRENCIES'"
        " first; every currency of the ledger has its digits); null: one always",
    )
    draft_ttl_hours: int = Field(default=72, ge=1, le=MAX_TTL_HOURS)


class CheckerPolicyOut(BaseModel):
    participant: str
    kinds: list[str]
    two_checker_amount: AmountOut | None
    currency: CurrencyOut = Field(description="The unit of `two_checker_amount`")
    draft_ttl_hours: int
    default: bool = Field(description="True: the participant has set no policy of its own")


class GatewayEventOut(BaseModel):
    id: int
    name: str
    args: dict[str, Any]
    created_at: UtcDatetime
