"""Reading an ERP batch at the API edge: its body (JSON, CSV, or CSV as a multipart upload)
as lines, and each line checked as a single write of its kind is (its schema, amounts and
currency), into the use case's arguments or the problem a single request would get."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile
from starlette.types import Message

from scfledger.api.errors import error_response, validation_response
from scfledger.api.guard import MAX_JSON_DEPTH, nested_deeper_than
from scfledger.api.routes.common import request_fingerprint
from scfledger.api.schemas import IssueIn, SettleIn
from scfledger.api.schemas_batch import BatchIn
from scfledger.exceptions import (
    BatchInvalid,
    BodyTooDeep,
    BodyTooLarge,
    ScfError,
    UnsupportedMediaType,
)
from scfledger.services.batches import MAX_LINES, SERVICES, LineIn
from scfledger.services.ledger_money import LedgerMoney

# 10,000 lines of the widest kind (an issue: ~180 bytes of JSON) with room to spare.
MAX_BATCH_BYTES = 8 * 1024 * 1024
FILE_FIELD = "file"
MEDIA = "application/json, text/csv or multipart/form-data (field `file`)"
# The columns of each kind's CSV, as its single write's body names them.
COLUMNS: dict[str, tuple[type[BaseModel], frozenset[str]]] = {
    "receivable.issue": (IssueIn, frozenset(IssueIn.model_fields)),
    "settlement": (SettleIn, frozenset(SettleIn.model_fields)),
}
_INTEGER_COLUMNS = frozenset({"due_date", "slot"})
_DIGITS = re.compile(r"[0-9]{1,19}")
_LIST_SEPARATOR = re.compile(r"[;\s]+")


def problem_of(exc: ScfError) -> dict[str, Any]:
    """The RFC 9457 body a single request refused with `exc` gets."""
    return _body(error_response(exc))


def _body(response: JSONResponse) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(bytes(response.body))
    return decoded


async def read_body(request: Request) -> bytes:
    """The body, refused past MAX_BATCH_BYTES (by its Content-Length first)."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BATCH_BYTES:
        raise BodyTooLarge(limit=MAX_BATCH_BYTES)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BATCH_BYTES:
            raise BodyTooLarge(limit=MAX_BATCH_BYTES)
        chunks.append(chunk)
    return b"".join(chunks)


def _media(content_type: str | None) -> str:
    return (content_type or "").partition(";")[0].strip().lower()


async def raw_lines(request: Request, body: bytes, kind: str | None) -> tuple[str, list[object]]:
    """The batch's kind and its lines as sent (objects; CSV rows as dicts of strings with
    their numbers read). `kind` is the query's: required for CSV, and if given with JSON
    it must be the body's."""
    media = _media(request.headers.get("content-type"))
    if media == "multipart/form-data":
        upload = await _uploaded_file(request, body)
        body = await upload.read()
        media = _media(upload.content_type)
        if media != "application/json":
            media = "text/csv"
    if media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    ):
        return _json_lines(body, kind)
    if media in ("text/csv", "application/csv"):
        if kind is None:
            raise BatchInvalid("a CSV batch names its kind: ?kind=receivable.issue or settlement")
        return kind, _csv_lines(body, kind)
    raise UnsupportedMediaType(content_type=request.headers.get("content-type"), expected=MEDIA)


async def _uploaded_file(request: Request, body: bytes) -> UploadFile:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await request.receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(request.scope, replay).form(max_files=1, max_fields=4)
    except Exception as exc:  # starlette's MultiPartException and the parser's errors
        raise BatchInvalid(f"malformed multipart body: {exc}") from None
    upload = form.get(FILE_FIELD)
    if not isinstance(upload, UploadFile):
        raise BatchInvalid(f"send the batch as the multipart field {FILE_FIELD!r}")
    return upload


def _json_lines(body: bytes, kind: str | None) -> tuple[str, list[object]]:
    """A JSON batch, bounded and refused as every JSON body is (api.guard: depth; the
    schema's problems: malformed-body, validation-error)."""
    if nested_deeper_than(body, MAX_JSON_DEPTH):
        raise BodyTooDeep(limit=MAX_JSON_DEPTH)
    try:
        batch = BatchIn.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
    if kind is not None and kind != batch.kind:
        raise BatchInvalid(f"?kind={kind} but the body's kind is {batch.kind}")
    return batch.kind, list(batch.lines)


def _csv_lines(body: bytes, kind: str) -> list[object]:
    if kind not in COLUMNS:
        raise BatchInvalid(f"unknown kind {kind[:32]!r}: receivable.issue or settlement")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BatchInvalid("a CSV batch is UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = reader.fieldnames
    known = COLUMNS[kind][1]
    if not columns:
        raise BatchInvalid("the CSV has no header line")
    unknown = [c for c in columns if c not in known]
    if unknown or len(set(columns)) != len(columns):
        raise BatchInvalid(
            f"CSV columns of {kind} are {', '.join(sorted(known))}; got {', '.join(columns)}"
        )
    lines: list[object] = []
    try:
        for row in reader:
            if len(lines) >= MAX_LINES:
                raise BatchInvalid(f"at most {MAX_LINES} lines")
            if None in row:  # more cells than the header names
                lines.append({"": row[None]})  # refused per line
                continue
            lines.append(_csv_values(row))
    except csv.Error as exc:
        raise BatchInvalid(f"malformed CSV: {exc}") from None
    if not lines:
        raise BatchInvalid("no line")
    return lines


def _csv_values(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as its JSON body would be: empty cells absent, integers read as such
    (ASCII digits only; anything else is left for the schema to refuse), `token_ids`
    separated by `;` or spaces."""
    values: dict[str, Any] = {}
    for column, cell in row.items():
        value = (cell or "").strip()
        if not value:
            continue
        if column in _INTEGER_COLUMNS and _DIGITS.fullmatch(value):
            values[column] = int(value)
        elif column == "token_ids":
            values[column] = [
                int(v) if _DIGITS.fullmatch(v) else v for v in _LIST_SEPARATOR.split(value)
            ]
        else:
            values[column] = value
    return values


def batch_fingerprint(participant: str, kind: str, lines: list[object]) -> str:
    """What a batch asks for, as its idempotency key's request: the caller, kind and lines."""
    encoded = json.dumps([participant, kind, lines], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


def check_line(number: int, raw: object, kind: str, participant: str, money: LedgerMoney) -> LineIn:
    """One line checked as its single write would be: the use case's arguments and the
    request's fingerprint, or the problem (validation, amount, currency)."""
    model = COLUMNS[kind][0]
    try:
        body = model.model_validate(raw)
    except ValidationError as exc:
        return LineIn(line=number, problem=_body(validation_response(exc.errors())))
    try:
        arguments = _arguments(body, money)
    except ScfError as exc:
        return LineIn(line=number, problem=problem_of(exc))
    service = SERVICES[kind]
    return LineIn(
        line=number,
        arguments=arguments,
        request_hash=request_fingerprint(participant, service, arguments),
    )


def _arguments(body: BaseModel, money: LedgerMoney) -> dict[str, Any]:
    """The use case's arguments, as `POST /v1/receivables` and `/v1/settlements` pass them."""
    if isinstance(body, IssueIn):
        currency = money.check_currency(body.currency)
        return {
            "creditor": body.creditor,
            "face_amount": money.parse(body.face_amount, currency, field="face_amount"),
            "currency": currency,
            "due_date": body.due_date,
            "document_hash": body.document_hash,
        }
    assert isinstance(body, SettleIn)
    return {"slot": body.slot, "token_ids": body.token_ids, "payment_ref": body.payment_ref}
