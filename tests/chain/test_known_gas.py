"""The known gas limits hold: each is at least a real estimate times GAS_MARGIN on the
shipped contracts, so a contract change that raises a call's gas fails here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from eth_typing import ChecksumAddress

from scfledger.chain.known_gas import KNOWN_GAS, known_gas
from scfledger.chain.tx import GAS_MARGIN
from tests.support.ledger import DAY, Consortium, deploy_consortium, h

# Each known call in a state where it succeeds: (contract function, sender) for a consortium.
Case = Callable[[Consortium], tuple[Any, ChecksumAddress]]


def _issue(c: Consortium) -> tuple[Any, ChecksumAddress]:
    call = c.token.functions.issue(c.supplier1, 10**8, b"CNY", c.now() + 90 * DAY, h("known-1"))
    return call, c.core


def _accept(c: Consortium) -> tuple[Any, ChecksumAddress]:
    slot, _ = c.issue()
    return c.token.functions.accept(slot), c.supplier1


def _split(c: Consortium) -> tuple[Any, ChecksumAddress]:
    _, root = c.issue_active()
    return c.token.functions.transferFrom(root, c.supplier2, 1000), c.supplier1


def _split_deep(c: Consortium) -> tuple[Any, ChecksumAddress]:
    _, token = c.issue_active()
    holders = ("supplier2", "supplier3")
    for depth in range(1, 10):
        token = c.split(token, holders[depth % 2], 10**6 - depth * 100)
    return c.token.functions.transferFrom(token, c.supplier2, 1000), c.supplier3


def _whole(c: Consortium) -> tuple[Any, ChecksumAddress]:
    _, root = c.issue_active()
    whole = c.token.get_function_by_signature("transferFrom(address,address,uint256)")
    return whole(c.supplier1, c.supplier4, root), c.supplier1


def _accept_piece(c: Consortium) -> tuple[Any, ChecksumAddress]:
    _, root = c.issue_active()
    child = c.split(root, "supplier2", 1000, sign=False)
    return c.token.functions.acceptPiece(child), c.supplier2


def _refuse_piece(c: Consortium) -> tuple[Any, ChecksumAddress]:
    _, root = c.issue_active()
    child = c.split(root, "supplier2", 1000, sign=False)
    return c.token.functions.refusePiece(child, h("no")), c.supplier2


CASES: dict[str, tuple[tuple[str, str], Case]] = {
    "issue": (("ReceivableToken", "issue"), _issue),
    "accept": (("ReceivableToken", "accept"), _accept),
    "split": (("ReceivableToken", "transferFrom"), _split),
    "split at depth 10": (("ReceivableToken", "transferFrom"), _split_deep),
    "whole-piece transfer": (("ReceivableToken", "transferFrom"), _whole),
    "sign for a piece": (("ReceivableToken", "acceptPiece"), _accept_piece),
    "refuse a piece": (("ReceivableToken", "refusePiece"), _refuse_piece),
}


@pytest.fixture(scope="module")
def consortium() -> Consortium:
    return deploy_consortium()


def test_every_known_call_is_checked_here() -> None:
    assert {key for key, _ in CASES.values()} == set(KNOWN_GAS)


@pytest.mark.parametrize("name", list(CASES))
def test_known_gas_covers_the_estimate_with_the_margin(consortium: Consortium, name: str) -> None:
    key, case = CASES[name]
    call, sender = case(consortium)
    tx = call.build_transaction({"from": sender})
    limit = known_gas(
        bytes(tx["data"]) if isinstance(tx["data"], bytes) else bytes.fromhex(tx["data"][2:])
    )
    assert limit == KNOWN_GAS[key]
    estimate = consortium.w3.eth.estimate_gas({"from": sender, "to": tx["to"], "data": tx["data"]})
    assert estimate * GAS_MARGIN <= limit, f"{name}: estimate {estimate} x {GAS_MARGIN} > {limit}"
    # And the call succeeds with exactly the known limit (what the pipeline simulates).
    receipt = consortium.tx(call, sender)
    assert receipt["status"] == 1


def test_calls_without_a_known_limit_get_none(consortium: Consortium) -> None:
    slot, _ = consortium.issue()
    data = consortium.token.functions.cancel(slot).build_transaction({"from": consortium.core})
    assert known_gas(bytes.fromhex(str(data["data"])[2:])) is None
    assert known_gas(b"") is None
