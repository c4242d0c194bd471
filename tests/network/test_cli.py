"""`scf chain start | status | watch | stop` against a real 2-node Clique network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scfledger.network import CliqueNetwork
from scfledger.network.cli import chain_app
from tests.support.clique import free_base_port

# One worker runs every Clique network in turn: four geth nodes per network already load
# both cores, and a starved Clique network can stall on rival branches (go-ethereum#18402).
pytestmark = pytest.mark.integration

FUNDED = "0x00000000000000000000000000000000000000aa"


def test_start_status_stop_manage_the_network_across_invocations(tmp_path: Path) -> None:
    runner = CliRunner()
    data_dir = tmp_path / "chain"
    port = str(free_base_port(2))
    try:
        started = runner.invoke(
            chain_app,
            ["start", "--data-dir", str(data_dir), "--nodes", "2", "--base-port", port,
             "--fund", f"{FUNDED}=5"],
        )  # fmt: skip
        assert started.exit_code == 0, started.output
        genesis = json.loads((data_dir / "genesis.json").read_text())
        assert genesis["alloc"][FUNDED[2:]] == {"balance": "0x5"}

        status = runner.invoke(chain_app, ["status", "--data-dir", str(data_dir)])
        assert status.exit_code == 0, status.output
        assert "stopped" not in status.output

        watched = runner.invoke(chain_app, ["watch", "--data-dir", str(data_dir), "--for", "2"])
        assert watched.exit_code == 0, watched.output
        assert "watching 2 nodes" in watched.output
        assert "deadlocks broken: 0" in watched.output

        stopped = runner.invoke(chain_app, ["stop", "--data-dir", str(data_dir)])
        assert stopped.exit_code == 0, stopped.output
        assert not any(node.running for node in CliqueNetwork.open(data_dir).status())
    finally:
        CliqueNetwork.open(data_dir).stop()


def test_status_of_a_missing_network_fails_clearly(tmp_path: Path) -> None:
    result = CliRunner().invoke(chain_app, ["status", "--data-dir", str(tmp_path)])

    assert result.exit_code == 1
    assert "no Clique network" in result.output


def test_watch_of_a_missing_network_fails_clearly(tmp_path: Path) -> None:
    result = CliRunner().invoke(chain_app, ["watch", "--data-dir", str(tmp_path)])

    assert result.exit_code == 1
    assert "no Clique network" in result.output


def test_start_rejects_a_malformed_fund_entry(tmp_path: Path) -> None:
    result = CliRunner().invoke(chain_app, ["start", "--data-dir", str(tmp_path), "--fund", "x"])

    assert result.exit_code == 2
    assert not (tmp_path / "network.json").exists()
