"""Bodies of `/v1/setoff`: the plan, proposing a round, the rounds. Amounts are decimal
strings in the round's currency; times Unix seconds of chain time."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from scfledger.api.dates import Dated, UnixSeconds
from scfledger.api.fields import (
    Address,
    AmountOut,
    AmountText,
    CurrencyOut,
    Deadline,
    TokenId,
    values_of,
)
from scfledger.api.schemas import Strict
from scfledger.chain.generated import MAX_ROUND_ITEMS
from scfledger.services.setoff_reads import ANSWERS, ROUND_STATUSES

RoundStatus = Annotated[
    str,
    values_of(
        ROUND_STATUSES,
        "proposed: awaiting answers; refused: a party refused; executed: every piece reduced;"
        " lapsed: proposed and past its deadline at chain time",
    ),
]
Answer = Annotated[str, values_of(ANSWERS, "A party's answer to the round")]


class ItemIn(Strict):
    piece: TokenId = Field(description="The piece (token id) to reduce")
    amount: AmountText = Field(description="How much of the piece's value clears")


class ProposeIn(Strict):
    """A round to propose: its `items` (ascending piece order, balanced for every party), or
    the current plan's round `plan_round` of `currency` (as `GET /v1/setoff/plan` numbers
    them, one the caller sees); and the chain time by which every party must consent."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {"piece": 1, "amount": "400000.00"},
                        {"piece": 2, "amount": "400000.00"},
                        {"piece": 3, "amount": "400000.00"},
                    ],
                    "deadline": 1893456000,
                },
                {"plan_round": 1, "currency": "CNY", "deadline": 1893456000},
            ]
        }
    )

    items: list[ItemIn] | None = Field(default=None, min_length=1, max_length=MAX_ROUND_ITEMS)
    plan_round: int | None = Field(default=None, ge=1, le=10_000)
    currency: str | None = Field(
        default=None, pattern=r"^[A-Z]{3}$", description="The plan's currency (with plan_round)"
    )
    deadline: Deadline

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        if (self.items is None) == (self.plan_round is None):
            raise ValueError("give either items or plan_round")
        if (self.plan_round is None) != (self.currency is None):
            raise ValueError("plan_round goes with currency, and only with it")
        return self


class RefuseRoundIn(Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "the pieces are pledged to our bank"}]}
    )

    reason: str = Field(
        min_length=1,
        max_length=128,
        description="Why: 0x + 64 hex digits, or text (recorded on chain as its SHA-256)",
    )


class ClearingOut(BaseModel):
    piece: int
    debtor: Address
    creditor: Address = Field(description="The piece's holder")
    amount: AmountOut


class PlannedRoundOut(BaseModel):
    number: int = Field(description="The round's number in this plan (propose it by it)")
    items: list[ClearingOut] = Field(description="The items the caller may see")
    item_count: int = Field(description="How many items the round has in all")
    total: AmountOut = Field(description="What the round clears in all")


class PositionOut(BaseModel):
    member: Address
    payable_before: AmountOut
    receivable_before: AmountOut
    payable_after: AmountOut
    receivable_after: AmountOut
    net: str = Field(
        description="receivable - payable, a decimal string (negative: a net debtor); the"
        " same after the rounds"
    )


class PlanOut(BaseModel):
    currency: CurrencyOut
    chain_time: int = Field(description="The chain time the plan was made at (the index's)")
    minimum_piece_value: AmountOut = Field(description="What a partly cleared piece keeps")
    rounds: list[PlannedRoundOut]
    positions: list[PositionOut] = Field(description="The caller's own (auditors: all)")
    total_debt: AmountOut | None = Field(description="Auditors only")
    cleared: AmountOut | None = Field(description="Auditors only")
    net_internal_debt: AmountOut | None = Field(description="Auditors only")


class RoundItemOut(BaseModel):
    piece: int
    slot: int
    debtor: Address
    holder: Address
    amount: AmountOut
    remaining: AmountOut | None = Field(description="The piece's value after execution")


class PartyOut(BaseModel):
    party: Address
    answer: Answer


class RoundOut(Dated):
    id: int
    proposer: Address
    status: RoundStatus
    deadline: UnixSeconds
    currency: CurrencyOut | None
    item_count: int
    total: AmountOut = Field(description="What the round clears in all")
    consents: int
    party_count: int
    items: list[RoundItemOut]
    parties: list[PartyOut]
    my_answer: Answer | None = Field(description="The caller's answer (null: not a party)")
    gives_up: AmountOut = Field(description="Receivables of the caller the round clears")
    sheds: AmountOut = Field(description="Debt of the caller the round clears")
    refused_by: Address | None
    reason: str | None = Field(description="The refusal's reason as on chain (bytes32)")
    executor: Address | None
    tx_hash: str = Field(description="The proposal's transaction")


class RoundPage(BaseModel):
    items: list[RoundOut]
    next_cursor: str | None
