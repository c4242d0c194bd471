"""Fixtures of the indexer tests: anvil with the story, and real PostgreSQL."""

from tests.fixtures.postgres import postgres, postgres_url

__all__ = ["postgres", "postgres_url"]
