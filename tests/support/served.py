"""A gateway served by uvicorn on a random loopback port, over anvil and a demo consortium."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from scfledger.api.app import create_app
from scfledger.api.gateway import Gateway
from scfledger.app.compose import Deployment, build_gateway
from scfledger.config import Settings
from scfledger.db.migrate import upgrade
from scfledger.db.session import create_db_engine
from scfledger.devchain.seed import Seeded, seed_demo
from scfledger.keys.store import KeyStore
from tests.support.anvil import anvil_node, free_port
from tests.support.server import serving
from tests.support.waiting import eventually

PASSPHRASE = "test-passphrase-not-secret"  # a throwaway test keystore
METRICS_TOKEN = "test-metrics-token-not-secret"  # the scraper's bearer token for /metrics


@dataclass
class Served:
    url: str
    seeded: Seeded
    chain_url: str
    database_url: str
    pid: int | None = None  # of `scf serve`, when served by its own processes
    gateway: Gateway | None = None  # when served in this process (its clock can be set)

    def client(self, participant: str | None = None) -> httpx.Client:
        headers = {}
        if participant is not None:
            headers["Authorization"] = f"Bearer {self.seeded.api_keys[participant]}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=70)

    def address(self, participant: str) -> str:
        return self.seeded.addresses[participant]

    def document(self, participant: str, text: str) -> str:
        """Uploads `text` as `participant`'s document; its SHA-256 as 0x-hex, to anchor."""
        with self.client(participant) as client:
            response = client.post(
                "/v1/documents", files={"file": ("doc.txt", text.encode(), "text/plain")}
            )
        assert response.status_code == 201, response.text
        return "0x" + str(response.json()["sha256"])

    def rpc(self, method: str, *params: Any) -> Any:
        """A JSON-RPC call to the dev chain (anvil's time travel, blocks)."""
        body = httpx.post(
            self.chain_url,
            json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)},
        ).json()
        assert "error" not in body, body
        return body["result"]

    def chain_time(self) -> int:
        """The latest block's timestamp."""
        return int(self.rpc("eth_getBlockByNumber", "latest", False)["timestamp"], 16)


@contextmanager
def served_gateway(
    directory: Path,
    database_url: str,
    members: dict[str, int] | None = None,
    *,
    allow_loopback_webhooks: bool = True,
    metrics_token: str | None = METRICS_TOKEN,
    maker_checker: bool = False,
    holiday_notice: Path | None = None,
) -> Iterator[Served]:
    """`members` (name: roles) replaces the demo consortium (bench/api.py seeds 50 SMEs).
    Webhooks may target loopback receivers unless `allow_loopback_webhooks` is False;
    `/metrics` answers `metrics_token` (None: nobody). Participants' writes go straight on
    unless `maker_checker` gives them the default policy (tests of maker-checker).
    `holiday_notice`: SCF_HOLIDAY_NOTICE."""
    with anvil_node(directory) as node:
        upgrade(database_url)
        engine = create_db_engine(database_url)
        keys = KeyStore(directory / "keys", PASSPHRASE, scrypt_n=2**10)
        w3 = node.web3()
        seeded = seed_demo(w3, keys, engine, members, maker_checker=maker_checker)
        settings = Settings(
            chain_url=node.url,
            database_url=database_url,
            dev_chain=True,
            webhook_allow_loopback=allow_loopback_webhooks,
            metrics_token=None if metrics_token is None else SecretStr(metrics_token),
            holiday_notice=holiday_notice,
        )
        deployment = Deployment(seeded.contracts, seeded.deployment_block)
        gateway = build_gateway(settings, deployment, engine=engine, keys=keys)
        try:
            with serving(create_app(gateway)) as url:
                # The seed's last block indexed: its members are admitted in the read model
                # before the first request (else a loaded machine's first one may be refused).
                head = w3.eth.block_number
                eventually(
                    lambda: gateway.indexed_block >= head, what="the seed indexed", timeout=60
                )
                yield Served(
                    url=url,
                    seeded=seeded,
                    chain_url=node.url,
                    database_url=database_url,
                    gateway=gateway,
                )
        finally:
            engine.dispose()


def wait_ready(
    url: str, proc: subprocess.Popen[Any], timeout: float, path: str = "/readyz"
) -> None:
    """Waits until the server process answers `path` with 200 (fails if it exits)."""

    def ready() -> bool:
        assert proc.poll() is None, f"the server exited with {proc.returncode}"
        try:
            return httpx.get(f"{url}{path}", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    eventually(ready, what=f"{url}{path} to answer 200", timeout=timeout, interval=0.1)


@contextmanager
def served_process(
    directory: Path,
    database_url: str,
    members: dict[str, int] | None = None,
    *,
    workers: int = 2,
    maker_checker: bool = False,
) -> Iterator[Served]:
    """The same consortium served by `scf serve --workers N` in its own processes, as an
    operator runs it (SCF_* settings, a deployment manifest); `maker_checker` as for
    `served_gateway`."""
    with anvil_node(directory) as node:
        upgrade(database_url)
        engine = create_db_engine(database_url)
        keys = KeyStore(directory / "keys", PASSPHRASE, scrypt_n=2**10)
        seeded = seed_demo(node.web3(), keys, engine, members, maker_checker=maker_checker)
        engine.dispose()
        manifest = directory / "deployment.json"
        contracts = {name: {"address": address} for name, address in seeded.contracts.items()}
        manifest.write_text(
            json.dumps({"deploymentBlock": seeded.deployment_block, "contracts": contracts})
        )
        port = free_port()
        env = {
            **os.environ,
            "SCF_DATABASE_URL": database_url,
            "SCF_KEY_DIR": str(directory / "keys"),
            "SCF_KEYSTORE_PASSPHRASE": PASSPHRASE,
        }
        scf = str(Path(sys.executable).parent / "scf")
        command = [scf, "serve", "--rpc", node.url, "--manifest", str(manifest),
                   "--port", str(port), "--workers", str(workers)]  # fmt: skip
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url, proc, 60)
            yield Served(
                url=url,
                seeded=seeded,
                chain_url=node.url,
                database_url=database_url,
                pid=proc.pid,
            )
        finally:
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=30)
