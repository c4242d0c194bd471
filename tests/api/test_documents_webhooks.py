"""Documents and webhooks over real HTTP: storage limits, who may download, signed
deliveries with retries, and secrets that never come back."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from scfledger.db.gateway_tables import Document
from scfledger.db.session import create_db_engine
from tests.support.anvil import free_port
from tests.support.api import assert_problem, cny
from tests.support.served import Served, served_gateway
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

DUE = 2_840_140_800  # 2060-01-01: within the 50-year term (MAX_TERM_SECONDS)
MAX_BYTES = 4096


@dataclass
class Env:
    served: Served
    documents: Path
    engine: Engine


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    directory = tmp_path_factory.mktemp("documents-webhooks")
    url = f"sqlite:///{directory / 'gateway.sqlite3'}"
    documents = directory / "documents"
    with pytest.MonkeyPatch.context() as patch:
        # The gateway reads its Settings when it is built.
        patch.setenv("SCF_DOCUMENT_DIR", str(documents))
        patch.setenv("SCF_DOCUMENT_MAX_BYTES", str(MAX_BYTES))
        patch.setenv("SCF_WEBHOOK_BACKOFF", "0.2")
        patch.setenv("SCF_WEBHOOK_POLL_INTERVAL", "0.05")
        patch.setenv("SCF_WEBHOOK_MAX_ATTEMPTS", "3")
        with served_gateway(directory, url) as served:
            engine = create_db_engine(url)
            try:
                yield Env(served=served, documents=documents, engine=engine)
            finally:
                engine.dispose()


# -- helpers ----------------------------------------------------------------------------


def upload(
    client: httpx.Client, data: bytes, content_type: str = "application/pdf"
) -> httpx.Response:
    return client.post("/v1/documents", files={"file": ("invoice", data, content_type)})


def issue(env: Env, key: str, document_hash: str) -> dict[str, Any]:
    """The core enterprise issues a receivable to supplier1, waiting until it is indexed."""
    body = {
        "creditor": env.served.address("supplier1"),
        "face_amount": cny(1_000_000),
        "currency": "CNY",
        "due_date": DUE,
        "document_hash": document_hash,
    }
    with env.served.client("core") as core:
        response = core.post(
            "/v1/receivables",
            json=body,
            headers={"Idempotency-Key": key},
            params={"wait": "indexed"},
        )
    assert response.status_code == 202, response.text
    op: dict[str, Any] = response.json()
    assert op["status"] == "indexed"
    return op


def stored_files(env: Env) -> list[Path]:
    if not env.documents.exists():
        return []
    return sorted(p for p in env.documents.rglob("*") if p.is_file())


def document_rows(env: Env, sha256: str) -> list[tuple[str, str, int]]:
    with env.engine.connect() as connection:
        rows = connection.execute(
            select(Document.uploader, Document.content_type, Document.size).where(
                Document.sha256 == sha256
            )
        )
        return [(r[0], r[1], r[2]) for r in rows]


@dataclass
class Receiver:
    """A local HTTP endpoint that records what it receives and answers with the scripted
    status codes (then 200)."""

    url: str
    statuses: list[int]
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def requests(self) -> list[tuple[dict[str, str], bytes]]:
        with self.lock:
            return list(self.received)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    port = free_port()
    state = Receiver(url=f"http://127.0.0.1:{port}/hook", statuses=[])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with state.lock:
                state.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    signed = headers["x-scf-timestamp"].encode() + b"." + body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-scf-signature"])


def subscribe(
    client: httpx.Client, url: str, event_names: list[str] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"url": url}
    if event_names is not None:
        body["event_names"] = event_names
    response = client.post("/v1/webhooks", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


# -- documents --------------------------------------------------------------------------


def test_upload_then_download_by_parties_and_auditor_only(env: Env) -> None:
    data = b"%PDF-1.7 invoice 4711 for supplier1\n"
    sha = hashlib.sha256(data).hexdigest()
    with env.served.client("core") as core:
        uploaded = upload(core, data)
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json() == {"sha256": sha, "size": len(data), "content_type": "application/pdf"}

    # Before any receivable refers to it, only the uploader (and auditors) may read it.
    with env.served.client("supplier1") as supplier1:
        assert_problem(supplier1.get(f"/v1/documents/{sha}"), 404, "not-found")
    issue(env, "doc-issue-1", "0x" + sha)

    for participant in ("core", "supplier1", "auditor"):
        with env.served.client(participant) as client:
            response = client.get(f"/v1/documents/{sha}")
        assert response.status_code == 200, (participant, response.text)
        assert response.content == data
        assert response.headers["content-type"] == "application/pdf"
    for stranger in ("supplier2", "bank"):
        with env.served.client(stranger) as client:
            assert_problem(client.get(f"/v1/documents/{sha}"), 404, "not-found")
            assert_problem(client.get(f"/v1/documents/0x{sha}"), 404, "not-found")


def test_download_of_unknown_or_unreferenced_document_is_not_found(env: Env) -> None:
    data = b'{"packing_list": 17}'
    with env.served.client("supplier2") as supplier2:
        assert upload(supplier2, data, "application/json").status_code == 201
    sha = hashlib.sha256(data).hexdigest()
    with env.served.client("supplier3") as supplier3:
        assert_problem(supplier3.get(f"/v1/documents/{sha}"), 404, "not-found")
        assert_problem(supplier3.get(f"/v1/documents/{'ab' * 32}"), 404, "not-found")
    with httpx.Client(base_url=env.served.url) as anonymous:
        assert_problem(anonymous.get(f"/v1/documents/{sha}"), 401, "unauthenticated")


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_upload_over_the_limit_is_refused_before_storage(env: Env, chunked: bool) -> None:
    data = bytes([7]) * (MAX_BYTES + 1)
    sha = hashlib.sha256(data).hexdigest()
    before = stored_files(env)
    with env.served.client("supplier1") as supplier1:
        if chunked:
            # No Content-Length: the limit is enforced while the body streams in.
            boundary = "scf-boundary"
            head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="big"\r\nContent-Type: text/plain\r\n\r\n'
            ).encode()
            tail = f"\r\n--{boundary}--\r\n".encode()

            def body() -> Iterator[bytes]:
                yield head
                for i in range(0, len(data), 1000):
                    yield data[i : i + 1000]
                yield tail

            response = supplier1.post(
                "/v1/documents",
                content=body(),
                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            )
        else:
            response = upload(supplier1, data, "text/plain")
    problem = assert_problem(response, 413, "document-too-large")
    assert problem["detail"] == f"documents may be at most {MAX_BYTES} bytes"
    assert stored_files(env) == before
    assert document_rows(env, sha) == []


def test_upload_of_a_type_off_the_allowlist_is_refused(env: Env) -> None:
    data = b"PK\x03\x04 not a document we take"
    before = stored_files(env)
    with env.served.client("supplier1") as supplier1:
        problem = assert_problem(
            upload(supplier1, data, "application/zip"), 415, "unsupported-media-type"
        )
        assert problem["detail"].startswith("content type 'application/zip' is not accepted")
        not_a_form = supplier1.post(
            "/v1/documents", content=data, headers={"Content-Type": "application/pdf"}
        )
        assert_problem(not_a_form, 415, "unsupported-media-type")
    assert stored_files(env) == before
    assert document_rows(env, hashlib.sha256(data).hexdigest()) == []


def test_same_bytes_uploaded_twice_are_one_document(env: Env) -> None:
    data = b"delivery note 9 of 12"
    sha = hashlib.sha256(data).hexdigest()
    with env.served.client("supplier3") as supplier3:
        first, second = upload(supplier3, data, "text/plain"), upload(supplier3, data, "text/plain")
    assert (first.status_code, second.status_code) == (201, 201)
    assert (
        first.json() == second.json() == {"sha256": sha, "size": 21, "content_type": "text/plain"}
    )
    assert [p for p in stored_files(env) if p.name == sha] == [
        env.documents / sha[:2] / sha[2:4] / sha
    ]
    assert document_rows(env, sha) == [("supplier3", "text/plain", 21)]


# -- webhooks ---------------------------------------------------------------------------


def test_webhook_delivers_a_party_s_event_signed_with_its_secret(
    env: Env, receiver: Receiver
) -> None:
    with env.served.client("supplier1") as supplier1, env.served.client("supplier2") as other:
        hook = subscribe(supplier1, receiver.url, ["ReceivableIssued"])
        other_hook = subscribe(other, receiver.url + "/other", ["ReceivableIssued"])
        op = issue(env, "hook-issue-1", env.served.document("core", "invoice e1"))

        headers, body = eventually(
            lambda: next(
                (
                    r
                    for r in receiver.requests()
                    if r[0]["x-scf-event"] == "ReceivableIssued"
                    and json.loads(r[1])["webhook_id"] == hook["id"]
                ),
                None,
            ),
            what="the delivery of ReceivableIssued",
        )
        assert verify(hook["secret"], headers, body)
        assert not verify(other_hook["secret"], headers, body)
        delivered = json.loads(body)
        assert delivered["event"]["name"] == "ReceivableIssued"
        assert delivered["event"]["tx_hash"] == op["tx_hash"]
        assert delivered["event"]["args"]["creditor"] == env.served.address("supplier1")
        # As the feed shows it: the currency's code and the amount as a decimal string.
        shown = delivered["event"]
        assert (shown["args"]["faceAmount"], shown["args"]["currency"]) == ("10000.00", "CNY")
        assert shown["currency"] == "CNY"
        assert headers["x-scf-delivery"] == delivered["delivery_id"]

        log = supplier1.get(f"/v1/webhooks/{hook['id']}/deliveries").json()
        assert [(d["event_name"], d["status"]) for d in log] == [("ReceivableIssued", "delivered")]
        assert [(a["attempt"], a["status_code"], a["error"]) for a in log[0]["attempts"]] == [
            (1, 200, None)
        ]
        # supplier2 is no party: its webhook was offered the same events and queued none.
        assert other.get(f"/v1/webhooks/{other_hook['id']}/deliveries").json() == []
        # Nobody reads another's webhook.
        assert_problem(other.get(f"/v1/webhooks/{hook['id']}/deliveries"), 404, "not-found")
        assert other.delete(f"/v1/webhooks/{hook['id']}").status_code == 404
        for client, created in ((supplier1, hook), (other, other_hook)):
            assert client.delete(f"/v1/webhooks/{created['id']}").status_code == 204


def test_webhook_answered_500_is_retried_and_logged(
    env: Env, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    receiver.statuses = [500]
    with env.served.client("supplier1") as supplier1:
        hook = subscribe(supplier1, receiver.url, ["ReceivableIssued"])
        issue(env, "hook-issue-2", env.served.document("core", "invoice e2"))

        def settled() -> list[dict[str, Any]] | None:
            log: list[dict[str, Any]] = supplier1.get(
                f"/v1/webhooks/{hook['id']}/deliveries"
            ).json()
            return log if log and log[0]["status"] == "delivered" else None

        log = eventually(settled, what="the retried delivery")
        assert len(log) == 1
        assert [(a["attempt"], a["status_code"], a["error"]) for a in log[0]["attempts"]] == [
            (1, 500, "HTTP 500"),
            (2, 200, None),
        ]
        assert log[0]["attempts"][0]["next_attempt_at"] is not None
        assert log[0]["attempts"][1]["next_attempt_at"] is None
        requests = receiver.requests()
        assert len(requests) == 2
        assert requests[0][1] == requests[1][1]  # the same body, signed again
        assert all(verify(hook["secret"], h, b) for h, b in requests)

        # The secret is shown once: never in a listing, the log, or the gateway's logs.
        listing = supplier1.get("/v1/webhooks")
        assert listing.status_code == 200
        assert [(w["id"], w["url"], w["event_names"]) for w in listing.json()] == [
            (hook["id"], receiver.url, ["ReceivableIssued"])
        ]
        deliveries = supplier1.get(f"/v1/webhooks/{hook['id']}/deliveries")
        for text in (listing.text, deliveries.text, caplog.text, requests[0][1].decode()):
            assert hook["secret"] not in text
        assert "secret" not in listing.json()[0]

        assert supplier1.delete(f"/v1/webhooks/{hook['id']}").status_code == 204
        assert supplier1.get("/v1/webhooks").json() == []
        assert_problem(supplier1.get(f"/v1/webhooks/{hook['id']}/deliveries"), 404, "not-found")


def test_webhook_with_a_bad_url_is_refused(env: Env) -> None:
    with env.served.client("supplier1") as supplier1:
        response = supplier1.post("/v1/webhooks", json={"url": "ftp://example.org/x"})
        assert_problem(response, 422, "validation-error")
        no_host = supplier1.post("/v1/webhooks", json={"url": "http:///path"})
        problem = assert_problem(no_host, 422, "invalid-input")
        assert problem["detail"] == "webhook url 'http:///path' is not an http(s) URL with a host"
        assert supplier1.get("/v1/webhooks").json() == []


def test_malformed_or_empty_upload_is_refused(env: Env) -> None:
    before = stored_files(env)
    form = {"Content-Type": "multipart/form-data; boundary=xyz"}
    with env.served.client("supplier1") as supplier1:
        garbage = supplier1.post("/v1/documents", content=b"--xyz\r\nno headers", headers=form)
        assert_problem(garbage, 422, "invalid-input")
        no_file = supplier1.post(
            "/v1/documents", files={"attachment": ("a.txt", b"hello", "text/plain")}
        )
        problem = assert_problem(no_file, 422, "invalid-input")
    assert problem["detail"] == "send the document as the multipart field 'file'"
    assert stored_files(env) == before


def test_webhook_failing_every_attempt_gives_up_after_the_last(
    env: Env, receiver: Receiver
) -> None:
    receiver.statuses = [503, 500, 502]  # SCF_WEBHOOK_MAX_ATTEMPTS=3
    with env.served.client("supplier1") as supplier1:
        hook = subscribe(supplier1, receiver.url, ["ReceivableIssued"])
        issue(env, "hook-issue-3", env.served.document("core", "invoice e3"))

        def finished() -> list[dict[str, Any]] | None:
            log: list[dict[str, Any]] = supplier1.get(
                f"/v1/webhooks/{hook['id']}/deliveries"
            ).json()
            return log if log and log[0]["status"] != "pending" else None

        log = eventually(finished, what="the last attempt")
        assert [(d["status"], d["next_attempt_at"]) for d in log] == [("failed", None)]
        assert [(a["attempt"], a["status_code"], a["error"]) for a in log[0]["attempts"]] == [
            (1, 503, "HTTP 503"),
            (2, 500, "HTTP 500"),
            (3, 502, "HTTP 502"),
        ]
        assert len(receiver.requests()) == 3
        assert supplier1.delete(f"/v1/webhooks/{hook['id']}").status_code == 204
