"""Shared fixtures: one deployed consortium per session, rolled back after every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.ledger import Consortium, deploy_consortium

# make test's scheduler: a module whole on one xdist worker, `spread` tests apart, longest first.
pytest_plugins = ["tests.support.scheduling"]


@pytest.fixture(scope="session")
def _deployed() -> Consortium:
    return deploy_consortium()


@pytest.fixture(scope="session")
def _deployed_dvp() -> Consortium:
    return deploy_consortium(dvp=True)


@pytest.fixture
def dvp_consortium(_deployed_dvp: Consortium) -> Iterator[Consortium]:
    """A consortium whose payments move in a deposit token (delivery versus payment)."""
    yield from _rolled_back(_deployed_dvp)


@pytest.fixture
def consortium(_deployed: Consortium) -> Iterator[Consortium]:
    """The deployed consortium; every change a test makes is reverted afterwards."""
    yield from _rolled_back(_deployed)


def _rolled_back(consortium: Consortium) -> Iterator[Consortium]:
    snapshot = consortium.eth_tester.take_snapshot()
    documents = consortium.documents
    yield consortium
    consortium.eth_tester.revert_to_snapshot(snapshot)
    consortium.documents = documents
