"""Fixtures of the set-off tests: real PostgreSQL for the read models."""

from tests.support.postgres import postgres

__all__ = ["postgres"]
