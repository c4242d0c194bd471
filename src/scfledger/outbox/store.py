"""The one writer of operation state: every write of `operations` and `transactions` rows.

One method per transition (accepted, submitted, mined, finished, failed, requeued,
replaced, refused, indexed, reopened). Transitions that must join a caller's transaction
take its `Connection` or `Session`: the nonce allocator's, the indexer's batch, the API's
wait. Nothing else in the code base issues INSERT or UPDATE on `operations`
(tests/outbox/test_single_writer.py checks it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import JSON, Connection, Engine, Table, bindparam, select, tuple_, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from scfledger.db.models import Operation, OperationStatus, Transaction, utcnow
from scfledger.db.session import transaction
from scfledger.exceptions import (
    ContractRevert,
    IdempotencyConflict,
    OperationNotFound,
    UnknownRevert,
)
from scfledger.outbox.operation import (
    RELAY_KIND,
    VIEW_FIELDS,
    OperationView,
    Pending,
    Queued,
    SentTransaction,
    to_json,
)
from scfledger.outbox.signing import Signed, fee_fields

OPERATIONS = cast(Table, Operation.__table__)
TRANSACTIONS = cast(Table, Transaction.__table__)

_QUEUED = OperationStatus.QUEUED.value
_SUBMITTED = OperationStatus.SUBMITTED.value
_MINED = OperationStatus.MINED.value

# Every column of a new operation that the caller does not set. Statements below are built
# once: executing a prebuilt statement with fresh parameters reuses its compiled form.
EMPTY_OPERATION: dict[str, Any] = {column.key: None for column in OPERATIONS.columns} | {
    "status": _QUEUED,
    "attempts": 0,
}
INSERT_OPERATION = OPERATIONS.insert()
INSERT_TRANSACTION = TRANSACTIONS.insert()
TRANSACTION_COLUMNS = [
    "tx_hash",
    "operation_id",
    "purpose",
    "nonce",
    "raw",
    "created_at",
    "gas_price",
    "max_fee_per_gas",
    "max_priority_fee_per_gas",
]
JSON_COLUMNS = frozenset(c.key for c in OPERATIONS.columns if isinstance(c.type, JSON))
# What a queued operation's row gets when it is signed.
_SUBMITTED_COLUMNS = (
    "gas_limit",
    "status",
    "nonce",
    "tx_hash",
    "attempts",
    "submitted_at",
    "updated_at",
)
_VIEW_COLUMNS = [OPERATIONS.c[name] for name in VIEW_FIELDS]
_SELECT_VIEW_BY_ID = select(*_VIEW_COLUMNS).where(OPERATIONS.c.id == bindparam("b_id"))
_SELECT_VIEW_BY_KEY = select(*_VIEW_COLUMNS, OPERATIONS.c.request_hash).where(
    OPERATIONS.c.participant == bindparam("b_participant"),
    OPERATIONS.c.idempotency_key == bindparam("b_key"),
)
_LOCK_QUEUED_MANY = (
    select(OPERATIONS)
    .where(OPERATIONS.c.id.in_(bindparam("b_ids", expanding=True)), OPERATIONS.c.status == _QUEUED)
    .order_by(OPERATIONS.c.created_at, OPERATIONS.c.id)
    .with_for_update()
)
_SELECT_QUEUED_MANY = select(
    OPERATIONS.c.id,
    OPERATIONS.c.participant,
    OPERATIONS.c.sender,
    OPERATIONS.c.to_address,
    OPERATIONS.c.data,
    OPERATIONS.c.gas_limit,
).where(OPERATIONS.c.id.in_(bindparam("b_ids", expanding=True)), OPERATIONS.c.status == _QUEUED)
_MARK_SUBMITTED = (
    OPERATIONS.update()
    .where(OPERATIONS.c.id == bindparam("b_id"))
    .values({key: bindparam(f"b_{key}") for key in _SUBMITTED_COLUMNS})
)
_SELECT_QUEUED = (
    select(OPERATIONS.c.id)
    .where(OPERATIONS.c.status == _QUEUED)
    .order_by(OPERATIONS.c.created_at)
    .limit(bindparam("b_limit"))
)
_SELECT_SUBMITTED = (
    select(
        OPERATIONS.c.id,
        OPERATIONS.c.sender,
        OPERATIONS.c.nonce,
        OPERATIONS.c.tx_hash,
        OPERATIONS.c.attempts,
        OPERATIONS.c.updated_at,
    )
    .where(OPERATIONS.c.status == _SUBMITTED)
    .order_by(OPERATIONS.c.sender, OPERATIONS.c.nonce)
    .limit(bindparam("b_limit"))
)
_SELECT_SUBMITTED_AFTER = _SELECT_SUBMITTED.where(
    tuple_(OPERATIONS.c.sender, OPERATIONS.c.nonce)
    > tuple_(bindparam("b_sender"), bindparam("b_nonce"))
)
_MARK_MINED = (
    OPERATIONS.update()
    .where(
        OPERATIONS.c.id == bindparam("b_id"),
        OPERATIONS.c.status == _SUBMITTED,
        OPERATIONS.c.tx_hash == bindparam("b_hash"),
    )
    .values(
        status=_MINED,
        block_number=bindparam("b_block"),
        gas_used=bindparam("b_gas"),
        error_name=None,
        error_message=None,
        mined_at=bindparam("b_now"),
        updated_at=bindparam("b_now"),
    )
)


def new_operation(**columns: Any) -> dict[str, Any]:
    """The columns of an operation not stored yet (queued unless `columns` say otherwise)."""
    now = utcnow()
    return {**EMPTY_OPERATION, "created_at": now, "updated_at": now, **columns}


def failure_columns(error: ContractRevert | UnknownRevert) -> dict[str, Any]:
    """An operation's columns once it failed with a decoded (or undecodable) revert."""
    columns: dict[str, Any] = {
        "status": OperationStatus.FAILED.value,
        "error_data": error.data,
        "error_message": str(error),
        "error_name": "UnknownRevert",
        "error_args": None,
    }
    if isinstance(error, ContractRevert):
        columns["error_name"] = error.name
        columns["error_args"] = to_json(dict(error.args_by_name))
    return columns


def submitted_columns(row: Mapping[str, Any], signed: Signed) -> dict[str, Any]:
    """An operation's columns (`row`) once its transaction is signed (submitted)."""
    return {
        **row,
        "status": _SUBMITTED,
        "nonce": signed.nonce,
        "tx_hash": signed.tx_hash,
        "attempts": row["attempts"] + 1,
        "submitted_at": signed.created_at,
        "updated_at": signed.created_at,
    }


# -- transitions that join the caller's transaction --------------------------------------


def insert_submitted(conn: Connection, row: Mapping[str, Any], signed: Signed) -> None:
    """A new operation, signed (`submitted_columns`), with its transaction."""
    conn.execute(INSERT_OPERATION, dict(row))
    conn.execute(INSERT_TRANSACTION, signed.row)


def lock_queued_many(conn: Connection, operation_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Locks those of the operations still queued until commit (oldest first)."""
    if not operation_ids:
        return []
    rows = conn.execute(_LOCK_QUEUED_MANY, {"b_ids": list(operation_ids)})
    return [dict(row._mapping) for row in rows]


def mark_submitted_many(
    conn: Connection, signed: Sequence[tuple[Mapping[str, Any], Signed]]
) -> list[dict[str, Any]]:
    """Queued -> submitted for locked queued operations (`lock_queued_many`) and their
    transactions: one UPDATE and one INSERT statement, many parameter sets."""
    if not signed:
        return []
    columns = [submitted_columns(row, s) for row, s in signed]
    conn.execute(
        _MARK_SUBMITTED,
        [{"b_id": c["id"]} | {f"b_{key}": c[key] for key in _SUBMITTED_COLUMNS} for c in columns],
    )
    conn.execute(INSERT_TRANSACTION, [s.row for _, s in signed])
    return columns


def accept_queued(session: Session, rows: Sequence[Mapping[str, Any]], chunk: int = 1000) -> None:
    """New operations, queued (`new_operation`), in the caller's transaction: an ERP batch's
    lines, one INSERT per `chunk` rows; the pipeline's loop signs and sends them."""
    for start in range(0, len(rows), chunk):
        session.execute(INSERT_OPERATION, [dict(row) for row in rows[start : start + chunk]])


def mark_indexed(session: Session, tx_hashes: Iterable[str], *, through: int | None = None) -> None:
    """Mined -> indexed, in the indexer's batch's transaction: the operations whose
    transactions it has just projected, and those mined at or below `through`, the block it
    has reached. (The confirmer can see a receipt after the indexer passed its block; no
    later batch names that transaction, so without `through` the operation stayed mined.)"""
    hashes = set(tx_hashes)
    # The mined operations are the few in flight; a batch's hashes are tens of thousands
    # (every transaction of its blocks): pick them here rather than in an IN list.
    mined = session.execute(
        select(Operation.id, Operation.tx_hash, Operation.block_number).where(
            Operation.status == OperationStatus.MINED
        )
    )
    passed = [
        operation_id
        for operation_id, tx_hash, block in mined
        if tx_hash in hashes or (through is not None and block is not None and block <= through)
    ]
    if passed:
        session.execute(
            update(Operation)
            .where(Operation.id.in_(passed), Operation.status == OperationStatus.MINED)
            .values(status=OperationStatus.INDEXED)
        )


def mark_operation_indexed(session: Session, operation_id: str) -> None:
    """Mined -> indexed for one operation whose block the indexer has passed (it saw the
    block before the confirmer saw the receipt, so its own mark found it submitted)."""
    session.execute(
        update(Operation)
        .where(Operation.id == operation_id, Operation.status == OperationStatus.MINED)
        .values(status=OperationStatus.INDEXED)
    )


def reopen_above(session: Session, block_number: int) -> int:
    """Mined or indexed in a block above `block_number` -> submitted, the block forgotten:
    after a reorg to `block_number`, the confirmer looks up their receipts again (their
    stored transactions are rebroadcast if the node lost them). Returns how many."""
    result = session.execute(
        update(Operation)
        .where(
            Operation.status.in_([OperationStatus.MINED, OperationStatus.INDEXED]),
            Operation.block_number > block_number,
        )
        .values(
            status=OperationStatus.SUBMITTED,
            block_number=None,
            gas_used=None,
            mined_at=None,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


class OperationStore:
    """Reads operations and moves them from state to state, on one database."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        # The hot paths (submit, get, confirming) run Core statements on the engine: the
        # ORM session's unit of work and identity map cost more CPU than the round trips.
        self.engine: Engine = sessions.kw["bind"]

    # -- reads -------------------------------------------------------------------------

    def mark_indexed_one(self, operation_id: str) -> None:
        """Mined -> indexed for one operation, in a transaction of its own."""
        with transaction(self.sessions) as session:
            mark_operation_indexed(session, operation_id)

    def get(self, operation_id: str) -> OperationView:
        with self.engine.connect() as conn:
            row = conn.execute(_SELECT_VIEW_BY_ID, {"b_id": operation_id}).first()
        if row is None:
            raise OperationNotFound(operation_id)
        return OperationView.of_row(row._mapping)

    def find(
        self, participant: str, idempotency_key: str, request_hash: str
    ) -> OperationView | None:
        """The operation accepted under the participant's key, if any; IdempotencyConflict
        if the key was used for another request (another `request_hash`)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                _SELECT_VIEW_BY_KEY, {"b_participant": participant, "b_key": idempotency_key}
            ).first()
        if row is None:
            return None
        view = OperationView.of_row(row._mapping)
        if row.request_hash != request_hash:
            raise IdempotencyConflict(
                participant=participant, key=idempotency_key, operation_id=view.id
            )
        return view

    def queued_ids(self, limit: int) -> list[str]:
        """Queued operations, oldest first."""
        with self.engine.connect() as conn:
            return list(conn.scalars(_SELECT_QUEUED, {"b_limit": limit}).all())

    def queued_many(self, operation_ids: Sequence[str]) -> list[tuple[str, Queued]]:
        """Those of the operations still queued, as the intake signs them (one query)."""
        if not operation_ids:
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(_SELECT_QUEUED_MANY, {"b_ids": list(operation_ids)}).all()
        found = {
            row.id: Queued(row.participant, row.sender, row.to_address, row.data, row.gas_limit)
            for row in rows
        }
        return [(i, found[i]) for i in operation_ids if i in found]

    def submitted(self, limit: int, after: tuple[str, int] | None = None) -> list[Any]:
        """Submitted operations (id, sender, nonce, tx_hash, attempts, updated_at), by
        sender and nonce: the first `limit`, or the first `limit` after (sender, nonce)."""
        with self.engine.connect() as conn:
            if after is None:
                return list(conn.execute(_SELECT_SUBMITTED, {"b_limit": limit}).all())
            params = {"b_limit": limit, "b_sender": after[0], "b_nonce": after[1]}
            return list(conn.execute(_SELECT_SUBMITTED_AFTER, params).all())

    def pending(self, operation_id: str) -> Pending | None:
        """A submitted operation with its transactions; None if it is not submitted."""
        with self.sessions() as session:
            op = _submitted(session, operation_id, lock=False)
            return None if op is None else _snapshot(op)

    # -- transitions -------------------------------------------------------------------

    def accept(self, row: Mapping[str, Any]) -> None:
        """A new operation, queued (or failed at estimation: `failure_columns`). Raises
        IntegrityError if its (participant, idempotency key) is taken."""
        with self.engine.begin() as conn:
            conn.execute(INSERT_OPERATION, dict(row))

    def accept_relayed(self, row: Mapping[str, Any], signed_row: Mapping[str, Any]) -> None:
        """A new relayed operation, submitted with the transaction its participant signed."""
        with transaction(self.sessions) as session:
            op = Operation(**row)
            session.add(op)
            session.flush()
            session.add(Transaction(operation=op, **signed_row))

    def fail_queued(
        self,
        operation_id: str,
        *,
        error: ContractRevert | UnknownRevert | None = None,
        message: str | None = None,
    ) -> bool:
        """Queued -> failed: reverted at estimation, or refused before signing."""
        with transaction(self.sessions) as session:
            op = _lock(session, operation_id)
            if op.status != OperationStatus.QUEUED:
                return False
            if error is not None:
                _set(op, failure_columns(error))
            else:
                op.error_name = "OperationRefused"
                op.error_message = message
            op.status = OperationStatus.FAILED
            op.updated_at = utcnow()
        return True

    def mark_mined(self, mined: Sequence[tuple[str, str, Mapping[str, int]]]) -> int:
        """Submitted -> mined for a batch of (id, tx hash, receipt) whose transaction
        succeeded: one statement, many parameter sets. Returns how many changed."""
        if not mined:
            return 0
        now = utcnow()
        params = [
            {
                "b_id": operation_id,
                "b_hash": tx_hash,
                "b_block": receipt["blockNumber"],
                "b_gas": receipt["gasUsed"],
                "b_now": now,
            }
            for operation_id, tx_hash, receipt in mined
        ]
        with self.engine.begin() as conn:
            result = conn.execute(_MARK_MINED, params)
        changed = int(getattr(result, "rowcount", -1))
        # Drivers that do not count over executemany report -1: one per operation then.
        return changed if changed >= 0 else len(mined)

    def finish(
        self,
        operation_id: str,
        tx_hash: str,
        purpose: str,
        receipt: Mapping[str, Any],
        failure: ContractRevert | UnknownRevert | None = None,
    ) -> bool:
        """Submitted -> mined or failed by the receipt of one of its transactions (a mined
        cancel fails it; `failure` is a reverted call's decoded error)."""
        with transaction(self.sessions) as session:
            op = _lock(session, operation_id)
            if op.status != OperationStatus.SUBMITTED:
                return False
            op.tx_hash = tx_hash
            op.block_number = int(receipt["blockNumber"])
            op.gas_used = int(receipt["gasUsed"])
            op.mined_at = utcnow()
            op.updated_at = op.mined_at
            if purpose == "cancel":
                op.status = OperationStatus.FAILED
            elif receipt["status"] == 1:
                op.status = OperationStatus.MINED
                op.error_name = op.error_message = None
            else:
                op.status = OperationStatus.FAILED
                if failure is not None:
                    _set(op, failure_columns(failure))
                else:
                    op.error_name = "TransactionFailed"
                    op.error_message = f"transaction {tx_hash} failed in block {op.block_number}"
        return True

    def nonce_taken(self, operation_id: str) -> bool:
        """Submitted -> queued (to be signed again with a fresh nonce) or failed (relayed,
        or refused by the node): a foreign transaction took the operation's nonce."""
        with transaction(self.sessions) as session:
            op = _lock(session, operation_id)
            if op.status != OperationStatus.SUBMITTED:
                return False
            if op.kind == RELAY_KIND or op.error_name == "TransactionRejected":
                op.status = OperationStatus.FAILED
                op.error_name = op.error_name or "TransactionReplaced"
                op.error_message = (
                    op.error_message or f"nonce {op.nonce} was used by another transaction"
                )
            else:
                op.status = OperationStatus.QUEUED
                op.nonce = None
                op.tx_hash = None
            op.updated_at = utcnow()
        return True

    def touch(self, operation_id: str) -> None:
        """Marks a submitted operation as looked after now (its age restarts)."""
        with transaction(self.sessions) as session:
            session.execute(
                update(Operation).where(Operation.id == operation_id).values(updated_at=utcnow())
            )

    def replace(self, operation_id: str, sign: Callable[[Pending], Signed]) -> Signed | None:
        """Submitted, another transaction for the same nonce: `sign` signs it with the
        operation's row locked; stored as its latest. None if no longer submitted."""
        with transaction(self.sessions) as session:
            op = _submitted(session, operation_id, lock=True)
            if op is None or not op.transactions:
                return None
            signed = sign(_snapshot(op))
            session.add(Transaction(**signed.row))
            if signed.row["purpose"] == "call":
                op.tx_hash = signed.tx_hash
            op.attempts += 1
            op.updated_at = utcnow()
        return signed

    def refuse(
        self, operation_id: str, tx_hash: str, reason: str, cancel: Callable[[Pending], Signed]
    ) -> Signed | None:
        """The node refused the operation's transaction: a relayed operation fails; a
        gateway-signed one keeps its nonce with a cancel (`cancel` signs it, row locked),
        stored and returned to be sent. None when there is nothing to send."""
        with transaction(self.sessions) as session:
            op = _submitted(session, operation_id, lock=True)
            if op is None:
                return None
            op.error_name = "TransactionRejected"
            op.error_message = f"node rejected {tx_hash}: {reason}"
            if op.kind == RELAY_KIND:
                op.status = OperationStatus.FAILED
                return None
            signed = cancel(_snapshot(op))
            session.add(Transaction(**signed.row))
            op.attempts += 1
            op.updated_at = utcnow()
        return signed


def _lock(session: Session, operation_id: str) -> Operation:
    return session.scalars(
        select(Operation).where(Operation.id == operation_id).with_for_update()
    ).one()


def _submitted(session: Session, operation_id: str, *, lock: bool) -> Operation | None:
    """The operation with its transactions if it is submitted (its row locked if `lock`)."""
    query = (
        select(Operation)
        .where(Operation.id == operation_id)
        .options(selectinload(Operation.transactions))
    )
    op = session.scalars(query.with_for_update() if lock else query).one()
    return op if op.status == OperationStatus.SUBMITTED else None


def _snapshot(op: Operation) -> Pending:
    return Pending(
        id=op.id,
        participant=op.participant,
        kind=op.kind,
        sender=op.sender,
        to_address=op.to_address,
        data=op.data,
        gas_limit=op.gas_limit,
        nonce=op.nonce,
        updated_at=op.updated_at,
        transactions=tuple(
            SentTransaction(
                tx_hash=t.tx_hash,
                purpose=t.purpose,
                nonce=t.nonce,
                raw=t.raw,
                fees=fee_fields(t.gas_price, t.max_fee_per_gas, t.max_priority_fee_per_gas),
            )
            for t in op.transactions
        ),
    )


def _set(op: Operation, columns: Mapping[str, Any]) -> None:
    for key, value in columns.items():
        setattr(op, key, value)
