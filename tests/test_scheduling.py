"""make test's xdist scheduler (tests/support/scheduling.py), run for real on a small suite
with two workers: a module stays on one worker, `spread` tests are shared out, the longest
units (by the durations table, unknown modules first) start first, and --record-durations
writes that table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.scheduling import DurationRecorder, module_of, unit_cost

ROOT = Path(__file__).resolve().parents[1]
# Every test of the small suite notes which worker ran it, in the order they ran.
NOTE = """
import os, pytest

def note(request):
    with open(os.environ["RAN"], "a") as ran:
        ran.write(request.node.nodeid + " " + os.environ["PYTEST_XDIST_WORKER"] + "\\n")
"""
SHARDS = """
import pytest
from conftest import note

@pytest.mark.spread
@pytest.mark.parametrize("shard", range(4))
def test_shard(request, shard):
    note(request)
"""
TOGETHER = """
from conftest import note

def test_one(request):
    note(request)

def test_two(request):
    note(request)

class TestThree:
    def test_three(self, request):
        note(request)

def test_four(request):
    note(request)
"""


PAIR = """
import pytest
from conftest import note

pytestmark = pytest.mark.xdist_group("pair")

def test_one(request):
    note(request)

def test_two(request):
    note(request)
"""


def run_suite(directory: Path, table: dict[str, float], *options: str) -> list[tuple[str, str]]:
    """Runs the small suite on two workers under the scheduler with `table` as the modules'
    seconds; (test id, worker) in the order the tests ran."""
    (directory / "conftest.py").write_text(NOTE)
    (directory / "test_a_together.py").write_text(TOGETHER)
    (directory / "test_b_shards.py").write_text(SHARDS)
    (directory / "test_c_pair.py").write_text(PAIR)
    (directory / "test_d_pair.py").write_text(PAIR)
    (directory / "durations.json").write_text(json.dumps(table))
    ran = directory / "ran.txt"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "xdist.plugin", "-p", "tests.support.scheduling",
         "-p", "no:cacheprovider", "-n", "2", "--dist", "loadscope", "-q",
         "--durations-table", str(directory / "durations.json"), *options],
        cwd=directory, capture_output=True, text=True, timeout=120, check=False,
        # Only the plugins this needs: the venv's others (schemathesis...) cost seconds each.
        env={**os.environ, "RAN": str(ran), "PYTHONPATH": f"{ROOT}{os.pathsep}{directory}",
             "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return [(line.split()[0], line.split()[1]) for line in ran.read_text().splitlines()]


def workers(ran: list[tuple[str, str]], module: str) -> set[str]:
    return {worker for nodeid, worker in ran if module_of(nodeid) == module}


KNOWN = {"test_a_together.py": 1.0, "test_c_pair.py": 2.0, "test_d_pair.py": 2.0}


@pytest.mark.parametrize(
    "table",
    [
        {**KNOWN, "test_b_shards.py": 400.0},  # 100 s a shard
        KNOWN,  # the shards' module is new: unknown goes first
    ],
    ids=["by-the-table", "unknown-first"],
)
def test_modules_and_groups_stay_on_one_worker_and_the_longest_spread_tests_start_both(
    tmp_path: Path, table: dict[str, float]
) -> None:
    """The shards start first on both workers, though another module comes first in
    collection and has more tests (what xdist's own loadscope starts with); the unmarked
    module, its class included, runs whole on one worker; the two modules of one xdist
    group run on one worker, one after the other."""
    ran = run_suite(tmp_path, table)
    assert len(ran) == 12
    first = {worker: nodeid for nodeid, worker in reversed(ran)}  # each worker's first test
    assert {module_of(nodeid) for nodeid in first.values()} == {"test_b_shards.py"}
    assert workers(ran, "test_b_shards.py") == {"gw0", "gw1"}
    assert len(workers(ran, "test_a_together.py")) == 1
    (pair,) = workers(ran, "test_c_pair.py") | workers(ran, "test_d_pair.py")
    on_pair = [module_of(nodeid) for nodeid, worker in ran if worker == pair]
    grouped = [i for i, module in enumerate(on_pair) if module.endswith("_pair.py")]
    assert grouped == list(range(grouped[0], grouped[0] + 4))


def test_record_durations_merges_the_run_into_the_table(tmp_path: Path) -> None:
    run_suite(tmp_path, {"test_b_shards.py": 400.0, "test_gone.py": 5.0}, "--record-durations")
    recorded = json.loads((tmp_path / "durations.json").read_text())
    assert set(recorded) == set(KNOWN) | {"test_b_shards.py"}  # test_gone.py dropped
    assert all(isinstance(s, float) and s < 100 for s in recorded.values())


def test_a_unit_costs_its_tests_shares_of_their_modules() -> None:
    fuzz = "tests/api/test_openapi_fuzz.py"
    costs, counts = {fuzz: 90.0, "tests/b.py": 4.0}, {fuzz: 9, "tests/b.py": 2}
    assert unit_cost([f"{fuzz}::test_generated[3]"], costs, counts) == 10.0
    assert unit_cost([f"{fuzz}::test_x", "tests/b.py::test_y"], costs, counts) == 12.0
    assert unit_cost(["tests/new.py::test_z"], costs, counts) == float("inf")


def test_an_interrupted_module_keeps_its_recorded_seconds(tmp_path: Path) -> None:
    """A run stopped in the middle of a module (Ctrl-C) records the modules that ran whole
    and leaves the interrupted one's seconds as they were."""
    (tmp_path / "tests").mkdir()
    for name in ("test_a.py", "test_b.py"):
        (tmp_path / "tests" / name).touch()
    table = tmp_path / "durations.json"
    table.write_text(json.dumps({"tests/test_a.py": 9.0, "tests/test_b.py": 50.0}))
    recorder = DurationRecorder(table)
    ran = ["tests/test_a.py::test_1", "tests/test_a.py::test_2", "tests/test_b.py::test_1"]
    recorder.pytest_xdist_node_collection_finished(None, [*ran, "tests/test_b.py::test_2"])
    for nodeid in ran:
        for when in ("setup", "call", "teardown"):  # a test's three reports
            recorder.pytest_runtest_logreport(
                pytest.TestReport(nodeid, ("x", 0, "x"), {}, "passed", None, when, duration=0.5)
            )
    recorder.write(tmp_path)
    assert json.loads(table.read_text()) == {"tests/test_a.py": 3.0, "tests/test_b.py": 50.0}
