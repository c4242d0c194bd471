"""Confirming: receipts of submitted operations, stuck transactions, refusals, failures.

Receipts only appear with blocks: once every operation the chain has passed is finished,
passes in the same block skip to the next block (looking at stale operations at least
every second). Receipts and account nonces are asked in JSON-RPC batches, and the mined
operations marked in one database transaction.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from eth_utils.address import to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import TransactionNotFound
from web3.types import TxParams

from scfledger.chain.batch import Batcher, Reply, quantity
from scfledger.chain.fees import FeeFields, FeePolicy, bumped, is_zero
from scfledger.chain.node import rpc_message
from scfledger.chain.tx import mined_failure
from scfledger.keys.store import Signer
from scfledger.outbox.nonces import NonceAllocator
from scfledger.outbox.operation import RELAY_KIND, Pending, age, checksum, unreachable
from scfledger.outbox.progress import Progress
from scfledger.outbox.signing import Signed, cancel_fields, sign_transaction
from scfledger.outbox.store import OperationStore

log = logging.getLogger(__name__)

# Seconds an operation must sit unchanged before its nonce is declared taken by a foreign
# transaction (and the operation re-signed with a new nonce).
FOREIGN_NONCE_GRACE = 10.0
# Phrases of go-ethereum, Besu, anvil and eth-tester answers to eth_sendRawTransaction.
ALREADY_KNOWN = ("already known", "known transaction", "already imported", "alreadyknown")
NONCE_TOO_LOW = ("nonce too low", "nonce is too low", "oldnonce", "nonce has already been used")
UNDERPRICED = ("underpriced", "replacement transaction")


class Confirmer:
    """Moves submitted operations to their end by what the chain says."""

    def __init__(
        self,
        *,
        w3: Web3,
        store: OperationStore,
        nonces: NonceAllocator,
        fees: FeePolicy,
        signer_for: Callable[[str], Signer],
        chain_id: Callable[[], int],
        progress: Progress,
        stuck_after: float,
    ) -> None:
        self.w3 = w3
        self.store = store
        self.nonces = nonces
        self.fees = fees
        self.signer_for = signer_for
        self.chain_id = chain_id
        self.progress = progress
        self.stuck_after = stuck_after
        self._batch = Batcher(w3)
        # The block through which every submitted operation was finished, and when the
        # last full confirming pass ran: between blocks there is nothing new to confirm.
        self._confirmed_block: int | None = None
        self._confirmed_at = -math.inf

    def confirm(self, stale_after: float | None, limit: int, now: datetime) -> int:
        """One pass over submitted operations; returns how many changed. Operations older
        than `stale_after` at `now` (default: stuck_after) are rebroadcast or replaced."""
        forced = stale_after is not None
        stale_after = self.stuck_after if stale_after is None else stale_after
        block = int(self.w3.eth.block_number)
        started = time.monotonic()
        if (
            not forced
            and block == self._confirmed_block
            and started - self._confirmed_at < min(1.0, self.stuck_after)
        ):
            return 0
        changed = unresolved = 0
        after: tuple[str, int] | None = None
        while True:  # every submitted operation, a page (`limit`) at a time
            ops = self.store.submitted(limit, after)
            page_changed, page_unresolved = self._confirm_page(ops, now, stale_after)
            changed += page_changed
            unresolved += page_unresolved
            if len(ops) < limit:
                break
            after = (ops[-1].sender, ops[-1].nonce)
        self._confirmed_at = started
        # A pass that left something the chain has passed (a receipt not served yet) is
        # repeated at the next pass, new block or not.
        self._confirmed_block = block if unresolved == 0 else None
        if changed:
            self.progress.notify()
        return changed

    def _confirm_page(self, ops: list[Any], now: datetime, stale_after: float) -> tuple[int, int]:
        """Confirms a page of submitted operations (by sender and nonce); returns how many
        changed and how many the chain has passed but could not be resolved yet."""
        senders = sorted({op.sender for op in ops})
        counters = self.nonces.counters(senders)
        chain_nonces = self._chain_nonces(senders)
        for sender in senders:
            if sender in counters and counters[sender] < chain_nonces[sender]:
                self.nonces.catch_up(sender, chain_nonces[sender])
        # Behind the chain's nonce: mined (or replaced). The common case is one
        # transaction that succeeded; anything else is resolved one by one.
        passed = [op for op in ops if op.nonce < chain_nonces[op.sender]]
        plain = [op for op in passed if op.attempts == 1 and op.tx_hash is not None]
        receipts = self._receipts([op.tx_hash for op in plain])
        mined = [
            (op.id, op.tx_hash, receipt)
            for op, receipt in zip(plain, receipts, strict=True)
            if receipt is not None and receipt["status"] == 1
        ]
        changed = self.store.mark_mined(mined)
        if mined:
            self.progress.finished(operation_id for operation_id, _, _ in mined)
        done = {operation_id for operation_id, _, _ in mined}
        unresolved = 0
        for op in passed:
            if op.id not in done:
                resolved = self.resolve(op.id)
                changed += resolved
                unresolved += resolved == 0
        for op in ops:
            if op.nonce >= chain_nonces[op.sender] and age(op.updated_at, now) >= stale_after:
                changed += self._unstick(op.id, chain_nonces[op.sender])
        return changed, unresolved

    def confirm_one(self, operation_id: str) -> None:
        """The node says the operation's nonce is used: resolve it if the chain passed it."""
        pending = self.store.pending(operation_id)
        if pending is None:
            return
        assert pending.nonce is not None
        sender = to_checksum_address(pending.sender)
        if pending.nonce < self.w3.eth.get_transaction_count(sender, "latest"):
            self.resolve(operation_id)
        # Otherwise the loop looks again once the operation is stale; replacing it now
        # would only race the transaction already in the pool.

    def resolve(self, operation_id: str) -> int:
        """The chain is past this operation's nonce: find which of its transactions mined."""
        pending = self.store.pending(operation_id)
        if pending is None:
            return 0
        attempts = [(t.tx_hash, t.purpose) for t in reversed(pending.transactions)]
        quiet_for = pending.quiet_for
        for tx_hash, purpose in attempts:
            try:
                receipt = self.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
            except TransactionNotFound:
                continue
            return self._finish(pending, tx_hash, purpose, receipt)
        # Re-signing is the one step that could execute an operation twice, so it needs
        # more than one missing receipt: a node can count a nonce a moment before it
        # serves the receipt, so the node must not know any of our transactions either,
        # and the operation must have been quiet for a while.
        if quiet_for < FOREIGN_NONCE_GRACE:
            return 0
        for tx_hash, _ in attempts:
            try:
                if self.w3.eth.get_transaction(HexBytes(tx_hash)) is not None:
                    return 0
            except TransactionNotFound:
                continue
        # None of ours mined and the nonce is used: a foreign transaction took it. Ours can
        # never be mined now, so the operation goes back to the queue for a fresh nonce.
        log.warning(
            "nonce %s of %s was taken by another transaction", pending.nonce, pending.sender
        )
        return int(self.store.nonce_taken(operation_id))

    def refuse(self, operation_id: str, tx_hash: str, reason: str) -> None:
        """The node will not take this transaction (never in a block).

        A relayed transaction just fails. A gateway-signed one gives its nonce to a
        0-value self-transfer, so the account's later nonces are not stuck behind a hole;
        the operation fails when that cancel is mined (or succeeds, should the original
        be mined after all somewhere).
        """

        def cancel(pending: Pending) -> Signed:
            assert pending.nonce is not None
            return self._sign(
                pending, pending.nonce, self.fees.fields(), **cancel_fields(pending.sender)
            )

        signed = self.store.refuse(operation_id, tx_hash, reason, cancel)
        if signed is None:
            return
        try:
            self.w3.eth.send_raw_transaction(signed.raw)
        except Exception as exc:  # the loop rebroadcasts it
            log.warning("cancel %s not sent yet: %s", signed.tx_hash, type(exc).__name__)

    def _finish(self, pending: Pending, tx_hash: str, purpose: str, receipt: Any) -> int:
        failure = None
        if receipt["status"] != 1 and purpose == "call":
            replay: TxParams = {
                "from": to_checksum_address(pending.sender),
                "to": to_checksum_address(pending.to_address) if pending.to_address else None,  # type: ignore[typeddict-item]
                "data": pending.data,
                "gas": pending.gas_limit or receipt["gasUsed"],
            }
            failure = mined_failure(self.w3, replay, receipt["blockNumber"])
        if not self.store.finish(pending.id, tx_hash, purpose, receipt, failure):
            return 0
        self.progress.finished([pending.id])
        return 1

    def _unstick(self, operation_id: str, chain_nonce: int) -> int:
        """Not mined for a while: rebroadcast if the node lost it, replace if underpriced."""
        pending = self.store.pending(operation_id)
        if pending is None or not pending.transactions:
            return 0
        latest = pending.transactions[-1]
        try:
            known = self.w3.eth.get_transaction(HexBytes(latest.tx_hash)) is not None
        except TransactionNotFound:
            known = False
        if not known:
            log.info("rebroadcasting %s (nonce %d)", latest.tx_hash, latest.nonce)
            self.store.touch(operation_id)
            try:
                self.w3.eth.send_raw_transaction(latest.raw)
            except Exception as exc:
                message = rpc_message(exc).lower()
                if any(p in message for p in NONCE_TOO_LOW):
                    return self.resolve(operation_id)
                refused = not any(p in message for p in ALREADY_KNOWN) and not unreachable(exc)
                if refused and latest.purpose == "call":
                    self.refuse(operation_id, latest.tx_hash, rpc_message(exc))
            return 1
        current = self.fees.fields()
        if (
            latest.nonce != chain_nonce
            or pending.kind == RELAY_KIND
            or (is_zero(latest.fees) and is_zero(current))
        ):
            # Waiting behind an earlier nonce, not ours to re-sign, or no fee to raise.
            self.store.touch(operation_id)
            return 0
        return self._replace(operation_id, latest.fees, current)

    def _replace(self, operation_id: str, previous: FeeFields, current: FeeFields) -> int:
        """Re-signs the pending transaction with the same nonce and higher fees."""
        fees = bumped(previous, current)

        def again(pending: Pending) -> Signed:
            latest = pending.transactions[-1]
            if latest.purpose == "cancel":
                return self._sign(pending, latest.nonce, fees, **cancel_fields(pending.sender))
            assert pending.gas_limit is not None
            return self._sign(
                pending, latest.nonce, fees, to=pending.to_address, data=pending.data,
                gas=pending.gas_limit, purpose="call",
            )  # fmt: skip

        signed = self.store.replace(operation_id, again)
        if signed is None:
            return 0
        log.info("replacing nonce %d of %s with %s", signed.nonce, operation_id, signed.tx_hash)
        try:
            self.w3.eth.send_raw_transaction(signed.raw)
        except Exception as exc:
            log.warning("replacement %s not accepted yet: %s", signed.tx_hash, rpc_message(exc))
        return 1

    def _sign(
        self,
        pending: Pending,
        nonce: int,
        fees: FeeFields,
        *,
        to: str | None,
        data: bytes | None,
        gas: int,
        purpose: str,
    ) -> Signed:
        return sign_transaction(
            self.signer_for(pending.participant),
            operation_id=pending.id,
            chain_id=self.chain_id(),
            nonce=nonce,
            fees=fees,
            to=to,
            data=data,
            gas=gas,
            purpose=purpose,
        )

    def _chain_nonces(self, senders: list[str]) -> dict[str, int]:
        """Each account's nonce in the latest block."""
        calls = [("eth_getTransactionCount", [checksum(s), "latest"]) for s in senders]
        replies = self._batch.call(calls)
        if replies is not None and all(r.error is None for r in replies):
            return {s: quantity(r.result) for s, r in zip(senders, replies, strict=True)}
        return {s: int(self.w3.eth.get_transaction_count(checksum(s), "latest")) for s in senders}

    def _receipts(self, hashes: list[str]) -> list[dict[str, int] | None]:
        """Status, block number and gas used of each transaction; None if not mined."""
        replies: list[Reply] | None = self._batch.call(
            [("eth_getTransactionReceipt", [tx_hash]) for tx_hash in hashes]
        )
        if replies is not None and all(r.error is None for r in replies):
            return [None if r.result is None else receipt_fields(r.result) for r in replies]
        found: list[dict[str, int] | None] = []
        for tx_hash in hashes:
            try:
                receipt = self.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
            except TransactionNotFound:
                found.append(None)
                continue
            found.append(receipt_fields(receipt))
        return found


def receipt_fields(receipt: Mapping[str, Any]) -> dict[str, int]:
    """What the confirmer records of a receipt (JSON-RPC hex or web3.py's ints)."""
    return {
        "status": quantity(receipt["status"]),
        "blockNumber": quantity(receipt["blockNumber"]),
        "gasUsed": quantity(receipt["gasUsed"]),
    }
