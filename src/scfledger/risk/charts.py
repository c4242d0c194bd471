"""PNG charts of the portfolio reports (matplotlib, headless Agg backend)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers; must precede pyplot

import matplotlib.pyplot as plt

from scfledger.risk.reports import AgingRow, ExposureRow, PenetrationRow


def _short(address: str, name: str) -> str:
    return name or f"{address[:6]}…{address[-4:]}"


def aging_chart(rows: Sequence[AgingRow], path: Path) -> None:
    figure, axes = plt.subplots(figsize=(7, 4))
    axes.bar([r.bucket for r in rows], [r.value for r in rows], color="#4c72b0")
    axes.set_title("Outstanding value by days past due")
    axes.set_xlabel("days past due")
    axes.set_ylabel("value")
    figure.tight_layout()
    figure.savefig(path, format="png")
    plt.close(figure)


def exposure_chart(rows: Sequence[ExposureRow], path: Path) -> None:
    debtors = sorted({(r.debtor, r.debtor_name) for r in rows})
    financiers = sorted({(r.financier, r.financier_name) for r in rows})
    values = {(r.debtor, r.financier): r.value for r in rows}
    figure, axes = plt.subplots(figsize=(7, 4))
    bottoms = [0] * len(debtors)
    labels = [_short(*d) for d in debtors]
    for financier in financiers:
        heights = [values.get((d[0], financier[0]), 0) for d in debtors]
        axes.bar(labels, heights, bottom=bottoms, label=_short(*financier))
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    axes.set_title("Financed value outstanding by debtor and financier")
    axes.set_ylabel("value")
    if financiers:
        axes.legend(title="financier")
    figure.tight_layout()
    figure.savefig(path, format="png")
    plt.close(figure)


def penetration_chart(rows: Sequence[PenetrationRow], path: Path) -> None:
    cores = sorted({(r.core, r.core_name) for r in rows})
    figure, (by_value, by_members) = plt.subplots(1, 2, figsize=(10, 4))
    for core in cores:
        mine = sorted((r for r in rows if r.core == core[0]), key=lambda r: r.depth)
        depths = [r.depth for r in mine]
        by_value.plot(depths, [r.value for r in mine], marker="o", label=_short(*core))
        by_members.plot(depths, [r.members for r in mine], marker="o", label=_short(*core))
    by_value.set_title("Value reached by tier depth")
    by_members.set_title("Members reached by tier depth")
    for axes in (by_value, by_members):
        axes.set_xlabel("depth")
        if cores:
            axes.legend(title="core enterprise")
    figure.tight_layout()
    figure.savefig(path, format="png")
    plt.close(figure)
