"""The REST API over real HTTP: refusals, evidence, financing outcomes, settlement, events."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from scfledger.api.schemas import EventPage
from tests.api.test_api_story import piece
from tests.support.api import assert_problem, cny, event, write
from tests.support.served import Served, served_gateway

pytestmark = pytest.mark.integration

DUE = 2_840_140_800  # 2060-01-01: within the 50-year term (MAX_TERM_SECONDS)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    directory = tmp_path_factory.mktemp("api-more")
    with served_gateway(directory, f"sqlite:///{directory / 'gateway.sqlite3'}") as served:
        yield served


def sha256(text: str) -> str:
    return "0x" + hashlib.sha256(text.encode()).hexdigest()


def doc(name: str) -> str:
    return sha256(f"document {name}")


def issue(
    api: Served, key: str, document: str, *, amount: int = 1_000_000, due: int = DUE
) -> tuple[int, int]:
    """Core uploads the document named `document` (its hash is `doc(document)`) and confirms
    a receivable to supplier1 against it: (slot, root token id)."""
    body = {
        "creditor": api.address("supplier1"),
        "face_amount": cny(amount),
        "due_date": due,
        "document_hash": api.document("core", f"document {document}"),
    }
    with api.client("core") as core:
        response = write(core, "/v1/receivables", key, body)
    assert response.status_code == 202, response.text
    issued = event(response.json(), "ReceivableIssued")
    return int(issued["slot"]), int(issued["tokenId"])


def issue_accepted(api: Served, key: str, document: str, **kw: Any) -> tuple[int, int]:
    slot, token = issue(api, key, document, **kw)
    with api.client("supplier1") as supplier1:
        response = write(supplier1, f"/v1/receivables/{slot}/accept", f"{key}-accept")
    assert response.status_code == 202, response.text
    return slot, token


def receivable_status(api: Served, token: int) -> tuple[str, str]:
    record = piece(api, "auditor", token)
    return record["state"], record["receivable"]["status"]


def test_rejected_receivable_releases_its_document(api: Served) -> None:
    slot, token = issue(api, "rej-issue", "rejected")
    with api.client("supplier1") as supplier1, api.client("supplier2") as supplier2:
        assert_problem(
            write(supplier2, f"/v1/receivables/{slot}/reject", "r", {"reason": "x"}),
            404,
            "not-found",
        )
        with api.client("core") as core:
            assert_problem(
                write(core, f"/v1/receivables/{slot}/reject", "r", {"reason": "x"}),
                403,
                "missing-role",
            )
        assert_problem(
            write(supplier1, f"/v1/receivables/{slot}/reject", "r", {}), 422, "validation-error"
        )
        assert receivable_status(api, token) == ("pending", "pending")

        rejected = write(
            supplier1, f"/v1/receivables/{slot}/reject", "reject-1", {"reason": "wrong amount"}
        )
        assert rejected.status_code == 202, rejected.text
        op = rejected.json()
        assert (op["kind"], op["status"]) == ("receivable.reject", "indexed")
        assert event(op, "ReceivableRejected") == {
            "slot": slot,
            "tokenId": token,
            "creditor": api.address("supplier1"),
            "reason": sha256("wrong amount"),
        }
        assert receivable_status(api, token) == ("rejected", "rejected")
        assert_problem(
            write(supplier1, f"/v1/receivables/{slot}/reject", "reject-2", {"reason": "again"}),
            409,
            "invalid-piece-state",
        )

    # The same invoice, confirmed again with corrected data.
    again_slot, again_token = issue(api, "rej-reissue", "rejected", amount=900_000)
    assert again_slot == slot + 1
    record = piece(api, "supplier1", again_token)
    assert (record["value"], record["state"], record["receivable"]["document_hash"]) == (
        cny(900_000),
        "pending",
        doc("rejected"),
    )


def test_debtor_cancels_a_pending_receivable(api: Served) -> None:
    slot, token = issue(api, "cancel-issue", "cancelled")
    with api.client("supplier1") as supplier1, api.client("supplier2") as supplier2:
        assert_problem(write(supplier1, f"/v1/receivables/{slot}/cancel", "c"), 403, "missing-role")
        assert_problem(write(supplier2, f"/v1/receivables/{slot}/cancel", "c"), 404, "not-found")
        assert receivable_status(api, token) == ("pending", "pending")
        with api.client("core") as core:
            cancelled = write(core, f"/v1/receivables/{slot}/cancel", "cancel-1")
            assert cancelled.status_code == 202, cancelled.text
            assert event(cancelled.json(), "ReceivableCancelled") == {
                "slot": slot,
                "tokenId": token,
                "debtor": api.address("core"),
            }
            assert receivable_status(api, token) == ("cancelled", "cancelled")
            assert_problem(
                write(core, f"/v1/receivables/{slot}/cancel", "cancel-2"),
                409,
                "invalid-piece-state",
            )
        assert_problem(
            write(supplier1, f"/v1/receivables/{slot}/accept", "late-accept"),
            409,
            "invalid-piece-state",
        )


def test_holder_anchors_evidence_once(api: Served) -> None:
    _slot, token = issue_accepted(api, "evidence", "evidence")
    photo = api.document("supplier1", "photo of the delivery")
    path = f"/v1/pieces/{token}/evidence"
    with api.client("supplier1") as supplier1, api.client("supplier3") as supplier3:
        assert_problem(write(supplier3, path, "e", {"evidence_hash": photo}), 404, "not-found")
        with api.client("core") as core:
            # Uploaded by core too: the contract, not the gateway's document check, refuses.
            assert api.document("core", "photo of the delivery") == photo
            assert_problem(write(core, path, "e", {"evidence_hash": photo}), 403, "not-holder")
        assert_problem(
            write(supplier1, path, "e", {"evidence_hash": "photo"}), 422, "validation-error"
        )
        assert supplier1.get(path).json() == []

        attached = write(supplier1, path, "evidence-1", {"evidence_hash": photo})
        assert attached.status_code == 202, attached.text
        op = attached.json()
        assert (op["kind"], op["status"]) == ("piece.evidence", "indexed")
        expected = [
            {
                "token_id": token,
                "evidence_hash": photo,
                "attached_by": api.address("supplier1"),
                "block_number": op["block_number"],
            }
        ]
        assert supplier1.get(path).json() == expected
        with api.client("auditor") as auditor:
            assert auditor.get(path).json() == expected
        assert_problem(supplier3.get(path), 404, "not-found")
        assert_problem(
            write(supplier1, path, "evidence-2", {"evidence_hash": photo}),
            409,
            "evidence-already-attached",
        )
        assert supplier1.get(path).json() == expected


def test_financing_rejected_withdrawn_and_repaid(api: Served) -> None:
    _slot, token = issue_accepted(api, "fin", "financing")
    terms = {"advance": "1000.00", "repayment": "1050.00", "fees": "0", "fund_by": DUE - 86_400}
    ask = {"token_id": token, "financiers": [api.address("bank")], "terms": terms}
    supplier1, supplier3 = api.client("supplier1"), api.client("supplier3")
    bank = api.client("bank")

    def ask_for(key: str, **terms: Any) -> int:
        response = write(supplier1, "/v1/financing-requests", key, {**ask, **terms})
        assert response.status_code == 202, response.text
        return int(event(response.json(), "FinancingRequested")["requestId"])

    def status(request_id: int) -> str:
        return str(bank.get(f"/v1/financing-requests/{request_id}").json()["status"])

    # The financier refuses.
    first = ask_for("fin-1")
    path = f"/v1/financing-requests/{first}/reject"
    unknown = "/v1/financing-requests/999999/reject"
    assert_problem(write(bank, unknown, "x", {"reason": "no"}), 404, "not-found")
    # Not visible to supplier3: 404; visible to its requester, who may not decide: 403.
    assert_problem(write(supplier3, path, "x", {"reason": "no"}), 404, "not-found")
    assert_problem(write(supplier1, path, "x", {"reason": "no"}), 403, "not-financier")
    assert status(first) == "requested"
    rejected = write(bank, path, "fin-1-reject", {"reason": "limit reached"})
    assert rejected.status_code == 202, rejected.text
    assert event(rejected.json(), "FinancingRejected") == {
        "requestId": first,
        "tokenId": token,
        "financier": api.address("bank"),
        "reason": sha256("limit reached"),
        "closed": True,  # its only financier declined
    }
    assert (status(first), piece(api, "supplier1", token)["state"]) == ("rejected", "active")
    assert_problem(
        write(bank, path, "fin-1-reject-2", {"reason": "no"}), 409, "invalid-request-status"
    )

    # The requester withdraws.
    second = ask_for("fin-2")
    path = f"/v1/financing-requests/{second}/withdraw"
    assert_problem(write(supplier3, path, "x"), 404, "not-found")
    assert_problem(write(bank, path, "x"), 403, "not-requester")
    assert status(second) == "requested"
    withdrawn = write(supplier1, path, "fin-2-withdraw")
    assert withdrawn.status_code == 202, withdrawn.text
    assert event(withdrawn.json(), "FinancingWithdrawn") == {"requestId": second, "tokenId": token}
    assert (status(second), piece(api, "supplier1", token)["state"]) == ("withdrawn", "active")
    assert_problem(write(supplier1, path, "fin-2-withdraw-2"), 409, "invalid-request-status")

    # A pledge loan, funded then repaid as confirmed by the financier.
    third = ask_for("fin-3", mode="pledge")
    path = f"/v1/financing-requests/{third}/repay"
    # Nothing to repay before it is funded.
    assert_problem(write(bank, path, "early", {"payment_ref": "r"}), 409, "invalid-request-status")
    offered = write(bank, f"/v1/financing-requests/{third}/offers", "fin-3-ok", terms)
    assert offered.status_code == 202, offered.text
    assert status(third) == "accepted"  # the asked terms, from the only financier
    funded = write(bank, f"/v1/financing-requests/{third}/fund", "fin-3-f", {"payment_ref": "f"})
    assert funded.status_code == 202, funded.text
    pledged = piece(api, "supplier1", token)
    assert (pledged["holder"], pledged["state"]) == (api.address("supplier1"), "financed")
    assert_problem(write(supplier3, path, "x", {"payment_ref": "r"}), 404, "not-found")
    assert status(third) == "funded"
    repaid = write(bank, path, "fin-3-repay", {"payment_ref": "repayment 3"})
    assert repaid.status_code == 202, repaid.text
    assert (repaid.json()["kind"], event(repaid.json(), "LoanRepaid")) == (
        "financing.repay",
        {
            "requestId": third,
            "tokenId": token,
            "payer": api.address("bank"),
            "amount": "1050.00",
            "paymentRef": sha256("repayment 3"),
            "paidOnChain": False,
            "paymentRefText": "repayment 3",  # the bank is paid: it reads it in clear
        },
    )
    assert (status(third), piece(api, "supplier1", token)["state"]) == ("repaid", "active")
    assert_problem(
        write(bank, path, "fin-3-repay-2", {"payment_ref": "r"}), 409, "invalid-request-status"
    )
    for client in (supplier1, supplier3, bank):
        client.close()


def test_debtor_settles_pieces_from_the_due_date(api: Served) -> None:
    due = api.chain_time() + 3_600
    slot, root = issue_accepted(api, "settle", "settled", due=due)
    _other_slot, other = issue_accepted(api, "settle-other", "settled other")
    supplier1, supplier2 = api.client("supplier1"), api.client("supplier2")
    core, auditor = api.client("core"), api.client("auditor")
    split = write(
        supplier1,
        f"/v1/pieces/{root}/transfers",
        "settle-split",
        {"to": api.address("supplier2"), "value": "4000.00"},
    )
    assert split.status_code == 202, split.text
    child = int(event(split.json(), "PieceSplit")["childTokenId"])
    assert write(supplier2, f"/v1/pieces/{child}/sign", "settle-sign").status_code == 202
    body = {"slot": slot, "token_ids": [root, child], "payment_ref": "wire 77"}

    with api.client("supplier3") as supplier3:
        assert_problem(write(supplier3, "/v1/settlements", "s", body), 404, "not-found")
    assert_problem(write(supplier1, "/v1/settlements", "s", body), 403, "missing-role")
    assert_problem(write(core, "/v1/settlements", "s", {**body, "slot": 999_999}), 404, "not-found")
    assert_problem(
        write(core, "/v1/settlements", "s", {**body, "token_ids": [root, other]}),
        422,
        "invalid-input",
    )
    assert_problem(
        write(core, "/v1/settlements", "s", {**body, "token_ids": []}), 422, "validation-error"
    )
    not_due = assert_problem(write(core, "/v1/settlements", "early", body), 409, "not-yet-due")
    assert not_due["error"] == {"name": "NotYetDue", "args": {"slot": slot, "dueDate": due}}
    assert piece(api, "auditor", root)["value"] == "6000.00"

    api.rpc("evm_setNextBlockTimestamp", due + 1)
    api.rpc("evm_mine")
    settled = write(core, "/v1/settlements", "settle-1", body)
    assert settled.status_code == 202, settled.text
    op = settled.json()
    assert op["kind"] == "receivable.settle"
    ref = sha256("wire 77")
    submitted = [e["args"] for e in op["events"] if e["name"] == "SettlementSubmitted"]
    assert [(e["tokenId"], e["payee"], e["amount"], e["paymentRef"]) for e in submitted] == [
        (root, api.address("supplier1"), "6000.00", ref),
        (child, api.address("supplier2"), "4000.00", ref),
    ]
    # Paid off-chain: each piece awaits its payee's confirmation; only the payee confirms.
    assert piece(api, "auditor", root)["state"] == "awaiting_confirmation"
    assert_problem(write(core, f"/v1/settlements/{root}/confirm", "c"), 403, "not-payee")
    assert_problem(write(supplier2, f"/v1/settlements/{root}/confirm", "c"), 404, "not-found")
    for token, payee in ((root, supplier1), (child, supplier2)):
        confirmed = write(payee, f"/v1/settlements/{token}/confirm", f"confirm-{token}")
        assert confirmed.status_code == 202, confirmed.text
        assert event(confirmed.json(), "PaymentConfirmed")["deemed"] is False
    record = piece(api, "auditor", root)
    assert (record["value"], record["state"], record["receivable"]["status"]) == (
        "0.00",
        "settled",
        "settled",
    )
    assert record["receivable"]["settled_value"] == "10000.00"
    assert_problem(write(core, "/v1/settlements", "settle-2", body), 409, "invalid-piece-state")
    assert_problem(
        write(supplier1, f"/v1/settlements/{root}/confirm", "c2"), 409, "invalid-piece-state"
    )

    def settlement(token: int, holder: str, amount: str) -> tuple[Any, ...]:
        return (token, slot, api.address(holder), "settled", amount, None, "0.00", ref, False)

    def rows(client: httpx.Client, **params: Any) -> list[tuple[Any, ...]]:
        fields: tuple[str, ...] = ("token_id", "slot", "holder", "status", "amount")
        fields += ("lien_holder", "lien_amount", "payment_ref_hash", "paid_on_chain")
        items = client.get("/v1/settlements", params=params).json()["items"]
        return [tuple(item[f] for f in fields) for item in items]

    def shown(client: httpx.Client) -> set[str]:
        return {s["payment_ref"] for s in client.get("/v1/settlements").json()["items"]}

    both = [settlement(root, "supplier1", "6000.00"), settlement(child, "supplier2", "4000.00")]
    assert rows(core) == both
    assert rows(auditor) == both
    # The reference in clear for the payer and the payees; the auditor reads the hash.
    assert (shown(core), shown(supplier1), shown(auditor)) == ({"wire 77"}, {"wire 77"}, {ref})
    assert rows(supplier1) == both[:1]
    assert rows(supplier2) == both[1:]
    with api.client("bank") as bank:
        assert bank.get("/v1/settlements").json() == {"items": [], "next_cursor": None}
    page = core.get("/v1/settlements", params={"limit": 1}).json()
    assert (len(page["items"]), page["next_cursor"]) == (1, str(root))
    assert rows(core, limit=1, cursor=page["next_cursor"]) == both[1:]
    last = core.get("/v1/settlements", params={"limit": 1, "cursor": str(child)})
    assert last.json() == {"items": [], "next_cursor": None}
    for client in (supplier1, supplier2, core, auditor):
        client.close()


def feed(client: httpx.Client, limit: int = 500) -> list[dict[str, Any]]:
    """Every event the client sees, page after page."""
    events: list[dict[str, Any]] = []
    cursor = "0"
    while True:
        response = client.get("/v1/events", params={"after": cursor, "limit": limit})
        assert response.status_code == 200, response.text
        page = response.json()
        events += page["items"]
        if page["next_cursor"] == cursor:
            return events
        cursor = page["next_cursor"]


def test_event_feed_pages_and_visibility(api: Served) -> None:
    slot, token = issue(api, "feed-issue", "feed")
    with api.client("auditor") as auditor:
        everything = feed(auditor)
        assert feed(auditor, limit=7) == everything
        ids = [e["id"] for e in everything]
        assert ids == sorted(set(ids))
        issued = next(
            e for e in everything if e["name"] == "ReceivableIssued" and e["args"]["slot"] == slot
        )
        assert (issued["contract"], issued["args"]["tokenId"]) == ("ReceivableToken", token)
        first = auditor.get("/v1/events", params={"limit": 2}).json()
        assert first == {"items": everything[:2], "next_cursor": str(ids[1])}
        # The page is written as plain JSON: it must be what its documented schema gives.
        whole = auditor.get("/v1/events", params={"limit": 500}).json()
        assert EventPage.model_validate(whole).model_dump(mode="json") == whole
        assert_problem(auditor.get("/v1/events", params={"after": "x"}), 400, "invalid-cursor")

    def mentions(e: dict[str, Any], participant: str) -> bool:
        return api.address(participant) in e["args"].values()

    # supplier3 holds nothing: it sees exactly the events naming it (its admission).
    with api.client("supplier3") as supplier3:
        own = feed(supplier3)
        assert own == [e for e in everything if mentions(e, "supplier3")]
        assert [e["name"] for e in own] == ["MemberAdmitted"]
    # supplier2 does not see the new receivable of supplier1; supplier1 does.
    with api.client("supplier2") as supplier2:
        assert issued not in feed(supplier2)
    with api.client("supplier1") as supplier1:
        assert issued in feed(supplier1)


def read_sse(response: httpx.Response, count: int) -> list[tuple[int, str, dict[str, Any]]]:
    """The first `count` events of a server-sent event stream: (id, event, data)."""
    events: list[tuple[int, str, dict[str, Any]]] = []
    fields: dict[str, str] = {}
    for line in response.iter_lines():
        if line == "":
            if "id" in fields:
                events.append((int(fields["id"]), fields["event"], json.loads(fields["data"])))
                if len(events) == count:
                    return events
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
    raise AssertionError(f"the stream ended after {len(events)} events")


def test_event_stream_resumes_after_last_event_id(api: Served) -> None:
    with api.client("auditor") as auditor:
        everything = feed(auditor)
        with auditor.stream("GET", "/v1/events/stream", params={"duration": 30}) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            first = read_sse(stream, 3)
        assert first == [(e["id"], e["name"], e) for e in everything[:3]]
        resumed = {"Last-Event-ID": str(first[-1][0])}
        with auditor.stream(
            "GET", "/v1/events/stream", params={"duration": 30, "after": "0"}, headers=resumed
        ) as stream:
            assert read_sse(stream, 2) == [(e["id"], e["name"], e) for e in everything[3:5]]
    with api.client("supplier3") as supplier3:
        with supplier3.stream("GET", "/v1/events/stream", params={"duration": 30}) as stream:
            ((_id, name, data),) = read_sse(stream, 1)
        assert (name, data["args"]["account"]) == ("MemberAdmitted", api.address("supplier3"))
        assert_problem(
            supplier3.get("/v1/events/stream", headers={"Last-Event-ID": "x"}),
            400,
            "invalid-cursor",
        )
