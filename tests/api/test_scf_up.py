"""`scf up`, run as a user runs it: a dev chain, a seeded consortium and the API, for real."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from scfledger.network.anvil import free_port

pytestmark = pytest.mark.integration


def test_scf_up_serves_a_seeded_consortium(tmp_path: Path) -> None:
    port = free_port()
    directory = tmp_path / "up"
    scf = str(Path(sys.executable).parent / "scf")
    proc = subprocess.Popen(
        [scf, "up", "--dir", str(directory), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        ready = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                ready = httpx.get(f"{base}/readyz", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        assert ready is not None, "scf up never answered"
        assert ready.json()["status"] == "ready"
        credentials_file = directory / "credentials.json"
        assert credentials_file.stat().st_mode & 0o777 == 0o600
        credentials = json.loads(credentials_file.read_text())
        assert set(credentials) == {
            "admin1",
            "admin2",
            "admin3",
            "core",
            "supplier1",
            "supplier2",
            "supplier3",
            "bank",
            "auditor",
        }
        members = httpx.get(
            f"{base}/v1/members",
            headers={"Authorization": f"Bearer {credentials['auditor']['apiKey']}"},
        ).json()
        names = {m["name"]: m["roles"] for m in members}
        assert names["core"] == ["core_enterprise"]
        assert names["bank"] == ["financier"]
        assert names["admin1"] == ["admin"]
        proposals = httpx.get(
            f"{base}/v1/proposals",
            headers={"Authorization": f"Bearer {credentials['admin1']['apiKey']}"},
        ).json()
        assert [(p["action"], p["status"]) for p in proposals] == [("admitMember", "executed")] * 6
        assert httpx.get(f"{base}/v1/members").status_code == 401
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    for entry in credentials.values():
        assert entry["apiKey"] not in output  # keys go to the 0600 file, never the terminal
