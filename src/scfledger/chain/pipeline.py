"""The transaction pipeline: every accepted operation ends on chain exactly once.

An operation is a row before anything is signed. Its nonce is allocated, its transaction
signed and both written in one database transaction under a lock on the account's nonce
row (``SELECT ... FOR UPDATE`` on PostgreSQL; ``BEGIN IMMEDIATE`` on SQLite), and only
then broadcast. So a crash at any point leaves either a queued operation with no nonce,
or a submitted one whose exact signed bytes are stored: restart rebroadcasts those bytes
(same hash, same nonce: it can never execute twice) or finds the receipt, and never signs
a second transaction for an operation whose first might still be mined.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import cache, lru_cache
from typing import Any, cast

from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from eth_typing import ChecksumAddress
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address
from hexbytes import HexBytes
from sqlalchemy import JSON, Connection, Engine, Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import TransactionNotFound
from web3.types import TxParams

from scfledger.chain.artifacts import load_artifact
from scfledger.chain.batch import Batcher, Reply, quantity
from scfledger.chain.client import is_transient, rpc_message
from scfledger.chain.fees import FeeFields, FeeMode, FeePolicy, bumped, is_zero
from scfledger.chain.pg_submit import PgSubmit
from scfledger.chain.reverts import call_decoding_reverts, decode_revert
from scfledger.chain.tx import GAS_MARGIN, mined_failure
from scfledger.db.models import (
    AccountNonce,
    Operation,
    OperationStatus,
    Transaction,
    new_id,
    utcnow,
)
from scfledger.db.session import transaction
from scfledger.exceptions import (
    ChainError,
    ChainUnavailable,
    ContractRevert,
    IdempotencyConflict,
    OperationNotFound,
    RelayRejected,
    UnknownRevert,
)
from scfledger.keys.store import Signer

log = logging.getLogger(__name__)

RELAY_KIND = "relay"
CANCEL_GAS = 21_000
# Seconds an operation must sit unchanged before its nonce is declared taken by a foreign
# transaction (and the operation re-signed with a new nonce).
FOREIGN_NONCE_GRACE = 10.0
TERMINAL = frozenset({OperationStatus.MINED, OperationStatus.INDEXED, OperationStatus.FAILED})

# Phrases of go-ethereum, Besu, anvil and eth-tester answers to eth_sendRawTransaction.
_ALREADY_KNOWN = ("already known", "known transaction", "already imported", "alreadyknown")
_NONCE_TOO_LOW = ("nonce too low", "nonce is too low", "oldnonce", "nonce has already been used")
_UNDERPRICED = ("underpriced", "replacement transaction")


@dataclass(frozen=True)
class ContractCall:
    """A function of a shipped contract at an address, with its arguments."""

    contract: str
    address: str
    function: str
    args: tuple[Any, ...] = ()

    def calldata(self) -> bytes:
        plain = _plain_function(self.contract, self.function, len(self.args))
        if plain is not None:
            selector, types = plain
            with suppress(Exception):  # arguments eth-abi does not take as given (hex strings)
                return selector + abi_encode(types, list(self.args))
        encoded = _contract_factory(self.contract).encode_abi(self.function, args=list(self.args))
        return bytes(HexBytes(encoded))


@cache
def _plain_function(contract: str, function: str, arity: int) -> tuple[bytes, list[str]] | None:
    """Selector and argument types of a function that is not overloaded at this arity."""
    matches = [
        item
        for item in load_artifact(contract).abi
        if item["type"] == "function" and item["name"] == function and len(item["inputs"]) == arity
    ]
    if len(matches) != 1 or any(p["type"].startswith("tuple") for p in matches[0]["inputs"]):
        return None
    types = [p["type"] for p in matches[0]["inputs"]]
    return function_signature_to_4byte_selector(f"{function}({','.join(types)})"), types


@cache
def _contract_factory(name: str) -> type[Contract]:
    # Building a web3 contract class parses the whole ABI (~20 ms): once per contract.
    return Web3().eth.contract(abi=load_artifact(name).abi)


@dataclass(frozen=True)
class OperationView:
    """A snapshot of an operation row, safe to hand to API schemas and logs."""

    id: str
    participant: str
    idempotency_key: str
    kind: str
    arguments: dict[str, Any]
    status: str
    sender: str
    to_address: str | None
    nonce: int | None
    tx_hash: str | None
    block_number: int | None
    gas_used: int | None
    error_name: str | None
    error_args: dict[str, Any] | None
    error_message: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    mined_at: datetime | None
    error_data: bytes | None = None

    @classmethod
    def of(cls, op: Operation) -> OperationView:
        return cls(
            id=op.id,
            participant=op.participant,
            idempotency_key=op.idempotency_key,
            kind=op.kind,
            arguments=op.arguments,
            status=op.status,
            sender=op.sender,
            to_address=op.to_address,
            nonce=op.nonce,
            tx_hash=op.tx_hash,
            block_number=op.block_number,
            gas_used=op.gas_used,
            error_name=op.error_name,
            error_args=op.error_args,
            error_message=op.error_message,
            attempts=op.attempts,
            created_at=op.created_at,
            updated_at=op.updated_at,
            submitted_at=op.submitted_at,
            mined_at=op.mined_at,
            error_data=op.error_data,
        )

    @classmethod
    def of_row(cls, row: Mapping[Any, Any]) -> OperationView:
        """From an operation's column values (a Core row mapping, or the dict inserted)."""
        return cls(**{name: row[name] for name in _VIEW_FIELDS})

    @property
    def done(self) -> bool:
        return self.status in TERMINAL

    def error(self) -> ChainError | None:
        """The failure as a domain exception: the contract's decoded error when there is one."""
        if self.status != OperationStatus.FAILED:
            return None
        if self.error_data is not None:
            return decode_revert(self.error_data, self.arguments.get("contract"))
        return ChainError(self.error_message or f"operation {self.id} failed")

    def raise_for_error(self) -> None:
        error = self.error()
        if error is not None:
            raise error


_VIEW_FIELDS = tuple(field.name for field in fields(OperationView))


def to_json(value: Any) -> Any:
    """Contract arguments as JSON: bytes as 0x-hex, tuples as lists."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


class Pipeline:
    """Submits operations for the participants whose keys `signer_for` returns.

    Thread-safe; run one per gateway process, as many processes as wanted on one
    PostgreSQL. ``start()`` runs the background loop that sends queued operations,
    confirms submitted ones and rebroadcasts or replaces stuck ones; call
    ``reconcile()`` (``start()`` does) after a restart.
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
    ) -> None:
        self.w3 = w3
        self.sessions = sessions
        self.signer_for = signer_for
        self.fees = FeePolicy(w3, mode=fee_mode, priority_fee=priority_fee)
        self.gas_margin = gas_margin
        self.stuck_after = stuck_after
        self.poll_interval = poll_interval
        self._chain_id: int | None = None
        self._changed = threading.Condition()
        # Operations this process saw leave `submitted` (mined or failed), newest last, for
        # waiters that want to know without reading the database; and who to tell.
        self._settled: OrderedDict[str, None] = OrderedDict()
        self.listeners: list[Callable[[], None]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # The hot paths (submit, get, confirming) run Core statements on the engine: the
        # ORM session's unit of work and identity map cost more CPU than the round trips.
        self._engine: Engine = sessions.kw["bind"]
        self._postgres = self._engine.dialect.name == "postgresql"
        self._batch = Batcher(w3)
        # Next nonce per account as this process last took it: a guess, checked by the
        # database when used (see _sign_new_pg).
        self._next_nonces: dict[str, int] = {}
        self._nonce_lock = threading.Lock()
        self._pg = (
            PgSubmit(
                self._engine,
                take_nonce=_TAKE_NONCE,
                insert_counter=_INSERT_COUNTER_PG,
                insert_operation=_INSERT_OPERATION,
                insert_transaction=_INSERT_TRANSACTION,
                operation_columns=list(_EMPTY_OPERATION),
                transaction_columns=_TRANSACTION_COLUMNS,
                json_columns=_JSON_COLUMNS,
            )
            if PgSubmit.usable(self._engine)
            else None
        )
        self._created_at = utcnow()
        self._outbox: queue.SimpleQueue[tuple[str, str, bytes] | None] = queue.SimpleQueue()
        self._sender: threading.Thread | None = None
        # The block through which every submitted operation was settled, and when the
        # last full confirming pass ran: between blocks there is nothing new to confirm.
        self._confirmed_block: int | None = None
        self._confirmed_at = -math.inf

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
        signer = self.signer_for(participant)
        data = call.calldata()
        kind = kind or f"{call.contract}.{call.function}"
        to = _checksum(call.address)
        request_hash = request_hash or _request_hash(participant, kind, to, data)
        # No look-up first: a retry is rare, and the unique key catches it at insert.

        failure: ContractRevert | UnknownRevert | None = None
        queued = False
        if gas is None:
            try:
                gas = self._estimate(signer.address, to, data)
            except (ContractRevert, UnknownRevert) as exc:
                failure = exc
            except Exception as exc:
                if not _unreachable(exc):
                    raise
                queued = True

        now = utcnow()
        row: dict[str, Any] = {
            **_EMPTY_OPERATION,
            "id": new_id(),
            "created_at": now,
            "updated_at": now,
            "participant": participant,
            "idempotency_key": idempotency_key,
            "request_hash": request_hash,
            "kind": kind,
            "arguments": {
                "contract": call.contract,
                "address": to,
                "function": call.function,
                "args": to_json(call.args),
            },
            "sender": signer.address,
            "to_address": to,
            "data": data,
            "gas_limit": gas,
        }
        if failure is not None:
            row.update(_failure_columns(failure))
        fees: FeeFields | None = None
        chain_id = 0
        if failure is None and not queued:
            try:
                fees, chain_id = self.fees.fields(), self._chain()
            except Exception as exc:
                if not _unreachable(exc):
                    raise
                queued = True
        # Core statements on a connection, compiled once: this is every operation's path.
        try:
            signed: tuple[str, bytes] | None = None
            if fees is not None and self._pg is not None:
                signed = self._sign_new_pg(self._pg, row, signer, fees, chain_id)
            else:
                with self._engine.begin() as conn:
                    if fees is not None:
                        signed = self._sign_row(conn, row, signer, fees, chain_id, insert=True)
                    else:
                        conn.execute(_INSERT_OPERATION, row)
        except IntegrityError:
            existing = self.find(participant, idempotency_key, request_hash)
            if existing is None:
                raise
            return existing
        except Exception as exc:
            if not _unreachable(exc):
                raise
            # The node went away between estimation and fee lookup: accept as queued.
            return self._insert_queued(row)
        operation_id: str = row["id"]
        if signed is not None:
            if self._sender is not None:
                self._outbox.put((operation_id, *signed))
            elif self._broadcast(operation_id, *signed):
                return self.get(operation_id)
        return OperationView.of_row(row)

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
        raw = bytes(raw_transaction)
        try:
            sender = Account.recover_transaction(raw)
            fields = _decode_raw(raw)
        except Exception:
            raise RelayRejected(
                participant=participant, reason="not a signed transaction"
            ) from None
        if sender != to_checksum_address(participant_address):
            raise RelayRejected(
                participant=participant, reason=f"signed by {sender}, not {participant_address}"
            )
        with transaction(self.sessions) as session:
            if session.get(AccountNonce, sender) is not None:
                raise RelayRejected(
                    participant=participant,
                    reason=f"{sender} is signed for by this gateway; submit operations instead",
                )
        tx_hash = "0x" + Web3.keccak(raw).hex().removeprefix("0x")
        to = fields.get("to")
        request_hash = request_hash or _request_hash(participant, RELAY_KIND, to, raw)
        existing = self.find(participant, idempotency_key, request_hash)
        if existing is not None:
            return existing
        now = utcnow()
        op = Operation(
            participant=participant,
            idempotency_key=idempotency_key,
            request_hash=request_hash,
            kind=RELAY_KIND,
            arguments={"tx_hash": tx_hash},
            sender=sender,
            to_address=to,
            data=bytes(fields.get("data", b"")),
            gas_limit=int(fields["gas"]),
            status=OperationStatus.SUBMITTED,
            nonce=int(fields["nonce"]),
            tx_hash=tx_hash,
            attempts=1,
            submitted_at=now,
        )
        try:
            with transaction(self.sessions) as session:
                session.add(op)
                session.flush()
                session.add(
                    Transaction(
                        tx_hash=tx_hash,
                        operation=op,
                        nonce=op.nonce,
                        raw=raw,
                        **_fee_columns(fields),
                    )
                )
        except IntegrityError:
            existing = self.find(participant, idempotency_key, request_hash)
            if existing is None:
                raise
            return existing
        self._broadcast(op.id, tx_hash, raw)
        return self.get(op.id)

    def get(self, operation_id: str) -> OperationView:
        with self._engine.connect() as conn:
            row = conn.execute(_SELECT_VIEW_BY_ID, {"b_id": operation_id}).first()
        if row is None:
            raise OperationNotFound(operation_id)
        return OperationView.of_row(row._mapping)

    def find(
        self, participant: str, idempotency_key: str, request_hash: str
    ) -> OperationView | None:
        """The operation accepted under the participant's key, if any; IdempotencyConflict
        if the key was used for another request (another `request_hash`)."""
        with self._engine.connect() as conn:
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
            with self._changed:
                self._changed.wait(min(remaining, self.poll_interval))

    def settled_here(self, operation_id: str) -> bool:
        """This process's pipeline saw the operation mined or failed (recently: the memory
        keeps the last _SETTLED_MEMORY). False says nothing: ask the database."""
        return operation_id in self._settled

    def _record_settled(self, operation_ids: Iterable[str]) -> None:
        with self._changed:
            for operation_id in operation_ids:
                self._settled[operation_id] = None
            while len(self._settled) > _SETTLED_MEMORY:
                self._settled.popitem(last=False)
        self._notify()

    def _notify(self) -> None:
        """Wakes this pipeline's waiters and tells the listeners that operations moved."""
        with self._changed:
            self._changed.notify_all()
        for listener in self.listeners:
            listener()

    # -- background loop ---------------------------------------------------------------

    def start(self) -> None:
        """Reconciles what a previous run left, then runs the loop in a daemon thread."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="scf-pipeline", daemon=True)
        self._thread.start()
        self._sender = threading.Thread(target=self._send_loop, name="scf-sender", daemon=True)
        self._sender.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        with self._changed:
            self._changed.notify_all()
        if self._sender is not None:
            self._outbox.put(None)
            self._sender.join(timeout)
            self._sender = None
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._pg is not None:
            self._pg.close()

    def _send_loop(self) -> None:
        """Broadcasts committed transactions in commit order, off the request threads.

        A transaction still in this queue when the process dies is stored: the next run's
        reconcile sends the same bytes.
        """
        while True:
            item = self._outbox.get()
            if item is None:
                return
            # Whatever queued up meanwhile goes out in the same request (a JSON-RPC batch).
            items = [item]
            stopping = False
            while len(items) < _SEND_BATCH:
                try:
                    more = self._outbox.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                items.append(more)
            try:
                changed = self._broadcast_many(items)
            except Exception:  # the loop rebroadcasts whatever did not go out
                log.exception("broadcast failed")
                changed = False
            if changed:
                self._notify()
            if stopping:
                return

    def _loop(self) -> None:
        reconciled = False
        delay = self.poll_interval
        while not self._stop.is_set():
            try:
                if not reconciled:
                    self.reconcile()
                    reconciled = True
                busy = self.run_once()
                delay = 0.0 if busy else self.poll_interval
            except Exception as exc:
                if not _unreachable(exc):
                    log.exception("pipeline loop error")
                delay = min(max(delay * 2, self.poll_interval), 5.0)
            self._stop.wait(delay)

    def run_once(self) -> bool:
        """One pass: send queued operations, confirm submitted ones. True if work remains."""
        sent = self.process_queued()
        confirmed = self.confirm()
        return sent > 0 or confirmed > 0

    def reconcile(self) -> int:
        """After a restart: settles every submitted operation against the chain now.

        Receipts are looked up by hash; an operation whose transaction the node no longer
        knows is rebroadcast with its stored bytes (same nonce), or re-signed only when
        the chain has moved past its nonce without mining any of its transactions.
        """
        # Stale = untouched since before this pipeline existed: what a previous run left.
        now = utcnow()
        return self._confirm((now - self._created_at) / timedelta(seconds=1), 1000, now)

    def process_queued(self, limit: int = 200) -> int:
        """Signs and sends queued operations (oldest first); returns how many were sent."""
        with self._engine.connect() as conn:
            ids = conn.scalars(_SELECT_QUEUED, {"b_limit": limit}).all()
        sent = 0
        for operation_id in ids:
            if self._advance(operation_id):
                sent += 1
        return sent

    def confirm(self, *, stale_after: float | None = None, limit: int = 1000) -> int:
        """Settles submitted operations against the chain; returns how many changed.

        Receipts only appear with blocks: once every operation the chain has passed is
        settled, passes in the same block skip to the next block (looking at stale
        operations at least every second). Receipts and account nonces are asked in
        JSON-RPC batches, and the mined operations marked in one database transaction.
        """
        return self._confirm(stale_after, limit, utcnow())

    def _confirm(self, stale_after: float | None, limit: int, now: datetime) -> int:
        # Ages are taken at `now`, when `stale_after` was decided: for reconcile, "stale"
        # is then exactly "last touched before this pipeline was created".
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
        with self._engine.connect() as conn:
            ops = conn.execute(_SELECT_SUBMITTED, {"b_limit": limit}).all()
            senders = sorted({op.sender for op in ops})
            counters: dict[str, int] = (
                {a: int(n) for a, n in conn.execute(_SELECT_COUNTERS, {"b_addresses": senders})}
                if senders
                else {}
            )
        chain_nonces = self._chain_nonces(senders)
        for sender in senders:
            if sender in counters and counters[sender] < chain_nonces[sender]:
                self._catch_up_nonce(sender, chain_nonces[sender])
        # Behind the chain's nonce: mined (or replaced). The common case is one
        # transaction that succeeded; anything else is settled one by one.
        passed = [op for op in ops if op.nonce < chain_nonces[op.sender]]
        plain = [op for op in passed if op.attempts == 1 and op.tx_hash is not None]
        receipts = self._receipts([op.tx_hash for op in plain])
        mined = [
            (op.id, op.tx_hash, receipt)
            for op, receipt in zip(plain, receipts, strict=True)
            if receipt is not None and receipt["status"] == 1
        ]
        settled = {operation_id for operation_id, _, _ in mined}
        changed = self._mark_mined(mined)
        unsettled = 0
        for op in passed:
            if op.id not in settled:
                done = self._settle(op.id)
                changed += done
                unsettled += done == 0
        for op in ops:
            if op.nonce >= chain_nonces[op.sender] and _age(op.updated_at, now) >= stale_after:
                changed += self._unstick(op.id, chain_nonces[op.sender])
        self._confirmed_at = started
        # A pass that left something the chain has passed (a receipt not served yet)
        # or that hit the limit is repeated at the next pass, new block or not.
        self._confirmed_block = block if unsettled == 0 and len(ops) < limit else None
        if changed:
            self._notify()
        return changed

    def _chain_nonces(self, senders: list[str]) -> dict[str, int]:
        """Each account's nonce in the latest block."""
        calls = [("eth_getTransactionCount", [_checksum(s), "latest"]) for s in senders]
        replies = self._batch.call(calls)
        if replies is not None and all(r.error is None for r in replies):
            return {s: quantity(r.result) for s, r in zip(senders, replies, strict=True)}
        return {s: int(self.w3.eth.get_transaction_count(_checksum(s), "latest")) for s in senders}

    def _receipts(self, hashes: list[str]) -> list[dict[str, int] | None]:
        """Status, block number and gas used of each transaction; None if not mined."""
        replies: list[Reply] | None = self._batch.call(
            [("eth_getTransactionReceipt", [tx_hash]) for tx_hash in hashes]
        )
        if replies is not None and all(r.error is None for r in replies):
            return [None if r.result is None else _receipt_fields(r.result) for r in replies]
        found: list[dict[str, int] | None] = []
        for tx_hash in hashes:
            try:
                receipt = self.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
            except TransactionNotFound:
                found.append(None)
                continue
            found.append(_receipt_fields(receipt))
        return found

    # -- sending -----------------------------------------------------------------------

    def _estimate(self, sender: str, to: str, data: bytes) -> int:
        params: TxParams = {
            "from": _checksum(sender),
            "to": _checksum(to),
            "data": data,
        }
        estimate = call_decoding_reverts(lambda: self.w3.eth.estimate_gas(params))
        return int(estimate * self.gas_margin)

    def _chain(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    def _sign_row(
        self,
        conn: Connection,
        row: dict[str, Any],
        signer: Signer,
        fees: FeeFields,
        chain_id: int,
        *,
        insert: bool = False,
    ) -> tuple[str, bytes]:
        """Allocates the account's next nonce (row lock held until commit) and signs.

        Fills `row` (an operation's columns) with the nonce and transaction, inserts it if
        `insert`, and inserts the transaction. Fees and chain id are looked up before the
        transaction, so the lock is held for a read, a signature and two writes (plus one
        node call the first time an account is seen, to start its counter at the chain's
        pending nonce).
        """
        now = utcnow()
        nonce = self._allocate_nonce(conn, signer.address, now)
        transaction = _sign(row, signer, fees, chain_id, nonce, now)
        if insert:  # a new operation: its row goes in with the nonce already on it
            conn.execute(_INSERT_OPERATION, row)
        conn.execute(_INSERT_TRANSACTION, transaction)
        return transaction["tx_hash"], transaction["raw"]

    def _sign_new_pg(
        self, pg: PgSubmit, row: dict[str, Any], signer: Signer, fees: FeeFields, chain_id: int
    ) -> tuple[str, bytes]:
        """`_sign_row(..., insert=True)` for a new operation, on PostgreSQL's fast paths.

        The account's next nonce is expected to be one more than the last this process
        took (kept in memory, handed to one thread at a time): signed with it and stored
        in one statement that takes the nonce only if it is that one. Otherwise (first
        operation of the account here, another process or thread took it, the counter
        moved) the nonce is taken under the row lock and then signed.
        """
        address = signer.address
        now = utcnow()
        with self._nonce_lock:
            expected = self._next_nonces.pop(address, None)
        if expected is not None:
            attempt = dict(row)
            transaction = _sign(attempt, signer, fees, chain_id, expected, now)
            if pg.insert_predicted(address, expected, now, attempt, transaction):
                row.update(attempt)
                self._expect_nonce(address, expected + 1)
                return transaction["tx_hash"], transaction["raw"]
        signed: list[tuple[dict[str, Any], dict[str, Any]]] = []

        def sign(nonce: int) -> tuple[dict[str, Any], dict[str, Any]]:
            attempt = dict(row)  # a fresh copy each time: `run` may retry
            signed.append((attempt, _sign(attempt, signer, fees, chain_id, nonce, now)))
            return signed[-1]

        pg.run(address, now, lambda: self._pending_nonce(address), sign)
        stored, transaction = signed[-1]
        row.update(stored)
        self._expect_nonce(address, int(row["nonce"]) + 1)
        return transaction["tx_hash"], transaction["raw"]

    def _expect_nonce(self, address: str, nonce: int) -> None:
        with self._nonce_lock:
            if len(self._next_nonces) >= 100_000:  # bounded: a guess is only a shortcut
                self._next_nonces.clear()
            self._next_nonces[address] = nonce

    def _pending_nonce(self, address: str) -> int:
        return int(self.w3.eth.get_transaction_count(_checksum(address), "pending"))

    def _allocate_nonce(self, conn: Connection, address: str, now: datetime) -> int:
        """Takes the account's next nonce. The UPDATE locks the row until commit, so
        concurrent allocators (threads, processes) queue on it and never share a nonce."""
        take = {"b_address": address, "b_now": now}
        taken = conn.execute(_TAKE_NONCE, take).scalar_one_or_none()
        if taken is None:
            start = self._pending_nonce(address)
            dialect_insert = postgresql.insert if self._postgres else sqlite.insert
            conn.execute(
                dialect_insert(AccountNonce)
                .values(address=address, next_nonce=start, updated_at=now)
                .on_conflict_do_nothing()
            )
            taken = conn.execute(_TAKE_NONCE, take).scalar_one()
        return int(taken) - 1

    def _catch_up_nonce(self, address: str, chain_nonce: int) -> None:
        """Moves the counter up when the chain is ahead (the key was used elsewhere)."""
        with transaction(self.sessions) as session:
            session.execute(
                update(AccountNonce)
                .where(AccountNonce.address == address, AccountNonce.next_nonce < chain_nonce)
                .values(next_nonce=chain_nonce, updated_at=utcnow())
            )

    def _advance(self, operation_id: str) -> bool:
        """Queued -> submitted for one operation; False if another worker took it."""
        with self.sessions() as session:
            op = session.get(Operation, operation_id)
            if op is None or op.status != OperationStatus.QUEUED:
                return False
            participant, sender, to, data, gas = (
                op.participant,
                op.sender,
                op.to_address,
                op.data,
                op.gas_limit,
            )
        signer = self.signer_for(participant)
        if signer.address != sender:
            self._fail(
                operation_id,
                message=f"{participant}'s key changed from {sender} to {signer.address}",
            )
            return False
        if gas is None:
            assert to is not None
            try:
                gas = self._estimate(sender, to, data)
            except (ContractRevert, UnknownRevert) as exc:
                self._fail(operation_id, error=exc)
                return True
        fees, chain_id = self.fees.fields(), self._chain()
        with self._engine.begin() as conn:
            locked = conn.execute(_LOCK_OPERATION, {"b_id": operation_id}).first()
            if locked is None or locked.status != OperationStatus.QUEUED:
                return False
            row = dict(locked._mapping)
            row["gas_limit"] = gas
            signed = self._sign_row(conn, row, signer, fees, chain_id)
            conn.execute(
                OPERATIONS.update()
                .where(OPERATIONS.c.id == operation_id)
                .values(
                    {
                        key: row[key]
                        for key in (
                            "gas_limit",
                            "status",
                            "nonce",
                            "tx_hash",
                            "attempts",
                            "submitted_at",
                            "updated_at",
                        )
                    }
                )
            )
        self._broadcast(operation_id, *signed)
        return True

    def _insert_queued(self, row: Mapping[str, Any]) -> OperationView:
        now = utcnow()
        fresh = {
            **_EMPTY_OPERATION,
            **{
                c: row[c]
                for c in (
                    "participant",
                    "idempotency_key",
                    "request_hash",
                    "kind",
                    "arguments",
                    "sender",
                    "to_address",
                    "data",
                    "gas_limit",
                )
            },
            "id": new_id(),
            "created_at": now,
            "updated_at": now,
        }
        try:
            with self._engine.begin() as conn:
                conn.execute(_INSERT_OPERATION, fresh)
        except IntegrityError:
            existing = self.find(row["participant"], row["idempotency_key"], row["request_hash"])
            if existing is None:
                raise
            return existing
        return OperationView.of_row(fresh)

    def _broadcast(self, operation_id: str, tx_hash: str, raw: bytes) -> bool:
        """Sends signed bytes; only a definite refusal changes the operation (returns True)."""
        try:
            self.w3.eth.send_raw_transaction(raw)
        except Exception as exc:
            if _unreachable(exc):
                log.warning("broadcast of %s deferred: node unreachable", tx_hash)
                return False
            return self._not_sent(operation_id, tx_hash, rpc_message(exc))
        return False

    def _broadcast_many(self, items: list[tuple[str, str, bytes]]) -> bool:
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
                    if _unreachable(exc):
                        # The rest would wait out the same retries: the loop resends them.
                        log.warning("broadcast of %s and later deferred: node unreachable", tx_hash)
                        break
                    changed |= self._not_sent(operation_id, tx_hash, rpc_message(exc))
            return changed
        for (operation_id, tx_hash, _), reply in zip(items, replies, strict=True):
            if reply.error is not None:
                changed |= self._not_sent(operation_id, tx_hash, reply.error)
        return changed

    def _not_sent(self, operation_id: str, tx_hash: str, message: str) -> bool:
        """The node answered a broadcast with an error: settles what it means."""
        lowered = message.lower()
        if any(p in lowered for p in _ALREADY_KNOWN):
            return False
        if any(p in lowered for p in _NONCE_TOO_LOW + _UNDERPRICED):
            # Mined already, or the nonce is taken: settled by receipt and chain nonce.
            self.confirm_one(operation_id)
            return True
        log.warning("node refused %s: %s", tx_hash, message)
        self._refused(operation_id, tx_hash, message)
        return True

    def confirm_one(self, operation_id: str) -> None:
        with self.sessions() as session:
            op = session.get(Operation, operation_id)
            if op is None or op.status != OperationStatus.SUBMITTED:
                return
            sender, nonce = op.sender, op.nonce
        assert nonce is not None
        chain_nonce = self.w3.eth.get_transaction_count(to_checksum_address(sender), "latest")
        if nonce < chain_nonce:
            self._settle(operation_id)
        # Otherwise the loop looks again once the operation is stale; replacing it now
        # would only race the transaction already in the pool.

    def _refused(self, operation_id: str, tx_hash: str, reason: str) -> None:
        """The node will not take this transaction (never in a block).

        A relayed transaction just fails. A gateway-signed one gives its nonce to a
        0-value self-transfer, so the account's later nonces are not stuck behind a hole;
        the operation fails when that cancel is mined (or succeeds, should the original
        be mined after all somewhere).
        """
        with transaction(self.sessions) as session:
            op = session.scalars(
                select(Operation).where(Operation.id == operation_id).with_for_update()
            ).one()
            if op.status != OperationStatus.SUBMITTED:
                return
            op.error_name = "TransactionRejected"
            op.error_message = f"node rejected {tx_hash}: {reason}"
            if op.kind == RELAY_KIND:
                op.status = OperationStatus.FAILED
                return
            signer = self.signer_for(op.participant)
            assert op.nonce is not None
            fees = self.fees.fields()
            tx = {
                "chainId": self._chain(),
                "nonce": op.nonce,
                "to": op.sender,
                "value": 0,
                "gas": CANCEL_GAS,
                **fees,
            }
            signed = signer.sign_transaction(tx)
            cancel_hash = "0x" + bytes(signed.hash).hex()
            cancel_raw = bytes(signed.raw_transaction)
            session.add(
                Transaction(
                    tx_hash=cancel_hash,
                    operation_id=op.id,
                    purpose="cancel",
                    nonce=op.nonce,
                    raw=cancel_raw,
                    **_fee_columns(fees),
                )
            )
            op.attempts += 1
            op.updated_at = utcnow()
        try:
            self.w3.eth.send_raw_transaction(cancel_raw)
        except Exception as exc:  # the loop rebroadcasts it
            log.warning("cancel %s not sent yet: %s", cancel_hash, type(exc).__name__)

    # -- settling ----------------------------------------------------------------------

    def _settle(self, operation_id: str) -> int:
        """The chain is past this operation's nonce: find which of its transactions mined."""
        with self.sessions() as session:
            op = session.scalars(
                select(Operation)
                .where(Operation.id == operation_id)
                .options(selectinload(Operation.transactions))
            ).one()
            if op.status != OperationStatus.SUBMITTED:
                return 0
            attempts = [(t.tx_hash, t.purpose) for t in reversed(op.transactions)]
            quiet_for = _age(op.updated_at)
        for tx_hash, purpose in attempts:
            try:
                receipt = self.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
            except TransactionNotFound:
                continue
            return self._finish(operation_id, tx_hash, purpose, receipt)
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
        with transaction(self.sessions) as session:
            op = session.scalars(
                select(Operation).where(Operation.id == operation_id).with_for_update()
            ).one()
            if op.status != OperationStatus.SUBMITTED:
                return 0
            log.warning("nonce %s of %s was taken by another transaction", op.nonce, op.sender)
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
        return 1

    def _mark_mined(self, mined: list[tuple[str, str, dict[str, int]]]) -> int:
        """Marks a batch of operations mined: one statement, many parameter sets."""
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
        with self._engine.begin() as conn:
            result = conn.execute(_MARK_MINED, params)
        self._record_settled(operation_id for operation_id, _hash, _receipt in mined)
        changed = int(getattr(result, "rowcount", -1))
        # Drivers that do not count over executemany report -1: one per operation then.
        return changed if changed >= 0 else len(mined)

    def _finish(self, operation_id: str, tx_hash: str, purpose: str, receipt: Any) -> int:
        failure: ContractRevert | UnknownRevert | None = None
        if receipt["status"] != 1 and purpose == "call":
            with self.sessions() as session:
                op = session.get(Operation, operation_id)
                assert op is not None
                replay: TxParams = {
                    "from": to_checksum_address(op.sender),
                    "to": to_checksum_address(op.to_address) if op.to_address else None,  # type: ignore[typeddict-item]
                    "data": op.data,
                    "gas": op.gas_limit or receipt["gasUsed"],
                }
            failure = mined_failure(self.w3, replay, receipt["blockNumber"])
        with transaction(self.sessions) as session:
            op = session.scalars(
                select(Operation).where(Operation.id == operation_id).with_for_update()
            ).one()
            if op.status != OperationStatus.SUBMITTED:
                return 0
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
                    _set_failure(op, failure)
                else:
                    op.error_name = "TransactionFailed"
                    op.error_message = f"transaction {tx_hash} failed in block {op.block_number}"
        self._record_settled([operation_id])
        return 1

    def _unstick(self, operation_id: str, chain_nonce: int) -> int:
        """Not mined for a while: rebroadcast if the node lost it, replace if underpriced."""
        with self.sessions() as session:
            op = session.scalars(
                select(Operation)
                .where(Operation.id == operation_id)
                .options(selectinload(Operation.transactions))
            ).one()
            if op.status != OperationStatus.SUBMITTED or not op.transactions:
                return 0
            latest = op.transactions[-1]
            tx_hash, raw, purpose, nonce = latest.tx_hash, latest.raw, latest.purpose, latest.nonce
            previous = _fee_fields(latest)
            kind = op.kind
        try:
            known = self.w3.eth.get_transaction(HexBytes(tx_hash)) is not None
        except TransactionNotFound:
            known = False
        if not known:
            log.info("rebroadcasting %s (nonce %d)", tx_hash, nonce)
            self._touch(operation_id)
            try:
                self.w3.eth.send_raw_transaction(raw)
            except Exception as exc:
                message = rpc_message(exc).lower()
                if any(p in message for p in _NONCE_TOO_LOW):
                    return self._settle(operation_id)
                refused = not any(p in message for p in _ALREADY_KNOWN) and not _unreachable(exc)
                if refused and purpose == "call":
                    self._refused(operation_id, tx_hash, rpc_message(exc))
            return 1
        current = self.fees.fields()
        if nonce != chain_nonce or kind == RELAY_KIND or (is_zero(previous) and is_zero(current)):
            # Waiting behind an earlier nonce, not ours to re-sign, or no fee to raise.
            self._touch(operation_id)
            return 0
        return self._replace(operation_id, previous, current)

    def _replace(self, operation_id: str, previous: FeeFields, current: FeeFields) -> int:
        """Re-signs the pending transaction with the same nonce and higher fees."""
        with transaction(self.sessions) as session:
            op = session.scalars(
                select(Operation)
                .where(Operation.id == operation_id)
                .options(selectinload(Operation.transactions))
                .with_for_update()
            ).one()
            if op.status != OperationStatus.SUBMITTED:
                return 0
            latest = op.transactions[-1]
            signer = self.signer_for(op.participant)
            fees = bumped(previous, current)
            if latest.purpose == "cancel":
                tx: dict[str, Any] = {"to": op.sender, "gas": CANCEL_GAS}
            else:
                tx = {"to": op.to_address, "data": op.data, "gas": op.gas_limit}
            tx.update({"chainId": self._chain(), "nonce": latest.nonce, "value": 0, **fees})
            signed = signer.sign_transaction(tx)
            tx_hash = "0x" + bytes(signed.hash).hex()
            raw = bytes(signed.raw_transaction)
            session.add(
                Transaction(
                    tx_hash=tx_hash,
                    operation_id=op.id,
                    purpose=latest.purpose,
                    nonce=latest.nonce,
                    raw=raw,
                    **_fee_columns(fees),
                )
            )
            if latest.purpose == "call":
                op.tx_hash = tx_hash
            op.attempts += 1
            op.updated_at = utcnow()
        log.info("replacing nonce %d of %s with %s", latest.nonce, op.sender, tx_hash)
        try:
            self.w3.eth.send_raw_transaction(raw)
        except Exception as exc:
            log.warning("replacement %s not accepted yet: %s", tx_hash, rpc_message(exc))
        return 1

    def _touch(self, operation_id: str) -> None:
        with transaction(self.sessions) as session:
            session.execute(
                update(Operation).where(Operation.id == operation_id).values(updated_at=utcnow())
            )

    def _fail(
        self,
        operation_id: str,
        *,
        error: ContractRevert | UnknownRevert | None = None,
        message: str | None = None,
    ) -> None:
        with transaction(self.sessions) as session:
            op = session.scalars(
                select(Operation).where(Operation.id == operation_id).with_for_update()
            ).one()
            if op.status != OperationStatus.QUEUED:
                return
            if error is not None:
                _set_failure(op, error)
            else:
                op.error_name = "OperationRefused"
                op.error_message = message
            op.status = OperationStatus.FAILED
            op.updated_at = utcnow()
        self._record_settled([operation_id])


# -- helpers ---------------------------------------------------------------------------


OPERATIONS = cast(Table, Operation.__table__)
TRANSACTIONS = cast(Table, Transaction.__table__)
NONCES = cast(Table, AccountNonce.__table__)

_QUEUED = OperationStatus.QUEUED.value
_SUBMITTED = OperationStatus.SUBMITTED.value
_MINED = OperationStatus.MINED.value
# Signed transactions broadcast in one JSON-RPC batch, at most.
_SEND_BATCH = 100
_SETTLED_MEMORY = 100_000  # operation ids remembered as settled by this process

# Every column of a new operation that the caller does not set. Statements below are built
# once: executing a prebuilt statement with fresh parameters reuses its compiled form.
_EMPTY_OPERATION: dict[str, Any] = {column.key: None for column in OPERATIONS.columns} | {
    "status": _QUEUED,
    "attempts": 0,
}
_INSERT_OPERATION = OPERATIONS.insert()
_INSERT_TRANSACTION = TRANSACTIONS.insert()
_TAKE_NONCE = (
    NONCES.update()
    .where(NONCES.c.address == bindparam("b_address"))
    .values(next_nonce=NONCES.c.next_nonce + 1, updated_at=bindparam("b_now"))
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
_TRANSACTION_COLUMNS = [
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
_JSON_COLUMNS = frozenset(c.key for c in OPERATIONS.columns if isinstance(c.type, JSON))
_VIEW_COLUMNS = [OPERATIONS.c[name] for name in _VIEW_FIELDS]
_SELECT_VIEW_BY_ID = select(*_VIEW_COLUMNS).where(OPERATIONS.c.id == bindparam("b_id"))
_SELECT_VIEW_BY_KEY = select(*_VIEW_COLUMNS, OPERATIONS.c.request_hash).where(
    OPERATIONS.c.participant == bindparam("b_participant"),
    OPERATIONS.c.idempotency_key == bindparam("b_key"),
)
_LOCK_OPERATION = select(OPERATIONS).where(OPERATIONS.c.id == bindparam("b_id")).with_for_update()
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
_SELECT_COUNTERS = select(NONCES.c.address, NONCES.c.next_nonce).where(
    NONCES.c.address.in_(bindparam("b_addresses", expanding=True))
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


@lru_cache(maxsize=4096)
def _checksum(address: str) -> ChecksumAddress:
    """EIP-55 form of an address (a keccak each time; the same few addresses recur)."""
    return to_checksum_address(address)


def _receipt_fields(receipt: Mapping[str, Any]) -> dict[str, int]:
    """What the pipeline records of a receipt (JSON-RPC hex or web3.py's ints)."""
    return {
        "status": quantity(receipt["status"]),
        "blockNumber": quantity(receipt["blockNumber"]),
        "gasUsed": quantity(receipt["gasUsed"]),
    }


def _sign(
    row: dict[str, Any], signer: Signer, fees: FeeFields, chain_id: int, nonce: int, now: datetime
) -> dict[str, Any]:
    """Signs an operation's transaction with `nonce`: fills `row` (its columns) and returns
    the transaction's columns."""
    gas = row["gas_limit"]
    assert gas is not None
    tx: dict[str, Any] = {
        "chainId": chain_id,
        "nonce": nonce,
        "to": row["to_address"],
        "data": row["data"],
        "value": 0,
        "gas": gas,
        **fees,
    }
    signed = signer.sign_transaction(tx)
    tx_hash = "0x" + bytes(signed.hash).hex()
    raw = bytes(signed.raw_transaction)
    row["status"] = _SUBMITTED
    row["nonce"] = nonce
    row["tx_hash"] = tx_hash
    row["attempts"] += 1
    row["submitted_at"] = now
    row["updated_at"] = now
    return {
        "tx_hash": tx_hash,
        "operation_id": row["id"],
        "purpose": "call",
        "nonce": nonce,
        "raw": raw,
        "created_at": now,
        **_fee_columns(fees),
    }


def _request_hash(participant: str, kind: str, to: str | None, data: bytes) -> str:
    body = json.dumps([participant, kind, to, data.hex()], separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def _set_failure(op: Operation, error: ContractRevert | UnknownRevert) -> None:
    for key, value in _failure_columns(error).items():
        setattr(op, key, value)


def _failure_columns(error: ContractRevert | UnknownRevert) -> dict[str, Any]:
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


def _fee_columns(fees: Mapping[str, Any]) -> dict[str, int | None]:
    def get(name: str) -> int | None:
        value = fees.get(name)
        return None if value is None else int(value)

    return {
        "gas_price": get("gasPrice"),
        "max_fee_per_gas": get("maxFeePerGas"),
        "max_priority_fee_per_gas": get("maxPriorityFeePerGas"),
    }


def _fee_fields(tx: Transaction) -> FeeFields:
    if tx.gas_price is not None:
        return {"gasPrice": tx.gas_price}
    return {
        "maxFeePerGas": tx.max_fee_per_gas or 0,
        "maxPriorityFeePerGas": tx.max_priority_fee_per_gas or 0,
    }


def _decode_raw(raw: bytes) -> dict[str, Any]:
    """Nonce, gas, fees, to and data of a signed raw transaction (legacy or typed)."""
    if raw and raw[0] <= 0x7F:
        fields = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
    else:
        from eth_account._utils.legacy_transactions import Transaction as LegacyTransaction

        fields = LegacyTransaction.from_bytes(raw).as_dict()
    to = fields.get("to")
    fields["to"] = to_checksum_address(to) if to else None
    return dict(fields)


def _unreachable(exc: BaseException) -> bool:
    return isinstance(exc, ChainUnavailable) or is_transient(exc)


def _age(moment: datetime, now: datetime | None = None) -> float:
    now = now or utcnow()
    if moment.tzinfo is None:  # SQLite returns naive datetimes for aware columns
        moment = moment.replace(tzinfo=now.tzinfo)
    return (now - moment) / timedelta(seconds=1)
