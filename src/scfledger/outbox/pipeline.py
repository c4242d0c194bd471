"""The transaction pipeline: every accepted operation ends on chain exactly once.

An operation is a row before anything is signed. Its nonce is allocated, its transaction
signed and both written in one database transaction under a lock on the account's nonce
row (`nonces`), and only then broadcast (`broadcaster`). So a crash at any point leaves
either a queued operation with no nonce, or a submitted one whose exact signed bytes are
stored: recovery rebroadcasts those bytes (same hash, same nonce: it can never execute
twice) or finds the receipt (`confirmer`), and never signs a second transaction for an
operation whose first might still be mined. `store` alone writes operation state.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from scfledger.chain.calls import ContractCall
from scfledger.chain.fees import FeeMode, FeePolicy
from scfledger.chain.tx import GAS_MARGIN
from scfledger.db.models import OperationStatus, utcnow
from scfledger.keys.store import Signer
from scfledger.outbox.broadcaster import Broadcaster
from scfledger.outbox.confirmer import Confirmer
from scfledger.outbox.intake import Intake
from scfledger.outbox.nonces import NonceAllocator, nonce_allocator
from scfledger.outbox.operation import TERMINAL, OperationView, checksum, unreachable
from scfledger.outbox.progress import Progress
from scfledger.outbox.store import OperationStore

log = logging.getLogger(__name__)
# Seconds between the loop's sweeps for work left half-done above the pipeline (resumers):
# what is older than this is taken as abandoned (a live request hands it over sooner).
RESUME_INTERVAL = 60.0
# Queued operations (an ERP batch's lines) a loop pass takes; `Intake.advance` splits them
# by account into lanes and chunks (`intake.ADVANCE_CHUNK`).
QUEUED_PASS = 4000
# Accounts whose queued operations are signed and stored at once (PostgreSQL: each lane
# holds its own account's nonce row; SQLite has one writer, so one lane).
LANES = 4


class Pipeline:
    """Submits operations for the participants whose keys `signer_for` returns.

    Thread-safe; run one per gateway process, as many processes as wanted on one
    PostgreSQL. ``start()`` runs the background loop that sends queued operations,
    confirms submitted ones and rebroadcasts or replaces stuck ones, after ``recover()``
    (what a previous run left).
    """

    def __init__(
        self,
        *,
        w3: Web3,
        sessions: sessionmaker[Session],
        signer_for: Callable[[str], Signer],
        fee_mode: FeeMode = "auto",
        priority_fee: int | None = None,
        gas_margin: float = GAS_MARGIN,
        stuck_after: float = 30.0,
        poll_interval: float = 0.2,
        lanes: int | None = None,
    ) -> None:
        self.w3 = w3
        self.sessions = sessions
        self.signer_for = signer_for
        self.fees = FeePolicy(w3, mode=fee_mode, priority_fee=priority_fee)
        self.poll_interval = poll_interval
        self._chain_id: int | None = None
        self._progress = Progress()
        self.store = OperationStore(sessions)
        self.nonces: NonceAllocator = nonce_allocator(self.store.engine, self._pending_nonce)
        self.confirmer = Confirmer(
            w3=w3,
            store=self.store,
            nonces=self.nonces,
            fees=self.fees,
            signer_for=signer_for,
            chain_id=self._chain,
            progress=self._progress,
            stuck_after=stuck_after,
        )
        self.broadcaster = Broadcaster(
            w3=w3,
            progress=self._progress,
            on_taken=self.confirmer.confirm_one,
            on_refused=self.confirmer.refuse,
        )
        self.intake = Intake(
            w3=w3,
            store=self.store,
            nonces=self.nonces,
            broadcaster=self.broadcaster,
            fees=self.fees,
            signer_for=signer_for,
            chain_id=self._chain,
            progress=self._progress,
            gas_margin=gas_margin,
            lanes=lanes if lanes is not None else self._default_lanes(),
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._confirming: threading.Thread | None = None
        self._recovered = threading.Event()
        self._created_at = utcnow()
        # What hands the pipeline work left half-done above it (approved drafts a dead
        # process never submitted), given a time: work left before it. Called by recover()
        # with this pipeline's creation, then every RESUME_INTERVAL by the loop.
        self.resumers: list[Callable[[datetime], object]] = []

    @property
    def listeners(self) -> list[Callable[[], None]]:
        """Called (without arguments) whenever this process moved operations."""
        return self._progress.listeners

    @property
    def stuck_after(self) -> float:
        return self.confirmer.stuck_after

    # -- public API --------------------------------------------------------------------

    def submit(
        self,
        *,
        participant: str,
        idempotency_key: str,
        call: ContractCall,
        kind: str | None = None,
        gas: int | None = None,
        request_hash: str | None = None,
    ) -> OperationView:
        """Accepts an operation and sends it now if the chain answers.

        Returns the operation: ``submitted`` (signed and stored; broadcast now, or by the
        sender thread in commit order once ``start()`` has run), ``failed`` (reverted
        at estimation: the decoded error is on the operation, no nonce spent) or
        ``queued`` (the node is unreachable; the background loop sends it later). The
        same (participant, idempotency key) returns the same operation; the same key for
        a different request raises IdempotencyConflict. `request_hash` identifies the
        request (the API's fingerprint of what the client sent); by default the call.
        """
        return self.intake.submit(
            participant=participant,
            idempotency_key=idempotency_key,
            call=call,
            kind=kind,
            gas=gas,
            request_hash=request_hash,
        )

    def relay(
        self,
        *,
        participant: str,
        participant_address: str,
        idempotency_key: str,
        raw_transaction: bytes,
        request_hash: str | None = None,
    ) -> OperationView:
        """Relays a transaction the participant signed itself (non-custodial).

        Refused unless its sender is `participant_address`, and for accounts whose nonces
        this gateway allocates (two nonce authorities for one account would collide).
        """
        return self.intake.relay(
            participant=participant,
            participant_address=participant_address,
            idempotency_key=idempotency_key,
            raw_transaction=raw_transaction,
            request_hash=request_hash,
        )

    def get(self, operation_id: str) -> OperationView:
        return self.store.get(operation_id)

    def mark_indexed(self, operation_id: str) -> OperationView:
        """Mined -> indexed for an operation whose block the indexer has passed (it saw the
        block before the confirmer saw the receipt, so its own mark found it submitted)."""
        self.store.mark_indexed_one(operation_id)
        return self.get(operation_id)

    def find(
        self, participant: str, idempotency_key: str, request_hash: str
    ) -> OperationView | None:
        """The operation accepted under the participant's key, if any; IdempotencyConflict
        if the key was used for another request (another `request_hash`)."""
        return self.store.find(participant, idempotency_key, request_hash)

    def wait(
        self,
        operation_id: str,
        *,
        until: Iterable[str] = TERMINAL,
        timeout: float = 60.0,
    ) -> OperationView:
        """Blocks until the operation reaches one of `until` (by default: done)."""
        wanted = set(until) | {OperationStatus.FAILED}
        deadline = time.monotonic() + timeout
        while True:
            view = self.get(operation_id)
            if view.status in wanted:
                return view
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"operation {operation_id} still {view.status}")
            if self._thread is None:
                self.run_once()
            self._progress.wait(min(remaining, self.poll_interval))

    def finished_here(self, operation_id: str) -> bool:
        """This process's pipeline saw the operation mined or failed (recently). False
        says nothing: ask the database."""
        return self._progress.finished_here(operation_id)

    # -- background loop ---------------------------------------------------------------

    def start(self) -> None:
        """Runs the loop (which first recovers what a previous run left and then sends
        queued operations), the confirming loop (once recovered) and the sender in daemon
        threads."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._recovered.clear()
        self._thread = threading.Thread(target=self._loop, name="scf-pipeline", daemon=True)
        self._confirming = threading.Thread(
            target=self._confirm_loop, name="scf-confirmer", daemon=True
        )
        self._thread.start()
        self._confirming.start()
        self.broadcaster.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._recovered.set()  # a confirming loop still waiting for recovery ends
        self._progress.wake()
        for thread in (self._thread, self._confirming):
            if thread is not None:
                thread.join(timeout)
        self._thread = self._confirming = None
        self.broadcaster.stop(timeout)  # after the loop: what it stored is dispatched
        self.intake.close()
        self.nonces.close()

    def _loop(self) -> None:
        """Recovers, then sends queued operations (and resumes abandoned work)."""
        delay = self.poll_interval
        resumed = time.monotonic()
        while not self._stop.is_set():
            try:
                if not self._recovered.is_set():
                    self.recover()
                    self._recovered.set()
                if time.monotonic() - resumed >= RESUME_INTERVAL:
                    resumed = time.monotonic()
                    self.resume(utcnow() - timedelta(seconds=RESUME_INTERVAL))
                busy = self.process_queued() > 0
                delay = 0.0 if busy else self.poll_interval
            except Exception as exc:
                delay = self._backoff(delay, exc, "pipeline loop error")
            self._stop.wait(delay)

    def _confirm_loop(self) -> None:
        """Confirms submitted operations, beside the sending loop (from its own thread, so
        a pass waiting on receipts and the database never holds up signing)."""
        self._recovered.wait()
        delay = self.poll_interval
        while not self._stop.is_set():
            try:
                busy = self.confirm() > 0
                delay = 0.0 if busy else self.poll_interval
            except Exception as exc:
                delay = self._backoff(delay, exc, "pipeline confirming error")
            self._stop.wait(delay)

    def _backoff(self, delay: float, exc: Exception, what: str) -> float:
        """The wait after a failed pass (doubled, at most 5 s); logged unless the node or
        the database is only unreachable. Call it from the `except` block of the pass."""
        if not unreachable(exc):
            log.exception(what)
        return min(max(delay * 2, self.poll_interval), 5.0)

    def run_once(self) -> bool:
        """One pass: send queued operations, confirm submitted ones. True if work remains."""
        sent = self.process_queued()
        confirmed = self.confirm()
        return sent > 0 or confirmed > 0

    def recover(self) -> int:
        """After a restart: brings every submitted operation up to date with the chain now.

        Receipts are looked up by hash; an operation whose transaction the node no longer
        knows is rebroadcast with its stored bytes (same nonce), or re-signed only when
        the chain has moved past its nonce without mining any of its transactions.
        """
        # Stale = untouched since before this pipeline existed: what a previous run left.
        now = utcnow()
        moved = self.confirmer.confirm((now - self._created_at) / timedelta(seconds=1), 1000, now)
        self.resume(self._created_at)
        return moved

    def resume(self, before: datetime) -> None:
        """Runs the resumers (`resumers`) over the work left before `before`."""
        for resumer in self.resumers:
            resumer(before)

    def process_queued(self, limit: int = QUEUED_PASS) -> int:
        """Signs and sends queued operations (oldest first; `Intake.advance`: a lane per
        account); returns how many moved (sent, or failed at estimation)."""
        return self.intake.advance(self.store.queued_ids(limit))

    def confirm(self, *, stale_after: float | None = None, limit: int = 1000) -> int:
        """Moves submitted operations on by what the chain says; returns how many changed.

        See `confirmer` for how passes are batched and skipped between blocks.
        """
        return self.confirmer.confirm(stale_after, limit, utcnow())

    def confirm_one(self, operation_id: str) -> None:
        """Resolves one submitted operation if the chain is past its nonce."""
        self.confirmer.confirm_one(operation_id)

    def _default_lanes(self) -> int:
        return LANES if self.store.engine.dialect.name == "postgresql" else 1

    # -- chain facts -------------------------------------------------------------------

    def _chain(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    def _pending_nonce(self, address: str) -> int:
        return int(self.w3.eth.get_transaction_count(checksum(address), "pending"))
