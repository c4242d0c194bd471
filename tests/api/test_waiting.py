"""Waiting for an operation holds no worker thread: health checks answer while hundreds of
requests wait, and the pipeline's thread wakes them when the operation is mined."""

from __future__ import annotations

import asyncio
from pathlib import Path

import anyio.to_thread
import httpx
import pytest

from scfledger.api.app import create_app
from scfledger.api.gateway import Gateway
from scfledger.api.routes.common import FALLBACK, wait_for
from scfledger.app.compose import Deployment, build_gateway
from scfledger.config import Settings
from scfledger.db.migrate import upgrade
from scfledger.db.session import create_db_engine, transaction
from scfledger.devchain.seed import Seeded, seed_demo
from scfledger.keys.store import KeyStore
from scfledger.outbox.operation import OperationView
from scfledger.outbox.store import reopen_above
from tests.support.anvil import anvil_node
from tests.support.api import cny

pytestmark = pytest.mark.integration

WAITERS = 200
# Fewer worker threads than anvil's default of 40, so that the old synchronous waits
# would take them all with a handful of requests.
POOL_THREADS = 8
DUE = 2_840_140_800  # 2060-01-01


async def waiting_story(gateway: Gateway, seeded: Seeded) -> None:
    anyio.to_thread.current_default_thread_limiter().total_tokens = POOL_THREADS
    transport = httpx.ASGITransport(app=create_app(gateway, run_workers=False))
    core = {"Authorization": f"Bearer {seeded.api_keys['core']}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        uploaded = await client.post(
            "/v1/documents", headers=core, files={"file": ("i.txt", b"invoice 1", "text/plain")}
        )
        assert uploaded.status_code == 201, uploaded.text
        body = {
            "creditor": seeded.addresses["supplier1"],
            "face_amount": cny(100_000),
            "due_date": DUE,
            "document_hash": "0x" + uploaded.json()["sha256"],
        }
        headers = {**core, "Idempotency-Key": "wait-1"}
        # The pipeline's loop is not running: the operation is broadcast and stays
        # `submitted` until the loop confirms it.
        first = await client.post("/v1/receivables", json=body, headers=headers)
        assert first.status_code == 202, first.text
        assert first.json()["status"] == "submitted"

        # The same request again, waiting for it to be mined: each retry finds the first
        # attempt's operation and waits.
        writes = [
            asyncio.create_task(
                client.post(
                    "/v1/receivables",
                    json=body,
                    headers=headers,
                    params={"wait": "mined", "timeout": 60},
                )
            )
            for _ in range(WAITERS)
        ]

        async def all_waiting() -> None:
            while gateway.progress.waiting < WAITERS:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(all_waiting(), 120)
        health = await asyncio.wait_for(client.get("/healthz"), 20)
        ready = await asyncio.wait_for(client.get("/readyz"), 20)
        assert health.status_code == 200
        assert ready.status_code == 200, ready.text
        assert ready.json()["status"] == "ready"
        assert not any(write.done() for write in writes)  # answered while all were waiting

        gateway.start()  # the pipeline confirms the operation; its thread wakes the waiters
        try:
            answers = await asyncio.wait_for(asyncio.gather(*writes), 60)
        finally:
            gateway.stop()
    assert {answer.status_code for answer in answers} == {202}
    assert {answer.json()["id"] for answer in answers} == {first.json()["id"]}
    assert {answer.json()["status"] for answer in answers} <= {"mined", "indexed"}

    # A reorg reopens the operation (submitted again, its block forgotten) while this
    # process still remembers finishing it: a wait reads it again every FALLBACK seconds at
    # most, never in a loop.
    operation_id = first.json()["id"]
    block = gateway.pipeline.get(operation_id).block_number
    assert block is not None
    with transaction(gateway.sessions) as session:
        assert reopen_above(session, block - 1) == 1
    reopened = gateway.pipeline.get(operation_id)
    assert reopened.status == "submitted"
    assert gateway.pipeline.finished_here(operation_id)
    reads = 0
    read = gateway.pipeline.get

    def counted(operation_id: str) -> OperationView:
        nonlocal reads
        reads += 1
        return read(operation_id)

    setattr(gateway.pipeline, "get", counted)  # noqa: B010 (counts the reads, reads for real)
    waited = await wait_for(gateway, reopened, "mined", 1.0)
    assert waited.status == "submitted"
    assert reads <= 1.0 / FALLBACK + 2


def test_health_checks_answer_while_hundreds_of_writes_wait(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    upgrade(database)
    engine = create_db_engine(database)
    keys = KeyStore(tmp_path / "keys", "test-passphrase-not-secret", scrypt_n=2**10)
    with anvil_node(tmp_path) as node:
        seeded = seed_demo(node.web3(), keys, engine, maker_checker=False)
        settings = Settings(
            chain_url=node.url, database_url=database, document_dir=tmp_path / "documents"
        )
        deployment = Deployment(seeded.contracts, seeded.deployment_block)
        gateway = build_gateway(settings, deployment, engine=engine, keys=keys)
        gateway.indexer.catch_up()
        try:
            asyncio.run(waiting_story(gateway, seeded))
        finally:
            engine.dispose()
