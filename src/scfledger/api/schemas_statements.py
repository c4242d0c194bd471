"""Bodies of `/v1/statements` and `/v1/reconciliation`: amounts as decimal strings in their
currency, times as Unix seconds and ISO 8601 in the period's time zone."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from scfledger.api.fields import AmountOut, values_of
from scfledger.services.statements import (
    LINE_KINDS,
    LINE_STATUSES,
    PAYMENT_KINDS,
    PAYMENT_STATUSES,
)

AMOUNT = 'A decimal string in the currency (e.g. "1000000.00" CNY)'
REF = "The payment reference in clear if the caller paid or was paid, else its on-chain hash"


class StatementLineOut(BaseModel):
    at: int = Field(description="The block's time, Unix seconds")
    at_iso: str = Field(description="The block's time, ISO 8601 with the period zone's offset")
    kind: Annotated[str, values_of(LINE_KINDS, "What happened, from the caller's side")]
    counterparty: str
    counterparty_name: str | None
    slot: int | None
    token_id: int | None
    request_id: int | None
    amount: AmountOut | None = Field(description=AMOUNT + "; null where nothing moves (a dispute)")
    currency: str
    status: Annotated[
        str,
        values_of(
            LINE_STATUSES,
            "A receivable's status now; a transfer's kind; the financing or settlement step",
        ),
    ]
    payment_ref: str | None = Field(description=REF)
    tx_hash: str
    block_number: int


class TotalOut(BaseModel):
    kind: Annotated[str, values_of(LINE_KINDS, "The lines' kind")]
    currency: str
    lines: int
    amount: AmountOut = Field(description=AMOUNT)


class StatementOut(BaseModel):
    participant: str
    address: str
    first_day: str = Field(description="`from`, YYYY-MM-DD")
    last_day: str = Field(description="`to`, YYYY-MM-DD (included)")
    time_zone: str
    lines: list[StatementLineOut]
    totals: list[TotalOut]


class PaymentOut(BaseModel):
    payment_ref: str | None = Field(description="In clear, if the caller may read it")
    payment_ref_hash: str = Field(description="As on chain (bytes32)")
    kind: Annotated[str, values_of(PAYMENT_KINDS, "Which payment")]
    amount: AmountOut | None = Field(description=AMOUNT)
    currency: str
    payer: str
    payer_name: str | None
    payee: str
    payee_name: str | None
    request_id: int | None
    slot: int | None
    token_id: int | None
    status: Annotated[str, values_of(PAYMENT_STATUSES, "The step that recorded the payment")]
    at: int = Field(description="The block's time, Unix seconds")
    at_iso: str = Field(description="The block's time, ISO 8601 with the period zone's offset")
    tx_hash: str
    block_number: int


class ReconciliationOut(BaseModel):
    participant: str
    first_day: str
    last_day: str
    time_zone: str
    payments: list[PaymentOut]
