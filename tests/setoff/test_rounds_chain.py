"""The rounds of a random cyclic ledger proposed through the real SetOff contract on
eth-tester: all proposed before any executes, every party consents, every round executes,
each piece shrinks by its amount and no member's net position moves."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from scfledger.chain.contract_types import record
from scfledger.chain.generated import Consent, PieceState, RoundStatus, RoundView
from scfledger.chain.tx import event_args
from scfledger.setoff.obligations import Obligation
from scfledger.setoff.planner import plan
from scfledger.setoff.rounds import rounds
from tests.setoff.graphs import net_of
from tests.support.ledger import CORE_ENTERPRISE, DAY, SUPPLIER, Consortium, deploy_consortium

TRADERS = ("core", "core2", "supplier1", "supplier2")  # each owes and is owed
MINIMUM = 50_000  # the token's minPieceValue for these ledgers


@pytest.fixture(scope="module")
def _traders() -> Consortium:
    c = deploy_consortium()
    for name in TRADERS:
        c.govern(c.registry.functions.setRoles(c.accounts[name], CORE_ENTERPRISE | SUPPLIER))
    c.govern(c.token.functions.setMinPieceValue(MINIMUM))
    return c


@pytest.fixture
def c(_traders: Consortium) -> Iterator[Consortium]:
    snapshot = _traders.eth_tester.take_snapshot()
    documents = _traders.documents
    yield _traders
    _traders.eth_tester.revert_to_snapshot(snapshot)
    _traders.documents = documents


def random_ledger(c: Consortium, seed: int, receivables: int = 12, splits: int = 5) -> list[int]:
    """Accepted receivables between random traders, then pieces of some sent on to another
    trader (several pieces per pair, parts of all sizes); returns every piece's token id."""
    rng = random.Random(seed)
    pieces = []
    for _ in range(receivables):
        debtor, creditor = rng.sample(TRADERS, 2)
        amount = rng.randint(2 * MINIMUM, 12 * MINIMUM)
        _, root = c.issue_active(debtor=debtor, creditor=creditor, amount=amount, due_in=90 * DAY)
        pieces.append(root)
    for _ in range(splits):
        parent = rng.choice(pieces)
        piece = c.piece(parent)
        debtor = c.receivable_record(piece.slot).debtor
        if piece.value < 2 * MINIMUM:
            continue
        # The debtor may not hold its own receivable (DebtorCannotHold).
        to = rng.choice([t for t in TRADERS if c.accounts[t] not in (piece.holder, debtor)])
        pieces.append(c.split(parent, to, rng.randint(MINIMUM, piece.value - MINIMUM)))
    return pieces


def obligations_on_chain(c: Consortium, pieces: list[int]) -> list[Obligation]:
    """What the chain says each piece is: debtor -> holder, its value (active pieces only)."""
    found = []
    for token_id in pieces:
        piece = c.piece(token_id)
        debtor = c.receivable_record(piece.slot).debtor
        if piece.state == PieceState.ACTIVE and piece.holder != debtor:
            found.append(Obligation(token_id, debtor, piece.holder, piece.value))
    return found


@pytest.mark.parametrize(
    ("seed", "max_items", "at_least"),
    [(1, 32, 1), (2, 4, 4), (3, 6, 1)],  # seed 2: a group of 13 pieces in 4 rounds
)
def test_rounds_of_a_random_cyclic_ledger_are_accepted_and_executed(
    c: Consortium, seed: int, max_items: int, at_least: int
) -> None:
    pieces = random_ledger(c, seed)
    before = obligations_on_chain(c, pieces)
    result = plan(before, minimum=MINIMUM)
    found = rounds(result, before, minimum=MINIMUM, max_items=max_items)
    assert len(found) >= at_least, "the ledger has cycles to clear"
    names = {address: name for name, address in c.accounts.items()}
    deadline = c.now() + 7 * DAY
    round_ids = []
    for r in found:  # all proposed, snapshots taken, before any executes
        receipt = c.tx(
            c.set_off.functions.propose([(i.piece, i.amount) for i in r.items], deadline),
            c.accounts["core"],
        )
        round_ids.append(int(event_args(c.set_off, "RoundProposed", receipt)[0]["roundId"]))
    for r, round_id in zip(found, round_ids, strict=True):
        parties, answers = c.set_off.functions.partiesOf(round_id).call()
        assert set(answers) == {Consent.AWAITING}
        assert set(parties) == {i.debtor for i in r.items} | {i.creditor for i in r.items}
        for party in parties:
            c.tx(c.set_off.functions.consent(round_id), c.accounts[names[party]])
        receipt = c.tx(c.set_off.functions.execute(round_id), c.accounts["supplier3"])
        assert event_args(c.set_off, "RoundExecuted", receipt)[0]["total"] == r.total
        view = record(RoundView, c.set_off.functions.getRound(round_id).call())
        assert view.status == RoundStatus.EXECUTED
    cleared = {i.piece: i.amount for r in found for i in r.items}
    value_before = {o.piece: o.amount for o in before}
    for token_id, amount in cleared.items():
        assert c.piece(token_id).value == value_before[token_id] - amount
    after = obligations_on_chain(c, pieces)
    assert {o.piece: o.amount for o in after} == {
        p: v - cleared.get(p, 0) for p, v in value_before.items() if v > cleared.get(p, 0)
    }
    assert moved(after) == moved(before)


def moved(obligations: list[Obligation]) -> dict[str, int]:
    """Each member's net position, members at nil left out."""
    return {member: net for member, net in net_of(obligations, {}).items() if net}
