"""Single sign-on against a real OpenID Connect provider (panva's oidc-provider, node) and a
served gateway: the whole browser login, and every way its callback is refused."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import pytest
from sqlalchemy import Engine, select, update

from scfledger.api.gateway import WEBHOOK_SECRETS
from scfledger.db.models import utcnow
from scfledger.db.people import User, UserSession
from scfledger.db.session import create_db_engine, session_factory, transaction
from scfledger.db.sso import ParticipantSso, SsoLogin
from scfledger.exceptions import SigningError
from scfledger.keys.sealing import Sealer, derive_key, is_sealed
from scfledger.people.users import create_user, disable
from tests.support.api import assert_problem
from tests.support.oidc import IdentityProvider, form_of, identity_provider
from tests.support.served import PASSPHRASE, Served, served_gateway

pytestmark = pytest.mark.integration

SSO = ("core", "supplier1")  # participants whose provider is the test's oidc-provider


@dataclass(frozen=True)
class World:
    served: Served
    idp: IdentityProvider
    engine: Engine
    sealer: Sealer  # the gateway's own (derived from its keystore passphrase)

    def browser(self) -> httpx.Client:
        """A fresh browser: its own cookie jar, redirects followed by hand."""
        return httpx.Client(base_url=self.served.url, timeout=30, follow_redirects=False)

    def user_id(self, participant: str, username: str) -> str:
        with session_factory(self.engine)() as session:
            user = session.scalars(
                select(User).where(User.participant == participant, User.username == username)
            ).one()
            return user.id

    def sessions_of(self, user_id: str) -> int:
        with session_factory(self.engine)() as session:
            rows = session.scalars(select(UserSession).where(UserSession.user_id == user_id))
            return len(rows.all())


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    directory = tmp_path_factory.mktemp("sso")
    url = f"sqlite:///{directory / 'gateway.sqlite3'}"
    with served_gateway(directory, url) as served:
        callbacks = [f"{served.url}/v1/auth/sso/{p}/callback" for p in SSO]
        with identity_provider(directory, callbacks) as idp:
            engine = create_db_engine(url)
            sealer = Sealer(derive_key(PASSPHRASE, WEBHOOK_SECRETS))
            with transaction(session_factory(engine)) as session:
                for participant, username, roles in (
                    ("core", "alice", ["admin"]),
                    ("core", "bob", ["maker"]),
                    ("core", "carol", ["maker"]),
                    ("supplier1", "dave", ["maker"]),
                ):
                    create_user(
                        session,
                        participant=participant,
                        username=username,
                        roles=roles,
                        sealer=sealer,
                    )
                carol = session.scalars(select(User).where(User.username == "carol")).one()
                disable(carol)
            world = World(served=served, idp=idp, engine=engine, sealer=sealer)
            configure(world, "core")
            try:
                yield world
            finally:
                engine.dispose()


def configure(world: World, participant: str, **extra: object) -> httpx.Response:
    body = {
        "issuer": world.idp.issuer,
        "client_id": world.idp.client_id,
        "client_secret": world.idp.client_secret,
        **extra,
    }
    with world.served.client(participant) as client:
        response = client.put(f"/v1/participants/{participant}/sso", json=body)
    assert response.status_code == 200, response.text
    return response


def to_callback(browser: httpx.Client, participant: str, username: str) -> str:
    """Begins the login at the gateway and signs in at the provider as `username` (its
    login form, then its consent form); the URL the provider sends the browser back to.
    The browser must not be signed in at the provider already (it would skip the form)."""
    start = browser.get(f"/v1/auth/sso/{participant}/login")
    assert start.status_code == 302, start.text
    location = start.headers["location"]
    callback = f"/v1/auth/sso/{participant}/callback"
    typed = False
    for _ in range(20):
        if urlsplit(location).path == callback:
            assert typed, "the provider asked for no login: a browser already signed in there"
            return location
        page = browser.get(location)
        if page.status_code in (302, 303):
            location = urljoin(location, page.headers["location"])
            continue
        assert page.status_code == 200, page.text
        action, fields = form_of(page.text)
        if fields.get("prompt") == "login":
            fields.update(login=username, password="any password")
            typed = True
        answer = browser.post(urljoin(location, action), data=fields)
        assert answer.status_code in (302, 303), answer.text
        location = urljoin(location, answer.headers["location"])
    raise AssertionError(f"the provider never sent the browser back: last {location}")


def sign_in(world: World, browser: httpx.Client, participant: str, username: str) -> httpx.Response:
    return browser.get(to_callback(browser, participant, username))


def cookie_attributes(response: httpx.Response, name: str) -> set[str]:
    header = next(h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}="))
    return {part.strip().lower() for part in header.split(";")[1:]}


def test_sign_in_opens_a_session_of_that_user(world: World) -> None:
    alice = world.user_id("core", "alice")
    before = world.sessions_of(alice)
    with world.browser() as browser:
        start = browser.get("/v1/auth/sso/core/login")
        query = parse_qs(urlsplit(start.headers["location"]).query)
        assert start.headers["location"].startswith(world.idp.issuer + "/auth?")
        assert query["response_type"] == ["code"]
        assert query["client_id"] == [world.idp.client_id]
        assert query["code_challenge_method"] == ["S256"]
        assert {"state", "nonce", "code_challenge"} <= query.keys()
        binding = cookie_attributes(start, "scf_sso")
        assert {"httponly", "samesite=lax", "path=/v1/auth/sso/core/"} <= binding

        answer = sign_in(world, browser, "core", "alice")

        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/"
        assert {"httponly", "samesite=strict", "path=/"} <= cookie_attributes(answer, "scf_session")
        # The session reads what only core's admins may read: it is alice's.
        settings = browser.get("/v1/participants/core/sso")
        assert settings.status_code == 200, settings.text
        assert settings.json()["issuer"] == world.idp.issuer
    assert world.sessions_of(alice) == before + 1


def test_a_maker_signs_in_as_itself(world: World) -> None:
    with world.browser() as browser:
        assert sign_in(world, browser, "core", "bob").status_code == 303
        assert browser.get("/v1/pieces").status_code == 200
        refused = browser.get("/v1/participants/core/sso")
    assert_problem(refused, 403, "role-required")


def test_a_replayed_callback_is_refused(world: World) -> None:
    alice = world.user_id("core", "alice")
    with world.browser() as browser:
        callback = to_callback(browser, "core", "alice")
        assert browser.get(callback).status_code == 303
        signed_in = world.sessions_of(alice)
        browser.cookies.clear()
        again = browser.get(callback)
    assert_problem(again, 400, "sso-state-invalid")
    assert "scf_session" not in again.cookies
    assert world.sessions_of(alice) == signed_in


def test_a_replay_in_the_same_browser_is_refused(world: World) -> None:
    """The browser still holds the cookie that bound the login: the state is used up."""
    with world.browser() as browser:
        callback = to_callback(browser, "core", "alice")
        binding = browser.cookies.get("scf_sso")
        assert browser.get(callback).status_code == 303
        browser.cookies.set("scf_sso", str(binding), path="/v1/auth/sso/core/")
        again = browser.get(callback)
    assert_problem(again, 400, "sso-state-invalid")


def test_a_forged_state_is_refused(world: World) -> None:
    with world.browser() as browser:
        callback = urlsplit(to_callback(browser, "core", "alice"))
        query = {k: v[0] for k, v in parse_qs(callback.query).items()}
        query["state"] = secrets.token_urlsafe(32)
        forged = browser.get(f"{callback.path}?{urlencode(query)}")
        missing = browser.get(f"{callback.path}?code={query['code']}")
    assert_problem(forged, 400, "sso-state-invalid")
    assert_problem(missing, 400, "sso-state-invalid")


def test_a_callback_in_another_browser_is_refused(world: World) -> None:
    """Login CSRF: a callback the attacker got for itself, sent to a victim's browser, does
    not sign the victim in as the attacker; the browser that began it still can."""
    with world.browser() as attacker, world.browser() as victim:
        callback = to_callback(attacker, "core", "alice")
        refused = victim.get(callback)
        assert_problem(refused, 400, "sso-state-invalid")
        assert "scf_session" not in refused.cookies
        assert attacker.get(callback).status_code == 303


def test_a_callback_for_another_participant_is_refused(world: World) -> None:
    with world.browser() as browser:
        callback = to_callback(browser, "core", "alice").replace("/sso/core/", "/sso/supplier1/")
        browser.cookies.set("scf_sso", str(browser.cookies.get("scf_sso")), path="/")
        refused = browser.get(callback)
    assert_problem(refused, 400, "sso-state-invalid")


def _change_pending_login(world: World, callback: str, **values: object) -> None:
    state = parse_qs(urlsplit(callback).query)["state"][0]
    with transaction(session_factory(world.engine)) as session:
        changed = session.execute(
            update(SsoLogin)
            .where(SsoLogin.state_hash == hashlib.sha256(state.encode()).hexdigest())
            .values(**values)
        )
        assert changed.rowcount == 1  # type: ignore[attr-defined]


def test_a_login_older_than_ten_minutes_is_refused(world: World) -> None:
    with world.browser() as browser:
        callback = to_callback(browser, "core", "alice")
        _change_pending_login(world, callback, created_at=utcnow() - timedelta(minutes=11))
        refused = browser.get(callback)
    assert_problem(refused, 400, "sso-state-invalid")


def test_a_wrong_nonce_is_refused(world: World) -> None:
    """The provider's ID token carries the nonce of the authorization request; the gateway
    expects another (as if the token had been issued for a different login)."""
    with world.browser() as browser:
        callback = to_callback(browser, "core", "alice")
        _change_pending_login(world, callback, nonce=secrets.token_urlsafe(32))
        refused = browser.get(callback)
    assert_problem(refused, 401, "sso-failed")
    assert "scf_session" not in refused.cookies


def test_a_tampered_id_token_is_refused(world: World) -> None:
    """mallory is no user; an ID token rewritten after signing to name alice must not sign
    mallory in as alice."""
    world.idp.tamper({"preferred_username": "alice"})
    try:
        with world.browser() as browser:
            refused = sign_in(world, browser, "core", "mallory")
    finally:
        world.idp.tamper({})
    assert_problem(refused, 401, "sso-failed")
    assert "scf_session" not in refused.cookies


def test_an_unknown_or_disabled_user_is_refused(world: World) -> None:
    refusals = []
    # dave is supplier1's user, not core's: users are per participant.
    for username in ("mallory", "carol", "dave"):
        with world.browser() as browser:
            refusals.append(sign_in(world, browser, "core", username))
    for refused in refusals:
        assert_problem(refused, 403, "sso-unknown-user")
        assert "scf_session" not in refused.cookies


def test_the_provider_refusing_is_sso_failed(world: World) -> None:
    """The user aborts at the provider (its interaction's abort link): the provider sends
    the browser back with error=access_denied."""
    with world.browser() as browser:
        start = browser.get("/v1/auth/sso/core/login")
        interaction = browser.get(start.headers["location"]).headers["location"]
        aborted = browser.get(urljoin(world.idp.issuer, interaction.rstrip("/") + "/abort"))
        back = urljoin(world.idp.issuer, aborted.headers["location"])
        callback = browser.get(urljoin(world.idp.issuer, back)).headers["location"]
        assert parse_qs(urlsplit(callback).query)["error"] == ["access_denied"]
        refused = browser.get(callback)
    assert_problem(refused, 401, "sso-failed")


def test_a_required_acr_the_provider_did_not_give_is_refused(world: World) -> None:
    """The provider's development login asserts no authentication context class."""
    configure(world, "supplier1", required_acr="urn:scf:mfa")
    with world.browser() as browser:
        start = browser.get("/v1/auth/sso/supplier1/login")
        assert parse_qs(urlsplit(start.headers["location"]).query)["acr_values"] == ["urn:scf:mfa"]
        refused = sign_in(world, browser, "supplier1", "dave")
    assert_problem(refused, 401, "sso-failed")
    configure(world, "supplier1", required_acr=None)
    with world.browser() as browser:
        assert sign_in(world, browser, "supplier1", "dave").status_code == 303


def test_no_single_sign_on_is_not_found(world: World) -> None:
    with world.browser() as browser:
        for participant in ("supplier2", "nobody"):
            assert_problem(browser.get(f"/v1/auth/sso/{participant}/login"), 404, "not-found")
    with world.served.client("supplier2") as client:
        assert_problem(client.get("/v1/participants/supplier2/sso"), 404, "not-found")


def test_only_the_participants_own_admins_see_and_set_it(world: World) -> None:
    with world.served.client("supplier1") as foreign:
        assert_problem(foreign.get("/v1/participants/core/sso"), 403, "foreign-participant")
        put = foreign.put(
            "/v1/participants/core/sso",
            json={"issuer": "https://evil.example", "client_id": "x", "client_secret": "y"},
        )
        assert_problem(put, 403, "foreign-participant")
    with world.browser() as browser:
        sign_in(world, browser, "core", "bob")
        csrf = {"X-CSRF-Token": str(browser.cookies.get("scf_csrf"))}
        body = {"issuer": "https://evil.example", "client_id": "x"}
        assert_problem(
            browser.put("/v1/participants/core/sso", json=body, headers=csrf),
            403,
            "role-required",
        )
    with world.served.client("core") as client:
        assert client.get("/v1/participants/core/sso").json()["issuer"] == world.idp.issuer


def test_an_admins_session_sets_it_with_its_csrf_token(world: World) -> None:
    with world.browser() as browser:
        sign_in(world, browser, "core", "alice")
        body = {"issuer": world.idp.issuer, "client_id": world.idp.client_id}
        without = browser.put("/v1/participants/core/sso", json=body)
        assert_problem(without, 403, "csrf-failed")
        csrf = {"X-CSRF-Token": str(browser.cookies.get("scf_csrf"))}
        kept = browser.put("/v1/participants/core/sso", json=body, headers=csrf)
    assert kept.status_code == 200, kept.text
    with world.browser() as browser:  # the stored secret was kept
        assert sign_in(world, browser, "core", "alice").status_code == 303


@pytest.mark.parametrize(
    ("body", "status", "slug"),
    [
        ({"issuer": "http://idp.example", "client_id": "x", "client_secret": "y"}, 422,
         "invalid-input"),
        ({"issuer": "ftp://idp.example", "client_id": "x", "client_secret": "y"}, 422,
         "validation-error"),
        ({"issuer": "https://idp.example?x=1", "client_id": "x", "client_secret": "y"}, 422,
         "invalid-input"),
        ({"issuer": "https://idp.example", "client_id": "x"}, 422, "invalid-input"),
        ({"issuer": "https://idp.example", "client_id": "x", "secret": "y"}, 422,
         "validation-error"),
    ],
)  # fmt: skip
def test_bad_settings_are_refused_and_change_nothing(
    world: World, body: dict[str, str], status: int, slug: str
) -> None:
    """Plain http only to a loopback provider; the first configuration needs a secret."""
    with world.served.client("supplier3") as client:
        assert_problem(client.put("/v1/participants/supplier3/sso", json=body), status, slug)
        assert_problem(client.get("/v1/participants/supplier3/sso"), 404, "not-found")


def test_the_client_secret_is_sealed_and_never_shown(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    secret = world.idp.client_secret
    seen: list[str] = []
    with caplog.at_level(logging.DEBUG):
        shown = configure(world, "core")
        seen.append(shown.text)
        with world.served.client("core") as client:
            seen.append(client.get("/v1/participants/core/sso").text)
        with world.browser() as browser:
            start = browser.get("/v1/auth/sso/core/login")
            seen += [start.headers["location"], str(start.headers)]
            answer = sign_in(world, browser, "core", "alice")
            seen += [answer.text, str(answer.headers)]
        with world.browser() as browser:
            failed = sign_in(world, browser, "core", "mallory")
            seen += [failed.text, str(failed.headers)]
    assert answer.status_code == 303
    assert failed.status_code == 403
    assert shown.json().keys() == {
        "participant", "issuer", "client_id", "username_claim", "required_acr", "login_url",
        "created_at", "updated_at",
    }  # fmt: skip
    assert shown.json()["login_url"] == f"{world.served.url}/v1/auth/sso/core/login"
    for text in [*seen, caplog.text]:
        assert secret not in text
    with session_factory(world.engine)() as session:
        row = session.get(ParticipantSso, "core")
        assert row is not None
        assert is_sealed(row.client_secret)
        assert secret not in row.client_secret
        assert world.sealer.open(row.client_secret, "sso/core") == secret
        with pytest.raises(SigningError):  # sealed for core's row: opens for no other
            world.sealer.open(row.client_secret, "sso/supplier1")
    assert secret not in world.idp.log_file.read_text()
