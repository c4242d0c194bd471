"""The REST API over real HTTP: the story, visibility, idempotency and problem documents."""

from __future__ import annotations

from collections.abc import Iterator
from hashlib import sha256
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.server import METRICS_TOKEN, Served, served_gateway
from tests.fixtures.postgres import PostgresServer

pytestmark = pytest.mark.integration

PROBLEM = "https://scfledger.dev/problems/"
DUE = 2_840_140_800  # 2060-01-01: within the 50-year term (MAX_TERM_SECONDS)
DOC = "invoice d1"  # the text of core's invoice


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    directory = tmp_path_factory.mktemp("api")
    with served_gateway(directory, f"sqlite:///{directory / 'gateway.sqlite3'}") as served:
        yield served


def write(
    client: httpx.Client, path: str, key: str, body: Any = None, *, wait: bool = True
) -> httpx.Response:
    params = {"wait": "indexed"} if wait else {}
    return client.post(path, json=body, headers={"Idempotency-Key": key}, params=params)


def event(op: dict[str, Any], name: str) -> dict[str, Any]:
    return next(e["args"] for e in op["events"] if e["name"] == name)


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEM + slug
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


def issue(api: Served, key: str, document: str, amount: int = 1_000_000) -> httpx.Response:
    """Core uploads the text `document` and issues a receivable to supplier1 against it."""
    body = {
        "creditor": api.address("supplier1"),
        "face_amount": amount,
        "currency": "CNY",
        "due_date": DUE,
        "document_hash": api.document("core", document),
    }
    with api.client("core") as core:
        return write(core, "/v1/receivables", key, body)


def piece(api: Served, participant: str, token_id: int) -> dict[str, Any]:
    with api.client(participant) as client:
        response = client.get(f"/v1/receivables/{token_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_story_issue_accept_split_finance_over_http(api: Served) -> None:
    supplier1, supplier2 = api.client("supplier1"), api.client("supplier2")
    bank, auditor = api.client("bank"), api.client("auditor")

    issued = issue(api, "issue-1", DOC)
    assert issued.status_code == 202, issued.text
    op = issued.json()
    assert (op["status"], op["kind"], op["error"]) == ("indexed", "receivable.issue", None)
    slot, root = (
        int(event(op, "ReceivableIssued")["slot"]),
        int(event(op, "ReceivableIssued")["tokenId"]),
    )
    first = piece(api, "supplier1", root)
    assert (first["holder"], first["value"], first["state"], first["depth"]) == (
        api.address("supplier1"),
        1_000_000,
        "pending",
        0,
    )
    assert first["receivable"]["debtor"] == api.address("core")
    assert first["receivable"]["document_hash"] == "0x" + sha256(DOC.encode()).hexdigest()

    # Nobody else can accept; nothing changes.
    assert_problem(write(supplier2, f"/v1/receivables/{slot}/accept", "a"), 404, "not-found")
    with api.client("core") as core:
        assert_problem(write(core, f"/v1/receivables/{slot}/accept", "a"), 403, "forbidden")
    assert piece(api, "supplier1", root)["state"] == "pending"

    accepted = write(supplier1, f"/v1/receivables/{slot}/accept", "accept-1")
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["status"] == "indexed"
    assert piece(api, "supplier1", root)["state"] == "active"

    # The same idempotency key returns the same operation, and acts once.
    again = write(supplier1, f"/v1/receivables/{slot}/accept", "accept-1")
    assert again.status_code == 202, again.text
    assert again.json()["id"] == accepted.json()["id"]
    assert (supplier1.get(f"/v1/operations/{accepted.json()['id']}").json()["status"]) == "indexed"
    assert_problem(supplier2.get(f"/v1/operations/{accepted.json()['id']}"), 404, "not-found")

    # Split to tier 2: only the holder may.
    split_body = {"to": api.address("supplier2"), "value": 300_000}
    assert_problem(
        write(supplier2, f"/v1/receivables/{root}/transfers", "s", split_body), 404, "not-found"
    )
    assert_problem(
        write(auditor, f"/v1/receivables/{root}/transfers", "s", split_body), 403, "forbidden"
    )
    assert piece(api, "supplier1", root)["value"] == 1_000_000
    split = write(supplier1, f"/v1/receivables/{root}/transfers", "split-1", split_body)
    assert split.status_code == 202, split.text
    child = int(event(split.json(), "PieceSplit")["childTokenId"])
    assert piece(api, "supplier1", root)["value"] == 700_000
    tier2 = piece(api, "supplier2", child)
    assert (tier2["holder"], tier2["value"], tier2["parent_token_id"], tier2["depth"]) == (
        api.address("supplier2"),
        300_000,
        root,
        1,
    )
    lineage = supplier2.get(f"/v1/receivables/{child}/lineage").json()
    assert [n["token_id"] for n in lineage["ancestors"]] == [root]
    assert (lineage["tree"]["token_id"], lineage["tree"]["children"]) == (child, [])
    root_tree = auditor.get(f"/v1/receivables/{root}/lineage").json()["tree"]
    assert [(c["token_id"], c["value"]) for c in root_tree["children"]] == [(child, 300_000)]

    # Visibility: supplier2 sees only its piece; supplier1 only its own (what it paid
    # supplier2 with is supplier2's business); the auditor sees everything; supplier3 nothing.
    def listed(client: httpx.Client) -> list[int]:
        return [p["token_id"] for p in client.get("/v1/receivables").json()["items"]]

    assert listed(supplier2) == [child]
    assert listed(supplier1) == [root]
    assert listed(auditor) == [root, child]
    with api.client("supplier3") as supplier3:
        assert listed(supplier3) == []
        assert_problem(supplier3.get(f"/v1/receivables/{child}"), 404, "not-found")
    page = auditor.get("/v1/receivables", params={"limit": 1}).json()
    assert ([p["token_id"] for p in page["items"]], page["next_cursor"]) == ([root], str(root))
    rest = auditor.get("/v1/receivables", params={"limit": 1, "cursor": page["next_cursor"]})
    assert [p["token_id"] for p in rest.json()["items"]] == [child]

    # Financing: tier 2 asks the bank; only the bank decides.
    ask = {
        "token_id": child,
        "financier": api.address("bank"),
        "amount": 290_000,
        "rate_bps": 300,
        "mode": "factoring",
    }
    assert_problem(write(supplier1, "/v1/financing-requests", "f", ask), 404, "not-found")
    requested = write(supplier2, "/v1/financing-requests", "finance-1", ask)
    assert requested.status_code == 202, requested.text
    request_id = int(event(requested.json(), "FinancingRequested")["requestId"])
    assert piece(api, "supplier2", child)["state"] == "financing"
    assert_problem(
        write(supplier2, f"/v1/financing-requests/{request_id}/approve", "x", {}), 403, "forbidden"
    )
    approved = write(bank, f"/v1/financing-requests/{request_id}/approve", "approve-1", {})
    assert approved.status_code == 202, approved.text
    assert bank.get(f"/v1/financing-requests/{request_id}").json()["status"] == "approved"
    funded = write(
        bank, f"/v1/financing-requests/{request_id}/fund", "fund-1", {"payment_ref": "wire-1"}
    )
    assert funded.status_code == 202, funded.text
    record = supplier2.get(f"/v1/financing-requests/{request_id}").json()
    assert (record["status"], record["amount"], record["rate_bps"]) == ("funded", 290_000, 300)
    financed = piece(api, "auditor", child)
    assert (financed["holder"], financed["value"], financed["state"]) == (
        api.address("bank"),
        300_000,
        "financed",
    )
    assert piece(api, "auditor", root)["value"] == 700_000
    for client in (supplier1, supplier2, bank, auditor):
        client.close()


def test_duplicate_document_is_a_409_problem(api: Served) -> None:
    document = "invoice d2"
    assert issue(api, "dup-first", document).status_code == 202
    response = issue(api, "dup-second", document)
    body = assert_problem(response, 409, "duplicate-document")
    assert body["error"]["name"] == "DuplicateDocument"
    assert body["operation"]["status"] == "failed"


def test_bad_requests_are_problems(api: Served) -> None:
    with api.client("core") as core:
        malformed = core.post(
            "/v1/receivables",
            content=b"{not json",
            headers={"Idempotency-Key": "m", "Content-Type": "application/json"},
        )
        assert_problem(malformed, 400, "malformed-body")
        missing = write(core, "/v1/receivables", "m2", {"face_amount": 5})
        body = assert_problem(missing, 422, "validation-error")
        assert {tuple(e["loc"]) for e in body["errors"]} == {
            ("body", "creditor"),
            ("body", "due_date"),
            ("body", "document_hash"),
        }
        no_key = core.post("/v1/receivables", json={})
        assert_problem(no_key, 400, "missing-idempotency-key")
        assert_problem(core.get("/v1/receivables/999999"), 404, "not-found")
        assert_problem(core.get("/v1/nothing-here"), 404, "not-found")
    with api.client() as anonymous:
        assert_problem(anonymous.get("/v1/members"), 401, "unauthenticated")
        with_bad_key = anonymous.get("/v1/members", headers={"Authorization": "Bearer scf_x_y"})
        assert_problem(with_bad_key, 401, "unauthenticated")


def test_members_health_and_metrics(api: Served) -> None:
    with api.client("auditor") as auditor:
        members = {m["name"]: m for m in auditor.get("/v1/members").json()}
        assert members["bank"] == {
            "address": api.address("bank"),
            "name": "bank",
            "roles": ["financier"],
            "status": "active",
        }
        assert auditor.get("/healthz").json() == {"status": "ok"}
        ready = auditor.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["status"] == "ready"
        # Metrics are the operator's: a participant's API key is no metrics token.
        assert_problem(auditor.get("/metrics"), 401, "unauthenticated")
    with api.client() as scraper:
        assert_problem(scraper.get("/metrics"), 401, "unauthenticated")
        wrong = scraper.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}x"})
        assert_problem(wrong, 401, "unauthenticated")
        metrics = scraper.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert metrics.status_code == 200, metrics.text
        assert 'scf_http_requests_total{method="GET",route="/v1/members",status="200"}' in (
            metrics.text
        )
        assert all(key not in metrics.text for key in api.seeded.api_keys.values())


def test_gateway_on_postgres(tmp_path: Path, postgres: PostgresServer) -> None:
    with served_gateway(tmp_path, postgres.create_database()) as api:
        response = issue(api, "pg-1", "invoice e1", amount=5_000)
        assert response.status_code == 202, response.text
        token = int(event(response.json(), "ReceivableIssued")["tokenId"])
        assert piece(api, "supplier1", token)["value"] == 5_000
        assert (
            issue(api, "pg-1", "invoice e1", amount=5_000).json()["id"] == (response.json()["id"])
        )
