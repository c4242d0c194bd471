"""The whole lifecycle with set-off rounds among it, under random sequences.

The lifecycle machine's rules (issue, split, 签收, finance, settle, overdue, suspend...) run
alongside set-off rules: propose a round over a cycle the chain's obligations contain (or
over something that is not a circulation), consent, refuse, let time pass, execute. Members
that are both core enterprises and suppliers make cycles common. A model of each round
predicts whether every answer and every execution succeeds: a piece changed in between,
a lapsed, refused or unconsented round, a suspended party must all refuse execution. After
every step, besides the lifecycle invariants (1 with netted value, 2, 5, 6, 7): what left
circulation by set-off is exactly what executed rounds cleared, and no member's net
position moved.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import cache

import networkx as nx
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule
from web3.types import TxReceipt

from scfledger.chain.generated import Consent, PieceState
from scfledger.chain.tx import event_args
from scfledger.exceptions import ContractRevert
from tests.contracts.test_lifecycle_properties import SETTINGS, LifecycleMachine
from tests.support.ledger import CORE_ENTERPRISE, DAY, SUPPLIER, Consortium, deploy_consortium

TRADERS = ["core", "supplier1", "supplier3"]  # both owe and are owed
PROPOSERS = ["core", "core2", "supplier1", "bank", "admin1", "auditor"]
EXECUTORS = ["supplier2", "core", "bank", "outsider"]


@cache
def _traders(dvp: bool) -> Consortium:
    c = deploy_consortium(dvp=dvp)
    for name in TRADERS:
        c.govern(c.registry.functions.setRoles(c.accounts[name], CORE_ENTERPRISE | SUPPLIER))
    return c


@dataclass
class Round:
    deadline: int
    items: list[tuple[int, int, str, int, str]]  # token, amount, holder, value, debtor
    answers: dict[str, Consent] = field(default_factory=dict)
    status: str = "proposed"  # proposed, refused, executed


class SetOffMachine(LifecycleMachine):
    dvp = False

    def __init__(self) -> None:
        super().__init__()
        self.rounds: dict[int, Round] = {}
        self.first_round = self.c.set_off.functions.roundCount().call() + 1
        self.netted_by_slot: dict[int, int] = {}

    def deployed(self) -> Consortium:
        return _traders(self.dvp)

    def debtor_of(self, token_id: int) -> str:
        slot = self.piece(token_id).slot
        return self.name_of(self.c.receivable_record(slot).debtor)

    def pending_time(self) -> int:
        """The timestamp the next transaction runs at."""
        return int(self.c.eth_tester.get_block_by_number("pending")["timestamp"])

    # ---- rules ----------------------------------------------------------------------------

    @initialize()
    def seed(self) -> None:
        """The lifecycle's first receivable, then debt around the traders, so that rounds
        have a circle to clear from the start."""
        super().seed()
        for debtor, creditor in zip(TRADERS, TRADERS[1:] + TRADERS[:1], strict=True):
            self.issue_among_traders(debtor, creditor, 1_000_000)

    @rule(
        debtor=st.sampled_from(TRADERS),
        creditor=st.sampled_from(TRADERS),
        amount=st.integers(min_value=1, max_value=2_000_000),
    )
    def issue_among_traders(self, debtor: str, creditor: str, amount: int) -> None:
        """Debt among traders, so that it runs in circles."""
        c = self.c
        call = c.token.functions.issue(
            c.accounts[creditor], amount, b"CNY", c.now() + 60 * DAY, c.next_document()
        )
        if self.send(call, debtor):
            self.send(c.token.functions.accept(self.slots()[-1]), creditor)

    @precondition(lambda self: self.tokens())
    @rule(
        data=st.data(),
        proposer=st.sampled_from(PROPOSERS),
        days=st.integers(min_value=1, max_value=10),
    )
    def propose_round(self, data: st.DataObject, proposer: str, days: int) -> None:
        self.propose(data, proposer, days)

    def propose(self, data: st.DataObject, proposer: str, days: int) -> int | None:
        """Proposes clearing a cycle of the obligations on chain (a lone obligation when
        there is none, which must be refused); returns the round id if proposed."""
        c = self.c
        graph: nx.MultiDiGraph[str] = nx.MultiDiGraph()
        for token_id in self.tokens():
            piece = self.piece(token_id)
            if piece.state == PieceState.ACTIVE:
                holder = self.name_of(piece.holder)
                graph.add_edge(self.debtor_of(token_id), holder, key=token_id, value=piece.value)
        cycles = list(itertools.islice(nx.simple_cycles(graph), 20))
        if cycles:
            nodes = data.draw(st.sampled_from(cycles))
            edges: list[int] = [
                int(data.draw(st.sampled_from(sorted(graph[u][v]))))
                for u, v in zip(nodes, nodes[1:] + nodes[:1], strict=True)
            ]
            least = min(self.piece(t).value for t in edges)
            amount = data.draw(st.integers(min_value=1, max_value=least))
            items: list[tuple[int, int]] = sorted((t, amount) for t in edges)
        else:  # no circle to clear: a lone obligation, which is no circulation
            token_id = data.draw(st.sampled_from(self.tokens()))
            items = [(token_id, max(self.piece(token_id).value, 1))]
        deadline = c.now() + days * DAY
        planned = [
            (t, a, self.name_of(self.piece(t).holder), self.piece(t).value, self.debtor_of(t))
            for t, a in items
        ]
        try:
            receipt = c.tx(c.set_off.functions.propose(items, deadline), c.accounts[proposer])
        except ContractRevert as refused:
            event(f"propose: refused {refused.name}")
            assert not cycles or proposer == "auditor" or proposer in self.suspended
            return None
        event("propose: done")
        assert cycles
        assert proposer != "auditor"
        assert proposer not in self.suspended
        round_id = int(event_args(c.set_off, "RoundProposed", receipt)[0]["roundId"])
        parties = {name for _, _, holder, _, debtor in planned for name in (holder, debtor)}
        self.rounds[round_id] = Round(
            deadline, planned, answers=dict.fromkeys(parties, Consent.AWAITING)
        )
        return round_id

    @precondition(lambda self: self.tokens())
    @rule(
        data=st.data(),
        proposer=st.sampled_from(PROPOSERS),
        executor=st.sampled_from(EXECUTORS),
    )
    def clear_a_cycle(self, data: st.DataObject, proposer: str, executor: str) -> None:
        """Propose, then at once every party consents and someone executes: the round
        the other rules may interleave with, also completed in one step."""
        round_id = self.propose(data, proposer, 3)
        if round_id is not None:
            self.execute(round_id, executor, consent_first=True)

    def pick_round(self, data: st.DataObject) -> int:
        open_rounds = [r for r, x in self.rounds.items() if x.status == "proposed"]
        return data.draw(st.sampled_from(open_rounds or list(self.rounds)))

    def round_open(self, round_: Round) -> bool | None:
        """Whether the next transaction finds the round open; None a second either side
        of its deadline, where the block's time decides."""
        if round_.status != "proposed":
            return False
        now = self.pending_time()
        if abs(now - round_.deadline) <= 1:
            return None
        return now <= round_.deadline

    @precondition(lambda self: self.rounds)
    @rule(data=st.data(), refuse=st.booleans())
    def answer_round(self, data: st.DataObject, refuse: bool) -> None:
        c = self.c
        round_id = self.pick_round(data)
        round_ = self.rounds[round_id]
        party = data.draw(st.sampled_from([*sorted(round_.answers), "supplier2"]))
        answer = round_.answers.get(party, Consent.NONE)
        if refuse:
            call = c.set_off.functions.refuse(round_id, b"\x01" * 32)
            allowed = answer in (Consent.AWAITING, Consent.GIVEN)
        else:
            call = c.set_off.functions.consent(round_id)
            allowed = answer == Consent.AWAITING
        expected = self.round_open(round_)
        succeeded = self.send(call, party)
        if expected is not None:
            assert succeeded == (expected and allowed and party not in self.suspended)
        if succeeded:
            round_.answers[party] = Consent.REFUSED if refuse else Consent.GIVEN
            if refuse:
                round_.status = "refused"

    @rule(days=st.integers(min_value=1, max_value=6))
    def let_time_pass(self, days: int) -> None:
        self.c.travel_to(self.c.now() + days * DAY)

    @precondition(lambda self: self.rounds)
    @rule(data=st.data(), executor=st.sampled_from(EXECUTORS), consent_first=st.booleans())
    def execute_round(self, data: st.DataObject, executor: str, consent_first: bool) -> None:
        self.execute(self.pick_round(data), executor, consent_first=consent_first)

    def execute(self, round_id: int, executor: str, *, consent_first: bool) -> None:
        """Executes a round (after every party still awaited consents, if `consent_first`);
        the outcome must be what the model predicts."""
        c = self.c
        round_ = self.rounds[round_id]
        if consent_first:
            for party, answer in round_.answers.items():
                awaited = answer == Consent.AWAITING and party not in self.suspended
                consent = c.set_off.functions.consent(round_id)
                if awaited and self.round_open(round_) and self.send(consent, party):
                    round_.answers[party] = Consent.GIVEN
        unchanged = all(
            (self.name_of(p.holder), p.value, p.state) == (holder, value, PieceState.ACTIVE)
            for token_id, _, holder, value, _ in round_.items
            for p in [self.piece(token_id)]
        )
        expected = self.round_open(round_)
        try:
            receipt = c.tx(c.set_off.functions.execute(round_id), c.accounts[executor])
        except ContractRevert as refused:
            event(f"execute: refused {refused.name}")
            succeeded = False
        else:
            event("execute: done")
            succeeded = True
            self.executed(round_id, round_, receipt)
        if expected is not None:
            assert succeeded == (
                expected
                and unchanged
                and set(round_.answers.values()) == {Consent.GIVEN}
                and not (set(round_.answers) | {executor}) & (self.suspended | {"outsider"})
            ), f"round {round_id}: executed {succeeded}, changed pieces {not unchanged}"

    def executed(self, round_id: int, round_: Round, receipt: TxReceipt) -> None:
        """Invariant 6 for set-off: every party consented, each piece cleared its planned
        amount, and every member sheds exactly as much debt as it gives up receivables."""
        c = self.c
        parties, answers = c.set_off.functions.partiesOf(round_id).call(self.caller)
        assert set(answers) == {Consent.GIVEN}
        assert {self.name_of(p) for p in parties} == set(round_.answers)
        netted = event_args(c.set_off, "PieceNetted", receipt)
        assert [(e["tokenId"], e["amount"]) for e in netted] == [
            (t, a) for t, a, _, _, _ in round_.items
        ]
        position: dict[str, int] = {}
        for token_id, amount, holder, _, debtor in round_.items:
            position[holder] = position.get(holder, 0) - amount
            position[debtor] = position.get(debtor, 0) + amount
            slot = self.piece(token_id).slot
            self.netted_by_slot[slot] = self.netted_by_slot.get(slot, 0) + amount
        assert set(position.values()) == {0}
        round_.status = "executed"

    # ---- invariants -----------------------------------------------------------------------

    @invariant()
    def netting_is_what_rounds_cleared(self) -> None:
        c = self.c
        for slot in self.slots():
            receivable = c.receivable_record(slot)
            assert receivable.netted_value == self.netted_by_slot.get(slot, 0)
        for token_id in self.tokens():
            piece = self.piece(token_id)
            if piece.state == PieceState.NETTED:
                assert piece.value == 0
        count = c.set_off.functions.roundCount().call(self.caller)
        assert set(self.rounds) == set(range(self.first_round, count + 1))


SetOffMachine.TestCase.settings = SETTINGS
test_lifecycle_invariants_with_set_off_rounds = SetOffMachine.TestCase
