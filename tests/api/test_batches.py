"""ERP batches over a served gateway on a real chain (SQLite and PostgreSQL): a bad line gets
its single write's problem and never stops the good ones, which are mined; the same batch
again acts once; what the batch body itself gets wrong refuses it whole."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from scfledger.db.batches import Batch
from scfledger.db.models import Operation
from scfledger.db.session import create_db_engine, session_factory
from tests.support.api import assert_problem, cny, event, write
from tests.support.postgres import PostgresServer
from tests.support.served import Served, served_gateway
from tests.support.waiting import eventually

DAY = 86_400
ISSUE_COLUMNS = "creditor,face_amount,currency,due_date,document_hash"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    directory = tmp_path_factory.mktemp(f"batches-{request.param}")
    if request.param == "sqlite":
        database = f"sqlite:///{directory / 'gateway.sqlite3'}"
    else:
        postgres: PostgresServer = request.getfixturevalue("postgres")
        database = postgres.create_database()
    with served_gateway(directory, database) as api:
        yield api


def post_batch(
    client: httpx.Client,
    key: str,
    *,
    body: Any = None,
    csv: str | None = None,
    kind: str | None = None,
    **params: Any,
) -> httpx.Response:
    headers = {"Idempotency-Key": key}
    if kind is not None:
        params["kind"] = kind
    if csv is not None:
        headers["Content-Type"] = "text/csv"
        return client.post("/v1/batches", content=csv.encode(), headers=headers, params=params)
    return client.post("/v1/batches", json=body, headers=headers, params=params)


def lines_of(client: httpx.Client, batch_id: int) -> list[dict[str, Any]]:
    """Every line of the batch, page after page (pages of 2 lines: the cursor is used)."""
    lines: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get(f"/v1/batches/{batch_id}", params=params)
        assert page.status_code == 200, page.text
        lines += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return lines


def finished(client: httpx.Client, batch_id: int) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(f"/v1/batches/{batch_id}").json()
        return body if body["done"] else None

    return eventually(done, what=f"batch {batch_id} done", timeout=90, interval=0.2)


def issue_line(served: Served, document: str | None = None, amount: str = "100.00") -> list[str]:
    document = document or served.document("core", f"invoice {uuid.uuid4()}")
    due = served.chain_time() + 90 * DAY
    return [served.address("supplier1"), amount, "CNY", str(due), document]


def as_csv(rows: list[list[str]]) -> str:
    return "\n".join([ISSUE_COLUMNS, *(",".join(row) for row in rows)]) + "\n"


def chain_state(served: Served) -> tuple[int, int]:
    """The block number and core's nonce: what any transaction would move."""
    block = int(served.rpc("eth_blockNumber"), 16)
    nonce = int(served.rpc("eth_getTransactionCount", served.address("core"), "latest"), 16)
    return block, nonce


def counts(served: Served) -> tuple[int, int]:
    """Batches and operations in the gateway's database."""
    engine = create_db_engine(served.database_url)
    try:
        with session_factory(engine)() as session:
            batches = session.scalar(select(func.count()).select_from(Batch))
            operations = session.scalar(select(func.count()).select_from(Operation))
    finally:
        engine.dispose()
    return int(batches or 0), int(operations or 0)


def test_bad_lines_get_their_problems_and_the_good_ones_are_mined_once(served: Served) -> None:
    good = [issue_line(served) for _ in range(3)]
    rows = [
        good[0],
        issue_line(served, amount="12.345"),  # more digits than CNY has
        good[1],
        issue_line(served, document="0x" + "ab" * 32),  # never uploaded
        good[2],
        [*issue_line(served)[:4], good[0][4]],  # good[0]'s document again: the contract refuses
        issue_line(served, amount="-1"),
        ["not-an-address", *issue_line(served)[1:]],
    ]
    key = f"erp-{uuid.uuid4()}"
    with served.client("core") as client:
        posted = post_batch(client, key, csv=as_csv(rows), kind="receivable.issue")
        assert posted.status_code == 202, posted.text
        batch = posted.json()
        assert posted.headers["location"] == f"/v1/batches/{batch['id']}"
        assert (batch["object"], batch["kind"], batch["lines"]) == ("batch", "receivable.issue", 8)
        assert batch["counts"]["rejected"] == 4
        final = finished(client, batch["id"])
        lines = lines_of(client, batch["id"])
        assert [line["line"] for line in lines] == list(range(1, 9))
        status = {line["line"]: line["status"] for line in lines}
        problem = {line["line"]: (line["problem"] or {}).get("type", "") for line in lines}
        assert {n: status[n] for n in (1, 3, 5)} == {
            1: "indexed",
            3: "indexed",
            5: "indexed",
        } or all(status[n] in ("mined", "indexed") for n in (1, 3, 5)), status
        assert problem[2].endswith("/amount-too-precise")
        assert problem[4].endswith("/document-not-uploaded")
        assert (status[6], problem[6].rsplit("/", 1)[-1]) == ("failed", "duplicate-document")
        assert problem[7].rsplit("/", 1)[-1] in ("amount-out-of-range", "amount-malformed")
        assert problem[8].endswith("/validation-error")
        assert all(status[n] == "rejected" for n in (2, 4, 7, 8))
        assert sum(final["counts"].values()) == 8
        # Each good line is its own operation, readable as any other, with its receivable.
        issued = []
        for line in (lines[0], lines[2], lines[4]):
            op = client.get(f"/v1/operations/{line['operation_id']}", params={}).json()
            assert op["kind"] == "receivable.issue"
            issued.append(op["tx_hash"])
        assert len(set(issued)) == 3


def test_the_same_batch_again_acts_once_and_another_under_its_key_conflicts(
    served: Served,
) -> None:
    rows = [issue_line(served) for _ in range(3)]
    key = f"erp-{uuid.uuid4()}"
    with served.client("core") as client:
        first = post_batch(client, key, csv=as_csv(rows), kind="receivable.issue")
        assert first.status_code == 202, first.text
        finished(client, first.json()["id"])
        before, stored = chain_state(served), counts(served)
        again = post_batch(client, key, csv=as_csv(rows), kind="receivable.issue")
        assert again.status_code == 202, again.text
        assert again.json()["id"] == first.json()["id"]
        assert again.json()["done"] is True
        assert (chain_state(served), counts(served)) == (before, stored)
        # The same key for other lines is refused, and changes nothing either.
        other = post_batch(client, key, csv=as_csv(rows[:2]), kind="receivable.issue")
        assert_problem(other, 409, "idempotency-conflict")
        # A line's key is the batch key and its number: a single write under it is the line's.
        line_one = dict(zip(ISSUE_COLUMNS.split(","), rows[0], strict=True))
        single = write(
            client, "/v1/receivables", f"{key}#1", line_one | {"due_date": int(rows[0][3])}
        )
        assert single.status_code == 202, single.text
        assert single.json()["id"] == lines_of(client, first.json()["id"])[0]["operation_id"]
        assert (chain_state(served), counts(served)) == (before, stored)


def test_a_json_batch_of_settlements_pays_each_line(served: Served) -> None:
    """Settlements as JSON: two receivables issued and accepted, each settled by its line
    after its due date; a line naming a receivable the caller cannot see is 404."""
    due = served.chain_time() + 10
    slots = []
    with served.client("core") as core, served.client("supplier1") as supplier1:
        for _ in range(2):
            body = {
                "creditor": served.address("supplier1"),
                "face_amount": cny(50_000),
                "currency": "CNY",
                "due_date": due,
                "document_hash": served.document("core", f"invoice {uuid.uuid4()}"),
            }
            issued = write(core, "/v1/receivables", f"issue-{uuid.uuid4()}", body)
            assert issued.status_code == 202, issued.text
            slot = int(event(issued.json(), "ReceivableIssued")["slot"])
            accepted = write(supplier1, f"/v1/receivables/{slot}/accept", f"acc-{uuid.uuid4()}")
            assert accepted.status_code == 202, accepted.text
            slots.append((slot, int(event(issued.json(), "ReceivableIssued")["tokenId"])))
        served.rpc("evm_increaseTime", 60)
        served.rpc("evm_mine")
        lines = [
            {"slot": slot, "token_ids": [token], "payment_ref": f"WIRE-{slot}"}
            for slot, token in slots
        ] + [{"slot": 10**12, "token_ids": [1], "payment_ref": "WIRE-X"}]
        posted = post_batch(
            core, f"erp-{uuid.uuid4()}", body={"kind": "settlement", "lines": lines}
        )
        assert posted.status_code == 202, posted.text
        finished(core, posted.json()["id"])
        got = lines_of(core, posted.json()["id"])
        assert [line["status"] in ("mined", "indexed") for line in got] == [True, True, False]
        assert got[2]["problem"]["type"].endswith("/not-found")
        for slot, token in slots:

            def settled(slot: int = slot) -> list[dict[str, Any]]:
                items: list[dict[str, Any]] = core.get(
                    "/v1/settlements", params={"slot": slot}
                ).json()["items"]
                return items

            paid = eventually(settled, what=f"receivable {slot}'s settlement indexed")
            # Paid off chain: the amount submitted awaits the payee's confirmation.
            assert [(s["token_id"], s["submitted_amount"]) for s in paid] == [(token, cny(50_000))]


def test_what_the_batch_itself_gets_wrong_refuses_it_whole_and_changes_nothing(
    served: Served,
) -> None:
    with served.client("core") as client, served.client("supplier1") as supplier1:
        before, stored = chain_state(served), counts(served)
        issue = "receivable.issue"
        one_bad = as_csv([issue_line(served), issue_line(served, amount="x")])
        text_plain = {"Idempotency-Key": "k6", "Content-Type": "text/plain"}
        invalid = (422, "batch-invalid")
        cases = [
            (post_batch(client, "k1", csv=as_csv([issue_line(served)])), invalid),  # no kind
            (post_batch(client, "k2", csv="x,y\n1,2\n", kind=issue), invalid),
            (post_batch(client, "k3", csv=ISSUE_COLUMNS + "\n", kind=issue), invalid),
            # A JSON batch's own schema refuses as any JSON body's does.
            (post_batch(client, "k4", body={"kind": "piece.transfer", "lines": [{}]}),
             (422, "validation-error")),
            (post_batch(client, "k5", body={"kind": "settlement", "lines": []}),
             (422, "validation-error")),
            (post_batch(client, "k5", body=[{"kind": "settlement"}]), (400, "malformed-body")),
            (client.post("/v1/batches", content=b"x", headers=text_plain),
             (415, "unsupported-media-type")),
            (client.post("/v1/batches", json={"kind": "settlement", "lines": [{}]}),
             (400, "missing-idempotency-key")),
            (post_batch(client, "k7", csv=one_bad, kind=issue, all_or_none=True),
             (422, "batch-rejected")),
            # Batches are a core enterprise's: a supplier's is refused before anything.
            (post_batch(supplier1, "k8", body={"kind": "settlement", "lines": [{}]}),
             (403, "forbidden")),
        ]  # fmt: skip
        for response, (status, slug) in cases:
            assert_problem(response, status, slug)
        rejected = cases[8][0].json()
        assert [line["line"] for line in rejected["lines"]] == [2]
        assert rejected["lines"][0]["problem"]["type"].endswith("/amount-malformed")
        big = b"x" * (8 * 1024 * 1024 + 1)
        too_large = client.post(
            "/v1/batches",
            content=big,
            headers={"Idempotency-Key": "k9", "Content-Type": "text/csv"},
        )
        assert_problem(too_large, 413, "body-too-large")
        assert (chain_state(served), counts(served)) == (before, stored)
        # Another participant's batch is not found; nor is one that does not exist.
        mine = post_batch(
            client,
            f"erp-{uuid.uuid4()}",
            csv=as_csv([issue_line(served, amount="x")]),
            kind="receivable.issue",
        )
        assert mine.status_code == 202, mine.text
        assert_problem(supplier1.get(f"/v1/batches/{mine.json()['id']}"), 404, "not-found")
        assert_problem(client.get("/v1/batches/999999"), 404, "not-found")


def test_a_multipart_csv_upload_is_a_batch_announced_on_the_gateway_stream(served: Served) -> None:
    rows = [issue_line(served), issue_line(served)]
    with served.client("core") as client:
        posted = client.post(
            "/v1/batches",
            params={"kind": "receivable.issue"},
            files={"file": ("month-end.csv", as_csv(rows).encode(), "text/csv")},
            headers={"Idempotency-Key": f"erp-{uuid.uuid4()}"},
        )
        assert posted.status_code == 202, posted.text
        batch_id = posted.json()["id"]
        assert posted.json()["counts"].get("rejected", 0) == 0
        assert finished(client, batch_id)["counts"].keys() <= {"mined", "indexed"}
        with client.stream("GET", "/v1/drafts/stream", params={"duration": 1}) as stream:
            text = "".join(stream.iter_text())
        announced = [
            json.loads(frame.split("data: ", 1)[1])
            for frame in text.split("\n\n")
            if "event: BatchAccepted" in frame
        ]
        assert {
            "batch_id": batch_id,
            "kind": "receivable.issue",
            "lines": 2,
            "rejected": 0,
            "drafts": 0,
        } in [a["args"] for a in announced]
