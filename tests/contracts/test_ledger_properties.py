"""Ledger invariants 1, 3, 4, 5 and 6 of DESIGN.md under random sequences of operations:
issue, accept, reject, split, whole transfer, 签收 (sign for, refuse, recall), suspend.

A model of members, slots and pieces predicts the outcome of every step, including the exact
custom error of each refused one; after every step the chain must equal the model and the
invariants must hold on what the chain says.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from eth_abi.abi import encode
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from web3 import HTTPProvider, Web3

from scfledger.exceptions import ContractRevert
from scfledger.network.anvil import anvil_node
from tests.support.ledger import (
    CORE_ENTERPRISE,
    DAY,
    FINANCIER,
    MEMBERS,
    SUPPLIER,
    Consortium,
    deploy_consortium,
    h,
)

PENDING, ACTIVE, REJECTED, CANCELLED = 1, 2, 8, 9
ZERO = "0x" + "00" * 20
HOLDERS = SUPPLIER | FINANCIER
MAX_DEPTH = 4
ACTORS = [*MEMBERS, "outsider"]  # 8 members of every role but admin, and a stranger
# Draws lean towards the members that usually act, so that long histories get built.
DEBTORS = ["core", "core", "core", "core2", "core2", *ACTORS]
CREDITORS = ["supplier1", "supplier1", "supplier2", "supplier3", *ACTORS]
SUSPENDABLE = ["core", "supplier1", "supplier2", "supplier3", "bank"]
DOCUMENTS = [h(f"invoice-{i}") for i in range(6)]  # a small pool, so duplicates happen


@pytest.fixture(scope="module", autouse=True)
def _chain() -> Iterator[None]:
    """One consortium for every example, on anvil: the invariant reads every piece after
    every step, and a view call costs ~1 ms there against ~30-50 ms on eth-tester's py-evm
    (whose run time also swung 97-371 s with how many pieces an example built). Each example
    starts from a snapshot of the deployment and is reverted to it."""
    with anvil_node("--accounts", "20") as url:
        session = requests.Session()
        session.trust_env = False  # no proxy lookup in the environment on every request
        c = deploy_consortium(w3=Web3(HTTPProvider(url, session=session)))
        c.govern(c.token.functions.setMaxDepth(MAX_DEPTH))
        LedgerMachine.deployed = c
        yield


@dataclass
class Slot:
    debtor: str
    creditor: str
    face: int
    document: bytes
    root: int
    status: str = "pending"  # pending | active | rejected | cancelled


@dataclass
class Piece:
    slot: int
    holder: str
    value: int
    parent: int
    depth: int
    state: int
    sender: str | None = None  # while sent and not yet signed for


@dataclass
class Model:
    suspended: set[str] = field(default_factory=set)
    slots: dict[int, Slot] = field(default_factory=dict)
    pieces: dict[int, Piece] = field(default_factory=dict)

    def roles(self, name: str) -> int:
        return MEMBERS.get(name, 0)

    def role_error(
        self, c: Consortium, name: str, required: int
    ) -> tuple[str, tuple[object, ...]] | None:
        """The registry's verdict on `name` acting with one of `required` roles."""
        if name not in MEMBERS or name in self.suspended:
            return "NotActiveMember", (c.accounts[name],)
        if self.roles(name) & required == 0:
            return "MissingRole", (c.accounts[name], required)
        return None

    def live_anchor_slot(self, document: bytes, debtor: str, creditor: str) -> int | None:
        """The live slot of a document between two parties (its anchor), if any."""
        for number, slot in self.slots.items():
            if (slot.document, slot.debtor, slot.creditor) == (document, debtor, creditor) and (
                slot.status in ("pending", "active")
            ):
                return number
        return None


class LedgerMachine(RuleBasedStateMachine):
    deployed: Consortium  # set by the module's fixture

    def __init__(self) -> None:
        super().__init__()
        self.c = self.deployed
        self.snapshot = self.c.snapshot()
        self.base_slots = self.c.call(self.c.token.functions.receivableCount())
        self.base_tokens = self.c.call(self.c.token.functions.lastTokenId())
        self.model = Model()

    def teardown(self) -> None:
        self.c.revert(self.snapshot)

    # ---- helpers --------------------------------------------------------------------------

    def run(self, action: Any, expected: tuple[str, tuple[object, ...]] | None) -> Any:
        """Runs a transaction and checks it did exactly what the model predicted."""
        event(f"outcome: {expected[0] if expected else 'ok'}")
        if expected is None:
            return action()
        with pytest.raises(ContractRevert) as raised:
            action()
        assert (raised.value.name, raised.value.values) == expected, (
            f"expected {expected}, got {raised.value}"
        )
        return None

    def send(self, call: Any, sender: str) -> Any:
        return self.c.tx(call, self.c.accounts[sender])

    # ---- rules ----------------------------------------------------------------------------

    @initialize(amount=st.integers(min_value=1, max_value=10_000))
    def seed_an_active_receivable(self, amount: int) -> None:
        """Every history starts with one confirmed receivable, so pieces can move at once."""
        c, m = self.c, self.model
        document = h("seed-invoice")
        c.tx(
            c.token.functions.issue(c.supplier1, amount, b"CNY", c.now() + 30 * DAY, document),
            c.core,
        )
        c.tx(c.token.functions.accept(self.base_slots + 1), c.supplier1)
        m.slots[1] = Slot(
            "core", "supplier1", amount, document, self.base_tokens + 1, status="active"
        )
        m.pieces[self.base_tokens + 1] = Piece(1, "supplier1", amount, 0, 0, ACTIVE)

    @rule(
        debtor=st.sampled_from(DEBTORS),
        creditor=st.sampled_from(CREDITORS),
        amount=st.integers(min_value=0, max_value=10_000),
        document=st.sampled_from(DOCUMENTS),
    )
    def issue(self, debtor: str, creditor: str, amount: int, document: bytes) -> None:
        c, m = self.c, self.model
        expected = m.role_error(c, debtor, CORE_ENTERPRISE)
        duplicate = m.live_anchor_slot(document, debtor, creditor)
        if expected is None:
            if amount == 0:
                expected = ("ZeroValue", ())
            elif duplicate is not None:
                expected = ("DuplicateDocument", (document, self.base_slots + duplicate))
            elif creditor == debtor:
                expected = ("SelfDealing", (c.accounts[debtor],))
            else:
                expected = m.role_error(c, creditor, SUPPLIER)
        call = c.token.functions.issue(
            c.accounts[creditor], amount, b"CNY", c.now() + 30 * DAY, document
        )
        receipt = self.run(lambda: self.send(call, debtor), expected)
        if receipt is not None:
            number = len(m.slots) + 1
            root = self.base_tokens + len(m.pieces) + 1
            m.slots[number] = Slot(debtor, creditor, amount, document, root)
            m.pieces[root] = Piece(number, creditor, amount, 0, 0, PENDING)

    def _confirm(self, data: st.DataObject, accept: bool) -> None:
        c, m = self.c, self.model
        number = data.draw(st.sampled_from(sorted(m.slots)))
        slot = m.slots[number]
        by = data.draw(st.sampled_from([slot.creditor] * 8 + ACTORS))
        expected = m.role_error(c, by, SUPPLIER)
        root_state = m.pieces[slot.root].state
        if expected is None and by != slot.creditor:
            expected = ("NotCreditor", (self.base_slots + number, c.accounts[by]))
        # Pending is the receivable's status, not its root's state: an accepted root sent
        # whole is pending its new holder's signature, and can no longer be rejected.
        if expected is None and slot.status != "pending":
            expected = ("InvalidPieceState", (slot.root, root_state))
        fn = c.token.functions
        call = (
            fn.accept(self.base_slots + number)
            if accept
            else fn.reject(self.base_slots + number, h("no"))
        )
        if self.run(lambda: self.send(call, by), expected) is not None:
            slot.status = "active" if accept else "rejected"
            m.pieces[slot.root].state = ACTIVE if accept else REJECTED

    @precondition(lambda self: self.model.slots)
    @rule(data=st.data())
    def accept(self, data: st.DataObject) -> None:
        self._confirm(data, accept=True)

    @precondition(lambda self: self.model.slots)
    @rule(data=st.data())
    def accept_again(self, data: st.DataObject) -> None:
        self._confirm(data, accept=True)

    @precondition(lambda self: self.model.slots)
    @rule(data=st.data())
    def reject(self, data: st.DataObject) -> None:
        self._confirm(data, accept=False)

    @precondition(lambda self: self.model.pieces)
    @rule(data=st.data(), to=st.sampled_from(ACTORS))
    def split(self, data: st.DataObject, to: str) -> None:
        c, m = self.c, self.model
        token_id = data.draw(st.sampled_from(sorted(m.pieces)))
        piece = m.pieces[token_id]
        by = data.draw(st.sampled_from([piece.holder] * 8 + ACTORS))
        value = data.draw(st.integers(min_value=0, max_value=piece.value + 1))
        slot = m.slots[piece.slot]
        expected: tuple[str, tuple[object, ...]] | None = None
        if by != piece.holder and value > 0:
            expected = ("ERC3525InsufficientAllowance", (token_id, c.accounts[by], 0, value))
        elif value > piece.value:
            expected = ("ERC3525InsufficientBalance", (token_id, piece.value, value))
        elif piece.state != ACTIVE:
            expected = ("PieceNotTransferable", (token_id, piece.state))
        else:
            expected = m.role_error(c, piece.holder, HOLDERS)
            if expected is None and by != piece.holder:
                expected = m.role_error(c, by, HOLDERS)
            if expected is None and to == slot.debtor:
                expected = ("DebtorCannotHold", (self.base_slots + piece.slot, c.accounts[to]))
            if expected is None:
                expected = m.role_error(c, to, HOLDERS)
            if expected is None and value == 0:
                expected = ("ZeroValue", ())
            if expected is None and piece.depth + 1 > MAX_DEPTH:
                expected = ("DepthLimitExceeded", (token_id, piece.depth + 1, MAX_DEPTH))
        call = c.token.functions.transferFrom(token_id, c.accounts[to], value)
        if self.run(lambda: self.send(call, by), expected) is not None:
            child = self.base_tokens + len(m.pieces) + 1
            piece.value -= value
            sent = to != piece.holder  # a piece sent to another member awaits its signature
            m.pieces[child] = Piece(
                piece.slot,
                to,
                value,
                token_id,
                piece.depth + 1,
                PENDING if sent else ACTIVE,
                piece.holder if sent else None,
            )

    @precondition(lambda self: self.model.pieces)
    @rule(data=st.data(), to=st.sampled_from(ACTORS))
    def transfer_whole(self, data: st.DataObject, to: str) -> None:
        c, m = self.c, self.model
        token_id = data.draw(st.sampled_from(sorted(m.pieces)))
        piece = m.pieces[token_id]
        slot = m.slots[piece.slot]
        expected: tuple[str, tuple[object, ...]] | None = None
        if piece.state != ACTIVE:
            expected = ("PieceNotTransferable", (token_id, piece.state))
        else:
            expected = m.role_error(c, piece.holder, HOLDERS)
            if expected is None and to == slot.debtor:
                expected = ("DebtorCannotHold", (self.base_slots + piece.slot, c.accounts[to]))
            if expected is None:
                expected = m.role_error(c, to, HOLDERS)
        holder = c.accounts[piece.holder]
        call = c.token.functions.transferFrom(holder, c.accounts[to], token_id)
        if self.run(lambda: self.send(call, piece.holder), expected) is not None:
            if to != piece.holder:
                piece.sender, piece.state = piece.holder, PENDING
            piece.holder = to

    def _sent_pieces(self) -> list[int]:
        return sorted(t for t, p in self.model.pieces.items() if p.sender is not None)

    @precondition(lambda self: self.model.pieces)
    @rule(data=st.data(), refuse=st.booleans())
    def sign_for_or_refuse(self, data: st.DataObject, refuse: bool) -> None:
        """The receiver signs for a piece (签收) or refuses it; mostly pieces sent to it."""
        c, m = self.c, self.model
        sent = self._sent_pieces()
        pool = sent * 4 + sorted(m.pieces) if sent else sorted(m.pieces)
        token_id = data.draw(st.sampled_from(pool))
        piece = m.pieces[token_id]
        by = data.draw(st.sampled_from([piece.holder] * 8 + ACTORS))
        expected: tuple[str, tuple[object, ...]] | None = None
        if by != piece.holder:
            expected = ("NotHolder", (token_id, c.accounts[by]))
        else:
            expected = m.role_error(c, by, HOLDERS)
        if expected is None and (piece.state != PENDING or piece.sender is None):
            expected = ("InvalidPieceState", (token_id, piece.state))
        fn = c.token.functions
        call = fn.refusePiece(token_id, h("no")) if refuse else fn.acceptPiece(token_id)
        if self.run(lambda: self.send(call, by), expected) is not None:
            if refuse:
                self._return(token_id, REJECTED)
            else:
                piece.state, piece.sender = ACTIVE, None

    @precondition(lambda self: self.model.pieces)
    @rule(data=st.data())
    def recall(self, data: st.DataObject) -> None:
        """The sender takes back a piece not yet signed for."""
        c, m = self.c, self.model
        sent = self._sent_pieces()
        token_id = data.draw(
            st.sampled_from(sent * 4 + sorted(m.pieces) if sent else sorted(m.pieces))
        )
        piece = m.pieces[token_id]
        by = data.draw(st.sampled_from([piece.sender or piece.holder] * 8 + ACTORS))
        expected: tuple[str, tuple[object, ...]] | None = None
        if by != piece.sender:
            expected = ("NotSender", (token_id, c.accounts[by]))
        else:
            expected = m.role_error(c, by, HOLDERS)
        call = c.token.functions.recallPiece(token_id)
        if self.run(lambda: self.send(call, by), expected) is not None:
            self._return(token_id, CANCELLED)

    def _return(self, token_id: int, tomb: int) -> None:
        """Value goes back into the sender's parent piece if it is still the sender's and
        Active; otherwise the piece itself goes back to the sender."""
        m = self.model
        piece = m.pieces[token_id]
        sender = piece.sender
        assert sender is not None
        parent = m.pieces.get(piece.parent)
        if parent is not None and parent.holder == sender and parent.state == ACTIVE:
            parent.value += piece.value
            piece.value, piece.state = 0, tomb
        else:
            piece.holder, piece.state = sender, ACTIVE
        piece.sender = None

    @rule(member=st.sampled_from(SUSPENDABLE))
    def suspend_or_reinstate(self, member: str) -> None:
        c, m = self.c, self.model
        registry = c.registry.functions
        if member in m.suspended:
            c.govern(registry.reinstateMember(c.accounts[member]))
            m.suspended.remove(member)
        else:
            c.govern(registry.suspendMember(c.accounts[member], h("inquiry")))
            m.suspended.add(member)

    # ---- invariants -----------------------------------------------------------------------

    @invariant()
    def ledger_invariants_hold(self) -> None:
        """Reads the chain once per step and checks the model and invariants 1, 4 and 5."""
        c = self.c
        fn = c.token.functions
        last = c.call(fn.lastTokenId())
        chain = {t: c.call(fn.getPiece(t)) for t in range(self.base_tokens + 1, last + 1)}
        slots = {
            self.base_slots + n: c.call(fn.getReceivable(self.base_slots + n))
            for n in self.model.slots
        }
        self.check_chain_equals_model(chain)
        self.check_value_is_conserved(chain, slots)
        self.check_documents_back_one_live_root(slots)
        self.check_lineage_ends_at_the_root(chain, slots)

    def check_chain_equals_model(self, chain: dict[int, Any]) -> None:
        """Refused operations changed nothing; accepted ones did exactly what the model says."""
        accounts = self.c.accounts
        assert sorted(chain) == sorted(self.model.pieces)
        for token_id, piece in self.model.pieces.items():
            _, slot, holder, value, parent, depth, state, _, _, sender = chain[token_id]
            assert (slot, holder, value, parent, depth, state, sender) == (
                self.base_slots + piece.slot,
                accounts[piece.holder],
                piece.value,
                piece.parent,
                piece.depth,
                piece.state,
                accounts[piece.sender] if piece.sender else ZERO,
            )
            # Invariant 6: a piece is held by a member other than its sender only once that
            # member signed for it; until then the sender can take it back.
            if piece.state == PENDING and piece.parent != 0:
                assert piece.sender is not None
                assert piece.sender != piece.holder

    @staticmethod
    def check_value_is_conserved(chain: dict[int, Any], slots: dict[int, Any]) -> None:
        """Invariant 1: live value + settled value + netted value == face amount, per slot."""
        for slot_id, receivable in slots.items():
            live = sum(p[3] for p in chain.values() if p[1] == slot_id)
            assert live + receivable[9] + receivable[15] == receivable[3]

    def check_documents_back_one_live_root(self, slots: dict[int, Any]) -> None:
        """Invariant 4: a document anchor (document, debtor, creditor) backs at most one live
        root receivable, and the anchor index says which."""
        c = self.c
        live: dict[bytes, int] = {}
        for slot_id, receivable in slots.items():
            anchor = Web3.keccak(
                encode(
                    ["bytes32", "address", "address"], [receivable[7], receivable[1], receivable[2]]
                )
            )
            assert receivable[16] == anchor
            if receivable[10] in (1, 2):  # pending or active
                assert anchor not in live
                live[anchor] = slot_id
        for receivable in slots.values():
            anchored = c.call(c.token.functions.slotOfAnchor(receivable[16]))
            assert anchored == live.get(receivable[16], 0)

    @staticmethod
    def check_lineage_ends_at_the_root(chain: dict[int, Any], slots: dict[int, Any]) -> None:
        """Invariant 5: parent in the same slot, depth == parent depth + 1, ends at the root."""
        for token_id, piece in chain.items():
            slot_id, depth = piece[1], piece[5]
            cursor, steps = token_id, 0
            while chain[cursor][4] != 0:
                parent_piece = chain[chain[cursor][4]]
                assert parent_piece[1] == slot_id
                assert chain[cursor][5] == parent_piece[5] + 1
                cursor, steps = chain[cursor][4], steps + 1
            assert steps == depth
            assert cursor == slots[slot_id][8]


LedgerMachine.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
test_ledger_invariants = LedgerMachine.TestCase
