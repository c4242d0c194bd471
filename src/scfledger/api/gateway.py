"""The gateway's running parts: database, chain, pipeline, indexer and their worker threads."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from scfledger.api.progress import Progress
from scfledger.api.streams import StreamSlots
from scfledger.config import Settings
from scfledger.db.session import read_session_factory
from scfledger.indexer.indexer import DEFAULT_MAX_LAG, Indexer
from scfledger.keys.sealing import Sealer
from scfledger.keys.store import KeyStore
from scfledger.outbox.pipeline import Pipeline
from scfledger.pricing.calendars import Calendars
from scfledger.risk.clock import IndexClock
from scfledger.services.ledger import Contracts, Ledger
from scfledger.services.ledger_money import LedgerMoney
from scfledger.services.participants import Provision
from scfledger.services.webhooks import WebhookDispatcher

log = logging.getLogger(__name__)

WEBHOOK_SECRETS = "webhook-secrets"  # the purpose of the key that seals webhook secrets


@dataclass
class Gateway:
    """Everything a request handler needs, and the background loops that keep it current.

    Built by the composition root (scfledger.app.compose) from one Settings."""

    w3: Web3
    engine: Engine
    sessions: sessionmaker[Session]
    settings: Settings
    pipeline: Pipeline
    indexer: Indexer
    contracts: Contracts
    keys: KeyStore
    # Seals the webhook secrets this gateway stores (a key derived from the keystore
    # passphrase once, then kept).
    sealer: Sealer
    webhooks: WebhookDispatcher
    clock: IndexClock  # the chain's time as the index stands (risk views)
    money: LedgerMoney  # accepted currencies, amounts as decimal strings (SCF_CURRENCIES)
    # Gives a new participant's account what it needs to send transactions: gas money on a
    # dev chain (anvil_setBalance); None where gas is free (a zero-fee consortium chain)
    # or funded another way (genesis allocation, a treasury).
    provision: Provision | None = None
    # Business days, with the operator's holiday notice (SCF_HOLIDAY_NOTICE).
    calendars: Calendars = field(default_factory=Calendars)
    max_indexer_lag: int = DEFAULT_MAX_LAG
    indexer_poll: float = 0.1
    # Event streams each API key holds open in this process (SCF_SSE_STREAMS_PER_KEY).
    streams: StreamSlots = field(default_factory=StreamSlots)
    # Requests waiting for operations, woken when this process's pipeline moves an
    # operation on or its indexer moves the checkpoint.
    progress: Progress = field(default_factory=Progress)
    # The indexer's checkpoint as this process's indexer loop last moved it (-1: unknown).
    indexed_block: int = -1
    # The wall clock of what the gateway alone times (drafts' expiry); tests set their own.
    wall_clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    _stop: threading.Event = field(default_factory=threading.Event)
    _indexer_thread: threading.Thread | None = None

    @cached_property
    def reads(self) -> sessionmaker[Session]:
        """Sessions for reads alone, on the same pool: no transaction round trips on
        PostgreSQL (`db.session.read_session_factory`)."""
        return read_session_factory(self.engine)

    @property
    def ledger(self) -> Ledger:
        return Ledger(sessions=self.sessions, pipeline=self.pipeline, contracts=self.contracts)

    def start(self) -> None:
        """Runs the pipeline loop, the indexer loop and the webhook dispatcher in daemon
        threads."""
        self._stop.clear()
        self.pipeline.listeners.append(self.progress.notify)
        self.pipeline.start()
        self._indexer_thread = threading.Thread(
            target=self.indexer.run,
            args=(self._stop.is_set, self.indexer_poll, self._indexed),
            name="scf-indexer",
            daemon=True,
        )
        self._indexer_thread.start()
        self.webhooks.start()

    def _indexed(self) -> None:
        checkpoint = self.indexer.checkpoint()
        if checkpoint is not None:
            self.indexed_block = checkpoint[0]
        self.progress.notify()

    def stop(self) -> None:
        if self.progress.notify in self.pipeline.listeners:
            self.pipeline.listeners.remove(self.progress.notify)
        self._stop.set()
        if self._indexer_thread is not None:
            self._indexer_thread.join(10)
            self._indexer_thread = None
        self.webhooks.stop()
        self.pipeline.stop()

    def checks(self) -> dict[str, dict[str, object]]:
        """Readiness of the database, the chain and the indexer."""
        result: dict[str, dict[str, object]] = {}
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            result["database"] = {"ok": True}
        except Exception as exc:
            result["database"] = {"ok": False, "error": type(exc).__name__}
        try:
            head = int(self.w3.eth.block_number)
            result["chain"] = {"ok": True, "head": head}
        except Exception as exc:
            result["chain"] = {"ok": False, "error": type(exc).__name__}
        if result["chain"]["ok"] and result["database"]["ok"]:
            try:
                lag = self.indexer.lag()
                result["indexer"] = {
                    "ok": lag <= self.max_indexer_lag,
                    "lag": lag,
                    # Events it could not project: it still follows the chain (ready), but
                    # the read model lacks them (degraded); `scf reconcile` lists them.
                    "faults": self.indexer.fault_count(),
                }
            except Exception as exc:
                result["indexer"] = {"ok": False, "error": type(exc).__name__}
        else:
            result["indexer"] = {"ok": False, "error": "needs chain and database"}
        return result
