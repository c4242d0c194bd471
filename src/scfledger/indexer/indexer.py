"""The indexer loop: bounded batches to head - confirmations, reorg-safe, exactly once.

Each batch is one database transaction holding the batch's feed rows, its projections and
the new checkpoint, so a crash at any point leaves either all of a batch or none of it.
An event the projections cannot take is recorded as a fault and the batch goes on
(`projector.project`). A reorg is found by comparing the checkpoint's block hash with the
chain; the blocks above the fork are undone from the projection journal
(`projector.journal`), in the transaction that moves the checkpoint back.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, cast

from sqlalchemy import Table, delete, func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from scfledger.chain.batch import Batcher, quantity
from scfledger.db import bulk
from scfledger.db.projections import PROJECTION_TABLES, ChainEvent, IndexedBlock, IndexerCheckpoint
from scfledger.indexer import derived, faults
from scfledger.indexer.decode import DecodedEvent, LogDecoder
from scfledger.indexer.engine import default_confirmations
from scfledger.indexer.projector import journal, project
from scfledger.outbox.store import mark_indexed, reopen_above

log = logging.getLogger(__name__)

CHECKPOINT_ID = 1
# Blocks the index may trail the confirmed head and still count as following it (a running
# indexer is a batch behind): `scf reconcile --max-lag` and the gateway's readiness.
DEFAULT_MAX_LAG = 5
# Substrings of node errors that mean "ask for a smaller range".
RANGE_ERRORS = ("more than", "too many", "limit", "range", "timeout", "timed out", "exceed")


@dataclass
class IndexerStats:
    batches: int = 0
    events: int = 0
    skipped_logs: int = 0
    reorgs: int = 0
    batch_size: int = 0
    faults: int = 0  # events this process could not project


# Blocks below the confirmed head whose writes the journal keeps undoable: a reorg that
# deep is already beyond what the confirmations allow for; a deeper one replays the feed.
JOURNAL_DEPTH = 64


@dataclass(frozen=True)
class IndexerConfig:
    contracts: Mapping[str, str]  # artifact name -> address
    start_block: int
    confirmations: int | None = None  # None: as the chain's engine needs (`engine`)
    batch_size: int = 2_000
    min_batch_size: int = 1
    max_batch_size: int = 20_000
    journal_depth: int = JOURNAL_DEPTH
    read_ahead: bool = True  # the next batch read from the node while one is written


@dataclass(frozen=True)
class ChainBatch:
    """Blocks `first`..`last` as read from the node: their events, how many of the logs
    were not ours, and the hash and time of each block with events and of `last`."""

    first: int
    last: int
    events: list[DecodedEvent]
    skipped: int
    times: dict[int, tuple[str, int]]

    @property
    def last_hash(self) -> str:
        return self.times[self.last][0]


class Indexer:
    """Follows one deployment of the ledger contracts into the read model."""

    def __init__(self, w3: Web3, sessions: sessionmaker[Session], config: IndexerConfig) -> None:
        self.w3 = w3
        self.sessions = sessions
        self.config = config
        self.decoder = LogDecoder(config.contracts)
        self.stats = IndexerStats(batch_size=config.batch_size)
        self._confirmations = config.confirmations
        self._batcher = Batcher(w3)
        self._derived_filled = False  # `derived.fill_if_behind` asked once per process
        self._reader: ThreadPoolExecutor | None = None  # reads the next batch ahead
        self._ahead: Future[ChainBatch] | None = None

    @property
    def confirmations(self) -> int:
        """Blocks the index stays behind the head: as configured, else as the chain's
        engine needs (asked of the node once)."""
        if self._confirmations is None:
            self._confirmations = default_confirmations(self.w3)
        return self._confirmations

    # ---- state ----------------------------------------------------------------------------

    def checkpoint(self) -> tuple[int, str] | None:
        with self.sessions() as session:
            row = session.get(IndexerCheckpoint, CHECKPOINT_ID)
            return None if row is None else (row.block_number, row.block_hash)

    def target_block(self) -> int:
        return int(self.w3.eth.block_number) - self.confirmations

    def lag(self) -> int:
        """Blocks between the confirmed head (head - confirmations) and the last indexed
        block: how far the index is behind where it should be."""
        checkpoint = self.checkpoint()
        indexed = checkpoint[0] if checkpoint else self.config.start_block - 1
        return max(self.target_block() - indexed, 0)

    def fault_count(self) -> int:
        """Events the read model could not project (`indexer_faults`)."""
        with self.sessions() as session:
            return faults.count(session)

    # ---- one step -------------------------------------------------------------------------

    def step(self) -> int:
        """Indexes one batch; returns how many blocks it covered (0 when caught up)."""
        with _collector_paused():
            return self._step()

    def _step(self) -> int:
        checkpoint = self.checkpoint()
        if checkpoint is not None and self._hash_of(checkpoint[0]) != checkpoint[1]:
            self._drop_read_ahead()
            self._roll_back_reorg(checkpoint[0])
            checkpoint = self.checkpoint()
        first = checkpoint[0] + 1 if checkpoint else self.config.start_block
        target = self.target_block()
        if first > target:
            self._fill_derived()
            self._fill_times()
            return 0
        batch = self._read_ahead_from(first)
        if batch is None:
            batch = self._read(first, min(first + self.stats.batch_size - 1, target))
        if self.config.read_ahead and batch.last < target:
            self._start_read_ahead(batch.last + 1, target)
        self.stats.skipped_logs += batch.skipped
        if not self._commit(
            first,
            batch.last,
            batch.last_hash,
            batch.events,
            target - self.config.journal_depth,
            batch.times,
        ):
            return 1  # another indexer got there first: read the checkpoint again
        self.stats.batches += 1
        self.stats.events += len(batch.events)
        return batch.last - first + 1

    def catch_up(self) -> None:
        """Steps until the index is at head - confirmations."""
        try:
            while self.step():
                pass
        finally:
            self.close()

    def close(self) -> None:
        """Stops the thread that reads batches ahead (a later step starts it again)."""
        self._drop_read_ahead()
        if self._reader is not None:
            self._reader.shutdown(wait=True, cancel_futures=True)
            self._reader = None

    def run(
        self,
        should_stop: Callable[[], bool],
        poll_interval: float = 0.5,
        on_progress: Callable[[], None] | None = None,
    ) -> None:
        """Follows the chain until `should_stop()`; node errors are retried with backoff.
        `on_progress` is called after each batch that moved the checkpoint."""
        try:
            self._follow(should_stop, poll_interval, on_progress)
        finally:
            self.close()

    def _follow(
        self,
        should_stop: Callable[[], bool],
        poll_interval: float,
        on_progress: Callable[[], None] | None,
    ) -> None:
        backoff = poll_interval
        while not should_stop():
            try:
                covered = self.step()
                backoff = poll_interval
                if covered and on_progress is not None:
                    on_progress()
            except Exception as exc:  # an unreachable node must not end the loop
                log.warning("indexer step failed, retrying in %.1fs: %s", backoff, exc)
                time.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            if not covered:
                time.sleep(poll_interval)

    # ---- chain access ---------------------------------------------------------------------

    def _read(self, first: int, last: int) -> ChainBatch:
        """Reads and decodes blocks `first`..`last` (fewer when the node refuses the range)."""
        logs, last = self._get_logs(first, last)
        events = [e for e in (self.decoder.decode(entry) for entry in logs) if e is not None]
        times = self._times_of({e.block_number for e in events} | {last})
        return ChainBatch(first, last, events, len(logs) - len(events), times)

    def _start_read_ahead(self, first: int, target: int) -> None:
        """Reads the batch from `first` in another thread while this one writes the current
        batch: eth_getLogs waits on the node and the decoding runs while this thread waits
        on the database (the indexer's two halves, each about as long as the other)."""
        if self._reader is None:
            self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead")
        last = min(first + self.stats.batch_size - 1, target)
        self._ahead = self._reader.submit(self._read, first, last)

    def _read_ahead_from(self, first: int) -> ChainBatch | None:
        """The batch read ahead if it starts at `first` and its last block is still the
        chain's (then so are the others: each block names its parent); else None, and the
        batch is read again. A reorg below the checkpoint has already dropped it; one above
        the checkpoint since it was read is caught here."""
        ahead, self._ahead = self._ahead, None
        if ahead is None:
            return None
        try:
            batch = ahead.result()
        except Exception as exc:  # the node's trouble: reading again reports it
            log.info("reading ahead failed, reading the batch again: %s", exc)
            return None
        if batch.first != first or self._hash_of(batch.last) != batch.last_hash:
            log.info("batch read ahead from block %d dropped", batch.first)
            return None
        return batch

    def _drop_read_ahead(self) -> None:
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            ahead.cancel()

    def _hash_of(self, number: int) -> str:
        return "0x" + bytes(self.w3.eth.get_block(number)["hash"]).hex()

    def _times_of(self, numbers: set[int]) -> dict[int, tuple[str, int]]:
        """Hash and timestamp of each block: when its events happened (statements). One
        JSON-RPC batch where the node takes batches, else a request per block."""
        ordered = sorted(numbers)
        calls = [("eth_getBlockByNumber", [hex(n), False]) for n in ordered]
        replies = self._batcher.call(calls)
        if replies is not None and all(r.error is None and r.result for r in replies):
            return {
                n: (str(r.result["hash"]), quantity(r.result["timestamp"]))
                for n, r in zip(ordered, replies, strict=True)
            }
        found: dict[int, tuple[str, int]] = {}
        for n in ordered:
            block = self.w3.eth.get_block(n)
            found[n] = ("0x" + bytes(block["hash"]).hex(), int(block["timestamp"]))
        return found

    def _fill_derived(self) -> None:
        """Fills the derived tables of a feed indexed before they existed, once per process,
        when the index is caught up (else the next batch does it, in its transaction): an
        idle chain makes no batch."""
        if self._derived_filled:
            return
        with self.sessions() as session, session.begin():
            _one_writer(session)
            derived.fill_if_behind(session)
        self._derived_filled = True

    def _fill_times(self, limit: int = 500) -> int:
        """Times of indexed blocks that have none (indexed before the column existed), a
        bounded number at a time while the index is caught up; returns how many."""
        with self.sessions() as session:
            missing = dict(
                session.execute(
                    select(IndexedBlock.number, IndexedBlock.hash)
                    .where(IndexedBlock.timestamp.is_(None))
                    .order_by(IndexedBlock.number)
                    .limit(limit)
                ).all()
            )
        if not missing:
            return 0
        times = self._times_of(set(missing))
        with self.sessions() as session, session.begin():
            for number, block_hash in missing.items():
                stamp = _time_if(times.get(number), block_hash)
                if stamp is not None:  # else a reorg replaced it: the rollback deletes it
                    session.execute(
                        update(IndexedBlock)
                        .where(IndexedBlock.number == number, IndexedBlock.hash == block_hash)
                        .values(timestamp=stamp)
                    )
        return len(missing)

    def _get_logs(self, first: int, last: int) -> tuple[list[Any], int]:
        """eth_getLogs from `first`, halving the range while the node refuses it; returns the
        logs and the last block they cover."""
        size = last - first + 1
        while True:
            try:
                logs = self._raw_logs(first, first + size - 1)
            except Exception as exc:
                message = str(exc).lower()
                if size > self.config.min_batch_size and any(s in message for s in RANGE_ERRORS):
                    size = max(size // 2, self.config.min_batch_size)
                    self.stats.batch_size = size
                    continue
                raise
            if size == self.stats.batch_size and len(logs) < 10_000:
                self.stats.batch_size = min(size * 2, self.config.max_batch_size)
            return list(logs), first + size - 1

    def _raw_logs(self, first: int, last: int) -> list[Any]:
        """eth_getLogs as the node's JSON: web3's result formatting costs more than the
        decoding, and the decoder reads hex directly."""
        response = self.w3.provider.make_request(
            "eth_getLogs",  # type: ignore[arg-type]
            [{"fromBlock": hex(first), "toBlock": hex(last), "address": self.decoder.addresses}],
        )
        if "error" in response:
            raise RuntimeError(f"eth_getLogs failed: {response['error']}")
        return list(response["result"])

    # ---- database -------------------------------------------------------------------------

    def _commit(
        self,
        first: int,
        last: int,
        last_hash: str,
        events: list[DecodedEvent],
        journal_above: int,
        times: Mapping[int, tuple[str, int]] | None = None,
    ) -> bool:
        """Writes one batch onto the checkpoint it was read from; False (nothing written)
        when another indexer of the same database moved the checkpoint meanwhile. The
        writes of blocks above `journal_above` are journaled, older journal is pruned."""
        with self.sessions() as session, session.begin():
            _one_writer(session)
            current = session.get(IndexerCheckpoint, CHECKPOINT_ID)
            read_from = self.config.start_block - 1 if current is None else current.block_number
            if read_from != first - 1:
                return False
            fresh, added = _insert_feed(session, first, last, events)
            found = project(session, fresh, journal_above=journal_above)
            if not self._derived_filled:
                derived.fill_if_behind(session)
                self._derived_filled = True
            derived.changed(session, derived.FeedChange(added=added))
            for fault in found:
                e = fault.event
                log.error(
                    "not projected: %s.%s at block %d, tx %s, log %d: %s",
                    e.contract, e.name, e.block_number, e.tx_hash, e.log_index, fault.error,
                )  # fmt: skip
            faults.record(session, found)
            blocks = {e.block_number: e.block_hash for e in fresh}
            blocks[last] = last_hash
            # A block's time as the node gave it with that hash (a reorg between the logs
            # and the header leaves it unknown: the next check of the checkpoint rolls back).
            known = times or {}
            stamps = {n: _time_if(known.get(n), h) for n, h in blocks.items()}
            # The gateway's operations whose transactions are now readable: `wait=indexed`.
            mark_indexed(session, {e.tx_hash for e in fresh}, through=last)
            session.execute(
                _upsert_blocks(session),
                [
                    {"number": number, "hash": block_hash, "timestamp": stamps[number]}
                    for number, block_hash in blocks.items()
                ],
            )
            checkpoint = session.get(IndexerCheckpoint, CHECKPOINT_ID)
            # Every indexed block above the floor is journaled: the floor rises past the
            # blocks this batch did not journal, and the journal below it goes.
            floor = min(journal_above, last)
            if checkpoint is None:
                floor = max(floor, self.config.start_block - 1)
                session.add(
                    IndexerCheckpoint(
                        id=CHECKPOINT_ID,
                        block_number=last,
                        block_hash=last_hash,
                        journal_floor=floor,
                    )
                )
            else:
                checkpoint.block_number, checkpoint.block_hash = last, last_hash
                floor = max(floor, checkpoint.journal_floor)
                if floor > checkpoint.journal_floor:
                    checkpoint.journal_floor = floor
                    journal.prune(session, floor)
        self.stats.faults += len(found)
        return True

    def _roll_back_reorg(self, checkpoint_block: int) -> None:
        """Finds the newest indexed block still on the chain and rolls back to it."""
        with self.sessions() as session:
            known = session.execute(
                select(IndexedBlock.number, IndexedBlock.hash).order_by(IndexedBlock.number.desc())
            ).all()
        head = int(self.w3.eth.block_number)
        fork = self.config.start_block - 1
        fork_hash = ""
        for number, block_hash in known:
            if number <= head and self._hash_of(number) == block_hash:
                fork, fork_hash = number, block_hash
                break
        log.warning("reorg below block %d: rolling back to block %d", checkpoint_block, fork)
        self.stats.reorgs += 1
        with self.sessions() as session, session.begin():
            _one_writer(session)
            roll_back(session, fork, fork_hash, start_block=self.config.start_block)


def roll_back(session: Session, fork: int, fork_hash: str, *, start_block: int) -> None:
    """Makes the index what it was after block `fork` (whose hash is `fork_hash`), in the
    caller's transaction: the feed, block hashes and faults above the fork go, the
    projections are undone from the journal (replayed from the feed when the reorg is
    deeper than the journal), the operations mined above the fork are reopened, and the
    checkpoint moves back (or goes, when the fork is below `start_block`)."""
    checkpoint = _get_checkpoint(session)
    removed = session.execute(
        select(ChainEvent.id, ChainEvent.args).where(ChainEvent.block_number > fork)
    ).all()
    session.execute(delete(ChainEvent).where(ChainEvent.block_number > fork))
    session.execute(delete(IndexedBlock).where(IndexedBlock.number > fork))
    if checkpoint.journal_floor <= fork:
        undone = journal.undo_above(session, fork)
        faults.drop_above(session, fork)
        log.info("undid %d projection rows above block %d from the journal", undone, fork)
        derived.changed(session, derived.FeedChange(removed=[(i, a) for i, a in removed]))
    else:
        log.warning(
            "reorg below the journal (block %d): replaying the whole feed",
            checkpoint.journal_floor,
        )
        rebuild_projections(session)
        journal.clear(session)
    reopened = reopen_above(session, fork)
    if reopened:
        log.warning("%d operations mined above block %d are submitted again", reopened, fork)
    if fork < start_block:
        session.delete(checkpoint)
    else:
        checkpoint.block_number, checkpoint.block_hash = fork, fork_hash
        checkpoint.journal_floor = min(checkpoint.journal_floor, fork)


REPLAY_CHUNK = 5_000


def rebuild_projections(session: Session) -> None:
    """Empties every projection and replays the feed into it, in chain order (journaling
    nothing); the faults become those of the replay."""
    for table in reversed(PROJECTION_TABLES):
        session.execute(table.delete())
    columns = (
        ChainEvent.contract,
        ChainEvent.name,
        ChainEvent.args,
        ChainEvent.block_number,
        ChainEvent.block_hash,
        ChainEvent.tx_hash,
        ChainEvent.log_index,
    )
    order = (ChainEvent.block_number, ChainEvent.log_index)
    found: list[faults.Fault] = []
    after = (-1, -1)
    while True:
        rows = session.execute(
            select(*columns).where(tuple_(*order) > after).order_by(*order).limit(REPLAY_CHUNK)
        ).all()
        if not rows:
            break
        events = [DecodedEvent(*row) for row in rows]
        found += project(session, events)
        after = (events[-1].block_number, events[-1].log_index)
    faults.replace_all(session, found)
    derived.changed(session, derived.FeedChange(rebuilt=True))


# The feed's columns, named as a decoded event's fields (its id aside).
FEED_COLUMNS = ("block_number", "block_hash", "tx_hash", "log_index", "contract", "name", "args")


def _insert_feed(
    session: Session, first: int, last: int, events: list[DecodedEvent]
) -> tuple[list[DecodedEvent], list[tuple[int, dict[str, Any]]]]:
    """Inserts the batch's events into the feed, but those of blocks `first`..`last` it
    already holds; returns the events inserted (for the projections) and every feed row
    of those blocks as (id, args) (for the derived tables). The ids come back from the
    INSERT and the args are the events' own: reading the rows back re-parsed the JSON of
    every event of the batch."""
    present = session.execute(
        select(ChainEvent.id, ChainEvent.tx_hash, ChainEvent.log_index, ChainEvent.args).where(
            ChainEvent.block_number.between(first, last)
        )
    ).all()
    seen = {(tx, index) for _, tx, index, _ in present}
    fresh = [e for e in events if (e.tx_hash, e.log_index) not in seen]
    added: list[tuple[int, dict[str, Any]]] = [(i, args) for i, _, _, args in present]
    table = cast(Table, ChainEvent.__table__)
    if fresh and session.get_bind().dialect.name == "postgresql":
        columns = {name: list(map(attrgetter(name), fresh)) for name in FEED_COLUMNS}
        try:
            with session.begin_nested():
                ids = bulk.copy_columns(session, table, columns, numbered="id")
            added += [(i, e.args) for i, e in zip(ids, fresh, strict=True)]
            added.sort(key=lambda row: row[0])
            return fresh, added
        except IntegrityError:
            pass  # a row of another block already holds one of these events: skip it
    inserted = bulk.insert_rows(
        session,
        table,
        [{**e.place(), "args": e.args} for e in fresh],
        ignore_conflicts_on=("tx_hash", "log_index"),
        returning=("id", "tx_hash", "log_index"),
    )
    args = {(e.tx_hash, e.log_index): e.args for e in fresh}
    added += [(i, args[(tx, index)]) for i, tx, index in inserted]
    added.sort(key=lambda row: row[0])
    return fresh, added


# Key of the PostgreSQL advisory lock that serializes the indexers of one database.
WRITER_LOCK = 0x5CF1_0DE8


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a batch is read and written: a batch
    keeps hundreds of thousands of new containers alive (decoded arguments, rows, records,
    array texts), and each collection the allocations trigger walks them all again; that
    was a third of a catch-up's Python time (the bench: 11 s of CPU without the pause, 7 s
    with it), for no cycle to reclaim. Reference counting frees as before; cycles left
    meanwhile are collected once the collector is back on."""
    if not gc.isenabled():  # paused by the caller, or by another indexer's batch
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _one_writer(session: Session) -> None:
    """One indexer writes the read model at a time, however many gateway processes run one:
    on PostgreSQL a transaction-scoped advisory lock (SQLite's BEGIN IMMEDIATE already
    serializes writers). Taken first in the transaction, so what it reads is current."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(WRITER_LOCK)))


def _get_checkpoint(session: Session) -> IndexerCheckpoint:
    checkpoint = session.get(IndexerCheckpoint, CHECKPOINT_ID)
    assert checkpoint is not None  # a reorg is only detected against a checkpoint
    return checkpoint


def _time_if(header: tuple[str, int] | None, block_hash: str) -> int | None:
    """The header's timestamp if it is of the block with `block_hash`."""
    return header[1] if header is not None and header[0] == block_hash else None


def _upsert_blocks(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(IndexedBlock)
    return statement.on_conflict_do_update(
        index_elements=["number"],
        set_={"hash": statement.excluded.hash, "timestamp": statement.excluded.timestamp},
    )


def config_from_manifest(
    manifest: Mapping[str, Any],
    *,
    confirmations: int | None = None,
    batch_size: int = 2_000,
    max_batch_size: int = 20_000,
) -> IndexerConfig:
    """Indexer settings for a deployment manifest written by `scf deploy`."""
    return IndexerConfig(
        contracts={name: entry["address"] for name, entry in manifest["contracts"].items()},
        start_block=int(manifest["deploymentBlock"]),
        confirmations=confirmations,
        batch_size=batch_size,
        max_batch_size=max_batch_size,
    )
