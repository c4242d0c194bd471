"""A plan split into the rounds SetOff accepts: each round a circulation of at most
MAX_ROUND_ITEMS pieces in ascending token id, every piece in one round only, every part
leaving the token's minimum piece value (docs/setoff.md)."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from scfledger.chain.generated import MAX_ROUND_ITEMS
from scfledger.setoff.obligations import Obligation
from scfledger.setoff.planner import Clearing, Plan
from scfledger.setoff.remainder import allowed, partial_cap


@dataclass(frozen=True)
class Round:
    """One proposal: its items in ascending piece order; every party gives up as much
    receivable as it sheds debt."""

    items: tuple[Clearing, ...]

    @property
    def total(self) -> int:
        return sum(item.amount for item in self.items)


@dataclass
class Cycle:
    """Debt cleared around a cycle: `amount` off each of `pieces` (distinct, each owed by
    the creditor of the one before, the first by the creditor of the last)."""

    pieces: tuple[int, ...]
    amount: int


def cycles(clearings: Sequence[Clearing]) -> list[Cycle]:
    """The clearings (a circulation) as a sum of cycles: for the lowest piece with some of
    its amount left, the shortest way back from its creditor to its debtor over what is
    left (breadth first, pieces in order), as much as the least of them; again until
    nothing is left. ValueError if the clearings are not a circulation."""
    left = {c.piece: c.amount for c in clearings}
    by_piece = {c.piece: c for c in clearings}
    owed_by: dict[str, list[int]] = {}
    for c in sorted(clearings, key=lambda c: c.piece):
        owed_by.setdefault(c.debtor, []).append(c.piece)
    found = []
    for first in sorted(left):
        while left[first] > 0:
            start, goal = by_piece[first].creditor, by_piece[first].debtor
            came_by: dict[str, int | None] = {start: None}
            queue = deque([start])
            while queue and goal not in came_by:
                member = queue.popleft()
                for piece in owed_by.get(member, ()):
                    creditor = by_piece[piece].creditor
                    if left[piece] > 0 and piece != first and creditor not in came_by:
                        came_by[creditor] = piece
                        queue.append(creditor)
            if goal not in came_by:
                raise ValueError(f"piece {first} clears {left[first]} on no cycle")
            back = []
            member = goal
            while (step := came_by[member]) is not None:
                back.append(step)
                member = by_piece[step].debtor
            path = [first, *reversed(back)]
            amount = min(left[p] for p in path)
            for p in path:
                left[p] -= amount
            found.append(Cycle(tuple(path), amount))
    return found


def _pack(found: list[Cycle], max_items: int) -> list[list[Cycle]]:
    """The cycles grouped into rounds of at most `max_items` pieces, no piece in two
    rounds. Each round starts from the cycle that clears the most (amount x pieces) and
    takes, while one fits, the cycle that clears the most per piece it adds (a cycle over
    pieces the round already has adds none): once a round is closed, every cycle through
    one of its pieces is dropped, so a round gathers the cycles that share its pieces. A
    cycle of more than `max_items` pieces is dropped."""
    waiting = sorted(
        (c for c in found if len(c.pieces) <= max_items), key=lambda c: -c.amount * len(c.pieces)
    )
    packed = []
    while waiting:
        chosen = [waiting[0]]
        pieces = set(waiting[0].pieces)
        rest = waiting[1:]
        while True:
            best, best_worth = None, -1.0
            for index, c in enumerate(rest):
                added = len(pieces.union(c.pieces)) - len(pieces)
                worth = c.amount * len(c.pieces) / (added + 1)
                if len(pieces) + added <= max_items and worth > best_worth:
                    best, best_worth = index, worth
            if best is None:
                break
            chosen.append(rest.pop(best))
            pieces.update(chosen[-1].pieces)
        packed.append(chosen)
        waiting = [c for c in rest if not pieces.intersection(c.pieces)]
    return packed


def _keep_minimum(chosen: list[Cycle], values: dict[int, int], minimum: int) -> None:
    """Lowers the cycles until every piece's amount over them keeps the remainder rule: a
    piece that would keep less than `minimum` clears its partial cap (or nothing), its
    cycles lowered by the excess, largest first. Each step lowers the total, so it ends."""
    while True:
        amounts: dict[int, int] = {}
        for c in chosen:
            for p in c.pieces:
                amounts[p] = amounts.get(p, 0) + c.amount
        broken = sorted(p for p, a in amounts.items() if not allowed(a, values[p], minimum))
        if not broken:
            return
        piece = broken[0]
        excess = amounts[piece] - partial_cap(values[piece], minimum)
        for c in sorted((c for c in chosen if piece in c.pieces), key=lambda c: -c.amount):
            cut = min(excess, c.amount)
            c.amount -= cut
            excess -= cut


def rounds(
    plan: Plan,
    obligations: Sequence[Obligation],
    *,
    minimum: int,
    max_items: int = MAX_ROUND_ITEMS,
) -> list[Round]:
    """The plan's clearings as rounds SetOff accepts, one proposal each: every round a
    circulation (the sum of some of the plan's cycles), at most `max_items` pieces in
    ascending id, no piece in two rounds (a piece a round changed no longer matches a later
    round's snapshot: `PieceChangedSincePlan`), no piece left with 0 < value < `minimum`.
    They clear together what the plan clears when its pieces keep the rule (plan it with
    the same `minimum`) and its cycles that share pieces have at most `max_items` pieces
    together; otherwise less: the cycles that did not fit are dropped and the amounts
    lowered (docs/setoff.md)."""
    if minimum < 1 or max_items < 1:
        raise ValueError(f"minimum {minimum} and max_items {max_items} must be at least 1")
    values = {o.piece: o.amount for o in obligations}
    for c in plan.clearings:
        if not 0 < c.amount <= values.get(c.piece, 0):
            raise ValueError(f"piece {c.piece} clears {c.amount} of {values.get(c.piece, 0)}")
    by_piece = {c.piece: c for c in plan.clearings}
    found = []
    for chosen in _pack(cycles(plan.clearings), max_items):
        _keep_minimum(chosen, values, minimum)
        amounts: dict[int, int] = {}
        for cycle in chosen:
            for p in cycle.pieces:
                amounts[p] = amounts.get(p, 0) + cycle.amount
        items = tuple(
            Clearing(p, by_piece[p].debtor, by_piece[p].creditor, amount)
            for p, amount in sorted(amounts.items())
            if amount > 0
        )
        if items:
            found.append(Round(items))
    return found
