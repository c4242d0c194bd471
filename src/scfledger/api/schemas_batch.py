"""Request and response bodies of ERP batches (`/v1/batches`, docs/gateway.md#batches)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from scfledger.api.fields import UtcDatetime
from scfledger.services.batches import MAX_LINES

BatchKind = Literal["receivable.issue", "settlement"]


class BatchIn(BaseModel):
    """A batch as JSON: its kind and its lines, each the body a single write of the kind
    takes (`POST /v1/receivables`, `POST /v1/settlements`). Line numbers count from 1."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "kind": "receivable.issue",
                    "lines": [
                        {
                            "creditor": "0x8ba1f109551bD432803012645Ac136ddd64DBA72",
                            "face_amount": "1000000.00",
                            "currency": "CNY",
                            "due_date": 1_798_761_600,
                            "document_hash": "0x9f86d081884c7d659a2feaa0c55ad015"
                            "a3bf4f1b2b0b822cd15d6c15b0f00a08",
                        }
                    ],
                }
            ]
        },
    )

    kind: BatchKind
    lines: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=MAX_LINES)]


LineStatus = Literal[
    "rejected", "draft", "withdrawn", "queued", "submitted", "mined", "indexed", "failed"
]


class BatchLineOut(BaseModel):
    """One line: what it became and how far it is. `rejected`: refused before anything was
    sent (`problem` is what a single request would have got); `draft`: held for a checker
    (`draft_id`), `withdrawn` once its checkers rejected it or it expired; otherwise its
    operation's status, `failed` with the contract's `problem`."""

    line: int
    status: LineStatus
    operation_id: str | None
    draft_id: int | None
    tx_hash: str | None
    problem: dict[str, Any] | None = Field(description="An RFC 9457 problem document")


class BatchOut(BaseModel):
    """A batch and its progress: how many lines are in each status, whether all are
    finished, and a page of its lines (`next_cursor`: the last line of the page)."""

    object: Literal["batch"] = "batch"
    id: int
    kind: BatchKind
    lines: int
    counts: dict[str, int] = Field(description="Lines per status; statuses with none omitted")
    done: bool = Field(description="Every line rejected, mined, indexed, failed or withdrawn")
    created_at: UtcDatetime
    items: list[BatchLineOut]
    next_cursor: str | None
