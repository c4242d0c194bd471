"""Statements and the reconciliation export over real HTTP: a story (issue, transfer,
finance, fund, settle) whose statement lines sum to what the ledger says, CSV and XLSX
that read back to the same lines, payment references in clear for payer and payee only."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from hashlib import sha256
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from scfledger.api.exports import Money, Sheet, csv_bytes, xlsx_bytes
from scfledger.db.payment_refs import PaymentReference
from scfledger.db.session import create_db_engine, session_factory, transaction
from scfledger.money import MAX_AMOUNT, format_amount, parse_amount
from scfledger.people.policy import Policy, set_policy
from scfledger_client import ScfClient
from scfledger_client.models import StatementLineOut
from tests.support.api import assert_problem, event, write
from tests.support.checking import person_key
from tests.support.served import Served, served_gateway
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

DAY = 86_400
WIRE = "WIRE-融资-0001"  # the bank's funding reference, with Chinese text
PAY = "CORE-付款-0002"  # core's settlement reference


def _hash(text: str) -> str:
    return "0x" + sha256(text.encode()).hexdigest()


@dataclass
class Story:
    api: Served
    slot: int
    root: int
    child: int
    request_id: int
    split_value: int
    params: dict[str, str]


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 202), response.text
    body: dict[str, Any] = response.json()
    assert body.get("status") != "failed", body
    return body


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    directory = tmp_path_factory.mktemp("statements")
    with served_gateway(directory, f"sqlite:///{directory / 'gateway.sqlite3'}") as api:
        core, supplier1, supplier2 = (
            api.client("core"),
            api.client("supplier1"),
            api.client("supplier2"),
        )
        bank = api.client("bank")
        start = api.chain_time()
        due = start + 3 * DAY
        body = {
            "creditor": api.address("supplier1"),
            "face_amount": _sent(1_000_000),
            "currency": "CNY",
            "due_date": due,
            "document_hash": api.document("core", "statement invoice"),
        }
        issued = _ok(write(core, "/v1/receivables", "issue", body))
        slot = int(event(issued, "ReceivableIssued")["slot"])
        root = int(event(issued, "ReceivableIssued")["tokenId"])
        _ok(write(supplier1, f"/v1/receivables/{slot}/accept", "accept"))
        split_body = {"to": api.address("supplier2"), "value": _sent(300_000)}
        split = _ok(write(supplier1, f"/v1/pieces/{root}/transfers", "split", split_body))
        child = int(event(split, "PieceSplit")["childTokenId"])
        split_value = _units(event(split, "PieceSplit")["value"])
        _ok(write(supplier2, f"/v1/pieces/{child}/sign", "sign"))
        terms: dict[str, Any] = {"advance": _sent(290_000), "repayment": _sent(0)}
        terms["fees"] = _sent(1_000)
        terms["fund_by"] = due - DAY
        ask = {"token_id": child, "financiers": [api.address("bank")], "terms": terms}
        asked = _ok(write(supplier2, "/v1/financing-requests", "ask", ask | {"mode": "factoring"}))
        request_id = int(event(asked, "FinancingRequested")["requestId"])
        path = f"/v1/financing-requests/{request_id}"
        _ok(write(bank, f"{path}/offers", "offer", terms))  # the asked terms: accepted at once
        # The bank's funding is checked (maker-checker): the reference is recorded when the
        # approved draft runs, not when the maker asks.
        engine = create_db_engine(api.database_url)
        with transaction(session_factory(engine)) as session:
            set_policy(session, "bank", Policy(kinds=frozenset({"financing.fund"})), by="tests")
        engine.dispose()
        maker = person_key(api, "bank", "mia", ["maker"], ["read", "write"])
        checker = person_key(api, "bank", "chen", ["checker"], ["read", "approve"])
        with httpx.Client(base_url=api.url, headers={"Authorization": f"Bearer {maker}"}) as mia:
            draft = _ok(write(mia, f"{path}/fund", "fund", {"payment_ref": WIRE}))
        assert draft["object"] == "draft"
        auth = {"Authorization": f"Bearer {checker}"}
        with httpx.Client(base_url=api.url, headers=auth, timeout=70) as chen:
            approved = _ok(chen.post(f"/v1/drafts/{draft['id']}/approve"))
        operation = approved["operation"]["id"]

        def funded() -> dict[str, Any] | None:
            """Mined with its events indexed (its status reads `indexed` once waited for)."""
            body = _ok(bank.get(f"/v1/operations/{operation}"))
            return body if body["events"] else None

        op = eventually(funded, what="the approved funding indexed", timeout=60)
        assert event(op, "FinancingFunded")["paymentRefText"] == WIRE  # the operation's
        api.rpc("evm_increaseTime", 4 * DAY)
        api.rpc("evm_mine")
        settle = {"slot": slot, "token_ids": [root, child], "payment_ref": PAY}
        _ok(write(core, "/v1/settlements", "settle", settle))
        _ok(write(supplier1, f"/v1/settlements/{root}/confirm", "confirm-1"))
        _ok(write(bank, f"/v1/settlements/{child}/confirm", "confirm-2"))
        zone = ZoneInfo("Asia/Shanghai")
        first = datetime.fromtimestamp(start, UTC).astimezone(zone).date() - timedelta(days=1)
        params = {"from": first.isoformat(), "to": (first + timedelta(days=10)).isoformat()}
        for client in (core, supplier1, supplier2, bank):
            client.close()
        yield Story(api, slot, root, child, request_id, split_value, params)


def _get(story: Story, participant: str, path: str, **params: str) -> httpx.Response:
    with story.api.client(participant) as client:
        return client.get(path, params=story.params | params)


def _statement(story: Story, participant: str) -> dict[str, Any]:
    response = _get(story, participant, "/v1/statements")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _minor(amount: str) -> int:
    return parse_amount(amount, "CNY")


def _units(value: int | str) -> int:
    """An amount the API answers, in minor units: an integer, or a decimal string in CNY
    (once every amount of the API is one)."""
    return value if isinstance(value, int) else _minor(value)


def _sent(minor: int) -> str:
    """An amount as request bodies take it: a decimal string in CNY."""
    return format_amount(minor, "CNY")


def _by_kind(body: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in body["lines"]:
        found[line["kind"]].append(line)
    return found


def _check_totals(body: dict[str, Any]) -> None:
    """Each total is the count and sum of its lines."""
    sums: dict[tuple[str, str], tuple[int, int]] = defaultdict(lambda: (0, 0))
    for line in body["lines"]:
        count, amount = sums[(line["kind"], line["currency"])]
        sums[(line["kind"], line["currency"])] = (count + 1, amount + _minor(line["amount"] or "0"))
    totals = {
        (t["kind"], t["currency"]): (t["lines"], _minor(t["amount"] or "0")) for t in body["totals"]
    }
    assert totals == dict(sums)


def test_statements_sum_to_the_ledger(story: Story) -> None:
    api = story.api
    with api.client("auditor") as auditor:
        receivable = auditor.get(f"/v1/receivables/{story.slot}").json()
        request = auditor.get(f"/v1/financing-requests/{story.request_id}").json()
        settled = {s["token_id"]: s for s in auditor.get("/v1/settlements").json()["items"]}
    face, settled_value = _units(receivable["face_amount"]), _units(receivable["settled_value"])
    assert settled_value == face  # the story settled everything

    core = _by_kind(_statement(story, "core"))
    assert [(x["counterparty"], _minor(x["amount"])) for x in core["receivable_issued"]] == [
        (api.address("supplier1"), face)
    ]
    submitted = core["settlement_submitted"]
    assert sum(_minor(x["amount"]) for x in submitted) == settled_value
    assert {x["counterparty"] for x in submitted} == {api.address("supplier1"), api.address("bank")}
    confirmed = core["settlement_confirmed"]
    assert {(x["token_id"], _minor(x["amount"])) for x in confirmed} == {
        (token, _units(s["amount"])) for token, s in settled.items()
    }
    assert {x["payment_ref"] for x in submitted + confirmed} == {PAY}

    supplier2 = _statement(story, "supplier2")
    lines = _by_kind(supplier2)
    assert [(x["token_id"], _minor(x["amount"])) for x in lines["piece_received"]] == [
        (story.child, story.split_value)
    ]
    funded = lines["financing_funded"]
    assert [(x["counterparty"], _minor(x["amount"]), x["payment_ref"]) for x in funded] == [
        (api.address("bank"), _units(request["agreed"]["advance"]), WIRE)
    ]
    assert funded[0]["counterparty_name"]
    # The factored piece was assigned to the bank: supplier2 sent it whole.
    assert [x["counterparty"] for x in lines["piece_sent"]] == [api.address("bank")]
    for body in (supplier2, _statement(story, "core"), _statement(story, "supplier1")):
        _check_totals(body)
        for line in body["lines"]:
            at = datetime.fromisoformat(line["at_iso"])
            assert at.utcoffset() == timedelta(hours=8)  # Asia/Shanghai
            assert int(at.timestamp()) == line["at"]

    assert _statement(story, "supplier3")["lines"] == []


def test_payer_and_payee_read_the_reference_a_third_party_the_hash(story: Story) -> None:
    path = f"/v1/financing-requests/{story.request_id}"
    for participant in ("bank", "supplier2"):
        with story.api.client(participant) as client:
            body = client.get(path).json()
        assert (body["payment_ref"], body["payment_ref_hash"]) == (WIRE, _hash(WIRE))
    with story.api.client("auditor") as auditor:
        assert auditor.get(path).json()["payment_ref"] == _hash(WIRE)
        listed = auditor.get("/v1/settlements").json()["items"]
        assert {s["payment_ref"] for s in listed} == {_hash(PAY)}
    with story.api.client("supplier1") as supplier1:
        assert_problem(supplier1.get(path), 404, "not-found")
    for participant, token in (
        ("core", story.root),
        ("supplier1", story.root),
        ("bank", story.child),
    ):
        with story.api.client(participant) as client:
            items = client.get("/v1/settlements").json()["items"]
        mine = {s["token_id"]: s for s in items}
        assert (mine[token]["payment_ref"], mine[token]["payment_ref_hash"]) == (PAY, _hash(PAY))


def test_a_refused_payment_records_no_reference(story: Story) -> None:
    """The contract refuses supplier2's funding of its own request: a failed operation, and
    no reference row."""
    path = f"/v1/financing-requests/{story.request_id}/fund"
    with story.api.client("supplier2") as supplier2:
        refused = write(supplier2, path, "refused", {"payment_ref": "NOT-PAID"})
    assert_problem(refused, 403, "not-financier")
    engine = create_db_engine(story.api.database_url)
    with session_factory(engine)() as session:
        texts = set(session.scalars(select(PaymentReference.text)))
    engine.dispose()
    assert texts == {WIRE, PAY}


def _funded(participant: str, story: Story) -> dict[str, Any]:
    with story.api.client(participant) as client:
        items = client.get("/v1/events", params={"limit": 500}).json()["items"]
    args: dict[str, Any] = next(e["args"] for e in items if e["name"] == "FinancingFunded")
    return args


def test_events_add_the_reference_in_clear_for_payer_and_payee(story: Story) -> None:
    """The feed keeps the hash the chain emitted; payer and payee also get the text."""
    for participant in ("bank", "supplier2"):
        funded = _funded(participant, story)
        assert (funded["paymentRef"], funded["paymentRefText"]) == (_hash(WIRE), WIRE)
    audited = _funded("auditor", story)
    assert audited["paymentRef"] == _hash(WIRE)
    assert "paymentRefText" not in audited


def test_reconciliation_lists_each_payment_by_reference(story: Story) -> None:
    api = story.api
    response = _get(story, "bank", "/v1/reconciliation")
    assert response.status_code == 200, response.text
    payments = response.json()["payments"]
    assert [
        (p["kind"], p["payment_ref"], p["payment_ref_hash"], p["payer"], p["payee"])
        for p in payments
    ] == [
        ("financing_funded", WIRE, _hash(WIRE), api.address("bank"), api.address("supplier2")),
        ("settlement_submitted", PAY, _hash(PAY), api.address("core"), api.address("bank")),
        ("settlement_confirmed", PAY, _hash(PAY), api.address("core"), api.address("bank")),
    ]
    assert all(p["tx_hash"].startswith("0x") and p["at_iso"] for p in payments)
    audited = _get(story, "auditor", "/v1/reconciliation").json()["payments"]
    assert len(audited) == 5  # the funding, two submissions, two confirmations
    assert {p["payment_ref"] for p in audited} == {None}
    assert {p["payment_ref_hash"] for p in audited} == {_hash(WIRE), _hash(PAY)}
    assert _get(story, "supplier3", "/v1/reconciliation").json()["payments"] == []


def test_csv_and_xlsx_read_back_to_the_json_lines(story: Story) -> None:
    lines = _statement(story, "core")["lines"]
    expected = [
        [
            x["at_iso"],
            x["kind"],
            x["counterparty"],
            x["amount"],
            x["payment_ref"] or "",
            x["tx_hash"],
        ]
        for x in lines
    ]
    response = _get(story, "core", "/v1/statements", format="csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    disposition = response.headers["content-disposition"]
    name = f"statement-core-{story.params['from']}-{story.params['to']}.csv"
    assert disposition == f'attachment; filename="{name}"'
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads Chinese
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    got = [
        [r["date"], r["kind"], r["counterparty"], r["amount"], r["payment_ref"], r["tx_hash"]]
        for r in rows[: len(lines)]
    ]
    assert got == expected

    response = _get(story, "core", "/v1/statements", format="xlsx")
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content))["Statement"]
    rows_x = list(sheet.iter_rows(values_only=True))
    header = list(rows_x[0])
    at = {
        name: header.index(name)
        for name in ("date", "kind", "counterparty", "amount", "payment_ref", "tx_hash")
    }
    for row, line in zip(rows_x[1:], lines, strict=True):
        assert Decimal(repr(row[at["amount"]])) == Decimal(line["amount"])
        assert [
            row[at["date"]],
            row[at["kind"]],
            row[at["counterparty"]],
            row[at["payment_ref"]],
            row[at["tx_hash"]],
        ] == [
            line["at_iso"],
            line["kind"],
            line["counterparty"],
            line["payment_ref"],
            line["tx_hash"],
        ]

    response = _get(story, "bank", "/v1/reconciliation", format="csv")
    assert response.status_code == 200, response.text
    refs = [
        r["payment_ref"] for r in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
    ]
    assert refs == [WIRE, PAY, PAY]


@pytest.mark.parametrize(
    ("params", "slug"),
    [
        ({"from": "2026-13-01"}, "period-invalid"),
        ({"from": "20260101"}, "period-invalid"),
        ({"from": "2026-W48-4"}, "period-invalid"),
        ({"from": "\uff12\uff10\uff12\uff16-01-01"}, "period-invalid"),  # fullwidth
        ({"from": "2026-02-01", "to": "2026-01-31"}, "period-invalid"),
        ({"from": "2025-01-01", "to": "2026-01-02"}, "period-invalid"),
        ({"format": "pdf"}, "export-format-unknown"),
        ({"tz": "Mars/Olympus"}, "time-zone-unknown"),
        ({"tz": "../../etc/passwd"}, "time-zone-unknown"),
    ],
)
@pytest.mark.parametrize("path", ["/v1/statements", "/v1/reconciliation"])
def test_bad_period_format_or_zone_is_a_problem(
    story: Story, path: str, params: dict[str, str], slug: str
) -> None:
    assert_problem(_get(story, "core", path, **params), 422, slug)


def test_xlsx_amounts_are_exact() -> None:
    """0.10 + 0.20 is a number cell that reads back as 0.30 exactly; the largest amount
    (39 digits, beyond a double) is text, never rounded."""
    small = format_amount(10 + 20, "CNY")
    largest = format_amount(MAX_AMOUNT, "CNY")
    sheet = Sheet("Amounts", ["amount"], [[Money(small, "CNY")], [Money(largest, "CNY")]])
    book = load_workbook(io.BytesIO(xlsx_bytes([sheet])))
    cells = [row[0] for row in book["Amounts"].iter_rows(min_row=2)]
    assert isinstance(cells[0].value, float)
    assert cells[0].number_format == "#,##0.00"
    assert Decimal(repr(cells[0].value)) == Decimal("0.30")
    assert (cells[1].data_type, cells[1].value) == ("s", largest)
    assert csv_bytes([sheet]) == "\ufeffamount\r\n0.30\r\n".encode() + f"{largest}\r\n".encode()


def test_the_sdk_reads_statements_and_downloads_the_files(story: Story) -> None:
    api, first, last = story.api, story.params["from"], story.params["to"]
    with ScfClient(api.url, api_key=api.seeded.api_keys["bank"]) as bank:
        statement = bank.statement(first, last)
        payments = bank.reconciliation(first, last, tz="UTC")
        sheet = load_workbook(io.BytesIO(bank.reconciliation_file(first, last)))["Reconciliation"]
        text = bank.statement_file(first, last, "csv").decode("utf-8-sig")
    assert statement.participant == "bank"
    assert statement.lines == [
        StatementLineOut.model_validate(x) for x in _statement(story, "bank")["lines"]
    ]
    assert [p.payment_ref for p in payments.payments] == [WIRE, PAY, PAY]
    assert all(p.at_iso.endswith("+00:00") for p in payments.payments)
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [WIRE, PAY, PAY]
    assert text.splitlines()[0].startswith("date,kind,counterparty,")
