"""The pipeline's fast signing path gives eth-account's bytes exactly, for both shapes the
pipeline signs, and leaves every other shape to eth-account."""

from __future__ import annotations

from typing import Any

from coincurve import PrivateKey
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from scfledger.keys.fast_sign import sign_fast
from scfledger.keys.store import Signer

ACCOUNT = Account.from_key(b"\x11" * 32)
KEY = PrivateKey(bytes(ACCOUNT.key))
TO = "0x8ba1f109551bD432803012645Ac136ddd64DBA72"
uint = st.integers(min_value=0, max_value=2**64)
common = st.fixed_dictionaries(
    {
        "chainId": st.integers(min_value=1, max_value=2**32),
        "nonce": uint,
        "gas": st.integers(min_value=21_000, max_value=30_000_000),
        "to": st.sampled_from([TO, ACCOUNT.address]),
        "value": st.just(0) | uint,
        "data": st.binary(max_size=300),
    }
)
eip1559 = st.tuples(common, uint, uint).map(
    lambda t: t[0] | {"maxFeePerGas": t[1] + t[2], "maxPriorityFeePerGas": t[2]}
)
legacy = st.tuples(common, uint).map(lambda t: t[0] | {"gasPrice": t[1]})


@settings(max_examples=300, deadline=None)
@given(tx=eip1559 | legacy)
def test_fast_signatures_are_eth_accounts_bytes(tx: dict[str, Any]) -> None:
    fast = sign_fast(KEY, tx)
    assert fast is not None
    slow = ACCOUNT.sign_transaction(tx)
    assert (fast.raw_transaction, fast.hash) == (slow.raw_transaction, slow.hash)
    assert (fast.r, fast.s, fast.v) == (slow.r, slow.s, slow.v)
    assert Account.recover_transaction(fast.raw_transaction) == ACCOUNT.address


def test_a_transaction_without_data_is_signed_too() -> None:  # a cancel: self-transfer
    tx = {"chainId": 2026, "nonce": 7, "to": ACCOUNT.address, "value": 0, "gas": 21_000,
          "maxFeePerGas": 10**9, "maxPriorityFeePerGas": 1}  # fmt: skip
    fast = sign_fast(KEY, tx)
    assert fast is not None
    assert fast.raw_transaction == ACCOUNT.sign_transaction(tx).raw_transaction


def test_other_shapes_are_left_to_eth_account() -> None:
    base = {"chainId": 2026, "nonce": 1, "to": TO, "value": 0, "gas": 50_000, "gasPrice": 1}
    assert sign_fast(KEY, base | {"accessList": []}) is None
    assert sign_fast(KEY, {k: v for k, v in base.items() if k != "to"}) is None  # a deployment
    assert sign_fast(KEY, base | {"to": TO.lower()}) is None  # not checksummed
    assert sign_fast(KEY, base | {"gasPrice": "1"}) is None
    assert sign_fast(KEY, base | {"maxFeePerGas": 2, "maxPriorityFeePerGas": 1}) is None
    # ...and the Signer still signs them, through eth-account.
    signer = Signer("p", ACCOUNT)
    tx = base | {"accessList": []}
    assert (
        signer.sign_transaction(tx).raw_transaction == ACCOUNT.sign_transaction(tx).raw_transaction
    )
