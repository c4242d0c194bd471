"""Fee fields: zero-fee permissioned chains, legacy gas price, EIP-1559, replacement bumps."""

from __future__ import annotations

import pytest

from scfledger.chain.fees import FeePolicy, bumped, is_zero
from tests.support.ledger import Consortium


def test_zero_mode_sends_a_zero_gas_price(consortium: Consortium) -> None:
    fees = FeePolicy(consortium.w3, mode="zero").fields()

    assert fees == {"gasPrice": 0}
    assert is_zero(fees)


def test_auto_mode_uses_eip1559_when_blocks_have_a_base_fee(consortium: Consortium) -> None:
    base_fee = consortium.w3.eth.get_block("latest")["baseFeePerGas"]

    fees = FeePolicy(consortium.w3, priority_fee=7).fields()

    assert fees == {"maxFeePerGas": 2 * base_fee + 7, "maxPriorityFeePerGas": 7}


def test_legacy_mode_uses_the_node_gas_price(consortium: Consortium) -> None:
    assert FeePolicy(consortium.w3, mode="legacy").fields() == {
        "gasPrice": consortium.w3.eth.gas_price
    }


@pytest.mark.parametrize(
    ("previous", "current", "expected"),
    [
        ({"gasPrice": 0}, {"gasPrice": 0}, {"gasPrice": 1}),
        ({"gasPrice": 100}, {"gasPrice": 50}, {"gasPrice": 121}),
        ({"gasPrice": 100}, {"gasPrice": 500}, {"gasPrice": 500}),
        (
            {"maxFeePerGas": 100, "maxPriorityFeePerGas": 10},
            {"maxFeePerGas": 90, "maxPriorityFeePerGas": 10},
            {"maxFeePerGas": 121, "maxPriorityFeePerGas": 13},
        ),
    ],
)
def test_replacement_fees_rise_at_least_twenty_percent(
    previous: dict[str, int], current: dict[str, int], expected: dict[str, int]
) -> None:
    assert bumped(previous, current) == expected
