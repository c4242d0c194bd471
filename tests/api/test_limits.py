"""Quotas and closed doors over real HTTP: event streams per API key, document storage per
participant, `/metrics` without its token, and what the gateway keeps on disk (sealed
webhook secrets, private database files)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

from scfledger.config import Settings
from scfledger.db.session import create_db_engine
from tests.support.api import assert_problem
from tests.support.served import Served, served_gateway
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

STREAMS = 3  # SCF_SSE_STREAMS_PER_KEY here
QUOTA = 3000  # SCF_DOCUMENT_QUOTA_BYTES here


@dataclass
class Env:
    served: Served
    directory: Path
    documents: Path
    engine: Engine


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    directory = tmp_path_factory.mktemp("limits")
    url = f"sqlite:///{directory / 'gateway.sqlite3'}"
    documents = directory / "documents"
    with pytest.MonkeyPatch.context() as patch:
        # The gateway reads its Settings when it is built: these prove they arrive.
        patch.setenv("SCF_SSE_STREAMS_PER_KEY", str(STREAMS))
        patch.setenv("SCF_DOCUMENT_QUOTA_BYTES", str(QUOTA))
        patch.setenv("SCF_DOCUMENT_DIR", str(documents))
        with served_gateway(directory, url, metrics_token=None) as served:
            engine = create_db_engine(url)
            try:
                yield Env(served=served, directory=directory, documents=documents, engine=engine)
            finally:
                engine.dispose()


def test_defaults_of_the_limits() -> None:
    defaults = {name: field.default for name, field in Settings.model_fields.items()}
    assert defaults["sse_streams_per_key"] == 4
    assert defaults["document_quota_bytes"] == 1024**3
    assert defaults["metrics_token"] is None
    assert defaults["webhook_allow_loopback"] is False


def stream(stack: ExitStack, client: httpx.Client) -> httpx.Response:
    return stack.enter_context(client.stream("GET", "/v1/events/stream", params={"duration": 60}))


def test_an_api_key_holds_a_bounded_number_of_event_streams(env: Env) -> None:
    """Finding 8: 150 streams on one key were all accepted."""
    with (
        env.served.client("supplier1") as supplier1,
        env.served.client("supplier2") as supplier2,
    ):
        with ExitStack() as stack:
            held = [stream(stack, supplier1) for _ in range(STREAMS)]
            assert [r.status_code for r in held] == [200] * STREAMS
            with supplier1.stream("GET", "/v1/events/stream") as refused:
                refused.read()
                assert_problem(refused, 429, "too-many-streams")
            # The limit is per key: another participant's streams are its own.
            with supplier2.stream("GET", "/v1/events/stream", params={"duration": 1}) as other:
                assert other.status_code == 200

        # Closed streams give their slots back (once the server notices the client left).
        def slot_back() -> bool:
            with supplier1.stream("GET", "/v1/events/stream", params={"duration": 1}) as again:
                if again.status_code == 200:
                    return True
                again.read()
                assert_problem(again, 429, "too-many-streams")
                return False

        eventually(
            slot_back, what="the closed streams' slots to come back", timeout=15, interval=0.2
        )


def uploaded(env: Env, participant: str, data: bytes) -> httpx.Response:
    with env.served.client(participant) as client:
        return client.post("/v1/documents", files={"file": ("doc.txt", data, "text/plain")})


def stored(env: Env) -> tuple[list[Path], list[tuple[str, int]]]:
    files = sorted(p for p in env.documents.rglob("*") if p.is_file())
    with env.engine.connect() as connection:
        rows = connection.execute(text("SELECT uploader, size FROM documents ORDER BY id"))
        return files, [(r[0], r[1]) for r in rows]


def test_uploads_stop_at_the_participant_s_storage_quota(env: Env) -> None:
    """Finding 8: uploads had no limit but the size of one document."""
    first, second = b"a" * 1000, b"b" * 1500
    assert uploaded(env, "core", first).status_code == 201
    assert uploaded(env, "core", second).status_code == 201
    before = stored(env)
    refused = uploaded(env, "core", b"c" * 600)  # 2,500 used: 600 more would pass 3,000
    problem = assert_problem(refused, 413, "storage-quota-exceeded")
    assert problem["detail"] == (
        f"document storage quota of {QUOTA} bytes reached (2500 bytes used): "
        "this upload does not fit"
    )
    assert stored(env) == before  # neither a file nor a row
    assert not (env.documents / ".tmp").exists() or not any((env.documents / ".tmp").iterdir())
    # The same bytes again cost nothing; what fits still fits; others have their own quota.
    assert uploaded(env, "core", first).json()["sha256"] == hashlib.sha256(first).hexdigest()
    assert uploaded(env, "core", b"d" * 500).status_code == 201
    assert uploaded(env, "supplier1", b"c" * 600).status_code == 201


def test_metrics_are_closed_while_no_token_is_set(env: Env) -> None:
    """Finding 8: `/metrics` needed no authentication."""
    with env.served.client() as anonymous:
        assert_problem(anonymous.get("/metrics"), 401, "unauthenticated")
        guessed = anonymous.get("/metrics", headers={"Authorization": "Bearer anything-at-all"})
        assert_problem(guessed, 401, "unauthenticated")
    with env.served.client("auditor") as auditor:
        assert_problem(auditor.get("/metrics"), 401, "unauthenticated")


def database_files(env: Env) -> list[Path]:
    base = env.directory / "gateway.sqlite3"
    return [base, Path(f"{base}-wal"), Path(f"{base}-shm")]


def test_webhook_secrets_are_sealed_in_the_database(env: Env) -> None:
    """Finding 11: the database held webhook signing secrets in the clear."""
    with env.served.client("supplier1") as supplier1:
        created = supplier1.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/sealed"})
        assert created.status_code == 201, created.text
        secret = created.json()["secret"]
        files = [p for p in database_files(env) if p.exists()]
        assert files[0].name == "gateway.sqlite3"
        for path in files:
            assert secret.encode() not in path.read_bytes(), path
        with env.engine.connect() as connection:
            stored_secret = connection.execute(
                text("SELECT secret FROM webhooks WHERE id = :id"), {"id": created.json()["id"]}
            ).scalar_one()
        assert stored_secret.startswith("v1.")
        assert secret not in stored_secret
        assert supplier1.delete(f"/v1/webhooks/{created.json()['id']}").status_code == 204


def test_the_database_and_documents_are_private_to_the_gateway_s_user(env: Env) -> None:
    """Finding 11: gateway.sqlite3 was mode 0644."""
    assert uploaded(env, "supplier2", b"private bytes").status_code == 201
    modes = {p.name: p.stat().st_mode & 0o777 for p in database_files(env)}
    assert modes == {
        "gateway.sqlite3": 0o600,
        "gateway.sqlite3-wal": 0o600,
        "gateway.sqlite3-shm": 0o600,
    }
    assert env.documents.stat().st_mode & 0o777 == 0o700
