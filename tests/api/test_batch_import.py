"""ERP batches end to end with `scf serve` processes: `scf import FILE` follows a batch and
lists the lines that did not go through; a gateway killed (SIGKILL) in the middle of a
batch and started again sends every line exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from scfledger.cli import app
from scfledger.db.batches import BatchLine
from scfledger.db.migrate import upgrade
from scfledger.db.models import Operation
from scfledger.db.projections import ChainEvent
from scfledger.db.session import create_db_engine, session_factory
from scfledger.devchain.seed import Seeded, seed_demo
from scfledger.keys.store import KeyStore
from tests.support.anvil import AnvilNode, anvil_node, free_port
from tests.support.postgres import PostgresServer
from tests.support.served import PASSPHRASE, wait_ready
from tests.support.waiting import eventually

DAY = 86_400
LINES = 150
ISSUE_COLUMNS = "creditor,face_amount,currency,due_date,document_hash"


@dataclass
class Consortium:
    """A seeded dev chain (1 s blocks once seeded) and database, served by `scf serve`
    processes."""

    directory: Path
    node: AnvilNode
    seeded: Seeded
    database_url: str
    manifest: Path
    port: int

    def serve(self) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "SCF_DATABASE_URL": self.database_url,
            "SCF_KEY_DIR": str(self.directory / "keys"),
            "SCF_KEYSTORE_PASSPHRASE": PASSPHRASE,
        }
        scf = str(Path(sys.executable).parent / "scf")
        command = [scf, "serve", "--rpc", self.node.url, "--manifest", str(self.manifest),
                   "--port", str(self.port), "--workers", "1"]  # fmt: skip
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # A bound, not a duration: on a loaded machine its imports alone can take a minute.
        wait_ready(self.url, proc, 180)
        return proc

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, participant: str = "core") -> httpx.Client:
        key = self.seeded.api_keys[participant]
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {key}"}, timeout=60
        )

    def rpc(self, method: str, *params: Any) -> Any:
        body = httpx.post(
            self.node.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        ).json()
        return body["result"]

    def csv(self, client: httpx.Client, lines: int, bad: frozenset[int] = frozenset()) -> str:
        """An issue batch of `lines` lines to supplier1, each against a document of its own
        (lines in `bad` name one never uploaded)."""
        due = int(self.rpc("eth_getBlockByNumber", "latest", False)["timestamp"], 16) + 90 * DAY
        creditor = self.seeded.addresses["supplier1"]
        rows = [ISSUE_COLUMNS]
        for n in range(1, lines + 1):
            if n in bad:
                document = "0x" + uuid.uuid4().hex * 2
            else:
                files = {"file": ("invoice.txt", f"invoice {uuid.uuid4()}".encode(), "text/plain")}
                uploaded = client.post("/v1/documents", files=files)
                assert uploaded.status_code == 201, uploaded.text
                document = "0x" + uploaded.json()["sha256"]
            rows.append(f"{creditor},{100 + n}.00,CNY,{due},{document}")  # at least the minimum
        return "\n".join(rows) + "\n"


@contextmanager
def consortium(directory: Path, database_url: str) -> Iterator[Consortium]:
    with anvil_node(directory) as node:
        upgrade(database_url)
        engine = create_db_engine(database_url)
        keys = KeyStore(directory / "keys", PASSPHRASE, scrypt_n=2**10)
        seeded = seed_demo(node.web3(), keys, engine, maker_checker=False)
        engine.dispose()
        manifest = directory / "deployment.json"
        contracts = {name: {"address": address} for name, address in seeded.contracts.items()}
        manifest.write_text(
            json.dumps({"deploymentBlock": seeded.deployment_block, "contracts": contracts})
        )
        network = Consortium(directory, node, seeded, database_url, manifest, free_port())
        # Seeded a block per transaction (its ~20 waits for a receipt would take 20 s at
        # 1 s blocks); the batches then meet the 1 s blocks of a consortium.
        network.rpc("evm_setAutomine", False)
        network.rpc("evm_setIntervalMining", 1)
        yield network


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)


def test_a_gateway_killed_mid_batch_and_restarted_sends_every_line_exactly_once(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    with consortium(tmp_path, postgres.create_database()) as network:
        engine = create_db_engine(network.database_url)
        sessions = session_factory(engine)
        doomed = network.serve()
        try:
            with network.client() as client:
                batch = network.csv(client, LINES)
                nonce_before = int(
                    network.rpc(
                        "eth_getTransactionCount", network.seeded.addresses["core"], "latest"
                    ),
                    16,
                )
                posted = client.post(
                    "/v1/batches",
                    content=batch.encode(),
                    params={"kind": "receivable.issue"},
                    headers={"Idempotency-Key": "month-end", "Content-Type": "text/csv"},
                )
                assert posted.status_code == 202, posted.text
                batch_id = posted.json()["id"]

            def some_sent() -> dict[str, int] | None:
                query = (
                    select(Operation.status, func.count())
                    .join(BatchLine, BatchLine.operation_id == Operation.id)
                    .group_by(Operation.status)
                )
                with sessions() as session:
                    by_status = {s: int(n) for s, n in session.execute(query)}
                # The loop signs and stores queued lines 200 at a time in one transaction:
                # all 150 may leave `queued` at once (the key then absent, not 0 lines).
                accepted = sum(by_status.values()) == LINES
                return by_status if accepted and by_status.get("queued", 0) <= LINES - 10 else None

            at_kill = eventually(some_sent, what="10 lines sent", timeout=60, interval=0.01)
            doomed.send_signal(signal.SIGKILL)
            doomed.wait()
        finally:
            stop(doomed)
        assert at_kill.get("queued", 0) + at_kill.get("submitted", 0) > 0, f"too late: {at_kill}"

        restarted = network.serve()
        try:
            with network.client() as client:

                def done() -> dict[str, Any] | None:
                    body: dict[str, Any] = client.get(f"/v1/batches/{batch_id}").json()
                    return body if body["done"] else None

                final = eventually(done, what="the batch done", timeout=180, interval=0.5)
                failed = [i["problem"] for i in final["items"] if i["status"] == "failed"][:2]
                assert set(final["counts"]) <= {"mined", "indexed"}, (final["counts"], failed)
                assert sum(final["counts"].values()) == LINES
                # The same batch posted again (the ERP never got its answer) changes nothing.
                again = client.post(
                    "/v1/batches",
                    content=batch.encode(),
                    params={"kind": "receivable.issue"},
                    headers={"Idempotency-Key": "month-end", "Content-Type": "text/csv"},
                )
                assert again.json()["id"] == batch_id
            nonce_after = int(
                network.rpc("eth_getTransactionCount", network.seeded.addresses["core"], "latest"),
                16,
            )
            # One transaction per line, none twice: every nonce spent is a line's receivable.
            assert nonce_after - nonce_before == LINES

            def indexed() -> int | None:
                with sessions() as session:
                    count = session.scalar(
                        select(func.count())
                        .select_from(ChainEvent)
                        .where(ChainEvent.name == "ReceivableIssued")
                    )
                return int(count or 0) if (count or 0) >= LINES else None

            assert eventually(indexed, what="the receivables indexed", timeout=60) == LINES
        finally:
            stop(restarted)
            engine.dispose()


@pytest.fixture(scope="module")
def served_consortium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Consortium]:
    directory = tmp_path_factory.mktemp("scf-import")
    with consortium(directory, f"sqlite:///{directory / 'gateway.sqlite3'}") as network:
        proc = network.serve()
        try:
            yield network
        finally:
            stop(proc)


def test_scf_import_follows_a_batch_and_lists_the_lines_that_did_not_go_through(
    served_consortium: Consortium, tmp_path: Path
) -> None:
    network = served_consortium
    with network.client() as client:
        file = tmp_path / "month-end.csv"
        file.write_text(network.csv(client, 4, bad=frozenset({3})))
    runner = CliRunner()
    env = {"SCF_API_KEY": network.seeded.api_keys["core"], "SCF_GATEWAY_URL": network.url}

    result = runner.invoke(app, ["import", str(file), "--poll", "0.2"], env=env)

    assert result.exit_code == 1, result.output
    assert "4 lines" in result.output
    assert "line 3: rejected: document-not-uploaded" in result.output
    assert "line 1:" not in result.output
    batch_id = int(result.output.split("batch ", 1)[1].split(":", 1)[0])
    with network.client() as client:
        lines = client.get(f"/v1/batches/{batch_id}").json()["items"]
    assert [line["status"] in ("mined", "indexed") for line in lines] == [
        True,
        True,
        False,
        True,
    ], (result.output, lines)
    # The same file again is the same batch (its key comes from its content): acts once.
    again = runner.invoke(app, ["import", str(file), "--poll", "0.2"], env=env)
    assert again.exit_code == 1, again.output
    assert f"batch {batch_id}:" in again.output


def test_scf_import_says_why_a_batch_is_refused(
    served_consortium: Consortium, tmp_path: Path
) -> None:
    file = tmp_path / "bad.csv"
    file.write_text("creditor,face_amount\n0x0,1\n")
    env = {"SCF_API_KEY": served_consortium.seeded.api_keys["supplier1"],
           "SCF_GATEWAY_URL": served_consortium.url}  # fmt: skip

    result = CliRunner().invoke(app, ["import", str(file)], env=env)

    assert result.exit_code == 2, result.output
    assert "refused (403)" in result.output
