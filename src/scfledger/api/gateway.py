"""The gateway's running parts: database, chain, pipeline, indexer and their worker threads."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from scfledger.api.streams import StreamSlots
from scfledger.config import Settings, load_settings
from scfledger.exceptions import ConfigurationError
from scfledger.indexer.indexer import DEFAULT_MAX_LAG, Indexer
from scfledger.keys.sealing import Sealer
from scfledger.keys.store import KeyStore
from scfledger.outbox.pipeline import Pipeline
from scfledger.services.ledger import Contracts, Ledger
from scfledger.services.participants import Provision
from scfledger.services.webhooks import WebhookDispatcher

log = logging.getLogger(__name__)

WEBHOOK_SECRETS = "webhook-secrets"  # the purpose of the key that seals them


@dataclass
class Gateway:
    """Everything a request handler needs, and the background loops that keep it current."""

    w3: Web3
    engine: Engine
    sessions: sessionmaker[Session]
    pipeline: Pipeline
    indexer: Indexer
    contracts: Contracts
    max_indexer_lag: int = DEFAULT_MAX_LAG
    indexer_poll: float = 0.1
    _stop: threading.Event = field(default_factory=threading.Event)
    _indexer_thread: threading.Thread | None = None
    settings: Settings = field(default_factory=load_settings)
    webhooks: WebhookDispatcher | None = None
    keys: KeyStore | None = None
    # Gives a new participant's account what it needs to send transactions: gas money on a
    # dev chain (anvil_setBalance); None where gas is free (a zero-fee consortium chain)
    # or funded another way (genesis allocation, a treasury).
    provision: Provision | None = None
    # Event streams each API key holds open in this process (SCF_SSE_STREAMS_PER_KEY).
    streams: StreamSlots = field(default_factory=StreamSlots)

    _progress: threading.Condition = field(default_factory=threading.Condition)
    # The indexer's checkpoint as this process's indexer loop last moved it (-1: unknown).
    indexed_block: int = -1
    _sealer: Sealer | None = None

    @property
    def ledger(self) -> Ledger:
        return Ledger(sessions=self.sessions, pipeline=self.pipeline, contracts=self.contracts)

    def sealer(self) -> Sealer:
        """Seals the webhook secrets this gateway stores (a key derived from the keystore
        passphrase once, then kept)."""
        if self._sealer is None:
            if self.keys is None:
                raise ConfigurationError("webhook secrets are sealed with the keystore's key")
            self._sealer = self.keys.sealer(WEBHOOK_SECRETS)
        return self._sealer

    def start(self) -> None:
        """Runs the pipeline loop and the indexer loop in daemon threads."""
        self._stop.clear()
        self.pipeline.listeners.append(self._wake)
        self.pipeline.start()
        self._indexer_thread = threading.Thread(
            target=self.indexer.run,
            args=(self._stop.is_set, self.indexer_poll, self._indexed),
            name="scf-indexer",
            daemon=True,
        )
        self._indexer_thread.start()
        if self.webhooks is None:
            self.webhooks = WebhookDispatcher.from_settings(
                self.sessions, self.settings, self.sealer()
            )
        self.webhooks.start()

    def _wake(self) -> None:
        with self._progress:
            self._progress.notify_all()

    def _indexed(self) -> None:
        checkpoint = self.indexer.checkpoint()
        if checkpoint is not None:
            self.indexed_block = checkpoint[0]
        self._wake()

    def await_progress(self, ready: Callable[[], bool], timeout: float) -> bool:
        """Waits until `ready()` (checked when this process's pipeline moves an operation
        on or its indexer moves the checkpoint), at most `timeout` seconds."""
        with self._progress:
            return self._progress.wait_for(ready, timeout)

    def stop(self) -> None:
        if self._wake in self.pipeline.listeners:
            self.pipeline.listeners.remove(self._wake)
        self._stop.set()
        if self._indexer_thread is not None:
            self._indexer_thread.join(10)
            self._indexer_thread = None
        if self.webhooks is not None:
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
