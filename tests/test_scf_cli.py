"""The `scf` command line: build and the demo story (set-off included), run for real."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from scfledger.chain.artifacts import ARTIFACTS_DIR
from scfledger.chain.contract_types import record
from scfledger.chain.generated import PieceView, Receivable
from scfledger.cli import app
from scfledger.demo import run_demo

runner = CliRunner()


def test_demo_story_flows_down_three_tiers_is_financed_settled_and_a_circle_netted() -> None:
    result = run_demo(log=lambda _: None)
    rows = {(r.token_id, r.parent, r.depth, r.holder, r.paid, r.state) for r in result.pieces}
    assert rows == {
        (1, 0, 0, "Tier-1 Chassis", 600_000_00, "Settled"),
        (2, 1, 1, "Tier-2 Steel", 250_000_00, "Settled"),
        (3, 2, 2, "Harbour Bank", 150_000_00, "Settled"),
    }
    assert result.settled_amount == result.face_amount == 1_000_000_00
    registry = result.ledger.registry.functions
    assert registry.memberCount().call() == 3 + 6 + 3
    for address in result.members.values():
        assert registry.isActiveMember(address).call()
    # The circle clears by set-off: Axle owes Brake 300,000.00, Brake owes Cable 200,000.00,
    # Cable owes Axle 250,000.00: the smallest debt around the circle clears from each.
    assert result.netted == dict.fromkeys(
        ("Axle Works", "Brake Systems", "Cable Harness"), 200_000_00
    )
    token = result.ledger.token.functions
    values = [record(PieceView, token.getPiece(t).call()).value for t in (4, 5, 6)]
    assert values == [100_000_00, 0, 50_000_00]
    slots = [record(Receivable, token.getReceivable(s).call()) for s in (2, 3, 4)]
    assert [r.netted_value for r in slots] == [200_000_00] * 3


def test_scf_demo_prints_the_lineage_table() -> None:
    outcome = runner.invoke(app, ["demo"], env={"COLUMNS": "200"})
    assert outcome.exit_code == 0, outcome.output
    assert "Tier-3 Ore" in outcome.output
    assert (
        "paid to holders 1,000,000.00 == settled 1,000,000.00 == face 1,000,000.00"
        in outcome.output
    )
    assert "set-off: Axle Works, Brake Systems, Cable Harness each cleared 200,000.00" in (
        outcome.output
    )


def test_scf_build_writes_the_same_artifacts(tmp_path: Path) -> None:
    outcome = runner.invoke(app, ["build", "--out-dir", str(tmp_path)])
    assert outcome.exit_code == 0, outcome.output
    shipped = json.loads((ARTIFACTS_DIR / "ReceivableToken.json").read_text())
    assert json.loads((tmp_path / "ReceivableToken.json").read_text()) == shipped
