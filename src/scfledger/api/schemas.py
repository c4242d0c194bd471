"""Pydantic request and response bodies of the REST API (ORM models live in scfledger.db)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$", examples=["0x" + "ab" * 20])]
Hash32 = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$")]
Amount = Annotated[int, Field(gt=0, lt=2**128)]
TokenId = Annotated[int, Field(ge=1, lt=2**63)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IssueIn(Strict):
    creditor: Address
    face_amount: Amount
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "CNY"
    due_date: Annotated[int, Field(gt=0, lt=2**64, description="Unix seconds")]
    document_hash: Hash32


class TransferIn(Strict):
    to: Address
    value: Amount


class FinancingIn(Strict):
    token_id: TokenId
    financier: Address
    amount: Amount
    rate_bps: Annotated[int, Field(ge=0, le=10_000)]
    mode: Literal["factoring", "pledge"] = "factoring"
    recourse: bool = False


class ApproveIn(Strict):
    amount: Amount | None = None
    rate_bps: Annotated[int, Field(ge=0, le=10_000)] | None = None


class FundIn(Strict):
    payment_ref: Annotated[str, Field(min_length=1, max_length=128)]


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
    receivable: ReceivableOut


class PiecePage(BaseModel):
    items: list[PieceOut]
    next_cursor: str | None


class LineageNodeOut(BaseModel):
    token_id: int
    parent_token_id: int | None
    depth: int
    holder: str
    value: int
    state: str
    children: list[LineageNodeOut] = []


class LineageOut(BaseModel):
    token_id: int
    ancestors: list[LineageNodeOut]
    tree: LineageNodeOut


class FinancingOut(BaseModel):
    id: int
    token_id: int
    requester: str
    financier: str
    amount: int
    rate_bps: int
    mode: str
    recourse: bool
    status: str
    expires_at: int
    payment_ref: str | None


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
