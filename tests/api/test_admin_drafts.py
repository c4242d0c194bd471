"""Maker-checker of user and key administration over a served gateway: under the default
policy an admin's change of people or keys is a draft that a different checker approves;
what its approval makes (a temporary password, a second factor, an API key) reaches the
maker alone, once (`POST /v1/drafts/{id}/reveal`), and nowhere else."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from scfledger.db.drafts import Draft
from scfledger.db.people import User
from scfledger.db.session import create_db_engine, session_factory
from tests.support.api import assert_problem
from tests.support.checking import person_key
from tests.support.served import Served, served_gateway

pytestmark = pytest.mark.integration

# core's people: username -> (roles, key scopes). max is an admin who also checks (so that
# its own draft is refused as its own, not for its role); carl and cora check.
PEOPLE: dict[str, tuple[list[str], list[str]]] = {
    "max": (["admin", "checker"], ["read", "write", "approve"]),
    "ada": (["admin"], ["read", "write"]),
    "carl": (["checker"], ["read", "approve"]),
    "cora": (["checker"], ["read", "approve"]),
    "amy": (["maker"], ["read", "write"]),
}


@dataclass
class Admin:
    served: Served
    keys: dict[str, str]  # username (of core) -> API key

    def client(self, username: str) -> httpx.Client:
        return self.key_client(self.keys[username])

    def key_client(self, key: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.served.url, headers={"Authorization": f"Bearer {key}"}, timeout=70
        )

    def post(self, username: str, path: str, body: Any = None) -> httpx.Response:
        with self.client(username) as client:
            return client.post(path, json=body)

    def drafted(self, response: httpx.Response, kind: str, maker: str) -> dict[str, Any]:
        """The draft a held administration answered (202, Location)."""
        assert response.status_code == 202, response.text
        body: dict[str, Any] = response.json()
        assert (body["object"], body["kind"], body["status"], body["maker"]) == (
            "draft",
            kind,
            "pending",
            maker,
        )
        assert response.headers["location"] == f"/v1/drafts/{body['id']}"
        return body

    def user(self, username: str) -> User | None:
        engine = create_db_engine(self.served.database_url)
        try:
            with session_factory(engine)() as session:
                return session.scalars(
                    select(User).where(User.participant == "core", User.username == username)
                ).one_or_none()
        finally:
            engine.dispose()

    def draft_row(self, draft_id: int) -> Draft:
        engine = create_db_engine(self.served.database_url)
        try:
            with session_factory(engine)() as session:
                return session.get_one(Draft, draft_id)
        finally:
            engine.dispose()

    def everything_stored(self) -> str:
        """Every row of the tables a secret must never reach in clear: drafts (arguments,
        reasons), their decisions, gateway events, webhook deliveries, the audit trail."""
        engine = create_db_engine(self.served.database_url)
        tables = (
            "drafts",
            "draft_decisions",
            "gateway_events",
            "webhook_deliveries",
            "audit_records",
        )
        try:
            with engine.connect() as connection:
                present = {
                    row[0]
                    for row in connection.execute(
                        text("SELECT name FROM sqlite_master WHERE type = 'table'")
                    )
                }
                rows = [
                    [str(value) for value in row]
                    for table in tables
                    if table in present
                    for row in connection.execute(text(f"SELECT * FROM {table}"))
                ]
        finally:
            engine.dispose()
        return json.dumps(rows)


@pytest.fixture(scope="module")
def admin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Admin]:
    """The demo consortium with maker-checker on (the default policy, which checks
    `user.admin` and `key.admin`) and the PEOPLE at core, each with an API key."""
    directory = tmp_path_factory.mktemp("admin-drafts")
    database = f"sqlite:///{directory / 'gateway.sqlite3'}"
    with served_gateway(directory, database, maker_checker=True) as served:
        keys = {
            username: person_key(served, "core", username, roles, scopes)
            for username, (roles, scopes) in PEOPLE.items()
        }
        yield Admin(served, keys)


def new_name() -> str:
    return f"u{uuid.uuid4().hex[:10]}"


def test_a_user_is_created_only_once_another_checker_approves_and_its_password_reaches_the_maker_once(  # noqa: E501
    admin: Admin, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    username = new_name()

    held = admin.post("max", "/v1/users", {"username": username, "roles": ["maker"]})

    draft = admin.drafted(held, "user.admin", "max")
    assert draft["arguments"]["username"] == username
    assert admin.user(username) is None  # nothing created yet
    # The maker checks no draft of its own, even as a checker.
    assert_problem(admin.post("max", f"/v1/drafts/{draft['id']}/approve"), 403, "own-draft")
    # Nothing to reveal while it waits.
    reveal = f"/v1/drafts/{draft['id']}/reveal"
    assert_problem(admin.post("max", reveal), 409, "invalid-state")
    assert admin.user(username) is None

    approved = admin.post("carl", f"/v1/drafts/{draft['id']}/approve")

    assert approved.status_code == 200, approved.text
    decided = approved.json()
    assert decided["draft"]["status"] == "submitted"
    assert decided["operation"] is None
    created = admin.user(username)
    assert created is not None
    assert created.roles == ["maker"]
    assert created.must_change_password
    # The checker cannot read what it approved.
    assert_problem(admin.post("carl", reveal), 403, "not-maker")

    first = admin.post("max", reveal)

    assert first.status_code == 200, first.text
    secrets = first.json()
    assert (secrets["draft_id"], secrets["kind"]) == (draft["id"], "user.admin")
    password = secrets["temporary_password"]
    assert isinstance(password, str)
    assert len(password) >= 12
    assert (secrets["totp_secret"], secrets["api_key"]) == (None, None)  # a maker: no TOTP
    assert_problem(admin.post("max", reveal), 409, "already-revealed")
    assert admin.draft_row(draft["id"]).sealed_secrets is None  # erased once read
    # The password is the user's: it signs in with it (and must change it).
    with httpx.Client(base_url=admin.served.url, timeout=70) as client:
        login = client.post(
            "/v1/auth/login",
            json={"participant": "core", "username": username, "password": password},
        )
    assert login.status_code == 200, login.text
    # Nowhere else: not in the checker's answer, the draft, the listing, the stored rows
    # (drafts, events, webhook deliveries, audit), the logs.
    with admin.client("max") as client:
        shown = client.get(f"/v1/drafts/{draft['id']}").text + client.get("/v1/drafts").text
    assert approved.text.count("temporary_password") == 0
    assert password not in approved.text + shown
    assert password not in admin.everything_stored()
    assert not [r for r in caplog.records if password in r.getMessage()]


def test_a_key_issued_under_maker_checker_works_and_is_revealed_to_its_maker_once(
    admin: Admin,
) -> None:
    held = admin.post("max", "/v1/participants/core/api-keys", {"owner": "amy", "scopes": ["read"]})

    draft = admin.drafted(held, "key.admin", "max")
    approved = admin.post("cora", f"/v1/drafts/{draft['id']}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["draft"]["status"] == "submitted"
    reveal = f"/v1/drafts/{draft['id']}/reveal"
    assert_problem(admin.post("cora", reveal), 403, "not-maker")

    first = admin.post("max", reveal)

    assert first.status_code == 200, first.text
    key = first.json()["api_key"]
    assert isinstance(key, str)
    assert first.json()["temporary_password"] is None
    with admin.key_client(key) as client:
        me = client.get("/v1/auth/me")
        assert me.status_code == 200, me.text
        assert (me.json()["username"], me.json()["scopes"]) == ("amy", ["read"])
    assert_problem(admin.post("max", reveal), 409, "already-revealed")
    assert key not in approved.text + admin.everything_stored()

    # An admin revoking another's key waits for a checker too; then the key stops working.
    with admin.client("max") as client:
        listed = client.get("/v1/participants/core/api-keys").json()
        prefix = next(k["prefix"] for k in listed if key.startswith(k["prefix"]))
        revoking = client.delete(f"/v1/participants/core/api-keys/{prefix}")
    revocation = admin.drafted(revoking, "key.admin", "max")
    with admin.key_client(key) as client:
        assert client.get("/v1/auth/me").status_code == 200  # still live while it waits
    assert admin.post("carl", f"/v1/drafts/{revocation['id']}/approve").status_code == 200
    with admin.key_client(key) as client:
        assert_problem(client.get("/v1/auth/me"), 401, "unauthenticated")


def test_a_rejected_user_creation_creates_nothing_and_reveals_nothing(admin: Admin) -> None:
    username = new_name()
    draft = admin.drafted(
        admin.post("ada", "/v1/users", {"username": username, "roles": ["viewer"]}),
        "user.admin",
        "ada",
    )

    rejected = admin.post("carl", f"/v1/drafts/{draft['id']}/reject", {"reason": "who is it?"})

    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    assert admin.user(username) is None
    assert_problem(admin.post("ada", f"/v1/drafts/{draft['id']}/reveal"), 409, "invalid-state")
    assert_problem(admin.post("cora", f"/v1/drafts/{draft['id']}/approve"), 409, "already-decided")


def test_an_expired_user_creation_creates_nothing(admin: Admin) -> None:
    username = new_name()
    draft = admin.drafted(
        admin.post("ada", "/v1/users", {"username": username, "roles": ["viewer"]}),
        "user.admin",
        "ada",
    )
    gateway = admin.served.gateway
    assert gateway is not None
    real = gateway.wall_clock
    later = real() + timedelta(hours=73)  # the default policy waits 72 hours
    gateway.wall_clock = lambda: later
    try:
        assert_problem(
            admin.post("carl", f"/v1/drafts/{draft['id']}/approve"), 409, "draft-expired"
        )
    finally:
        gateway.wall_clock = real
    assert admin.draft_row(draft["id"]).status == "expired"
    assert admin.user(username) is None


def test_a_role_change_waits_for_a_checker_and_its_new_second_factor_reaches_the_maker(
    admin: Admin,
) -> None:
    username = new_name()
    created = admin.drafted(
        admin.post("ada", "/v1/users", {"username": username, "roles": ["maker"]}),
        "user.admin",
        "ada",
    )
    assert admin.post("carl", f"/v1/drafts/{created['id']}/approve").status_code == 200
    user = admin.user(username)
    assert user is not None
    assert user.totp_secret is None

    with admin.client("ada") as client:
        held = client.patch(f"/v1/users/{user.id}", json={"roles": ["maker", "checker"]})

    draft = admin.drafted(held, "user.admin", "ada")
    assert draft["arguments"]["roles"] == ["checker", "maker"]
    unchanged = admin.user(username)
    assert unchanged is not None
    assert unchanged.roles == ["maker"]
    assert admin.post("cora", f"/v1/drafts/{draft['id']}/approve").status_code == 200
    changed = admin.user(username)
    assert changed is not None
    assert sorted(changed.roles) == ["checker", "maker"]
    assert changed.totp_secret is not None  # a checker needs a second factor

    revealed = admin.post("ada", f"/v1/drafts/{draft['id']}/reveal").json()

    assert revealed["otpauth_uri"].startswith("otpauth://totp/")
    assert revealed["totp_secret"] in revealed["otpauth_uri"]
    assert revealed["temporary_password"] is None
    assert revealed["totp_secret"] not in admin.everything_stored()


def test_an_approval_the_state_no_longer_allows_is_refused_and_ends_the_draft(
    admin: Admin,
) -> None:
    """Two drafts creating the same name: the second approval finds it taken."""
    username = new_name()
    body = {"username": username, "roles": ["viewer"]}
    first = admin.drafted(admin.post("ada", "/v1/users", body), "user.admin", "ada")
    second = admin.drafted(admin.post("max", "/v1/users", body), "user.admin", "max")
    assert admin.post("carl", f"/v1/drafts/{first['id']}/approve").status_code == 200

    assert_problem(admin.post("carl", f"/v1/drafts/{second['id']}/approve"), 409, "user-exists")

    ended = admin.draft_row(second["id"])
    assert (ended.status, ended.sealed_secrets) == ("submitted", None)
    assert ended.reason is not None
    assert ended.reason.startswith("refused:")
    assert_problem(admin.post("max", f"/v1/drafts/{second['id']}/reveal"), 409, "invalid-state")


def test_without_a_second_checker_administration_applies_at_once(admin: Admin) -> None:
    """Bootstrap: supplier1 (the default policy too) has no checker but its service
    account: its admin's changes apply at once (nobody could approve them). Once it has a
    checker, they wait for one."""
    sam = person_key(admin.served, "supplier1", "sam", ["admin", "checker"], ["read", "write"])
    with admin.key_client(sam) as client:
        policy = client.get("/v1/policy").json()
        assert policy["default"]
        assert "user.admin" in policy["kinds"]

        at_once = client.post("/v1/users", json={"username": "chk", "roles": ["checker"]})

        assert at_once.status_code == 201, at_once.text
        assert at_once.json()["temporary_password"]
        assert at_once.json()["totp_secret"]
        # sam itself is a checker, but the maker does not count: now chk does.
        held = client.post("/v1/users", json={"username": new_name(), "roles": ["viewer"]})
        assert held.status_code == 202, held.text
        assert held.json()["kind"] == "user.admin"
