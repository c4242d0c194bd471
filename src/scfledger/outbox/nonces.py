"""Nonce allocation: each gateway-signed account's next nonce, taken once under a lock.

A nonce is taken, its transaction signed and both stored (with the operation) in one
database transaction under a lock on the account's nonce row (``UPDATE ... RETURNING``:
a row lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so concurrent allocators
(threads, processes, replicas) queue on it and never share a nonce, and a crash leaves
either no nonce taken or the signed bytes stored. `RowLockNonces` does it on any database;
`PgNonces` adds PostgreSQL's fast paths (`pg_submit`). `nonce_allocator` picks one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import Connection, Engine, Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from scfledger.db.models import AccountNonce, utcnow
from scfledger.outbox import store
from scfledger.outbox.pg_submit import PgSubmit
from scfledger.outbox.signing import Signed

NONCES = cast(Table, AccountNonce.__table__)
_TAKE_NONCE = (
    NONCES.update()
    .where(NONCES.c.address == bindparam("b_address"))
    .values(next_nonce=NONCES.c.next_nonce + 1, updated_at=bindparam("b_now"))
    .returning(NONCES.c.next_nonce)
)
# Several nonces at once: the counter moves by `b_count`, the first taken is the result - count.
_TAKE_NONCES = (
    NONCES.update()
    .where(NONCES.c.address == bindparam("b_address"))
    .values(next_nonce=NONCES.c.next_nonce + bindparam("b_count"), updated_at=bindparam("b_now"))
    .returning(NONCES.c.next_nonce)
)
_INSERT_COUNTER_PG = (
    postgresql.insert(NONCES)
    .values(
        address=bindparam("b_address"),
        next_nonce=bindparam("b_start"),
        updated_at=bindparam("b_now"),
    )
    .on_conflict_do_nothing()
)
_SELECT_COUNTERS = select(NONCES.c.address, NONCES.c.next_nonce).where(
    NONCES.c.address.in_(bindparam("b_addresses", expanding=True))
)
_GUESSES = 100_000  # accounts whose next nonce a process remembers, at most

Sign = Callable[[int], Signed]  # signs the operation's transaction with a nonce
# Signs a queued operation's transaction (its locked row, gas set) with a nonce.
SignRow = Callable[[Mapping[str, Any], int], Signed]


class NonceAllocator(Protocol):
    """Takes accounts' nonces and stores what was signed with them, atomically."""

    def store_new(
        self, row: dict[str, Any], address: str, sign: Sign
    ) -> tuple[dict[str, Any], Signed]:
        """Takes `address`'s next nonce, signs with it and stores the new operation `row`
        as submitted with its transaction: all or nothing. Returns the stored columns."""
        ...

    def store_queued_many(
        self, gas: Mapping[str, int], address: str, sign: SignRow
    ) -> list[tuple[dict[str, Any], Signed]]:
        """The same for queued operations of one account (ids -> gas), in one
        transaction: those still queued, oldest first, take consecutive nonces; one
        UPDATE and one INSERT for all. Returns what was stored, in nonce order."""
        ...

    def counters(self, addresses: Iterable[str]) -> dict[str, int]:
        """The next nonce each account's counter would hand out (accounts with one)."""
        ...

    def catch_up(self, address: str, chain_nonce: int) -> None:
        """Moves the counter up to the chain's nonce (the key was used elsewhere)."""
        ...

    def allocates(self, address: str) -> bool:
        """Whether this gateway allocates the account's nonces (it signs for it)."""
        ...

    def close(self) -> None: ...


class RowLockNonces:
    """The generic allocator: the counter row's lock, held until the operation is stored."""

    def __init__(self, engine: Engine, pending_nonce: Callable[[str], int]) -> None:
        self.engine = engine
        # The chain's pending nonce: where an account's counter starts.
        self.pending_nonce = pending_nonce
        self._postgres = engine.dialect.name == "postgresql"

    def store_new(
        self, row: dict[str, Any], address: str, sign: Sign
    ) -> tuple[dict[str, Any], Signed]:
        with self.engine.begin() as conn:
            signed = sign(self._take(conn, address, utcnow()))
            columns = store.submitted_columns(row, signed)
            store.insert_submitted(conn, columns, signed)
        return columns, signed

    def store_queued_many(
        self, gas: Mapping[str, int], address: str, sign: SignRow
    ) -> list[tuple[dict[str, Any], Signed]]:
        with self.engine.begin() as conn:
            rows = store.lock_queued_many(conn, list(gas))
            if not rows:
                return []
            first = self._take(conn, address, utcnow(), len(rows))
            signed: list[tuple[Mapping[str, Any], Signed]] = []
            for offset, row in enumerate(rows):
                row["gas_limit"] = gas[row["id"]]
                signed.append((row, sign(row, first + offset)))
            columns = store.mark_submitted_many(conn, signed)
        return [(c, s) for c, (_, s) in zip(columns, signed, strict=True)]

    def counters(self, addresses: Iterable[str]) -> dict[str, int]:
        wanted = sorted(set(addresses))
        if not wanted:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(_SELECT_COUNTERS, {"b_addresses": wanted})
            return {address: int(nonce) for address, nonce in rows}

    def catch_up(self, address: str, chain_nonce: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(AccountNonce)
                .where(AccountNonce.address == address, AccountNonce.next_nonce < chain_nonce)
                .values(next_nonce=chain_nonce, updated_at=utcnow())
            )

    def allocates(self, address: str) -> bool:
        with self.engine.connect() as conn:
            found = conn.execute(select(NONCES.c.address).where(NONCES.c.address == address))
            return found.first() is not None

    def close(self) -> None:
        pass

    def _take(self, conn: Connection, address: str, now: datetime, count: int = 1) -> int:
        """Takes the account's next `count` nonces (returns the first). The UPDATE locks
        the row until commit; an account's first use starts its counter at the chain's
        pending nonce."""
        statement = _TAKE_NONCE if count == 1 else _TAKE_NONCES
        take: dict[str, Any] = {"b_address": address, "b_now": now}
        if count != 1:
            take["b_count"] = count
        taken = conn.execute(statement, take).scalar_one_or_none()
        if taken is None:
            start = self.pending_nonce(address)
            dialect_insert = postgresql.insert if self._postgres else sqlite.insert
            conn.execute(
                dialect_insert(AccountNonce)
                .values(address=address, next_nonce=start, updated_at=now)
                .on_conflict_do_nothing()
            )
            taken = conn.execute(statement, take).scalar_one()
        return int(taken) - count


class PgNonces(RowLockNonces):
    """On postgresql+psycopg, new operations take `pg_submit`'s one-round-trip paths.

    The account's next nonce is expected to be one more than the last this process took
    (kept in memory, handed to one thread at a time): signed with it and stored in one
    statement that takes the nonce only if it is that one. Otherwise (first operation of
    the account here, another process or thread took it, the counter moved) the nonce is
    taken under the row lock and then signed.
    """

    def __init__(self, engine: Engine, pending_nonce: Callable[[str], int]) -> None:
        super().__init__(engine, pending_nonce)
        self._pg = PgSubmit(
            engine,
            take_nonce=_TAKE_NONCE,
            insert_counter=_INSERT_COUNTER_PG,
            insert_operation=store.INSERT_OPERATION,
            insert_transaction=store.INSERT_TRANSACTION,
            operation_columns=list(store.EMPTY_OPERATION),
            transaction_columns=store.TRANSACTION_COLUMNS,
            json_columns=store.JSON_COLUMNS,
        )
        # Next nonce per account as this process last took it: a guess, checked by the
        # database when used.
        self.next_nonces: dict[str, int] = {}
        self._lock = threading.Lock()

    def store_new(
        self, row: dict[str, Any], address: str, sign: Sign
    ) -> tuple[dict[str, Any], Signed]:
        now = utcnow()
        with self._lock:
            expected = self.next_nonces.pop(address, None)
        if expected is not None:
            signed = sign(expected)
            columns = store.submitted_columns(row, signed)
            if self._pg.insert_predicted(address, expected, now, columns, signed.row):
                self._expect(address, expected + 1)
                return columns, signed
        attempts: list[tuple[dict[str, Any], Signed]] = []

        def sign_row(nonce: int) -> tuple[dict[str, Any], dict[str, Any]]:
            signed = sign(nonce)  # signed afresh each time: `run` may retry
            attempts.append((store.submitted_columns(row, signed), signed))
            return attempts[-1][0], signed.row

        self._pg.run(address, now, lambda: self.pending_nonce(address), sign_row)
        columns, signed = attempts[-1]
        self._expect(address, signed.nonce + 1)
        return columns, signed

    def store_queued_many(
        self, gas: Mapping[str, int], address: str, sign: SignRow
    ) -> list[tuple[dict[str, Any], Signed]]:
        stored = super().store_queued_many(gas, address, sign)
        if stored:
            self._expect(address, stored[-1][1].nonce + 1)
        return stored

    def close(self) -> None:
        self._pg.close()

    def _expect(self, address: str, nonce: int) -> None:
        with self._lock:
            if len(self.next_nonces) >= _GUESSES:  # bounded: a guess is only a shortcut
                self.next_nonces.clear()
            self.next_nonces[address] = nonce


def nonce_allocator(engine: Engine, pending_nonce: Callable[[str], int]) -> NonceAllocator:
    """PostgreSQL's fast paths where the driver allows, else the row lock."""
    if PgSubmit.usable(engine):
        return PgNonces(engine, pending_nonce)
    return RowLockNonces(engine, pending_nonce)
