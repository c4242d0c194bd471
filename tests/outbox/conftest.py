"""Fixtures of the write-path tests: a real anvil node, a real PostgreSQL server, and a
pipeline on the in-process consortium with a SQLite gateway database."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from scfledger.chain.calls import ContractCall
from scfledger.db.session import session_factory
from scfledger.outbox.pipeline import Pipeline
from tests.support.anvil import anvil
from tests.support.gateway import migrated_engine
from tests.support.ledger import DAY, Consortium
from tests.support.postgres import postgres, postgres_url
from tests.support.services import signer_of

__all__ = ["anvil", "engine", "issue", "pipeline", "postgres", "postgres_url", "signer_of"]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = migrated_engine(f"sqlite:///{tmp_path / 'gateway.sqlite3'}")
    yield engine
    engine.dispose()


@pytest.fixture
def pipeline(consortium: Consortium, engine: Engine) -> Pipeline:
    return Pipeline(
        w3=consortium.w3,
        sessions=session_factory(engine),
        signer_for=lambda name: signer_of(consortium, name),
    )


def issue(consortium: Consortium, document: bytes, amount: int = 1_000) -> ContractCall:
    return ContractCall(
        "ReceivableToken",
        consortium.token.address,
        "issue",
        (consortium.supplier1, amount, b"CNY", consortium.now() + 90 * DAY, document),
    )
