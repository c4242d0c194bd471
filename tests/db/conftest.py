"""Fixtures of the database tests: a real PostgreSQL server."""

from tests.support.postgres import postgres, postgres_url

__all__ = ["postgres", "postgres_url"]
