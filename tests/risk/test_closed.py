"""Closed means closed (issue 16): a financing request whose piece was settled, whose pledge
was repaid or whose recourse was repaid is final, and neither the exposure report nor the
risk exposure indicator counts it any more; while it is open, both do."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from scfledger.cli import app as scf_app
from scfledger.db.projections import FinancingRequest
from scfledger.db.session import session_factory
from scfledger.indexer.indexer import Indexer
from scfledger.money import parse_amount
from scfledger.risk import reports
from scfledger.risk.indicators import compute_indicators
from tests.risk.conftest import indexer_of
from tests.support.ledger import Consortium, h

pytestmark = pytest.mark.integration


def cny(text: str) -> int:
    return parse_amount(text, "CNY")


@dataclass
class Book:
    """Three funded requests of the bank on core's receivables, taken to their ends step by
    step; `index()` brings the read model up to the chain."""

    c: Consortium
    engine: Engine
    indexer: Indexer
    factored: int = 0  # 8,000,000.00 advanced on an 8,000,000.00 piece, settled at maturity
    pledged: int = 0  # 4,000,000.00 lent against a 5,000,000.00 piece, repaid
    recourse: int = 0  # 2,700,000.00 factored with recourse, defaulted, claimed, repaid

    def index(self) -> None:
        self.indexer.catch_up()

    def exposure(self) -> list[reports.ExposureRow]:
        with session_factory(self.engine)() as session:
            return reports.exposure(session)

    def status(self, request_id: int) -> str:
        with session_factory(self.engine)() as session:
            return session.scalars(
                select(FinancingRequest.status).where(FinancingRequest.id == request_id)
            ).one()


@pytest.fixture
def book(consortium: Consortium, read_model: Engine) -> Book:
    c = consortium
    book = Book(c, read_model, indexer_of(c, read_model))
    _, factored_root = c.issue_active(creditor="supplier1", amount=cny("8000000.00"))
    book.factored = c.request_funded(factored_root)  # the whole value advanced
    _, pledged_root = c.issue_active(creditor="supplier2", amount=cny("5000000.00"))
    book.pledged = c.request_funded(
        pledged_root, amount=cny("4000000.00"), pledge=True, sender="supplier2"
    )
    _, recourse_root = c.issue_active(creditor="supplier3", amount=cny("3000000.00"))
    book.recourse = c.request_funded(
        recourse_root, amount=cny("2700000.00"), recourse=True, sender="supplier3"
    )
    return book


def exposure_csv(book: Book, path: Path) -> str:
    url = book.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(scf_app, ["report", "exposure", "--db", url, "--csv", str(path)])
    assert result.exit_code == 0, result.output
    return path.read_text()


def test_settled_repaid_and_recourse_repaid_financing_leaves_no_exposure(
    book: Book, tmp_path: Path
) -> None:
    c, fin, tok = book.c, book.c.financing.functions, book.c.token.functions
    book.index()
    header = "debtor,debtor_name,financier,financier_name,currency,requests,value\n"
    # Open: all three count, in CNY.
    assert book.exposure() == [
        reports.ExposureRow(c.core, "core", c.bank, "bank", "CNY", 3, Decimal("14700000.00"))
    ]
    assert exposure_csv(book, tmp_path / "open.csv") == (
        f"{header}{c.core},core,{c.bank},bank,CNY,3,14700000.00\n"
    )
    with session_factory(book.engine)() as session:
        exposure = compute_indicators(session, book.factored, now=c.now()).exposure
    assert (exposure.to_debtor, exposure.total) == (cny("14700000.00"),) * 2

    c.tx(fin.repay(book.pledged, h("loan repaid")), c.bank)  # the bank confirms the repayment
    factored = c.request_record(book.factored)["tokenId"]
    c.settle([factored])  # at maturity the debtor pays the holder, the bank (factoring)
    c.confirm(factored)  # the bank confirms the off-chain payment: final
    recourse = c.request_record(book.recourse)["tokenId"]
    receivable = c.receivable(c.piece(recourse).slot)
    c.travel_to(c.due_date(recourse) + receivable["gracePeriod"])
    c.tx(tok.markOverdue(recourse), c.auditor)
    c.travel_to(c.due_date(recourse) + receivable["gracePeriod"] + receivable["defaultPeriod"])
    c.tx(tok.markDefaulted(recourse), c.auditor)
    c.tx(fin.claimRecourse(book.recourse), c.bank)
    book.index()
    assert (book.status(book.factored), book.status(book.pledged)) == ("settled", "repaid")
    # Recourse claimed: the seller owes the bank; still outstanding.
    assert book.exposure() == [
        reports.ExposureRow(c.core, "core", c.bank, "bank", "CNY", 1, Decimal("2700000.00"))
    ]

    c.tx(fin.repayRecourse(book.recourse, h("bought back")), c.bank)
    _, fresh_root = c.issue_active(creditor="supplier4", amount=cny("1000000.00"))
    fresh = c.request(fresh_root, amount=cny("500000.00"), sender="supplier4")
    book.index()
    assert book.status(book.recourse) == "recourse_repaid"
    assert book.exposure() == []
    assert exposure_csv(book, tmp_path / "closed.csv") == header
    with session_factory(book.engine)() as session:
        exposure = compute_indicators(session, fresh, now=c.now()).exposure
    assert (exposure.to_debtor, exposure.total) == (0, 0)
    assert (exposure.to_debtor_after, exposure.total_after) == (cny("500000.00"),) * 2
