"""Fixtures of the API tests."""

from tests.fixtures.postgres import postgres

__all__ = ["postgres"]
