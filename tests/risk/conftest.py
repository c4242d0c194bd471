"""Risk scenarios built on anvil and indexed into SQLite and real PostgreSQL, once per module;
read models of eth-tester consortiums, per test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from web3 import HTTPProvider, Web3

from scfledger.chain.deployment import deployed_contracts
from scfledger.db.migrate import upgrade
from scfledger.db.session import create_db_engine, session_factory
from scfledger.indexer.indexer import Indexer, IndexerConfig
from scfledger.network.anvil import anvil_node
from tests.support.ledger import DAY, Consortium, deploy_consortium, h
from tests.support.postgres import PostgresServer, postgres
from tests.support.services import RawLogsTesterProvider

__all__ = ["postgres"]

BURST_SPLITS = 12


@dataclass(frozen=True)
class Scenarios:
    """The request ids of the built scenarios, and the chain they live on."""

    c: Consortium
    clean: int  # core's receivable split once to supplier2, who asks for half of it
    ring: int  # supplier1 -> supplier2 -> supplier3 -> supplier1, then supplier1 asks
    burst: int  # supplier3 splits BURST_SPLITS pieces off in a row, then asks on the rest
    late_debtor: int  # core2 settled late and has an overdue piece open
    funded: int  # bank's funded pledge on a core receivable: its exposure to core
    clean_due: int
    late_settled_slot: int
    open_overdue_token: int


def build_scenarios(c: Consortium) -> Scenarios:
    tok = c.token.functions
    # core2's history: one receivable settled after being marked overdue, one left overdue.
    late_slot, late_root = c.issue_active(
        debtor="core2", creditor="supplier4", amount=300_000, due_in=5 * DAY
    )
    _, open_root = c.issue_active(
        debtor="core2", creditor="supplier4", amount=200_000, due_in=5 * DAY
    )
    c.travel_to(c.due_date(late_root) + 4 * DAY)  # past the 3-day grace period
    c.tx(tok.markOverdue(late_root), c.auditor)
    c.tx(tok.markOverdue(open_root), c.auditor)
    c.tx(tok.settleBatch(late_slot, [late_root], h("late payment")), c.core2)
    c.confirm(late_root)  # supplier4, the payee, confirms the off-chain payment
    _, debtor_root = c.issue_active(
        debtor="core2", creditor="supplier4", amount=500_000, due_in=60 * DAY
    )
    late_debtor = c.request(debtor_root, amount=250_000)

    # bank's exposure to core: a funded pledge of 200,000.
    _, funded_root = c.issue_active(creditor="supplier1", amount=400_000)
    funded = c.request_funded(funded_root, amount=200_000, pledge=True)

    _, clean_root = c.issue_active(creditor="supplier1", amount=1_000_000)
    clean_piece = c.split(clean_root, "supplier2", 400_000)
    clean = c.request(clean_piece, amount=200_000)

    _, ring_root = c.issue_active(creditor="supplier1", amount=600_000)
    for receiver in ("supplier2", "supplier3", "supplier1"):
        c.transfer(ring_root, receiver)  # each receiver signs for it
    ring = c.request(ring_root, amount=300_000)

    _, burst_root = c.issue_active(creditor="supplier3", amount=1_000_000)
    for _ in range(BURST_SPLITS):
        c.split(burst_root, "supplier4", 10_000)
    burst = c.request(burst_root, amount=440_000)
    return Scenarios(
        c=c,
        clean=clean,
        ring=ring,
        burst=burst,
        late_debtor=late_debtor,
        funded=funded,
        clean_due=c.due_date(clean_piece),
        late_settled_slot=late_slot,
        open_overdue_token=open_root,
    )


@pytest.fixture(scope="module")
def scenarios() -> Iterator[Scenarios]:
    with anvil_node("--accounts", "20") as url:
        yield build_scenarios(deploy_consortium(w3=Web3(HTTPProvider(url))))


def index_into(c: Consortium, url: str) -> Engine:
    upgrade(url)
    engine = create_db_engine(url)
    config = IndexerConfig(
        contracts=deployed_contracts(c.ledger),
        start_block=c.ledger.deployment_block,
        batch_size=500,
    )
    Indexer(c.w3, session_factory(engine), config).catch_up()
    return engine


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def indexed(
    request: pytest.FixtureRequest, scenarios: Scenarios, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """The scenarios' read model, on each database."""
    if request.param == "sqlite":
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('risk')) / 'index.sqlite3'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        url = server.create_database()
    engine = index_into(scenarios.c, url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def read_model(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty, migrated read model on each database, for one test."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'index.sqlite3'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        url = server.create_database()
    upgrade(url)
    engine = create_db_engine(url)
    yield engine
    engine.dispose()


def indexer_of(c: Consortium, engine: Engine) -> Indexer:
    """An indexer of an eth-tester consortium into `engine` (`catch_up()` to project)."""
    return Indexer(
        Web3(RawLogsTesterProvider(c.eth_tester)),
        session_factory(engine),
        IndexerConfig(
            contracts=deployed_contracts(c.ledger), start_block=c.ledger.deployment_block
        ),
    )
