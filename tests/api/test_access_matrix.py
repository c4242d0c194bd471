"""Every participant against every endpoint: who may act or read, and what the others get.

`MATRIX` has one `Rule` per endpoint of the OpenAPI document (method and path template): how
to build a request on the records of a seeded consortium, who may make it (`may`) and who
may see the record it names (`sees`). Anyone else is refused, with the gateway's rule:

- a record you may not see is 404 `not-found` (as if it did not exist);
- an action on a record you may see, or one your role does not allow, is 403 `forbidden`;
- without an API key, every endpoint but health, readiness and metrics is 401;
- a participant's API keys and status are its own: anyone else, admins included, gets 403
  `foreign-participant`; `/metrics` answers only the operator's metrics token (401 for
  every participant, `test_api_story`).

A refused request must change nothing: no read-model or gateway row (operations included),
no transaction (block number, every participant's nonce). Allowed reads must answer 200 and
list only what their caller may see. A new endpoint fails `test_matrix_lists_every_endpoint`
until it gets its entry here.

The person dimension: every participant has a viewer, a maker, a checker and an admin, each
signed in (a session cookie, and its CSRF token on writes). Reads are open to every role,
ledger writes (`person="write"`) to makers only and administration (`person="admin"`) to
admins only: any other role gets 403 `role-required` before the participant's own rule is
applied (after it where the participant's own business comes first: its API keys, 403
`foreign-participant`). A person's own sign-in and sessions (`person="self"`) are open to
every role.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from sqlalchemy import Engine, inspect, text

from scfledger.api.gateway import WEBHOOK_SECRETS
from scfledger.api.schemas_policy import PolicyBody
from scfledger.chain.generated import Role
from scfledger.db.session import create_db_engine, session_factory
from scfledger.devchain.seed import DEMO_MEMBERS
from scfledger.keys.store import KeyStore
from scfledger.people import sessions as browser
from scfledger.people.users import create_user
from scfledger.services.visibility import PIECE_ARGS, REQUEST_ARGS
from scfledger_client import ScfClient, Written
from scfledger_client.models import (
    CheckerPolicyOut,
    DraftOut,
    FinancingIn,
    FundIn,
    IssueIn,
    OperationOut,
    TermsIn,
    TransferIn,
)
from tests.support.anvil import free_port
from tests.support.api import cny
from tests.support.served import PASSPHRASE, Served, served_gateway
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

PROBLEM = "https://scfledger.dev/problems/"
DUE = 2_840_140_800  # 2060-01-01: within the 50-year term (MAX_TERM_SECONDS)
MEMBERS = {**DEMO_MEMBERS, "core2": Role.CORE_ENTERPRISE, "bank2": Role.FINANCIER}
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
EVIDENCE = b"delivery note 4711, signed by core's warehouse"
INVOICE2 = b"%PDF-1.7 invoice 9, core2 to supplier3: prices nobody else may read\n"

ADMINS = frozenset({"admin1"})  # the other two founding admins are not callers here
GOVERNANCE_READERS = frozenset({"admin1", "auditor"})
FOREIGN = (403, "foreign-participant")  # a participant's keys and status, to anyone else
ROLE_REQUIRED = (403, "role-required")
READERS = 8  # allowed reads made at once (the server serves them in parallel too)
PERSON_ROLES = ("viewer", "maker", "checker", "admin")
# Which roles a person needs, by the `person` of a rule.
PERSON_MAY = {
    "read": frozenset(PERSON_ROLES),
    "self": frozenset(PERSON_ROLES),
    "write": frozenset({"maker"}),
    "admin": frozenset({"admin"}),
    # The audit trail: an institution's admins (their own people); an auditor member's
    # people whatever their role (everyone's): see `expected_person_refusal`.
    "audit": frozenset({"admin"}),
    "approve": frozenset({"checker"}),
}

# Who may see each record of the world (services.visibility, the one rule).
# Receivable R (slot S, debtor core, creditor supplier1): root T held by supplier1, C split
# to supplier2 (financing F asked of bank, open), C3 split from C to supplier3 (pledge FP
# funded by bank2). Q: a receivable core issued to supplier1, still pending (token TQ).
# P: split from T to supplier3, not signed for yet (its sender supplier1 sees it too).
# R2: core2's receivable to supplier3 (root T2), against INVOICE2. A piece is its holder's,
# its debtor's and its financier's: not the business of whoever paid its holder with it (the
# first creditor supplier1 sees nothing of C, C3, F, FP; supplier2 nothing of C3, FP).
SEES_T = frozenset({"core", "supplier1", "auditor"})
SEES_C = frozenset({"core", "supplier2", "bank", "auditor"})
SEES_C3 = frozenset({"core", "supplier3", "bank2", "auditor"})
SEES_R = SEES_T | SEES_C | SEES_C3  # through any of its pieces
SEES_Q = frozenset({"core", "supplier1", "auditor"})
SEES_P = frozenset({"core", "supplier1", "supplier3", "auditor"})
SEES_T2 = frozenset({"core2", "supplier3", "auditor"})
SEES_F = frozenset({"supplier2", "bank", "auditor"})
SEES_FP = frozenset({"supplier3", "bank2", "auditor"})
# The contract's refusals of those who see a record but may not act on it.
MISSING_ROLE = (403, "missing-role")
NOT_FINANCIER = (403, "not-financier")
NOT_REQUESTER = (403, "not-requester")
NOT_AWAITING = (409, "invalid-piece-state")
NOT_UPLOADED = (422, "document-not-uploaded")
SEES_DOCUMENT = SEES_T  # R's invoice backs its root: core (uploader) and supplier1
OWN_SUPPLIER1 = frozenset({"supplier1"})  # its webhook, its operation
OWN_CORE = frozenset({"core"})  # its ERP batch


@dataclass(frozen=True)
class SignedIn:
    """A person with a session: its user, the session, its cookie and CSRF token."""

    user_id: str
    session_id: str
    token: str
    csrf_token: str


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
    sent: int  # P
    document: str  # SHA-256 of DOCUMENT, hex
    evidence: str  # SHA-256 of EVIDENCE, hex (supplier1's upload, anchored on T)
    invoice2: str  # SHA-256 of INVOICE2, hex (core2's)
    root2: int  # T2
    webhook: str  # supplier1's, for an event name that never comes
    hooks: dict[str, str]  # every participant's webhook for all it may see
    hooks_after: int  # the feed's head when they were created: they start after it
    operation: str  # supplier1's acceptance of R
    foreign_transaction: str  # signed by a key no participant has, 0x-hex
    proposal: int  # admin1's pending proposal to suspend bank2
    draft: int  # supplier1's transfer held for a checker
    batch: int  # core's ERP batch of one line, refused (its document was never uploaded)
    http: httpx.Client  # without credentials: each request brings its own
    # (participant, role): a signed-in person of that one role; see `sign_in_people`.
    people: dict[tuple[str, str], SignedIn] = field(default_factory=dict)
    bystander: SignedIn | None = None  # supplier1's viewer outside the matrix

    def someone(self) -> SignedIn:
        assert self.bystander is not None
        return self.bystander

    def tokens(self) -> dict[int, frozenset[str]]:
        return {
            self.root: SEES_T,
            self.child: SEES_C,
            self.grandchild: SEES_C3,
            self.pending_token: SEES_Q,
            self.sent: SEES_P,
            self.root2: SEES_T2,
        }

    def requests(self) -> dict[int, frozenset[str]]:
        return {self.request: SEES_F, self.pledge: SEES_FP}


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
    record it names (those not in `may` but in `sees` get `acts`, the others 404; by default
    everyone, as for an action no record hides); `check` looks into an allowed read's answer;
    `refused` replaces the `acts`/404 rule when the endpoint has a problem of its own (of a
    PUBLIC endpoint: what everyone, anonymous included, gets for the request built).
    `acts` is the contract's refusal of a write (its custom error's problem) or the
    gateway's own (403 `forbidden`, or its documents' `document-not-uploaded`)."""

    method: str
    path: str
    build: Callable[[World], Request]
    may: frozenset[str] | str
    sees: frozenset[str] = EVERYONE
    check: Check | None = None
    stream: bool = False
    refused: tuple[int, str] | None = None  # what everyone not in `may` gets, if not 403/404
    acts: tuple[int, str] = (403, "forbidden")  # what those who see but may not act get
    # The roles a person needs (PERSON_MAY: read, self, write, admin), and whether the
    # participant's `refused` (foreign-participant) comes before the person's role.
    person: str = ""  # by default: read for GET, a ledger write otherwise
    participant_first: bool = False
    # What a person whose role may make the request gets, where its participant's service
    # account may not (a checker's decisions: service accounts are no checkers): those who
    # see the record get this, the others 404.
    person_acts: tuple[int, str] | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    @property
    def needs(self) -> str:
        return self.person or ("read" if self.method == "GET" else "write")


def _no_request(_w: World) -> Request:
    return Request()


def _own_drafts(w: World, participant: str, response: httpx.Response) -> None:
    listed = [d["id"] for d in response.json()["items"]]
    assert listed == ([w.draft] if participant == "supplier1" else []), listed


def _own_draft_events(w: World, participant: str, response: httpx.Response) -> None:
    named = [line for line in response.text.splitlines() if line.startswith("event: ")]
    held = ["event: DraftCreated", "event: DraftExpired"]
    own = {"supplier1": held, "core": ["event: BatchAccepted"]}  # core's batch (w.batch)
    assert named == own.get(participant, []), named


def _own_policy(w: World, participant: str, response: httpx.Response) -> None:
    policy = response.json()
    assert (policy["participant"], policy["kinds"]) == (participant, []), policy


def _listed_tokens(w: World, participant: str, response: httpx.Response) -> None:
    listed = {p["token_id"] for p in response.json()["items"]}
    assert listed == {t for t, sees in w.tokens().items() if participant in sees}, listed


def _about(w: World, participant: str, args: dict[str, Any]) -> bool:
    """The rule, told by the world's tables: an event about a financing request is its
    parties'; else one naming pieces is for whoever sees one of them; else it is for whom it
    names (auditors: every event)."""
    if participant == "auditor":
        return True
    requests = [args[k] for k in REQUEST_ARGS if k in args]
    if requests:
        return any(participant in w.requests().get(r, ()) for r in requests)
    pieces = [args[k] for k in PIECE_ARGS if k in args]
    if pieces:
        return any(participant in w.tokens().get(t, ()) for t in pieces)
    return w.served.address(participant) in args.values()


def everything(w: World) -> list[dict[str, Any]]:
    """Every event of the world, as the auditor's feed gives it."""
    headers = {"Authorization": f"Bearer {w.served.seeded.api_keys['auditor']}"}
    page = w.http.get("/v1/events", params={"limit": 500}, headers=headers).json()
    assert page["items"], "no events at all"
    assert len(page["items"]) < 500, "the world outgrew one page"
    return list(page["items"])


def expected_events(w: World, participant: str) -> list[int]:
    return [e["id"] for e in everything(w) if _about(w, participant, e["args"])]


def _events_visible(w: World, participant: str, response: httpx.Response) -> None:
    """The feed holds exactly the events about what its caller may see."""
    got = [e["id"] for e in response.json()["items"]]
    assert got == expected_events(w, participant), f"{participant} sees {got}"


def sse_events(text: str) -> list[dict[str, Any]]:
    """The `data:` of every event of a server-sent event stream."""
    return [
        json.loads(line.removeprefix("data:").strip())
        for line in text.splitlines()
        if line.startswith("data:")
    ]


def _streamed_visible(w: World, participant: str, response: httpx.Response) -> None:
    """The stream sends exactly what the feed holds."""
    got = [e["id"] for e in sse_events(response.text)]
    assert got == expected_events(w, participant), f"{participant} streams {got}"


def _own_positions(w: World, participant: str, response: httpx.Response) -> None:
    """A member sees its own set-off position; auditors everyone's."""
    plan = response.json()
    members = {p["member"] for p in plan["positions"]}
    if participant == "auditor":
        assert plan["total_debt"] is not None, plan
    else:
        assert members <= {w.served.address(participant)}, plan
        assert plan["total_debt"] is None, plan
    assert plan["rounds"] == [], plan


def _round(_w: World) -> Request:
    return Request({"round_id": 1})  # none was proposed: no one sees it


def _listed_requests(w: World, participant: str, response: httpx.Response) -> None:
    listed = {r["id"] for r in response.json()["items"]}
    assert listed == {r for r, who in w.requests().items() if participant in who}, listed


def _own_webhooks(w: World, participant: str, response: httpx.Response) -> None:
    ids = {h["id"] for h in response.json()}
    own = {w.hooks[participant]} | ({w.webhook} if participant == "supplier1" else set())
    assert ids == own, ids


def _redacted_lineage(w: World, participant: str, response: httpx.Response) -> None:
    """Every piece of the lineage the caller does not see is redacted, and only those."""
    body = response.json()

    def nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
        return [node, *(n for child in node["children"] for n in nodes(child))]

    for node in [*body["ancestors"], *nodes(body["tree"])]:
        sees = participant in w.tokens()[node["token_id"]]
        shown = (node["redacted"], node["holder"] is None, node["state"] is None)
        assert shown == (not sees,) * 3, f"{participant}: {node}"


def _document_bytes(_w: World, _participant: str, response: httpx.Response) -> None:
    assert response.content == DOCUMENT


def _piece(token: Callable[[World], int]) -> Callable[[World], Request]:
    return lambda w: Request({"token_id": token(w)})


def _root(w: World) -> int:
    return w.root


def _issue_body_json(served: Served) -> dict[str, Any]:
    body = IssueIn(
        creditor=served.address("supplier1"),
        face_amount=cny(5),
        due_date=DUE,
        document_hash="0x" + uuid.uuid4().hex * 2,
    )
    return body.model_dump(mode="json")


def _issue_body(w: World) -> Request:
    return Request(json=_issue_body_json(w.served))


def _batch_body(w: World) -> Request:
    return Request(json={"kind": "receivable.issue", "lines": [_issue_body_json(w.served)]})


def _pending(json: Any = None) -> Callable[[World], Request]:
    return lambda w: Request({"slot": w.pending_slot}, json)


def _request_f(json: Any = None) -> Callable[[World], Request]:
    return lambda w: Request({"request_id": w.request}, json)


def _sent(json: Any = None) -> Callable[[World], Request]:
    return lambda w: Request({"token_id": w.sent}, json)


def _request_fp(json: Any = None) -> Callable[[World], Request]:
    return lambda w: Request({"request_id": w.pledge}, json)


TERMS = TermsIn(advance=cny(1_000), repayment=cny(0), fees=cny(0), fund_by=DUE - 86_400)


def _quote_body(token_id: int) -> dict[str, Any]:
    # The weekends calendar: DUE is in 2060, past the years the china calendar knows.
    return {"method": "interest", "token_id": token_id, "funding_date": "2059-07-01",
            "rate": "4", "calendar": "weekends"}  # fmt: skip


def _compared_offers(w: World, _participant: str, response: httpx.Response) -> None:
    """FP's only offer, bank2's (accepted), to each of its parties."""
    offers = [(o["financier"], o["accepted"]) for o in response.json()["offers"]]
    assert offers == [(w.served.address("bank2"), True)], offers


def _settle(w: World) -> Request:
    return Request(json={"slot": w.slot, "token_ids": [w.root], "payment_ref": "wire"})


def _supplier1_keys(_w: World) -> Request:
    return Request({"name": "supplier1"})


SSO_SETTINGS = {
    "issuer": "https://login.supplier1.example",
    "client_id": "scfledger",
    "client_secret": "matrix-client-secret-not-secret",
}


def _sso_settings(_w: World, _participant: str, response: httpx.Response) -> None:
    body = response.json()
    assert (body["issuer"], body["client_id"]) == ("https://login.supplier1.example", "scfledger")
    assert SSO_SETTINGS["client_secret"] not in response.text


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


def _own_audit(_w: World, participant: str, response: httpx.Response) -> None:
    """Each key here is its institution's service account (an admin): its own institution's
    records; the auditor member's, everyone's."""
    if response.headers["content-type"].startswith("text/csv"):
        rows = list(csv.DictReader(io.StringIO(response.text)))
    else:
        rows = response.json()["items"]
    assert rows, participant
    institutions = {row["participant"] for row in rows}
    if participant == "auditor":
        assert len(institutions) > 1, institutions
    else:
        assert institutions == {participant}, institutions


def _proposal(w: World) -> Request:
    return Request({"proposal_id": w.proposal})


def _lists_proposal(w: World, _participant: str, response: httpx.Response) -> None:
    assert [(p["id"], p["status"]) for p in response.json()][:1] == [(w.proposal, "pending")]


def _wrong_login(_w: World) -> Request:
    return Request(json={"participant": "supplier1", "username": "nobody", "password": "x" * 12})


def _bystander(w: World) -> Request:
    return Request({"user_id": w.someone().user_id})


def _me(_w: World, participant: str, response: httpx.Response) -> None:
    assert response.json()["participant"] == participant, response.text


def _own_sessions(w: World, participant: str, response: httpx.Response) -> None:
    """A key's service account has no session; a person sees its own, this one current."""
    listed = response.json()
    ours = {p.session_id for (owner, _), p in w.people.items() if owner == participant}
    assert all(s["id"] in ours for s in listed), listed
    assert sum(s["current"] for s in listed) <= 1, listed


def _own_users(w: World, participant: str, response: httpx.Response) -> None:
    listed = response.json()
    assert {u["participant"] for u in listed} == {participant}, listed
    assert "service" in {u["username"] for u in listed}


def _period(_w: World) -> Request:
    today = date.today()
    first, last = today - timedelta(days=30), today + timedelta(days=30)
    return Request(params={"from": first.isoformat(), "to": last.isoformat()})


def _own_statement(w: World, participant: str, response: httpx.Response) -> None:
    """Lines the caller is a party to only: core and supplier1 see their receivable."""
    body = response.json()
    assert (body["participant"], body["address"]) == (participant, w.served.address(participant))
    kinds = {line["kind"] for line in body["lines"]}
    expected = {"core": {"receivable_issued"}, "supplier1": {"receivable_received"}}
    assert expected.get(participant, set()) <= kinds, body
    assert all(line["counterparty"] != body["address"] for line in body["lines"]), body


def _own_payments(w: World, participant: str, response: httpx.Response) -> None:
    body = response.json()
    assert body["participant"] == participant
    me = w.served.address(participant)
    if participant != "auditor":
        assert all(me in (p["payer"], p["payee"]) for p in body["payments"]), body


MATRIX: list[Rule] = [
    # Health and readiness are public; metrics are the operator's (its own token).
    Rule("GET", "/healthz", _no_request, PUBLIC),
    Rule("GET", "/readyz", _no_request, PUBLIC),
    Rule("GET", "/metrics", _no_request, frozenset(), refused=(401, "unauthenticated")),
    Rule("GET", "/v1/members", _no_request, EVERYONE),
    Rule("GET", "/v1/chain/time", _no_request, EVERYONE),
    Rule("GET", "/v1/chain/network", _no_request, EVERYONE),
    Rule("GET", "/v1/currencies", _no_request, EVERYONE),
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
        person="admin",
    ),
    Rule("GET", "/v1/participants/{name}", _supplier1_keys, OWN_SUPPLIER1, refused=FOREIGN),
    Rule(
        "GET", "/v1/participants/{name}/api-keys", _supplier1_keys, OWN_SUPPLIER1, refused=FOREIGN
    ),
    Rule(
        "POST",
        "/v1/participants/{name}/api-keys",
        _supplier1_keys,
        OWN_SUPPLIER1,
        refused=FOREIGN,
        person="admin",
        participant_first=True,
    ),
    Rule(
        "DELETE",
        "/v1/participants/{name}/api-keys/{prefix}",
        lambda w: Request(
            {"name": "supplier1", "prefix": w.served.seeded.api_keys["supplier1"][:12]}
        ),
        OWN_SUPPLIER1,
        refused=FOREIGN,
        person="admin",  # the service account's key: not the caller's own
        participant_first=True,
    ),
    # Single sign-on: its settings are the participant's own (its admins'); the login and its
    # callback are public, and refuse everyone alike: supplier2 has no single sign-on, and a
    # callback without the state of a login begun in this browser is refused.
    Rule(
        "GET",
        "/v1/participants/{name}/sso",
        _supplier1_keys,
        OWN_SUPPLIER1,
        refused=FOREIGN,
        check=_sso_settings,
        person="admin",
        participant_first=True,
    ),
    Rule(
        "PUT",
        "/v1/participants/{name}/sso",
        lambda _w: Request({"name": "supplier1"}, json=SSO_SETTINGS),
        OWN_SUPPLIER1,
        refused=FOREIGN,
        person="admin",
        participant_first=True,
    ),
    Rule(
        "GET",
        "/v1/auth/sso/{participant}/login",
        lambda _w: Request({"participant": "supplier2"}),
        PUBLIC,
        refused=(404, "not-found"),
    ),
    Rule(
        "GET",
        "/v1/auth/sso/{participant}/callback",
        lambda _w: Request({"participant": "supplier1"}, params={"code": "c", "state": "s"}),
        PUBLIC,
        refused=(400, "sso-state-invalid"),
    ),
    Rule("POST", "/v1/members", _admission, ADMINS, acts=MISSING_ROLE, person="admin"),
    Rule(
        "POST",
        "/v1/members/{address}/suspend",
        lambda w: Request({"address": w.served.address("bank")}, {"reason": "review"}),
        ADMINS,
        acts=MISSING_ROLE,
        person="admin",
    ),
    Rule(
        "POST",
        "/v1/members/{address}/reinstate",
        lambda w: Request({"address": w.served.address("bank")}),
        ADMINS,
        acts=MISSING_ROLE,
        person="admin",
    ),
    Rule("GET", "/v1/proposals", _no_request, GOVERNANCE_READERS, check=_lists_proposal),
    Rule("GET", "/v1/proposals/{proposal_id}", _proposal, GOVERNANCE_READERS),
    Rule(
        "POST",
        "/v1/proposals/{proposal_id}/approve",
        _proposal,
        ADMINS,
        acts=MISSING_ROLE,
        person="admin",
    ),
    Rule(
        "POST",
        "/v1/proposals/{proposal_id}/revoke",
        _proposal,
        ADMINS,
        acts=MISSING_ROLE,
        person="admin",
    ),
    Rule(
        "POST",
        "/v1/proposals/{proposal_id}/cancel",
        _proposal,
        ADMINS,
        acts=MISSING_ROLE,
        person="admin",
    ),
    # Receivables.
    # Only what one uploaded backs a receivable: the gateway refuses before the contract.
    Rule("POST", "/v1/receivables", _issue_body, frozenset({"core", "core2"}), acts=NOT_UPLOADED),
    Rule("GET", "/v1/receivables/{slot}", lambda w: Request({"slot": w.slot}), SEES_R, SEES_R),
    # ERP batches: a core enterprise's (anyone else: 403 before anything); each its own.
    Rule("POST", "/v1/batches", _batch_body, frozenset({"core", "core2"})),
    Rule(
        "GET",
        "/v1/batches/{batch_id}",
        lambda w: Request({"batch_id": w.batch}),
        OWN_CORE,
        OWN_CORE,
    ),
    Rule("GET", "/v1/pieces", _no_request, EVERYONE, check=_listed_tokens),
    Rule("GET", "/v1/pieces/{token_id}", _piece(_root), SEES_T, SEES_T),
    Rule(
        "GET",
        "/v1/pieces/{token_id}/lineage",
        _piece(_root),
        SEES_T,
        SEES_T,
        check=_redacted_lineage,
    ),
    Rule("GET", "/v1/pieces/{token_id}/evidence", _piece(_root), SEES_T, SEES_T),
    Rule("GET", "/v1/pieces/{token_id}/transfers", _piece(_root), SEES_T, SEES_T),
    Rule(
        "POST",
        "/v1/receivables/{slot}/accept",
        _pending(),
        OWN_SUPPLIER1,
        SEES_Q,
        acts=MISSING_ROLE,
    ),
    Rule(
        "POST",
        "/v1/receivables/{slot}/reject",
        _pending({"reason": "not ours"}),
        OWN_SUPPLIER1,
        SEES_Q,
        acts=MISSING_ROLE,
    ),
    Rule(
        "POST",
        "/v1/receivables/{slot}/cancel",
        _pending(),
        frozenset({"core"}),
        SEES_Q,
        acts=MISSING_ROLE,
    ),
    # Any active member who sees a pending receivable may lapse it (the contract checks when).
    Rule("POST", "/v1/receivables/{slot}/expire", _pending(), SEES_Q, SEES_Q),
    Rule(
        "POST",
        "/v1/pieces/{token_id}/sign",
        _sent(),
        frozenset({"supplier3"}),
        SEES_P,
        acts=(403, "not-holder"),
    ),
    Rule(
        "POST",
        "/v1/pieces/{token_id}/refuse",
        _sent({"reason": "no order"}),
        frozenset({"supplier3"}),
        SEES_P,
        acts=(403, "not-holder"),
    ),
    Rule(
        "POST",
        "/v1/pieces/{token_id}/recall",
        _sent(),
        OWN_SUPPLIER1,
        SEES_P,
        acts=(403, "not-sender"),
    ),
    Rule(
        "POST",
        "/v1/pieces/{token_id}/transfers",
        lambda w: Request(
            {"token_id": w.root}, {"to": w.served.address("supplier3"), "value": cny(1)}
        ),
        OWN_SUPPLIER1,
        SEES_T,
        acts=(403, "erc3525-insufficient-allowance"),  # another's piece: no value allowance
    ),
    # Any member who sees a piece may mark it overdue, then defaulted (the contract reads
    # the clock: nothing in this world is past due).
    Rule(
        "POST",
        "/v1/pieces/{token_id}/overdue",
        lambda w: Request({"token_id": w.root}),
        frozenset(),
        SEES_T,
        acts=(409, "grace-period-running"),
    ),
    Rule(
        "POST",
        "/v1/pieces/{token_id}/default",
        lambda w: Request({"token_id": w.root}),
        frozenset(),
        SEES_T,
        acts=(409, "invalid-piece-state"),
    ),
    Rule(
        "POST",
        "/v1/pieces/{token_id}/evidence",
        lambda w: Request({"token_id": w.root}, {"evidence_hash": "0x" + "f1" * 32}),
        OWN_SUPPLIER1,
        SEES_T,
        acts=NOT_UPLOADED,
    ),
    # Financing.
    Rule(
        "POST",
        "/v1/financing-requests",
        lambda w: Request(
            json={
                "token_id": w.root,
                "financiers": [w.served.address("bank")],
                "terms": TERMS.model_dump(),
            }
        ),
        OWN_SUPPLIER1,
        SEES_T,
        acts=(403, "not-holder"),
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
        "/v1/financing-requests/{request_id}/offers",
        _request_f(TERMS.model_dump()),
        frozenset({"bank"}),
        SEES_F,
        acts=NOT_FINANCIER,
    ),
    Rule(
        "POST",
        "/v1/financing-requests/{request_id}/accept",
        lambda w: Request(
            {"request_id": w.request},
            {"financier": w.served.address("bank"), "terms": TERMS.model_dump()},
        ),
        frozenset({"supplier2"}),
        SEES_F,
        acts=NOT_REQUESTER,
    ),
    # Any active member who sees a request may lapse it (the contract checks when).
    Rule("POST", "/v1/financing-requests/{request_id}/expire", _request_f(), SEES_F, SEES_F),
    Rule(
        "POST",
        "/v1/financing-requests/{request_id}/fund",
        _request_fp({"payment_ref": "wire"}),
        frozenset({"bank2"}),  # the accepted financier
        SEES_FP,
        acts=NOT_FINANCIER,
    ),
    Rule(
        "POST",
        "/v1/financing-requests/{request_id}/recourse",
        _request_fp(),
        frozenset({"bank2"}),
        SEES_FP,
        acts=NOT_FINANCIER,
    ),
    Rule(
        "POST",
        "/v1/financing-requests/{request_id}/recourse/repay",
        _request_fp({"payment_ref": "bought back"}),
        frozenset({"bank2"}),  # without a deposit token only the financier confirms
        SEES_FP,
        # No recourse was claimed in this world: the status refuses first, for anyone.
        acts=(409, "invalid-request-status"),
    ),
    Rule(
        "POST",
        "/v1/financing-requests/{request_id}/reject",
        _request_f({"reason": "no"}),
        frozenset({"bank"}),
        SEES_F,
        acts=NOT_FINANCIER,
    ),
    Rule(
        "POST",
        "/v1/financing-requests/{request_id}/withdraw",
        _request_f(),
        frozenset({"supplier2"}),
        SEES_F,
        acts=NOT_REQUESTER,
    ),
    Rule(
        "POST",
        "/v1/financing-requests/{request_id}/repay",
        lambda w: Request({"request_id": w.pledge}, {"payment_ref": "repaid"}),
        frozenset({"bank2"}),  # without a deposit token only the financier confirms
        SEES_FP,
        acts=NOT_FINANCIER,
    ),
    # Pricing: a read made with POST (a body to compute on), on a piece the caller sees;
    # the comparison of a request's made offers, for its parties (a financier: its own).
    Rule(
        "POST",
        "/v1/pricing/quote",
        lambda w: Request(json=_quote_body(w.root)),
        SEES_T,
        SEES_T,
        person="read",
    ),
    Rule(
        "GET",
        "/v1/financing-requests/{request_id}/offers/comparison",
        _request_fp(),
        SEES_FP,
        SEES_FP,
        check=_compared_offers,
    ),
    Rule("GET", "/v1/calendars", _no_request, EVERYONE),
    Rule(
        "GET",
        "/v1/calendars/{name}/days",
        lambda _w: Request({"name": "china"}, params={"from": "2026-10-01", "to": "2026-10-10"}),
        EVERYONE,
        check=lambda _w, _p, r: None if len(r.json()["days"]) == 10 else pytest.fail(r.text),
    ),
    Rule(
        "GET",
        "/v1/calendars/{name}/adjust",
        lambda _w: Request({"name": "china"}, params={"date": "2026-10-01"}),
        EVERYONE,
        check=lambda _w, _p, r: (
            None if r.json()["adjusted"] == "2026-10-08" else pytest.fail(r.text)
        ),
    ),
    Rule("GET", "/v1/policies", _no_request, frozenset({"bank", "bank2"})),
    Rule(
        "PUT",
        "/v1/policies",
        lambda _w: Request(json=PolicyBody().model_dump(mode="json")),
        frozenset({"bank", "bank2"}),
        person="admin",
    ),
    # Settlements and events.
    Rule("POST", "/v1/settlements", _settle, frozenset({"core"}), SEES_R, acts=MISSING_ROLE),
    Rule(
        "GET",
        "/v1/settlements",
        _no_request,
        EVERYONE,
        check=lambda _w, _p, r: None if r.json()["items"] == [] else pytest.fail(r.text),
    ),
    # Nothing awaits confirmation in this world: the piece's state refuses, for anyone.
    Rule(
        "POST",
        "/v1/settlements/{token_id}/confirm",
        _piece(_root),
        frozenset(),
        SEES_T,
        acts=NOT_AWAITING,
    ),
    Rule(
        "POST",
        "/v1/settlements/{token_id}/dispute",
        lambda w: Request({"token_id": w.root}, {"reason": "not paid"}),
        frozenset(),
        SEES_T,
        acts=NOT_AWAITING,
    ),
    Rule(
        "POST",
        "/v1/settlements/{token_id}/finalize",
        _piece(_root),
        frozenset({"core"}),
        SEES_T,
        acts=NOT_AWAITING,
    ),
    Rule(
        "GET",
        "/v1/escrow",
        _no_request,
        EVERYONE,
        check=lambda _w, _p, r: None if r.json()["amount"] == "0.00" else pytest.fail(r.text),
    ),
    # No deposit token in this world: nothing can be escrowed, for anyone.
    Rule("POST", "/v1/escrow/claim", _no_request, frozenset(), refused=(409, "invalid-state")),
    # Set-off: no member here both owes and is owed (no cycle), so the plan has no round and
    # no round exists; every proposal is unbalanced, refused before the chain.
    Rule(
        "GET",
        "/v1/setoff/plan",
        lambda _w: Request(params={"currency": "CNY"}),
        EVERYONE,
        check=_own_positions,
    ),
    Rule(
        "POST",
        "/v1/setoff/rounds",
        lambda w: Request(json={"items": [{"piece": w.root, "amount": "1.00"}], "deadline": DUE}),
        frozenset(),
        refused=(422, "setoff-round-invalid"),
    ),
    Rule(
        "GET",
        "/v1/setoff/rounds",
        _no_request,
        EVERYONE,
        check=lambda _w, _p, r: None if r.json()["items"] == [] else pytest.fail(r.text),
    ),
    Rule("GET", "/v1/setoff/rounds/{round_id}", _round, frozenset(), frozenset()),
    Rule("POST", "/v1/setoff/rounds/{round_id}/consent", _round, frozenset(), frozenset()),
    Rule(
        "POST",
        "/v1/setoff/rounds/{round_id}/refuse",
        lambda _w: Request({"round_id": 1}, {"reason": "not ours"}),
        frozenset(),
        frozenset(),
    ),
    Rule("POST", "/v1/setoff/rounds/{round_id}/execute", _round, frozenset(), frozenset()),
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
        check=_streamed_visible,
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
        person="admin",
    ),
    Rule(
        "DELETE",
        "/v1/webhooks/{webhook_id}",
        lambda w: Request({"webhook_id": w.webhook}),
        OWN_SUPPLIER1,
        OWN_SUPPLIER1,
        person="admin",
    ),
    Rule(
        "GET",
        "/v1/webhooks/{webhook_id}/deliveries",
        lambda w: Request({"webhook_id": w.webhook}),
        OWN_SUPPLIER1,
        OWN_SUPPLIER1,
    ),
    # Maker-checker: a participant's drafts and policy are its own. Service accounts (admin
    # and maker, keys of scopes read and write) may check no draft; supplier1's draft has
    # expired, so its own checkers get 409 `draft-expired` and change nothing.
    Rule("GET", "/v1/drafts", _no_request, EVERYONE, check=_own_drafts),
    Rule(
        "GET",
        "/v1/drafts/stream",
        lambda _w: Request(params={"duration": 1}),
        EVERYONE,
        check=_own_draft_events,
        stream=True,
    ),
    Rule(
        "GET",
        "/v1/drafts/{draft_id}",
        lambda w: Request({"draft_id": w.draft}),
        OWN_SUPPLIER1,
        OWN_SUPPLIER1,
    ),
    Rule(
        "POST",
        "/v1/drafts/{draft_id}/approve",
        lambda w: Request({"draft_id": w.draft}),
        frozenset(),
        OWN_SUPPLIER1,
        refused=(403, "scope-required"),
        person="approve",
        person_acts=(409, "draft-expired"),
    ),
    Rule(
        "POST",
        "/v1/drafts/{draft_id}/reject",
        lambda w: Request({"draft_id": w.draft}, json={"reason": "refused"}),
        frozenset(),
        OWN_SUPPLIER1,
        refused=(403, "scope-required"),
        person="approve",
        person_acts=(409, "draft-expired"),
    ),
    # What an approved administration draft made is its maker's alone: supplier1's service
    # account made the transfer draft, which made nothing (409); its people are not its
    # maker (403 `not-maker`); anyone else does not see it.
    Rule(
        "POST",
        "/v1/drafts/{draft_id}/reveal",
        lambda w: Request({"draft_id": w.draft}),
        frozenset(),
        OWN_SUPPLIER1,
        acts=(409, "invalid-state"),
        person="self",
        person_acts=(403, "not-maker"),
    ),
    Rule("GET", "/v1/policy", _no_request, EVERYONE, check=_own_policy),
    Rule(
        "PUT",
        "/v1/policy",
        lambda _w: Request(json={"kinds": [], "two_checker_amount": None, "draft_ttl_hours": 72}),
        EVERYONE,
        person="admin",
    ),
    # People: sign-in and one's own sessions (every role), users (admins of their own).
    Rule("POST", "/v1/auth/login", _wrong_login, PUBLIC),
    Rule("POST", "/v1/auth/logout", _no_request, EVERYONE, person="self"),
    Rule("GET", "/v1/auth/me", _no_request, EVERYONE, check=_me, person="self"),
    Rule(
        "POST",
        "/v1/auth/password",
        lambda _w: Request(json={"current_password": "x", "new_password": "y" * 12}),
        EVERYONE,
        person="self",
    ),
    Rule("GET", "/v1/sessions", _no_request, EVERYONE, check=_own_sessions, person="self"),
    # Someone else's session: as if it did not exist, to everyone.
    Rule(
        "DELETE",
        "/v1/sessions/{session_id}",
        lambda w: Request({"session_id": w.someone().session_id}),
        frozenset(),
        frozenset(),
        person="self",
    ),
    Rule("GET", "/v1/users", _no_request, EVERYONE, check=_own_users, person="admin"),
    Rule(
        "POST",
        "/v1/users",
        lambda _w: Request(json={"username": f"u{uuid.uuid4().hex[:8]}", "roles": ["viewer"]}),
        EVERYONE,
        person="admin",
    ),
    Rule(
        "GET",
        "/v1/users/{user_id}",
        _bystander,
        OWN_SUPPLIER1,
        refused=FOREIGN,
        person="admin",
    ),
    Rule(
        "PATCH",
        "/v1/users/{user_id}",
        lambda w: Request({"user_id": w.someone().user_id}, {"display_name": "renamed"}),
        OWN_SUPPLIER1,
        refused=FOREIGN,
        person="admin",
    ),
    Rule(
        "POST",
        "/v1/users/{user_id}/password-reset",
        _bystander,
        OWN_SUPPLIER1,
        refused=FOREIGN,
        person="admin",
    ),
    Rule(
        "POST",
        "/v1/users/{user_id}/second-factor-reset",
        _bystander,
        OWN_SUPPLIER1,
        refused=FOREIGN,
        person="admin",
    ),
    # The audit trail: admins (every key here is a service account, an admin) their own
    # institution's records, an auditor member's people everyone's.
    Rule(
        "GET",
        "/v1/audit",
        lambda _w: Request(params={"limit": 500}),
        EVERYONE,
        check=_own_audit,
        person="audit",
    ),
    Rule("GET", "/v1/audit/export", _no_request, EVERYONE, check=_own_audit, person="audit"),
    # Statements and reconciliation: the caller's own business, whoever asks.
    Rule("GET", "/v1/statements", _period, EVERYONE, check=_own_statement),
    Rule("GET", "/v1/reconciliation", _period, EVERYONE, check=_own_payments),
]


# -- the world ----------------------------------------------------------------------------


def _event(op: Written, name: str) -> dict[str, Any]:
    assert isinstance(op, OperationOut), op  # maker-checker is off here
    assert op.error is None, op
    return next(e.args for e in op.events if e.name == name)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    directory = tmp_path_factory.mktemp("access")
    url = f"sqlite:///{directory / 'gateway.sqlite3'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SCF_WEBHOOK_ALLOW_LOOPBACK", "true")  # a loopback webhook URL
        with served_gateway(directory, url, MEMBERS) as served, webhook_receiver() as hooks:
            engine = create_db_engine(url)
            try:
                world = sign_in_people(build_world(served, engine, hooks), directory)
                with world.http:
                    yield world
            finally:
                engine.dispose()


@contextmanager
def webhook_receiver() -> Iterator[str]:
    """A loopback URL answering every delivery 204 (so none is retried under the snapshots)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/hook"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def build_world(served: Served, engine: Engine, hook_url: str) -> World:
    def sdk(name: str) -> ScfClient:
        return ScfClient(served.url, api_key=served.seeded.api_keys[name], wait="indexed")

    hooks = {}
    for name in PARTICIPANTS:  # before the world's events: a webhook starts at the head
        with sdk(name) as client:
            hooks[name] = client.create_webhook(f"{hook_url}/{name}").id
    with engine.connect() as connection:
        hooks_after = connection.execute(text("SELECT max(id) FROM chain_events")).scalar_one()
    supplier1_key = {"Authorization": f"Bearer {served.seeded.api_keys['supplier1']}"}
    sso = httpx.put(
        f"{served.url}/v1/participants/supplier1/sso", json=SSO_SETTINGS, headers=supplier1_key
    )
    assert sso.status_code == 200, sso.text
    core, supplier1, supplier2 = sdk("core"), sdk("supplier1"), sdk("supplier2")
    supplier3, bank2, core2 = sdk("supplier3"), sdk("bank2"), sdk("core2")
    document = core.upload_document(DOCUMENT).sha256
    invoice2 = core2.upload_document(INVOICE2).sha256
    root2 = int(
        _event(
            core2.issue(
                IssueIn(
                    creditor=served.address("supplier3"),
                    face_amount=cny(40_000),
                    due_date=DUE,
                    document_hash="0x" + invoice2,
                )
            ),
            "ReceivableIssued",
        )["tokenId"]
    )
    issued = _event(
        core.issue(
            IssueIn(
                creditor=served.address("supplier1"),
                face_amount=cny(1_000_000),
                due_date=DUE,
                document_hash="0x" + document,
            )
        ),
        "ReceivableIssued",
    )
    slot, root = int(issued["slot"]), int(issued["tokenId"])
    accepted = supplier1.accept_receivable(slot)
    assert isinstance(accepted, OperationOut)
    evidence = supplier1.upload_document(EVIDENCE, "text/plain").sha256
    supplier1.attach_evidence(root, "0x" + evidence)
    child = int(
        _event(
            supplier1.transfer(
                root, TransferIn(to=served.address("supplier2"), value=cny(300_000))
            ),
            "PieceSplit",
        )["childTokenId"]
    )
    supplier2.sign_piece(child)
    grandchild = int(
        _event(
            supplier2.transfer(
                child, TransferIn(to=served.address("supplier3"), value=cny(100_000))
            ),
            "PieceSplit",
        )["childTokenId"]
    )
    supplier3.sign_piece(grandchild)
    sent = int(
        _event(
            supplier1.transfer(root, TransferIn(to=served.address("supplier3"), value=cny(20_000))),
            "PieceSplit",
        )["childTokenId"]
    )
    fund_by = DUE - 86_400
    asked = FinancingIn(
        token_id=child,
        financiers=[served.address("bank")],
        terms=TermsIn(advance=cny(150_000), repayment=cny(0), fees=cny(1_500), fund_by=fund_by),
    )
    request = int(_event(supplier2.request_financing(asked), "FinancingRequested")["requestId"])
    terms = TermsIn(advance=cny(80_000), repayment=cny(82_400), fees=cny(0), fund_by=fund_by)
    pledged = FinancingIn(
        token_id=grandchild, financiers=[served.address("bank2")], terms=terms, mode="pledge"
    )
    pledge = int(_event(supplier3.request_financing(pledged), "FinancingRequested")["requestId"])
    bank2.offer_financing(pledge, terms)  # the asked terms, from the only financier: agreed
    bank2.fund_financing(pledge, FundIn(payment_ref="advance"))
    pending = _event(
        core.issue(
            IssueIn(
                creditor=served.address("supplier1"),
                face_amount=cny(50_000),
                due_date=DUE,
                document_hash="0x" + core.upload_document(b"order 9a", "text/plain").sha256,
            )
        ),
        "ReceivableIssued",
    )
    webhook = supplier1.create_webhook("http://127.0.0.1:9/never", ["NoSuchEvent"]).id
    admin1 = sdk("admin1")
    suspension = admin1.suspend_member(served.address("bank2"), "review")
    proposal = int(_event(suspension, "ProposalCreated")["proposalId"])
    draft = expired_transfer(served, supplier1, root, served.address("supplier3"))
    batch = refused_batch(served)
    for client in (core, supplier1, supplier2, supplier3, bank2, core2, admin1):
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
        sent=sent,
        document=document,
        evidence=evidence,
        invoice2=invoice2,
        root2=root2,
        webhook=webhook,
        hooks=hooks,
        hooks_after=hooks_after,
        operation=accepted.id,
        foreign_transaction=foreign_transaction(served),
        proposal=proposal,
        draft=draft,
        batch=batch,
        http=httpx.Client(base_url=served.url, timeout=30),
    )


def refused_batch(served: Served) -> int:
    """core's batch whose only line names a document never uploaded: nothing is sent."""
    response = httpx.post(
        f"{served.url}/v1/batches",
        json={"kind": "receivable.issue", "lines": [_issue_body_json(served)]},
        headers={
            "Authorization": f"Bearer {served.seeded.api_keys['core']}",
            "Idempotency-Key": f"batch-{uuid.uuid4()}",
        },
        timeout=30,
    )
    assert response.status_code == 202, response.text
    assert response.json()["counts"] == {"rejected": 1}, response.text
    return int(response.json()["id"])


def expired_transfer(served: Served, supplier1: ScfClient, token_id: int, to: str) -> int:
    """A transfer of supplier1's held as a draft, then expired: its policy checks transfers
    for a moment (asking more applies at once), then nothing again (its policy does not
    check policy changes, so one admin may loosen it); listed past its time, it expires
    (a checker deciding it later gets 409 and changes nothing)."""
    supplier1.set_checker_policy(["piece.transfer"])
    held = supplier1.transfer(token_id, TransferIn(to=to, value=cny(1)))
    assert isinstance(held, DraftOut), held
    assert isinstance(supplier1.set_checker_policy([]), CheckerPolicyOut)
    gateway = served.gateway
    assert gateway is not None
    clock = gateway.wall_clock
    gateway.wall_clock = lambda: clock() + timedelta(hours=73)
    try:
        assert [d.status for d in supplier1.drafts().items] == ["expired"]
    finally:
        gateway.wall_clock = clock
    return held.id


def settle_webhook_cursor(engine: Engine) -> None:
    """Waits until the webhook dispatcher has looked at every event of the world: its
    cursor moves in the background, and the snapshots must see only the requests' effects.
    And until every queued delivery is delivered (the receiver answers 204 at once)."""
    query = text(
        "SELECT (SELECT max(id) FROM chain_events) - (SELECT min(cursor) FROM webhooks)"
        " + (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending')"
    )

    def behind() -> int:
        with engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    eventually(
        lambda: behind() == 0,
        what=lambda: f"the webhook dispatcher to catch up ({behind()} events behind)",
    )


def sign_in_people(w: World, directory: Path) -> World:
    """A viewer, a maker, a checker and an admin of every participant, each with a session
    (the foundation's functions: no password to hash, no second factor to type), and a
    bystander: supplier1's viewer, whose session and user the matrix names."""
    sealer = KeyStore(directory / "keys", PASSPHRASE, scrypt_n=2**10).sealer(WEBHOOK_SECRETS)
    people: dict[tuple[str, str], SignedIn] = {}
    with session_factory(w.engine)() as session:

        def signed_in(participant: str, username: str, role: str) -> SignedIn:
            user, _ = create_user(
                session, participant=participant, username=username, roles=[role], sealer=sealer
            )
            opened = browser.open_session(session, user, address="127.0.0.1", user_agent="matrix")
            return SignedIn(user.id, opened.row.id, opened.token, opened.csrf_token)

        for participant in PARTICIPANTS:
            for role in PERSON_ROLES:
                people[(participant, role)] = signed_in(participant, f"{role}-1", role)
        bystander = signed_in("supplier1", "bystander", "viewer")
        session.commit()
    return replace(w, people=people, bystander=bystander)


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


# The audit trail records every authenticated request, refused or not: no change of state.
BOOKKEEPING_TABLES = frozenset({"audit_records", "audit_head"})
# When a credential was last used: written by every request, refused or not (at most once
# a minute), and no change of state.
CREDENTIAL_USE = {("api_keys", "last_used_at"), ("user_sessions", "last_seen_at")}


def snapshot(w: World) -> dict[str, Any]:
    """Every table's rows (as a count and a digest), the block number and every nonce.

    Operations that failed at estimation are left out: a write the contract refuses is
    recorded as such an operation (its error, under its idempotency key), spending nothing."""
    state: dict[str, Any] = {}
    with w.engine.connect() as connection:
        inspector = inspect(connection)
        for table in sorted(set(inspector.get_table_names()) - BOOKKEEPING_TABLES):
            where = (
                " WHERE status <> 'failed' OR nonce IS NOT NULL" if table == "operations" else ""
            )
            columns = ", ".join(
                f'"{c["name"]}"'
                for c in inspector.get_columns(table)
                if (table, c["name"]) not in CREDENTIAL_USE
            )
            query = text(f'SELECT {columns} FROM "{table}"{where}')
            rows = sorted(repr(tuple(r)) for r in connection.execute(query))
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


def send(w: World, rule: Rule, participant: str | None, role: str | None = None) -> httpx.Response:
    """The rule's request as `participant` (its API key), or as its person of `role` (its
    session cookie, and its CSRF token)."""
    request = rule.build(w)
    headers = {}
    if participant is not None and role is None:
        headers["Authorization"] = f"Bearer {w.served.seeded.api_keys[participant]}"
    elif participant is not None and role is not None:
        person = w.people[(participant, role)]
        headers["Cookie"] = f"{browser.COOKIE}={person.token}"
        headers[browser.CSRF_HEADER] = person.csrf_token
    if rule.method != "GET":
        headers["Idempotency-Key"] = f"matrix-{uuid.uuid4()}"
    url = rule.path.format(**request.path)
    client = w.http
    if rule.stream:
        with client.stream(rule.method, url, params=request.params, headers=headers) as response:
            response.read()  # until the server closes it (`duration` seconds)
            return response
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
        return rule.refused
    if participant is None:
        return 401, "unauthenticated"
    if participant in rule.may:
        return None
    if rule.refused is not None:
        return rule.refused
    return rule.acts if participant in rule.sees else (404, "not-found")


def cell(rule: Rule, participant: str | None, role: str | None = None) -> str:
    who = f"{participant}'s {role}" if role else participant or "anonymous"
    return f"{who} {rule.method} {rule.path}"


def expected_person_refusal(rule: Rule, participant: str, role: str) -> tuple[int, str] | None:
    """The problem `participant`'s person of `role` must get (signed in), or None."""
    refusal = expected_refusal(rule, participant)
    if rule.participant_first and refusal == FOREIGN:
        return refusal
    if rule.needs == "audit" and participant == "auditor":
        return refusal
    if rule.may != PUBLIC and role not in PERSON_MAY[rule.needs]:
        return ROLE_REQUIRED
    if rule.person_acts is not None:
        return rule.person_acts if participant in rule.sees else (404, "not-found")
    return refusal


PEOPLE = [(participant, role) for participant in PARTICIPANTS for role in PERSON_ROLES]


# -- tests --------------------------------------------------------------------------------


def test_matrix_lists_every_endpoint(world: World) -> None:
    # The document is built on its first request: seconds on a loaded machine.
    paths = httpx.get(f"{world.served.url}/openapi.json", timeout=60).json()["paths"]
    served = {(m.upper(), p) for p, ops in paths.items() for m in ops}
    listed = [rule.key for rule in MATRIX]
    assert len(listed) == len(set(listed)), "an endpoint has two entries"
    missing = sorted(served - set(listed))
    assert missing == [], f"endpoints without an entry in MATRIX: {missing}"
    stale = sorted(set(listed) - served)
    assert stale == [], f"entries of MATRIX the gateway does not serve: {stale}"


def test_every_refusal_of_the_matrix_is_documented_for_its_endpoint(world: World) -> None:
    """The problem each participant must get is one the OpenAPI document lists for the
    endpoint, under its status (the document a partner codes against)."""
    document = httpx.get(f"{world.served.url}/openapi.json", timeout=60).json()
    missing = []
    for rule in MATRIX:
        operation = document["paths"][rule.path][rule.method.lower()]
        for participant in (None, *PARTICIPANTS):
            refusal = expected_refusal(rule, participant)
            if refusal is None:
                continue
            status, slug = refusal
            response = operation["responses"].get(str(status), {})
            if "$ref" in response:
                response = document["components"]["responses"][response["$ref"].rsplit("/")[-1]]
            schema = response.get("content", {}).get("application/problem+json", {}).get("schema")
            types = schema["allOf"][1]["properties"]["type"]["enum"] if schema else []
            if f"https://scfledger.dev/problems/{slug}" not in types:
                missing.append(f"{rule.method} {rule.path}: {status} {slug}")
    assert sorted(set(missing)) == []


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


def test_every_refusal_of_a_person_is_documented_for_its_endpoint(world: World) -> None:
    document = httpx.get(f"{world.served.url}/openapi.json", timeout=60).json()
    missing = []
    for rule in MATRIX:
        operation = document["paths"][rule.path][rule.method.lower()]
        for participant, role in PEOPLE:
            refusal = expected_person_refusal(rule, participant, role)
            if refusal is None:
                continue
            status, slug = refusal
            response = operation["responses"].get(str(status), {})
            if "$ref" in response:
                response = document["components"]["responses"][response["$ref"].rsplit("/")[-1]]
            schema = response.get("content", {}).get("application/problem+json", {}).get("schema")
            types = schema["allOf"][1]["properties"]["type"]["enum"] if schema else []
            if f"{PROBLEM}{slug}" not in types:
                missing.append(f"{rule.method} {rule.path}: {status} {slug}")
    assert sorted(set(missing)) == []


def test_people_are_refused_what_their_role_does_not_allow_and_it_changes_nothing(
    world: World,
) -> None:
    """Every signed-in person (viewer, maker, checker, admin of every participant) against
    every endpoint, with the session cookie and its CSRF token: a role that may not gets
    403 `role-required`; a role that may gets what its participant gets. Reads first (one
    snapshot around them all), then each write's refusals between two snapshots."""
    failures: list[str] = []
    rules = sorted(MATRIX, key=lambda rule: rule.method != "GET")
    before = snapshot(world)
    reads = True
    cells = 0
    for rule in rules:
        if reads and rule.method != "GET":
            reads = False
            if snapshot(world) != before:
                failures.append("the refused reads of people changed something")
        for participant, role in PEOPLE:
            expected = expected_person_refusal(rule, participant, role)
            if expected is None:
                continue
            cells += 1
            got = problem_of(send(world, rule, participant, role))
            if got != expected:
                failures.append(f"{cell(rule, participant, role)}: expected {expected}, got {got}")
        if rule.method != "GET":
            after = snapshot(world)
            if after != before:
                changed = sorted(k for k in after if after[k] != before.get(k))
                failures.append(f"people's {rule.method} {rule.path}: changed {changed}")
            before = after
    assert cells > 1000
    assert failures == [], f"{len(failures)} failures in {cells} refused cells:\n" + (
        "\n".join(failures)
    )
    # A viewer writes nothing: every write but its own sign-out, password and sessions (and
    # reads made with POST) is refused for its role (or, another participant's business,
    # for its participant).
    for rule in MATRIX:
        if rule.method != "GET" and rule.needs not in ("self", "read") and rule.may != PUBLIC:
            for participant in PARTICIPANTS:
                refusal = expected_person_refusal(rule, participant, "viewer")
                assert refusal in (ROLE_REQUIRED, FOREIGN), cell(rule, participant, "viewer")


def allowed_read(world: World, rule: Rule, participant: str | None, role: str | None) -> list[str]:
    """The failures of one allowed read: not 200, or an answer its check refuses."""
    response = send(world, rule, participant, role)
    if response.status_code != 200:
        return [f"{cell(rule, participant, role)}: {problem_of(response)}"]
    if rule.check is not None:
        try:
            rule.check(world, participant or "anonymous", response)
        except AssertionError as exc:
            return [f"{cell(rule, participant, role)}: {exc}"]
    return []


def allowed_reads(world: World, cells: list[tuple[Rule, str | None, str | None]]) -> list[str]:
    """The failures of these reads, made a few at a time: each event stream stays open for
    its `duration`, and the reads change nothing, so their order does not matter."""
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        found = pool.map(lambda c: allowed_read(world, *c), cells)
        return sorted(failure for failures in found for failure in failures)


def test_people_read_what_their_participant_may_see(world: World) -> None:
    cells: list[tuple[Rule, str | None, str | None]] = [
        (rule, participant, role)
        for rule in MATRIX
        if rule.method == "GET"
        for participant, role in PEOPLE
        if expected_person_refusal(rule, participant, role) is None
    ]
    failures = allowed_reads(world, cells)
    assert failures == [], "\n".join(failures)


def test_allowed_reads_answer_what_their_caller_may_see(world: World) -> None:
    cells: list[tuple[Rule, str | None, str | None]] = [
        (rule, participant, None)
        for rule in MATRIX
        if rule.method == "GET"
        for participant in (None, *PARTICIPANTS)
        if expected_refusal(rule, participant) is None
    ]
    failures = allowed_reads(world, cells)
    assert failures == [], "\n".join(failures)


# -- who sees what: the one rule, across reads, feed, stream, webhooks, lineage, documents --


def get(w: World, participant: str, path: str, **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {w.served.seeded.api_keys[participant]}"}
    return w.http.get(path, params=params, headers=headers)


def delivered(w: World, participant: str) -> list[int]:
    """The event ids queued for the participant's webhook, oldest first."""
    log = get(w, participant, f"/v1/webhooks/{w.hooks[participant]}/deliveries").json()
    assert all(d["status"] == "delivered" for d in log), log
    return sorted(d["event_id"] for d in log)


def test_webhooks_deliver_exactly_what_the_feed_shows(world: World) -> None:
    """Each participant's webhook got the events of its feed: no fewer (a holder gets the
    state changes of its own piece, though they do not name it) and no more. A webhook
    applies the rule when it queues an event, the feed when it is read: a financier asked
    about a piece finds the piece's earlier events in its feed, and in its webhook only if
    the dispatcher came to them after the request (so those may or may not be there)."""
    events = everything(world)
    asked = {"bank": world.request, "bank2": world.pledge}
    # A sender sees the piece it sent until the receiver signs for it: events about that
    # piece queued before the signature was indexed reach its webhook; read later, the feed
    # no longer shows them. They may or may not be there.
    sent = {"supplier1": world.child, "supplier2": world.grandchild}

    def about(event: dict[str, Any], token: int) -> bool:
        return any(v == token for k, v in event["args"].items() if "okenId" in k)

    for participant in PARTICIPANTS:
        expected = {i for i in expected_events(world, participant) if i > world.hooks_after}
        maybe = {
            e["id"]
            for e in events
            if participant in sent and about(e, sent[participant]) and e["id"] > world.hooks_after
        }
        assert expected, participant
        if participant in asked:
            since = next(
                e["id"]
                for e in events
                if e["name"] == "FinancingRequested"
                and e["args"]["requestId"] == asked[participant]
            )
            must = {i for i in expected if i >= since}
        else:
            must = expected
        got = set(delivered(world, participant))
        assert must - maybe <= got <= expected | maybe, (participant, sorted(got), sorted(expected))
    state_changes = {
        e["id"]
        for e in everything(world)
        if e["name"] == "PieceStateChanged" and e["args"]["tokenId"] == world.child
    }
    assert state_changes  # financing F locked supplier2's piece
    assert state_changes <= set(delivered(world, "supplier2"))


def test_a_deal_between_two_others_shows_nothing_to_a_third(world: World) -> None:
    """F is supplier2's financing at the bank: its amount, rate, the piece's state and who
    holds it further down reach no one else (the first creditor supplier1 included) through
    any read, the feed, the stream or webhooks; FP likewise between supplier3 and bank2."""
    for request, parties in ((world.request, SEES_F), (world.pledge, SEES_FP)):
        for participant in EVERYONE - parties:
            assert get(world, participant, f"/v1/financing-requests/{request}").status_code == 404
            listed = get(world, participant, "/v1/financing-requests").json()["items"]
            assert request not in {r["id"] for r in listed}, participant
            feed = get(world, participant, "/v1/events", limit=500).json()["items"]
            about = {e["id"] for e in everything(world) if e["args"].get("requestId") == request}
            assert about.isdisjoint(e["id"] for e in feed), participant
            assert about.isdisjoint(delivered(world, participant)), participant
    # The first creditor sees its own piece, not what it paid supplier2 with, nor further down.
    for token in (world.child, world.grandchild):
        assert get(world, "supplier1", f"/v1/pieces/{token}").status_code == 404
        assert get(world, "supplier1", f"/v1/pieces/{token}/lineage").status_code == 404
    tree = get(world, "supplier1", f"/v1/pieces/{world.root}/lineage").json()["tree"]
    child, sent = tree["children"]
    assert (sent["token_id"], sent["state"], sent["redacted"]) == (world.sent, "pending", False)
    (grandchild,) = child["children"]
    for node, value in ((child, cny(200_000)), (grandchild, cny(100_000))):
        assert (node["value"], node["holder"], node["state"], node["redacted"]) == (
            value,
            None,
            None,
            True,
        )
    # What it did itself stays its own: the split out of its piece, to supplier2.
    moves = get(world, "supplier1", f"/v1/pieces/{world.root}/transfers").json()
    assert [(m["token_id"], m["receiver"]) for m in moves] == [
        (world.child, world.served.address("supplier2")),
        (world.sent, world.served.address("supplier3")),
    ]


def test_lineage_of_a_visible_piece_redacts_the_pieces_around_it(world: World) -> None:
    """bank2 finances C3 and reads its lineage: its ancestors C (held by supplier2, locked
    for the bank's financing) and T are someone else's business (value and depth only)."""
    body = get(world, "bank2", f"/v1/pieces/{world.grandchild}/lineage").json()
    assert [(n["token_id"], n["depth"], n["value"]) for n in body["ancestors"]] == [
        (world.child, 1, cny(200_000)),
        (world.root, 0, cny(680_000)),
    ]
    for node in body["ancestors"]:
        assert (node["holder"], node["state"], node.get("redacted")) == (None, None, True), node
    assert (body["tree"]["holder"], body["tree"]["state"]) == (
        world.served.address("supplier3"),
        "financed",
    )
    assert get(world, "bank2", f"/v1/pieces/{world.child}").status_code == 404


def test_a_document_is_read_through_what_its_uploader_anchored_it_on(world: World) -> None:
    """supplier1 may not read core2's invoice, nor make it readable by anchoring its public
    hash on its own piece: anchoring needs one's own upload (422, nothing changes)."""
    sha = world.invoice2
    for participant in PARTICIPANTS:
        got = get(world, participant, f"/v1/documents/{sha}").status_code
        assert got == (200 if participant in SEES_T2 else 404), participant
    before = snapshot(world)
    headers = {
        "Authorization": f"Bearer {world.served.seeded.api_keys['supplier1']}",
        "Idempotency-Key": f"steal-{uuid.uuid4()}",
    }
    stolen = world.http.post(
        f"/v1/pieces/{world.root}/evidence",
        json={"evidence_hash": "0x" + sha},
        headers=headers,
    )
    assert problem_of(stolen) == (422, "document-not-uploaded")
    assert snapshot(world) == before
    assert get(world, "supplier1", f"/v1/documents/{sha}").status_code == 404
    # supplier1's own evidence is read by whoever sees the piece it backs.
    for participant in PARTICIPANTS:
        got = get(world, participant, f"/v1/documents/{world.evidence}").status_code
        assert got == (200 if participant in SEES_T else 404), participant


def test_issuing_against_a_document_needs_its_upload(world: World) -> None:
    """core may not back a receivable with a document core2 uploaded (its hash may be
    known: from a released receivable's ReceivableIssued, say): 422, nothing changes, and
    core still cannot read it."""
    quote = b"%PDF-1.7 quotation 12, core2's prices\n"
    headers = {"Authorization": f"Bearer {world.served.seeded.api_keys['core2']}"}
    files = {"file": ("quote", quote, "application/pdf")}
    sha = world.http.post("/v1/documents", files=files, headers=headers).json()["sha256"]
    before = snapshot(world)
    headers = {
        "Authorization": f"Bearer {world.served.seeded.api_keys['core']}",
        "Idempotency-Key": f"steal-{uuid.uuid4()}",
    }
    body = IssueIn(
        creditor=world.served.address("supplier1"),
        face_amount=cny(5),
        due_date=DUE,
        document_hash="0x" + sha,
    )
    refused = world.http.post("/v1/receivables", json=body.model_dump(mode="json"), headers=headers)
    assert problem_of(refused) == (422, "document-not-uploaded")
    assert snapshot(world) == before
    assert get(world, "core", f"/v1/documents/{sha}").status_code == 404


def test_every_event_of_a_feed_is_about_what_its_reader_can_get(world: World) -> None:
    """The feed rule and the resource rule agree, asked through the API only: an event is in
    a participant's feed if and only if its subject (the request it names, else one of the
    pieces, else the participant itself) answers 200 to that participant's GET."""
    readable: dict[tuple[str, str], bool] = {}

    def can_get(participant: str, path: str) -> bool:
        if (participant, path) not in readable:
            readable[(participant, path)] = get(world, participant, path).status_code == 200
        return readable[(participant, path)]

    def subject_readable(participant: str, args: dict[str, Any]) -> bool:
        requests = [args[k] for k in REQUEST_ARGS if k in args]
        if requests:
            return any(can_get(participant, f"/v1/financing-requests/{r}") for r in requests)
        pieces = [args[k] for k in PIECE_ARGS if args.get(k)]
        if pieces:
            return any(can_get(participant, f"/v1/pieces/{t}") for t in pieces)
        return participant == "auditor" or world.served.address(participant) in args.values()

    events = everything(world)
    for participant in PARTICIPANTS:
        feed = {e["id"] for e in get(world, participant, "/v1/events", limit=500).json()["items"]}
        readable_ids = {e["id"] for e in events if subject_readable(participant, e["args"])}
        assert feed == readable_ids, participant
