"""The obligation graph read from a real read model: a consortium whose suppliers are also
core enterprises owe each other in a cycle, beside pieces a round must not touch."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from web3 import Web3

from scfledger.chain.deployment import deployed_contracts
from scfledger.db.migrate import upgrade
from scfledger.db.session import create_db_engine, session_factory
from scfledger.indexer.indexer import Indexer, IndexerConfig
from scfledger.setoff.obligations import Obligation, obligations
from scfledger.setoff.planner import plan
from tests.support.ledger import CORE_ENTERPRISE, DAY, SUPPLIER, Consortium, deploy_consortium, h
from tests.support.services import RawLogsTesterProvider

pytestmark = pytest.mark.integration

SOON = 10 * DAY  # the due date of one piece, the others are due in 90 days


@dataclass(frozen=True)
class Book:
    c: Consortium
    expected: list[Obligation]  # what a CNY round may clear, before the soon-due piece is due
    soon_due: int  # the piece due in SOON
    issued_at: int  # chain time when the book was written


def build_book(c: Consortium) -> Book:
    """supplier1 -> supplier2 -> supplier3 -> supplier1 (each both a core enterprise and a
    supplier), supplier1 also owing supplier3 through a piece supplier2 paid it with, and
    core owing supplier1; beside them pieces that are pending (issued or sent, not signed
    for), locked for financing, financed, in another currency, or held by a suspended
    member."""
    for name in ("supplier1", "supplier2", "supplier3"):
        c.govern(c.registry.functions.setRoles(c.accounts[name], CORE_ENTERPRISE | SUPPLIER))
    a = c.accounts

    def owed(debtor: str, holder: str, token: int, value: int) -> Obligation:
        return Obligation(token, a[debtor], a[holder], value)

    _, s1_s2 = c.issue_active(debtor="supplier1", creditor="supplier2", amount=500_000)
    _, s2_s3 = c.issue_active(debtor="supplier2", creditor="supplier3", amount=400_000)
    _, s3_s1 = c.issue_active(debtor="supplier3", creditor="supplier1", amount=300_000)
    _, s1_s2_more = c.issue_active(debtor="supplier1", creditor="supplier2", amount=1_000_000)
    s1_s3 = c.split(s1_s2_more, "supplier3", 200_000)  # supplier2 pays supplier3 with it
    _, core_s1 = c.issue_active(debtor="core", creditor="supplier1", amount=700_000, due_in=SOON)
    # Not for a round:
    c.issue(debtor="supplier1", creditor="supplier2", amount=90_000)  # not accepted
    c.split(s2_s3, "supplier1", 50_000, sign=False)  # sent, not signed for: 350,000 stay
    _, locked = c.issue_active(debtor="supplier2", creditor="supplier1", amount=80_000)
    c.request(locked, amount=40_000)
    _, financed = c.issue_active(debtor="supplier3", creditor="supplier2", amount=60_000)
    c.request_funded(financed, amount=30_000)
    c.issue_active(debtor="supplier2", creditor="supplier1", amount=70_000, currency=b"USD")
    c.issue_active(debtor="core", creditor="supplier4", amount=110_000)
    c.govern(c.registry.functions.suspendMember(a["supplier4"], h("review")))
    expected = [
        owed("supplier1", "supplier2", s1_s2, 500_000),
        owed("supplier2", "supplier3", s2_s3, 350_000),
        owed("supplier3", "supplier1", s3_s1, 300_000),
        owed("supplier1", "supplier2", s1_s2_more, 800_000),
        owed("supplier1", "supplier3", s1_s3, 200_000),
        owed("core", "supplier1", core_s1, 700_000),
    ]
    return Book(c=c, expected=sorted(expected), soon_due=core_s1, issued_at=c.now())


@pytest.fixture(scope="module")
def book() -> Book:
    return build_book(deploy_consortium())


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def indexed(
    request: pytest.FixtureRequest, book: Book, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """The book's read model, on each database."""
    if request.param == "sqlite":
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('setoff')) / 'index.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres").create_database()
    upgrade(url)
    engine = create_db_engine(url)
    config = IndexerConfig(
        contracts=deployed_contracts(book.c.ledger), start_block=book.c.ledger.deployment_block
    )
    Indexer(
        Web3(RawLogsTesterProvider(book.c.eth_tester)), session_factory(engine), config
    ).catch_up()
    yield engine
    engine.dispose()


def test_obligations_are_the_accepted_unencumbered_pieces_of_the_currency(
    book: Book, indexed: Engine
) -> None:
    with session_factory(indexed)() as session:
        found = obligations(session, currency="CNY", now=book.issued_at)
    assert found == book.expected


def test_obligations_leave_out_a_piece_once_due(book: Book, indexed: Engine) -> None:
    due = book.c.due_date(book.soon_due)
    with session_factory(indexed)() as session:
        before = obligations(session, currency="CNY", now=due - 1)
        at_due = obligations(session, currency="CNY", now=due)
    assert book.soon_due in {o.piece for o in before}
    assert at_due == [o for o in book.expected if o.piece != book.soon_due]


def test_obligations_of_another_currency_are_another_graph(book: Book, indexed: Engine) -> None:
    with session_factory(indexed)() as session:
        usd = obligations(session, currency="USD", now=book.issued_at)
        eur = obligations(session, currency="EUR", now=book.issued_at)
    a = book.c.accounts
    assert [(o.debtor, o.creditor, o.amount) for o in usd] == [
        (a["supplier2"], a["supplier1"], 70_000)
    ]
    assert eur == []


def test_a_round_over_the_indexed_cycle_clears_it(book: Book, indexed: Engine) -> None:
    """The cycle supplier1 -> supplier2 -> supplier3 -> supplier1 clears its smallest debt,
    300,000, around: supplier1's two pieces to supplier2 oldest first, and supplier1's debt
    to supplier3 does not clear (its clearing would need supplier3 to owe supplier1 more)."""
    with session_factory(indexed)() as session:
        result = plan(obligations(session, currency="CNY", now=book.issued_at))
    by_piece = {o.piece: o for o in book.expected}
    cleared = {(by_piece[c.piece].debtor, by_piece[c.piece].creditor): c for c in result.clearings}
    a = book.c.accounts
    assert result.cleared == 3 * 300_000
    assert [(c.piece, c.amount) for c in result.clearings] == [
        (book.expected[0].piece, 300_000),  # supplier1 -> supplier2, the older piece
        (book.expected[1].piece, 300_000),  # supplier2 -> supplier3
        (book.expected[2].piece, 300_000),  # supplier3 -> supplier1, whole
    ]
    assert (a["supplier1"], a["supplier2"]) in cleared
    assert (a["core"], a["supplier1"]) not in cleared
