"""Fixtures of the chain tests: a real anvil node and a real PostgreSQL server."""

from tests.fixtures.anvil import anvil
from tests.fixtures.postgres import postgres, postgres_url

__all__ = ["anvil", "postgres", "postgres_url"]
