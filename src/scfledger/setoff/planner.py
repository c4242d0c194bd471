"""The set-off planner: MTCS, multilateral trade credit set-off (Fleischman and Dini, JRFM
2021, 14(9):452), on networkx's network simplex. Which pieces shrink by how much so that the
most debt clears while every member's net position stays what it was (docs/setoff.md)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import networkx as nx

from scfledger.setoff.obligations import Obligation
from scfledger.setoff.remainder import reachable_below, spread

Pair = tuple[str, str]  # (debtor, creditor)
Limits = dict[Pair, int]  # the most that may clear per pair


@dataclass(frozen=True)
class Clearing:
    """`amount` (> 0, at most the piece's value) of `piece` clears in the round."""

    piece: int
    debtor: str
    creditor: str
    amount: int


@dataclass(frozen=True)
class Position:
    """What a member owes (`payable`) and is owed (`receivable`) in the graph, before and
    after the round; its net position (`net`: receivable - payable) does not change."""

    member: str
    payable_before: int
    receivable_before: int
    payable_after: int
    receivable_after: int

    @property
    def net(self) -> int:
        return self.receivable_before - self.payable_before

    @property
    def cleared(self) -> int:
        """How much of what it owes (and, as much, of what it is owed) clears."""
        return self.payable_before - self.payable_after


@dataclass(frozen=True)
class Plan:
    """A round: the clearings in piece order, every member's positions (by address), the
    total debt of the graph, what clears, and the net internal debt (the sum of positive
    net positions: what no clearing can remove, only payment)."""

    clearings: tuple[Clearing, ...]
    positions: tuple[Position, ...]
    total_debt: int
    cleared: int
    net_internal_debt: int

    @property
    def remaining(self) -> int:
        return self.total_debt - self.cleared


def checked(obligations: Iterable[Obligation]) -> list[Obligation]:
    """The obligations in piece order; ValueError on a repeated piece or an amount <= 0."""
    ordered = sorted(obligations)
    for before, after in pairwise(ordered):
        if before.piece == after.piece:
            raise ValueError(f"piece {after.piece} is listed twice")
    for o in ordered:
        if o.amount <= 0:
            raise ValueError(f"piece {o.piece} has amount {o.amount}: obligations are > 0")
    return ordered


def pair_totals(obligations: Iterable[Obligation]) -> dict[Pair, int]:
    """What each debtor owes each creditor, all pieces together; a member's debt to itself
    (a piece held by its own debtor) is left out: it is no obligation between two parties."""
    totals: dict[Pair, int] = defaultdict(int)
    for o in obligations:
        if o.debtor != o.creditor:
            totals[o.debtor, o.creditor] += o.amount
    return dict(sorted(totals.items()))


def prune(totals: dict[Pair, int]) -> dict[Pair, int]:
    """The pairs left once firms that owe nothing or are owed nothing are dropped, again
    and again (MTCS's first step): no debt of theirs lies on a cycle."""
    kept = dict(totals)
    while True:
        both = {debtor for debtor, _ in kept} & {creditor for _, creditor in kept}
        left = {(d, c): amount for (d, c), amount in kept.items() if d in both and c in both}
        if len(left) == len(kept):
            return left
        kept = left


def net_positions(totals: dict[Pair, int]) -> dict[str, int]:
    """Each firm's net position: what it is owed minus what it owes."""
    net: dict[str, int] = defaultdict(int)
    for (debtor, creditor), amount in totals.items():
        net[debtor] -= amount
        net[creditor] += amount
    return dict(net)


def clear_pairs(totals: dict[Pair, int], limits: Limits | None = None) -> dict[Pair, int]:
    """What clears per pair: each pair's total minus the min-cost flow that carries every
    net debtor's position to the net creditors over the remaining debts (cost 1 per unit
    and edge, capacity the pair's total): the least debt that must stay for the net
    positions to hold, so the most that can clear. A pair with a limit clears at most
    that: at least its total minus the limit stays, a flow forced through it (taken off
    its capacity and moved into the demands of its two ends)."""
    graph: nx.DiGraph[str] = nx.DiGraph()
    demand = net_positions(totals)
    forced = {}
    for pair, amount in totals.items():
        forced[pair] = amount - min(amount, (limits or {}).get(pair, amount))
        demand[pair[0]] += forced[pair]
        demand[pair[1]] -= forced[pair]
    for member, net in sorted(demand.items()):
        graph.add_node(member, demand=net)
    for (debtor, creditor), amount in totals.items():
        graph.add_edge(debtor, creditor, capacity=amount - forced[debtor, creditor], weight=1)
    if graph.number_of_edges() == 0:
        return {}
    _, flow = nx.network_simplex(graph)
    cleared = {
        pair: amount - forced[pair] - flow[pair[0]][pair[1]] for pair, amount in totals.items()
    }
    return {pair: amount for pair, amount in cleared.items() if amount > 0}


def pieces_of(obligations: Sequence[Obligation]) -> dict[Pair, list[Obligation]]:
    """Each pair's pieces, in piece order."""
    pieces: dict[Pair, list[Obligation]] = defaultdict(list)
    for o in obligations:  # in piece order
        pieces[o.debtor, o.creditor].append(o)
    return dict(pieces)


def clear_pairs_leaving_minimum(
    totals: dict[Pair, int], pieces: dict[Pair, list[Obligation]], minimum: int
) -> dict[Pair, int]:
    """What clears per pair when no piece may keep less than `minimum` (0 < kept <
    minimum): the flow solved again with a lower limit on each pair whose cleared amount
    its pieces cannot carry under the rule, until every pair's can. Limits only fall, so
    this ends (at worst at nothing cleared); what it costs against the optimum without the
    rule is in bench/setoff.py."""
    limits: Limits = {}
    while True:
        cleared = clear_pairs(totals, limits)
        lower = {
            pair: reachable_below(amount, [o.amount for o in pieces[pair]], minimum)
            for pair, amount in cleared.items()
            if spread(amount, [o.amount for o in pieces[pair]], minimum) is None
        }
        if not lower:
            return cleared
        limits.update(lower)


def clearings_of(
    cleared: dict[Pair, int], pieces: dict[Pair, list[Obligation]], minimum: int
) -> list[Clearing]:
    """Each pair's cleared amount over its pieces (`remainder.spread`: oldest whole first,
    the rule kept), in piece order."""
    clearings = []
    for pair, amount in cleared.items():
        amounts = spread(amount, [o.amount for o in pieces[pair]], minimum)
        if amounts is None:
            raise ValueError(f"{amount} of {pair} cannot clear with minimum {minimum}")
        clearings += [
            Clearing(o.piece, o.debtor, o.creditor, take)
            for o, take in zip(pieces[pair], amounts, strict=True)
            if take > 0
        ]
    return sorted(clearings, key=lambda c: c.piece)


def positions(obligations: Sequence[Obligation], clearings: Sequence[Clearing]) -> list[Position]:
    """Every member's positions before and after the clearings, by member."""
    payable: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    receivable: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for o in obligations:
        for column in (0, 1):
            payable[o.debtor][column] += o.amount
            receivable[o.creditor][column] += o.amount
    for c in clearings:
        payable[c.debtor][1] -= c.amount
        receivable[c.creditor][1] -= c.amount
    return [
        Position(m, payable[m][0], receivable[m][0], payable[m][1], receivable[m][1])
        for m in sorted(payable.keys() | receivable.keys())
    ]


def plan(obligations: Iterable[Obligation], *, minimum: int = 1) -> Plan:
    """The round that clears the most of `obligations` (one currency) with every member's
    net position unchanged and no piece left with less than `minimum` (the token's
    `minPieceValue`) unless cleared whole; 1, the default, is no such rule. The same
    obligations, in any order, give the same plan. `rounds.rounds` splits it into what
    the contract accepts."""
    if minimum < 1:
        raise ValueError(f"minimum {minimum} is below 1")
    ordered = checked(obligations)
    totals = pair_totals(ordered)
    pieces = pieces_of(ordered)
    clearings = clearings_of(
        clear_pairs_leaving_minimum(prune(totals), pieces, minimum), pieces, minimum
    )
    net = net_positions(totals)
    return Plan(
        clearings=tuple(clearings),
        positions=tuple(positions(ordered, clearings)),
        total_debt=sum(o.amount for o in ordered),
        cleared=sum(c.amount for c in clearings),
        net_internal_debt=sum(amount for amount in net.values() if amount > 0),
    )
