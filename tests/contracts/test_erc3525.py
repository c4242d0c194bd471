"""ReceivableToken as an ERC-3525, ERC-721 and ERC-165 token that wallets and explorers read."""

from __future__ import annotations

from functools import reduce

import pytest
from eth_utils.abi import function_signature_to_4byte_selector

from scfledger.chain.artifacts import load_artifact
from scfledger.chain.deploy import deploy_contract
from scfledger.chain.tx import event_args
from tests.support.ledger import SUPPLIER, Consortium, h

ERC3525_FUNCTIONS = [
    "valueDecimals()",
    "balanceOf(uint256)",
    "slotOf(uint256)",
    "approve(uint256,address,uint256)",
    "allowance(uint256,address)",
    "transferFrom(uint256,uint256,uint256)",
    "transferFrom(uint256,address,uint256)",
]


def interface_id(signatures: list[str]) -> bytes:
    selectors = [int.from_bytes(function_signature_to_4byte_selector(s), "big") for s in signatures]
    return reduce(lambda a, b: a ^ b, selectors).to_bytes(4, "big")


def test_erc3525_interface_id_is_the_standard_one() -> None:
    assert interface_id(ERC3525_FUNCTIONS) == bytes.fromhex("d5358140")
    abi_signatures = {
        f"{item['name']}({','.join(i['type'] for i in item['inputs'])})"
        for item in load_artifact("ReceivableToken").abi
        if item["type"] == "function"
    }
    assert set(ERC3525_FUNCTIONS) <= abi_signatures


@pytest.mark.parametrize(
    ("interface", "supported"),
    [
        ("01ffc9a7", True),  # ERC-165
        ("80ac58cd", True),  # ERC-721
        ("5b5e139f", True),  # ERC-721 metadata
        ("d5358140", True),  # ERC-3525
        ("e1600902", False),  # ERC-3525 metadata: not implemented, so not claimed
        ("ffffffff", False),  # ERC-165 says never
    ],
)
def test_supports_interface(consortium: Consortium, interface: str, supported: bool) -> None:
    assert (
        consortium.token.functions.supportsInterface(bytes.fromhex(interface)).call() is supported
    )


def test_value_views_and_erc721_views(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    slot, root = c.issue_active(amount=1000)
    child = c.split(root, "supplier2", 250)
    assert fn.valueDecimals().call() == 2
    assert fn.name().call() == "SCF Receivable"
    assert fn.symbol().call() == "SCFR"
    assert fn.balanceOf(root).call() == 750
    assert fn.balanceOf(child).call() == 250
    assert fn.balanceOf(c.supplier2).call() == 1
    assert fn.slotOf(child).call() == slot
    assert fn.lastTokenId().call() == child
    c.expect_revert(lambda: c.call(fn.balanceOf(99)), "ERC721NonexistentToken", 99)
    c.expect_revert(lambda: c.call(fn.slotOf(99)), "ERC721NonexistentToken", 99)
    c.expect_revert(lambda: c.call(fn.allowance(99, c.supplier2)), "ERC721NonexistentToken", 99)


def test_value_approval_rules(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    _, root = c.issue_active(amount=1000)
    c.expect_revert(
        lambda: c.tx(fn.approve(root, c.supplier1, 5), c.supplier1),
        "ERC3525ApprovalToOwner",
        root,
        c.supplier1,
    )
    c.expect_revert(
        lambda: c.tx(fn.approve(root, c.supplier3, 5), c.supplier2),
        "ERC721InsufficientApproval",
        c.supplier2,
        root,
    )
    c.tx(fn.setApprovalForAll(c.supplier2, True), c.supplier1)
    c.tx(fn.approve(root, c.supplier3, 5), c.supplier2)  # an operator for all may grant value
    assert fn.allowance(root, c.supplier3).call() == 5
    child = c.split(root, "supplier4", 100, sender="supplier2")  # and move any value itself
    assert c.piece(child)[2:4] == (c.supplier4, 100)


def test_unlimited_value_allowance_is_not_consumed(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    _, root = c.issue_active(amount=1000)
    c.tx(fn.approve(root, c.supplier2, 2**256 - 1), c.supplier1)
    c.split(root, "supplier3", 100, sender="supplier2")
    assert fn.allowance(root, c.supplier2).call() == 2**256 - 1


def test_contract_member_receives_value_through_the_receiver_hook(consortium: Consortium) -> None:
    c = consortium
    receiver = deploy_contract(c.w3, "ERC3525ReceiverMock", c.deployer, True)
    c.govern(
        c.registry.functions.admitMember(
            receiver.address, "Custody", h("l-custody"), h("k-custody"), SUPPLIER
        )
    )
    _, root = c.issue_active(amount=1000)
    receipt = c.tx(c.token.functions.transferFrom(root, receiver.address, 100), c.supplier1)
    child = c.token.functions.lastTokenId().call()
    assert event_args(receiver, "Received", receipt) == [
        {"operator": c.supplier1, "fromTokenId": root, "toTokenId": child, "value": 100}
    ]


def test_contract_member_that_refuses_value_makes_the_transfer_fail(consortium: Consortium) -> None:
    c = consortium
    refuser = deploy_contract(c.w3, "ERC3525ReceiverMock", c.deployer, False)
    c.govern(
        c.registry.functions.admitMember(
            refuser.address, "Refuser", h("l-ref"), h("k-ref"), SUPPLIER
        )
    )
    _, root = c.issue_active(amount=1000)
    c.expect_revert(
        lambda: c.tx(c.token.functions.transferFrom(root, refuser.address, 100), c.supplier1),
        "ERC3525InvalidReceiver",
        refuser.address,
    )
    assert c.piece(root).value == 1000
