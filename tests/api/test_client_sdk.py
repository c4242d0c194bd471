"""The Python SDK against a served gateway: the story, async calls, problems, safe retries."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from scfledger.api.schemas import (
    FinancingIn,
    FundIn,
    IssueIn,
    OperationOut,
    TransferIn,
)
from scfledger.client import ApiProblem, AsyncScfClient, RetryPolicy, ScfClient
from tests.api.server import Served, served_gateway

pytestmark = pytest.mark.integration

PROBLEM = "https://scfledger.dev/problems/"
DUE = 4_102_444_800  # 2100-01-01


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    directory = tmp_path_factory.mktemp("sdk")
    with served_gateway(directory, f"sqlite:///{directory / 'gateway.sqlite3'}") as served:
        yield served


def sdk(api: Served, participant: str, **kwargs: Any) -> ScfClient:
    return ScfClient(api.url, api_key=api.seeded.api_keys[participant], wait="indexed", **kwargs)


def event(op: OperationOut, name: str) -> dict[str, Any]:
    return next(e.args for e in op.events if e.name == name)


def issued(api: Served, document: str, amount: int = 1_000_000) -> tuple[int, int]:
    """Issues to supplier1 and has it accept: (slot, root token id)."""
    body = IssueIn(
        creditor=api.address("supplier1"),
        face_amount=amount,
        due_date=DUE,
        document_hash=document,
    )
    with sdk(api, "core") as core:
        op = core.issue(body)
    assert (op.status, op.kind, op.error) == ("indexed", "receivable.issue", None)
    slot, root = (int(event(op, "ReceivableIssued")[k]) for k in ("slot", "tokenId"))
    with sdk(api, "supplier1") as supplier1:
        assert supplier1.accept(slot).status == "indexed"
    return slot, root


def test_story_through_the_sync_sdk(api: Served) -> None:
    _slot, root = issued(api, "0x" + "a1" * 32)
    supplier1, supplier2 = sdk(api, "supplier1"), sdk(api, "supplier2")
    bank, auditor = sdk(api, "bank"), sdk(api, "auditor")
    assert supplier1.receivable(root).state == "active"

    split = supplier1.transfer(root, TransferIn(to=api.address("supplier2"), value=300_000))
    child = int(event(split, "PieceSplit")["childTokenId"])
    assert (supplier1.receivable(root).value, supplier2.receivable(child).value) == (
        700_000,
        300_000,
    )
    lineage = supplier2.lineage(child)
    assert ([n.token_id for n in lineage.ancestors], lineage.tree.children) == ([root], [])
    assert [p.token_id for p in supplier2.list_receivables().items] == [child]
    page = auditor.list_receivables(limit=1, slot=supplier1.receivable(root).slot)
    assert ([p.token_id for p in page.items], page.next_cursor) == ([root], str(root))

    ask = FinancingIn(token_id=child, financier=api.address("bank"), amount=290_000, rate_bps=300)
    requested = supplier2.request_financing(ask)
    request_id = int(event(requested, "FinancingRequested")["requestId"])
    assert supplier2.receivable(child).state == "financing"
    risk = bank.risk(request_id)
    assert (risk["decision"], [r["code"] for r in risk["reasons"]]) == (
        "refer",
        ["advance_rate_above_limit"],  # 96.66% of the piece against 80% allowed
    )
    assert bank.approve_financing(request_id).status == "indexed"
    assert bank.financing_request(request_id).status == "approved"
    funded = bank.fund_financing(request_id, FundIn(payment_ref="wire-sdk"))
    assert bank.operation(funded.id).status == "indexed"
    record = supplier2.financing_request(request_id)
    assert (record.status, record.amount, record.rate_bps, record.payment_ref) == (
        "funded",
        290_000,
        300,
        "0x" + hashlib.sha256(b"wire-sdk").hexdigest(),  # a text reference is stored hashed
    )
    financed = auditor.receivable(child)
    assert (financed.holder, financed.value, financed.state) == (
        api.address("bank"),
        300_000,
        "financed",
    )
    assert {m.name: m.roles for m in auditor.members()}["bank"] == ["financier"]
    assert auditor.health() == {"status": "ok"}
    assert bank.policy().no_history_max_advance_bps == 8_000
    for client in (supplier1, supplier2, bank, auditor):
        client.close()


def test_async_client_issues_and_reads(api: Served) -> None:
    async def story() -> tuple[str, int, str, list[str]]:
        async with (
            AsyncScfClient(api.url, api_key=api.seeded.api_keys["core"]) as core,
            AsyncScfClient(api.url, api_key=api.seeded.api_keys["supplier1"]) as supplier1,
        ):
            body = IssueIn(
                creditor=api.address("supplier1"),
                face_amount=42_000,
                due_date=DUE,
                document_hash="0x" + "a2" * 32,
            )
            op = await core.issue(body, wait="indexed")
            token = int(event(op, "ReceivableIssued")["tokenId"])
            piece = await supplier1.receivable(token)
            members = await supplier1.members()
            return op.status, piece.value, piece.state, sorted(m.name for m in members)

    status, value, state, names = asyncio.run(story())
    assert (status, value, state) == ("indexed", 42_000, "pending")
    members = ["admin1", "admin2", "admin3", "auditor", "bank", "core"]
    assert names == [*members, "supplier1", "supplier2", "supplier3"]


def test_duplicate_document_raises_its_problem(api: Served) -> None:
    document = "0x" + "a3" * 32
    issued(api, document)
    body = IssueIn(
        creditor=api.address("supplier1"), face_amount=5, due_date=DUE, document_hash=document
    )
    with sdk(api, "core") as core, pytest.raises(ApiProblem) as raised:
        core.issue(body)
    problem = raised.value
    assert (problem.type, problem.status, problem.slug) == (
        PROBLEM + "duplicate-document",
        409,
        "duplicate-document",
    )
    assert problem.title == "Refused by the contract: DuplicateDocument"
    assert problem.extensions["error"]["name"] == "DuplicateDocument"
    operation = problem.operation
    assert operation is not None
    assert (operation.status, operation.kind) == ("failed", "receivable.issue")


def test_forbidden_action_raises_its_problem_and_changes_nothing(api: Served) -> None:
    slot, root = issued(api, "0x" + "a4" * 32)
    with sdk(api, "auditor") as auditor, pytest.raises(ApiProblem) as raised:
        auditor.transfer(root, TransferIn(to=api.address("supplier3"), value=1))
    assert (raised.value.type, raised.value.status) == (PROBLEM + "forbidden", 403)
    with sdk(api, "supplier3") as supplier3, pytest.raises(ApiProblem) as hidden:
        supplier3.accept(slot)
    assert (hidden.value.type, hidden.value.status) == (PROBLEM + "not-found", 404)
    with sdk(api, "supplier1") as supplier1:
        assert supplier1.receivable(root).value == 1_000_000
        assert supplier1.lineage(root).tree.children == []


class LoseFirstAnswer(httpx.BaseTransport):
    """Forwards every request; the first POST's answer is dropped after the server handled
    it, as when a connection breaks on the way back."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.posts: list[httpx.Request] = []
        self.lost: list[httpx.Response] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST":
            self.posts.append(request)
            if len(self.posts) == 1:
                response.read()
                self.lost.append(response)
                raise httpx.ReadError("connection reset by peer", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def test_retry_after_a_lost_answer_reuses_the_key_and_acts_once(api: Served) -> None:
    _slot, root = issued(api, "0x" + "a5" * 32)
    transport = LoseFirstAnswer()
    with sdk(
        api, "supplier1", transport=transport, retry=RetryPolicy(attempts=3, backoff=0.01)
    ) as supplier1:
        op = supplier1.transfer(root, TransferIn(to=api.address("supplier3"), value=1_000))
        keys = [r.headers["Idempotency-Key"] for r in transport.posts]
        assert len(keys) == 2
        assert keys[0] == keys[1]
        assert transport.lost[0].status_code == 202
        assert op.id == transport.lost[0].json()["id"]
        assert supplier1.receivable(root).value == 999_000
        children = supplier1.lineage(root).tree.children
    assert [(c.holder, c.value) for c in children] == [(api.address("supplier3"), 1_000)]


def test_transient_503_is_retried_then_raised_as_a_problem() -> None:
    seen: list[str | None] = []

    def unavailable(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Idempotency-Key"))
        return httpx.Response(
            503,
            json={
                "type": PROBLEM + "chain-unavailable",
                "title": "Chain unavailable",
                "status": 503,
                "detail": "node down",
                "retry": True,
            },
            headers={"content-type": "application/problem+json"},
        )

    client = ScfClient(
        "http://gateway.invalid",
        transport=httpx.MockTransport(unavailable),
        retry=RetryPolicy(attempts=3, backoff=0.001),
    )
    with client, pytest.raises(ApiProblem) as raised:
        client.accept(7, idempotency_key="accept-7")
    assert seen == ["accept-7", "accept-7", "accept-7"]
    assert (raised.value.slug, raised.value.detail, raised.value.extensions) == (
        "chain-unavailable",
        "node down",
        {"retry": True},
    )
