"""Gas money for new participants from one funded account: a consortium's gas faucet.

A permissioned chain's fees only meter work, but a member's account still needs a balance
to send anything on a chain with a fee floor (our Clique network charges 1 wei tips over
a base fee that never falls below 7 wei). `GasFaucet` is the gateway's `Provision` there:
a plain transfer from a keystore account, mined before the participant is handed its key.
On a dev chain whose balances can be set (anvil), `set_balance` is the `Provision` instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.exceptions import TimeExhausted, Web3RPCError

from scfledger.chain.fees import FeePolicy
from scfledger.chain.node import rpc_message
from scfledger.exceptions import GasFaucetFailed
from scfledger.keys.store import Signer

TRANSFER_GAS = 21_000
# Refusals meaning another sender took the nonce first (several gateway processes share
# the faucet): the transfer is signed again with the next pending nonce.
NONCE_CLASHES = ("nonce too low", "already known", "replacement transaction underpriced")
ATTEMPTS = 20  # each clash is another sender's transfer going through
GAS_MONEY = 10**21  # wei: a new participant's gas money, by default


def set_balance(w3: Web3, amount: int = GAS_MONEY) -> Callable[[str], None]:
    """Gas money for new accounts on a dev chain whose balances can be set (anvil)."""

    def provision(address: str) -> None:
        w3.provider.make_request("anvil_setBalance", [address, hex(amount)])  # type: ignore[arg-type]

    return provision


class GasFaucet:
    """Sends `amount` wei from `signer`'s account to each new participant and waits until
    the transfer is mined."""

    def __init__(
        self,
        w3: Web3,
        signer: Signer,
        amount: int,
        *,
        timeout: float = 60.0,
        fees: FeePolicy | None = None,
    ) -> None:
        if amount <= 0:
            raise ValueError(f"a faucet grant must be positive, not {amount}")
        self.w3 = w3
        self.signer = signer
        self.amount = amount
        self.timeout = timeout
        self.fees = FeePolicy(w3) if fees is None else fees
        self._lock = threading.Lock()  # one transfer at a time from this process

    def __call__(self, address: str) -> None:
        with self._lock:
            for _ in range(ATTEMPTS):
                try:
                    tx_hash = self.w3.eth.send_raw_transaction(self._signed(address))
                except Web3RPCError as exc:
                    message = rpc_message(exc)
                    if any(clash in message.lower() for clash in NONCE_CLASHES):
                        continue
                    raise GasFaucetFailed(f"gas faucet transfer refused: {message}") from None
                try:
                    receipt = self.w3.eth.wait_for_transaction_receipt(
                        tx_hash, timeout=self.timeout, poll_latency=0.1
                    )
                except TimeExhausted:
                    raise GasFaucetFailed(
                        f"gas faucet transfer to {address} not mined in {self.timeout:.0f} s"
                    ) from None
                if receipt["status"] != 1:
                    raise GasFaucetFailed(f"gas faucet transfer to {address} failed on chain")
                return
            raise GasFaucetFailed(f"gas faucet: {ATTEMPTS} nonces taken by other senders in a row")

    def _signed(self, address: str) -> bytes:
        tx: dict[str, Any] = {
            "to": to_checksum_address(address),
            "value": self.amount,
            "gas": TRANSFER_GAS,
            "nonce": self.w3.eth.get_transaction_count(self.signer.address, "pending"),
            "chainId": self.w3.eth.chain_id,
            **self.fees.fields(),
        }
        return bytes(self.signer.sign_transaction(tx).raw_transaction)
