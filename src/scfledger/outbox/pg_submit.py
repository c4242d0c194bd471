"""The submit transaction on PostgreSQL in one round trip (or two) instead of six.

Through SQLAlchemy a submit is: pre-ping, BEGIN, the nonce UPDATE ... RETURNING, two
INSERTs and COMMIT, each a round trip, and on a machine shared with the database and
the node each also a wait to get the GIL back. Here the same statements (compiled by
SQLAlchemy for the engine's dialect, so columns and casts stay the model's) go over a
psycopg connection of a small pool of the pipeline's own (same URL, no pre-ping: see
`PgSubmit._on_connection`), two ways:

- `insert_predicted`: when the caller knows the account's next nonce (it took the
  previous one), it signs first and sends one statement: the nonce UPDATE guarded by
  ``next_nonce = <expected>`` and, as data-modifying CTEs over its result, the two
  INSERTs. One statement is one transaction: either the nonce was the expected one and
  all three rows are committed, or nothing changed (another allocator took it) and the
  signature is thrown away.
- `run`: pipeline mode, BEGIN with the UPDATE, then the INSERTs with COMMIT. The nonce
  row stays locked from the UPDATE to the COMMIT.

Either way nothing is returned as stored (so nothing is broadcast) unless the commit
succeeded. The statements and the operation's columns are the store's and the nonce
allocator's (`nonces.PgNonces` builds this): this module only runs them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, Insert, Update, bindparam, cast, create_engine, select
from sqlalchemy.exc import IntegrityError

try:  # psycopg is the PostgreSQL driver we ship with, but the module must import without it
    import psycopg
    from psycopg import pq
except ImportError:  # pragma: no cover
    psycopg = None  # type: ignore[assignment]


T = TypeVar("T")


class PgSubmit:
    """Runs one submit transaction for an engine on postgresql+psycopg."""

    def __init__(
        self,
        engine: Engine,
        *,
        take_nonce: Update,
        insert_counter: Insert,
        insert_operation: Insert,
        insert_transaction: Insert,
        operation_columns: list[str],
        transaction_columns: list[str],
        json_columns: frozenset[str],
        pool_size: int = 8,
    ) -> None:
        self.engine = engine
        # The same database, a pool of its own without the pre-ping (see _on_connection).
        self._pool = create_engine(
            engine.url,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=False,
            pool_recycle=1800,
        )
        dialect = engine.dialect
        take = take_nonce.compile(dialect=dialect)
        self._take_sql = take.string
        self._take_defaults = dict(take.params)
        self._counter_sql = insert_counter.compile(dialect=dialect).string
        self._op_sql = insert_operation.compile(
            dialect=dialect, column_keys=operation_columns
        ).string
        self._tx_sql = insert_transaction.compile(
            dialect=dialect, column_keys=transaction_columns
        ).string
        self._json_columns = json_columns
        predicted = _predicted_insert(
            take_nonce, insert_operation, insert_transaction, operation_columns, transaction_columns
        ).compile(dialect=dialect)
        self._predicted_sql = predicted.string
        self._predicted_defaults = {
            k: v for k, v in predicted.params.items() if not k.startswith(("o_", "t_", "b_"))
        }

    @staticmethod
    def usable(engine: Engine) -> bool:
        return (
            psycopg is not None
            and engine.dialect.name == "postgresql"
            and engine.dialect.driver == "psycopg"
            and psycopg.Pipeline.is_supported()
        )

    def run(
        self,
        address: str,
        now: datetime,
        first_nonce: Callable[[], int],
        sign: Callable[[int], tuple[Mapping[str, Any], Mapping[str, Any]]],
    ) -> None:
        """Takes `address`'s next nonce, calls `sign(nonce)` for the operation's and the
        transaction's columns, inserts both and commits; raises if anything failed.

        An account without a counter row (its first operation) gets one starting at
        `first_nonce()` (the chain's pending nonce); the nonce is then taken again.
        `sign` may be called again (with a new nonce) if the connection broke.
        """

        def transact(conn: psycopg.Connection[Any]) -> None:
            try:
                with conn.pipeline(), conn.cursor() as cur:
                    take = {**self._take_defaults, "b_address": address, "b_now": now}
                    cur.execute("BEGIN")
                    cur.execute(self._take_sql, take)
                    taken = cur.fetchone()  # syncs: BEGIN and UPDATE in one round trip
                    if taken is None:
                        start = {"b_address": address, "b_start": first_nonce(), "b_now": now}
                        cur.execute(self._counter_sql, start)
                        cur.execute(self._take_sql, take)
                        taken = cur.fetchone()
                    assert taken is not None
                    operation, transaction = sign(int(taken[0]) - 1)
                    cur.execute(self._op_sql, self._json(operation))
                    cur.execute(self._tx_sql, transaction)
                    cur.execute("COMMIT")
                # Leaving the pipeline synced it: the INSERTs and COMMIT succeeded.
            except BaseException:
                if not conn.closed and conn.info.transaction_status != pq.TransactionStatus.IDLE:
                    conn.execute("ROLLBACK")
                raise

        self._on_connection(transact)

    def insert_predicted(
        self,
        address: str,
        expected: int,
        now: datetime,
        operation: Mapping[str, Any],
        transaction: Mapping[str, Any],
    ) -> bool:
        """Stores an operation signed with nonce `expected`, if that is the account's
        next nonce (then taken): True when stored and committed, False when not."""
        params: dict[str, Any] = {
            **self._predicted_defaults,
            "b_address": address,
            "b_expected": expected,
            "b_now": now,
        }
        params.update({f"o_{k}": v for k, v in self._json(operation).items()})
        params.update({f"t_{k}": v for k, v in transaction.items()})
        return self._on_connection(
            lambda conn: conn.execute(self._predicted_sql, params).rowcount == 1
        )

    def close(self) -> None:
        """Closes the pooled connections (the pool opens new ones if used again)."""
        self._pool.dispose()

    def _on_connection(self, action: Callable[[psycopg.Connection[Any]], T]) -> T:
        """Runs `action` on a connection of the private pool, in autocommit mode (one
        statement is one transaction; BEGIN and COMMIT are sent explicitly otherwise).

        The pool does not ping a connection at checkout (a round trip per submit): a
        connection that broke while idle (the server restarted) fails its first statement
        instead, is dropped, and the action runs once more on a new one. That is safe
        even if the first attempt committed: the operation's id and idempotency key are
        unique, so the second attempt can only fail with IntegrityError.
        """
        for attempt in (1, 2):
            fairy = self._pool.raw_connection()
            try:
                conn: psycopg.Connection[Any] = fairy.driver_connection  # type: ignore[assignment]
                if not conn.autocommit:
                    conn.autocommit = True
                return action(conn)
            except psycopg.IntegrityError as exc:
                # A statement that failed inside a psycopg pipeline can leave the
                # connection's prepared-statement cache naming a statement the server never
                # prepared (the next pipeline then fails "prepared statement ... does not
                # exist"): the connection is not reused. Rare: a race on one idempotency key.
                fairy.invalidate()
                raise IntegrityError(self._op_sql, None, exc) from exc
            except psycopg.OperationalError:
                fairy.invalidate()  # a broken connection does not go back to the pool
                if attempt == 2:
                    raise
            finally:
                fairy.close()
        raise AssertionError("unreachable")

    def _json(self, columns: Mapping[str, Any]) -> dict[str, Any]:
        return {
            key: json.dumps(value) if key in self._json_columns and value is not None else value
            for key, value in columns.items()
        }


def _predicted_insert(
    take_nonce: Update,
    insert_operation: Insert,
    insert_transaction: Insert,
    operation_columns: list[str],
    transaction_columns: list[str],
) -> Insert:
    """UPDATE the counter where it is the expected nonce; INSERT the operation for each
    row updated (none or one); INSERT the transaction for each operation inserted."""
    nonces, operations, transactions = (
        take_nonce.table,
        insert_operation.table,
        insert_transaction.table,
    )
    taken = take_nonce.where(nonces.c.next_nonce == bindparam("b_expected")).cte("taken")
    operation = (
        insert_operation.from_select(
            operation_columns,
            select(
                *[cast(bindparam(f"o_{c}"), operations.c[c].type) for c in operation_columns]
            ).select_from(taken),
        )
        .returning(operations.c.id)
        .cte("operation")
    )
    return insert_transaction.from_select(
        transaction_columns,
        select(
            *[cast(bindparam(f"t_{c}"), transactions.c[c].type) for c in transaction_columns]
        ).select_from(operation),
    )
