"""The planner's properties: net positions unchanged, no piece clears more than its value,
the exhaustive optimum on small graphs, at least greedy cycle cancelling, the reference's
total; and the same plan whatever the order of the obligations."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scfledger.setoff.greedy import greedy_cleared
from scfledger.setoff.obligations import Obligation
from scfledger.setoff.planner import Plan, plan
from scfledger.setoff.reference import reference_cleared
from tests.setoff.graphs import FIRMS, graphs, net_of


def cleared_of(result: Plan) -> dict[int, int]:
    return {c.piece: c.amount for c in result.clearings}


def exhaustive_optimum(obligations: Sequence[Obligation], *, minimum: int = 1) -> int:
    """The most any integer clearing can clear with every net position kept and no piece
    left with 0 < value < `minimum`: each piece tried at every amount from 0 to its value
    that leaves 0 or at least `minimum` (or nothing cleared), a branch dropped once a firm
    whose pieces are all decided is out of balance."""
    last_use: dict[str, int] = {}
    for index, o in enumerate(obligations):
        last_use[o.debtor] = last_use[o.creditor] = index
    closing = defaultdict(list)  # index -> firms all of whose pieces are decided there
    for firm, index in last_use.items():
        closing[index].append(firm)
    best = 0

    def search(index: int, balance: dict[str, int], total: int) -> None:
        nonlocal best
        if index == len(obligations):
            best = max(best, total)
            return
        o = obligations[index]
        for amount in range(o.amount + 1):
            if amount > 0 and 0 < o.amount - amount < minimum:
                continue
            after = dict(balance)
            after[o.debtor] = after.get(o.debtor, 0) - amount
            after[o.creditor] = after.get(o.creditor, 0) + amount
            if all(after.get(firm, 0) == 0 for firm in closing[index]):
                search(index + 1, after, total + amount)

    search(0, {}, 0)
    return best


def check_plan(obligations: Sequence[Obligation], result: Plan, *, minimum: int = 1) -> None:
    """The properties every plan has; with `minimum`, the token's remainder rule."""
    by_piece = {o.piece: o for o in obligations}
    pieces = [c.piece for c in result.clearings]
    assert pieces == sorted(set(pieces)), "one clearing per piece, in piece order"
    for c in result.clearings:
        o = by_piece[c.piece]
        assert 0 < c.amount <= o.amount, f"piece {c.piece} clears {c.amount} of {o.amount}"
        assert (c.debtor, c.creditor) == (o.debtor, o.creditor)
        left = o.amount - c.amount
        assert left == 0 or left >= minimum, f"piece {c.piece} keeps {left} < {minimum}"
    assert net_of(obligations, cleared_of(result)) == net_of(obligations, {})
    assert result.cleared == sum(c.amount for c in result.clearings)
    assert result.total_debt == sum(o.amount for o in obligations)
    for p in result.positions:
        assert p.receivable_after - p.payable_after == p.net
        assert 0 <= p.payable_after <= p.payable_before
        assert p.payable_before - p.payable_after == p.receivable_before - p.receivable_after


@settings(max_examples=300, deadline=None)
@given(graphs())
def test_plan_keeps_net_positions_and_clears_no_piece_beyond_its_value(
    obligations: list[Obligation],
) -> None:
    check_plan(obligations, plan(obligations))


@settings(max_examples=200, deadline=None)
@given(graphs())
def test_plan_clears_the_exhaustive_optimum_on_small_graphs(
    obligations: list[Obligation],
) -> None:
    assert plan(obligations).cleared == exhaustive_optimum(obligations)


@settings(max_examples=200, deadline=None)
@given(graphs(firms=8, obligations=30, amount=10**6))
def test_plan_clears_at_least_greedy_cycle_cancelling(obligations: list[Obligation]) -> None:
    result = plan(obligations)
    check_plan(obligations, result)
    assert result.cleared >= greedy_cleared(obligations)


@settings(max_examples=100, deadline=None)
@given(graphs(firms=8, obligations=30, amount=10**6))
def test_plan_clears_what_the_reference_clears(obligations: list[Obligation]) -> None:
    cleared = plan(obligations).cleared
    assert cleared == sum(reference_cleared(obligations).values())
    assert cleared == sum(reference_cleared(obligations, solver="capacity_scaling").values())


@settings(max_examples=150, deadline=None)
@given(graphs(amount=12), st.integers(1, 12))
def test_plan_with_a_minimum_leaves_no_piece_below_it_and_keeps_net_positions(
    obligations: list[Obligation], minimum: int
) -> None:
    result = plan(obligations, minimum=minimum)
    check_plan(obligations, result, minimum=minimum)
    assert result.cleared <= exhaustive_optimum(obligations, minimum=minimum)
    assert result.cleared <= plan(obligations).cleared


@settings(max_examples=100, deadline=None)
@given(graphs(firms=8, obligations=40, amount=10**6), st.integers(1, 10**6))
def test_plan_with_a_minimum_on_larger_graphs(obligations: list[Obligation], minimum: int) -> None:
    result = plan(obligations, minimum=minimum)
    check_plan(obligations, result, minimum=minimum)
    assert result.cleared <= plan(obligations).cleared


def test_plan_with_a_minimum_clears_whole_pieces_or_leaves_the_minimum() -> None:
    """A 3-cycle a -> b -> c -> a of 100, 100, 95 and a 2-cycle a -> c -> a of 50 and 50.
    Without a minimum 390 clears: piece 4 (a -> c) 45, leaving 5. With a minimum of 10 a
    part may leave no less than 10: with x1 = x2 = x3 + x5 - x4 (b and a balanced) the
    total 3(x3 + x5) - x4 is at most 370 (x3 + x5 = 145 needs x4 = 45, not allowed; the
    next sum allowed is 135, x4 = 35), what the planner clears."""
    a, b, c = FIRMS[:3]
    obligations = [
        Obligation(1, a, b, 100),
        Obligation(2, b, c, 100),
        Obligation(3, c, a, 95),
        Obligation(4, a, c, 50),
        Obligation(5, c, a, 50),
    ]
    assert [(x.piece, x.amount) for x in plan(obligations).clearings] == [
        (1, 100),
        (2, 100),
        (3, 95),
        (4, 45),
        (5, 50),
    ]
    result = plan(obligations, minimum=10)
    assert [(x.piece, x.amount) for x in result.clearings] == [
        (1, 100),
        (2, 100),
        (3, 95),
        (4, 35),
        (5, 40),
    ]
    assert result.cleared == 370
    check_plan(obligations, result, minimum=10)


def test_plan_refuses_a_minimum_below_one() -> None:
    with pytest.raises(ValueError, match="minimum 0 is below 1"):
        plan([], minimum=0)


@settings(max_examples=100, deadline=None)
@given(graphs(firms=8, obligations=20, amount=1000), st.randoms(use_true_random=False))
def test_plan_is_the_same_whatever_the_order_of_obligations(
    obligations: list[Obligation], rng: random.Random
) -> None:
    shuffled = list(obligations)
    rng.shuffle(shuffled)
    assert plan(shuffled) == plan(obligations)


def test_plan_spreads_a_pair_over_its_pieces_oldest_first_up_to_each_value() -> None:
    a, b, c, d = FIRMS[:4]
    obligations = [
        Obligation(7, a, b, 100),
        Obligation(2, a, b, 50),
        Obligation(5, a, b, 30),
        Obligation(3, b, c, 120),
        Obligation(4, c, a, 120),
        Obligation(6, d, a, 10),  # d is owed nothing: pruned, nothing of it clears
    ]
    result = plan(obligations)
    assert [(x.piece, x.amount) for x in result.clearings] == [
        (2, 50),
        (3, 120),
        (4, 120),
        (5, 30),
        (7, 40),
    ]
    assert (result.total_debt, result.cleared, result.remaining) == (430, 360, 70)
    # Net positions: a -50 (owes 180 + is owed 130), b +60, c 0, d -10: the debt that stays.
    assert result.net_internal_debt == 60
    positions = {p.member: p for p in result.positions}
    assert (positions[a].payable_after, positions[a].receivable_after) == (60, 10)
    assert (positions[d].payable_after, positions[d].cleared) == (10, 0)
    check_plan(obligations, result)


def test_plan_of_a_graph_without_cycles_clears_nothing() -> None:
    a, b, c = FIRMS[:3]
    chain = [Obligation(1, a, b, 10), Obligation(2, b, c, 10), Obligation(3, a, c, 5)]
    result = plan(chain)
    assert (result.clearings, result.cleared, result.total_debt) == ((), 0, 25)
    assert plan([]).cleared == 0


@pytest.mark.parametrize(
    ("obligations", "message"),
    [
        ([Obligation(1, "a", "b", 5), Obligation(1, "b", "a", 5)], "piece 1 is listed twice"),
        ([Obligation(1, "a", "b", 0)], "piece 1 has amount 0"),
    ],
)
def test_plan_refuses_a_repeated_piece_or_an_empty_amount(
    obligations: list[Obligation], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        plan(obligations)


def test_exhaustive_optimum_is_an_optimum() -> None:
    """The brute force itself, on a hand-solved graph: a owes b 5, b owes c 3, c owes a 4,
    a owes c 2. A 3-cycle a-b-c and a 2-cycle a-c share the debt c -> a of 4: clearing x
    around the first and y around the second needs x <= 3, y <= 2, x + y <= 4 and clears
    3x + 2y, at most 11 (x = 3, y = 1)."""
    a, b, c = FIRMS[:3]
    obligations = [
        Obligation(1, a, b, 5),
        Obligation(2, b, c, 3),
        Obligation(3, c, a, 4),
        Obligation(4, a, c, 2),
    ]
    assert exhaustive_optimum(obligations) == 11
    assert plan(obligations).cleared == 11


def test_plan_and_reference_clear_all_when_every_net_position_is_nil() -> None:
    a, b, c = FIRMS[:3]
    balanced = [Obligation(1, a, b, 7), Obligation(2, b, a, 3), Obligation(3, b, c, 4)]
    balanced.append(Obligation(4, c, a, 4))
    assert plan(balanced).cleared == 18
    assert reference_cleared(balanced) == {(a, b): 7, (b, a): 3, (b, c): 4, (c, a): 4}
    assert reference_cleared(balanced, solver="capacity_scaling") == reference_cleared(balanced)


def test_greedy_cancels_every_cycle_by_its_smallest_debt() -> None:
    """The floor itself: a 3-cycle of 5, 3, 4 clears 3 around it, a separate 2-cycle of 2
    and 6 clears 2 around it, a debt on no cycle clears nothing."""
    a, b, c, d, e = FIRMS[:5]
    obligations = [
        Obligation(1, a, b, 5),
        Obligation(2, b, c, 3),
        Obligation(3, c, a, 4),
        Obligation(4, d, e, 2),
        Obligation(5, e, d, 6),
        Obligation(6, a, d, 9),
    ]
    assert greedy_cleared(obligations) == 3 * 3 + 2 * 2
    assert plan(obligations).cleared == 3 * 3 + 2 * 2
