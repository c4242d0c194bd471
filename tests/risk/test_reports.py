"""The reports of a book in two currencies: one row set per currency, amounts as exact decimal
strings in the CSV, one chart panel per currency; nothing is added across currencies."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from scfledger.cli import app as scf_app
from scfledger.db.session import session_factory
from scfledger.money import parse_amount
from scfledger.risk import charts, reports
from tests.risk.conftest import indexer_of
from tests.risk.test_charts import bars
from tests.support.ledger import Consortium

pytestmark = pytest.mark.integration


def test_reports_keep_each_currency_apart_in_rows_csv_and_charts(
    consortium: Consortium, read_model: Engine, tmp_path: Path
) -> None:
    c = consortium
    _, yuan = c.issue_active(creditor="supplier1", amount=parse_amount("8000000.00", "CNY"))
    c.request_funded(yuan)  # the whole 8,000,000.00 advanced
    _, dollars = c.issue_active(
        debtor="core2",
        creditor="supplier2",
        amount=parse_amount("1250000.50", "USD"),
        currency=b"USD",
    )
    c.split(dollars, "supplier3", parse_amount("250000.25", "USD"))
    c.request_funded(dollars, amount=parse_amount("1000000.25", "USD"), sender="supplier2")
    indexer_of(c, read_model).catch_up()
    with session_factory(read_model)() as session:
        exposure = reports.exposure(session)
        aging = reports.aging(session, now=c.now())
        penetration = reports.penetration(session)
    assert exposure == [
        reports.ExposureRow(c.core, "core", c.bank, "bank", "CNY", 1, Decimal("8000000.00")),
        reports.ExposureRow(c.core2, "core2", c.bank, "bank", "USD", 1, Decimal("1000000.25")),
    ]
    assert [(r.currency, r.bucket, r.pieces, r.value) for r in aging if r.pieces] == [
        ("CNY", "not_due", 1, Decimal("8000000.00")),
        ("USD", "not_due", 2, Decimal("1250000.50")),
    ]
    assert len(aging) == 2 * len(reports.AGING_BUCKETS)
    # Members at depth 0: the creditor and the bank the piece was assigned to (factoring).
    assert [(r.currency, r.core_name, r.depth, r.value, r.members) for r in penetration] == [
        ("CNY", "core", 0, Decimal("8000000.00"), 2),
        ("USD", "core2", 0, Decimal("1250000.50"), 2),
        ("USD", "core2", 1, Decimal("250000.25"), 1),
    ]

    url = read_model.url.render_as_string(hide_password=False)
    csv_path, png_path = tmp_path / "exposure.csv", tmp_path / "exposure.png"
    result = CliRunner().invoke(
        scf_app, ["report", "exposure", "--db", url, "--csv", str(csv_path), "--png", str(png_path)]
    )
    assert result.exit_code == 0, result.output
    assert csv_path.read_text() == (
        "debtor,debtor_name,financier,financier_name,currency,requests,value\n"
        f"{c.core},core,{c.bank},bank,CNY,1,8000000.00\n"
        f"{c.core2},core2,{c.bank},bank,USD,1,1000000.25\n"
    )
    assert png_path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    cny, usd = charts.exposure_figure(exposure).axes
    assert (cny.get_ylabel(), usd.get_ylabel()) == ("outstanding (CNY)", "outstanding (USD)")
    assert bars(cny) == [8_000_000.0]
    assert bars(usd) == [1_000_000.25]
