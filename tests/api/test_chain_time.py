"""Time: the chain's clock over the API (`/v1/chain/time`), ISO 8601 beside every Unix-seconds
field, `scf dev advance-time` on the dev chain, and one clock for risk and the aging report."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from scfledger.chain.node import connect
from scfledger.cli import app
from scfledger.cli.gateway import CHAIN_FILE, write_chain
from scfledger.devchain.local import ANVIL, CLIQUE
from scfledger.risk.reports import AGING_BUCKETS
from scfledger_client import ScfClient
from scfledger_client.models import OperationOut
from tests.support.anvil import free_port
from tests.support.api import assert_problem, event, write
from tests.support.served import Served, served_gateway
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

DAY = 86_400
FACE = 1_000_000
FACE_TEXT = "10000.00"  # FACE fen in CNY, as the API and the reports show it
DUE_IN = 10 * DAY


@dataclass(frozen=True)
class World:
    api: Served
    up: Path  # what `scf up --dir` would have written about its chain
    slot: int
    request_id: int
    due: int


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """supplier1 holds core's receivable due in ten days (chain time) and asks the bank to
    factor it; `up` holds the chain file `scf up` writes, naming this gateway's anvil."""
    directory = tmp_path_factory.mktemp("time")
    with served_gateway(directory, f"sqlite:///{directory / 'gateway.sqlite3'}") as api:
        due = api.chain_time() + DUE_IN
        body = {
            "creditor": api.address("supplier1"),
            "face_amount": FACE_TEXT,
            "currency": "CNY",
            "due_date": due,
            "document_hash": api.document("core", "invoice of the time story"),
        }
        with api.client("core") as core:
            issued = write(core, "/v1/receivables", "time-issue", body).json()
        slot = int(event(issued, "ReceivableIssued")["slot"])
        token = int(event(issued, "ReceivableIssued")["tokenId"])
        with api.client("supplier1") as supplier1:
            write(supplier1, f"/v1/receivables/{slot}/accept", "time-accept")
            terms: dict[str, Any] = {"advance": "7000.00", "repayment": "0.00", "fees": "0.00"}
            terms["fund_by"] = due - DAY
            asked = {"token_id": token, "financiers": [api.address("bank")], "terms": terms}
            requested = write(supplier1, "/v1/financing-requests", "time-ask", asked).json()
        up = directory / "up"
        up.mkdir()
        write_chain(up / CHAIN_FILE, engine=ANVIL, rpc=api.chain_url)
        yield World(api, up, slot, int(event(requested, "FinancingRequested")["requestId"]), due)


def chain_time(api: Served, participant: str = "supplier1") -> dict[str, Any]:
    with api.client(participant) as client:
        response = client.get("/v1/chain/time")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def scf(*args: str) -> tuple[int, str]:
    """`scf ARGS` as a user runs it (in this process): exit status and output."""
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "400"})
    return result.exit_code, result.output


def test_chain_time_answers_the_latest_block_beside_the_gateway_clock(world: World) -> None:
    api = world.api
    assert api.gateway is not None
    real = api.gateway.wall_clock
    wall = datetime(2026, 11, 26, 7, 0, 0, tzinfo=UTC)
    api.gateway.wall_clock = lambda: wall
    try:
        body = chain_time(api, "auditor")
    finally:
        api.gateway.wall_clock = real
    latest = api.rpc("eth_getBlockByNumber", "latest", False)
    stamp = int(latest["timestamp"], 16)
    assert body["block_number"] == int(latest["number"], 16)
    assert (body["block_timestamp"], body["block_timestamp_iso"]) == (stamp, iso(stamp))
    assert body["block_timestamp_iso"].endswith("+00:00")
    assert (body["gateway_time"], body["gateway_time_iso"]) == (
        int(wall.timestamp()),
        "2026-11-26T07:00:00+00:00",
    )
    assert body["chain_ahead_seconds"] == stamp - int(wall.timestamp())
    indexed = body["indexed_block"]
    assert indexed is not None
    assert indexed <= body["block_number"]
    block = api.rpc("eth_getBlockByNumber", hex(indexed), False)
    assert body["indexed_timestamp"] == int(block["timestamp"], 16)
    assert body["indexed_timestamp_iso"] == iso(body["indexed_timestamp"])


def test_the_sdk_reads_the_chain_time_with_its_iso_siblings(world: World) -> None:
    with ScfClient(world.api.url, api_key=world.api.seeded.api_keys["core"]) as client:
        answer = client.chain_time()
    assert answer.block_timestamp_iso == iso(answer.block_timestamp)
    assert answer.gateway_time_iso == iso(answer.gateway_time)
    assert answer.chain_ahead_seconds == answer.block_timestamp - answer.gateway_time


def test_chain_time_needs_a_caller_and_answers_503_without_a_node(world: World) -> None:
    api = world.api
    assert_problem(httpx.get(f"{api.url}/v1/chain/time"), 401, "unauthenticated")
    assert api.gateway is not None
    node = api.gateway.w3
    api.gateway.w3 = connect(f"http://127.0.0.1:{free_port()}", retries=1, backoff=0.01)
    try:
        with api.client("supplier1") as client:
            assert_problem(client.get("/v1/chain/time"), 503, "chain-unavailable")
    finally:
        api.gateway.w3 = node


def test_every_unix_seconds_field_answers_its_iso_8601_sibling(world: World) -> None:
    api = world.api
    with api.client("supplier1") as client:
        receivable = client.get(f"/v1/receivables/{world.slot}").json()
        request = client.get(f"/v1/financing-requests/{world.request_id}").json()
    assert receivable["due_date"] == world.due
    for body, name in (
        (receivable, "due_date"),
        (receivable, "issue_date"),
        (request, "expires_at"),
        (request["asked"], "fund_by"),
    ):
        assert body[f"{name}_iso"] == iso(body[name]), name
        assert datetime.fromisoformat(body[f"{name}_iso"]).timestamp() == body[name]
    with api.client("bank") as bank:
        risk = bank.get(f"/v1/financing-requests/{world.request_id}/risk").json()
    assert risk["indicators"]["now_iso"] == iso(risk["indicators"]["now"])


def test_openapi_documents_an_iso_sibling_beside_every_unix_seconds_field(world: World) -> None:
    document = httpx.get(f"{world.api.url}/openapi.json", timeout=60).json()
    found = 0
    for name, schema in document["components"]["schemas"].items():
        properties = schema.get("properties", {})
        for field, spec in properties.items():
            text = json.dumps(spec)
            # A quote's `terms` (OfferTermsOut) is an offer's body as it is: TermsIn forbids
            # unknown fields, so it has no sibling.
            if "Unix seconds" not in text or name.endswith(("In", "-Input", "OfferTermsOut")):
                continue
            sibling = properties.get(f"{field}_iso")
            assert sibling is not None, f"{name}.{field} has no {field}_iso"
            # Computed by `Dated` (read-only, UTC), or a statement's time in its period's zone.
            assert sibling.get("readOnly") is True or name in {"PaymentOut", "StatementLineOut"}
            assert f"{field}_iso" in schema["required"]
            found += 1
    assert found >= 9  # due, issue, fund_by, expires_at, deadline, confirm_by, now, chain time


def test_advance_time_refuses_what_cannot_travel(world: World, tmp_path: Path) -> None:
    assert scf("dev", "advance-time", "--dir", str(tmp_path), "1d") == (
        2,
        f"no chain of `scf up` at {tmp_path / CHAIN_FILE}: nothing is running (start it with"
        f" `scf up --dir {tmp_path}`)\n",
    )
    write_chain(tmp_path / CHAIN_FILE, engine=CLIQUE, rpc=world.api.chain_url)
    status, output = scf("dev", "advance-time", "--dir", str(tmp_path), "1d")
    assert status == 2
    assert "is a go-ethereum Clique network" in output
    assert "no call sets a block's time" in output
    stopped = f"http://127.0.0.1:{free_port()}"
    write_chain(tmp_path / CHAIN_FILE, engine=ANVIL, rpc=stopped)
    status, output = scf("dev", "advance-time", "--dir", str(tmp_path), "1d")
    assert (status, f"nothing answers at {stopped}" in output) == (2, True)
    before = world.api.rpc("eth_getBlockByNumber", "latest", False)
    for arguments, refused in (
        (["--to", "2020-01-31"], 1),  # the past: time never goes backwards
        (["1y"], 2),
        (["0d"], 2),
        (["--to", "2099-01-31T09:00:00"], 2),  # no offset
        (["1d", "--to", "2099-01-31"], 2),
        ([], 2),
    ):
        status, output = scf("dev", "advance-time", "--dir", str(world.up), *arguments)
        assert status == refused, (arguments, output)
    assert world.api.rpc("eth_getBlockByNumber", "latest", False) == before  # nothing moved


def test_advance_time_moves_the_chain_and_risk_and_aging_agree_on_days_past_due(
    world: World, tmp_path: Path
) -> None:
    api = world.api
    before = chain_time(api)
    assert before["block_timestamp"] < world.due  # not due yet
    status, output = scf("dev", "advance-time", "--dir", str(world.up), "25d")
    assert status == 0, output
    moved = re.fullmatch(r"chain time (\S+) \((\d+)\), block (\d+): 25d( \d+s)? later\n", output)
    assert moved is not None, output
    stamp, block = int(moved[2]), int(moved[3])
    assert moved[1] == iso(stamp)
    assert stamp >= before["block_timestamp"] + 25 * DAY
    after = chain_time(api)
    assert (after["block_number"], after["block_timestamp"]) == (block, stamp)
    assert after["chain_ahead_seconds"] >= 25 * DAY - 60

    # The index reaches the new block: from then on risk and reports judge at its time.
    eventually(lambda: (chain_time(api)["indexed_block"] or 0) >= block, what="index the block")
    indexed = chain_time(api)["indexed_timestamp"]
    assert indexed >= stamp
    with api.client("bank") as bank:
        risk = bank.get(f"/v1/financing-requests/{world.request_id}/risk").json()
    indicators = risk["indicators"]
    assert indicators["now"] == indexed
    days_past_due = -indicators["piece"]["days_to_maturity"]
    assert days_past_due == -((world.due - indexed) // DAY) >= 15
    assert indicators["debtor"]["open_overdue_value"] == FACE_TEXT

    report = tmp_path / "aging.csv"
    database = api.database_url
    status, output = scf(
        "report", "aging", "--db", database, "--rpc", api.chain_url, "--csv", str(report)
    )
    assert status == 0, output
    assert f"aged at {iso(indexed)} ({indexed})" in output
    rows = {row["bucket"]: row for row in csv.DictReader(io.StringIO(report.read_text()))}
    (bucket,) = [label for label, _ in AGING_BUCKETS if Decimal(rows[label]["value"]) != 0]
    upper = dict(AGING_BUCKETS)
    lower = {"not_due": 0, "1-30": 1, "31-60": 31, "61-90": 61, "over_90": 91}[bucket]
    assert lower <= days_past_due <= (upper[bucket] or days_past_due)
    assert (bucket, rows[bucket]["value"]) == ("1-30", FACE_TEXT)
    # Without a node and a time it refuses rather than age at a computer's clock.
    status, output = scf("report", "aging", "--db", database)
    assert status == 2
    assert "ages at the chain's time" in output


def test_a_dev_chain_has_no_peers_and_is_not_clique(world: World) -> None:
    """anvil serves neither `net_peerCount` nor `clique_getSigners`: the network's facts
    are null, not invented (the status page says "not a Clique network")."""
    with world.api.client("auditor") as auditor:
        response = auditor.get("/v1/chain/network")
    assert response.status_code == 200, response.text
    assert response.json() == {"engine": "dev", "peer_count": None, "sealers": None}


def test_a_piece_is_marked_overdue_then_defaulted_when_the_chains_clock_allows(
    world: World,
) -> None:
    """Any member who sees an unpaid piece marks it overdue after its due date and the
    slot's grace period (3 days by default), then defaulted after the default period (30
    days more); the contract reads the clock, and a member who does not see it gets 404.
    (Last in the module: it moves the chain's clock past every due date here.)"""
    api = world.api
    due = api.chain_time() + DUE_IN
    body = {
        "creditor": api.address("supplier1"),
        "face_amount": FACE_TEXT,
        "currency": "CNY",
        "due_date": due,
        "document_hash": api.document("core", "invoice of the overdue story"),
    }
    with api.client("core") as core:
        issued = write(core, "/v1/receivables", "overdue-issue", body).json()
    slot, token = (int(event(issued, "ReceivableIssued")[k]) for k in ("slot", "tokenId"))
    with api.client("supplier1") as supplier1:
        write(supplier1, f"/v1/receivables/{slot}/accept", "overdue-accept")

    def mark(who: str, action: str, key: str) -> httpx.Response:
        with api.client(who) as client:
            return write(client, f"/v1/pieces/{token}/{action}", key)

    def state() -> str:
        with api.client("supplier1") as supplier1:
            return str(supplier1.get(f"/v1/pieces/{token}").json()["state"])

    def travel(to: int) -> None:
        api.rpc("anvil_setNextBlockTimestamp", to)
        api.rpc("evm_mine")

    assert_problem(mark("supplier1", "overdue", "early"), 409, "grace-period-running")
    assert_problem(mark("supplier1", "default", "not-overdue"), 409, "invalid-piece-state")
    travel(due + 3 * DAY)
    assert_problem(mark("supplier2", "overdue", "outsider"), 404, "not-found")
    marked = mark("core", "overdue", "overdue")
    assert marked.status_code == 202, marked.text
    assert state() == "overdue"
    assert_problem(mark("supplier1", "default", "early-default"), 409, "default-period-running")
    travel(due + 33 * DAY)
    with ScfClient(api.url, api_key=api.seeded.api_keys["supplier1"]) as sdk:  # the SDK's way
        defaulted = sdk.mark_defaulted(token, wait="indexed")
    assert isinstance(defaulted, OperationOut)
    assert defaulted.status == "indexed"
    assert state() == "defaulted"
