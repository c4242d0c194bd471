"""Fixtures of the indexer tests: real PostgreSQL, and a migrated database of each engine."""

from pathlib import Path

import pytest

from scfledger.db.migrate import upgrade
from tests.support.postgres import postgres, postgres_url

__all__ = ["db_url", "postgres", "postgres_url"]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'index.sqlite3'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    upgrade(url)
    return url
