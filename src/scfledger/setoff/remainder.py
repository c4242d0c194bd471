"""The token's remainder rule for a round: a piece that clears in part keeps at least the
minimum piece value (ReceivableToken `minPieceValue`, checked again by SetOff `propose`),
and how a pair's cleared amount is spread over its pieces under it (docs/setoff.md)."""

from __future__ import annotations

from collections.abc import Sequence


def partial_cap(value: int, minimum: int) -> int:
    """The most a piece of `value` may clear in part: what leaves `minimum` (0: only whole)."""
    return max(0, value - minimum)


def allowed(amount: int, value: int, minimum: int) -> bool:
    """Whether clearing `amount` (0: not at all) of a piece of `value` is allowed: nothing,
    the whole piece, or a part leaving at least `minimum`."""
    return amount == value or 0 <= amount <= partial_cap(value, minimum)


def _fill(total: int, values: Sequence[int], whole: set[int], minimum: int) -> list[int] | None:
    """The pieces at indices `whole` cleared whole, the rest of `total` over the others in
    order, each up to its partial cap; None if it does not fit."""
    left = total - sum(values[i] for i in whole)
    amounts = []
    for i, value in enumerate(values):
        take = value if i in whole else min(left, partial_cap(value, minimum))
        if i not in whole:
            left -= take
        amounts.append(take)
    return amounts if left == 0 else None


def _smallest_whole(total: int, values: Sequence[int]) -> set[int]:
    """The pieces cleared whole when the oldest-first spread breaks the rule: the smallest
    first while they fit. Clearing a piece whole rather than in part frees min(value,
    minimum) of the pair's total for the others; smallest first is the knapsack's greedy
    order for that (it frees the most per unit cleared)."""
    whole: set[int] = set()
    room = total
    for i in sorted(range(len(values)), key=lambda i: (values[i], i)):
        if values[i] <= room:
            whole.add(i)
            room -= values[i]
    return whole


def spread(total: int, values: Sequence[int], minimum: int) -> list[int] | None:
    """How much of each piece (values in piece order) clears so that `total` clears in all
    and every piece keeps the rule; None if this finds no way (see `reachable_below`).
    First the planner's spread: oldest pieces whole, the next in part; if its part leaves
    less than `minimum`, the smallest pieces whole and the rest in parts, oldest first."""
    amounts = []
    left = total
    for value in values:
        take = min(value, left)
        amounts.append(take)
        left -= take
    if left == 0 and all(allowed(a, v, minimum) for a, v in zip(amounts, values, strict=True)):
        return amounts
    return _fill(total, values, _smallest_whole(total, values), minimum)


def reachable_below(total: int, values: Sequence[int], minimum: int) -> int:
    """An amount below `total` that `spread` can clear over the pieces, when it cannot clear
    `total`: the smallest pieces whole as for `total`, every other at its partial cap."""
    whole = _smallest_whole(total, values)
    reachable = sum(v if i in whole else partial_cap(v, minimum) for i, v in enumerate(values))
    if reachable >= total:
        raise ValueError(f"{total} can be spread over {list(values)}")
    return reachable
