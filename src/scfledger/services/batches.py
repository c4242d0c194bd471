"""ERP batches: up to MAX_LINES receivable issues or settlements posted at once, each line
its own operation (or maker-checker draft) under the idempotency key `<batch key>#<line>`.

Every line is checked before anything is queued: the API edge checks its shape and
amounts, `create` the use case's own checks (documents, visibility), each line as a single
request with its arguments would be (an issue's against facts read for all lines at once,
`receivables.IssueChecks`: a constant number of queries whatever the batch's size). A
refused line is recorded with its problem and the others go on. The batch, its lines and
their queued operations are written in one database transaction, the operations one
INSERT per chunk (`outbox.store.accept_queued`); the pipeline's loop signs and sends them.
So a gateway killed before the commit has accepted nothing (the client sends the batch
again), and after it, every line is queued and sent exactly once by whichever gateway
process runs next. The same batch key again is the same batch (another request under it
is `IdempotencyConflict`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scfledger.chain.calls import ContractCall
from scfledger.chain.generated import Role
from scfledger.db.batches import Batch, BatchLine
from scfledger.db.drafts import Draft, GatewayEvent
from scfledger.db.models import Operation, new_id
from scfledger.db.payment_refs import PaymentReference
from scfledger.db.session import transaction
from scfledger.exceptions import BatchRejected, IdempotencyConflict, RecordNotFound, ScfError
from scfledger.outbox.operation import OperationView, checksum, to_json
from scfledger.outbox.store import accept_queued, new_operation
from scfledger.services import drafts, payment_refs, receivables, settlements
from scfledger.services.ledger import Actor, Idempotency, Ledger

MAX_LINES = 10_000
Kind = Literal["receivable.issue", "settlement"]
# The use case each kind of line runs (its drafts replay it; its fingerprint names it).
SERVICES: dict[str, Callable[..., OperationView]] = {
    "receivable.issue": receivables.issue,
    "settlement": settlements.settle,
}
# What a problem is to this module: the RFC 9457 body a single request would have got
# (the API owns the mapping, api/errors.py, and hands it in).
ProblemOf = Callable[[ScfError], dict[str, Any]]
# Line statuses besides an operation's: refused before anything was sent, held for a
# checker, and a draft its checkers rejected or let expire.
REJECTED, DRAFT, WITHDRAWN = "rejected", "draft", "withdrawn"
_DRAFT_STATUS = {"pending": DRAFT, "approved": DRAFT, "rejected": WITHDRAWN, "expired": WITHDRAWN}
_UNFINISHED = frozenset({DRAFT, "queued", "submitted"})


@dataclass(frozen=True)
class LineIn:
    """A line as the API edge read it: the use case's arguments and the fingerprint a
    single request with them would have, or the problem that refused it."""

    line: int  # 1-based
    arguments: dict[str, Any] | None = None
    request_hash: str | None = None
    problem: dict[str, Any] | None = None


@dataclass(frozen=True)
class LineResult:
    line: int
    status: str  # rejected | draft | withdrawn | an operation's status
    operation: OperationView | None
    draft_id: int | None
    problem: dict[str, Any] | None


def line_key(batch_key: str, line: int) -> str:
    """The idempotency key of a batch's line: a single write under it finds the line's."""
    return f"{batch_key}#{line}"


def create(
    *,
    ledger: Ledger,
    actor: Actor,
    key: str,
    request_hash: str,
    kind: str,
    lines: Sequence[LineIn],
    problem_of: ProblemOf,
    now: datetime,
    all_or_none: bool = False,
) -> int:
    """Checks and queues a batch's lines (see the module); returns the batch's id. The
    same key and request again returns the first batch; another request under the key
    raises IdempotencyConflict. `all_or_none`: any refused line raises BatchRejected
    (with every refused line's problem) and nothing is written."""
    # The ERP's tool of a debtor: issues and settlements are a core enterprise's writes.
    actor.require(Role.CORE_ENTERPRISE, "post batches of receivables or settlements")
    existing = _existing(ledger, actor.participant, key, request_hash)
    if existing is not None:
        return existing
    try:
        with transaction(ledger.sessions) as session:
            return _create(
                session, ledger, actor, key, request_hash, kind, lines, problem_of, now,
                all_or_none,
            )  # fmt: skip
    except IntegrityError:  # the same batch posted twice at once: the first one stands
        existing = _existing(ledger, actor.participant, key, request_hash)
        if existing is None:
            raise
        return existing


def _existing(ledger: Ledger, participant: str, key: str, request_hash: str) -> int | None:
    with ledger.sessions() as session:
        batch = session.scalars(
            select(Batch).where(Batch.participant == participant, Batch.idempotency_key == key)
        ).one_or_none()
    if batch is not None and batch.request_hash != request_hash:
        raise IdempotencyConflict(
            participant=participant, key=key, operation_id=f"batch {batch.id}"
        )
    return None if batch is None else batch.id


def _create(
    session: Session,
    ledger: Ledger,
    actor: Actor,
    key: str,
    request_hash: str,
    kind: str,
    lines: Sequence[LineIn],
    problem_of: ProblemOf,
    now: datetime,
    all_or_none: bool,
) -> int:
    service = SERVICES[kind]
    name = drafts.service_name(service)
    policy = drafts.needs_draft(session, actor, name)
    sender = ledger.pipeline.signer_for(actor.participant).address
    taken = _taken_keys(session, actor.participant, [line_key(key, n.line) for n in lines])
    prepare = _checks(
        session,
        ledger,
        actor,
        kind,
        [n.arguments for n in lines if n.arguments is not None and n.problem is None],
    )
    operations: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for line in lines:
        row: dict[str, Any] = {"line": line.line, "operation_id": None, "draft_id": None}
        rows.append(row)
        if line.problem is not None or line.arguments is None or line.request_hash is None:
            row["problem"] = line.problem
            continue
        idempotency = Idempotency(key=line_key(key, line.line), request_hash=line.request_hash)
        try:
            found = taken.get(idempotency.key)
            if found is not None:  # a write already made under the line's key
                if found[1] != idempotency.request_hash:
                    raise IdempotencyConflict(
                        participant=actor.participant, key=idempotency.key, operation_id=found[0]
                    )
                row["operation_id"] = found[0]
                continue
            prepared = prepare(line.arguments)
        except ScfError as exc:
            row["problem"] = problem_of(exc)
            continue
        if policy is not None:
            draft = drafts.make_draft(
                session,
                actor=actor,
                policy=policy,
                service=name,
                arguments=line.arguments,
                idempotency=idempotency,
                now=now,
            )
            row["draft_id"] = draft.id
            continue
        call, payees = prepared
        operation = new_operation(
            id=new_id(),
            participant=actor.participant,
            idempotency_key=idempotency.key,
            request_hash=idempotency.request_hash,
            kind=settlements.SETTLE_KIND if kind == "settlement" else receivables.ISSUE_KIND,
            arguments={
                "contract": call.contract,
                "address": checksum(call.address),
                "function": call.function,
                "args": to_json(call.args),
            },
            sender=sender,
            to_address=checksum(call.address),
            data=call.calldata(),
            gas_limit=None,  # estimated when the pipeline signs it: a refusal fails the line
        )
        operations.append(operation)
        row["operation_id"] = operation["id"]
        if payees is not None:
            _record_reference(session, actor, idempotency, line.arguments, payees, operation["id"])
    refused = [{"line": r["line"], "problem": r["problem"]} for r in rows if r.get("problem")]
    if refused and all_or_none:
        raise BatchRejected(problems=refused, lines=len(lines))  # rolls everything back
    rejected = len(refused)
    batch = Batch(
        participant=actor.participant,
        idempotency_key=key,
        request_hash=request_hash,
        kind=kind,
        lines=len(lines),
        rejected=rejected,
        made_by=None if actor.person is None else actor.person.username,
        created_at=now,
    )
    session.add(batch)
    session.flush()
    accept_queued(session, operations)
    session.execute(
        BatchLine.__table__.insert(),  # type: ignore[attr-defined]  # a Table; one statement
        [{"batch_id": batch.id, "problem": None, **r} for r in rows],
    )
    session.add(
        GatewayEvent(
            participant=actor.participant,
            name="BatchAccepted",
            args={
                "batch_id": batch.id,
                "kind": kind,
                "lines": len(lines),
                "rejected": rejected,
                "drafts": sum(1 for r in rows if r["draft_id"] is not None),
            },
        )
    )
    return batch.id


Prepare = Callable[[dict[str, Any]], tuple[ContractCall, list[str] | None]]


def _checks(
    session: Session,
    ledger: Ledger,
    actor: Actor,
    kind: str,
    arguments: Sequence[dict[str, Any]],
) -> Prepare:
    """The use case's own checks of a line and its call (and, for a settlement, whom it
    pays), raising the problem a single request would get. An issue's checks read what
    they need for every line at once (`receivables.IssueChecks`); a settlement's, per line."""
    if kind == "settlement":

        def settle(line: dict[str, Any]) -> tuple[ContractCall, list[str] | None]:
            return settlements.settle_call(session, ledger=ledger, actor=actor, **line)

        return settle
    checks = receivables.IssueChecks.load(
        session, actor, [line["document_hash"] for line in arguments]
    )
    return lambda line: (checks.call(ledger, **line), None)


def _record_reference(
    session: Session,
    actor: Actor,
    idempotency: Idempotency,
    arguments: dict[str, Any],
    payees: list[str],
    operation_id: str,
) -> None:
    """A settlement line's payment reference in clear, as `settle` records it."""
    payment_refs.record(
        session,
        actor=actor,
        idempotency=idempotency,
        kind=settlements.SETTLE_KIND,
        text=arguments["payment_ref"],
        payer=actor.address,
        payees=payees,
    )
    session.execute(
        update(PaymentReference)
        .where(
            PaymentReference.made_by == actor.participant,
            PaymentReference.idempotency_key == idempotency.key,
        )
        .values(operation_id=operation_id)
    )


def _taken_keys(session: Session, participant: str, keys: list[str]) -> dict[str, tuple[str, str]]:
    """The operations already accepted under any of `keys`: key -> (id, request hash). One
    query (at most MAX_LINES keys: within the bound parameters of SQLite and PostgreSQL)."""
    if not keys:
        return {}
    query = select(Operation.idempotency_key, Operation.id, Operation.request_hash).where(
        Operation.participant == participant, Operation.idempotency_key.in_(keys)
    )
    return {
        key: (operation_id, request_hash)
        for key, operation_id, request_hash in session.execute(query)
    }


# -- reading ---------------------------------------------------------------------------


def own_batch(session: Session, actor: Actor, batch_id: int) -> Batch:
    """One of the actor's participant's batches (404 for anyone else's)."""
    batch = session.get(Batch, batch_id)
    if batch is None or batch.participant != actor.participant:
        raise RecordNotFound(kind="batch", key=batch_id)
    return batch


def _status(line: BatchLine, draft: Draft | None, operation: OperationView | None) -> str:
    if line.problem is not None:
        return REJECTED
    if operation is not None:
        return operation.status
    if draft is not None:
        return _DRAFT_STATUS.get(draft.status, DRAFT)
    return DRAFT


def lines(
    session: Session, actor: Actor, batch_id: int, *, after: int = 0, limit: int | None = None
) -> list[LineResult]:
    """The batch's lines after line `after`, in order, with their operations."""
    own_batch(session, actor, batch_id)
    query = (
        select(BatchLine)
        .where(BatchLine.batch_id == batch_id, BatchLine.line > after)
        .order_by(BatchLine.line)
    )
    found = session.scalars(query if limit is None else query.limit(limit)).all()
    draft_ids = [line.draft_id for line in found if line.draft_id is not None]
    drafts_by_id: dict[int, Draft] = {}
    for start in range(0, len(draft_ids), 500):
        chunk = draft_ids[start : start + 500]
        drafts_by_id |= {d.id: d for d in session.scalars(select(Draft).where(Draft.id.in_(chunk)))}
    operation_of = {
        line.line: line.operation_id
        or (drafts_by_id[line.draft_id].operation_id if line.draft_id in drafts_by_id else None)
        for line in found
    }
    ids = [i for i in operation_of.values() if i is not None]
    views: dict[str, OperationView] = {}
    for start in range(0, len(ids), 500):
        query_ops = select(Operation).where(Operation.id.in_(ids[start : start + 500]))
        views |= {op.id: OperationView.of(op) for op in session.scalars(query_ops)}
    results = []
    for line in found:
        operation_id = operation_of[line.line]
        view = None if operation_id is None else views.get(operation_id)
        draft = None if line.draft_id is None else drafts_by_id.get(line.draft_id)
        results.append(
            LineResult(
                line=line.line,
                status=_status(line, draft, view),
                operation=view,
                draft_id=line.draft_id,
                problem=line.problem,
            )
        )
    return results


def progress(session: Session, actor: Actor, batch_id: int) -> tuple[Batch, dict[str, int], bool]:
    """The batch, how many of its lines are in each status (two grouped counts, whatever
    the batch's size), and whether every line is finished (rejected, mined, indexed,
    failed or withdrawn)."""
    batch = own_batch(session, actor, batch_id)
    counts: Counter[str] = Counter({REJECTED: batch.rejected} if batch.rejected else {})
    direct = (
        select(Operation.status, func.count())
        .select_from(BatchLine)
        .join(Operation, Operation.id == BatchLine.operation_id)
        .where(BatchLine.batch_id == batch_id)
        .group_by(Operation.status)
    )
    for status, n in session.execute(direct):
        counts[status] += n
    held = (
        select(Draft.status, Operation.status, func.count())
        .select_from(BatchLine)
        .join(Draft, Draft.id == BatchLine.draft_id)
        .outerjoin(Operation, Operation.id == Draft.operation_id)
        .where(BatchLine.batch_id == batch_id)
        .group_by(Draft.status, Operation.status)
    )
    for draft_status, operation_status, n in session.execute(held):
        counts[operation_status or _DRAFT_STATUS.get(draft_status, DRAFT)] += n
    done = not any(counts[status] for status in _UNFINISHED)
    return batch, dict(counts), done
