"""Set-off through the real API on anvil (docs/setoff.md): three members who owe each other
in a circle see the plan (each only its own part), one proposes the plan's round, each
party consents (one through maker-checker), the round executes, the pieces shrink and
statements show netted lines; a refusal; a piece changed between proposal and execution;
a non-party can neither see nor answer a round; bodies the contract would refuse are
refused first."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from typer.testing import CliRunner, Result

from scfledger.chain.generated import Role
from scfledger.cli import app
from scfledger.db.session import create_db_engine, session_factory, transaction
from scfledger.people.policy import DEFAULT_KINDS, Policy, set_policy
from scfledger.services.statements import DEFAULT_ZONE
from scfledger_client import ApiProblem, ScfClient
from scfledger_client.models import ItemIn, OperationOut, ProposeIn
from tests.support.api import PROBLEM, assert_problem, cny, event, fen, write
from tests.support.checking import person_key, without_maker_checker
from tests.support.served import Served, served_gateway
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

DAY = 86_400
TRADER = Role.CORE_ENTERPRISE | Role.SUPPLIER
# a owes b, b owes c, c owes a: a circle of debt (each member owes and is owed).
MEMBERS = {"a": TRADER, "b": TRADER, "c": TRADER, "d": TRADER, "auditor": Role.AUDITOR}
CIRCLE = (("a", "b", 1_000_000_00), ("b", "c", 600_000_00), ("c", "a", 400_000_00))
CLEARS = 400_000_00  # the circle's smallest debt: what clears around it


@dataclass
class Net:
    api: Served
    pieces: dict[tuple[str, str], int]  # (debtor, creditor) -> root token id
    documents: int = 0

    def client(self, name: str) -> httpx.Client:
        return self.api.client(name)

    def issue(self, debtor: str, creditor: str, amount: int) -> int:
        """An accepted receivable of `debtor` to `creditor`: its root piece."""
        self.documents += 1
        body = {
            "creditor": self.api.address(creditor),
            "face_amount": cny(amount),
            "currency": "CNY",
            "due_date": self.api.chain_time() + 90 * DAY,
            "document_hash": self.api.document(debtor, f"invoice {self.documents}"),
        }
        with self.client(debtor) as client:
            issued = _ok(write(client, "/v1/receivables", f"issue-{self.documents}", body))
        slot = int(event(issued, "ReceivableIssued")["slot"])
        with self.client(creditor) as client:
            _ok(write(client, f"/v1/receivables/{slot}/accept", f"accept-{slot}"))
        return int(event(issued, "ReceivableIssued")["tokenId"])

    def deadline(self, days: int = 7) -> int:
        return self.api.chain_time() + days * DAY


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 202), response.text
    body: dict[str, Any] = response.json()
    assert body.get("status") != "failed", body
    return body


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    directory = tmp_path_factory.mktemp("setoff")
    with served_gateway(directory, f"sqlite:///{directory / 'gateway.sqlite3'}", MEMBERS) as api:
        found = Net(api, {})
        for debtor, creditor, amount in CIRCLE:
            found.pieces[debtor, creditor] = found.issue(debtor, creditor, amount)
        yield found


def _plan(net: Net, name: str) -> dict[str, Any]:
    with net.client(name) as client:
        return _ok(client.get("/v1/setoff/plan", params={"currency": "CNY"}))


def _round(net: Net, name: str, round_id: int) -> httpx.Response:
    with net.client(name) as client:
        return client.get(f"/v1/setoff/rounds/{round_id}")


def _answer(net: Net, name: str, round_id: int, what: str, body: Any = None) -> httpx.Response:
    with net.client(name) as client:
        return write(client, f"/v1/setoff/rounds/{round_id}/{what}", f"{what}-{round_id}", body)


def _propose(net: Net, name: str, body: dict[str, Any], key: str) -> int:
    with net.client(name) as client:
        proposed = _ok(write(client, "/v1/setoff/rounds", key, body))
    return int(event(proposed, "RoundProposed")["roundId"])


def _rows(pieces: dict[tuple[str, str], int], amount: int = CLEARS) -> list[dict[str, Any]]:
    return [{"piece": p, "amount": cny(amount)} for p in sorted(pieces.values())]


# -- the story: plan, propose, consent, execute -------------------------------------------


@dataclass
class Story:
    """What each step answered (the tests below read it): the story runs once per served
    gateway, before any other round of this module (every test that proposes asks for it
    first), so its plan is the circle's alone."""

    round_id: int
    plans: dict[str, dict[str, Any]]  # before: a, the auditor, d (no party)
    cli: Result
    cli_refused: Result
    shown_b: dict[str, Any]  # the proposed round as b reads it
    awaiting_b: dict[str, Any]
    early_d: httpx.Response  # execute before the consents: d, a
    early_a: httpx.Response
    draft: dict[str, Any]  # c's maker's consent
    answer_c_held: str  # c's answer while its consent is a draft
    consents: int  # once the checker approved
    consent_d: httpx.Response
    executed: dict[str, Any]
    done: dict[str, Any]  # the round as the auditor reads it, executed
    pieces: dict[int, dict[str, Any]]  # after, as the auditor reads them
    receivables: dict[int, dict[str, Any]]
    plan_after: dict[str, Any]


@pytest.fixture(scope="module")
def story(net: Net) -> Story:
    api = net.api
    plans = {name: _plan(net, name) for name in ("a", "auditor", "d")}
    key, url = api.seeded.api_keys["a"], api.url
    cli = CliRunner().invoke(app, ["setoff", "plan", "--api-key", key, "--url", url])
    cli_refused = CliRunner().invoke(
        app, ["setoff", "plan", "--api-key", key, "--url", url, "--currency", "ZZZ"]
    )
    round_id = _propose(
        net, "a", {"plan_round": 1, "currency": "CNY", "deadline": net.deadline()}, "plan-1"
    )
    shown_b = _ok(_round(net, "b", round_id))
    with net.client("b") as client:
        awaiting_b = _ok(client.get("/v1/setoff/rounds", params={"awaiting_me": "true"}))
    with net.client("d") as client:
        early_d = write(client, f"/v1/setoff/rounds/{round_id}/execute", "early")
    with net.client("a") as client:
        early_a = write(client, f"/v1/setoff/rounds/{round_id}/execute", "early")
    _ok(_answer(net, "a", round_id, "consent"))
    _ok(_answer(net, "b", round_id, "consent"))
    # c's consent gives up a receivable: under the default policy a maker's consent is a
    # draft, which a checker approves.
    engine = create_db_engine(api.database_url)
    with transaction(session_factory(engine)) as session:
        set_policy(session, "c", Policy(DEFAULT_KINDS), by="tests")
    engine.dispose()
    maker = person_key(api, "c", "mia", ["maker"], ["read", "write"])
    checker = person_key(api, "c", "chen", ["checker"], ["read", "approve"])
    with httpx.Client(base_url=api.url, headers={"Authorization": f"Bearer {maker}"}) as mia:
        draft = _ok(write(mia, f"/v1/setoff/rounds/{round_id}/consent", "consent-c"))
    answer_c_held = _ok(_round(net, "c", round_id))["my_answer"]
    auth = {"Authorization": f"Bearer {checker}"}
    with httpx.Client(base_url=api.url, headers=auth, timeout=70) as chen:
        approved = _ok(chen.post(f"/v1/drafts/{draft['id']}/approve"))
    operation = approved["operation"]["id"]
    with net.client("c") as client:
        eventually(
            lambda: _ok(client.get(f"/v1/operations/{operation}"))["events"],
            what="c's approved consent indexed",
            timeout=60,
        )
    consents = _ok(_round(net, "c", round_id))["consents"]
    without_maker_checker(api.database_url, "c")  # the other tests are not about it
    with net.client("d") as client:
        consent_d = write(client, f"/v1/setoff/rounds/{round_id}/consent", "d")
    with net.client("b") as client:
        executed = _ok(write(client, f"/v1/setoff/rounds/{round_id}/execute", "execute"))
    done = _ok(_round(net, "auditor", round_id))
    with net.client("auditor") as auditor:
        pieces = {p: _ok(auditor.get(f"/v1/pieces/{p}")) for p in net.pieces.values()}
        receivables = {
            p: _ok(auditor.get(f"/v1/receivables/{piece['slot']}")) for p, piece in pieces.items()
        }
    return Story(
        round_id, plans, cli, cli_refused, shown_b, awaiting_b, early_d, early_a, draft,
        answer_c_held, consents, consent_d, executed, done, pieces, receivables,
        _plan(net, "auditor"),
    )  # fmt: skip


def test_each_member_sees_only_its_part_of_the_plan(net: Net, story: Story) -> None:
    api = net.api
    everything = story.plans["auditor"]
    assert [len(r["items"]) for r in everything["rounds"]] == [3]
    assert {(i["piece"], fen(i["amount"])) for i in everything["rounds"][0]["items"]} == {
        (p, CLEARS) for p in net.pieces.values()
    }
    assert fen(everything["cleared"]) == 3 * CLEARS
    assert fen(everything["total_debt"]) == sum(amount for *_, amount in CIRCLE)
    assert len(everything["positions"]) == 3

    mine = story.plans["a"]
    (planned,) = mine["rounds"]
    assert (planned["number"], planned["item_count"], fen(planned["total"])) == (1, 3, 3 * CLEARS)
    # a owes b and is owed by c: those two items, not b's debt to c.
    assert {i["piece"] for i in planned["items"]} == {net.pieces["a", "b"], net.pieces["c", "a"]}
    (position,) = mine["positions"]
    assert position["member"] == api.address("a")
    assert (fen(position["payable_before"]), fen(position["payable_after"])) == (
        1_000_000_00,
        1_000_000_00 - CLEARS,
    )
    assert (fen(position["receivable_before"]), fen(position["receivable_after"])) == (
        400_000_00,
        0,
    )
    assert (mine["total_debt"], mine["cleared"]) == (None, None)

    outsider = story.plans["d"]
    assert (outsider["rounds"], outsider["positions"]) == ([], [])


def test_scf_setoff_plan_prints_the_callers_rounds(net: Net, story: Story) -> None:
    shown = story.cli
    assert shown.exit_code == 0, shown.output
    assert "round 1: 3 items, 1200000.00" in shown.output  # 3 x 400,000.00 CNY
    assert str(net.pieces["b", "c"]) not in shown.output.split("positions")[0].split()
    assert story.cli_refused.exit_code == 1
    assert "currency-unknown" in story.cli_refused.output


def test_a_round_clears_the_circle_with_every_partys_consent(net: Net, story: Story) -> None:
    shown = story.shown_b
    assert (shown["status"], shown["item_count"], shown["consents"]) == ("proposed", 3, 0)
    assert {p["answer"] for p in shown["parties"]} == {"awaiting"}
    assert (fen(shown["gives_up"]), fen(shown["sheds"])) == (CLEARS, CLEARS)
    assert shown["my_answer"] == "awaiting"
    # A party reads the round whole: what it consents to.
    assert {i["piece"] for i in shown["items"]} == set(net.pieces.values())
    assert [r["id"] for r in story.awaiting_b["items"]] == [story.round_id]
    # Executing before every party consented: d is no party (it does not see the round);
    # for a party it is the contract's refusal, named.
    assert_problem(story.early_d, 404, "not-found")
    assert_problem(story.early_a, 409, "consents-missing")
    draft = story.draft
    assert (draft["object"], draft["kind"], fen(draft["amount"])) == (
        "draft",
        "setoff.consent",
        3 * CLEARS,
    )
    assert story.answer_c_held == "awaiting"  # nothing on chain while the draft waits
    assert story.consents == 3
    assert_problem(story.consent_d, 404, "not-found")  # no party: it cannot answer
    assert fen(event(story.executed, "RoundExecuted")["total"]) == 3 * CLEARS

    done = story.done
    assert done["status"] == "executed"
    remaining = {i["piece"]: fen(i["remaining"]) for i in done["items"]}
    assert remaining == {net.pieces[d, c]: amount - CLEARS for d, c, amount in CIRCLE}
    for debtor, creditor, amount in CIRCLE:
        piece = net.pieces[debtor, creditor]
        live = fen(story.pieces[piece]["value"])
        receivable = story.receivables[piece]
        assert live == amount - CLEARS
        assert fen(receivable["netted_value"]) == CLEARS
        settled = fen(receivable["settled_value"])
        assert live + settled + CLEARS == fen(receivable["face_amount"])
    # Nothing is left to clear: the plan is empty.
    assert story.plan_after["rounds"] == []


def test_statements_show_what_netted_for_holder_and_debtor(net: Net, story: Story) -> None:
    # the statement's days are Asia/Shanghai's (its default zone): in UTC, from 16:00 the
    # day would still be yesterday's, and the period would end before the round.
    day = datetime.fromtimestamp(net.api.chain_time(), ZoneInfo(DEFAULT_ZONE)).date()
    params = {"from": (day - timedelta(days=2)).isoformat(), "to": day.isoformat()}
    with net.client("a") as client:
        lines = _ok(client.get("/v1/statements", params=params))["lines"]
    netted = sorted(
        (x["kind"], x["token_id"], fen(x["amount"])) for x in lines if x["status"] == "netted"
    )
    assert netted == sorted(
        [
            ("netted_payable", net.pieces["a", "b"], CLEARS),
            ("netted_receivable", net.pieces["c", "a"], CLEARS),
        ]
    )
    with net.client("d") as client:
        assert [x for x in _ok(client.get("/v1/statements", params=params))["lines"]] == []


# -- refusal and a piece changed ----------------------------------------------------------


def _circle(net: Net, amount: int) -> dict[tuple[str, str], int]:
    return {(d, c): net.issue(d, c, amount) for d, c, _ in CIRCLE}


def test_a_refused_round_can_no_longer_execute(net: Net, story: Story) -> None:
    """Through the Python SDK."""
    api = net.api
    pieces = _circle(net, 200_000_00)
    items = [ItemIn(piece=p, amount=cny(200_000_00)) for p in sorted(pieces.values())]

    def sdk(name: str) -> ScfClient:
        return ScfClient(api.url, api_key=api.seeded.api_keys[name], wait="indexed")

    with sdk("b") as b:
        proposed = b.propose_round(ProposeIn(items=items, deadline=net.deadline()))
        assert isinstance(proposed, OperationOut)
        round_id = int(
            next(e.args["roundId"] for e in proposed.events if e.name == "RoundProposed")
        )
    with sdk("a") as a:
        a.consent_round(round_id)
    with sdk("c") as c:
        c.refuse_round(round_id, "pieces promised to our bank")
    with sdk("a") as a:
        shown = a.setoff_round(round_id)
        assert (shown.status, shown.refused_by) == ("refused", api.address("c"))
        assert {p.party: p.answer for p in shown.parties}[api.address("c")] == "refused"
        with pytest.raises(ApiProblem) as refused:
            a.execute_round(round_id)
    assert (refused.value.status, refused.value.type) == (409, PROBLEM + "round-closed")
    with sdk("auditor") as auditor:
        listed = auditor.setoff_rounds(status="refused")
    assert round_id in [r.id for r in listed.items]


def test_a_piece_changed_since_the_proposal_stops_execution(net: Net, story: Story) -> None:
    pieces = _circle(net, 300_000_00)
    round_id = _propose(
        net, "c", {"items": _rows(pieces, 100_000_00), "deadline": net.deadline()}, "changed"
    )
    for name in ("a", "b", "c"):
        _ok(_answer(net, name, round_id, "consent"))
    # b sends part of the piece a owes it to d: its value changed since the proposal.
    piece = pieces["a", "b"]
    with net.client("b") as client:
        body = {"to": net.api.address("d"), "value": cny(50_000_00)}
        _ok(write(client, f"/v1/pieces/{piece}/transfers", "split-changed", body))
        refused = write(client, f"/v1/setoff/rounds/{round_id}/execute", "run-changed")
    problem = assert_problem(refused, 409, "piece-changed-since-plan")
    assert problem["error"]["args"]["tokenId"] == piece
    with net.client("auditor") as client:
        assert _ok(client.get(f"/v1/pieces/{pieces['b', 'c']}"))["value"] == cny(300_000_00)


def test_a_non_party_sees_no_round(net: Net, story: Story) -> None:
    with net.client("auditor") as client:
        rounds = _ok(client.get("/v1/setoff/rounds"))["items"]
    assert rounds
    with net.client("d") as client:
        assert _ok(client.get("/v1/setoff/rounds"))["items"] == []
        for r in rounds:
            assert_problem(client.get(f"/v1/setoff/rounds/{r['id']}"), 404, "not-found")
    with net.client("a") as client:  # a party: it sees the rounds it is party to
        assert [r["id"] for r in _ok(client.get("/v1/setoff/rounds"))["items"]] == [
            r["id"] for r in rounds
        ]


def test_a_held_proposal_shows_its_checker_amounts_as_decimal_strings(
    net: Net, story: Story
) -> None:
    api = net.api
    engine = create_db_engine(api.database_url)
    with transaction(session_factory(engine)) as session:
        set_policy(session, "b", Policy(frozenset({"setoff.propose"})), by="tests")
    engine.dispose()
    maker = person_key(api, "b", "mia", ["maker"], ["read", "write"])
    checker = person_key(api, "b", "chen", ["checker"], ["read", "approve"])
    pieces = sorted(net.pieces.values())
    body = {"items": _amounts(pieces, "1.00", "1.00", "1.00"), "deadline": net.deadline()}
    with httpx.Client(base_url=api.url, headers={"Authorization": f"Bearer {maker}"}) as mia:
        draft = _ok(write(mia, "/v1/setoff/rounds", "held-proposal", body))
    assert (draft["object"], draft["kind"]) == ("draft", "setoff.propose")
    assert draft["arguments"]["items"] == [[p, "1.00"] for p in pieces]
    auth = {"Authorization": f"Bearer {checker}"}
    with httpx.Client(base_url=api.url, headers=auth) as chen:
        rejected = chen.post(f"/v1/drafts/{draft['id']}/reject", json={"reason": "not now"})
    assert _ok(rejected)["status"] == "rejected"
    without_maker_checker(api.database_url, "b")


# -- what is refused before the chain -----------------------------------------------------


@pytest.fixture(scope="module")
def spare(net: Net, story: Story) -> list[int]:
    """A circle of 1,000,000.00 each, after the story (it reads the plan)."""
    return sorted(_circle(net, 1_000_000_00).values())


def _amounts(pieces: list[int], *amounts: str) -> list[dict[str, Any]]:
    return [{"piece": p, "amount": a} for p, a in zip(pieces, amounts, strict=True)]


@pytest.mark.parametrize(
    ("items", "slug", "says"),
    [
        (lambda p: _amounts(p[1::-1], "1.00", "1.00"), None, "ascending"),
        (lambda p: _amounts(p, "100.00", "50.00", "100.00"), None, "do not balance"),
        (lambda p: _amounts(p, *["999950.00"] * 3), None, "less than the minimum"),
        (lambda p: _amounts(p, *["2000000.00"] * 3), None, "at most the piece's value"),
        (lambda p: [{"piece": 999_999, "amount": "1.00"}], None, "does not exist"),
        (lambda p: _amounts(p[:1], "1"), None, "do not balance"),
        (lambda p: [{"piece": p[0], "amount": 1}], "amount-not-a-string", ""),
        (lambda p: _amounts(p[:1], "1.001"), "amount-too-precise", ""),
    ],
)
def test_a_round_the_contract_would_refuse_is_refused_first(
    net: Net, spare: list[int], items: Any, slug: str | None, says: str
) -> None:
    with net.client("a") as client:
        before = _ok(client.get("/v1/setoff/rounds"))["items"]
        response = write(
            client, "/v1/setoff/rounds", "bad", {"items": items(spare), "deadline": net.deadline()}
        )
        assert _ok(client.get("/v1/setoff/rounds"))["items"] == before
    body = assert_problem(response, 422, slug or "setoff-round-invalid")
    assert says in body["detail"]
    assert "operation" not in body  # nothing was sent


def test_a_netted_piece_cannot_be_netted_again(net: Net, story: Story) -> None:
    netted = net.pieces["c", "a"]  # cleared whole by the first round
    with net.client("c") as client:
        body = {"items": [{"piece": netted, "amount": "1.00"}], "deadline": net.deadline()}
        refused = write(client, "/v1/setoff/rounds", "netted", body)
    assert "cannot be netted" in assert_problem(refused, 422, "setoff-round-invalid")["detail"]


@pytest.mark.parametrize(
    ("body", "status", "slug"),
    [
        ({"plan_round": 1, "deadline": 2_000_000_000}, 422, "validation-error"),
        ({"items": [], "deadline": 2_000_000_000}, 422, "validation-error"),
        (
            {"items": [{"piece": 1, "amount": "1.00"}], "plan_round": 1, "currency": "CNY",
             "deadline": 2_000_000_000},
            422,
            "validation-error",
        ),
        ({"plan_round": 99, "currency": "CNY", "deadline": 2_000_000_000}, 404, "not-found"),
        ({"plan_round": 1, "currency": "ZZZ", "deadline": 2_000_000_000}, 422, "currency-unknown"),
    ],
)  # fmt: skip
def test_propose_bodies_that_make_no_round(
    net: Net, body: dict[str, Any], status: int, slug: str
) -> None:
    with net.client("a") as client:
        assert_problem(write(client, "/v1/setoff/rounds", f"body-{slug}", body), status, slug)


def test_plan_of_an_unknown_currency_is_refused(net: Net) -> None:
    with net.client("a") as client:
        response = client.get("/v1/setoff/plan", params={"currency": "ZZZ"})
    assert response.json()["type"] == PROBLEM + "currency-unknown"
    assert response.status_code == 422
