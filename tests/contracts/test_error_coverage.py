"""Every custom error our contracts can raise is asserted by some test, exactly.

The remaining library errors are listed with the reason they cannot occur here; a new
error in any ABI makes this test fail until a test asserts it or it is listed.
"""

from __future__ import annotations

from pathlib import Path

from scfledger.chain.artifacts import load_artifact
from tests.support.ledger import Consortium, h

CONTRACTS = ("ConsortiumRegistry", "ReceivableToken", "Financing", "DepositToken", "SetOff")
ZERO = "0x" + "00" * 20

UNREACHABLE = {
    "AddressEmptyCode": "propose refuses targets without code; none of ours self-destructs",
    "InsufficientBalance": "OpenZeppelin Address: governance calls send no ether",
    "ERC3525SlotMismatch": "token-to-token transfers are refused; children share the slot",
    "ERC721InvalidSender": "only raised when minting an existing id; ids come from a counter",
    "ERC20InvalidSender": "raised only for transfers from the zero address",
    "ERC20InvalidApprover": "raised only for approvals by the zero address",
}


def test_every_declared_error_is_asserted_by_a_test_or_unreachable() -> None:
    tests = "".join(p.read_text() for p in Path(__file__).parents[1].rglob("*.py"))
    declared = {
        item["name"]
        for name in CONTRACTS
        for item in load_artifact(name).abi
        if item["type"] == "error"
    }
    untested = {e for e in declared - UNREACHABLE.keys() if f'"{e}"' not in tests}
    assert not untested, f"errors no test asserts: {sorted(untested)}"
    assert UNREACHABLE.keys() <= declared, "an unreachable entry no longer exists in any ABI"


def test_governed_call_to_a_missing_function_fails_with_failed_call(consortium: Consortium) -> None:
    c = consortium
    receipt_data = bytes.fromhex("deadbeef")
    proposal = c.tx(c.registry.functions.propose(c.registry.address, receipt_data), c.admin1)
    assert proposal["status"] == 1
    proposal_id = c.registry.functions.proposalCount().call()
    c.expect_revert(lambda: c.tx(c.registry.functions.approve(proposal_id), c.admin2), "FailedCall")


def test_erc721_argument_errors(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    _, root = c.issue_active()
    c.expect_revert(
        lambda: c.tx(fn.transferFrom(c.supplier2, c.supplier3, root), c.supplier1),
        "ERC721IncorrectOwner",
        c.supplier2,
        root,
        c.supplier1,
    )
    c.expect_revert(
        lambda: c.tx(fn.transferFrom(c.supplier1, ZERO, root), c.supplier1),
        "ERC721InvalidReceiver",
        ZERO,
    )
    c.expect_revert(
        lambda: c.tx(fn.setApprovalForAll(ZERO, True), c.supplier1), "ERC721InvalidOperator", ZERO
    )
    c.expect_revert(
        lambda: c.tx(fn.approve(c.supplier3, root), c.supplier2),
        "ERC721InvalidApprover",
        c.supplier2,
    )
    c.expect_revert(lambda: c.call(fn.balanceOf(ZERO)), "ERC721InvalidOwner", ZERO)
    # A contract that is not an ERC-721 receiver cannot be sent a piece safely.
    c.govern(
        c.registry.functions.admitMember(c.financing.address, "Vault", h("l-v"), h("k-v"), 1 << 2)
    )
    c.expect_revert(
        lambda: c.tx(fn.safeTransferFrom(c.supplier1, c.financing.address, root), c.supplier1),
        "ERC721InvalidReceiver",
        c.financing.address,
    )


def test_erc20_argument_errors_of_the_deposit_token(dvp_consortium: Consortium) -> None:
    c = dvp_consortium
    fn = c.cash.functions
    balance = fn.balanceOf(c.supplier1).call()
    c.expect_revert(
        lambda: c.tx(fn.transfer(c.supplier2, balance + 1), c.supplier1),
        "ERC20InsufficientBalance",
        c.supplier1,
        balance,
        balance + 1,
    )
    c.expect_revert(lambda: c.tx(fn.transfer(ZERO, 1), c.supplier1), "ERC20InvalidReceiver", ZERO)
    c.expect_revert(lambda: c.tx(fn.approve(ZERO, 1), c.supplier1), "ERC20InvalidSpender", ZERO)
