"""The Python SDK against a served gateway: the story, async calls, problems, safe retries."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import httpx
import pytest

from scfledger_client import ApiProblem, AsyncScfClient, RetryPolicy, ScfClient, Written
from scfledger_client.models import (
    DocumentOut,
    EvidenceOut,
    FinancingIn,
    FundIn,
    IssueIn,
    OperationOut,
    PolicyBody,
    TermsIn,
    TransferIn,
)
from tests.support.api import cny
from tests.support.served import Served, served_gateway

pytestmark = pytest.mark.integration

PROBLEM = "https://scfledger.dev/problems/"
DUE = 2_840_140_800  # 2060-01-01: within the 50-year term (MAX_TERM_SECONDS)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    directory = tmp_path_factory.mktemp("sdk")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SCF_WEBHOOK_ALLOW_LOOPBACK", "true")  # a loopback webhook URL
        with served_gateway(directory, f"sqlite:///{directory / 'gateway.sqlite3'}") as served:
            yield served


def sdk(api: Served, participant: str, **kwargs: Any) -> ScfClient:
    return ScfClient(api.url, api_key=api.seeded.api_keys[participant], wait="indexed", **kwargs)


def event(op: Written, name: str) -> dict[str, Any]:
    assert isinstance(op, OperationOut), op  # maker-checker is off here
    return next(e.args for e in op.events if e.name == name)


def doc(api: Served, label: str, participant: str = "core") -> str:
    """The SHA-256 of a document `participant` uploaded (what it may anchor)."""
    return api.document(participant, f"document {label}")


def issued(api: Served, document: str, amount: int = 1_000_000) -> tuple[int, int]:
    """Issues to supplier1 and has it accept: (slot, root token id)."""
    body = IssueIn(
        creditor=api.address("supplier1"),
        face_amount=cny(amount),
        due_date=DUE,
        document_hash=document,
    )
    with sdk(api, "core") as core:
        op = core.issue(body)
    assert isinstance(op, OperationOut)
    assert (op.status, op.kind, op.error) == ("indexed", "receivable.issue", None)
    slot, root = (int(event(op, "ReceivableIssued")[k]) for k in ("slot", "tokenId"))
    with sdk(api, "supplier1") as supplier1:
        assert supplier1.accept_receivable(slot).status == "indexed"
    return slot, root


def test_story_through_the_sync_sdk(api: Served) -> None:
    _slot, root = issued(api, doc(api, "a1"))
    supplier1, supplier2 = sdk(api, "supplier1"), sdk(api, "supplier2")
    bank, auditor = sdk(api, "bank"), sdk(api, "auditor")
    assert supplier1.piece(root).state == "active"

    split = supplier1.transfer(root, TransferIn(to=api.address("supplier2"), value=cny(300_000)))
    child = int(event(split, "PieceSplit")["childTokenId"])
    assert (supplier2.piece(child).state, supplier2.piece(child).sender) == (
        "pending",
        api.address("supplier1"),
    )
    assert supplier2.sign_piece(child).kind == "piece.accept"
    assert (supplier1.piece(root).value, supplier2.piece(child).value) == (
        "7000.00",
        "3000.00",
    )
    lineage = supplier2.lineage(child)
    assert ([n.token_id for n in lineage.ancestors], lineage.tree.children) == ([root], [])
    assert [p.token_id for p in supplier2.list_pieces().items] == [child]
    page = auditor.list_pieces(limit=1, slot=supplier1.piece(root).slot)
    assert ([p.token_id for p in page.items], page.next_cursor) == ([root], str(root))

    terms = TermsIn(advance=cny(290_000), repayment=cny(0), fees=cny(0), fund_by=DUE - 86_400)
    ask = FinancingIn(token_id=child, financiers=[api.address("bank")], terms=terms)
    requested = supplier2.request_financing(ask)
    request_id = int(event(requested, "FinancingRequested")["requestId"])
    assert supplier2.piece(child).state == "financing"
    risk = bank.risk(request_id)
    assert (risk.decision, [r.code for r in risk.reasons]) == (
        "refer",
        ["advance_rate_above_limit"],  # 96.66% of the piece against 80% allowed
    )
    offer = terms.model_copy(update={"fees": cny(2_000)})
    assert bank.offer_financing(request_id, offer).status == "indexed"
    assert bank.financing_request(request_id).status == "requested"
    assert supplier2.accept_offer(request_id, api.address("bank"), offer).status == "indexed"
    assert bank.financing_request(request_id).status == "accepted"
    funded = bank.fund_financing(request_id, FundIn(payment_ref="wire-sdk"))
    assert isinstance(funded, OperationOut)
    assert bank.operation(funded.id).status == "indexed"
    record = supplier2.financing_request(request_id)
    assert record.agreed is not None
    assert (record.status, record.agreed.advance, record.agreed.fees, record.payment_ref) == (
        "funded",
        cny(290_000),
        cny(2_000),
        "wire-sdk",  # in clear for the payee; on chain, hashed
    )
    assert record.payment_ref_hash == "0x" + hashlib.sha256(b"wire-sdk").hexdigest()
    financed = auditor.piece(child)
    assert (financed.holder, financed.value, financed.state) == (
        api.address("bank"),
        cny(300_000),
        "financed",
    )
    assert {m.name: m.roles for m in auditor.members()}["bank"] == ["financier"]
    assert auditor.health().status == "ok"
    assert bank.policy().no_history_max_advance_bps == 8_000
    for client in (supplier1, supplier2, bank, auditor):
        client.close()


def test_async_client_issues_and_reads(api: Served) -> None:
    async def story() -> tuple[str, str, str, list[str]]:
        async with (
            AsyncScfClient(api.url, api_key=api.seeded.api_keys["core"]) as core,
            AsyncScfClient(api.url, api_key=api.seeded.api_keys["supplier1"]) as supplier1,
        ):
            body = IssueIn(
                creditor=api.address("supplier1"),
                face_amount=cny(42_000),
                due_date=DUE,
                document_hash=doc(api, "a2"),
            )
            op = await core.issue(body, wait="indexed")
            token = int(event(op, "ReceivableIssued")["tokenId"])
            piece = await supplier1.piece(token)
            members = await supplier1.members()
            return op.status, piece.value, piece.state, sorted(m.name for m in members)

    status, value, state, names = asyncio.run(story())
    assert (status, value, state) == ("indexed", cny(42_000), "pending")
    members = ["admin1", "admin2", "admin3", "auditor", "bank", "core"]
    assert names == [*members, "supplier1", "supplier2", "supplier3"]


def test_duplicate_document_raises_its_problem(api: Served) -> None:
    document = doc(api, "a3")
    issued(api, document)
    body = IssueIn(
        creditor=api.address("supplier1"),
        face_amount=cny(10_000),
        due_date=DUE,
        document_hash=document,
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
    slot, root = issued(api, doc(api, "a4"))
    with sdk(api, "auditor") as auditor, pytest.raises(ApiProblem) as raised:
        auditor.transfer(root, TransferIn(to=api.address("supplier3"), value=cny(1)))
    # Another's piece: the contract finds no value allowance for the auditor.
    refusal = (PROBLEM + "erc3525-insufficient-allowance", 403)
    assert (raised.value.type, raised.value.status) == refusal
    with sdk(api, "supplier3") as supplier3, pytest.raises(ApiProblem) as hidden:
        supplier3.accept_receivable(slot)
    assert (hidden.value.type, hidden.value.status) == (PROBLEM + "not-found", 404)
    with sdk(api, "supplier1") as supplier1:
        assert supplier1.piece(root).value == "10000.00"
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
    _slot, root = issued(api, doc(api, "a5"))
    transport = LoseFirstAnswer()
    with sdk(
        api, "supplier1", transport=transport, retry=RetryPolicy(attempts=3, backoff=0.01)
    ) as supplier1:
        op = supplier1.transfer(root, TransferIn(to=api.address("supplier3"), value=cny(10_000)))
        keys = [r.headers["Idempotency-Key"] for r in transport.posts]
        assert len(keys) == 2
        assert keys[0] == keys[1]
        assert transport.lost[0].status_code == 202
        assert op.id == transport.lost[0].json()["id"]
        assert supplier1.piece(root).value == "9900.00"
        children = supplier1.lineage(root).tree.children
        moves = supplier1.transfers(root)
    # The child awaits supplier3's signature: its sender still sees it, and its transfers.
    assert [(c.holder, c.value, c.redacted) for c in children] == [
        (api.address("supplier3"), "100.00", False)
    ]
    assert [(m.receiver, m.value) for m in moves] == [(api.address("supplier3"), "100.00")]


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
        client.accept_receivable(7, idempotency_key="accept-7")
    assert seen == ["accept-7", "accept-7", "accept-7"]
    assert (raised.value.slug, raised.value.detail, raised.value.extensions) == (
        "chain-unavailable",
        "node down",
        {"retry": True},
    )


def sha256_ref(text: str) -> str:
    return "0x" + hashlib.sha256(text.encode()).hexdigest()


def test_refusals_evidence_financing_outcomes_and_settlement_through_the_sdk(api: Served) -> None:
    core, supplier1, supplier2 = sdk(api, "core"), sdk(api, "supplier1"), sdk(api, "supplier2")
    bank, auditor = sdk(api, "bank"), sdk(api, "auditor")

    def pending(document: str, due: int = DUE) -> tuple[int, int]:
        body = IssueIn(
            creditor=api.address("supplier1"),
            face_amount=cny(10_000),
            due_date=due,
            document_hash=document,
        )
        args = event(core.issue(body), "ReceivableIssued")
        return int(args["slot"]), int(args["tokenId"])

    # The creditor refuses one receivable, the debtor withdraws another.
    slot, token = pending(doc(api, "b1"))
    refused = supplier1.reject_receivable(slot, "wrong amount")
    assert (refused.kind, refused.status) == ("receivable.reject", "indexed")
    assert event(refused, "ReceivableRejected")["reason"] == sha256_ref("wrong amount")
    assert supplier1.piece(token).state == "rejected"
    slot, token = pending(doc(api, "b2"))
    cancelled = core.cancel_receivable(slot)
    assert (cancelled.kind, cancelled.status) == ("receivable.cancel", "indexed")
    assert core.piece(token).receivable.status == "cancelled"

    # Evidence on an accepted piece, listed in order.
    _slot, root = issued(api, doc(api, "b3"))
    photo = doc(api, "e1", "supplier1")
    anchored = supplier1.attach_evidence(root, photo)
    assert isinstance(anchored, OperationOut)
    assert (anchored.kind, anchored.status) == ("piece.evidence", "indexed")
    assert anchored.block_number is not None
    assert auditor.evidence(root) == [
        EvidenceOut(
            token_id=root,
            evidence_hash=photo,
            attached_by=api.address("supplier1"),
            block_number=anchored.block_number,
        )
    ]

    # Financing refused, withdrawn, then a pledge loan funded and repaid.
    split = supplier1.transfer(root, TransferIn(to=api.address("supplier2"), value=cny(400_000)))
    child = int(event(split, "PieceSplit")["childTokenId"])
    supplier2.sign_piece(child)

    fund_by = api.chain_time() + 2 * 86_400
    pledge_terms = TermsIn(
        advance=cny(100_000), repayment=cny(105_000), fees=cny(0), fund_by=fund_by
    )

    def ask(mode: str = "factoring") -> int:
        body = FinancingIn(
            token_id=child,
            financiers=[api.address("bank")],
            terms=pledge_terms,
            mode="pledge" if mode == "pledge" else "factoring",
        )
        return int(event(supplier2.request_financing(body), "FinancingRequested")["requestId"])

    first = ask()
    assert bank.reject_financing(first, "limit reached").kind == "financing.reject"
    second = ask()
    assert supplier2.withdraw_financing(second).kind == "financing.withdraw"
    third = ask("pledge")
    bank.offer_financing(third, pledge_terms)  # the asked terms from the only financier
    bank.fund_financing(third, FundIn(payment_ref="advance"))
    repaid = bank.repay_financing(third, "repayment")
    assert (repaid.kind, event(repaid, "LoanRepaid")["paymentRef"]) == (
        "financing.repay",
        sha256_ref("repayment"),
    )
    statuses = [supplier2.financing_request(r).status for r in (first, second, third)]
    assert statuses == ["rejected", "withdrawn", "repaid"]
    assert supplier2.piece(child).state == "active"

    # The debtor settles from the due date; holders and the debtor see the settlement.
    due = api.chain_time() + 3_600
    slot, token = pending(doc(api, "b4"), due=due)
    supplier1.accept_receivable(slot)
    api.rpc("evm_setNextBlockTimestamp", due + 1)
    api.rpc("evm_mine")
    settled = core.settle(slot, [token], "wire 9")
    assert (settled.kind, settled.status) == ("receivable.settle", "indexed")
    assert supplier1.settlements(slot=slot).items[0].status == "awaiting_confirmation"
    with pytest.raises(ApiProblem) as raised:
        core.confirm_payment(token)  # only the payee confirms
    assert (raised.value.status, raised.value.slug) == (403, "not-payee")
    assert supplier1.confirm_payment(token).kind == "settlement.confirm"
    page = supplier1.settlements(slot=slot)
    assert page.next_cursor is None
    assert [(s.token_id, s.holder, s.amount, s.status, s.payment_ref) for s in page.items] == [
        (token, api.address("supplier1"), "100.00", "settled", "wire 9")
    ]
    assert core.settlements(slot=slot) == page
    audited = auditor.settlements(slot=slot, limit=5)  # the auditor reads the hash only
    assert [s.payment_ref for s in audited.items] == [sha256_ref("wire 9")]
    assert [s.model_copy(update={"payment_ref": "wire 9"}) for s in audited.items] == page.items
    assert bank.settlements(slot=slot).items == []
    with pytest.raises(ApiProblem) as raised:
        core.settle(slot, [token], "twice")
    assert (raised.value.status, raised.value.slug) == (409, "invalid-piece-state")
    for client in (core, supplier1, supplier2, bank, auditor):
        client.close()


def test_events_documents_and_webhooks_through_the_sdk(api: Served) -> None:
    issued(api, doc(api, "c1"))
    with sdk(api, "auditor") as auditor, sdk(api, "supplier3") as supplier3:
        everything = []
        cursor = "0"
        while True:
            page = auditor.events(after=cursor, limit=50)
            everything += page.items
            if page.next_cursor == cursor:
                break
            cursor = page.next_cursor
        assert [e.id for e in everything] == sorted({e.id for e in everything})
        assert "ReceivableAccepted" in {e.name for e in everything}
        streamed = []
        for item in auditor.stream_events(duration=10):
            streamed.append(item)
            if len(streamed) == 3:
                break
        assert streamed == everything[:3]
        with closing(auditor.stream_events(after=str(everything[2].id), duration=10)) as stream:
            assert next(stream) == everything[3]
        own = supplier3.events(limit=500).items
        assert own[0].name == "MemberAdmitted"
        assert {e.id for e in own} < {e.id for e in everything}

        data = b"%PDF-1.7 sdk invoice"
        digest = hashlib.sha256(data).hexdigest()
        stored = auditor.upload_document(data)
        assert stored == DocumentOut(sha256=digest, size=len(data), content_type="application/pdf")
        assert auditor.upload_document(data) == stored  # the same bytes, the same document
        assert auditor.document(digest) == data
        assert auditor.document("0x" + digest) == data
        with pytest.raises(ApiProblem) as hidden:
            supplier3.document(digest)
        assert (hidden.value.status, hidden.value.slug) == (404, "not-found")
        json_doc = supplier3.upload_document(b'{"a": 1}', "application/json", "packing.json")
        assert supplier3.document(json_doc.sha256) == b'{"a": 1}'

        created = supplier3.create_webhook("http://127.0.0.1:9/never", ["NoSuchEvent"])
        assert (created.url, created.event_names, len(created.secret) > 20) == (
            "http://127.0.0.1:9/never",
            ["NoSuchEvent"],
            True,
        )
        listed = supplier3.webhooks()
        assert [(w.id, w.url, w.event_names) for w in listed] == [
            (created.id, created.url, created.event_names)
        ]
        assert "secret" not in listed[0].model_dump()
        assert supplier3.webhook_deliveries(created.id) == []
        assert auditor.webhooks() == []
        with pytest.raises(ApiProblem) as foreign:
            auditor.webhook_deliveries(created.id)
        assert foreign.value.status == 404
        assert supplier3.delete_webhook(created.id) is None
        assert supplier3.webhooks() == []


def test_async_client_reads_events_streams_and_documents(api: Served) -> None:
    async def run() -> tuple[list[int], list[int], bytes, int]:
        key = api.seeded.api_keys["auditor"]
        async with AsyncScfClient(api.url, api_key=key) as auditor:
            page = await auditor.events(limit=2)
            streamed = []
            async for item in auditor.stream_events(duration=10):
                streamed.append(item.id)
                if len(streamed) == 2:
                    break
            stored = await auditor.upload_document(b"async bytes", "text/plain")
            data = await auditor.document(stored.sha256)
            hooks = await auditor.webhooks()
            return [e.id for e in page.items], streamed, data, len(hooks)

    paged, streamed, data, hooks = asyncio.run(run())
    assert (len(paged), streamed, data, hooks) == (2, paged, b"async bytes", 0)


def test_receivables_are_read_by_slot_and_pieces_by_token_id(api: Served) -> None:
    """`/v1/receivables/{slot}` and `/v1/pieces/{token_id}` name what they take: after a
    split the child's token id is no slot, and a receivable route given it answers 404
    rather than reading or acting on another receivable."""
    slot, root = issued(api, doc(api, "n1"))
    supplier1, auditor = sdk(api, "supplier1"), sdk(api, "auditor")
    split = supplier1.transfer(root, TransferIn(to=api.address("supplier2"), value=cny(10_000)))
    child = int(event(split, "PieceSplit")["childTokenId"])
    receivable = supplier1.receivable(slot)
    assert (receivable.slot, receivable.root_token_id, receivable.face_amount) == (
        slot,
        root,
        "10000.00",
    )
    assert (supplier1.piece(child).slot, supplier1.piece(root).slot) == (slot, slot)
    assert [p.token_id for p in auditor.list_pieces(slot=slot).items] == [root, child]
    latest_slot = max(p.slot for p in auditor.list_pieces(limit=500).items)
    assert child > latest_slot  # every slot minted a root before this split: no such slot
    for wrong_kind in (
        lambda: supplier1.receivable(child),
        lambda: supplier1.accept_receivable(child),
    ):
        with pytest.raises(ApiProblem) as wrong:
            wrong_kind()
        assert (wrong.value.status, wrong.value.type) == (404, PROBLEM + "not-found")
    # Nobody but its parties and those who see one of its pieces reads a receivable.
    with pytest.raises(ApiProblem) as hidden:
        sdk(api, "bank").receivable(slot)
    assert (hidden.value.status, hidden.value.type) == (404, PROBLEM + "not-found")


def test_policy_round_trips_with_limits_turned_off(api: Served) -> None:
    """A policy is replaced with the fields set (a None limit is off, so it is sent) and
    read back typed; fields not set keep the server's defaults."""
    bank = sdk(api, "bank")
    policy = PolicyBody(
        max_depth=None,
        min_days_to_maturity=30,
        auto_decide=True,
        max_exposure_per_debtor="2500000",
    )
    try:
        assert bank.set_policy(policy).max_depth is None
        stored = bank.policy()
        assert (stored.max_depth, stored.min_days_to_maturity, stored.auto_decide) == (
            None,
            30,
            True,
        )
        assert stored.max_exposure_per_debtor == "2500000.00"  # the currency's digits
    finally:
        default = bank.set_policy(PolicyBody())  # as the other tests of the module expect it
    assert stored.advance_bands == default.advance_bands is not None
    assert (bank.policy().max_depth, default.min_days_to_maturity) == (4, 15)


def test_governance_calls_and_unsafe_posts_sent_once() -> None:
    """The governance endpoints' requests (their routes are tested with the routes), and
    that a POST without an idempotency key is not retried after a lost answer."""
    seen: list[tuple[str, str, str | None, Any]] = []
    answers = iter(
        [
            httpx.Response(201, json={"name": "acme", "address": "0x" + "11" * 20, "api_key": "k"}),
            *[httpx.Response(202, json=OPERATION) for _ in range(6)],
            httpx.Response(200, json=[PROPOSAL]),
            httpx.Response(200, json=PROPOSAL),
            httpx.Response(503, json={}),
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        seen.append(
            (
                request.method,
                str(request.url).removeprefix("http://gw"),
                request.headers.get("Idempotency-Key"),
                body,
            )
        )
        return next(answers)

    address = "0x" + "22" * 20
    retry = RetryPolicy(attempts=3, backoff=0.001)
    with ScfClient("http://gw", transport=httpx.MockTransport(handler), retry=retry) as admin:
        assert admin.create_participant("acme").api_key == "k"
        op = admin.admit_member(
            address, "Acme", "legal", "kyc", ["supplier"], idempotency_key="k1", wait="mined"
        )
        assert op.status == "submitted"
        admin.suspend_member(address, "review", idempotency_key="k2")
        admin.reinstate_member(address, idempotency_key="k3", timeout=5)
        admin.approve_proposal(7, idempotency_key="k4")
        admin.revoke_approval(7, idempotency_key="k5")
        admin.cancel_proposal(7, idempotency_key="k6")
        assert [p.id for p in admin.proposals(status="pending")] == [7]
        assert admin.proposal(7).action == "admitMember"
        with pytest.raises(ApiProblem) as raised:
            admin.create_webhook("http://example.com/hook")
    assert raised.value.status == 503
    assert seen == [
        ("POST", "/v1/participants", None, {"name": "acme"}),
        (
            "POST",
            "/v1/members?wait=mined",
            "k1",
            {
                "address": address,
                "name": "Acme",
                "legal_id": "legal",
                "kyc": "kyc",
                "roles": ["supplier"],
            },
        ),
        ("POST", f"/v1/members/{address}/suspend?wait=none", "k2", {"reason": "review"}),
        ("POST", f"/v1/members/{address}/reinstate?wait=none&timeout=5", "k3", None),
        ("POST", "/v1/proposals/7/approve?wait=none", "k4", None),
        ("POST", "/v1/proposals/7/revoke?wait=none", "k5", None),
        ("POST", "/v1/proposals/7/cancel?wait=none", "k6", None),
        ("GET", "/v1/proposals?status=pending", None, None),
        ("GET", "/v1/proposals/7", None, None),
        ("POST", "/v1/webhooks", None, {"url": "http://example.com/hook"}),  # once, no retry
    ]


OPERATION: dict[str, Any] = {
    "id": "op-1",
    "kind": "member.admit",
    "status": "submitted",
    "tx_hash": None,
    "block_number": None,
    "error": None,
    "events": [],
}
PROPOSAL: dict[str, Any] = {
    "id": 7,
    "proposer": "0x" + "33" * 20,
    "target": "0x" + "44" * 20,
    "action": "admitMember",
    "args": {},
    "status": "pending",
    "approvals": ["0x" + "33" * 20],
    "deadline": 1,
    "deadline_iso": "1970-01-01T00:00:01+00:00",
    "created_block": 1,
    "updated_block": 1,
}
