"""Greedy cycle cancelling, the naive way to clear debt, as the floor the planner must beat
(tests, bench/setoff.py): find a cycle of debts, clear its smallest, repeat until none."""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from scfledger.setoff.obligations import Obligation
from scfledger.setoff.planner import pair_totals


def greedy_cleared(obligations: Iterable[Obligation]) -> int:
    """The total cleared by cancelling cycles one at a time (networkx's find_cycle over the
    debts per pair, in a fixed order) until no cycle is left."""
    graph: nx.DiGraph[str] = nx.DiGraph()
    for (debtor, creditor), amount in pair_totals(obligations).items():
        graph.add_edge(debtor, creditor, amount=amount)
    cleared = 0
    while True:
        try:
            cycle = nx.find_cycle(graph)
        except nx.NetworkXNoCycle:
            return cleared
        least = min(graph[u][v]["amount"] for u, v, *_ in cycle)
        for u, v, *_ in cycle:
            graph[u][v]["amount"] -= least
            if graph[u][v]["amount"] == 0:
                graph.remove_edge(u, v)
        cleared += least * len(cycle)
