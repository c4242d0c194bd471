"""Every participant against every endpoint: who may act or read, and what the others get.

`MATRIX` has one `Rule` per endpoint of the OpenAPI document (method and path template): how
to build a request on the records of a seeded consortium, who may make it (`may`) and who
may see the record it names (`sees`). Anyone else is refused, with the gateway's rule:

- a record you may not see is 404 `not-found` (as if it did not exist);
- an action on a record you may see, or one your role does not allow, is 403 `forbidden`;
- without an API key, every endpoint but health, readiness and metrics is 401.

A refused request must change nothing: no read-model or gateway row (operations included),
no transaction (block number, every participant's nonce). Allowed reads must answer 200 and
list only what their caller may see. A new endpoint fails `test_matrix_lists_every_endpoint`
until it gets its entry here.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from eth_account import Account
from sqlalchemy import Engine, inspect, text

from scfledger.api.schemas import FinancingIn, FundIn, IssueIn, OperationOut, TransferIn
from scfledger.api.seed import DEMO_MEMBERS
from scfledger.client import ScfClient
from scfledger.db.session import create_db_engine
from scfledger.risk.policy import Policy
from scfledger.services.ledger import (
    CORE_ENTERPRISE,
    FINANCIER,
    PIECE_ARGS,
    REQUEST_ARGS,
    SLOT_ARGS,
)
from tests.api.server import Served, served_gateway

pytestmark = pytest.mark.integration

PROBLEM = "https://scfledger.dev/problems/"
DUE = 2_840_140_800  # 2060-01-01: within the 50-year term (MAX_TERM_SECONDS)
MEMBERS = {**DEMO_MEMBERS, "core2": CORE_ENTERPRISE, "bank2": FINANCIER}
PARTICIPANTS = (
    "admin1",
    "core",
    "core2",
    "supplier1",
    "supplier2",
    "supplier3",
    "bank",
    "bank2",
    "auditor",
)
EVERYONE = frozenset(PARTICIPANTS)
PUBLIC = "public"  # `may` of an endpoint that needs no API key
DOCUMENT = b"%PDF-1.7 purchase order 4711, core to supplier1\n"
EVIDENCE = "0x" + "e5" * 32

ADMINS = frozenset({"admin1"})  # the other two founding admins are not callers here
GOVERNANCE_READERS = frozenset({"admin1", "auditor"})
KEY_MANAGERS = frozenset({"admin1", "supplier1"})  # of supplier1's API keys

# Who may see each record of the world (visible_piece / visible_request and their kin).
# Receivable R (slot S, debtor core, creditor supplier1): root T held by supplier1, C split
# to supplier2 (financing F asked of bank, open), C3 split from C to supplier3 (pledge FP
# funded by bank2). Q: a receivable core issued to supplier1, still pending (token TQ).
SEES_T = frozenset({"core", "supplier1", "auditor"})
SEES_C = frozenset({"core", "supplier1", "supplier2", "bank", "auditor"})
SEES_C3 = frozenset({"core", "supplier1", "supplier2", "supplier3", "bank2", "auditor"})
SEES_R = SEES_T | SEES_C | SEES_C3  # through any of its pieces
SEES_Q = frozenset({"core", "supplier1", "auditor"})
SEES_F = frozenset({"supplier2", "bank", "auditor"})
SEES_FP = frozenset({"supplier3", "bank2", "auditor"})
SEES_DOCUMENT = SEES_R  # its uploader (core) and whoever sees a piece of R
OWN_SUPPLIER1 = frozenset({"supplier1"})  # its webhook, its operation


@dataclass(frozen=True)
class World:
    served: Served
    engine: Engine
    slot: int  # S
    root: int  # T
    child: int  # C
    grandchild: int  # C3
    request: int  # F
    pledge: int  # FP
    pending_slot: int  # Q
    pending_token: int  # TQ
    document: str  # SHA-256 of DOCUMENT, hex
    webhook: str  # supplier1's
    operation: str  # supplier1's acceptance of R
    foreign_transaction: str  # signed by a key no participant has, 0x-hex
    proposal: int  # admin1's pending proposal to suspend bank2
    http: httpx.Client  # without credentials: each request brings its own

    def tokens(self) -> dict[int, frozenset[str]]:
        return {
            self.root: SEES_T,
            self.child: SEES_C,
            self.grandchild: SEES_C3,
            self.pending_token: SEES_Q,
        }


@dataclass(frozen=True)
class Request:
    path: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    params: dict[str, Any] | None = None
    files: dict[str, tuple[str, bytes, str]] | None = None


Check = Callable[[World, str, httpx.Response], None]


@dataclass(frozen=True)
class Rule:
    """One endpoint: `may` make the request (a set of participants, or PUBLIC); `sees` the
    record it names (those not in `may` but in `sees` get 403, the others 404; by default
    everyone, as for an action no record hides); `check` looks into an allowed read's answer;
    `refused` replaces the 403/404 rule when the endpoint has a problem of its own."""

    method: str
    path: str
    build: Callable[[World], Request]
    may: frozenset[str] | str
    sees: frozenset[str] = EVERYONE
    check: Check | None = None
    stream: bool = False
    refused: tuple[int, str] | None = None  # what everyone not in `may` gets, if not 403/404

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)


def _no_request(_w: World) -> Request:
    return Request()


def _listed_tokens(w: World, participant: str, response: httpx.Response) -> None:
    listed = {p["token_id"] for p in response.json()["items"]}
    assert listed == {t for t, sees in w.tokens().items() if participant in sees}, listed


def _events_visible(w: World, participant: str, response: httpx.Response) -> None:
    """Each event of the feed names a piece, receivable or request its caller may see, or
    the caller itself (auditors: anything); the records of the world are all there are."""
    items = response.json()["items"]
    assert items, "no events at all"
    if participant == "auditor":
        return
    tokens = w.tokens()
    slots = {w.slot: SEES_R, w.pending_slot: SEES_Q}
    requests = {w.request: SEES_F, w.pledge: SEES_FP}
    address = w.served.address(participant)
    for e in items:
        args = e["args"]
        assert (
            address in args.values()
            or any(participant in tokens.get(args.get(k), ()) for k in PIECE_ARGS)
            or any(participant in slots.get(args.get(k), ()) for k in SLOT_ARGS)
            or any(participant in requests.get(args.get(k), ()) for k in REQUEST_ARGS)
        ), f"{participant} sees {e}"


def _listed_requests(w: World, participant: str, response: httpx.Response) -> None:
    listed = {r["id"] for r in response.json()["items"]}
    sees = {w.request: SEES_F, w.pledge: SEES_FP}
    assert listed == {r for r, who in sees.items() if participant in who}, listed


def _own_webhooks(w: World, participant: str, response: httpx.Response) -> None:
    ids = [h["id"] for h in response.json()]
    assert ids == ([w.webhook] if participant == "supplier1" else []), ids


def _document_bytes(_w: World, _participant: str, response: httpx.Response) -> None:
    assert response.content == DOCUMENT


def _piece(token: Callable[[World], int]) -> Callable[[World], Request]:
    return lambda w: Request({"token_id": token(w)})


def _root(w: World) -> int:
    return w.root


def _issue_body(w: World) -> Request:
    body = IssueIn(
        creditor=w.served.address("supplier1"),
        face_amount=5,
        due_date=DUE,
        document_hash="0x" + uuid.uuid4().hex * 2,
    )
    return Request(json=body.model_dump(mode="json"))


def _pending(json: Any = None) -> Callable[[World], Request]:
    return lambda w: Request({"slot": w.pending_slot}, json)


def _request_f(json: Any = None) -> Callable[[World], Request]:
    return lambda w: Request({"request_id": w.request}, json)


def _settle(w: World) -> Request:
    return Request(json={"slot": w.slot, "token_ids": [w.root], "payment_ref": "wire"})


def _supplier1_keys(_w: World) -> Request:
    return Request({"name": "supplier1"})


def _admission(_w: World) -> Request:
    newcomer = Account.create().address
    return Request(
        json={
            "address": newcomer,
            "name": "Newcomer Ltd",
            "legal_id": f"legal {newcomer}",
            "kyc": "kyc file",
            "roles": ["supplier"],
        }
    )


def _proposal(w: World) -> Request:
    return Request({"proposal_id": w.proposal})


def _lists_proposal(w: World, _participant: str, response: httpx.Response) -> None:
    assert [(p["id"], p["status"]) for p in response.json()][:1] == [(w.proposal, "pending")]


MATRIX: list[Rule] = [
    # Health, readiness and metrics are public.
    Rule("GET", "/healthz", _no_request, PUBLIC),
    Rule("GET", "/readyz", _no_request, PUBLIC),
    Rule("GET", "/metrics", _no_request, PUBLIC),
    Rule("GET", "/v1/members", _no_request, EVERYONE),
    Rule(
        "POST",
        "/v1/transactions",
        lambda w: Request(json={"raw_transaction": w.foreign_transaction}),
        frozenset(),  # nobody here signs its own transactions: none may relay another's
        refused=(403, "relay-rejected"),
    ),
    Rule(
        "GET",
        "/v1/operations/{operation_id}",
        lambda w: Request({"operation_id": w.operation}),
        OWN_SUPPLIER1,
        sees=OWN_SUPPLIER1,
    ),
    # Governance: participants, their API keys, membership proposals.
    Rule(
        "POST",
        "/v1/participants",
        lambda _w: Request(json={"name": f"p-{uuid.uuid4().hex[:12]}"}),
        ADMINS,
    ),
    Rule("GET", "/v1/participants/{name}/api-keys", _supplier1_keys, KEY_MANAGERS),
    Rule("POST", "/v1/participants/{name}/api-keys", _supplier1_keys, KEY_MANAGERS),
    Rule(
        "DELETE",
        "/v1/participants/{name}/api-keys/{prefix}",
        lambda w: Request(
            {"name": "supplier1", "prefix": w.served.seeded.api_keys["supplier1"][:12]}
        ),
        KEY_MANAGERS,
    ),
    Rule("POST", "/v1/members", _admission, ADMINS),
    Rule(
        "POST",
        "/v1/members/{address}/suspend",
        lambda w: Request({"address": w.served.address("bank")}, {"reason": "review"}),
        ADMINS,
    ),
    Rule(
        "POST",
        "/v1/members/{address}/reinstate",
        lambda w: Request({"address": w.served.address("bank")}),
        ADMINS,
    ),
    Rule("GET", "/v1/proposals", _no_request, GOVERNANCE_READERS, check=_lists_proposal),
    Rule("GET", "/v1/proposals/{proposal_id}", _proposal, GOVERNANCE_READERS),
    Rule("POST", "/v1/proposals/{proposal_id}/approve", _proposal, ADMINS),
    Rule("POST", "/v1/proposals/{proposal_id}/revoke", _proposal, ADMINS),
    Rule("POST", "/v1/proposals/{proposal_id}/cancel", _proposal, ADMINS),
    # Receivables.
    Rule("POST", "/v1/receivables", _issue_body, frozenset({"core", "core2"})),
    Rule("GET", "/v1/receivables", _no_request, EVERYONE, check=_listed_tokens),
    Rule("GET", "/v1/receivables/{token_id}", _piece(_root), SEES_T, SEES_T),
    Rule("GET", "/v1/receivables/{token_id}/lineage", _piece(_root), SEES_T, SEES_T),
    Rule("GET", "/v1/receivables/{token_id}/evidence", _piece(_root), SEES_T, SEES_T),
    Rule("GET", "/v1/receivables/{token_id}/transfers", _piece(_root), SEES_T, SEES_T),
    Rule("POST", "/v1/receivables/{slot}/accept", _pending(), OWN_SUPPLIER1, SEES_Q),
    Rule(
        "POST",
        "/v1/receivables/{slot}/reject",
        _pending({"reason": "not ours"}),
        OWN_SUPPLIER1,
        SEES_Q,
    ),
    Rule("POST", "/v1/receivables/{slot}/cancel", _pending(), frozenset({"core"}), SEES_Q),
    Rule(
        "POST",
        "/v1/receivables/{token_id}/transfers",
        lambda w: Request({"token_id": w.root}, {"to": w.served.address("supplier3"), "value": 1}),
        OWN_SUPPLIER1,
        SEES_T,
    ),
    Rule(
        "POST",
        "/v1/receivables/{token_id}/evidence",
        lambda w: Request({"token_id": w.root}, {"evidence_hash": "0x" + "f1" * 32}),
        OWN_SUPPLIER1,
        SEES_T,
    ),
    # Financing.
    Rule(
        "POST",
        "/v1/financing-requests",
        lambda w: Request(
            json={
                "token_id": w.root,
                "financier": w.served.address("bank"),
                "amount": 1_000,
                "rate_bps": 100,
            }
        ),
        OWN_SUPPLIER1,
        SEES_T,
    ),
    Rule("GET", "/v1/financing-requests", _no_request, EVERYONE, check=_listed_requests),
    Rule("GET", "/v1/financing-requests/{request_id}", _request_f(), SEES_F, SEES_F),
    Rule(
        "GET",
        "/v1/financing-requests/{request_id}/risk",
        _request_f(),
        frozenset({"bank", "auditor"}),
        frozenset({"bank", "auditor"}),  # the requester may read the request, not its risk
    ),
    Rule(
        "POST",
        "/v1/financing-requests/{request_id}/approve",
        _request_f({}),
        frozenset({"bank"}),
        SEES_F,
    ),
    Rule(
        "POST",
        "/v1/financing-requests/{request_id}/fund",
        _request_f({"payment_ref": "wire"}),
        frozenset({"bank"}),
        SEES_F,
    ),
    Rule(
        "POST",
        "/v1/financing-requests/{request_id}/reject",
        _request_f({"reason": "no"}),
        frozenset({"bank"}),
        SEES_F,
    ),
    Rule(
        "POST",
        "/v1/financing-requests/{request_id}/withdraw",
        _request_f(),
        frozenset({"supplier2"}),
        SEES_F,
    ),
    Rule(
        "POST",
        "/v1/financing-requests/{request_id}/repay",
        lambda w: Request({"request_id": w.pledge}, {"payment_ref": "repaid"}),
        frozenset({"bank2"}),  # without a deposit token only the financier confirms
        SEES_FP,
    ),
    Rule("GET", "/v1/policies", _no_request, frozenset({"bank", "bank2"})),
    Rule(
        "PUT",
        "/v1/policies",
        lambda _w: Request(json=Policy().model_dump(mode="json")),
        frozenset({"bank", "bank2"}),
    ),
    # Settlements and events.
    Rule("POST", "/v1/settlements", _settle, frozenset({"core"}), SEES_R),
    Rule(
        "GET",
        "/v1/settlements",
        _no_request,
        EVERYONE,
        check=lambda _w, _p, r: None if r.json()["items"] == [] else pytest.fail(r.text),
    ),
    Rule(
        "GET",
        "/v1/events",
        lambda _w: Request(params={"limit": 500}),
        EVERYONE,
        check=_events_visible,
    ),
    Rule(
        "GET",
        "/v1/events/stream",
        lambda _w: Request(params={"duration": 1}),
        EVERYONE,
        stream=True,
    ),
    # Documents and webhooks.
    Rule(
        "POST",
        "/v1/documents",
        lambda _w: Request(files={"file": ("x", b"%PDF-1.7 refused", "application/pdf")}),
        EVERYONE,
    ),
    Rule(
        "GET",
        "/v1/documents/{sha256}",
        lambda w: Request({"sha256": w.document}),
        SEES_DOCUMENT,
        SEES_DOCUMENT,
        check=_document_bytes,
    ),
    Rule("GET", "/v1/webhooks", _no_request, EVERYONE, check=_own_webhooks),
    Rule(
        "POST",
        "/v1/webhooks",
        lambda _w: Request(json={"url": "http://127.0.0.1:9/refused"}),
        EVERYONE,
    ),
    Rule(
        "DELETE",
        "/v1/webhooks/{webhook_id}",
        lambda w: Request({"webhook_id": w.webhook}),
        OWN_SUPPLIER1,
        OWN_SUPPLIER1,
    ),
    Rule(
        "GET",
        "/v1/webhooks/{webhook_id}/deliveries",
        lambda w: Request({"webhook_id": w.webhook}),
        OWN_SUPPLIER1,
        OWN_SUPPLIER1,
    ),
]


# -- the world ----------------------------------------------------------------------------


def _event(op: OperationOut, name: str) -> dict[str, Any]:
    assert op.error is None, op
    return next(e.args for e in op.events if e.name == name)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    directory = tmp_path_factory.mktemp("access")
    url = f"sqlite:///{directory / 'gateway.sqlite3'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SCF_WEBHOOK_ALLOW_PRIVATE_URLS", "true")  # a loopback webhook URL
        with served_gateway(directory, url, MEMBERS) as served:
            engine = create_db_engine(url)
            try:
                world = build_world(served, engine)
                with world.http:
                    yield world
            finally:
                engine.dispose()


def build_world(served: Served, engine: Engine) -> World:
    def sdk(name: str) -> ScfClient:
        return ScfClient(served.url, api_key=served.seeded.api_keys[name], wait="indexed")

    core, supplier1, supplier2 = sdk("core"), sdk("supplier1"), sdk("supplier2")
    supplier3, bank2 = sdk("supplier3"), sdk("bank2")
    document = core.upload_document(DOCUMENT).sha256
    issued = _event(
        core.issue(
            IssueIn(
                creditor=served.address("supplier1"),
                face_amount=1_000_000,
                due_date=DUE,
                document_hash="0x" + document,
            )
        ),
        "ReceivableIssued",
    )
    slot, root = int(issued["slot"]), int(issued["tokenId"])
    accepted = supplier1.accept(slot)
    supplier1.attach_evidence(root, EVIDENCE)
    child = int(
        _event(
            supplier1.transfer(root, TransferIn(to=served.address("supplier2"), value=300_000)),
            "PieceSplit",
        )["childTokenId"]
    )
    grandchild = int(
        _event(
            supplier2.transfer(child, TransferIn(to=served.address("supplier3"), value=100_000)),
            "PieceSplit",
        )["childTokenId"]
    )
    asked = FinancingIn(
        token_id=child, financier=served.address("bank"), amount=150_000, rate_bps=300
    )
    request = int(_event(supplier2.request_financing(asked), "FinancingRequested")["requestId"])
    pledged = FinancingIn(
        token_id=grandchild,
        financier=served.address("bank2"),
        amount=80_000,
        rate_bps=300,
        mode="pledge",
    )
    pledge = int(_event(supplier3.request_financing(pledged), "FinancingRequested")["requestId"])
    bank2.approve_financing(pledge)
    bank2.fund_financing(pledge, FundIn(payment_ref="advance"))
    pending = _event(
        core.issue(
            IssueIn(
                creditor=served.address("supplier1"),
                face_amount=50_000,
                due_date=DUE,
                document_hash="0x" + "9a" * 32,
            )
        ),
        "ReceivableIssued",
    )
    webhook = supplier1.create_webhook("http://127.0.0.1:9/never", ["NoSuchEvent"]).id
    admin1 = sdk("admin1")
    suspension = admin1.suspend_member(served.address("bank2"), "review")
    proposal = int(_event(suspension, "ProposalCreated")["proposalId"])
    for client in (core, supplier1, supplier2, supplier3, bank2, admin1):
        client.close()
    settle_webhook_cursor(engine)
    return World(
        served=served,
        engine=engine,
        slot=slot,
        root=root,
        child=child,
        grandchild=grandchild,
        request=request,
        pledge=pledge,
        pending_slot=int(pending["slot"]),
        pending_token=int(pending["tokenId"]),
        document=document,
        webhook=webhook,
        operation=accepted.id,
        foreign_transaction=foreign_transaction(served),
        proposal=proposal,
        http=httpx.Client(base_url=served.url, timeout=30),
    )


def settle_webhook_cursor(engine: Engine) -> None:
    """Waits until the webhook dispatcher has looked at every event of the world: its
    cursor moves in the background, and the snapshots must see only the requests' effects."""
    deadline = time.monotonic() + 30
    query = text("SELECT (SELECT max(id) FROM chain_events) - (SELECT min(cursor) FROM webhooks)")
    while True:
        with engine.connect() as connection:
            behind = connection.execute(query).scalar_one()
        if behind == 0:
            return
        assert time.monotonic() < deadline, f"the webhook dispatcher is {behind} events behind"
        time.sleep(0.05)


def foreign_transaction(served: Served) -> str:
    chain_id = int(
        httpx.post(
            served.chain_url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}
        ).json()["result"],
        16,
    )
    stranger = Account.create()
    signed = stranger.sign_transaction(
        {
            "nonce": 0,
            "gas": 21_000,
            "gasPrice": 10**9,
            "to": served.address("bank"),
            "value": 0,
            "chainId": chain_id,
        }
    )
    return "0x" + bytes(signed.raw_transaction).hex()


# -- probes -------------------------------------------------------------------------------


def snapshot(w: World) -> dict[str, Any]:
    """Every table's rows (as a count and a digest), the block number and every nonce."""
    state: dict[str, Any] = {}
    with w.engine.connect() as connection:
        for table in sorted(inspect(connection).get_table_names()):
            rows = sorted(
                repr(tuple(r)) for r in connection.execute(text(f'SELECT * FROM "{table}"'))
            )
            state[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16])
    addresses = [w.served.address(p) for p in PARTICIPANTS]
    batch = [
        {"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber", "params": []},
        *(
            {
                "jsonrpc": "2.0",
                "id": i + 1,
                "method": "eth_getTransactionCount",
                "params": [a, "pending"],
            }
            for i, a in enumerate(addresses)
        ),
    ]
    answers = sorted(w.http.post(w.served.chain_url, json=batch).json(), key=lambda a: a["id"])
    state["chain"] = [a["result"] for a in answers]
    return state


def send(w: World, rule: Rule, participant: str | None) -> httpx.Response:
    request = rule.build(w)
    headers = {}
    if participant is not None:
        headers["Authorization"] = f"Bearer {w.served.seeded.api_keys[participant]}"
    if rule.method != "GET":
        headers["Idempotency-Key"] = f"matrix-{uuid.uuid4()}"
    url = rule.path.format(**request.path)
    client = w.http
    if rule.stream:
        with client.stream(rule.method, url, params=request.params, headers=headers) as response:
            if response.is_error:
                response.read()
            return response  # an open stream is only looked at, not read
    return client.request(
        rule.method,
        url,
        params=request.params,
        json=request.json,
        files=request.files,
        headers=headers,
    )


def problem_of(response: httpx.Response) -> tuple[int, str]:
    if response.headers.get("content-type") != "application/problem+json":
        return response.status_code, f"(not a problem) {response.text[:200]}"
    return response.status_code, str(response.json().get("type", "")).removeprefix(PROBLEM)


def expected_refusal(rule: Rule, participant: str | None) -> tuple[int, str] | None:
    """The problem `participant` must get, or None if it may make the request."""
    if rule.may == PUBLIC:
        return None
    if participant is None:
        return 401, "unauthenticated"
    if participant in rule.may:
        return None
    if rule.refused is not None:
        return rule.refused
    return (403, "forbidden") if participant in rule.sees else (404, "not-found")


def cell(rule: Rule, participant: str | None) -> str:
    return f"{participant or 'anonymous'} {rule.method} {rule.path}"


# -- tests --------------------------------------------------------------------------------


def test_matrix_lists_every_endpoint(world: World) -> None:
    paths = httpx.get(f"{world.served.url}/openapi.json").json()["paths"]
    served = {(m.upper(), p) for p, ops in paths.items() for m in ops}
    listed = [rule.key for rule in MATRIX]
    assert len(listed) == len(set(listed)), "an endpoint has two entries"
    missing = sorted(served - set(listed))
    assert missing == [], f"endpoints without an entry in MATRIX: {missing}"
    stale = sorted(set(listed) - served)
    assert stale == [], f"entries of MATRIX the gateway does not serve: {stale}"


def test_refused_requests_get_their_problem_and_change_nothing(world: World) -> None:
    """Reads first (one snapshot around them all), then each write between two snapshots."""
    failures: list[str] = []
    cells = [
        (rule, participant)
        for rule in sorted(MATRIX, key=lambda rule: rule.method != "GET")
        for participant in (None, *PARTICIPANTS)
        if expected_refusal(rule, participant) is not None
    ]
    before = snapshot(world)
    reads = True
    for rule, participant in cells:
        if reads and rule.method != "GET":
            reads = False
            if snapshot(world) != before:
                failures.append("the refused reads changed something")
        response = send(world, rule, participant)
        got, expected = problem_of(response), expected_refusal(rule, participant)
        if got != expected:
            failures.append(f"{cell(rule, participant)}: expected {expected}, got {got}")
        if rule.method != "GET":
            after = snapshot(world)
            if after != before:
                changed = sorted(k for k in after if after[k] != before.get(k))
                failures.append(f"{cell(rule, participant)}: changed {changed}")
            before = after
    assert len(cells) > 150
    assert failures == [], f"{len(failures)} failures in {len(cells)} refused cells:\n" + (
        "\n".join(failures)
    )


def test_allowed_reads_answer_what_their_caller_may_see(world: World) -> None:
    failures: list[str] = []
    for rule in MATRIX:
        if rule.method != "GET":
            continue
        for participant in (None, *PARTICIPANTS):
            if expected_refusal(rule, participant) is not None:
                continue
            response = send(world, rule, participant)
            if response.status_code != 200:
                failures.append(f"{cell(rule, participant)}: {problem_of(response)}")
            elif rule.check is not None:
                try:
                    rule.check(world, participant or "anonymous", response)
                except AssertionError as exc:
                    failures.append(f"{cell(rule, participant)}: {exc}")
    assert failures == [], "\n".join(failures)
