"""The REST API over real HTTP: the story, visibility, idempotency and problem documents."""

from __future__ import annotations

from collections.abc import Iterator
from hashlib import sha256
from pathlib import Path
from typing import Any

import httpx
import pytest

from scfledger.devchain.seed import DEMO_MEMBERS
from tests.support.api import answered, assert_problem, event, write
from tests.support.postgres import PostgresServer
from tests.support.served import METRICS_TOKEN, Served, served_gateway

pytestmark = pytest.mark.integration

DUE = 2_840_140_800  # 2060-01-01: within the 50-year term (MAX_TERM_SECONDS)
DOC = "invoice d1"  # the text of core's invoice
DAY = 86_400


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    directory = tmp_path_factory.mktemp("api")
    with served_gateway(directory, f"sqlite:///{directory / 'gateway.sqlite3'}") as served:
        yield served


def issue(api: Served, key: str, document: str, amount: str = "10000.00") -> httpx.Response:
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
        response = client.get(f"/v1/pieces/{token_id}")
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
        "10000.00",
        "pending",
        0,
    )
    assert first["receivable"]["debtor"] == api.address("core")
    assert first["receivable"]["document_hash"] == "0x" + sha256(DOC.encode()).hexdigest()

    # Nobody else can accept; nothing changes.
    assert_problem(write(supplier2, f"/v1/receivables/{slot}/accept", "a"), 404, "not-found")
    with api.client("core") as core:
        assert_problem(write(core, f"/v1/receivables/{slot}/accept", "a"), 403, "missing-role")
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
    split_body = {"to": api.address("supplier2"), "value": "3000.00"}
    assert_problem(
        write(supplier2, f"/v1/pieces/{root}/transfers", "s", split_body), 404, "not-found"
    )
    assert_problem(
        write(auditor, f"/v1/pieces/{root}/transfers", "s", split_body),
        403,
        "erc3525-insufficient-allowance",
    )
    assert piece(api, "supplier1", root)["value"] == "10000.00"
    split = write(supplier1, f"/v1/pieces/{root}/transfers", "split-1", split_body)
    assert split.status_code == 202, split.text
    child = int(event(split.json(), "PieceSplit")["childTokenId"])
    assert piece(api, "supplier1", root)["value"] == "7000.00"
    # The piece arrives pending (签收): sender and receiver see it, nobody may use it yet.
    sent = piece(api, "supplier1", child)
    assert (sent["state"], sent["sender"], sent["holder"]) == (
        "pending",
        api.address("supplier1"),
        api.address("supplier2"),
    )
    assert_problem(write(supplier1, f"/v1/pieces/{child}/sign", "g"), 403, "not-holder")
    assert_problem(write(supplier2, f"/v1/pieces/{child}/recall", "r"), 403, "not-sender")
    early = {"to": api.address("supplier3"), "value": "10.00"}
    assert_problem(
        write(supplier2, f"/v1/pieces/{child}/transfers", "e", early),
        409,
        "piece-not-transferable",
    )
    signed = write(supplier2, f"/v1/pieces/{child}/sign", "sign-1")
    assert signed.status_code == 202, signed.text
    assert event(signed.json(), "PieceAccepted")["receiver"] == api.address("supplier2")
    tier2 = piece(api, "supplier2", child)
    assert (tier2["holder"], tier2["value"], tier2["parent_token_id"], tier2["depth"]) == (
        api.address("supplier2"),
        "3000.00",
        root,
        1,
    )
    assert (tier2["state"], tier2["sender"]) == ("active", None)
    lineage = supplier2.get(f"/v1/pieces/{child}/lineage").json()
    assert [n["token_id"] for n in lineage["ancestors"]] == [root]
    assert (lineage["tree"]["token_id"], lineage["tree"]["children"]) == (child, [])
    root_tree = auditor.get(f"/v1/pieces/{root}/lineage").json()["tree"]
    assert [(c["token_id"], c["value"]) for c in root_tree["children"]] == [(child, "3000.00")]

    # Visibility: supplier2 sees only its piece; supplier1 only its own (what it paid
    # supplier2 with is supplier2's business); the auditor sees everything; supplier3 nothing.
    def listed(client: httpx.Client) -> list[int]:
        return [p["token_id"] for p in client.get("/v1/pieces").json()["items"]]

    assert listed(supplier2) == [child]
    assert listed(supplier1) == [root]
    assert listed(auditor) == [root, child]
    with api.client("supplier3") as supplier3:
        assert listed(supplier3) == []
        assert_problem(supplier3.get(f"/v1/pieces/{child}"), 404, "not-found")
    page = auditor.get("/v1/pieces", params={"limit": 1}).json()
    assert ([p["token_id"] for p in page["items"]], page["next_cursor"]) == ([root], str(root))
    rest = auditor.get("/v1/pieces", params={"limit": 1, "cursor": page["next_cursor"]})
    assert [p["token_id"] for p in rest.json()["items"]] == [child]

    # Financing: tier 2 asks the bank at terms it names (amounts); only the bank offers.
    terms = {"advance": "2900.00", "repayment": "0.00", "fees": "10.00", "fund_by": DUE - 86_400}
    ask = {
        "token_id": child,
        "financiers": [api.address("bank")],
        "terms": terms,
        "mode": "factoring",
    }
    assert_problem(write(supplier1, "/v1/financing-requests", "f", ask), 404, "not-found")
    requested = write(supplier2, "/v1/financing-requests", "finance-1", ask)
    assert requested.status_code == 202, requested.text
    request_id = int(event(requested.json(), "FinancingRequested")["requestId"])
    assert piece(api, "supplier2", child)["state"] == "financing"
    path = f"/v1/financing-requests/{request_id}"
    assert_problem(write(supplier2, f"{path}/offers", "x", terms), 403, "not-financier")
    # The bank offers less than asked: nothing is agreed until the requester accepts.
    lower = {**terms, "advance": "2800.00"}
    offered = write(bank, f"{path}/offers", "offer-1", lower)
    assert offered.status_code == 202, offered.text
    record = supplier2.get(path).json()
    assert (record["status"], record["agreed"], record["asked"]) == (
        "requested",
        None,
        answered(terms),
    )
    assert [(o["financier"], o["status"], o["terms"]) for o in record["offers"]] == [
        (api.address("bank"), "made", answered(lower))
    ]
    assert_problem(
        write(bank, f"{path}/fund", "fund-0", {"payment_ref": "w"}), 403, "not-financier"
    )
    # Accepting other terms than the standing offer is refused; the offer itself is taken.
    mismatch = {"financier": api.address("bank"), "terms": terms}
    assert_problem(write(supplier2, f"{path}/accept", "acc-x", mismatch), 409, "offer-mismatch")
    accept = {"financier": api.address("bank"), "terms": lower}
    assert_problem(write(bank, f"{path}/accept", "acc-b", accept), 403, "not-requester")
    took = write(supplier2, f"{path}/accept", "accept-offer-1", accept)
    assert took.status_code == 202, took.text
    record = bank.get(path).json()
    assert (record["status"], record["financier"], record["agreed"]) == (
        "accepted",
        api.address("bank"),
        answered(lower),
    )
    assert_problem(write(supplier2, f"{path}/withdraw", "w-1"), 409, "invalid-request-status")
    funded = write(bank, f"{path}/fund", "fund-1", {"payment_ref": "wire-1"})
    assert funded.status_code == 202, funded.text
    assert event(funded.json(), "FinancingFunded")["advance"] == "2800.00"
    record = supplier2.get(path).json()
    assert (record["status"], record["agreed"]["advance"], record["agreed"]["fees"]) == (
        "funded",
        "2800.00",
        "10.00",
    )
    financed = piece(api, "auditor", child)
    assert (financed["holder"], financed["value"], financed["state"]) == (
        api.address("bank"),
        "3000.00",
        "financed",
    )
    assert piece(api, "auditor", root)["value"] == "7000.00"
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
        missing = write(core, "/v1/receivables", "m2", {"face_amount": "5.00"})
        body = assert_problem(missing, 422, "validation-error")
        assert {tuple(e["loc"]) for e in body["errors"]} == {
            ("body", "creditor"),
            ("body", "due_date"),
            ("body", "document_hash"),
        }
        no_key = core.post("/v1/receivables", json={})
        assert_problem(no_key, 400, "missing-idempotency-key")
        assert_problem(core.get("/v1/pieces/999999"), 404, "not-found")
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
        response = issue(api, "pg-1", "invoice e1", amount="500.00")
        assert response.status_code == 202, response.text
        token = int(event(response.json(), "ReceivableIssued")["tokenId"])
        assert piece(api, "supplier1", token)["value"] == "500.00"
        # The same amount written otherwise is the same request: the key acts once.
        assert issue(api, "pg-1", "invoice e1", amount="500").json()["id"] == response.json()["id"]


def test_whole_story_through_the_api_with_consent(tmp_path: Path) -> None:
    """The whole story on anvil, every step with the consent of the party that gives
    something up: 签收 (a refusal and a recall on the way), offers from two financiers and
    the requester's acceptance, funding, settlement off-chain by reference, confirmed by one
    payee, disputed by another and paid again, and deemed confirmed after one stays silent."""
    members = {**DEMO_MEMBERS, "bank2": DEMO_MEMBERS["bank"]}
    with served_gateway(tmp_path, f"sqlite:///{tmp_path / 'gw.sqlite3'}", members) as api:
        c = {name: api.client(name) for name in members}
        addr = api.address
        due = api.chain_time() + 30 * DAY
        body = {
            "creditor": addr("supplier1"),
            "face_amount": "10000.00",
            "due_date": due,
            "document_hash": api.document("core", "invoice story"),
        }
        op = write(c["core"], "/v1/receivables", "issue", body).json()
        slot, root = (int(event(op, "ReceivableIssued")[k]) for k in ("slot", "tokenId"))
        assert write(c["supplier1"], f"/v1/receivables/{slot}/accept", "acc").status_code == 202

        def send(sender: str, token_id: int, to: str, value: str, key: str) -> int:
            sent = write(
                c[sender],
                f"/v1/pieces/{token_id}/transfers",
                key,
                {"to": addr(to), "value": value},
            )
            assert sent.status_code == 202, sent.text
            return int(event(sent.json(), "PieceSplit")["childTokenId"])

        # supplier2 refuses one piece; supplier1 recalls another: value goes back to the root.
        refused = send("supplier1", root, "supplier2", "500.00", "t-refused")
        r = write(c["supplier2"], f"/v1/pieces/{refused}/refuse", "ref", {"reason": "no PO"})
        assert r.status_code == 202, r.text
        recalled = send("supplier1", root, "supplier2", "600.00", "t-recalled")
        assert_problem(
            write(c["supplier2"], f"/v1/pieces/{recalled}/recall", "x"), 403, "not-sender"
        )
        r = write(c["supplier1"], f"/v1/pieces/{recalled}/recall", "rec")
        assert r.status_code == 202, r.text
        assert piece(api, "supplier1", root)["value"] == "10000.00"
        assert piece(api, "auditor", refused)["state"] == "rejected"
        assert piece(api, "auditor", recalled)["state"] == "cancelled"

        tier2 = send("supplier1", root, "supplier2", "4000.00", "t-2")
        assert write(c["supplier2"], f"/v1/pieces/{tier2}/sign", "s2").status_code == 202
        tier3 = send("supplier2", tier2, "supplier3", "1500.00", "t-3")
        assert write(c["supplier3"], f"/v1/pieces/{tier3}/sign", "s3").status_code == 202

        # supplier3 asks two financiers; each sees only its own offer; it takes bank2's.
        fund_by = api.chain_time() + 5 * DAY
        asked = {"advance": "1450.00", "repayment": "0.00", "fees": "5.00", "fund_by": fund_by}
        ask = {"token_id": tier3, "financiers": [addr("bank"), addr("bank2")], "terms": asked}
        op = write(c["supplier3"], "/v1/financing-requests", "req", ask).json()
        rid = int(event(op, "FinancingRequested")["requestId"])
        path = f"/v1/financing-requests/{rid}"
        by_bank = {**asked, "advance": "1400.00"}
        by_bank2 = {**asked, "advance": "1430.00", "fees": "8.00"}
        assert write(c["bank"], f"{path}/offers", "o1", by_bank).status_code == 202
        assert write(c["bank2"], f"{path}/offers", "o2", by_bank2).status_code == 202
        seen = {
            n: {o["financier"]: o["terms"] for o in c[n].get(path).json()["offers"]}
            for n in ("bank", "bank2", "supplier3")
        }
        shown, shown2 = answered(by_bank), answered(by_bank2)
        assert seen["bank"] == {addr("bank"): shown}
        assert seen["bank2"] == {addr("bank2"): shown2}
        assert seen["supplier3"] == {addr("bank"): shown, addr("bank2"): shown2}
        assert_problem(c["supplier1"].get(path), 404, "not-found")
        take = {"financier": addr("bank2"), "terms": by_bank2}
        assert write(c["supplier3"], f"{path}/accept", "take", take).status_code == 202
        # The bank lost: it learns neither who won nor at what terms.
        lost = c["bank"].get(path).json()
        assert (lost["status"], lost["financier"], lost["agreed"]) == ("accepted", None, None)
        assert [o["financier"] for o in lost["offers"]] == [addr("bank")]
        assert_problem(
            write(c["bank"], f"{path}/fund", "f1", {"payment_ref": "w"}), 403, "not-financier"
        )
        funded = write(c["bank2"], f"{path}/fund", "f2", {"payment_ref": "wire b2"})
        assert funded.status_code == 202, funded.text
        assert piece(api, "auditor", tier3)["holder"] == addr("bank2")

        # Maturity: the debtor pays off-chain by reference; each payee answers.
        api.rpc("evm_setNextBlockTimestamp", due + 1)
        api.rpc("evm_mine")
        pay = {"slot": slot, "token_ids": [root, tier2, tier3], "payment_ref": "run 1"}
        zero_ref = {**pay, "payment_ref": "0x" + "0" * 64}
        assert_problem(write(c["core"], "/v1/settlements", "p0", zero_ref), 422, "invalid-input")
        settled = write(c["core"], "/v1/settlements", "p1", pay)
        assert settled.status_code == 202, settled.text
        for token_id in (root, tier2, tier3):
            assert piece(api, "auditor", token_id)["state"] == "awaiting_confirmation"
        awaiting = {s["token_id"]: s for s in c["core"].get("/v1/settlements").json()["items"]}
        assert {t: (s["status"], s["payee"]) for t, s in awaiting.items()} == {
            root: ("awaiting_confirmation", addr("supplier1")),
            tier2: ("awaiting_confirmation", addr("supplier2")),
            tier3: ("awaiting_confirmation", addr("bank2")),
        }
        assert_problem(
            write(c["supplier2"], f"/v1/settlements/{root}/confirm", "x2"), 404, "not-found"
        )
        assert write(c["supplier1"], f"/v1/settlements/{root}/confirm", "c1").status_code == 202
        disputed = write(
            c["supplier2"], f"/v1/settlements/{tier2}/dispute", "d2", {"reason": "not received"}
        )
        assert disputed.status_code == 202, disputed.text
        assert piece(api, "supplier2", tier2)["state"] == "active"
        again = {"slot": slot, "token_ids": [tier2], "payment_ref": "run 1"}
        assert_problem(
            write(c["core"], "/v1/settlements", "p2", again), 409, "payment-ref-disputed"
        )
        again["payment_ref"] = "run 2"
        assert write(c["core"], "/v1/settlements", "p3", again).status_code == 202
        assert write(c["supplier2"], f"/v1/settlements/{tier2}/confirm", "c2").status_code == 202
        # bank2 stays silent: the debtor may finalize only after the window.
        assert_problem(
            write(c["core"], f"/v1/settlements/{tier3}/finalize", "z0"),
            409,
            "confirmation-window-open",
        )
        confirm_by = awaiting[tier3]["confirm_by"]
        api.rpc("evm_setNextBlockTimestamp", confirm_by + 1)
        api.rpc("evm_mine")
        assert write(c["core"], f"/v1/settlements/{tier3}/finalize", "z1").status_code == 202

        final = {s["token_id"]: s for s in c["auditor"].get("/v1/settlements").json()["items"]}
        assert {t: (s["status"], s["deemed"], s["amount"]) for t, s in final.items()} == {
            root: ("settled", False, "6000.00"),
            tier2: ("settled", False, "2500.00"),
            tier3: ("settled", True, "1500.00"),
        }
        receivable = piece(api, "auditor", root)["receivable"]
        assert (receivable["status"], receivable["settled_value"]) == ("settled", "10000.00")
        for client in c.values():
            client.close()
