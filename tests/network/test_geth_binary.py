"""geth is built the first time a Clique network needs it, not by the dev chain's setup."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from scfledger.network import geth
from scfledger.network.geth import CliqueNetworkError, geth_binary
from tests.support.waiting import eventually

REPO = Path(__file__).resolve().parents[2]


def set_up_checkout(root: Path) -> Path:
    """A copy of scripts/setup.sh in a checkout at `root` whose venv and npm packages are
    current (so setup installs nothing), with a build-geth.sh that only leaves a mark: the
    real setup is never run here, since it may reinstall the packages other tests use."""
    (root / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "setup.sh", root / "scripts" / "setup.sh")
    (root / "clients" / "python").mkdir(parents=True)
    for name in ("requirements.lock", "pyproject.toml", "clients/python/pyproject.toml"):
        (root / name).write_text(name)
    (root / "package-lock.json").write_text("package-lock.json")
    venv = root / ".venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "python").write_text("#!/bin/sh\n")
    (venv / "python").chmod(0o755)
    installed = b"requirements.lockpyproject.tomlclients/python/pyproject.toml"
    stamp = hashlib.sha256(installed).hexdigest()
    (root / ".venv" / ".requirements.sha256").write_text(stamp + "\n")
    (root / "node_modules" / "solc").mkdir(parents=True)
    (root / "node_modules" / ".package-lock.json").write_text("{}")
    later = (root / "package-lock.json").stat().st_mtime + 10
    os.utime(root / "node_modules" / ".package-lock.json", (later, later))
    # The console's packages are current; its build runs through a stand-in npm (first on
    # the PATH the test gives setup) that builds nothing.
    for name in ("src/main.tsx", "index.html", "vite.config.ts", "tsconfig.json"):
        (root / "console" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "console" / name).write_text(name)
    (root / "console" / "package-lock.json").write_text("console/package-lock.json")
    (root / "console" / "node_modules").mkdir()
    (root / "console" / "node_modules" / ".package-lock.json").write_text("{}")
    later = (root / "console" / "package-lock.json").stat().st_mtime + 10
    os.utime(root / "console" / "node_modules" / ".package-lock.json", (later, later))
    (root / "clients" / "typescript" / "src").mkdir(parents=True)
    (root / "clients" / "typescript" / "src" / "schema.d.ts").write_text("schema.d.ts")
    npm = root / "stand-in" / "npm"
    npm.parent.mkdir()
    npm.write_text("#!/bin/sh\nmkdir -p dist\n")
    npm.chmod(0o755)
    mark = root / "geth-built"
    build = root / "scripts" / "build-geth.sh"
    build.write_text(f"#!/bin/sh\ntouch {mark}\n")
    build.chmod(0o755)
    return mark


@pytest.mark.parametrize(("args", "builds_geth"), [((), False), (("--tests",), True)])
def test_setup_for_the_dev_chain_does_not_build_geth_and_setup_for_tests_does(
    tmp_path: Path, args: tuple[str, ...], builds_geth: bool
) -> None:
    """`make run` runs scripts/setup.sh, `make test` scripts/setup.sh --tests."""
    mark = set_up_checkout(tmp_path)
    path = f"{tmp_path / 'stand-in'}:{os.environ['PATH']}"
    subprocess.run(
        [str(tmp_path / "scripts" / "setup.sh"), *args],
        check=True,
        timeout=60,
        env={**os.environ, "PATH": path},
    )
    assert mark.exists() == builds_geth


def fake_checkout(root: Path, monkeypatch: pytest.MonkeyPatch, build_script: str) -> None:
    """A source checkout at `root` without geth, whose scripts/build-geth.sh runs `build_script`
    from the checkout's root (as the real one does)."""
    monkeypatch.delenv("SCF_GETH", raising=False)
    monkeypatch.setattr(geth, "REPO_ROOT", root)
    script = root / "scripts" / "build-geth.sh"
    script.parent.mkdir()
    script.write_text('#!/bin/sh\ncd "$(dirname "$0")/.."\n' + build_script)
    script.chmod(0o755)


def test_geth_is_built_on_first_use_in_a_source_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_checkout(
        tmp_path,
        monkeypatch,
        "mkdir -p .tools/bin\nprintf '#!/bin/sh\\n' > .tools/bin/geth\nchmod +x .tools/bin/geth\n",
    )
    assert geth_binary() == tmp_path / ".tools" / "bin" / "geth"


def test_a_failed_build_is_reported_with_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_checkout(tmp_path, monkeypatch, "exit 1\n")
    with pytest.raises(CliqueNetworkError, match=r"run scripts/build-geth\.sh"):
        geth_binary()


def test_a_process_start_names_that_process_until_it_has_exited() -> None:
    child = subprocess.Popen(["sleep", "30"])
    try:
        started = geth.process_start(child.pid)
        assert started is not None
        assert geth.process_start(child.pid) == started  # the same process, read again
        assert geth.process_start(os.getpid()) not in (None, started)  # another one
    finally:
        child.terminate()
    # Exited and not yet reaped: a zombie counts as exited.
    eventually(lambda: geth.process_start(child.pid) is None, what="the child to exit")
    assert child.wait() is not None
    assert geth.process_start(child.pid) is None
