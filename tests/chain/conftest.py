"""Fixtures of the chain tests: a real anvil node and a real PostgreSQL server."""

from tests.support.anvil import anvil
from tests.support.postgres import postgres, postgres_url

__all__ = ["anvil", "postgres", "postgres_url"]
