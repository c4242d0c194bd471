"""Sends a contract transaction from a local key or a node-managed account and waits for it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, cast

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3
from web3.logs import DISCARD
from web3.types import Nonce, TxParams, TxReceipt

from scfledger.chain.reverts import call_decoding_reverts
from scfledger.exceptions import ChainError, ContractRevert, UnknownRevert

Sender = LocalAccount | ChecksumAddress

# Headroom over the estimate: state can move between estimation and inclusion.
GAS_MARGIN = 1.25


class Transactable(Protocol):
    """A bound contract function or constructor of web3.py."""

    def build_transaction(self, transaction: TxParams | None = None) -> TxParams: ...


def sender_address(sender: Sender) -> ChecksumAddress:
    return sender.address if isinstance(sender, LocalAccount) else sender


def send(w3: Web3, call: Transactable, sender: Sender, *, gas: int | None = None) -> TxReceipt:
    """Estimates (reverts surface here, decoded), signs if the key is local, sends, waits.

    A transaction mined with status 0 raises ChainError.
    """
    [receipt] = send_all(w3, [call], sender, gas=gas)
    return receipt


def send_all(
    w3: Web3, calls: Sequence[Transactable], sender: Sender, *, gas: int | None = None
) -> list[TxReceipt]:
    """`send` for several calls of one sender, sent one after the other without waiting
    and then waited for together: on a chain with a block period they share a block or two
    instead of a block each. Each is estimated against the state before any of them, so
    none may depend on another's effect. A transaction mined with status 0 raises
    ChainError (the others are still mined)."""
    first = (
        w3.eth.get_transaction_count(sender.address, "pending")
        if isinstance(sender, LocalAccount)
        else None
    )
    sent = [
        _submit(w3, call, sender, gas, None if first is None else Nonce(first + i))
        for i, call in enumerate(calls)
    ]
    receipts = []
    for tx, tx_hash in sent:
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120, poll_latency=0.05)
        if receipt["status"] != 1:
            _raise_mined_failure(w3, tx, receipt)
        receipts.append(receipt)
    return receipts


def _submit(
    w3: Web3, call: Transactable, sender: Sender, gas: int | None, nonce: Nonce | None
) -> tuple[TxParams, HexBytes]:
    """Estimates, signs with `nonce` if the key is local, and sends, without waiting."""
    params: TxParams = {"from": sender_address(sender)}
    if gas is not None:
        params["gas"] = gas
    tx = call_decoding_reverts(lambda: call.build_transaction(params))
    if gas is None:
        tx["gas"] = int(tx["gas"] * GAS_MARGIN)
    if isinstance(sender, LocalAccount):
        assert nonce is not None
        tx["nonce"] = nonce
        signed = sender.sign_transaction(cast(dict[str, Any], tx))
        return tx, call_decoding_reverts(
            lambda: w3.eth.send_raw_transaction(signed.raw_transaction)
        )
    return tx, call_decoding_reverts(lambda: w3.eth.send_transaction(tx))


def _raise_mined_failure(w3: Web3, tx: TxParams, receipt: TxReceipt) -> None:
    """Replays a transaction that failed in a block to recover its revert reason."""
    error = mined_failure(w3, tx, receipt["blockNumber"])
    if error is not None:
        raise error
    raise ChainError(
        f"transaction 0x{receipt['transactionHash'].hex()} failed in block {receipt['blockNumber']}"
    )


def mined_failure(
    w3: Web3, tx: TxParams, block_number: int
) -> ContractRevert | UnknownRevert | None:
    """The decoded error of a transaction that failed in `block_number`, by replaying it.

    The replay runs on that block's state and header: a reverted transaction changed no
    contract state, so this is exact unless later transactions of the same block touched
    the same contracts, and the best available without a tracing API. None when the
    replay succeeds (the transaction ran out of gas, or state moved after it).
    """
    replay: TxParams = {k: v for k, v in tx.items() if k in ("from", "to", "data", "gas", "value")}  # type: ignore[assignment]
    try:
        call_decoding_reverts(lambda: w3.eth.call(replay, block_identifier=block_number))
    except (ContractRevert, UnknownRevert) as exc:
        return exc
    return None


def event_args(contract: Any, event: str, receipt: TxReceipt) -> list[dict[str, Any]]:
    """Arguments of every `event` the contract emitted in a receipt."""
    logs = getattr(contract.events, event)().process_receipt(receipt, errors=DISCARD)
    return [dict(log["args"]) for log in logs]
