"""Validator governance on a real Clique network: a fifth node is voted in and seals, then
a founding signer is voted out through `scf chain validators remove` and leaves."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from scfledger.network import CliqueNetwork, CliqueNetworkError, rpc_call
from scfledger.network.cli import chain_app
from scfledger.network.validators import signers, vote_validator
from tests.support.clique import free_base_port
from tests.support.waiting import eventually

# One worker runs every Clique network in turn: four geth nodes per network already load
# both cores, and a starved Clique network can stall on rival branches (go-ethereum#18402).
pytestmark = pytest.mark.integration


def _wait_sealed_by(network: CliqueNetwork, signer: str, after: int, timeout: float) -> int:
    """The first block after `after` sealed by `signer`."""
    number = after + 1

    def sealed_by_signer() -> int | None:
        nonlocal number
        while network.head(0) >= number:
            by = rpc_call(network.rpc_url(0), "clique_getSigner", [hex(number)])
            if by.lower() == signer.lower():
                return number
            number += 1
        return None

    return eventually(
        sealed_by_signer,
        what=f"{signer} to seal a block after {after}",
        timeout=timeout,
        interval=0.2,
    )


def test_fifth_node_is_voted_in_and_seals_then_a_founder_is_voted_out(tmp_path: Path) -> None:
    data_dir = tmp_path / "chain"
    network = CliqueNetwork(data_dir, nodes=4, period=1, base_port=free_base_port(5))
    try:
        network.start()
        founders = network.sealers

        fifth = network.add_node()

        newcomer = network.sealers[fifth]
        assert fifth == 4
        assert CliqueNetwork.open(data_dir).nodes == 5
        assert all(node.peers == 4 for node in network.status())
        assert newcomer not in signers(network)
        with pytest.raises(CliqueNetworkError, match="is not a signer"):
            vote_validator(network, newcomer, authorize=False)

        added = vote_validator(network, newcomer, authorize=True)

        assert sorted(added.signers) == sorted([*founders, newcomer])
        assert len(added.voters) == 3  # more than half of 4
        _wait_sealed_by(network, newcomer, added.block, timeout=30)

        leaving = founders[0]
        result = CliRunner().invoke(
            chain_app, ["validators", "remove", leaving, "--data-dir", str(data_dir)]
        )

        assert result.exit_code == 0, result.output
        assert f"{leaving} removed from the signers" in result.output
        assert sorted(signers(network)) == sorted([*founders[1:], newcomer])
        # No proposal lingers on the voters' nodes to be cast again later.
        for i in range(1, 5):
            assert rpc_call(network.rpc_url(i), "clique_proposals") == {}
        network.stop_node(0)
        head = network.head(1)
        network.wait_for_block(1, head + 4, timeout=30)
    finally:
        network.stop()


def test_adding_a_signer_that_signs_already_is_refused(tmp_path: Path) -> None:
    network = CliqueNetwork(tmp_path / "chain", nodes=1, base_port=free_base_port(1))
    try:
        network.start()
        result = CliRunner().invoke(
            chain_app,
            ["validators", "add", network.sealers[0], "--data-dir", str(network.data_dir)],
        )
    finally:
        network.stop()

    assert result.exit_code == 1
    assert "is a signer already" in result.output
