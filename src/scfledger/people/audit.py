"""The audit trail: append hash-chained records, verify the chain, export it (CSV, JSON Lines).

The hash of a record (stable, so that an export can be checked without this code):

    hash = hex(SHA-256(prev_hash || canonical))

- `prev_hash`: the previous record's hash as 64 lower-case hex digits in ASCII (the first
  record's is GENESIS, 64 zeros);
- `canonical`: the UTF-8 JSON object of every column but `hash` (`id`, `at`, ...,
  `draft_id`, `prev_hash`: FIELDS), keys sorted, no whitespace (separators `,` and `:`),
  characters as themselves (no `\\u` escapes but JSON's own), `id` and `status` as
  integers, absent values as `null`, `at` as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC).

Appends are serialised by the head row (`audit_head`, locked FOR UPDATE on PostgreSQL; on
SQLite every transaction is BEGIN IMMEDIATE, db/session.py): each takes the next id
(contiguous) and the head's hash as its `prev_hash`, and moves the head, in one
transaction. `verify` detects an edited record (its hash), a deleted one in the middle (a
missing id, a broken link) and deleted last ones (the head names a later record).

What it cannot detect alone: someone who can write the database may rewrite every record
from the one they edit to the last, and the head with them, or cut the tail and move the
head back; the chain is then consistent again. Anchoring closes that: publish the head
(`scf audit verify` prints it) where that person cannot write (on the consortium chain, in
a WORM store, in a signed report to the auditor) and verify against it (`anchor=`): a
rewrite of any record up to the anchored one changes the anchored record's hash.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

from sqlalchemy import Select, Table, insert, select, update
from sqlalchemy.orm import Session

from scfledger.db import audit as tables
from scfledger.db.audit import AuditHead, AuditRecord

GENESIS = "0" * 64
HEAD_ID = 1
BATCH = 1000  # records read per query by verify and export

Credential = Literal["session", "key", "operator", "anonymous"]
ExportFormat = Literal["csv", "json"]

# Every column, in table order; the hash covers all but `hash`.
COLUMNS = (
    "id",
    "at",
    "participant",
    "user_id",
    "username",
    "roles",
    "credential",
    "address",
    "user_agent",
    "action",
    "target",
    "request_hash",
    "status",
    "result",
    "operation_id",
    "tx_hash",
    "draft_id",
    "prev_hash",
    "hash",
)
FIELDS = COLUMNS[:-1]
_INTEGERS = frozenset({"id", "status"})
_REQUIRED = frozenset(
    {"id", "at", "roles", "credential", "action", "target", "request_hash", "status", "result"}
    | {"prev_hash", "hash"}
)


@dataclass(frozen=True)
class AuditSubject:
    """Who a request that authenticates no one tried to be (a sign-in attempt): set as
    `request.state.audit_subject` (this, or a dict of the same keys), it is recorded with
    credential "anonymous"."""

    participant: str
    username: str | None = None
    user_id: str | None = None

    @classmethod
    def of(cls, value: object) -> AuditSubject | None:
        """`value` as a subject: itself, or a dict naming at least a participant."""
        if isinstance(value, AuditSubject):
            return value
        if not isinstance(value, Mapping) or not isinstance(value.get("participant"), str):
            return None
        texts = {k: v for k, v in value.items() if isinstance(v, str)}
        return cls(texts["participant"], texts.get("username"), texts.get("user_id"))


@dataclass(frozen=True)
class AuditEntry:
    """What one record says, before it is chained. Text is cleaned (control characters
    become `?`) and cut to its column's length; `at` defaults to now."""

    action: str
    target: str
    request_hash: str
    status: int
    result: str
    credential: Credential
    participant: str | None = None
    user_id: str | None = None
    username: str | None = None
    roles: Iterable[str] = ()
    address: str | None = None
    user_agent: str | None = None
    operation_id: str | None = None
    tx_hash: str | None = None
    draft_id: str | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class Verification:
    """The outcome of `verify`: intact, or the first broken record and why; and the head
    (the last record's id and hash, 0 and GENESIS when there is none) to anchor elsewhere."""

    intact: bool
    count: int
    head_id: int
    head_hash: str
    broken_id: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class AuditFilter:
    """Which records a list or export takes (each condition only when given): by
    participant, username, action (exact), and time (`since` and `until` inclusive)."""

    participant: str | None = None
    username: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _clean(value: str | None, length: int) -> str | None:
    """Printable text cut to `length` characters (None for nothing): what a record holds
    is what its hash covers, on every database (PostgreSQL refuses NUL in text)."""
    if value is None or value == "":
        return None
    return "".join(ch if ch.isprintable() else "?" for ch in value[:length])


def utc(at: datetime) -> datetime:
    """`at` in UTC; a naive value (SQLite gives them back so) is taken as UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def format_time(at: datetime) -> str:
    """The canonical text of a record's time: `2026-11-26T03:40:00.123456Z`."""
    return utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(fields: Mapping[str, Any]) -> bytes:
    """The UTF-8 canonical JSON of a record's FIELDS (see the module's docstring)."""
    document = {name: fields.get(name) for name in FIELDS}
    at = document["at"]
    if isinstance(at, datetime):
        document["at"] = format_time(at)
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return encoded.encode("utf-8")


def record_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 of the record's `prev_hash` (ASCII) and its canonical JSON, lower-case hex."""
    digest = hashlib.sha256(str(fields["prev_hash"]).encode("ascii"))
    digest.update(canonical(fields))
    return digest.hexdigest()


def _fields(entry: AuditEntry, *, record_id: int, prev_hash: str) -> dict[str, Any]:
    at = utc(entry.at or datetime.now(UTC))
    return {
        "id": record_id,
        "at": at,
        "participant": _clean(entry.participant, tables.PARTICIPANT_LENGTH),
        "user_id": _clean(entry.user_id, tables.USER_ID_LENGTH),
        "username": _clean(entry.username, tables.USERNAME_LENGTH),
        "roles": ",".join(sorted({_clean(r, 32) or "" for r in entry.roles} - {""})),
        "credential": entry.credential,
        "address": _clean(entry.address, tables.ADDRESS_LENGTH),
        "user_agent": _clean(entry.user_agent, tables.USER_AGENT_LENGTH),
        "action": _clean(entry.action, tables.ACTION_LENGTH) or "",
        "target": _clean(entry.target, tables.TARGET_LENGTH) or "",
        "request_hash": entry.request_hash,
        "status": int(entry.status),
        "result": _clean(entry.result, tables.RESULT_LENGTH) or "",
        "operation_id": _clean(entry.operation_id, tables.OPERATION_ID_LENGTH),
        "tx_hash": _clean(entry.tx_hash, tables.TX_HASH_LENGTH),
        "draft_id": _clean(entry.draft_id, tables.DRAFT_ID_LENGTH),
        "prev_hash": prev_hash,
    }


_HEAD = cast(Table, AuditHead.__table__)
_RECORDS = cast(Table, AuditRecord.__table__)
# Built once: the statements every request's record sends, as Core statements with their
# values as parameters (the ORM's bulk paths cost more per request than the writing).
_READ_HEAD = select(_HEAD.c.last_id, _HEAD.c.hash).where(_HEAD.c.id == HEAD_ID)
_LOCK_HEAD = _READ_HEAD.with_for_update()
_INSERT_RECORD = insert(_RECORDS)
_MOVE_HEAD = update(_HEAD).where(_HEAD.c.id == HEAD_ID)


def _head(session: Session, *, lock: bool) -> tuple[int, str] | None:
    # On the session's connection: the ORM's execution layer adds nothing to Core statements.
    row = session.connection().execute(_LOCK_HEAD if lock else _READ_HEAD).one_or_none()
    return None if row is None else (row.last_id, row.hash)


def append(session: Session, entry: AuditEntry) -> AuditRecord:
    """Chains `entry` after the head, in the caller's transaction (commit it to keep the
    record; the head stays locked until then, on PostgreSQL)."""
    return append_many(session, [entry])[0]


def append_many(session: Session, entries: Sequence[AuditEntry]) -> list[AuditRecord]:
    """Chains the entries after the head in their order, in the caller's transaction (the
    head stays locked until it commits, on PostgreSQL). Three statements however many
    entries, and no ORM unit of work: every request of the gateway pays for them, under
    the head's lock, so a process writes its concurrent requests' records together
    (`api.audit.GroupWriter`)."""
    if not entries:
        return []
    head = _head(session, lock=True)
    connection = session.connection()
    if head is None:  # a schema built without the migration's seed row
        connection.execute(insert(_HEAD), {"id": HEAD_ID, "last_id": 0, "hash": GENESIS})
        head = (0, GENESIS)
    last_id, prev_hash = head
    rows: list[dict[str, Any]] = []
    for entry in entries:
        last_id += 1
        fields = _fields(entry, record_id=last_id, prev_hash=prev_hash)
        prev_hash = record_hash(fields)
        rows.append({**fields, "hash": prev_hash})
    connection.execute(_INSERT_RECORD, rows)
    connection.execute(_MOVE_HEAD, {"last_id": last_id, "hash": prev_hash})
    return [AuditRecord(**row) for row in rows]  # as written (not in the session)


def _rows(session: Session, query: Select[Any]) -> Iterator[dict[str, Any]]:
    """Every row of `query` (ordered by id, which it must not limit) as a dict of
    COLUMNS, read BATCH at a time (no ORM objects kept in the session)."""
    after = 0
    while True:
        batch = session.execute(
            query.where(AuditRecord.id > after).order_by(AuditRecord.id).limit(BATCH)
        ).all()
        for row in batch:
            yield dict(row._mapping)
        if len(batch) < BATCH:
            return
        after = batch[-1].id


def _all_columns() -> Select[Any]:
    return select(*(getattr(AuditRecord, name) for name in COLUMNS))


def verify(session: Session, *, anchor: tuple[int, str] | None = None) -> Verification:
    """Walks the records by id up to the head read first (appends after it are not
    looked at) and recomputes every hash. `anchor` (id, hash), published elsewhere
    earlier, must be in the chain too."""
    head = _head(session, lock=False)
    if head is None:
        return Verification(False, 0, 0, GENESIS, None, "the audit head row is missing")
    rows = _rows(session, _all_columns().where(AuditRecord.id <= head[0]))
    return walk(rows, head=head, anchor=anchor)


def walk(
    rows: Iterable[Mapping[str, Any]],
    *,
    head: tuple[int, str] | None,
    anchor: tuple[int, str] | None = None,
) -> Verification:
    """Checks records given in id order from the first: contiguous ids, each linked to
    the one before, each hash recomputed; they end at `head` (id, hash) if given; the
    record of `anchor`'s id has its hash. (An export of the whole trail walks too.)"""
    expected_id, prev, count = 1, GENESIS, 0

    def broken(record_id: int, reason: str) -> Verification:
        return Verification(False, count, *(head or (expected_id - 1, prev)), record_id, reason)

    for row in rows:
        record_id = int(row["id"])
        if record_id != expected_id:
            missing = f"{expected_id}" + (
                f"..{record_id - 1}" if record_id > expected_id + 1 else ""
            )
            return broken(expected_id, f"record(s) {missing} missing before {record_id} (deleted)")
        if row["prev_hash"] != prev:
            return broken(
                record_id,
                f"its prev_hash does not match record {record_id - 1}'s hash "
                f"(record {record_id - 1} was rewritten or replaced)",
            )
        if record_hash(row) != row["hash"]:
            return broken(record_id, "its fields do not match its hash (the record was edited)")
        if anchor is not None and record_id == anchor[0] and row["hash"] != anchor[1]:
            return broken(record_id, "its hash differs from the anchored one (rewritten)")
        expected_id, prev, count = record_id + 1, str(row["hash"]), count + 1
    last_id = expected_id - 1
    if anchor is not None and anchor[0] > last_id:
        return broken(anchor[0], f"the anchored record {anchor[0]} is gone (deleted)")
    if head is not None and head != (last_id, prev):
        if head[0] > last_id:
            reason = f"the head names record {head[0]}: records after {last_id} were deleted"
            return broken(last_id + 1, reason)
        return broken(head[0], f"the head ({head[0]}, {head[1][:16]}...) does not match the chain")
    return Verification(True, count, last_id, prev)


def _filtered(query: Select[Any], filters: AuditFilter) -> Select[Any]:
    if filters.participant is not None:
        query = query.where(AuditRecord.participant == filters.participant)
    if filters.username is not None:
        query = query.where(AuditRecord.username == filters.username)
    if filters.action is not None:
        query = query.where(AuditRecord.action == filters.action)
    if filters.since is not None:
        query = query.where(AuditRecord.at >= utc(filters.since))
    if filters.until is not None:
        query = query.where(AuditRecord.at <= utc(filters.until))
    return query


def list_records(
    session: Session, filters: AuditFilter, *, after: int | None, limit: int
) -> list[AuditRecord]:
    """The records `filters` take, oldest first, after the id `after`."""
    query = _filtered(select(AuditRecord), filters)
    if after is not None:
        query = query.where(AuditRecord.id > after)
    return list(session.scalars(query.order_by(AuditRecord.id).limit(limit)))


def fields_of(record: AuditRecord) -> dict[str, Any]:
    """A record's COLUMNS by name."""
    return {name: getattr(record, name) for name in COLUMNS}


def as_exported(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A record's COLUMNS as exported: `at` in its canonical text."""
    return {name: format_time(fields[name]) if name == "at" else fields[name] for name in COLUMNS}


def export(
    session: Session, format: ExportFormat, filters: AuditFilter = AuditFilter()
) -> Iterator[str]:
    """The records `filters` take, oldest first, as lines ending in a newline: CSV (a
    header line, then COLUMNS; no value is `null`, an empty cell is one) or JSON Lines
    (one object of COLUMNS per line). Every column is there, hashes included: an export
    of the whole trail verifies with `parse_export` and `walk`."""
    rows = _rows(session, _filtered(_all_columns(), filters))
    if format == "json":
        for row in rows:
            yield json.dumps(as_exported(row), separators=(",", ":"), ensure_ascii=False) + "\n"
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def line(values: Iterable[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(COLUMNS)
    for row in rows:
        exported = as_exported(row)
        yield line("" if exported[name] is None else exported[name] for name in COLUMNS)


def parse_export(format: ExportFormat, lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The records of an export (what `export` wrote), with the types the hash covers."""
    if format == "json":
        for line in lines:
            if line.strip():
                yield json.loads(line)
        return
    for row in csv.DictReader(lines):
        yield {
            name: (
                int(value)
                if name in _INTEGERS
                else (value if value != "" or name in _REQUIRED else None)
            )
            for name, value in row.items()
        }
