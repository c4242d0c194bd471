"""How `make test` deals the suite to pytest-xdist's workers (`--dist loadscope`).

A module runs whole on one worker, so that its module-scoped fixtures (a served gateway, a
Clique network) are built once. Two marks change a test's unit: `spread` (the test shares
nothing costly with its module's others: a unit of its own, e.g. the eight 25-50 s fuzz
shards, which would otherwise all run on one worker) and xdist's own `xdist_group(name)`
(the tests of several modules that share a package-scoped fixture: one unit, so that one
worker builds it once). Units are handed out longest first, by the seconds per module in
durations.json (a unit costs its tests' shares of their modules'), so that the last unit a
worker takes is a short one. A module missing from the table goes first: if it is long,
starting it last would make the whole run wait for it; if it is short, starting it first
costs nothing.

Refresh the table from a whole run (it merges what ran and drops modules that are gone):
    pytest -n 2 --dist loadscope --record-durations

(pytest 9 no longer lets xdist 3.8 rename test ids, on which `--dist loadgroup` relies;
this scheduler reads the marks on the workers instead, and needs no renaming.)
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
from xdist.remote import Producer
from xdist.scheduler import LoadScopeScheduling
from xdist.workermanage import WorkerController

SPREAD = "spread"
GROUP = "xdist_group"
DURATIONS = Path(__file__).with_name("durations.json")
# Where each worker leaves the units of its marked tests for the controller: collection
# happens only on the workers, which send the controller test ids, not marks.
_UNITS_FILE = "scf_units_file"
_units_dir = pytest.StashKey[Path]()


def module_of(nodeid: str) -> str:
    """The test module's path in a test id (`tests/api/test_x.py::test_y[1]`)."""
    return nodeid.split("::", 1)[0]


def unit_of(item: pytest.Item) -> str:
    """The unit a collected test runs in: itself if it is spread, its group's if it is in
    an xdist group, else its whole module."""
    if item.get_closest_marker(SPREAD):
        return item.nodeid
    group = item.get_closest_marker(GROUP)
    if group is not None:
        return f"group:{group.args[0] if group.args else group.kwargs.get('name', 'default')}"
    return module_of(item.nodeid)


def unit_cost(tests: Iterable[str], costs: Mapping[str, float], counts: Mapping[str, int]) -> float:
    """The seconds a unit of `tests` is expected to take: each test's even share of its
    module's seconds in `costs` (`counts`: how many tests each module has); infinite if a
    module is not in `costs`."""
    return sum(
        costs[module_of(t)] / counts[module_of(t)] if module_of(t) in costs else float("inf")
        for t in tests
    )


def read_costs(path: Path) -> dict[str, float]:
    """The table of seconds per test module (empty if there is none yet)."""
    if not path.exists():
        return {}
    return {str(k): float(v) for k, v in json.loads(path.read_text()).items()}


class SuiteScheduling(LoadScopeScheduling):
    """LoadScopeScheduling by module (a class does not split its module), marked tests in
    the units the workers said, the longest unit first."""

    def __init__(
        self,
        config: pytest.Config,
        log: Producer | None,
        *,
        units_dir: Path,
        costs: Mapping[str, float],
    ) -> None:
        super().__init__(config, log)
        self._units_dir = units_dir
        self._costs = costs
        self._units: dict[str, str] = {}
        self._counts: Counter[str] = Counter()

    def schedule(self) -> None:
        if self.collection is None and self.registered_collections:
            for found in self._units_dir.glob("*.json"):
                self._units.update(json.loads(found.read_text()))
            first = next(iter(self.registered_collections.values()))
            self._counts = Counter(module_of(nodeid) for nodeid in first)
        super().schedule()

    def _split_scope(self, nodeid: str) -> str:
        return self._units.get(nodeid, module_of(nodeid))

    def _assign_work_unit(self, node: WorkerController) -> None:
        # The queue's longest unit goes next (max keeps the collection's order among equals).
        longest = max(
            self.workqueue, key=lambda u: unit_cost(self.workqueue[u], self._costs, self._counts)
        )
        self.workqueue.move_to_end(longest, last=False)
        super()._assign_work_unit(node)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("scf", "scfledger's test scheduling (tests/support/scheduling.py)")
    group.addoption(
        "--durations-table",
        metavar="PATH",
        type=Path,
        default=DURATIONS,
        help="seconds per test module (JSON) by which --dist loadscope starts the longest "
        "first (default: %(default)s)",
    )
    group.addoption(
        "--record-durations",
        action="store_true",
        help="merge the seconds each test module took in this run into --durations-table",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{SPREAD}: this test shares no costly fixture with its module's others; under "
        "--dist loadscope it is a unit of its own, for any worker (tests/support/scheduling.py)",
    )
    if config.getoption("record_durations") and not hasattr(config, "workerinput"):
        table = config.getoption("durations_table")
        config.pluginmanager.register(DurationRecorder(table), "scf-durations")


def pytest_unconfigure(config: pytest.Config) -> None:
    if _units_dir in config.stash:
        shutil.rmtree(config.stash[_units_dir], ignore_errors=True)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> SuiteScheduling | None:
    if config.getvalue("dist") != "loadscope":
        return None
    costs = read_costs(config.getoption("durations_table"))
    return SuiteScheduling(config, log, units_dir=_units_directory(config), costs=costs)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: WorkerController) -> None:
    where = _units_directory(node.config) / f"{node.gateway.id}.json"
    node.workerinput[_UNITS_FILE] = str(where)


def _units_directory(config: pytest.Config) -> Path:
    if _units_dir not in config.stash:
        config.stash[_units_dir] = Path(tempfile.mkdtemp(prefix="scf-units-"))
    return config.stash[_units_dir]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On a worker, leaves the units of its marked tests where the controller reads them;
    written (then renamed, whole) before the worker reports its collection."""
    workerinput: dict[str, Any] = getattr(config, "workerinput", {})
    if _UNITS_FILE not in workerinput:
        return
    target = Path(workerinput[_UNITS_FILE])
    units = {item.nodeid: unit_of(item) for item in items}
    partial = target.with_suffix(".part")
    partial.write_text(json.dumps({t: u for t, u in units.items() if u != module_of(t)}))
    partial.rename(target)


class DurationRecorder:
    """Adds up, on the controller, the seconds of every phase (setup, call, teardown) of
    every test by module, and merges them into the table at the end of the run: only the
    modules whose every collected test ran (an interrupted run leaves the others as they
    were)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seconds: dict[str, float] = defaultdict(float)
        self.collected: Counter[str] = Counter()
        self.finished: Counter[str] = Counter()

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if session.items:  # without xdist (its controller collects nothing)
            self.collected = Counter(module_of(item.nodeid) for item in session.items)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: object, ids: list[str]) -> None:
        self.collected = Counter(module_of(nodeid) for nodeid in ids)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[module_of(report.nodeid)] += report.duration
        if report.when == "teardown":
            self.finished[module_of(report.nodeid)] += 1

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.write(session.config.rootpath)

    def write(self, root: Path) -> None:
        """Merges the modules that ran whole into the table; drops those gone from `root`."""
        table = read_costs(self.path)
        table.update(
            (module, round(self.seconds[module], 1))
            for module, tests in self.collected.items()
            if self.finished[module] == tests
        )
        kept = {m: s for m, s in sorted(table.items()) if (root / m).exists()}
        self.path.write_text(json.dumps(kept, indent=1) + "\n")
