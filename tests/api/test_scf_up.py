"""`scf up`, run as a user runs it: a dev chain, a seeded consortium and the API, for real."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from typer.testing import CliRunner

from scfledger.cli import app
from scfledger.network import CliqueNetwork, rpc_call
from scfledger.network.anvil import free_port
from scfledger.outbox.faucet import GAS_MONEY
from tests.support.api import cny
from tests.support.served import served_process, wait_ready

pytestmark = pytest.mark.integration


def uploaded(client: httpx.Client, text: str) -> str:
    """Uploads `text` as the client's document: its SHA-256 as 0x-hex, to anchor."""
    document = ("doc.txt", text.encode(), "text/plain")
    response = client.post("/v1/documents", files={"file": document})
    assert response.status_code == 201, response.text
    return "0x" + str(response.json()["sha256"])


def scf_up(
    directory: Path, port: int, *options: str, cwd: Path | None = None
) -> subprocess.Popen[str]:
    """`scf up` in its own process, as a user runs it; its output read at the end."""
    scf = str(Path(sys.executable).parent / "scf")
    return subprocess.Popen(
        [scf, "up", "--dir", str(directory), "--port", str(port), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=cwd,
    )


def test_scf_up_serves_a_seeded_consortium_and_sigterm_stops_its_chain(tmp_path: Path) -> None:
    """The demo as a user starts it; SIGTERM (what systemd sends) stops the API and the anvil
    it started, with exit status 0."""
    port = free_port()
    directory = tmp_path / "up"
    workdir = tmp_path / "workdir"  # where the user runs it: nothing of scf up goes there
    workdir.mkdir()
    proc = scf_up(directory, port, cwd=workdir)
    anvils: list[int] = []
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, proc, 120)
        anvils = child_processes(proc.pid, b"anvil")
        assert len(anvils) == 1
        assert httpx.get(f"{base}/readyz").json()["status"] == "ready"
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

        # Finding 11: documents under --dir (not ./var/documents), files for its user only.
        uploaded = httpx.post(
            f"{base}/v1/documents",
            headers={"Authorization": f"Bearer {credentials['core']['apiKey']}"},
            files={"file": ("invoice.pdf", b"%PDF-1.7 scf up invoice", "application/pdf")},
        )
        assert uploaded.status_code == 201, uploaded.text
        sha = uploaded.json()["sha256"]
        assert (directory / "documents" / sha[:2] / sha[2:4] / sha).is_file()
        assert list(workdir.iterdir()) == []
        assert (directory / "documents").stat().st_mode & 0o777 == 0o700
        for private in ("gateway.sqlite3", "gateway.sqlite3-wal", "metrics-token"):
            assert (directory / private).stat().st_mode & 0o777 == 0o600, private
        # Metrics answer the token scf up wrote, and nothing else.
        token = (directory / "metrics-token").read_text().strip()
        assert httpx.get(f"{base}/metrics").status_code == 401
        scraped = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {token}"})
        assert scraped.status_code == 200
        assert "scf_http_requests_total" in scraped.text

        # Maturity without touching the node: `scf dev advance-time` finds scf up's chain.
        auditor = {"Authorization": f"Bearer {credentials['auditor']['apiKey']}"}
        before = httpx.get(f"{base}/v1/chain/time", headers=auditor).json()
        moved = scf_dev("advance-time", "--dir", str(directory), "90d", cwd=workdir)
        assert moved.returncode == 0, moved.stderr
        after = httpx.get(f"{base}/v1/chain/time", headers=auditor).json()
        assert after["block_timestamp"] >= before["block_timestamp"] + 90 * 86_400
        assert f"chain time {after['block_timestamp_iso']} ({after['block_timestamp']})" in (
            moved.stdout
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert not [pid for pid in anvils if running(pid)], output
    for entry in credentials.values():
        assert entry["apiKey"] not in output  # keys go to the 0600 file, never the terminal


def scf_dev(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`scf dev ARGS` in its own process, as a user runs it beside `scf up`."""
    scf = str(Path(sys.executable).parent / "scf")
    return subprocess.run(
        [scf, "dev", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=180,  # a bound: a loaded machine takes a minute to import the CLI
        env={**os.environ, "COLUMNS": "400"},
        check=False,
    )


def child_processes(parent: int, marker: bytes) -> list[int]:
    """The processes whose parent is `parent` and whose command line contains `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        if ppid == parent and marker in command:
            found.append(int(entry.name))
    return found


def worker_processes(parent: int) -> list[int]:
    """The uvicorn worker processes (multiprocessing spawn) whose parent is `parent`."""
    return child_processes(parent, b"spawn_main")


def running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie counts as gone)."""
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def test_scf_up_with_two_worker_processes_acts_once_per_idempotency_key(tmp_path: Path) -> None:
    """`--workers 2`: two uvicorn processes, each with its own gateway (pipeline, indexer,
    webhook dispatcher) on one database. Writes are answered by either and act once."""
    port = free_port()
    directory = tmp_path / "up"
    proc = scf_up(directory, port, "--workers", "2", "--no-maker-checker")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, proc, 120)
        assert len(worker_processes(proc.pid)) == 2
        credentials = json.loads((directory / "credentials.json").read_text())

        def client(name: str) -> httpx.Client:
            key = credentials[name]["apiKey"]
            return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"})

        body = {
            "creditor": credentials["supplier1"]["address"],
            "face_amount": cny(70_000),
            "due_date": 2_840_140_800,
        }
        with client("core") as core, client("supplier1") as supplier1:
            body["document_hash"] = uploaded(core, "invoice 77")
            answers = [
                core.post(
                    "/v1/receivables",
                    json=body,
                    headers={"Idempotency-Key": "up-issue"},
                    params={"wait": "indexed"},
                    timeout=60,
                )
                for _ in range(6)  # a new connection each: either worker may answer
            ]
            assert {a.status_code for a in answers} == {202}, [a.text for a in answers]
            assert len({a.json()["id"] for a in answers}) == 1
            issued = next(e for e in answers[0].json()["events"] if e["name"] == "ReceivableIssued")
            slot, token = issued["args"]["slot"], issued["args"]["tokenId"]
            accepted = supplier1.post(
                f"/v1/receivables/{slot}/accept",
                headers={"Idempotency-Key": "up-accept"},
                params={"wait": "indexed"},
                timeout=60,
            )
            assert accepted.json()["status"] == "indexed", accepted.text
            pieces = [p["token_id"] for p in supplier1.get("/v1/pieces").json()["items"]]
            assert pieces == [token]
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output


def test_scf_serve_over_an_existing_deployment(tmp_path: Path) -> None:
    """`scf serve` as an operator runs it: SCF_* settings, a manifest, a node; two workers."""
    database = f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    with served_process(tmp_path, database, workers=2) as api:
        assert api.pid is not None
        assert len(worker_processes(api.pid)) == 2
        scf = str(Path(sys.executable).parent / "scf")
        wrong = subprocess.run(
            [scf, "serve", "--rpc", api.chain_url, "--manifest", str(tmp_path / "deployment.json"),
             "--port", str(free_port())],
            env={**os.environ, "SCF_DATABASE_URL": database, "SCF_KEY_DIR": str(tmp_path / "keys"),
                 "SCF_KEYSTORE_PASSPHRASE": "not-the-right-passphrase"},
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert wrong.returncode == 2, wrong.stdout + wrong.stderr
        body = {
            "creditor": api.address("supplier1"),
            "face_amount": cny(90_000),
            "due_date": 2_840_140_800,
            "document_hash": api.document("core", "invoice 78"),
        }
        with api.client("core") as core:
            issued = core.post(
                "/v1/receivables",
                json=body,
                headers={"Idempotency-Key": "serve-issue"},
                params={"wait": "indexed"},
            )
        assert issued.json()["status"] == "indexed", issued.text


def test_scf_up_consortium_runs_the_ledger_on_four_clique_sealers(tmp_path: Path) -> None:
    """`--chain consortium`: four go-ethereum sealers started by `scf up` itself. A
    participant created over the API gets gas money from the genesis-funded faucet,
    is admitted by two admins, receives a piece and passes part of it on with that gas;
    SIGTERM stops the API and every node."""
    port = free_port()
    directory = tmp_path / "up"
    proc = scf_up(directory, port, "--chain", "consortium", "--no-maker-checker")
    base = f"http://127.0.0.1:{port}"
    network = None
    try:
        wait_ready(base, proc, 300)
        network = CliqueNetwork.open(directory / "chain")
        assert [(s.running, s.peers) for s in network.status()] == [(True, 3)] * 4
        credentials = json.loads((directory / "credentials.json").read_text())
        assert "gas-faucet" not in credentials  # a keystore account, not a participant

        def client(key: str) -> httpx.Client:
            return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"},
                                timeout=120)  # fmt: skip

        def act(who: httpx.Client, path: str, key: str, body: Any = None) -> dict[str, Any]:
            answer = who.post(path, json=body, headers={"Idempotency-Key": key},
                              params={"wait": "indexed"})  # fmt: skip
            assert answer.status_code == 202, answer.text
            assert answer.json()["status"] == "indexed", answer.text
            return cast(dict[str, Any], answer.json())

        def args(op: dict[str, Any], name: str) -> dict[str, Any]:
            return cast(dict[str, Any], next(e["args"] for e in op["events"] if e["name"] == name))

        admin1, admin2, core, supplier1, supplier2 = (
            client(credentials[name]["apiKey"])
            for name in ("admin1", "admin2", "core", "supplier1", "supplier2")
        )
        created = admin1.post("/v1/participants", json={"name": "supplier4"})
        assert created.status_code == 201, created.text
        supplier4_address = created.json()["address"]
        balance = rpc_call(network.rpc_url(2), "eth_getBalance", [supplier4_address, "latest"])
        assert int(balance, 16) == GAS_MONEY
        proposed = act(admin1, "/v1/members", "admit-4", {
            "address": supplier4_address, "name": "Supplier Four", "legal_id": "legal 4",
            "kyc": "kyc 4", "roles": ["supplier"],
        })  # fmt: skip
        proposal = args(proposed, "ProposalCreated")["proposalId"]
        act(admin2, f"/v1/proposals/{proposal}/approve", "ok-4")
        supplier4 = client(created.json()["api_key"])

        issued = act(core, "/v1/receivables", "issue", {
            "creditor": credentials["supplier1"]["address"], "face_amount": cny(1_000_000),
            "due_date": 2_840_140_800, "document_hash": uploaded(core, "invoice 79"),
        })  # fmt: skip
        slot, root = (
            args(issued, "ReceivableIssued")["slot"],
            args(issued, "ReceivableIssued")["tokenId"],
        )
        act(supplier1, f"/v1/receivables/{slot}/accept", "accept")
        to4 = act(supplier1, f"/v1/pieces/{root}/transfers", "to-4",
                  {"to": supplier4_address, "value": cny(400_000)})  # fmt: skip
        piece4 = args(to4, "PieceSplit")["childTokenId"]
        act(supplier4, f"/v1/pieces/{piece4}/sign", "sign-4")  # 签收
        on = act(supplier4, f"/v1/pieces/{piece4}/transfers", "4-to-2",
                 {"to": credentials["supplier2"]["address"], "value": cny(150_000)})  # fmt: skip
        piece2 = args(on, "PieceSplit")["childTokenId"]
        signed = act(supplier2, f"/v1/pieces/{piece2}/sign", "sign-2")
        held = {p["token_id"]: p["value"] for p in supplier2.get("/v1/pieces").json()["items"]}
        assert held == {piece2: cny(150_000)}
        lineage = supplier2.get(f"/v1/pieces/{piece2}/lineage").json()
        assert [n["token_id"] for n in lineage["ancestors"]] == [piece4, root]
        node3 = rpc_call(network.rpc_url(3), "eth_getTransactionReceipt", [signed["tx_hash"]])
        assert node3 is not None  # on every sealer's chain
        assert node3["status"] == "0x1"
        # Clique stamps blocks with its sealers' clocks: no time travel, and it says why. (In
        # this process: the test above runs `scf dev` as its own process; a start of it costs
        # seconds of imports.)
        refused = CliRunner().invoke(
            app, ["dev", "advance-time", "--dir", str(directory), "90d"], env={"COLUMNS": "400"}
        )
        assert refused.exit_code == 2, refused.output
        assert "is a go-ethereum Clique network" in refused.output
        for c in (admin1, admin2, core, supplier1, supplier2, supplier4):
            c.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
        if network is not None:
            network.stop()  # only if the test failed before scf up stopped them
    assert proc.returncode == 0, output
    assert not any(s.running for s in CliqueNetwork.open(directory / "chain").status()), output
