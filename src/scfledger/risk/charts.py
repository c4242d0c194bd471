"""PNG charts of the portfolio reports (matplotlib figures, no pyplot: no global state).

Amounts are plotted in currency units with the currency on the axis ("outstanding (CNY)")
and tick labels grouped by thousands ("8,000,000"), never matplotlib's offset or scientific
notation: one panel per currency, since amounts in different currencies do not add up.
The report rows hold exact Decimals; they become floats only here, for pixels.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Protocol, TypeVar

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from scfledger.risk.reports import AgingRow, ExposureRow, PenetrationRow


class _InCurrency(Protocol):
    @property
    def currency(self) -> str: ...


R = TypeVar("R", bound=_InCurrency)


def _short(address: str, name: str) -> str:
    return name or f"{address[:6]}…{address[-4:]}"


def by_currency(rows: Iterable[R]) -> dict[str, list[R]]:
    """The rows of each currency, currencies in alphabetical order."""
    grouped: dict[str, list[R]] = {}
    for row in rows:
        grouped.setdefault(row.currency, []).append(row)
    return dict(sorted(grouped.items()))


def money_tick(value: float, _position: object = None) -> str:
    """A tick label in currency units: whole amounts grouped by thousands ("8,000,000"),
    others with two decimals ("2,500.50")."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _money_axis(axes: Axes, label: str, currency: str) -> None:
    axes.set_ylabel(f"{label} ({currency})")
    axes.yaxis.set_major_formatter(FuncFormatter(money_tick))


def _units(value: Decimal) -> float:
    return float(value)  # pixels only: the rows keep the exact Decimal


def _panels(currencies: int, columns: int = 1) -> tuple[Figure, list[list[Axes]]]:
    rows = max(currencies, 1)
    figure = Figure(figsize=(7 * columns, 4 * rows))
    grid = figure.subplots(rows, columns, squeeze=False)
    return figure, [list(line) for line in grid]


def _nothing(axes: Axes) -> None:
    axes.text(0.5, 0.5, "nothing to show", ha="center", va="center", transform=axes.transAxes)


def aging_figure(rows: Sequence[AgingRow]) -> Figure:
    groups = by_currency(rows)
    figure, panels = _panels(len(groups))
    for (currency, mine), (axes,) in zip(groups.items(), panels, strict=False):
        axes.bar([r.bucket for r in mine], [_units(r.value) for r in mine], color="#4c72b0")
        axes.set_title(f"Outstanding value by days past due, {currency}")
        axes.set_xlabel("days past due")
        _money_axis(axes, "outstanding", currency)
    if not groups:
        _nothing(panels[0][0])
    figure.tight_layout()
    return figure


def exposure_figure(rows: Sequence[ExposureRow]) -> Figure:
    groups = by_currency(rows)
    figure, panels = _panels(len(groups))
    for (currency, mine), (axes,) in zip(groups.items(), panels, strict=False):
        debtors = sorted({(r.debtor, r.debtor_name) for r in mine})
        financiers = sorted({(r.financier, r.financier_name) for r in mine})
        values = {(r.debtor, r.financier): _units(r.value) for r in mine}
        bottoms = [0.0] * len(debtors)
        labels = [_short(*d) for d in debtors]
        for financier in financiers:
            heights = [values.get((d[0], financier[0]), 0.0) for d in debtors]
            axes.bar(labels, heights, bottom=bottoms, label=_short(*financier))
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
        axes.set_title(f"Financed value outstanding by debtor and financier, {currency}")
        _money_axis(axes, "outstanding", currency)
        axes.legend(title="financier")
    if not groups:
        _nothing(panels[0][0])
    figure.tight_layout()
    return figure


def penetration_figure(rows: Sequence[PenetrationRow]) -> Figure:
    groups = by_currency(rows)
    figure, panels = _panels(len(groups), columns=2)
    for (currency, mine), (by_value, by_members) in zip(groups.items(), panels, strict=False):
        for core in sorted({(r.core, r.core_name) for r in mine}):
            line = sorted((r for r in mine if r.core == core[0]), key=lambda r: r.depth)
            depths = [r.depth for r in line]
            by_value.plot(depths, [_units(r.value) for r in line], marker="o", label=_short(*core))
            by_members.plot(depths, [r.members for r in line], marker="o", label=_short(*core))
        by_value.set_title(f"Value reached by tier depth, {currency}")
        _money_axis(by_value, "value", currency)
        by_members.set_title(f"Members reached by tier depth, {currency}")
        by_members.set_ylabel("members")
        for axes in (by_value, by_members):
            axes.set_xlabel("depth")
            axes.legend(title="core enterprise")
    if not groups:
        _nothing(panels[0][0])
        _nothing(panels[0][1])
    figure.tight_layout()
    return figure


def _save(figure: Figure, path: Path) -> None:
    figure.savefig(path, format="png")


def aging_chart(rows: Sequence[AgingRow], path: Path) -> None:
    _save(aging_figure(rows), path)


def exposure_chart(rows: Sequence[ExposureRow], path: Path) -> None:
    _save(exposure_figure(rows), path)


def penetration_chart(rows: Sequence[PenetrationRow], path: Path) -> None:
    _save(penetration_figure(rows), path)
