"""Maker-checker over a served gateway on a real chain: a maker's write is a draft that is
not on chain until different checkers of its participant approve it."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from scfledger.db.models import Operation
from scfledger.db.session import create_db_engine, session_factory, transaction
from scfledger.people.apikeys import create_api_key
from scfledger.people.policy import DEFAULT_KINDS, Policy, set_policy
from scfledger.people.users import create_user
from scfledger_client import ScfClient, is_draft
from scfledger_client.models import IssueIn
from tests.support.anvil import free_port
from tests.support.api import assert_problem, cny
from tests.support.served import Served, served_gateway
from tests.support.waiting import eventually

DAY = 86_400
TWO_CHECKERS_ABOVE = 5_000_000
# People of each participant: username -> (roles, key scopes).
PEOPLE: dict[str, tuple[list[str], list[str]]] = {
    "amy": (["maker"], ["read", "write"]),
    "carl": (["checker"], ["read", "approve"]),
    "cora": (["checker"], ["read", "approve"]),
    "max": (["maker", "checker"], ["read", "write", "approve"]),
    "vic": (["viewer"], ["read", "approve"]),  # a key that may approve: the role refuses
    "carl-readonly": (["checker"], ["read"]),
}


@dataclass
class Checked:
    served: Served
    keys: dict[tuple[str, str], str]  # (participant, username) -> API key

    def client(self, participant: str, username: str) -> httpx.Client:
        key = self.keys[(participant, username)]
        return httpx.Client(
            base_url=self.served.url, headers={"Authorization": f"Bearer {key}"}, timeout=70
        )

    def issue_body(self, amount: int) -> dict[str, Any]:
        return {
            "creditor": self.served.address("supplier1"),
            "face_amount": cny(amount),
            "currency": "CNY",
            "due_date": self.served.chain_time() + 90 * DAY,
            "document_hash": self.served.document("core", f"invoice {uuid.uuid4()}"),
        }

    def draft_issue(self, amount: int, maker: str = "amy") -> dict[str, Any]:
        """`maker` of core asks to issue a receivable of `amount`: the draft."""
        with self.client("core", maker) as client:
            response = client.post(
                "/v1/receivables",
                json=self.issue_body(amount),
                headers={"Idempotency-Key": f"mc-{uuid.uuid4()}"},
            )
        assert response.status_code == 202, response.text
        body: dict[str, Any] = response.json()
        assert body["object"] == "draft"
        assert response.headers["location"] == f"/v1/drafts/{body['id']}"
        return body

    def approve(self, participant: str, username: str, draft_id: int) -> httpx.Response:
        with self.client(participant, username) as client:
            return client.post(f"/v1/drafts/{draft_id}/approve")

    def operations(self) -> int:
        engine = create_db_engine(self.served.database_url)
        try:
            with session_factory(engine)() as session:
                return session.scalar(select(func.count()).select_from(Operation)) or 0
        finally:
            engine.dispose()

    def chain_state(self) -> tuple[int, int]:
        """The head block and core's nonce."""
        block = int(self.served.rpc("eth_blockNumber"), 16)
        nonce = int(
            self.served.rpc("eth_getTransactionCount", self.served.address("core"), "latest"), 16
        )
        return block, nonce

    def indexed(self, participant: str, operation_id: str) -> dict[str, Any]:
        with self.served.client(participant) as client:

            def done() -> dict[str, Any] | None:
                """Mined, with its events indexed (the operation reads `indexed` once a
                request waits for it: the indexer may pass its block first, and its events
                show before the confirmer has read the receipt and marked it mined)."""
                body: dict[str, Any] = client.get(f"/v1/operations/{operation_id}").json()
                if body["status"] == "failed":
                    return body
                mined = body["status"] in ("mined", "indexed")
                return body if mined and body["events"] else None

            return eventually(done, what=f"operation {operation_id} indexed", timeout=60)


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checked]:
    """The demo consortium with maker-checker on (the default policy everywhere), core
    checking with two checkers above TWO_CHECKERS_ABOVE, and the PEOPLE at core and at
    supplier1."""
    directory = tmp_path_factory.mktemp("maker-checker")
    database = f"sqlite:///{directory / 'gateway.sqlite3'}"
    with served_gateway(directory, database, maker_checker=True) as served:
        assert served.gateway is not None
        engine = create_db_engine(database)
        keys = {}
        with transaction(session_factory(engine)) as session:
            set_policy(session, "core", Policy(DEFAULT_KINDS, TWO_CHECKERS_ABOVE), by="tests")
            for participant in ("core", "supplier1"):
                for username, (roles, scopes) in PEOPLE.items():
                    user, _ = create_user(
                        session,
                        participant=participant,
                        username=username,
                        roles=roles,
                        sealer=served.gateway.sealer,
                    )
                    keys[(participant, username)] = create_api_key(
                        session=session,
                        participant=participant,
                        address=served.address(participant),
                        user_id=user.id,
                        scopes=scopes,
                    )
        engine.dispose()
        yield Checked(served, keys)


def test_a_makers_issue_is_a_draft_with_no_transaction_until_a_checker_approves_it(
    checked: Checked,
) -> None:
    before_chain, before_operations = checked.chain_state(), checked.operations()

    draft = checked.draft_issue(1_000_000)

    assert (draft["status"], draft["kind"], draft["maker"]) == (
        "pending",
        "receivable.issue",
        "amy",
    )
    assert (draft["amount"], draft["approvals_required"], draft["operation_id"]) == (
        "10000.00",
        1,
        None,
    )
    # The checker reads what the maker sent: the amount in yuan, not 1,000,000 fen.
    assert (draft["arguments"]["face_amount"], draft["arguments"]["currency"]) == (
        "10000.00",
        "CNY",
    )
    assert checked.chain_state() == before_chain  # no block, no nonce spent
    assert checked.operations() == before_operations  # nothing queued either

    approved = checked.approve("core", "carl", draft["id"])

    assert approved.status_code == 200, approved.text
    decided = approved.json()
    assert decided["draft"]["status"] == "submitted"
    operation_id = decided["draft"]["operation_id"]
    assert operation_id == decided["operation"]["id"]
    assert [(d["username"], d["decision"]) for d in decided["draft"]["decisions"]] == [
        ("carl", "approve")
    ]
    operation = checked.indexed("core", operation_id)
    assert operation["status"] in ("mined", "indexed")
    assert operation["kind"] == "receivable.issue"
    issued = next(e["args"] for e in operation["events"] if e["name"] == "ReceivableIssued")
    assert (issued["faceAmount"], issued["currency"]) == ("10000.00", "CNY")
    with checked.client("core", "vic") as viewer:
        seen = viewer.get(f"/v1/drafts/{draft['id']}").json()
    assert (seen["maker"], seen["operation_id"]) == ("amy", operation_id)


def test_a_maker_never_approves_its_own_draft_even_as_a_checker(checked: Checked) -> None:
    draft = checked.draft_issue(1_000_000, maker="max")

    assert_problem(checked.approve("core", "max", draft["id"]), 403, "own-draft")

    with checked.client("core", "max") as client:
        assert_problem(
            client.post(f"/v1/drafts/{draft['id']}/reject", json={"reason": "mine"}),
            403,
            "own-draft",
        )
        assert client.get(f"/v1/drafts/{draft['id']}").json()["status"] == "pending"


def test_above_the_two_checker_amount_two_different_checkers_approve(checked: Checked) -> None:
    before = checked.chain_state()
    draft = checked.draft_issue(TWO_CHECKERS_ABOVE + 1)
    assert draft["approvals_required"] == 2

    first = checked.approve("core", "carl", draft["id"])
    assert first.status_code == 200, first.text
    assert (first.json()["draft"]["status"], first.json()["operation"]) == ("pending", None)
    assert_problem(checked.approve("core", "carl", draft["id"]), 409, "already-decided")
    assert checked.chain_state() == before

    second = checked.approve("core", "cora", draft["id"])

    assert second.status_code == 200, second.text
    decided = second.json()["draft"]
    assert decided["status"] == "submitted"
    assert [d["username"] for d in decided["decisions"]] == ["carl", "cora"]
    assert checked.indexed("core", decided["operation_id"])["status"] in ("mined", "indexed")
    assert_problem(checked.approve("core", "max", draft["id"]), 409, "already-decided")


def test_at_the_two_checker_amount_one_checker_is_enough(checked: Checked) -> None:
    assert checked.draft_issue(TWO_CHECKERS_ABOVE)["approvals_required"] == 1


def test_a_checker_rejects_a_draft_with_its_reason_and_it_is_decided(checked: Checked) -> None:
    before = checked.chain_state()
    draft = checked.draft_issue(2_000_000)

    with checked.client("core", "cora") as client:
        response = client.post(
            f"/v1/drafts/{draft['id']}/reject", json={"reason": "amount does not match the PO"}
        )

    assert response.status_code == 200, response.text
    rejected = response.json()
    assert (rejected["status"], rejected["reason"]) == ("rejected", "amount does not match the PO")
    assert rejected["decided_at"] is not None
    assert_problem(checked.approve("core", "carl", draft["id"]), 409, "already-decided")
    assert checked.chain_state() == before


def test_a_draft_expires_after_the_policys_wait(checked: Checked) -> None:
    gateway = checked.served.gateway
    assert gateway is not None
    draft = checked.draft_issue(1_000_000)
    real = gateway.wall_clock
    later = real() + timedelta(hours=72, seconds=1)
    gateway.wall_clock = lambda: later
    try:
        assert_problem(checked.approve("core", "carl", draft["id"]), 409, "draft-expired")
        with checked.client("core", "vic") as client:
            expired = client.get(f"/v1/drafts/{draft['id']}").json()
            listed = client.get("/v1/drafts", params={"status": "expired"}).json()
    finally:
        gateway.wall_clock = real
    assert expired["status"] == "expired"
    assert draft["id"] in [d["id"] for d in listed["items"]]
    assert_problem(checked.approve("core", "cora", draft["id"]), 409, "draft-expired")


def test_the_same_key_and_request_find_the_same_draft_and_another_request_conflicts(
    checked: Checked,
) -> None:
    body = checked.issue_body(1_000_000)
    key = f"again-{uuid.uuid4()}"
    with checked.client("core", "amy") as client:
        first = client.post("/v1/receivables", json=body, headers={"Idempotency-Key": key})
        again = client.post("/v1/receivables", json=body, headers={"Idempotency-Key": key})
        other = client.post(
            "/v1/receivables",
            json={**body, "face_amount": cny(7)},
            headers={"Idempotency-Key": key},
        )
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json()["id"] == first.json()["id"]
    assert_problem(other, 409, "idempotency-conflict")

    approved = checked.approve("core", "carl", first.json()["id"]).json()["draft"]
    with checked.client("core", "amy") as client:
        after = client.post("/v1/receivables", json=body, headers={"Idempotency-Key": key})
    assert after.status_code == 202
    assert (after.json()["id"], after.json()["operation_id"]) == (
        approved["id"],
        approved["operation_id"],
    )


def test_a_viewer_and_a_key_without_the_approve_scope_cannot_approve(checked: Checked) -> None:
    draft = checked.draft_issue(1_000_000)

    assert_problem(checked.approve("core", "vic", draft["id"]), 403, "role-required")
    assert_problem(checked.approve("core", "carl-readonly", draft["id"]), 403, "scope-required")
    assert_problem(checked.approve("core", "amy", draft["id"]), 403, "scope-required")
    with checked.client("core", "vic") as client:
        assert client.get(f"/v1/drafts/{draft['id']}").json()["status"] == "pending"


def test_a_draft_of_one_participant_is_not_found_by_another(checked: Checked) -> None:
    draft = checked.draft_issue(1_000_000)

    assert_problem(checked.approve("supplier1", "carl", draft["id"]), 404, "not-found")
    with checked.client("supplier1", "carl") as client:
        assert_problem(client.get(f"/v1/drafts/{draft['id']}"), 404, "not-found")
        listed = client.get("/v1/drafts").json()
    assert draft["id"] not in [d["id"] for d in listed["items"]]


def test_a_participant_without_a_policy_has_the_default_one(checked: Checked) -> None:
    with checked.client("supplier1", "vic") as client:
        policy = client.get("/v1/policy").json()
    assert policy["default"] is True
    assert set(policy["kinds"]) == DEFAULT_KINDS
    assert {"receivable.issue", "financing.fund", "proposal.approve", "user.admin"} <= DEFAULT_KINDS


def test_no_single_admin_loosens_a_policy_that_checks_policy_changes(checked: Checked) -> None:
    """supplier1's service account is its admin: dropping a checked kind waits for a
    checker; asking more applies at once."""
    looser = {"kinds": ["policy.update"], "two_checker_amount": None, "draft_ttl_hours": 72}
    with checked.served.client("supplier1") as admin:
        held = admin.put("/v1/policy", json=looser)
        assert held.status_code == 202, held.text
        assert (held.json()["object"], held.json()["kind"]) == ("draft", "policy.update")
        assert admin.get("/v1/policy").json()["default"] is True

        assert checked.approve("supplier1", "carl", held.json()["id"]).status_code == 200

        assert admin.get("/v1/policy").json()["kinds"] == ["policy.update"]
        stricter = {**looser, "kinds": ["policy.update", "piece.transfer"]}
        applied = admin.put("/v1/policy", json=stricter)
    assert applied.status_code == 200, applied.text
    assert applied.json()["kinds"] == ["piece.transfer", "policy.update"]
    with checked.client("supplier1", "amy") as maker:
        assert_problem(maker.put("/v1/policy", json=looser), 403, "role-required")


def test_draft_events_are_announced_on_the_participants_stream(checked: Checked) -> None:
    draft = checked.draft_issue(1_000_000)
    checked.approve("core", "carl", draft["id"])
    with checked.client("core", "vic") as client:
        response = client.get("/v1/drafts/stream", params={"duration": 1})
    assert response.status_code == 200
    frames = [f for f in response.text.split("\n\n") if f.startswith("id:")]
    mine = [f for f in frames if f'"draft_id":{draft["id"]},' in f]
    assert [f.split("\n")[1] for f in mine] == [
        "event: DraftCreated",
        "event: DraftApproved",
        "event: DraftSubmitted",
    ]
    with checked.client("supplier1", "vic") as other:
        theirs = other.get("/v1/drafts/stream", params={"duration": 1}).text
    assert f'"draft_id":{draft["id"]},' not in theirs


@contextmanager
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A loopback URL that answers 204 and keeps the bodies it received."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_draft_events_reach_the_webhooks_that_name_them(checked: Checked) -> None:
    with receiver() as (url, received), checked.served.client("core") as core:
        named = core.post(
            "/v1/webhooks", json={"url": url, "event_names": ["DraftCreated", "DraftSubmitted"]}
        )
        every = core.post("/v1/webhooks", json={"url": url + "/all"})
        assert (named.status_code, every.status_code) == (201, 201), named.text
        draft = checked.draft_issue(1_000_000)
        checked.approve("core", "carl", draft["id"])

        def delivered() -> list[dict[str, Any]] | None:
            mine = [b for b in received if b["event"]["args"].get("draft_id") == draft["id"]]
            return mine if len(mine) == 2 else None

        bodies = eventually(delivered, what="the draft's two events delivered", timeout=30)
        try:
            assert [b["event"]["name"] for b in bodies] == ["DraftCreated", "DraftSubmitted"]
            assert {b["webhook_id"] for b in bodies} == {named.json()["id"]}
            assert bodies[0]["event"]["source"] == "gateway"
            assert bodies[1]["event"]["args"]["operation_id"]
        finally:
            for hook in (named, every):
                core.delete(f"/v1/webhooks/{hook.json()['id']}")


def test_the_sdk_returns_a_draft_for_a_held_write_and_a_checker_approves_it(
    checked: Checked,
) -> None:
    body = checked.issue_body(3_000)
    url = checked.served.url
    with (
        ScfClient(url, api_key=checked.keys[("core", "amy")]) as maker,
        ScfClient(url, api_key=checked.keys[("core", "cora")]) as checker,
    ):
        written = maker.issue(IssueIn.model_validate(body))
        assert is_draft(written)
        assert (written.kind, written.status, written.amount) == (
            "receivable.issue",
            "pending",
            "30.00",
        )
        assert [d.id for d in checker.drafts(status="pending").items].count(written.id) == 1

        decided = checker.approve_draft(written.id)

    assert decided.draft.status == "submitted"
    assert decided.operation is not None
    assert decided.operation.id == decided.draft.operation_id


def test_a_makers_batch_is_a_draft_per_line_each_submitted_when_approved(
    checked: Checked,
) -> None:
    """An ERP batch under maker-checker: each valid line is its own draft (the checker
    decides line by line), a bad line is refused as a single write would be; nothing is
    queued until a checker approves, and an approved line's operation is the batch's."""
    before_chain, before_operations = checked.chain_state(), checked.operations()
    lines = [checked.issue_body(100_000), checked.issue_body(200_000)]
    lines.append({**checked.issue_body(300_000), "face_amount": "1.001"})
    with checked.client("core", "amy") as amy:
        posted = amy.post(
            "/v1/batches",
            json={"kind": "receivable.issue", "lines": lines},
            headers={"Idempotency-Key": f"mc-batch-{uuid.uuid4()}"},
        )
        assert posted.status_code == 202, posted.text
        batch = posted.json()
        assert batch["counts"] == {"draft": 2, "rejected": 1}
        first, second, bad = batch["items"]
        assert (first["status"], second["status"], bad["status"]) == ("draft", "draft", "rejected")
        assert first["operation_id"] is None
        assert first["draft_id"] is not None
        assert bad["problem"]["type"].endswith("/amount-too-precise")
        assert checked.chain_state() == before_chain
        assert checked.operations() == before_operations
        with checked.client("core", "vic") as viewer:
            draft = viewer.get(f"/v1/drafts/{first['draft_id']}").json()
        assert (draft["maker"], draft["arguments"]["face_amount"]) == ("amy", "1000.00")

        approved = checked.approve("core", "carl", first["draft_id"])
        assert approved.status_code == 200, approved.text
        operation_id = approved.json()["draft"]["operation_id"]
        assert checked.indexed("core", operation_id)["status"] in ("mined", "indexed")

        progress = amy.get(f"/v1/batches/{batch['id']}").json()
        assert progress["items"][0]["operation_id"] == operation_id
        assert progress["items"][0]["status"] in ("mined", "indexed")
        assert progress["items"][1]["status"] == "draft"
        assert progress["done"] is False
        with checked.client("core", "carl") as carl:
            rejected = carl.post(
                f"/v1/drafts/{second['draft_id']}/reject", json={"reason": "not ours"}
            )
        assert rejected.status_code == 200, rejected.text
        final = amy.get(f"/v1/batches/{batch['id']}").json()
        assert final["items"][1]["status"] == "withdrawn"
        assert final["done"] is True
