"""Broadcasting stored transactions: now, or in commit order from a sender thread."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from web3 import Web3

from scfledger.chain.batch import Batcher
from scfledger.chain.node import rpc_message
from scfledger.outbox.confirmer import ALREADY_KNOWN, NONCE_TOO_LOW, UNDERPRICED
from scfledger.outbox.operation import unreachable
from scfledger.outbox.progress import Progress

log = logging.getLogger(__name__)

SEND_BATCH = 100  # signed transactions broadcast in one JSON-RPC batch, at most

Item = tuple[str, str, bytes]  # operation id, transaction hash, signed bytes


class Broadcaster:
    """Sends signed transactions; only a definite refusal changes an operation.

    A node's answer that the nonce is used or the fee too low goes to `on_taken` (resolved
    by receipt and chain nonce), any other refusal to `on_refused`.
    """

    def __init__(
        self,
        *,
        w3: Web3,
        progress: Progress,
        on_taken: Callable[[str], None],
        on_refused: Callable[[str, str, str], None],
    ) -> None:
        self.w3 = w3
        self.progress = progress
        self.on_taken = on_taken
        self.on_refused = on_refused
        self._batch = Batcher(w3)
        self._queue: queue.SimpleQueue[Item | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def dispatch(self, operation_id: str, tx_hash: str, raw: bytes) -> bool:
        """Hands a committed transaction to the sender thread if it runs (False), else
        sends it now (True if the operation changed)."""
        if self._thread is not None:
            self._queue.put((operation_id, tx_hash, raw))
            return False
        return self.send(operation_id, tx_hash, raw)

    def dispatch_many(self, items: list[Item]) -> bool:
        """`dispatch` of several committed transactions, in order (one account's in nonce
        order): to the sender thread if it runs (False), else now in one JSON-RPC batch
        (`send_many`)."""
        if self._thread is not None:
            for item in items:
                self._queue.put(item)
            return False
        return self.send_many(items)

    def send(self, operation_id: str, tx_hash: str, raw: bytes) -> bool:
        """Sends signed bytes now; True if the node's answer changed the operation."""
        try:
            self.w3.eth.send_raw_transaction(raw)
        except Exception as exc:
            if unreachable(exc):
                log.warning("broadcast of %s deferred: node unreachable", tx_hash)
                return False
            return self._not_sent(operation_id, tx_hash, rpc_message(exc))
        return False

    def send_many(self, items: list[Item]) -> bool:
        """Sends several signed transactions in one JSON-RPC batch (one by one if the
        provider cannot batch or the batch did not get through). True if any operation
        changed."""
        replies = self._batch.call(
            [("eth_sendRawTransaction", ["0x" + raw.hex()]) for _, _, raw in items]
        )
        changed = False
        if replies is None:
            for operation_id, tx_hash, raw in items:
                try:
                    self.w3.eth.send_raw_transaction(raw)
                except Exception as exc:
                    if unreachable(exc):
                        # The rest would wait out the same retries: the loop resends them.
                        log.warning("broadcast of %s and later deferred: node unreachable", tx_hash)
                        break
                    changed |= self._not_sent(operation_id, tx_hash, rpc_message(exc))
            return changed
        for (operation_id, tx_hash, _), reply in zip(items, replies, strict=True):
            if reply.error is not None:
                changed |= self._not_sent(operation_id, tx_hash, reply.error)
        return changed

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="scf-sender", daemon=True)
            self._thread.start()

    def stop(self, timeout: float) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def _not_sent(self, operation_id: str, tx_hash: str, message: str) -> bool:
        """The node answered a broadcast with an error: acts on what it means."""
        lowered = message.lower()
        if any(p in lowered for p in ALREADY_KNOWN):
            return False
        if any(p in lowered for p in NONCE_TOO_LOW + UNDERPRICED):
            # Mined already, or the nonce is taken: resolved by receipt and chain nonce.
            self.on_taken(operation_id)
            return True
        log.warning("node refused %s: %s", tx_hash, message)
        self.on_refused(operation_id, tx_hash, message)
        return True

    def _loop(self) -> None:
        """Broadcasts committed transactions in commit order, off the request threads.

        A transaction still in this queue when the process dies is stored: the next run's
        recovery sends the same bytes.
        """
        while True:
            item = self._queue.get()
            if item is None:
                return
            # Whatever queued up meanwhile goes out in the same request (a JSON-RPC batch).
            items = [item]
            stopping = False
            while len(items) < SEND_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                items.append(more)
            try:
                changed = self.send_many(items)
            except Exception:  # the loop rebroadcasts whatever did not go out
                log.exception("broadcast failed")
                changed = False
            if changed:
                self.progress.notify()
            if stopping:
                return
