"""The published max-flow min-cost formulation of obligation clearing, implemented plainly,
to check the planner (tests, bench/setoff.py; Fleischman and Dini, JRFM 2021, 14(9):452):
the debts per pair as edges of capacity their total and cost 1, a source with an edge to
each net debtor of capacity its position, an edge from each net creditor to a sink of
capacity its position; the max flow of least cost from source to sink is the debt that
must stay, the rest clears. Unlike the planner, no firm is pruned first, and the solver is
networkx's `max_flow_min_cost` (preflow-push for the max flow, then a min-cost flow of that
value) or, slower, its `capacity_scaling` (successive shortest paths), not a network
simplex over net positions as demands."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import networkx as nx

from scfledger.setoff.obligations import Obligation
from scfledger.setoff.planner import Pair, pair_totals

SOURCE = ("source",)  # not a member: members are strings
SINK = ("sink",)
Solver = Literal["max_flow_min_cost", "capacity_scaling"]


def reference_cleared(
    obligations: Iterable[Obligation], *, solver: Solver = "max_flow_min_cost"
) -> dict[Pair, int]:
    """What clears per (debtor, creditor) pair (pairs that clear nothing left out)."""
    totals = pair_totals(obligations)
    graph: nx.DiGraph[object] = nx.DiGraph()
    net: dict[str, int] = {}
    for (debtor, creditor), amount in totals.items():
        graph.add_edge(debtor, creditor, capacity=amount, weight=1)
        net[debtor] = net.get(debtor, 0) - amount
        net[creditor] = net.get(creditor, 0) + amount
    owed = 0
    for member, position in net.items():
        if position < 0:
            graph.add_edge(SOURCE, member, capacity=-position, weight=0)
        elif position > 0:
            graph.add_edge(member, SINK, capacity=position, weight=0)
            owed += position
    if owed == 0:  # every net position is nil: all of the debt goes round in cycles
        return dict(totals)
    if solver == "capacity_scaling":
        graph.add_node(SOURCE, demand=-owed)
        graph.add_node(SINK, demand=owed)
        _, flow = nx.capacity_scaling(graph)
    else:
        flow = nx.max_flow_min_cost(graph, SOURCE, SINK)
    cleared = {(u, v): amount - flow[u][v] for (u, v), amount in totals.items()}
    return {pair: amount for pair, amount in cleared.items() if amount > 0}
