"""`scf report aging | exposure | penetration`: portfolio reports as tables, CSV and PNG, per
currency, amounts in currency units (docs/risk.md)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from scfledger.chain.clock import iso8601
from scfledger.chain.node import connect
from scfledger.db.session import create_db_engine, session_factory
from scfledger.exceptions import ChainUnavailable
from scfledger.risk import charts, reports
from scfledger.risk.clock import IndexClock

app = typer.Typer(help="Portfolio reports from the read model.", no_args_is_help=True)

DbOption = Annotated[
    str, typer.Option("--db", envvar="SCF_DATABASE_URL", help="Read-model database URL.")
]
CsvOption = Annotated[Path | None, typer.Option("--csv", help="Also write the rows as CSV.")]
PngOption = Annotated[Path | None, typer.Option("--png", help="Also draw a PNG chart.")]


def _emit(
    title: str,
    rows: Sequence[Any],
    row_type: type[Any],
    chart: Callable[[Sequence[Any], Path], None],
    csv_path: Path | None,
    png_path: Path | None,
) -> None:
    table = Table(title=title)
    names = [f.name for f in fields(row_type)]
    for name in names:
        table.add_column(name)
    for row in rows:
        table.add_row(*(str(getattr(row, name)) for name in names))
    Console().print(table)
    if csv_path is not None:
        reports.write_csv(rows, csv_path, row_type)
    if png_path is not None:
        chart(rows, png_path)


def _rows(db: str, build: Callable[[Any], Sequence[Any]]) -> Sequence[Any]:
    engine = create_db_engine(db, pool_size=1)
    try:
        with session_factory(engine)() as session:
            return build(session)
    finally:
        engine.dispose()


@app.command("aging")
def aging_command(
    db: DbOption,
    csv: CsvOption = None,
    png: PngOption = None,
    rpc: Annotated[
        str | None,
        typer.Option(
            "--rpc",
            envvar="SCF_CHAIN_URL",
            help="JSON-RPC URL of a node: the report ages at the chain's time, the last"
            " indexed block's timestamp (the clock of the risk views).",
        ),
    ] = None,
    now: Annotated[
        int | None, typer.Option(help="Unix seconds to age at instead of the chain's time.")
    ] = None,
) -> None:
    """Outstanding value in buckets of days past due, per currency, at the chain's time."""
    if now is None and rpc is None:
        Console(stderr=True).print(
            "[red]the report ages at the chain's time: give --rpc URL (SCF_CHAIN_URL), or"
            " --now UNIX_SECONDS[/red]"
        )
        raise typer.Exit(2)

    at: list[int] = []

    def build(session: Any) -> Sequence[Any]:
        at.append(now if now is not None else IndexClock(connect(str(rpc))).now(session))
        return reports.aging(session, now=at[0])

    try:
        rows = _rows(db, build)
    except ChainUnavailable as exc:
        Console(stderr=True).print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    clock = "the last indexed block's time" if now is None else "--now"
    Console().print(f"aged at {iso8601(at[0])} ({at[0]}): {clock}", soft_wrap=True)
    _emit("Aging", rows, reports.AgingRow, charts.aging_chart, csv, png)


@app.command("exposure")
def exposure_command(db: DbOption, csv: CsvOption = None, png: PngOption = None) -> None:
    """Financed value outstanding (funded or recourse claimed) by debtor, financier and currency."""
    rows = _rows(db, reports.exposure)
    _emit("Exposure", rows, reports.ExposureRow, charts.exposure_chart, csv, png)


@app.command("penetration")
def penetration_command(db: DbOption, csv: CsvOption = None, png: PngOption = None) -> None:
    """Value and members reached at each tier depth of each core enterprise, per currency."""
    rows = _rows(db, reports.penetration)
    _emit("Tier penetration", rows, reports.PenetrationRow, charts.penetration_chart, csv, png)
