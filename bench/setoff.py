"""Set-off on a SYNTHETIC trade network shaped like Sardex's (3,199 firms, 138,000
invoices: Fleischman, Dini and Littera, JRFM 2020, 13(12):295), the planner beside the
reference algorithm on the same graph.

    .venv/bin/python bench/setoff.py [--quick] [--seed 2026]

Per size (1k, 10k, 100k obligations; --quick: 1k and 10k): firms with heavy-tailed
(power-law, Pareto alpha 1.2) expected out- and in-degrees, each obligation's debtor and
creditor drawn in proportion to them (a directed Chung-Lu graph, as a configuration model
with power-law degrees), amounts log-normal (median 2,000.00 CNY). Seeded: the same
command prints the same graph and the same cleared totals; only the times vary. The
planner (scfledger.setoff.planner: MTCS on network simplex) and the reference
(scfledger.setoff.reference: the published max-flow min-cost formulation with a source
and a sink, no pruning, on networkx's max_flow_min_cost) must clear the same total; the run
fails if they do not. Greedy cycle cancelling (scfledger.setoff.greedy) up to 10k: what the
naive way clears.

A second table: what the contract's limits cost. The planner again with the token's
minimum piece value (the deployment default, 100.00 CNY: no piece left with less, unless
cleared whole), then the plan split into the rounds SetOff accepts (scfledger.setoff.rounds:
at most 32 items each, each piece in one round): how many, their items, what they clear of
the plan; up to 10k, batches: the rounds executed, the network planned again, until a
batch clears nothing.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from scfledger.chain.deploy import LedgerParams
from scfledger.chain.generated import MAX_ROUND_ITEMS
from scfledger.setoff.greedy import greedy_cleared
from scfledger.setoff.obligations import Obligation
from scfledger.setoff.planner import plan
from scfledger.setoff.reference import reference_cleared
from scfledger.setoff.rounds import Round, rounds

SIZES = (1_000, 10_000, 100_000)
QUICK = (1_000, 10_000)
INVOICES_PER_FIRM = 138_000 / 3_199  # Sardex's ratio
PARETO_ALPHA = 1.2
MEDIAN_MINOR = 200_000  # 2,000.00 CNY in fen
SIGMA = 1.5
GREEDY_UP_TO = 10_000  # greedy cycle cancelling is slow beyond
BATCHES_UP_TO = 10_000  # a plan per batch
MINIMUM = LedgerParams().min_piece_value  # the token's minimum piece value as deployed
MAX_BATCHES = 50


def firms_for(size: int) -> int:
    """Sardex's invoices per firm, at least 100 firms."""
    return max(100, round(size / INVOICES_PER_FIRM))


def network(size: int, seed: int) -> list[Obligation]:
    """`size` obligations among firms_for(size) firms, reproducibly from `seed`."""
    rng = random.Random(f"{seed}-{size}")
    firms = [f"firm{n:05d}" for n in range(firms_for(size))]
    out_weight = [rng.paretovariate(PARETO_ALPHA) for _ in firms]
    in_weight = [rng.paretovariate(PARETO_ALPHA) for _ in firms]
    obligations: list[Obligation] = []
    while len(obligations) < size:
        debtor = rng.choices(firms, out_weight)[0]
        creditor = rng.choices(firms, in_weight)[0]
        if debtor == creditor:
            continue
        amount = max(1, round(rng.lognormvariate(math.log(MEDIAN_MINOR), SIGMA)))
        obligations.append(Obligation(len(obligations) + 1, debtor, creditor, amount))
    return obligations


@dataclass(frozen=True)
class Row:
    obligations: int
    firms: int
    total_debt: int
    net_internal_debt: int
    remaining: int
    cleared: int
    planner_seconds: tuple[float, float]  # wall, CPU
    reference_cleared: int
    reference_seconds: tuple[float, float]
    greedy_cleared: int | None
    limits: Limits


@dataclass(frozen=True)
class Limits:
    """What the contract's limits leave of the plan."""

    cleared: int  # the plan with the minimum piece value
    seconds: tuple[float, float]
    rounds: list[Round]
    rounds_seconds: tuple[float, float]
    batches: tuple[int, int] | None  # (batches until one clears nothing, cleared by them)


def clocks() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def since(started: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = clocks()
    return wall - started[0], cpu - started[1]


def batches(obligations: list[Obligation]) -> tuple[int, int]:
    """Rounds executed batch after batch (each piece shrunk by what its round clears), the
    network planned again each time, until a batch clears nothing: how many cleared
    something, and the total they cleared."""
    values = {o.piece: o.amount for o in obligations}
    cleared = 0
    for batch in range(MAX_BATCHES):
        live = [replace(o, amount=values[o.piece]) for o in obligations if values[o.piece]]
        found = rounds(plan(live, minimum=MINIMUM), live, minimum=MINIMUM)
        if not found:
            return batch, cleared
        for item in (item for r in found for item in r.items):
            values[item.piece] -= item.amount
            cleared += item.amount
    return MAX_BATCHES, cleared


def limits(obligations: list[Obligation], size: int) -> Limits:
    started = clocks()
    result = plan(obligations, minimum=MINIMUM)
    seconds = since(started)
    started = clocks()
    found = rounds(result, obligations, minimum=MINIMUM, max_items=MAX_ROUND_ITEMS)
    return Limits(
        cleared=result.cleared,
        seconds=seconds,
        rounds=found,
        rounds_seconds=since(started),
        batches=batches(obligations) if size <= BATCHES_UP_TO else None,
    )


def measure(size: int, seed: int) -> Row:
    obligations = network(size, seed)
    started = clocks()
    result = plan(obligations)
    planner_seconds = since(started)
    started = clocks()
    reference = sum(reference_cleared(obligations).values())
    reference_seconds = since(started)
    greedy = greedy_cleared(obligations) if size <= GREEDY_UP_TO else None
    return Row(
        obligations=size,
        firms=len({o.debtor for o in obligations} | {o.creditor for o in obligations}),
        total_debt=result.total_debt,
        net_internal_debt=result.net_internal_debt,
        remaining=result.remaining,
        cleared=result.cleared,
        planner_seconds=planner_seconds,
        reference_cleared=reference,
        reference_seconds=reference_seconds,
        greedy_cleared=greedy,
        limits=limits(obligations, size),
    )


def seconds(measured: tuple[float, float]) -> str:
    return f"{measured[0]:.2f} ({measured[1]:.2f})"


def yuan(minor: int) -> str:
    return f"{minor / 100:,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1k and 10k obligations only")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    console = Console(width=200)
    rows = []
    for size in QUICK if args.quick else SIZES:
        rows.append(measure(size, args.seed))
        console.print(f"{size:,} obligations measured")
    table = Table(title=f"Set-off on a synthetic Sardex-like network (seed {args.seed}; CNY)")
    for column in (
        "obligations",
        "firms",
        "total debt",
        "net internal debt",
        "debt after",
        "cleared",
        "share cleared",
        "planner s (CPU)",
        "reference cleared",
        "reference s (CPU)",
        "planner / reference",
        "greedy cycles cleared",
    ):
        table.add_column(column, justify="right")
    for r in rows:
        table.add_row(
            f"{r.obligations:,}",
            f"{r.firms:,}",
            yuan(r.total_debt),
            yuan(r.net_internal_debt),
            yuan(r.remaining),
            yuan(r.cleared),
            f"{r.cleared / r.total_debt:.1%}",
            seconds(r.planner_seconds),
            yuan(r.reference_cleared),
            seconds(r.reference_seconds),
            f"{r.cleared / r.reference_cleared:.4f}" if r.reference_cleared else "-",
            "-" if r.greedy_cleared is None else yuan(r.greedy_cleared),
        )
    console.print(table)
    console.print(
        "net internal debt: the sum of positive net positions, the same before and after"
        " (clearing moves no net position); debt after >= it. Seconds: wall (CPU of this"
        " process: what a busy machine does not inflate)."
    )
    console.print(limits_table(rows, args.seed))
    console.print(
        f"minimum: the token's minimum piece value as deployed ({yuan(MINIMUM)} CNY); rounds of"
        f" at most {MAX_ROUND_ITEMS} items, each piece in one round; of the plan: the plan"
        " without the minimum. Batches: rounds executed, the network planned again, until a"
        " batch clears nothing."
    )
    if any(r.cleared != r.reference_cleared for r in rows):
        console.print("[red]the planner and the reference cleared different totals[/red]")
        raise SystemExit(1)


def limits_table(rows: list[Row], seed: int) -> Table:
    table = Table(title=f"What the contract's limits leave (seed {seed}; CNY)")
    for column in (
        "obligations",
        "cleared",
        "with minimum",
        "cost of the minimum",
        "planner s (CPU)",
        "rounds",
        "items per round (max)",
        "rounds clear",
        "of the plan",
        "rounds s (CPU)",
        "batches",
        "batches clear",
        "of the plan ",
    ):
        table.add_column(column, justify="right")
    for r in rows:
        x = r.limits
        by_rounds = sum(found.total for found in x.rounds)
        items = [len(found.items) for found in x.rounds]
        table.add_row(
            f"{r.obligations:,}",
            yuan(r.cleared),
            yuan(x.cleared),
            f"{1 - x.cleared / r.cleared:.2%}",
            seconds(x.seconds),
            f"{len(x.rounds):,}",
            f"{sum(items) / len(items):.1f} ({max(items)})" if items else "-",
            yuan(by_rounds),
            f"{by_rounds / r.cleared:.1%}",
            seconds(x.rounds_seconds),
            "-" if x.batches is None else f"{x.batches[0]}",
            "-" if x.batches is None else yuan(x.batches[1]),
            "-" if x.batches is None else f"{x.batches[1] / r.cleared:.1%}",
        )
    return table


if __name__ == "__main__":
    main()
