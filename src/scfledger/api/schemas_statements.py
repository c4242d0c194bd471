"""Bodies of `/v1/statements` and `/v1/reconciliation`: amounts as decimal strings in their
currency, times as Unix seconds and ISO 8601 in the period's time zone."""

from __future__ import annotations

from pydantic import BaseModel, Field

AMOUNT = 'A decimal string in the currency (e.g. "1000000.00" CNY)'
REF = "The payment reference in clear if the caller paid or was paid, else its on-chain hash"


class StatementLineOut(BaseModel):
    at: int = Field(description="The block's time, Unix seconds")
    at_iso: str = Field(description="The block's time, ISO 8601 with the period zone's offset")
    kind: str = Field(
        description="receivable_issued, receivable_received, piece_sent, piece_received, "
        "piece_returned_sent, piece_returned_received, financing_funded, financing_repaid, "
        "financing_recourse_claimed, financing_recourse_repaid, settlement_paid, "
        "settlement_submitted, settlement_confirmed, settlement_disputed"
    )
    counterparty: str
    counterparty_name: str | None
    slot: int | None
    token_id: int | None
    request_id: int | None
    amount: str | None = Field(description=AMOUNT + "; null where nothing moves (a dispute)")
    currency: str
    status: str
    payment_ref: str | None = Field(description=REF)
    tx_hash: str
    block_number: int


class TotalOut(BaseModel):
    kind: str
    currency: str
    lines: int
    amount: str = Field(description=AMOUNT)


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
    kind: str
    amount: str | None = Field(description=AMOUNT)
    currency: str
    payer: str
    payer_name: str | None
    payee: str
    payee_name: str | None
    request_id: int | None
    slot: int | None
    token_id: int | None
    status: str
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
