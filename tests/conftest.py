"""Shared fixtures: one deployed consortium per session, rolled back after every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.ledger import Consortium, deploy_consortium


@pytest.fixture(scope="session")
def _deployed() -> Consortium:
    return deploy_consortium()


@pytest.fixture
def consortium(_deployed: Consortium) -> Iterator[Consortium]:
    """The deployed consortium; every change a test makes is reverted afterwards."""
    snapshot = _deployed.tester.take_snapshot()
    documents = _deployed.documents
    yield _deployed
    _deployed.tester.revert_to_snapshot(snapshot)
    _deployed.documents = documents
