"""People over HTTP: sign-in (cookie attributes, second factor, lockout), CSRF, session
timeouts and revocation, users administration by a participant's own admins, API keys with
owners, scopes and expiry, and secrets that appear once and never in logs."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from scfledger.api.app import create_app
from scfledger.app.compose import Deployment, build_gateway
from scfledger.config import Settings
from scfledger.db.session import create_db_engine
from scfledger.keys.store import KeyStore
from tests.support.api import assert_problem
from tests.support.served import PASSPHRASE, Served, served_gateway

pytestmark = pytest.mark.integration

NEW_PASSWORD = "correct horse battery staple"
PDF = b"%PDF-1.7 people test\n"
BAD = "invalid-credentials"


@dataclass
class World:
    served: Served
    directory: Path
    engine: Engine


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    directory = tmp_path_factory.mktemp("people")
    url = f"sqlite:///{directory / 'gateway.sqlite3'}"
    with served_gateway(directory, url) as served:
        engine = create_db_engine(url)
        try:
            yield World(served, directory, engine)
        finally:
            engine.dispose()


@dataclass
class Browser:
    """A signed-in person: a client holding the session cookie, and the CSRF token."""

    client: httpx.Client
    csrf: str
    session_id: str
    login: dict[str, Any]

    def write(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"X-CSRF-Token": self.csrf, **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)


@dataclass(frozen=True)
class Made:
    id: str
    username: str
    password: str
    totp_secret: str | None


_counter = iter(range(10_000))


def service(w: World, participant: str) -> httpx.Client:
    """The participant's service account: its seeded key (roles admin and maker)."""
    return w.served.client(participant)


def make_user(
    w: World, participant: str, roles: list[str], *, by: httpx.Client | Browser | None = None
) -> Made:
    username = f"{roles[0]}{next(_counter)}"
    body = {"username": username, "roles": roles, "display_name": username.title()}
    if isinstance(by, Browser):
        response = by.write("POST", "/v1/users", json=body)
    else:
        with by or service(w, participant) as client:
            response = client.post("/v1/users", json=body)
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["user"]["must_change_password"] is (made["user"]["kind"] == "user")
    return Made(made["user"]["id"], username, made["temporary_password"], made["totp_secret"])


def login(
    w: World, participant: str, username: str, password: str, code: str | None = None
) -> httpx.Response:
    body = {"participant": participant, "username": username, "password": password}
    if code is not None:
        body["code"] = code
    return httpx.post(f"{w.served.url}/v1/auth/login", json=body)


def browser(w: World, participant: str, made: Made, password: str | None = None) -> Browser:
    """`made` signed in (with a code if it has a second factor)."""
    code = pyotp.TOTP(made.totp_secret).now() if made.totp_secret else None
    response = login(w, participant, made.username, password or made.password, code)
    assert response.status_code == 200, response.text
    client = httpx.Client(base_url=w.served.url, timeout=30)
    client.cookies.set("scf_session", response.cookies["scf_session"])
    body = response.json()
    return Browser(client, body["csrf_token"], body["session_id"], body)


def person(w: World, participant: str, roles: list[str]) -> tuple[Made, Browser]:
    """A new person of `participant`, signed in, its temporary password changed."""
    made = make_user(w, participant, roles)
    signed = browser(w, participant, made)
    changed = signed.write(
        "POST",
        "/v1/auth/password",
        json={"current_password": made.password, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 204, changed.text
    return Made(made.id, made.username, NEW_PASSWORD, made.totp_secret), signed


def users_of(w: World, participant: str) -> list[str]:
    with service(w, participant) as client:
        return sorted(u["username"] for u in client.get("/v1/users").json())


# -- sign-in -------------------------------------------------------------------------------


def test_sign_in_sets_a_strict_http_only_cookie_and_a_first_password_must_change(
    world: World,
) -> None:
    made = make_user(world, "supplier1", ["maker"])
    assert made.totp_secret is None  # a maker needs no second factor
    response = login(world, "supplier1", made.username, made.password)
    assert response.status_code == 200, response.text
    cookie = response.headers["set-cookie"]
    assert re.match(r"scf_session=scfs_[A-Za-z0-9_-]{43};", cookie), cookie
    attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
    assert {"httponly", "path", "samesite", "max-age"} <= attributes
    assert "samesite=strict" in cookie.lower()
    assert "path=/" in cookie.lower()
    assert "secure" not in attributes  # served over plain http here
    body = response.json()
    assert body["person"] == {
        "user_id": made.id,
        "participant": "supplier1",
        "username": made.username,
        "display_name": made.username.title(),
        "kind": "user",
        "roles": ["maker"],
        "scopes": ["read", "write"],
        "credential": "session",
        "must_change_password": True,
    }
    created = datetime.fromisoformat(body["expires_at"]) - timedelta(hours=12)
    assert datetime.fromisoformat(body["idle_expires_at"]) == created + timedelta(minutes=30)
    signed = browser(world, "supplier1", made)
    # A temporary password opens me, logout and the password change only.
    assert signed.client.get("/v1/auth/me").json()["must_change_password"] is True
    assert_problem(signed.client.get("/v1/pieces"), 403, "password-change-required")
    assert_problem(signed.client.get("/v1/sessions"), 403, "password-change-required")
    short = signed.write(
        "POST", "/v1/auth/password", json={"current_password": made.password, "new_password": "x"}
    )
    assert_problem(short, 422, "invalid-input")
    wrong = signed.write(
        "POST",
        "/v1/auth/password",
        json={"current_password": "not the password", "new_password": NEW_PASSWORD},
    )
    assert_problem(wrong, 401, "invalid-credentials")
    changed = signed.write(
        "POST",
        "/v1/auth/password",
        json={"current_password": made.password, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 204, changed.text
    assert signed.client.get("/v1/pieces").status_code == 200
    assert signed.client.get("/v1/auth/me").json()["must_change_password"] is False
    assert_problem(
        login(world, "supplier1", made.username, made.password), 401, "invalid-credentials"
    )
    assert login(world, "supplier1", made.username, NEW_PASSWORD).status_code == 200


def test_the_cookie_is_secure_over_https_and_a_forwarded_header_is_not_trusted(
    world: World,
) -> None:
    made = make_user(world, "supplier1", ["viewer"])
    seeded = world.served.seeded
    settings = Settings(
        chain_url=world.served.chain_url, database_url=world.served.database_url, dev_chain=True
    )
    keys = KeyStore(world.directory / "keys", PASSPHRASE, scrypt_n=2**10)
    gateway = build_gateway(
        settings,
        Deployment(seeded.contracts, seeded.deployment_block),
        engine=world.engine,
        keys=keys,
    )
    body = {"participant": "supplier1", "username": made.username, "password": made.password}
    app = create_app(gateway, run_workers=False)
    with TestClient(app, base_url="https://gateway.example") as tls:
        answer = tls.post("/v1/auth/login", json=body)
        assert answer.status_code == 200, answer.text
        assert "; secure" in answer.headers["set-cookie"].lower()
    with TestClient(app, base_url="http://gateway.example") as plain:
        answer = plain.post("/v1/auth/login", json=body, headers={"X-Forwarded-Proto": "https"})
        assert answer.status_code == 200, answer.text
        assert "secure" not in answer.headers["set-cookie"].lower()


def test_wrong_password_or_code_and_a_missing_code_are_refused(world: World) -> None:
    made = make_user(world, "supplier1", ["checker"])
    assert made.totp_secret is not None
    totp = pyotp.TOTP(made.totp_secret)
    wrong_code = "000000" if totp.now() != "000000" else "111111"
    cases = [
        (login(world, "supplier1", made.username, "wrong password!!", totp.now()), 401, BAD),
        (login(world, "supplier1", made.username, made.password), 401, "second-factor-required"),
        (login(world, "supplier1", made.username, made.password, wrong_code), 401, BAD),
        (login(world, "supplier1", "nobody", made.password), 401, BAD),
        (login(world, "supplier2", made.username, made.password, totp.now()), 401, BAD),
    ]
    for response, status, slug in cases:
        assert_problem(response, status, slug)
        assert "set-cookie" not in response.headers
    ok = login(world, "supplier1", made.username, made.password, totp.now())
    assert ok.status_code == 200, ok.text
    # The code just used is refused (replay), even with the right password.
    assert_problem(
        login(world, "supplier1", made.username, made.password, totp.now()),
        401,
        "invalid-credentials",
    )


def test_failures_lock_the_account_until_an_admin_resets_it(world: World) -> None:
    made = make_user(world, "supplier1", ["maker"])
    for _ in range(5):  # login_max_failures
        assert_problem(
            login(world, "supplier1", made.username, "wrong password!!"), 401, "invalid-credentials"
        )
    locked = login(world, "supplier1", made.username, made.password)
    body = assert_problem(locked, 403, "account-locked")
    assert "until 20" in body["detail"]
    with service(world, "supplier1") as admin:
        listed = admin.get(f"/v1/users/{made.id}").json()
        assert listed["locked_until"] is not None
        reset = admin.post(f"/v1/users/{made.id}/password-reset")
    assert reset.status_code == 200, reset.text
    temporary = reset.json()["temporary_password"]
    assert temporary
    assert temporary != made.password
    assert reset.json()["user"]["locked_until"] is None
    assert_problem(
        login(world, "supplier1", made.username, made.password), 401, "invalid-credentials"
    )
    assert login(world, "supplier1", made.username, temporary).status_code == 200


# -- CSRF and the session's life -----------------------------------------------------------


def test_a_cookie_write_without_its_csrf_token_is_refused_and_changes_nothing(
    world: World,
) -> None:
    _, admin = person(world, "supplier2", ["admin"])
    before = users_of(world, "supplier2")
    body = {"username": "forged", "roles": ["admin"]}
    for headers in ({}, {"X-CSRF-Token": "not-the-token"}, {"X-CSRF-Token": ""}):
        refused = admin.client.post("/v1/users", json=body, headers=headers)
        assert_problem(refused, 403, "csrf-failed")
    # Another session's token is no good either.
    other = browser(world, "supplier2", make_user(world, "supplier2", ["viewer"]))
    assert_problem(
        admin.client.post("/v1/users", json=body, headers={"X-CSRF-Token": other.csrf}),
        403,
        "csrf-failed",
    )
    assert users_of(world, "supplier2") == sorted([*before, other.login["person"]["username"]])
    assert "forged" not in users_of(world, "supplier2")
    assert admin.write("POST", "/v1/users", json=body).status_code == 201


def _age(w: World, session_id: str, **columns: datetime) -> None:
    with w.engine.begin() as connection:
        for column, value in columns.items():
            connection.execute(
                text(f"UPDATE user_sessions SET {column} = :v WHERE id = :id"),
                {"v": value.replace(tzinfo=None), "id": session_id},
            )


def test_an_idle_or_too_old_session_has_expired(world: World) -> None:
    _, idle = person(world, "supplier1", ["viewer"])
    _, old = person(world, "supplier1", ["viewer"])
    now = datetime.now(UTC)
    assert idle.client.get("/v1/auth/me").status_code == 200
    _age(world, idle.session_id, last_seen_at=now - timedelta(minutes=31))
    assert_problem(idle.client.get("/v1/auth/me"), 401, "session-expired")
    _age(world, old.session_id, expires_at=now - timedelta(seconds=1))
    assert_problem(old.client.get("/v1/auth/me"), 401, "session-expired")


def test_sessions_are_listed_and_revoked_at_once(world: World) -> None:
    made, first = person(world, "supplier1", ["maker"])
    second = browser(world, "supplier1", made)
    listed = first.client.get("/v1/sessions", headers={"User-Agent": "ignored"}).json()
    assert [(s["id"], s["current"]) for s in listed] == [
        (second.session_id, False),
        (first.session_id, True),
    ]
    assert listed[0]["address"] == "127.0.0.1"
    assert listed[0]["user_agent"].startswith("python-httpx")
    # Another person cannot end them: not found, as if they did not exist.
    _, stranger = person(world, "supplier1", ["maker"])
    gone = stranger.write("DELETE", f"/v1/sessions/{second.session_id}")
    assert_problem(gone, 404, "not-found")
    assert second.client.get("/v1/auth/me").status_code == 200
    assert first.write("DELETE", f"/v1/sessions/{second.session_id}").status_code == 204
    assert_problem(second.client.get("/v1/auth/me"), 401, "session-expired")
    assert_problem(first.write("DELETE", f"/v1/sessions/{second.session_id}"), 404, "not-found")
    # Logout ends this session and clears the cookie.
    out = first.write("POST", "/v1/auth/logout")
    assert out.status_code == 204
    assert 'scf_session=""' in out.headers["set-cookie"] or "Max-Age=0" in out.headers["set-cookie"]
    assert_problem(first.client.get("/v1/auth/me"), 401, "session-expired")


# -- roles, scopes, participants -------------------------------------------------------------


def test_a_viewer_reads_but_never_writes(world: World) -> None:
    _, viewer = person(world, "supplier1", ["viewer"])
    assert viewer.client.get("/v1/pieces").status_code == 200
    assert viewer.login["person"]["scopes"] == ["read"]
    writes = [
        viewer.write("POST", "/v1/documents", files={"file": ("x.pdf", PDF, "application/pdf")}),
        viewer.write("POST", "/v1/webhooks", json={"url": "http://127.0.0.1:9/hook"}),
        viewer.write("POST", "/v1/users", json={"username": "x", "roles": ["viewer"]}),
        viewer.write("POST", "/v1/participants/supplier1/api-keys"),
        viewer.write(
            "POST",
            "/v1/receivables/1/accept",
            headers={"Idempotency-Key": "viewer-1"},
        ),
    ]
    for response in writes:
        assert_problem(response, 403, "role-required")


def test_a_read_only_key_cannot_write(world: World) -> None:
    made, _ = person(world, "supplier1", ["maker"])
    with service(world, "supplier1") as admin:
        issued = admin.post(
            "/v1/participants/supplier1/api-keys",
            json={"name": "reporting", "scopes": ["read"], "owner": made.username},
        )
    assert issued.status_code == 201, issued.text
    key = issued.json()["api_key"]
    assert issued.json()["key"]["owner"] == made.username
    assert issued.json()["key"]["scopes"] == ["read"]
    reader = httpx.Client(base_url=world.served.url, headers={"Authorization": f"Bearer {key}"})
    with reader:
        assert reader.get("/v1/pieces").status_code == 200
        upload = reader.post("/v1/documents", files={"file": ("x.pdf", PDF, "application/pdf")})
        assert_problem(upload, 403, "scope-required")
        me = reader.get("/v1/auth/me").json()
        assert (me["username"], me["credential"], me["scopes"]) == (made.username, "key", ["read"])


def test_a_maker_cannot_administer_users(world: World) -> None:
    _, maker = person(world, "supplier1", ["maker"])
    victim = make_user(world, "supplier1", ["viewer"])
    for response in (
        maker.client.get("/v1/users"),
        maker.client.get(f"/v1/users/{victim.id}"),
        maker.write("POST", "/v1/users", json={"username": "mine", "roles": ["admin"]}),
        maker.write("PATCH", f"/v1/users/{victim.id}", json={"roles": ["admin"]}),
        maker.write("POST", f"/v1/users/{victim.id}/password-reset"),
        maker.write("POST", f"/v1/users/{victim.id}/second-factor-reset"),
    ):
        assert_problem(response, 403, "role-required")
    assert "mine" not in users_of(world, "supplier1")


def test_an_admin_cannot_touch_another_participant_s_users(world: World) -> None:
    _, admin2 = person(world, "supplier2", ["admin"])
    victim = make_user(world, "supplier1", ["maker"])
    for response in (
        admin2.client.get(f"/v1/users/{victim.id}"),
        admin2.write("PATCH", f"/v1/users/{victim.id}", json={"disabled": True}),
        admin2.write("POST", f"/v1/users/{victim.id}/password-reset"),
        admin2.write("POST", f"/v1/users/{victim.id}/second-factor-reset"),
        admin2.write("POST", "/v1/participants/supplier1/api-keys"),
        admin2.client.get("/v1/participants/supplier1/api-keys"),
    ):
        assert_problem(response, 403, "foreign-participant")
    assert victim.username not in users_of(world, "supplier2")
    # The victim is untouched: it still signs in with its password.
    assert login(world, "supplier1", victim.username, victim.password).status_code == 200
    assert_problem(admin2.client.get("/v1/users/no-such-user"), 404, "not-found")


def test_an_admin_keeps_the_last_admin_and_does_not_disable_itself(world: World) -> None:
    newcomer = "supplier3"
    me_made, me = person(world, newcomer, ["admin"])
    with service(world, newcomer) as svc:
        service_id = next(
            u["id"] for u in svc.get("/v1/users").json() if u["username"] == "service"
        )
    # The service account is an admin too: the person may stop being one.
    assert_problem(
        me.write("PATCH", f"/v1/users/{me_made.id}", json={"disabled": True}), 403, "forbidden"
    )
    disabled = me.write("PATCH", f"/v1/users/{service_id}", json={"disabled": True})
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["user"]["disabled"] is True
    # Now the person is the last enabled admin.
    last = me.write("PATCH", f"/v1/users/{me_made.id}", json={"roles": ["maker"]})
    assert_problem(last, 409, "last-admin")
    # The disabled service account's key stops working at once.
    with service(world, newcomer) as svc:
        assert_problem(svc.get("/v1/pieces"), 401, "unauthenticated")
    assert me.write("PATCH", f"/v1/users/{service_id}", json={"disabled": False}).status_code == 200
    with service(world, newcomer) as svc:
        assert svc.get("/v1/pieces").status_code == 200


def test_a_role_change_or_disabling_ends_the_user_s_sessions(world: World) -> None:
    made, signed = person(world, "supplier1", ["maker"])
    with service(world, "supplier1") as admin:
        changed = admin.patch(f"/v1/users/{made.id}", json={"roles": ["maker", "checker"]})
        assert changed.status_code == 200, changed.text
        secret = changed.json()["totp_secret"]  # a checker needs a second factor: shown once
        assert secret
        assert changed.json()["otpauth_uri"].startswith("otpauth://totp/")
        assert admin.get(f"/v1/users/{made.id}").json()["second_factor"] is True
        assert "totp_secret" not in admin.get(f"/v1/users/{made.id}").json()
    assert_problem(signed.client.get("/v1/auth/me"), 401, "session-expired")
    again = browser(world, "supplier1", Made(made.id, made.username, made.password, secret))
    with service(world, "supplier1") as admin:
        assert admin.patch(f"/v1/users/{made.id}", json={"disabled": True}).status_code == 200
    assert_problem(again.client.get("/v1/auth/me"), 401, "session-expired")
    assert_problem(
        login(world, "supplier1", made.username, made.password, pyotp.TOTP(secret).now()),
        403,
        "account-locked",
    )


# -- API keys ------------------------------------------------------------------------------


def test_api_keys_have_owners_scopes_expiry_and_are_revoked_at_once(world: World) -> None:
    maker_made, maker = person(world, "supplier1", ["maker"])
    _, admin = person(world, "supplier1", ["admin"])
    soon = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    issued = admin.write(
        "POST",
        "/v1/participants/supplier1/api-keys",
        json={"name": "erp", "scopes": ["read", "write"], "owner": maker_made.username,
              "expires_at": soon.isoformat()},
    )  # fmt: skip
    assert issued.status_code == 201, issued.text
    key, view = issued.json()["api_key"], issued.json()["key"]
    assert key.startswith(view["prefix"])
    assert datetime.fromisoformat(view["expires_at"]) == soon
    now = datetime.now(UTC)
    refusals: list[tuple[dict[str, Any], int, str]] = [
        ({"expires_at": (now - timedelta(days=1)).isoformat()}, 422, "invalid-input"),
        ({"expires_at": (now + timedelta(days=400)).isoformat()}, 422, "invalid-input"),
        ({"expires_at": "2027-01-01T00:00:00"}, 422, "invalid-input"),  # no time zone
        ({"owner": "nobody-here"}, 404, "not-found"),
        ({"scopes": ["admin"]}, 422, "validation-error"),
        ({"scopes": []}, 422, "validation-error"),
    ]  # fmt: skip
    for bad, status, slug in refusals:
        assert_problem(
            admin.write("POST", "/v1/participants/supplier1/api-keys", json=bad), status, slug
        )
    # A maker issues no key, not even its own; it lists and revokes only its own.
    assert_problem(maker.write("POST", "/v1/participants/supplier1/api-keys"), 403, "role-required")
    own = maker.client.get("/v1/participants/supplier1/api-keys").json()
    assert [(k["prefix"], k["owner"], k["name"]) for k in own] == [
        (view["prefix"], maker_made.username, "erp")
    ]
    everyone = admin.client.get("/v1/participants/supplier1/api-keys").json()
    assert {k["owner"] for k in everyone} >= {"service", maker_made.username}
    service_prefix = next(k["prefix"] for k in everyone if k["owner"] == "service")
    assert_problem(
        maker.write("DELETE", f"/v1/participants/supplier1/api-keys/{service_prefix}"),
        403,
        "role-required",
    )
    with httpx.Client(base_url=world.served.url, headers={"Authorization": f"Bearer {key}"}) as erp:
        assert erp.get("/v1/pieces").status_code == 200
        listed = admin.client.get("/v1/participants/supplier1/api-keys").json()
        used = next(k for k in listed if k["prefix"] == view["prefix"])
        assert used["last_used_at"] is not None
        revoked = maker.write("DELETE", f"/v1/participants/supplier1/api-keys/{view['prefix']}")
        assert revoked.status_code == 204
        assert_problem(erp.get("/v1/pieces"), 401, "unauthenticated")


def test_a_new_participant_s_first_key_belongs_to_its_service_account(world: World) -> None:
    name = f"newco{next(_counter)}"
    with world.served.client("admin1") as admin1:
        created = admin1.post("/v1/participants", json={"name": name})
    assert created.status_code == 201, created.text
    key = created.json()["api_key"]
    with httpx.Client(base_url=world.served.url, headers={"Authorization": f"Bearer {key}"}) as new:
        me = new.get("/v1/auth/me").json()
        assert (me["username"], me["kind"], me["roles"]) == (
            "service",
            "service",
            ["admin", "maker"],
        )
        keys = new.get(f"/v1/participants/{name}/api-keys").json()
        assert [(k["owner"], k["scopes"], k["expires_at"]) for k in keys] == [
            ("service", ["read", "write"], None)
        ]


# -- secrets -------------------------------------------------------------------------------


def test_secrets_are_shown_once_and_never_logged(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("uvicorn", "uvicorn.access", "uvicorn.error", "scfledger", "sqlalchemy.engine"):
        caplog.set_level(logging.DEBUG, logger=name)
    made, admin = person(world, "supplier2", ["admin"])
    created = admin.write(
        "POST", "/v1/users", json={"username": f"c{next(_counter)}", "roles": ["checker"]}
    )
    assert created.status_code == 201
    checker = created.json()
    signed = browser(
        world,
        "supplier2",
        Made(checker["user"]["id"], checker["user"]["username"], checker["temporary_password"],
             checker["totp_secret"]),
    )  # fmt: skip
    failed = login(world, "supplier2", made.username, "a wrong password here", "123456")
    assert failed.status_code == 401
    issued = admin.write("POST", "/v1/participants/supplier2/api-keys", json={"scopes": ["read"]})
    reset = admin.write("POST", f"/v1/users/{checker['user']['id']}/second-factor-reset")
    secrets = {
        "password": NEW_PASSWORD,
        "temporary password": checker["temporary_password"],
        "totp secret": checker["totp_secret"],
        "new totp secret": reset.json()["totp_secret"],
        "session token": signed.client.cookies["scf_session"],
        "admin's session token": admin.client.cookies["scf_session"],
        "csrf token": signed.csrf,
        "api key": issued.json()["api_key"],
        "wrong password": "a wrong password here",
    }
    assert all(secrets.values())
    # What the gateway logged (its uvicorn, FastAPI, SQLAlchemy and own loggers, SQL with its
    # parameters included): not the test's own HTTP client, which sees the answers.
    records = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert any(r.name.startswith("sqlalchemy") for r in records), "no SQL was captured"
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in records)
    for what, secret in secrets.items():
        assert secret not in logged, f"the {what} was logged"
    # Nor in any later answer: users, me, sessions, keys.
    answers = "".join(
        admin.client.get(path).text
        for path in (
            "/v1/users",
            f"/v1/users/{checker['user']['id']}",
            "/v1/auth/me",
            "/v1/sessions",
            "/v1/participants/supplier2/api-keys",
        )
    )
    for what, secret in secrets.items():
        assert secret not in answers, f"the {what} was answered again"
