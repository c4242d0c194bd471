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
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from scfledger.setoff.greedy import greedy_cleared
from scfledger.setoff.obligations import Obligation
from scfledger.setoff.planner import plan
from scfledger.setoff.reference import reference_cleared

SIZES = (1_000, 10_000, 100_000)
QUICK = (1_000, 10_000)
INVOICES_PER_FIRM = 138_000 / 3_199  # Sardex's ratio
PARETO_ALPHA = 1.2
MEDIAN_MINOR = 200_000  # 2,000.00 CNY in fen
SIGMA = 1.5
GREEDY_UP_TO = 10_000  # greedy cycle cancelling is slow beyond


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


def clocks() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def since(started: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = clocks()
    return wall - started[0], cpu - started[1]


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
    console = Console(width=160)
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
    if any(r.cleared != r.reference_cleared for r in rows):
        console.print("[red]the planner and the reference cleared different totals[/red]")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
