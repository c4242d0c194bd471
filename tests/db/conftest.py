"""Fixtures of the database tests: a real PostgreSQL server."""

from tests.support.postgres import db_url, postgres, postgres_url

__all__ = ["db_url", "postgres", "postgres_url"]
