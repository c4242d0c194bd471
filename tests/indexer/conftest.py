"""Fixtures of the indexer tests: real PostgreSQL, and a migrated database of each engine."""

from tests.support.postgres import db_url, postgres, postgres_url

__all__ = ["db_url", "postgres", "postgres_url"]
