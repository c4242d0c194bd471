"""ReceivableToken: issuance, two-party confirmation, splits, transfers, evidence, parameters."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from eth_abi.abi import encode
from web3 import Web3

from scfledger.chain.contract_types import record
from scfledger.chain.generated import PieceView, Receivable
from scfledger.chain.tx import event_args
from tests.support.ledger import CORE_ENTERPRISE, DAY, FINANCIER, SUPPLIER, Consortium, h

# PieceState
NONE, PENDING, ACTIVE, REJECTED, CANCELLED = 0, 1, 2, 8, 9
# ReceivableStatus
R_PENDING, R_ACTIVE, R_REJECTED, R_CANCELLED = 1, 2, 3, 4
HOLDERS = SUPPLIER | FINANCIER


def receivable(c: Consortium, slot: int) -> Receivable:
    return c.receivable_record(slot)


def slot_of(
    c: Consortium, document: bytes, debtor: str = "core", creditor: str = "supplier1"
) -> int:
    """The live slot a document backs between two parties (its anchor), or 0."""
    anchor = c.token.functions.anchorOf(document, c.accounts[debtor], c.accounts[creditor]).call()
    return int(c.token.functions.slotOfAnchor(anchor).call())


def field(name: str) -> bytes:
    return name.encode().ljust(32, b"\0")


# ---- issue ---------------------------------------------------------------------------------


def test_issue_creates_a_slot_and_a_pending_root_piece(consortium: Consortium) -> None:
    c = consortium
    document = h("invoice-A-001")
    due = c.now() + 90 * DAY
    receipt = c.tx(c.token.functions.issue(c.supplier1, 5_000_000, b"CNY", due, document), c.core)
    issued = event_args(c.token, "ReceivableIssued", receipt)
    block_time = c.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert issued == [
        {
            "slot": 1,
            "tokenId": 1,
            "debtor": c.core,
            "creditor": c.supplier1,
            "faceAmount": 5_000_000,
            "currency": b"CNY",
            "issueDate": block_time,
            "dueDate": due,
            "documentHash": document,
        }
    ]
    assert event_args(c.token, "SlotChanged", receipt) == [
        {"_tokenId": 1, "_oldSlot": 0, "_newSlot": 1}
    ]
    assert event_args(c.token, "TransferValue", receipt) == [
        {"_fromTokenId": 0, "_toTokenId": 1, "_value": 5_000_000}
    ]
    block_time = c.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    anchor = c.token.functions.anchorOf(document, c.core, c.supplier1).call()
    assert anchor == Web3.keccak(
        encode(["bytes32", "address", "address"], [document, c.core, c.supplier1])
    )
    assert c.receivable(1) == {
        "slot": 1,
        "debtor": c.core,
        "creditor": c.supplier1,
        "faceAmount": 5_000_000,
        "currency": b"CNY",
        "issueDate": block_time,
        "dueDate": due,
        "documentHash": document,
        "rootTokenId": 1,
        "settledValue": 0,
        "status": R_PENDING,
        "gracePeriod": 3 * DAY,
        "defaultPeriod": 30 * DAY,
        "confirmationWindow": 7 * DAY,
        "acceptBy": block_time + 30 * DAY,
        "nettedValue": 0,
        "anchor": anchor,
    }
    zero = "0x" + "00" * 20
    assert c.piece(1) == (1, 1, c.supplier1, 5_000_000, 0, 0, PENDING, block_time, 0, zero)
    assert slot_of(c, document) == 1
    assert c.token.functions.receivableCount().call() == 1
    assert c.token.functions.ownerOf(1).call() == c.supplier1


def test_issue_fails_with_its_own_error_for_each_bad_input(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    due = c.now() + 30 * DAY
    used_slot, _ = c.issue(document=h("used"))
    cases: list[tuple[Any, str, str, tuple[object, ...]]] = [
        (fn.issue(c.supplier1, 0, b"CNY", due, h("a")), "core", "ZeroValue", ()),
        (
            fn.issue(c.supplier1, 10, b"\0\0\0", due, h("a")),
            "core",
            "InvalidCurrency",
            (b"\0\0\0",),
        ),
        (fn.issue(c.supplier1, 10, b"CNY", due, b"\0" * 32), "core", "EmptyHash", ()),
        (
            fn.issue(c.supplier1, 10, b"CNY", due, h("used")),
            "core",
            "DuplicateDocument",
            (h("used"), used_slot),
        ),
        (fn.issue(c.core, 10, b"CNY", due, h("a")), "core", "SelfDealing", (c.core,)),
        (fn.issue(c.outsider, 10, b"CNY", due, h("a")), "core", "NotActiveMember", (c.outsider,)),
        (fn.issue(c.bank, 10, b"CNY", due, h("a")), "core", "MissingRole", (c.bank, SUPPLIER)),
        (
            fn.issue(c.supplier1, 10, b"CNY", due, h("a")),
            "supplier2",
            "MissingRole",
            (c.supplier2, CORE_ENTERPRISE),
        ),
        (
            fn.issue(c.supplier1, 10, b"CNY", due, h("a")),
            "outsider",
            "NotActiveMember",
            (c.outsider,),
        ),
    ]
    for call, sender, name, values in cases:
        c.expect_revert(partial(c.tx, call, c.accounts[sender]), name, *values)
    assert c.token.functions.receivableCount().call() == 1


def test_issue_fails_when_due_date_is_not_in_the_future(consortium: Consortium) -> None:
    c = consortium
    past = c.now() - DAY
    exc = c.expect_revert_named(
        lambda: c.tx(c.token.functions.issue(c.supplier1, 10, b"CNY", past, h("a")), c.core),
        "DueDateInPast",
    )
    assert exc.args_by_name["dueDate"] == past
    assert exc.args_by_name["currentTime"] >= past + DAY


def test_issue_fails_below_minimum_piece_value(consortium: Consortium) -> None:
    c = consortium
    c.govern(c.token.functions.setMinPieceValue(100))
    c.expect_revert(lambda: c.issue(amount=99), "ValueBelowMinimum", 99, 100)


def test_suspended_core_enterprise_cannot_issue(consortium: Consortium) -> None:
    c = consortium
    c.govern(c.registry.functions.suspendMember(c.core, h("audit")))
    c.expect_revert(lambda: c.issue(), "NotActiveMember", c.core)


# ---- accept / reject / cancel --------------------------------------------------------------


def test_creditor_accepts_and_the_root_piece_becomes_active(consortium: Consortium) -> None:
    c = consortium
    slot, token_id = c.issue()
    receipt = c.tx(c.token.functions.accept(slot), c.supplier1)
    assert event_args(c.token, "ReceivableAccepted", receipt) == [
        {"slot": slot, "tokenId": token_id, "creditor": c.supplier1}
    ]
    assert c.piece(token_id).state == ACTIVE
    assert receivable(c, slot).status == R_ACTIVE


def test_accept_fails_for_others_twice_and_for_unknown_slots(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    slot, token_id = c.issue()
    c.expect_revert(lambda: c.tx(fn.accept(slot), c.supplier2), "NotCreditor", slot, c.supplier2)
    c.expect_revert(lambda: c.tx(fn.accept(slot), c.bank), "MissingRole", c.bank, SUPPLIER)
    c.expect_revert(lambda: c.tx(fn.accept(slot), c.outsider), "NotActiveMember", c.outsider)
    c.expect_revert(lambda: c.tx(fn.accept(99), c.supplier1), "UnknownReceivable", 99)
    c.tx(fn.accept(slot), c.supplier1)
    c.expect_revert(
        lambda: c.tx(fn.accept(slot), c.supplier1), "InvalidPieceState", token_id, ACTIVE
    )
    c.expect_revert(
        lambda: c.tx(fn.reject(slot, h("late")), c.supplier1), "InvalidPieceState", token_id, ACTIVE
    )


def test_suspended_creditor_cannot_accept(consortium: Consortium) -> None:
    c = consortium
    slot, _ = c.issue()
    c.govern(c.registry.functions.suspendMember(c.supplier1, h("audit")))
    c.expect_revert(
        lambda: c.tx(c.token.functions.accept(slot), c.supplier1), "NotActiveMember", c.supplier1
    )


def test_reject_freezes_the_piece_and_releases_the_document(consortium: Consortium) -> None:
    c = consortium
    document = h("invoice-wrong-amount")
    slot, token_id = c.issue(document=document)
    receipt = c.tx(c.token.functions.reject(slot, field("amount")), c.supplier1)
    assert event_args(c.token, "ReceivableRejected", receipt) == [
        {"slot": slot, "tokenId": token_id, "creditor": c.supplier1, "reason": field("amount")}
    ]
    assert c.piece(token_id).state == REJECTED
    assert receivable(c, slot).status == R_REJECTED
    assert slot_of(c, document) == 0
    c.expect_revert(
        lambda: c.tx(c.token.functions.accept(slot), c.supplier1),
        "InvalidPieceState",
        token_id,
        REJECTED,
    )
    c.expect_revert(
        lambda: c.split(token_id, "supplier2", 10), "PieceNotTransferable", token_id, REJECTED
    )
    new_slot, _ = c.issue(document=document)  # the corrected confirmation may use the invoice
    assert slot_of(c, document) == new_slot


def test_only_the_debtor_cancels_and_only_before_acceptance(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    document = h("invoice-cancel")
    slot, token_id = c.issue(document=document)
    c.expect_revert(lambda: c.tx(fn.cancel(slot), c.core2), "NotDebtor", slot, c.core2)
    c.expect_revert(
        lambda: c.tx(fn.cancel(slot), c.supplier1), "MissingRole", c.supplier1, CORE_ENTERPRISE
    )
    receipt = c.tx(fn.cancel(slot), c.core)
    assert event_args(c.token, "ReceivableCancelled", receipt) == [
        {"slot": slot, "tokenId": token_id, "debtor": c.core}
    ]
    assert c.piece(token_id).state == CANCELLED
    assert receivable(c, slot).status == R_CANCELLED
    assert slot_of(c, document) == 0
    accepted_slot, accepted_token = c.issue_active()
    c.expect_revert(
        lambda: c.tx(fn.cancel(accepted_slot), c.core), "InvalidPieceState", accepted_token, ACTIVE
    )
    c.expect_revert(lambda: c.tx(fn.cancel(99), c.core), "UnknownReceivable", 99)


def test_pending_piece_cannot_move(consortium: Consortium) -> None:
    c = consortium
    _, token_id = c.issue()
    c.expect_revert(
        lambda: c.split(token_id, "supplier2", 10), "PieceNotTransferable", token_id, PENDING
    )
    c.expect_revert(
        lambda: c.tx(
            c.token.functions.transferFrom(c.supplier1, c.supplier2, token_id), c.supplier1
        ),
        "PieceNotTransferable",
        token_id,
        PENDING,
    )


# ---- split and transfer --------------------------------------------------------------------


def test_split_mints_a_child_with_parent_and_depth_in_the_same_slot(consortium: Consortium) -> None:
    c = consortium
    slot, root = c.issue_active(amount=1_000_000)
    receipt = c.tx(c.token.functions.transferFrom(root, c.supplier2, 300_000), c.supplier1)
    child = c.token.functions.lastTokenId().call()
    pending = c.piece(child)
    c.tx(c.token.functions.acceptPiece(child), c.supplier2)
    assert event_args(c.token, "PieceSplit", receipt) == [
        {
            "parentTokenId": root,
            "childTokenId": child,
            "to": c.supplier2,
            "slot": slot,
            "value": 300_000,
            "depth": 1,
        }
    ]
    assert event_args(c.token, "TransferValue", receipt) == [
        {"_fromTokenId": root, "_toTokenId": child, "_value": 300_000}
    ]
    assert event_args(c.token, "Transfer", receipt) == [
        {"from": "0x" + "00" * 20, "to": c.supplier2, "tokenId": child}
    ]
    block_time = c.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert pending == (
        child,
        slot,
        c.supplier2,
        300_000,
        root,
        1,
        PENDING,
        block_time,
        0,
        c.supplier1,
    )
    zero = "0x" + "00" * 20
    assert c.piece(child) == (
        child,
        slot,
        c.supplier2,
        300_000,
        root,
        1,
        ACTIVE,
        block_time,
        0,
        zero,
    )
    assert c.piece(root).value == 700_000
    assert c.token.functions.getParent(child).call() == c.token.functions.getPiece(root).call()
    grandchild = c.split(child, "supplier3", 100_000)
    assert c.piece(grandchild)[4:6] == (child, 2)
    assert record(PieceView, c.token.functions.getParent(grandchild).call()).token_id == child


def test_holder_may_split_a_piece_to_itself(consortium: Consortium) -> None:
    c = consortium
    _, root = c.issue_active(amount=1000)
    child = c.split(root, "supplier1", 400)
    assert c.piece(child)[2:6] == (c.supplier1, 400, root, 1)
    assert c.token.functions.balanceOf(c.supplier1).call() == 2


def test_split_fails_with_its_own_error_for_each_bad_input(consortium: Consortium) -> None:
    c = consortium
    slot, root = c.issue_active(amount=1000)
    c.expect_revert(
        lambda: c.split(root, "supplier2", 1001), "ERC3525InsufficientBalance", root, 1000, 1001
    )
    c.expect_revert(lambda: c.split(root, "supplier2", 0), "ZeroValue")
    c.expect_revert(lambda: c.split(root, "outsider", 10), "NotActiveMember", c.outsider)
    c.expect_revert(lambda: c.split(root, "core2", 10), "MissingRole", c.core2, HOLDERS)
    c.expect_revert(lambda: c.split(root, "auditor", 10), "MissingRole", c.auditor, HOLDERS)
    c.expect_revert(lambda: c.split(root, "core", 10), "DebtorCannotHold", slot, c.core)
    c.expect_revert(
        lambda: c.split(999, "supplier2", 10, sender="supplier1"), "ERC721NonexistentToken", 999
    )
    c.expect_revert(
        lambda: c.split(root, "supplier3", 10, sender="supplier2"),
        "ERC3525InsufficientAllowance",
        root,
        c.supplier2,
        0,
        10,
    )
    assert c.piece(root).value == 1000
    assert c.token.functions.lastTokenId().call() == root


def test_split_respects_minimum_piece_value_for_child_and_remainder(consortium: Consortium) -> None:
    c = consortium
    c.govern(c.token.functions.setMinPieceValue(100))
    _, root = c.issue_active(amount=1000)
    c.expect_revert(lambda: c.split(root, "supplier2", 99), "ValueBelowMinimum", 99, 100)
    c.expect_revert(lambda: c.split(root, "supplier2", 950), "ValueBelowMinimum", 50, 100)
    child = c.split(root, "supplier2", 1000)  # all of it: the parent stays as an empty lineage node
    assert c.piece(root).value == 0
    assert c.piece(child).value == 1000


def test_split_fails_beyond_the_maximum_depth(consortium: Consortium) -> None:
    c = consortium
    c.govern(c.token.functions.setMaxDepth(3))
    _, token_id = c.issue_active(amount=1000)
    for depth, holder in enumerate(("supplier2", "supplier3", "supplier4"), start=1):
        token_id = c.split(token_id, holder, 1000 - 10 * depth)
        assert c.piece(token_id).depth == depth
    c.expect_revert(
        lambda: c.split(token_id, "supplier1", 10), "DepthLimitExceeded", token_id, 4, 3
    )


def test_value_operator_spends_its_allowance(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    _, root = c.issue_active(amount=1000)
    receipt = c.tx(fn.approve(root, c.supplier2, 500), c.supplier1)
    assert event_args(c.token, "ApprovalValue", receipt) == [
        {"_tokenId": root, "_operator": c.supplier2, "_value": 500}
    ]
    child = c.split(root, "supplier3", 300, sender="supplier2")
    assert c.piece(child)[2:4] == (c.supplier3, 300)
    assert fn.allowance(root, c.supplier2).call() == 200
    c.expect_revert(
        lambda: c.split(root, "supplier3", 300, sender="supplier2"),
        "ERC3525InsufficientAllowance",
        root,
        c.supplier2,
        200,
        300,
    )


def test_approved_non_member_operator_cannot_move_value(consortium: Consortium) -> None:
    c = consortium
    _, root = c.issue_active(amount=1000)
    c.tx(c.token.functions.approve(root, c.outsider, 500), c.supplier1)
    c.expect_revert(
        lambda: c.split(root, "supplier3", 100, sender="outsider"), "NotActiveMember", c.outsider
    )


def test_whole_transfer_keeps_lineage_and_clears_value_approvals(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    _, root = c.issue_active(amount=1000)
    child = c.split(root, "supplier2", 400)
    c.tx(fn.approve(child, c.supplier3, 100), c.supplier2)
    c.transfer(child, "bank")
    assert c.piece(child)[2:7] == (c.bank, 400, root, 1, ACTIVE)
    assert fn.allowance(child, c.supplier3).call() == 0
    c.expect_revert(
        lambda: c.split(child, "supplier4", 50, sender="supplier3"),
        "ERC3525InsufficientAllowance",
        child,
        c.supplier3,
        0,
        50,
    )


def test_whole_transfer_fails_to_ineligible_receivers(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    slot, root = c.issue_active()
    for to, name, values in [
        (c.core, "DebtorCannotHold", (slot, c.core)),
        (c.outsider, "NotActiveMember", (c.outsider,)),
        (c.auditor, "MissingRole", (c.auditor, HOLDERS)),
    ]:
        c.expect_revert(
            partial(c.tx, fn.transferFrom(c.supplier1, to, root), c.supplier1), name, *values
        )
    c.expect_revert(
        lambda: c.tx(fn.transferFrom(c.supplier1, c.supplier3, root), c.supplier2),
        "ERC721InsufficientApproval",
        c.supplier2,
        root,
    )
    assert fn.ownerOf(root).call() == c.supplier1


def test_suspended_holder_is_frozen_until_reinstated(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    _, root = c.issue_active()
    c.tx(fn.setApprovalForAll(c.supplier2, True), c.supplier1)
    c.govern(c.registry.functions.suspendMember(c.supplier1, h("inquiry")))
    c.expect_revert(lambda: c.split(root, "supplier3", 10), "NotActiveMember", c.supplier1)
    c.expect_revert(
        lambda: c.split(root, "supplier3", 10, sender="supplier2"), "NotActiveMember", c.supplier1
    )
    c.expect_revert(
        lambda: c.tx(fn.transferFrom(c.supplier1, c.supplier3, root), c.supplier2),
        "NotActiveMember",
        c.supplier1,
    )
    c.govern(c.registry.functions.reinstateMember(c.supplier1))
    child = c.split(root, "supplier3", 10)
    assert c.piece(child).holder == c.supplier3


def test_suspended_member_cannot_receive(consortium: Consortium) -> None:
    c = consortium
    _, root = c.issue_active()
    c.govern(c.registry.functions.suspendMember(c.supplier2, h("inquiry")))
    c.expect_revert(lambda: c.split(root, "supplier2", 10), "NotActiveMember", c.supplier2)


def test_value_merge_between_pieces_is_refused(consortium: Consortium) -> None:
    c = consortium
    _, root = c.issue_active(amount=1000)
    child = c.split(root, "supplier1", 100)
    c.expect_revert(
        lambda: c.tx(c.token.functions.transferFrom(root, child, 50), c.supplier1),
        "ValueMergeUnsupported",
        root,
        child,
    )


def test_views_fail_for_unknown_pieces_and_root_parent(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    _, root = c.issue_active()
    c.expect_revert(lambda: c.call(fn.getPiece(42)), "ERC721NonexistentToken", 42)
    c.expect_revert(lambda: c.call(fn.getParent(42)), "ERC721NonexistentToken", 42)
    c.expect_revert(lambda: c.call(fn.getParent(root)), "RootHasNoParent", root)
    c.expect_revert(lambda: c.call(fn.getReceivable(42)), "UnknownReceivable", 42)
    c.expect_revert(lambda: c.call(fn.evidenceOf(42)), "ERC721NonexistentToken", 42)


# ---- evidence ------------------------------------------------------------------------------


def test_holder_attaches_evidence_once_per_hash(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    _, root = c.issue_active()
    receipt = c.tx(fn.attachEvidence(root, h("delivery-note-7")), c.supplier1)
    assert event_args(c.token, "EvidenceAttached", receipt) == [
        {"tokenId": root, "evidenceHash": h("delivery-note-7"), "by": c.supplier1}
    ]
    c.tx(fn.attachEvidence(root, h("photo-1")), c.supplier1)
    assert fn.evidenceOf(root).call() == [h("delivery-note-7"), h("photo-1")]
    assert c.piece(root).evidence_count == 2
    c.expect_revert(
        lambda: c.tx(fn.attachEvidence(root, h("photo-1")), c.supplier1),
        "EvidenceAlreadyAttached",
        root,
        h("photo-1"),
    )
    c.expect_revert(lambda: c.tx(fn.attachEvidence(root, b"\0" * 32), c.supplier1), "EmptyHash")
    c.expect_revert(
        lambda: c.tx(fn.attachEvidence(root, h("x")), c.supplier2), "NotHolder", root, c.supplier2
    )
    c.expect_revert(
        lambda: c.tx(fn.attachEvidence(77, h("x")), c.supplier2), "ERC721NonexistentToken", 77
    )


def test_evidence_is_bounded_per_piece(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    _, root = c.issue_active()
    limit = fn.MAX_EVIDENCE_PER_PIECE().call()
    for i in range(limit):
        c.tx(fn.attachEvidence(root, h(f"e{i}")), c.supplier1)
    c.expect_revert(
        lambda: c.tx(fn.attachEvidence(root, h("one-more")), c.supplier1),
        "EvidenceLimitReached",
        root,
        limit,
    )


def test_evidence_cannot_be_attached_to_rejected_pieces_or_by_suspended_holders(
    consortium: Consortium,
) -> None:
    c = consortium
    fn = c.token.functions
    slot, token_id = c.issue()
    c.tx(fn.reject(slot, h("no")), c.supplier1)
    c.expect_revert(
        lambda: c.tx(fn.attachEvidence(token_id, h("x")), c.supplier1),
        "InvalidPieceState",
        token_id,
        REJECTED,
    )
    _, active = c.issue_active()
    c.govern(c.registry.functions.suspendMember(c.supplier1, h("inquiry")))
    c.expect_revert(
        lambda: c.tx(fn.attachEvidence(active, h("x")), c.supplier1), "NotActiveMember", c.supplier1
    )


# ---- governed parameters -------------------------------------------------------------------


@pytest.mark.parametrize(("setter", "value"), [("setMaxDepth", 5), ("setMinPieceValue", 100)])
def test_parameters_change_only_through_governance(
    consortium: Consortium, setter: str, value: int
) -> None:
    c = consortium
    call = getattr(c.token.functions, setter)(value)
    c.expect_revert(lambda: c.tx(call, c.admin1), "OnlyGovernance", c.admin1)
    c.govern(call)
    getter = {"setMaxDepth": "maxDepth", "setMinPieceValue": "minPieceValue"}[setter]
    assert getattr(c.token.functions, getter)().call() == value


def test_parameters_out_of_range_are_refused(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    c.expect_revert(lambda: c.govern(fn.setMaxDepth(0)), "InvalidParameter", field("maxDepth"), 0)
    c.expect_revert(lambda: c.govern(fn.setMaxDepth(65)), "InvalidParameter", field("maxDepth"), 65)
    c.expect_revert(
        lambda: c.govern(fn.setMinPieceValue(0)), "InvalidParameter", field("minPieceValue"), 0
    )
    assert fn.maxDepth().call() == 32
    assert fn.registry().call() == c.registry.address


def test_face_amount_above_128_bits_is_refused(consortium: Consortium) -> None:
    c = consortium
    c.expect_revert(lambda: c.issue(amount=2**128), "SafeCastOverflowedUintDowncast", 128, 2**128)


def test_split_gas_does_not_grow_with_depth(consortium: Consortium) -> None:
    """Gas is deterministic, so this is an exact property, not a timing."""
    c = consortium
    fn = c.token.functions
    _, root = c.issue_active(amount=10**8)
    c.split(root, "supplier2", 1000)
    c.split(root, "supplier3", 1000)
    shallow = c.tx(fn.transferFrom(root, c.supplier2, 1000), c.supplier1)["gasUsed"]
    token, holders = root, ("supplier2", "supplier3")
    for depth in range(1, 20):
        token = c.split(token, holders[depth % 2], 10**6 - depth * 100)
    deep = c.tx(fn.transferFrom(token, c.supplier2, 1000), c.supplier3)
    assert event_args(c.token, "PieceSplit", deep)[0]["depth"] == 20
    assert deep["gasUsed"] == shallow


def test_reject_fails_for_anyone_but_the_active_creditor(consortium: Consortium) -> None:
    c = consortium
    fn = c.token.functions
    slot, token_id = c.issue()
    reject = fn.reject(slot, h("x"))
    c.expect_revert(lambda: c.tx(reject, c.supplier2), "NotCreditor", slot, c.supplier2)
    c.expect_revert(lambda: c.tx(fn.reject(slot, h("x")), c.bank), "MissingRole", c.bank, SUPPLIER)
    c.expect_revert(lambda: c.tx(fn.reject(slot, h("x")), c.core), "MissingRole", c.core, SUPPLIER)
    c.govern(c.registry.functions.suspendMember(c.supplier1, h("inquiry")))
    c.expect_revert(lambda: c.tx(reject, c.supplier1), "NotActiveMember", c.supplier1)
    assert c.piece(token_id).state == PENDING


def test_an_accepted_root_sent_whole_can_be_neither_rejected_nor_cancelled(
    consortium: Consortium,
) -> None:
    """Regression (found by the ledger state machine): an accepted root sent whole to another
    holder is pending that holder's signature, and reject/cancel read the root piece's state
    as the receivable's. The creditor could reject, or the debtor cancel, a receivable it had
    accepted, extinguishing the new holder's claim without its consent (and a second reject
    underflowed the document's count)."""
    c = consortium
    fn = c.token.functions
    slot, token_id = c.issue_active()
    c.tx(fn.transferFrom(c.supplier1, c.supplier2, token_id), c.supplier1)
    assert c.piece(token_id).state == PENDING
    c.expect_revert(
        lambda: c.tx(fn.reject(slot, h("no")), c.supplier1), "InvalidPieceState", token_id, PENDING
    )
    c.expect_revert(lambda: c.tx(fn.cancel(slot), c.core), "InvalidPieceState", token_id, PENDING)
    assert receivable(c, slot).status == R_ACTIVE
