"""Report charts are in money: currency units with the currency on the axis, one panel per
currency, read back from the matplotlib figures (no image comparison)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from scfledger.risk.charts import (
    aging_figure,
    exposure_chart,
    exposure_figure,
    money_tick,
    penetration_figure,
)
from scfledger.risk.reports import AgingRow, ExposureRow, PenetrationRow

CORE, CORE2, BANK, BANK2 = (f"0x{n:040x}" for n in (1, 2, 3, 4))
EXPOSURE = [
    ExposureRow(CORE, "core", BANK, "bank", "CNY", 1, Decimal("8000000.00")),
    ExposureRow(CORE, "core", BANK2, "bank2", "CNY", 2, Decimal("1500000.50")),
    ExposureRow(CORE2, "core2", BANK, "bank", "USD", 1, Decimal("250000.25")),
]


def bars(axes: Axes) -> list[float]:
    return [p.get_height() for p in axes.patches if isinstance(p, Rectangle)]


def ydata(axes: Axes) -> list[float]:
    return [float(y) for y in numpy.asarray(axes.lines[0].get_ydata())]


def drawn(figure: Figure) -> Figure:
    figure.canvas.draw()  # lays out ticks and offset texts as the saved PNG has them
    return figure


def test_exposure_chart_has_one_panel_per_currency_in_currency_units() -> None:
    figure = drawn(exposure_figure(EXPOSURE))
    cny, usd = figure.axes
    assert (cny.get_ylabel(), usd.get_ylabel()) == ("outstanding (CNY)", "outstanding (USD)")
    assert cny.get_title().endswith(", CNY")
    # core's bar stacks bank's 8,000,000.00 and bank2's 1,500,000.50: yuan, not fen.
    assert bars(cny) == [8_000_000.0, 1_500_000.5]
    assert bars(usd) == [250_000.25]
    legend = cny.get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == ["bank", "bank2"]
    for axes in (cny, usd):
        assert axes.yaxis.get_offset_text().get_text() == ""  # no "1e8" above the axis
    ticks = [t.get_text() for t in cny.get_yticklabels()]
    assert "8,000,000" in ticks
    assert all("e" not in t for t in ticks)


def test_aging_chart_plots_each_currency_s_buckets() -> None:
    rows = [
        AgingRow("not_due", "CNY", 3, Decimal("8000000.00")),
        AgingRow("1-30", "CNY", 1, Decimal("0.01")),
        AgingRow("not_due", "JPY", 2, Decimal("120000")),
        AgingRow("1-30", "JPY", 0, Decimal("0")),
    ]
    cny, jpy = drawn(aging_figure(rows)).axes
    assert (cny.get_ylabel(), jpy.get_ylabel()) == ("outstanding (CNY)", "outstanding (JPY)")
    assert bars(cny) == [8_000_000.0, 0.01]
    assert bars(jpy) == [120_000.0, 0.0]
    assert [t.get_text() for t in cny.get_xticklabels()] == ["not_due", "1-30"]


def test_penetration_chart_plots_value_in_currency_and_members_as_counts() -> None:
    rows = [
        PenetrationRow(CORE, "core", "CNY", 0, Decimal("8000000.00"), 1),
        PenetrationRow(CORE, "core", "CNY", 1, Decimal("3000000.00"), 2),
    ]
    value, members = drawn(penetration_figure(rows)).axes
    assert value.get_ylabel() == "value (CNY)"
    assert members.get_ylabel() == "members"
    assert ydata(value) == [8_000_000.0, 3_000_000.0]
    assert ydata(members) == [1, 2]


def test_tick_labels_are_grouped_currency_units() -> None:
    assert money_tick(8_000_000.0) == "8,000,000"
    assert money_tick(2_500.5) == "2,500.50"
    assert money_tick(0.0) == "0"


def test_an_empty_report_draws_one_panel_saying_so(tmp_path: Path) -> None:
    (axes,) = exposure_figure([]).axes
    assert [t.get_text() for t in axes.texts] == ["nothing to show"]
    exposure_chart(EXPOSURE, tmp_path / "exposure.png")
    assert (tmp_path / "exposure.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
