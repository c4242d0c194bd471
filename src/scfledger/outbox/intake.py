"""Intake: accepting an operation (idempotently), signing it, or queueing it for later."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from eth_account import Account
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from eth_utils.address import to_checksum_address
from hexbytes import HexBytes
from sqlalchemy.exc import IntegrityError
from web3 import Web3
from web3.types import TxParams

from scfledger.chain.batch import Batcher, quantity
from scfledger.chain.calls import ContractCall
from scfledger.chain.fees import FeeFields, FeePolicy
from scfledger.chain.known_gas import known_gas
from scfledger.chain.reverts import call_decoding_reverts
from scfledger.chain.tx import GAS_MARGIN
from scfledger.db.models import OperationStatus, new_id, utcnow
from scfledger.exceptions import ContractRevert, RelayRejected, UnknownRevert
from scfledger.keys.store import Signer
from scfledger.outbox.broadcaster import Broadcaster
from scfledger.outbox.nonces import NonceAllocator
from scfledger.outbox.operation import (
    RELAY_KIND,
    OperationView,
    Queued,
    checksum,
    to_json,
    unreachable,
)
from scfledger.outbox.operation import request_hash as default_request_hash
from scfledger.outbox.progress import Progress
from scfledger.outbox.signing import Signed, fee_columns, sign_transaction
from scfledger.outbox.store import OperationStore, failure_columns, new_operation

log = logging.getLogger(__name__)
# Queued operations of one account simulated in one JSON-RPC batch and signed and stored in
# one transaction: a chunk holds its account's nonce row (SQLite: the database) while it
# signs (~0.25 ms each).
ADVANCE_CHUNK = 200

# The columns a queued operation keeps of what was asked (a retry after the node came back).
_ASKED = (
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


class Intake:
    """Turns requests into stored operations: signed with a nonce when the chain answers."""

    def __init__(
        self,
        *,
        w3: Web3,
        store: OperationStore,
        nonces: NonceAllocator,
        broadcaster: Broadcaster,
        fees: FeePolicy,
        signer_for: Callable[[str], Signer],
        chain_id: Callable[[], int],
        progress: Progress,
        gas_margin: float,
        lanes: int = 1,
    ) -> None:
        self.w3 = w3
        self.store = store
        self.nonces = nonces
        self.broadcaster = broadcaster
        self.fees = fees
        self.signer_for = signer_for
        self.chain_id = chain_id
        self.progress = progress
        self.gas_margin = gas_margin
        self._batch = Batcher(w3)
        # Accounts whose queued operations are advanced at once (threads; see `advance`).
        self.lanes = lanes
        self._pool: ThreadPoolExecutor | None = None

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
        """See `Pipeline.submit`."""
        signer = self.signer_for(participant)
        data = call.calldata()
        kind = kind or f"{call.contract}.{call.function}"
        to = checksum(call.address)
        request_hash = request_hash or default_request_hash(participant, kind, to, data)
        # No look-up first: a retry is rare, and the unique key catches it at insert.

        failure: ContractRevert | UnknownRevert | None = None
        queued = False
        if gas is None:
            try:
                gas = self.estimate(signer.address, to, data)
            except (ContractRevert, UnknownRevert) as exc:
                failure = exc
            except Exception as exc:
                if not unreachable(exc):
                    raise
                queued = True

        row = new_operation(
            id=new_id(),
            participant=participant,
            idempotency_key=idempotency_key,
            request_hash=request_hash,
            kind=kind,
            arguments={
                "contract": call.contract,
                "address": to,
                "function": call.function,
                "args": to_json(call.args),
            },
            sender=signer.address,
            to_address=to,
            data=data,
            gas_limit=gas,
        )
        if failure is not None:
            row.update(failure_columns(failure))
        fees: FeeFields | None = None
        chain_id = 0
        if failure is None and not queued:
            try:
                fees, chain_id = self.fees.fields(), self.chain_id()
            except Exception as exc:
                if not unreachable(exc):
                    raise
                queued = True
        try:
            signed: Signed | None = None
            if fees is not None:
                sign = _signing(signer, row, chain_id, fees)
                row, signed = self.nonces.store_new(row, signer.address, sign)
            else:
                self.store.accept(row)
        except IntegrityError:
            existing = self.store.find(participant, idempotency_key, request_hash)
            if existing is None:
                raise
            return existing
        except Exception as exc:
            if not unreachable(exc):
                raise
            # The node went away between estimation and fee lookup: accept as queued.
            return self._accept_queued(row)
        if signed is not None and self.broadcaster.dispatch(row["id"], signed.tx_hash, signed.raw):
            return self.store.get(row["id"])
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
        """See `Pipeline.relay`."""
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
        if self.nonces.allocates(sender):
            raise RelayRejected(
                participant=participant,
                reason=f"{sender} is signed for by this gateway; submit operations instead",
            )
        tx_hash = "0x" + Web3.keccak(raw).hex().removeprefix("0x")
        to = fields.get("to")
        request_hash = request_hash or default_request_hash(participant, RELAY_KIND, to, raw)
        existing = self.store.find(participant, idempotency_key, request_hash)
        if existing is not None:
            return existing
        operation_id = new_id()
        try:
            self.store.accept_relayed(
                {
                    "id": operation_id,
                    "participant": participant,
                    "idempotency_key": idempotency_key,
                    "request_hash": request_hash,
                    "kind": RELAY_KIND,
                    "arguments": {"tx_hash": tx_hash},
                    "sender": sender,
                    "to_address": to,
                    "data": bytes(fields.get("data", b"")),
                    "gas_limit": int(fields["gas"]),
                    "status": OperationStatus.SUBMITTED,
                    "nonce": int(fields["nonce"]),
                    "tx_hash": tx_hash,
                    "attempts": 1,
                    "submitted_at": utcnow(),
                },
                {"tx_hash": tx_hash, "nonce": int(fields["nonce"]), "raw": raw}
                | fee_columns(fields),
            )
        except IntegrityError:
            existing = self.store.find(participant, idempotency_key, request_hash)
            if existing is None:
                raise
            return existing
        self.broadcaster.send(operation_id, tx_hash, raw)
        return self.store.get(operation_id)

    def advance(self, operation_ids: Sequence[str]) -> int:
        """Queued -> submitted (or failed) for those of the operations still queued;
        returns how many moved.

        The operations are loaded in one query and split by sending account into lanes:
        nonces are per account, so lanes are independent and run at once (`lanes`
        threads), each in order of its account's operations, `ADVANCE_CHUNK` at a time:
        simulated in one JSON-RPC batch (`estimate_many`), given consecutive nonces,
        signed and stored in one database transaction (`store_queued_many`) and handed to
        the sender thread (`Broadcaster.dispatch_many`) in nonce order. Two lanes of one
        account never run at once: a call returns when every lane has ended."""
        moved = 0
        signers: dict[str, Signer] = {}
        lanes: dict[str, list[tuple[str, Queued]]] = {}  # sender -> its operations, in order
        for operation_id, op in self.store.queued_many(operation_ids):
            signer = signers.get(op.participant) or signers.setdefault(
                op.participant, self.signer_for(op.participant)
            )
            if signer.address != op.sender:
                message = f"{op.participant}'s key changed from {op.sender} to {signer.address}"
                if self.store.fail_queued(operation_id, message=message):
                    self.progress.finished([operation_id])
                    moved += 1
            else:
                lanes.setdefault(op.sender, []).append((operation_id, op))
        if not lanes:
            return moved
        fees, chain_id = self.fees.fields(), self.chain_id()
        by_address: dict[str, Signer] = {signer.address: signer for signer in signers.values()}
        work = [
            functools.partial(self._lane, by_address[sender], ops, fees, chain_id)
            for sender, ops in lanes.items()
        ]
        if self.lanes <= 1 or len(work) == 1:
            return moved + sum(lane() for lane in work)
        pool = self._pool
        if pool is None:
            pool = self._pool = ThreadPoolExecutor(self.lanes, thread_name_prefix="scf-lane")
        futures = [pool.submit(lane) for lane in work]
        failure: BaseException | None = None
        for future in futures:  # every lane ends before the next pass starts
            try:
                moved += future.result()
            except Exception as exc:
                failure = failure or exc
        if failure is not None:
            raise failure
        return moved

    def _lane(
        self, signer: Signer, ops: Sequence[tuple[str, Queued]], fees: FeeFields, chain_id: int
    ) -> int:
        """One account's queued operations (oldest first), `ADVANCE_CHUNK` at a time."""
        moved = 0

        def sign(row: Mapping[str, Any], nonce: int) -> Signed:
            return _signing(signer, row, chain_id, fees)(nonce)

        for start in range(0, len(ops), ADVANCE_CHUNK):
            chunk = ops[start : start + ADVANCE_CHUNK]
            gas: dict[str, int] = {}
            unknown: list[tuple[str, Queued]] = []
            for operation_id, op in chunk:
                if op.gas_limit is None:
                    assert op.to_address is not None  # queued operations call a contract
                    unknown.append((operation_id, op))
                else:
                    gas[operation_id] = op.gas_limit
            estimates = self.estimate_many(
                [(op.sender, op.to_address or "", op.data) for _, op in unknown]
            )
            for (operation_id, _), estimate in zip(unknown, estimates, strict=True):
                if isinstance(estimate, int):
                    gas[operation_id] = estimate
                elif self.store.fail_queued(operation_id, error=estimate):
                    self.progress.finished([operation_id])
                    moved += 1
            if not gas:
                continue
            stored = self.nonces.store_queued_many(gas, signer.address, sign)
            if stored:
                self.broadcaster.dispatch_many(
                    [(columns["id"], signed.tx_hash, signed.raw) for columns, signed in stored]
                )
            moved += len(stored)
        return moved

    def close(self) -> None:
        """Ends the lanes' threads."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def estimate_many(
        self, calls: Sequence[tuple[str, str, bytes]]
    ) -> list[int | ContractRevert | UnknownRevert]:
        """The gas limit of each (sender, to, data), or the error it reverts with, in one
        JSON-RPC batch: a call of known gas (`chain.known_gas`) is simulated with it
        (`eth_call`), any other estimated (`eth_estimateGas`). A call the batch answered
        with an error is estimated again alone, so its revert is decoded from the node's
        error data (a batch reply keeps the message only). Raises if the node is
        unreachable."""
        requests: list[tuple[str, list[Any]]] = []
        for sender, to, data in calls:
            params: dict[str, Any] = {"from": checksum(sender), "to": checksum(to)}
            params["data"] = "0x" + data.hex()
            known = self.known_limit(data)
            if known is None:
                requests.append(("eth_estimateGas", [params]))
            else:
                requests.append(("eth_call", [params | {"gas": hex(known)}, "latest"]))
        replies = self._batch.call(requests)
        results: list[int | ContractRevert | UnknownRevert] = []
        for index, (sender, to, data) in enumerate(calls):
            reply = None if replies is None else replies[index]
            if reply is not None and reply.error is None:
                known = self.known_limit(data)
                gas = known if known is not None else int(quantity(reply.result) * self.gas_margin)
                results.append(gas)
                continue
            try:
                results.append(self.estimate(sender, to, data, simulate=replies is None))
            except (ContractRevert, UnknownRevert) as exc:
                results.append(exc)
        return results

    def estimate(self, sender: str, to: str, data: bytes, *, simulate: bool = True) -> int:
        """The gas limit of a call, or its decoded revert (ContractRevert, UnknownRevert).

        A call of known gas is simulated with it (one execution) unless `simulate` is
        False; one that fails so (refused, or more gas than known) is estimated."""
        params: TxParams = {"from": checksum(sender), "to": checksum(to), "data": data}
        known = self.known_limit(data) if simulate else None
        if known is not None:
            try:
                call_decoding_reverts(lambda: self.w3.eth.call({**params, "gas": known}))
                return known
            except (ContractRevert, UnknownRevert):
                pass  # refused, or the known gas is not enough now: the estimate says which
        estimate = call_decoding_reverts(lambda: self.w3.eth.estimate_gas(params))
        return int(estimate * self.gas_margin)

    def known_limit(self, data: bytes) -> int | None:
        """The call's known gas (`chain.known_gas`) scaled to this pipeline's margin."""
        known = known_gas(data)
        return None if known is None else int(known * self.gas_margin / GAS_MARGIN)

    def _accept_queued(self, row: Mapping[str, Any]) -> OperationView:
        fresh = new_operation(id=new_id(), **{c: row[c] for c in _ASKED})
        try:
            self.store.accept(fresh)
        except IntegrityError:
            existing = self.store.find(
                row["participant"], row["idempotency_key"], row["request_hash"]
            )
            if existing is None:
                raise
            return existing
        return OperationView.of_row(fresh)


def _signing(
    signer: Signer, row: Mapping[str, Any], chain_id: int, fees: FeeFields
) -> Callable[[int], Signed]:
    """Signs the operation `row`'s call with a nonce (the one signing path of a call)."""

    def sign(nonce: int) -> Signed:
        gas = row["gas_limit"]
        assert gas is not None
        return sign_transaction(
            signer,
            operation_id=row["id"],
            chain_id=chain_id,
            nonce=nonce,
            fees=fees,
            to=row["to_address"],
            data=row["data"],
            gas=gas,
        )

    return sign


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
