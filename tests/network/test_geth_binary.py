"""geth is built the first time a Clique network needs it, not by the dev chain's setup."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from scfledger.network import clique
from scfledger.network.clique import CliqueNetworkError, geth_binary

REPO = Path(__file__).resolve().parents[2]


def test_setup_for_the_dev_chain_does_not_build_geth_and_setup_for_tests_does() -> None:
    """`make run` runs scripts/setup.sh, `make test` scripts/setup.sh --tests (both idempotent
    on a machine that is set up, as this one is when the tests run)."""

    def trace(*args: str) -> str:
        done = subprocess.run(["bash", "-x", "scripts/setup.sh", *args], cwd=REPO,
                              capture_output=True, text=True, timeout=600, check=True)  # fmt: skip
        return done.stderr

    assert "build-geth.sh" not in trace()
    assert "scripts/build-geth.sh" in trace("--tests")


def fake_checkout(root: Path, monkeypatch: pytest.MonkeyPatch, build_script: str) -> None:
    """A source checkout at `root` without geth, whose scripts/build-geth.sh runs `build_script`
    from the checkout's root (as the real one does)."""
    monkeypatch.delenv("SCF_GETH", raising=False)
    monkeypatch.setattr(clique, "REPO_ROOT", root)
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
