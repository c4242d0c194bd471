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


def test_geth_is_built_on_first_use_in_a_source_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SCF_GETH", raising=False)
    monkeypatch.setattr(clique, "REPO_ROOT", tmp_path)
    script = tmp_path / "scripts" / "build-geth.sh"
    script.parent.mkdir()
    script.write_text(
        '#!/bin/sh\ncd "$(dirname "$0")/.."\nmkdir -p .tools/bin\n'
        "printf '#!/bin/sh\\n' > .tools/bin/geth\nchmod +x .tools/bin/geth\n"
    )
    script.chmod(0o755)
    assert geth_binary() == tmp_path / ".tools" / "bin" / "geth"


def test_a_failed_build_is_reported_with_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SCF_GETH", raising=False)
    monkeypatch.setattr(clique, "REPO_ROOT", tmp_path)
    script = tmp_path / "scripts" / "build-geth.sh"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\nexit 1\n")
    script.chmod(0o755)
    with pytest.raises(CliqueNetworkError, match=r"run scripts/build-geth\.sh"):
        geth_binary()
