"""The audit trail through a served gateway: every authenticated request (reads, writes,
refusals) is recorded with its person, institution, result and operation; nothing of an
unauthenticated one; never a body; who may read the trail. And the middleware alone: a
sign-in attempt, a failed audit write, an event stream."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import logging
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy import Engine, event, select, text

from scfledger.api.audit import AuditMiddleware, GroupWriter
from scfledger.db.audit import AuditRecord
from scfledger.db.migrate import upgrade
from scfledger.db.session import create_db_engine, session_factory, transaction
from scfledger.keys.sealing import Sealer
from scfledger.people import audit
from scfledger.people.apikeys import create_api_key
from scfledger.people.person import Person
from scfledger.people.users import create_user
from scfledger.services.ledger import Actor
from scfledger_client import ScfClient
from tests.support.api import cny
from tests.support.served import Served, served_gateway
from tests.support.waiting import eventually

PROBLEM = "https://scfledger.dev/problems/"
DUE = 2_840_140_800  # 2060-01-01
SECRET = "correct-horse-battery-staple-7f3a"  # a password sent in a body: never recorded
PASSWORD = "the clerk's own password 31"


@dataclass(frozen=True)
class World:
    served: Served
    engine: Engine
    keys: dict[str, str]  # core's people: clerk (maker), watcher (viewer)

    def client(self, who: str | None = None) -> httpx.Client:
        """`who`: a person of core (keys), a participant's service account, or nobody."""
        headers = {"User-Agent": "audit-test/1.0"}
        key = self.keys.get(who or "") or (who and self.served.seeded.api_keys[who])
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return httpx.Client(base_url=self.served.url, headers=headers, timeout=60)

    def records(self, **where: Any) -> list[dict[str, Any]]:
        with session_factory(self.engine)() as session:
            query = select(AuditRecord).order_by(AuditRecord.id)
            for name, value in where.items():
                query = query.where(getattr(AuditRecord, name) == value)
            return [audit.fields_of(r) for r in session.scalars(query)]

    def recorded(self, count: int, **where: Any) -> list[dict[str, Any]]:
        """The records `where` takes, once there are `count` (written after each answer)."""

        def found() -> list[dict[str, Any]] | None:
            records = self.records(**where)
            return records if len(records) >= count else None

        return eventually(found, what=f"{count} audit records where {where}")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    directory = tmp_path_factory.mktemp("audit-api")
    url = f"sqlite:///{directory / 'gateway.sqlite3'}"
    with served_gateway(directory, url) as served:
        engine = create_db_engine(url)
        keys = {}
        with transaction(session_factory(engine)) as session:
            for username, roles in (("clerk", ["maker"]), ("watcher", ["viewer"])):
                user, _ = create_user(
                    session,
                    participant="core",
                    username=username,
                    roles=roles,
                    sealer=Sealer(bytes(32)),
                    password=PASSWORD,
                )
                keys[username] = create_api_key(
                    session=session,
                    participant="core",
                    address=served.address("core"),
                    user_id=user.id,
                    scopes=("read", "write"),
                )
        try:
            yield World(served=served, engine=engine, keys=keys)
        finally:
            engine.dispose()


def problem_of(response: httpx.Response) -> tuple[int, str]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return response.status_code, str(response.json()["type"]).removeprefix(PROBLEM)


@pytest.mark.integration
def test_every_authenticated_request_is_recorded_with_its_person_and_outcome(
    world: World,
) -> None:
    with world.client("clerk") as clerk:
        listed = clerk.get("/v1/pieces", params={"limit": 5})
        uploaded = clerk.post(
            "/v1/documents", files={"file": ("po.txt", b"purchase order 77", "text/plain")}
        )
        document = "0x" + uploaded.json()["sha256"]

        def issue(amount: int) -> httpx.Response:
            body = {
                "creditor": world.served.address("supplier1"),
                "face_amount": cny(amount),
                "due_date": DUE,
                "document_hash": document,
            }
            key = {"Idempotency-Key": f"audit-{uuid.uuid4()}"}
            return clerk.post("/v1/receivables", json=body, headers=key)

        issued, too_small = issue(100_000), issue(1_000)  # the contract's minimum: 10,000
        missing = clerk.get("/v1/pieces/987654")
    assert (listed.status_code, uploaded.status_code, issued.status_code) == (200, 201, 202), (
        issued.text
    )
    assert problem_of(missing) == (404, "not-found")
    assert problem_of(too_small) == (422, "value-below-minimum")

    # Each record is written after its answer, on a worker thread: the trail's order is the
    # order of writing, which a quick next request can overtake. Compare them by outcome.
    rows = world.recorded(5, username="clerk")
    summary = sorted((r["action"], r["target"], r["status"], r["result"]) for r in rows)
    assert summary == sorted(
        [
            ("GET /v1/pieces", "/v1/pieces", 200, "ok"),
            ("POST /v1/documents", "/v1/documents", 201, "ok"),
            ("POST /v1/receivables", "/v1/receivables", 202, "ok"),
            ("POST /v1/receivables", "/v1/receivables", 422, "value-below-minimum"),
            ("GET /v1/pieces/{token_id}", "/v1/pieces/987654", 404, "not-found"),
        ]
    )
    clerk_id = rows[0]["user_id"]
    for row in rows:
        assert (row["participant"], row["roles"], row["credential"]) == ("core", "maker", "key")
        assert (row["address"], row["user_agent"]) == ("127.0.0.1", "audit-test/1.0")
        assert row["user_id"] == clerk_id is not None
    by_outcome = {(r["action"], r["status"]): r for r in rows}
    assert by_outcome["POST /v1/receivables", 202]["operation_id"] == issued.json()["id"]
    refused = by_outcome["POST /v1/receivables", 422]
    assert refused["operation_id"] == too_small.json()["operation"]["id"]  # failed at estimation
    reads = ("GET /v1/pieces", 200), ("POST /v1/documents", 201), ("GET /v1/pieces/{token_id}", 404)
    assert [by_outcome[outcome]["operation_id"] for outcome in reads] == [None, None, None]
    # The request's SHA-256: method, raw path, query and body (a GET has none).
    expected = hashlib.sha256(b"GET /v1/pieces?limit=5\n").hexdigest()
    assert by_outcome["GET /v1/pieces", 200]["request_hash"] == expected
    with session_factory(world.engine)() as session:
        assert audit.verify(session).intact


@pytest.mark.integration
def test_a_refused_write_records_the_refusal_and_a_service_key_its_account(
    world: World,
) -> None:
    """A viewer may not write (403 role-required), recorded as such; a participant's own
    service account acts as `service` (admin, maker)."""
    with world.client("watcher") as watcher:
        refused = watcher.post(
            "/v1/receivables/1/accept", headers={"Idempotency-Key": f"v-{uuid.uuid4()}"}
        )
    assert problem_of(refused) == (403, "role-required")
    (row,) = world.recorded(1, username="watcher", action="POST /v1/receivables/{slot}/accept")
    assert (row["status"], row["result"], row["roles"]) == (403, "role-required", "viewer")
    with world.client("bank") as bank:
        assert bank.get("/v1/settlements").status_code == 200
    (row,) = world.recorded(1, participant="bank", action="GET /v1/settlements")
    assert (row["username"], row["roles"], row["credential"]) == ("service", "admin,maker", "key")


@pytest.mark.integration
def test_sign_in_attempts_and_session_requests_are_recorded(world: World) -> None:
    """A failed sign-in: anonymous, with the username tried (never the password); a
    signed-in person's requests: credential `session`."""
    with world.client() as browser:
        login = {"participant": "core", "username": "watcher", "password": SECRET}
        assert problem_of(browser.post("/v1/auth/login", json=login)) == (
            401,
            "invalid-credentials",
        )
        signed = browser.post("/v1/auth/login", json={**login, "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        assert browser.get("/v1/financing-requests").status_code == 200
        # A write with the cookie but without its CSRF token: refused, and recorded.
        forged = browser.post("/v1/documents", files={"file": ("x.txt", b"x", "text/plain")})
        assert problem_of(forged) == (403, "csrf-failed")
    attempts = world.recorded(2, action="POST /v1/auth/login", username="watcher")
    outcomes = sorted(
        (r["credential"], r["participant"], r["status"], r["result"]) for r in attempts
    )
    assert outcomes == [
        ("anonymous", "core", 200, "ok"),
        ("anonymous", "core", 401, "invalid-credentials"),
    ]
    (read,) = world.recorded(1, action="GET /v1/financing-requests", username="watcher")
    assert (read["credential"], read["roles"], read["status"]) == ("session", "viewer", 200)
    (csrf,) = world.recorded(1, action="POST /v1/documents", username="watcher")
    assert (csrf["credential"], csrf["status"], csrf["result"]) == ("anonymous", 403, "csrf-failed")
    everything = json.dumps([audit.as_exported(r) for r in world.records()])
    assert SECRET not in everything
    assert PASSWORD not in everything
    assert signed.json()["csrf_token"] not in everything


@pytest.mark.integration
def test_an_unauthenticated_request_is_not_recorded(world: World) -> None:
    with world.client() as anonymous:
        assert problem_of(anonymous.get("/v1/pieces/4242")) == (401, "unauthenticated")
    with httpx.Client(base_url=world.served.url, timeout=30) as wrong:
        headers = {"Authorization": "Bearer scf_00000000_not-a-key"}
        assert problem_of(wrong.get("/v1/pieces/4242", headers=headers))[0] == 401
    with world.client("supplier2") as supplier2:  # recorded after the two above were answered
        assert supplier2.get("/v1/pieces/4243").status_code == 404
    world.recorded(1, target="/v1/pieces/4243")
    assert world.records(target="/v1/pieces/4242") == []


@pytest.mark.integration
def test_no_body_and_no_key_ever_reaches_a_record(world: World) -> None:
    """A password in a body (refused), a new API key in an answer, the caller's key in its
    header: none is in any column of any record."""
    key = world.served.seeded.api_keys["supplier3"]
    with world.client("supplier3") as supplier3:
        refused = supplier3.post(
            "/v1/webhooks",
            json={"url": "http://127.0.0.1:9/x", "password": SECRET, "api_key": key},
            headers={"X-Password": SECRET},
        )
        issued = supplier3.post("/v1/participants/supplier3/api-keys")
    assert problem_of(refused) == (422, "validation-error")
    assert issued.status_code == 201, issued.text
    new_key = issued.json()["api_key"]
    rows = world.recorded(
        1, participant="supplier3", action="POST /v1/participants/{name}/api-keys"
    )
    everything = json.dumps([audit.as_exported(r) for r in world.records()])
    assert rows
    # A key is scf_<public prefix>_<secret>, and the secret may itself contain "_".
    for secret in (SECRET, key, new_key, key.split("_", 2)[2], new_key.split("_", 2)[2]):
        assert secret not in everything


@pytest.mark.integration
def test_who_reads_the_trail(world: World) -> None:
    # Something of core's (its service account, its clerk) and bank's in the trail.
    with world.client("core") as core, world.client("bank") as bank:
        core.get("/v1/pieces")
        bank.get("/v1/pieces")
    with world.client("clerk") as clerk:
        for _ in range(3):
            clerk.get("/v1/settlements")
    world.recorded(1, participant="bank", username="service")
    world.recorded(1, participant="core", username="service")
    world.recorded(3, username="clerk", action="GET /v1/settlements")
    for person in ("watcher", "clerk"):  # a viewer, a maker: not admins
        with world.client(person) as client:
            assert problem_of(client.get("/v1/audit")) == (403, "role-required")
            assert problem_of(client.get("/v1/audit/export")) == (403, "role-required")
    with world.client() as anonymous:
        assert problem_of(anonymous.get("/v1/audit")) == (401, "unauthenticated")
    with world.client("core") as core:  # its service account: an admin of core
        own = core.get("/v1/audit", params={"limit": 500}).json()["items"]
        assert own
        assert {r["participant"] for r in own} == {"core"}
        assert all(datetime.fromisoformat(r["at"]).tzinfo is not None for r in own)  # RFC 3339
        assert problem_of(core.get("/v1/audit", params={"participant": "bank"})) == (
            403,
            "role-required",
        )
        assert problem_of(core.get("/v1/audit", params={"cursor": "x"})) == (400, "invalid-cursor")
        backwards = {"from": "2026-11-27T00:00:00Z", "to": "2026-11-26T00:00:00Z"}
        assert problem_of(core.get("/v1/audit", params=backwards)) == (422, "invalid-input")
        naive_and_aware = {"from": "2026-11-26T00:00:00", "to": "2030-01-01T00:00:00+08:00"}
        assert core.get("/v1/audit", params=naive_and_aware).status_code == 200
        overflowing = {"to": "9999-12-31T23:59:59-01:00"}
        assert problem_of(core.get("/v1/audit", params=overflowing)) == (422, "invalid-input")
        by_clerk = core.get("/v1/audit", params={"user": "clerk", "limit": 2}).json()
        assert [r["username"] for r in by_clerk["items"]] == ["clerk", "clerk"]
        after = core.get(
            "/v1/audit", params={"user": "clerk", "limit": 2, "cursor": by_clerk["next_cursor"]}
        ).json()["items"]
        assert after
        assert after[0]["id"] > by_clerk["items"][-1]["id"]
        exported = core.get("/v1/audit/export", params={"format": "csv", "user": "clerk"})
        assert exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        listed = core.get("/v1/audit", params={"user": "clerk", "limit": 500}).json()["items"]
        assert [int(r["id"]) for r in rows][: len(listed)] == [r["id"] for r in listed]
    with world.client("auditor") as auditor:
        everyone = auditor.get("/v1/audit", params={"limit": 500}).json()["items"]
        assert {"core", "bank"} <= {r["participant"] for r in everyone}
        only_bank = auditor.get("/v1/audit", params={"participant": "bank"}).json()["items"]
        assert {r["participant"] for r in only_bank} == {"bank"}
        lines = auditor.get("/v1/audit/export", params={"format": "json"}).text.splitlines()
        parsed = list(audit.parse_export("json", lines))
        assert audit.walk(parsed, head=None).intact  # the whole trail, verified from the export
    key = world.served.seeded.api_keys["auditor"]
    with ScfClient(world.served.url, api_key=key) as sdk:
        since = datetime.fromisoformat(own[0]["at"])
        page = sdk.audit_records(participant="core", since=since, limit=3)
        assert [r.id for r in page.items] == [r["id"] for r in own[:3]]
        streamed = sdk.export_audit("json", participant="core", since=since).splitlines()
        ids = [json.loads(line)["id"] for line in streamed]
        assert ids[: len(own)] == [r["id"] for r in own]  # and what core did since
    (refusal,) = world.recorded(1, username="watcher", action="GET /v1/audit")
    assert refusal["result"] == "role-required"


@pytest.mark.integration
def test_an_event_stream_is_recorded_when_it_starts(world: World) -> None:
    with (
        world.client("supplier1") as supplier1,
        supplier1.stream("GET", "/v1/events/stream", params={"duration": 30}) as stream,
    ):
        assert stream.status_code == 200
        next(stream.iter_raw())  # the stream is open, and stays so
        (row,) = world.recorded(1, participant="supplier1", action="GET /v1/events/stream")
        assert (row["status"], row["result"]) == (200, "ok")


# -- the middleware alone: a small app over a migrated SQLite database -------------------


def _actor() -> Actor:
    person = Person(
        user_id="u-1",
        username="treasurer",
        participant="core",
        kind="user",
        roles=frozenset({"admin", "checker"}),
        credential="session",
        credential_id="s-1",
        scopes=frozenset({"read", "write", "approve"}),
    )
    return Actor(
        participant="core", address="0x" + "1" * 40, roles=0, status="active", person=person
    )


def small_app(engine: Engine, failures: Counter) -> FastAPI:
    app = FastAPI()

    @app.post("/login")
    async def login(request: Request) -> JSONResponse:
        body = await request.json()
        # As the sign-in routes set it: a dict (AuditSubject is read the same).
        request.state.audit_subject = {"participant": "core", "username": body["username"]}
        return JSONResponse(
            {"type": PROBLEM + "invalid-credentials"},
            status_code=401,
            media_type="application/problem+json",
        )

    @app.post("/drafts/{draft_id}/approve")
    async def approve(draft_id: str, request: Request) -> JSONResponse:
        request.state.actor = _actor()
        return JSONResponse({"id": "op-9", "tx_hash": "0x" + "cd" * 32}, status_code=202)

    @app.get("/stream")
    async def stream(request: Request) -> StreamingResponse:
        request.state.actor = _actor()

        async def frames() -> Any:
            yield "data: 1\n\n"
            assert [r.action for r in rows(engine)] == ["GET /stream"]  # before it ends
            yield "data: 2\n\n"

        return StreamingResponse(frames(), media_type="text/event-stream")

    sessions = session_factory(engine)
    app.add_middleware(AuditMiddleware, sessions=lambda: sessions, failures=failures)
    return app


def rows(engine: Engine) -> list[AuditRecord]:
    with session_factory(engine)() as session:
        return list(session.scalars(select(AuditRecord).order_by(AuditRecord.id)))


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'audit.sqlite3'}"
    upgrade(url)
    engine = create_db_engine(url)
    yield engine
    engine.dispose()


def test_a_sign_in_attempt_is_recorded_as_anonymous_with_the_username_tried(
    engine: Engine,
) -> None:
    failures = Counter("f", "f", registry=CollectorRegistry())
    with TestClient(small_app(engine, failures)) as client:
        body = json.dumps({"username": "treasurer", "password": SECRET}).encode()
        answer = client.post("/login", content=body, headers={"User-Agent": "ua"})
    assert answer.status_code == 401
    (row,) = rows(engine)
    assert (row.credential, row.participant, row.username, row.user_id) == (
        "anonymous",
        "core",
        "treasurer",
        None,
    )
    assert (row.action, row.status, row.result) == ("POST /login", 401, "invalid-credentials")
    assert row.request_hash == hashlib.sha256(b"POST /login?\n" + body).hexdigest()
    assert SECRET not in json.dumps(audit.as_exported(audit.fields_of(row)))


def test_a_draft_decision_records_the_draft_and_the_operation(engine: Engine) -> None:
    failures = Counter("f", "f", registry=CollectorRegistry())
    with TestClient(small_app(engine, failures)) as client:
        assert client.post("/drafts/d-77/approve").status_code == 202
    (row,) = rows(engine)
    assert (row.draft_id, row.operation_id, row.tx_hash) == ("d-77", "op-9", "0x" + "cd" * 32)
    assert (row.username, row.roles, row.credential) == ("treasurer", "admin,checker", "session")


def test_an_event_stream_is_recorded_before_it_ends(engine: Engine) -> None:
    failures = Counter("f", "f", registry=CollectorRegistry())
    with TestClient(small_app(engine, failures)) as client:
        answer = client.get("/stream")
    assert answer.text == "data: 1\n\ndata: 2\n\n"  # the check inside the stream held
    assert len(rows(engine)) == 1


def test_a_failed_audit_write_is_logged_and_counted_not_answered(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    failures = Counter("f", "f", registry=CollectorRegistry())
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE audit_records"))
    with caplog.at_level(logging.ERROR), TestClient(small_app(engine, failures)) as client:
        answer = client.post("/drafts/d-1/approve")
    assert answer.status_code == 202
    assert failures._value.get() == 1
    (message,) = [r.getMessage() for r in caplog.records if r.name == "scfledger.api.audit"]
    assert message == (
        "audit record not written for POST /drafts/{draft_id}/approve (status 202): "
        "OperationalError"
    )


def test_the_records_of_concurrent_requests_are_written_together(engine: Engine) -> None:
    """Twenty requests at once: twenty records, chained in order, in fewer transactions
    than records (each transaction locks the trail's one head row)."""
    failures = Counter("f", "f", registry=CollectorRegistry())
    commits: list[int] = []
    event.listen(engine, "commit", lambda connection: commits.append(1))
    app = small_app(engine, failures)

    async def twenty() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://audit") as client:
            answers = await asyncio.gather(
                *(client.post(f"/drafts/d-{n}/approve") for n in range(20))
            )
        return [a.status_code for a in answers]

    assert asyncio.run(twenty()) == [202] * 20
    written = rows(engine)
    assert sorted(r.draft_id or "" for r in written) == sorted(f"d-{n}" for n in range(20))
    assert [r.id for r in written] == list(range(1, 21))
    with session_factory(engine)() as session:
        assert audit.verify(session).intact
    assert 1 <= len(commits) < 20
    assert failures._value.get() == 0


def test_an_entry_whose_write_fails_keeps_no_other_of_its_group_out() -> None:
    written: list[list[str]] = []

    def write(entries: Sequence[audit.AuditEntry]) -> None:
        if any(e.action == "bad" for e in entries):
            raise ValueError("refused")
        written.append([e.action for e in entries])

    writer = GroupWriter(write)

    def entry(action: str) -> audit.AuditEntry:
        return audit.AuditEntry(
            credential="key",
            action=action,
            target="/",
            request_hash="0" * 64,
            status=200,
            result="ok",
        )

    async def three() -> list[BaseException | None]:
        results = await asyncio.gather(
            *(writer.add(entry(a)) for a in ("first", "bad", "last")), return_exceptions=True
        )
        return list(results)

    first, bad, last = asyncio.run(three())
    assert (first, last) == (None, None)
    assert isinstance(bad, ValueError)
    assert str(bad) == "refused"
    assert written == [["first"], ["last"]]  # the group of three refused, then one by one
