"""Rounds the contract accepts: each checked here as SetOff `propose` checks it (the rule
re-implemented from contracts/SetOff.sol, not from the code under test), each piece in one
round, the rounds together clearing what the plan clears when nothing had to be cut."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scfledger.setoff.obligations import Obligation
from scfledger.setoff.planner import Clearing, Plan, plan
from scfledger.setoff.rounds import Round, cycles, rounds
from tests.setoff.graphs import FIRMS, graphs, net_of


def assert_contract_accepts(
    obligations: Sequence[Obligation], found: Sequence[Round], *, minimum: int, max_items: int
) -> None:
    """Every round passes SetOff `propose` and `execute` in turn, all proposed before any
    executes: 1..max_items items, token ids strictly ascending, each 0 < amount <= value and
    the remainder 0 or at least the minimum, per party (holder and the piece's debtor) the
    value given up equal to the debt shed; no piece in two rounds (execution would find it
    changed since its snapshot: PieceChangedSincePlan)."""
    by_piece = {o.piece: o for o in obligations}
    seen: Counter[int] = Counter()
    for r in found:
        assert 1 <= len(r.items) <= max_items, "InvalidRoundSize"
        ids = [item.piece for item in r.items]
        assert all(a < b for a, b in pairwise(ids)), "PiecesNotAscending"
        nets: dict[str, int] = defaultdict(int)
        for item in r.items:
            o = by_piece[item.piece]
            assert 0 < item.amount <= o.amount, "InvalidNetAmount"
            remainder = o.amount - item.amount
            assert remainder == 0 or remainder >= minimum, "ValueBelowMinimum"
            assert (item.debtor, item.creditor) == (o.debtor, o.creditor)
            nets[o.creditor] -= item.amount
            nets[o.debtor] += item.amount
            seen[item.piece] += 1
        assert all(net == 0 for net in nets.values()), f"RoundUnbalanced {dict(nets)}"
        assert r.total == sum(item.amount for item in r.items)
    assert all(times == 1 for times in seen.values()), "PieceChangedSincePlan"


def cleared_by(found: Sequence[Round]) -> dict[int, int]:
    return {item.piece: item.amount for r in found for item in r.items}


def plan_cleared(result: Plan) -> dict[int, int]:
    return {c.piece: c.amount for c in result.clearings}


@settings(max_examples=200, deadline=None)
@given(graphs(firms=6, obligations=14, amount=20), st.integers(1, 20), st.integers(1, 8))
def test_rounds_are_accepted_by_the_contract(
    obligations: list[Obligation], minimum: int, max_items: int
) -> None:
    result = plan(obligations, minimum=minimum)
    found = rounds(result, obligations, minimum=minimum, max_items=max_items)
    assert_contract_accepts(obligations, found, minimum=minimum, max_items=max_items)
    cleared = cleared_by(found)
    assert all(amount <= plan_cleared(result)[p] for p, amount in cleared.items())
    assert net_of(obligations, cleared) == net_of(obligations, {})


@settings(max_examples=200, deadline=None)
@given(graphs(firms=6, obligations=14, amount=20), st.integers(1, 20))
def test_rounds_clear_the_whole_plan_when_its_groups_fit(
    obligations: list[Obligation], minimum: int
) -> None:
    """With room for every group of cycles that share pieces (max_items = every piece), the
    rounds clear each piece exactly as the plan does."""
    result = plan(obligations, minimum=minimum)
    found = rounds(result, obligations, minimum=minimum, max_items=max(1, len(obligations)))
    assert_contract_accepts(obligations, found, minimum=minimum, max_items=len(obligations))
    assert cleared_by(found) == plan_cleared(result)
    assert sum(r.total for r in found) == result.cleared


@settings(max_examples=150, deadline=None)
@given(graphs(firms=6, obligations=14, amount=20), st.integers(2, 20), st.integers(1, 8))
def test_rounds_of_a_plan_without_the_minimum_still_keep_it(
    obligations: list[Obligation], minimum: int, max_items: int
) -> None:
    """A plan made without the rule is lowered until every piece keeps it."""
    found = rounds(plan(obligations), obligations, minimum=minimum, max_items=max_items)
    assert_contract_accepts(obligations, found, minimum=minimum, max_items=max_items)


@settings(max_examples=100, deadline=None)
@given(graphs(firms=8, obligations=40, amount=10**6), st.integers(1, 10**5))
def test_rounds_of_larger_graphs_are_accepted_by_the_contract(
    obligations: list[Obligation], minimum: int
) -> None:
    found = rounds(plan(obligations, minimum=minimum), obligations, minimum=minimum)
    assert_contract_accepts(obligations, found, minimum=minimum, max_items=32)


@settings(max_examples=200, deadline=None)
@given(graphs(firms=6, obligations=14, amount=20))
def test_cycles_add_up_to_the_clearings(obligations: list[Obligation]) -> None:
    """Every cycle is one: each piece owed by the creditor of the one before, the first by
    the creditor of the last; its pieces distinct; together the plan's amounts."""
    result = plan(obligations)
    by_piece = {c.piece: c for c in result.clearings}
    total: Counter[int] = Counter()
    for cycle in cycles(result.clearings):
        assert cycle.amount > 0
        assert len(set(cycle.pieces)) == len(cycle.pieces)
        for before, after in zip(cycle.pieces, cycle.pieces[1:] + cycle.pieces[:1], strict=True):
            assert by_piece[before].creditor == by_piece[after].debtor
        for p in cycle.pieces:
            total[p] += cycle.amount
    assert dict(total) == plan_cleared(result)


def test_rounds_split_a_group_too_large_and_lower_what_would_break_the_minimum() -> None:
    """The 3-cycle 1, 2, 3 and the 2-cycle 4, 5 share no piece once planned with the
    minimum of 10 (pieces 1 and 2 clear 95 on 3 and 5 on 5): the decomposition finds the
    cycles 1-2-3 (95), 1-2-5 (5) and 4-5 (35), one group of 5 pieces. With 3 items a
    round, the largest cycle goes first, 4-5 in a second round, 1-2-5 is dropped (its
    pieces are in both); pieces 1 and 2 would then keep 5 < 10: lowered to 90, which
    leaves piece 3 with 5: lowered to 85, the whole cycle with it."""
    a, b, c = FIRMS[:3]
    obligations = [
        Obligation(1, a, b, 100),
        Obligation(2, b, c, 100),
        Obligation(3, c, a, 95),
        Obligation(4, a, c, 50),
        Obligation(5, c, a, 50),
    ]
    result = plan(obligations, minimum=10)
    assert [(x.pieces, x.amount) for x in cycles(result.clearings)] == [
        ((1, 2, 3), 95),
        ((1, 2, 5), 5),
        ((4, 5), 35),
    ]
    assert rounds(result, obligations, minimum=10) == [
        Round(
            (
                Clearing(1, a, b, 100),
                Clearing(2, b, c, 100),
                Clearing(3, c, a, 95),
                Clearing(4, a, c, 35),
                Clearing(5, c, a, 40),
            )
        )
    ]
    found = rounds(result, obligations, minimum=10, max_items=3)
    assert found == [
        Round((Clearing(1, a, b, 85), Clearing(2, b, c, 85), Clearing(3, c, a, 85))),
        Round((Clearing(4, a, c, 35), Clearing(5, c, a, 35))),
    ]
    assert [r.total for r in found] == [255, 70]
    assert_contract_accepts(obligations, found, minimum=10, max_items=3)


def test_rounds_drop_a_cycle_longer_than_a_round() -> None:
    chain = FIRMS[:5]
    obligations = [
        Obligation(n + 1, debtor, creditor, 10)
        for n, (debtor, creditor) in enumerate(zip(chain, chain[1:] + chain[:1], strict=True))
    ]
    result = plan(obligations)
    assert result.cleared == 50
    assert rounds(result, obligations, minimum=1, max_items=4) == []
    assert [r.total for r in rounds(result, obligations, minimum=1, max_items=5)] == [50]


def test_rounds_refuse_clearings_that_are_no_circulation_or_exceed_a_piece() -> None:
    a, b = FIRMS[:2]
    obligations = [Obligation(1, a, b, 10), Obligation(2, b, a, 10)]
    lopsided = Plan((Clearing(1, a, b, 10), Clearing(2, b, a, 5)), (), 20, 15, 0)
    with pytest.raises(ValueError, match="piece 1 clears 5 on no cycle"):
        rounds(lopsided, obligations, minimum=1)
    beyond = Plan((Clearing(1, a, b, 11), Clearing(2, b, a, 11)), (), 20, 22, 0)
    with pytest.raises(ValueError, match="piece 1 clears 11 of 10"):
        rounds(beyond, obligations, minimum=1)


@pytest.mark.parametrize(("minimum", "max_items"), [(0, 32), (1, 0)])
def test_rounds_refuse_a_minimum_or_a_size_below_one(minimum: int, max_items: int) -> None:
    with pytest.raises(ValueError, match="must be at least 1"):
        rounds(plan([]), [], minimum=minimum, max_items=max_items)
