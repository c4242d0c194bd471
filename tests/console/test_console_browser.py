"""The console in a real headless Chromium over a real gateway: sign-in (password, one-time
code, refusals as sentences, language), a checker approving a draft, a supplier signing for
a piece, the lineage tree, session expiry, accessibility. Each step is checked on screen
and through the API; each screen's picture is written to docs/console/."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from scfledger.db.session import create_db_engine, session_factory, transaction
from scfledger.devchain.seed import DemoPerson
from scfledger.people.users import create_user, reset_password
from tests.console.conftest import (
    BANKS_GROUP,
    World,
    accessible,
    new_context,
    page_of,
    screenshot,
    sign_in,
)
from tests.support.api import event, write
from tests.support.checking import person_key
from tests.support.waiting import eventually

# One gateway and one browser for the module (per xdist worker); each test makes what it
# needs, so the tests hold in any order and on any worker.
pytestmark = [pytest.mark.integration, BANKS_GROUP]

DUE = 2_840_140_800  # 2060-01-01

Pages = dict[tuple[str, str], Page]


def amount(world: World, schema: str, field: str, minor: int) -> int | str:
    """`minor` units of CNY as the API takes them now: an integer, or a decimal string once
    amounts are strings (the gateway's own OpenAPI document says which)."""
    document = world.served.client().get("/openapi.json").json()
    kind = document["components"]["schemas"][schema]["properties"][field].get("type")
    return f"{minor // 100}.{minor % 100:02d}" if kind == "string" else minor


@dataclass
class Keys:
    """API keys of a maker and a checker of core (people of the institution)."""

    maker: str
    checker: str


@pytest.fixture(scope="module")
def keys(world: World) -> Keys:
    return Keys(
        maker=person_key(world.served, "core", "amy", ["maker"], ["read", "write"]),
        checker=person_key(world.served, "core", "carl", ["checker"], ["read", "approve"]),
    )


def as_key(world: World, key: str) -> httpx.Client:
    client = world.served.client()
    client.headers["Authorization"] = f"Bearer {key}"
    return client


def issue_draft(world: World, keys: Keys, document: str) -> dict[str, Any]:
    """core's maker issues a receivable to supplier1: under maker-checker, a draft."""
    body = {
        "creditor": world.served.address("supplier1"),
        "face_amount": amount(world, "IssueIn", "face_amount", 123_456_789),
        "currency": "CNY",
        "due_date": DUE,
        "document_hash": world.served.document("core", document),
    }
    with as_key(world, keys.maker) as client:
        answer = write(client, "/v1/receivables", f"console-{document}", body)
    assert answer.status_code == 202, answer.text
    draft: dict[str, Any] = answer.json()
    assert (draft["object"], draft["status"]) == ("draft", "pending")
    return draft


def api_get(world: World, participant: str, path: str) -> dict[str, Any]:
    with world.served.client(participant) as client:
        response = client.get(path)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def receivable_piece(world: World, draft: dict[str, Any], state: str) -> dict[str, Any] | None:
    """supplier1's piece in `state` of the receivable the draft issued, if there is one."""
    address = world.served.address("supplier1")
    query = f"/v1/pieces?holder={address}&state={state}&limit=500"
    document_hash = draft["arguments"]["document_hash"]
    found = [
        p
        for p in api_get(world, "supplier1", query)["items"]
        if p["receivable"]["document_hash"].lower() == document_hash.lower()
    ]
    return found[0] if found else None


def issued(world: World, keys: Keys, document: str) -> dict[str, Any]:
    """A receivable of core to supplier1, approved by core's checker over the API: its
    piece, pending supplier1's signature (签收)."""
    draft = issue_draft(world, keys, document)
    with as_key(world, keys.checker) as client:
        approved = client.post(f"/v1/drafts/{draft['id']}/approve")
    assert approved.status_code == 200, approved.text
    return eventually(
        lambda: receivable_piece(world, draft, "pending"), what=f"the receivable of {document}"
    )


@pytest.fixture(scope="module")
def draft(world: World, keys: Keys) -> dict[str, Any]:
    return issue_draft(world, keys, "invoice-for-the-checker")


def test_sign_in_is_chinese_and_a_wrong_password_is_a_sentence(
    browser: Browser, world: World
) -> None:
    with new_context(browser, world) as context:
        page = context.new_page()
        page.goto("/pieces/7")  # a deep link opens the console too
        expect(page.get_by_role("heading", name="登录")).to_be_visible()
        expect(page.get_by_label("机构", exact=True)).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        screenshot(page, "sign-in")

        maker = world.person("supplier1", "maker")
        page.get_by_label("机构", exact=True).fill("supplier1")
        page.get_by_label("用户名", exact=True).fill("maker")
        page.get_by_label("密码", exact=True).fill(maker.password + "-wrong")
        page.get_by_role("button", name="登录", exact=True).click()
        alert = page.locator('[data-problem="https://scfledger.dev/problems/invalid-credentials"]')
        expect(alert).to_contain_text("机构、用户名、密码或动态验证码不正确")
        screenshot(page, "sign-in-refused")

        # English, remembered by this browser across a reload.
        page.get_by_role("button", name="语言: English").click()
        expect(page.get_by_label("Institution", exact=True)).to_be_visible()
        page.reload()
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", "en")


def test_a_checker_signs_in_with_a_code_and_approves_a_draft(
    browser: Browser, world: World, signed_in: Pages, draft: dict[str, Any]
) -> None:
    page = page_of(signed_in, browser, world, ("core", "checker"))
    # The shell: institution, consortium role, person and roles; core's home is its drafts.
    expect(page.get_by_test_id("person")).to_have_text("Checker of core")
    expect(page.get_by_text("核心企业", exact=True)).to_be_visible()
    expect(page.get_by_role("menuitem", name="复核")).to_be_visible()
    expect(page.get_by_role("menuitem", name="待签收")).to_have_count(0)  # not a supplier
    expect(page).to_have_url(re.compile(r"/drafts$"))
    row = page.get_by_role("row").filter(has_text=f"#{draft['id']}")
    expect(row).to_contain_text("receivable.issue")
    expect(row).to_contain_text("¥1,234,567.89")
    expect(row).to_contain_text("amy")
    screenshot(page, "drafts")

    row.get_by_role("button", name="批准").click()
    expect(page.get_by_text(f"已批准草稿 #{draft['id']}")).to_be_visible()
    decided = api_get(world, "core", f"/v1/drafts/{draft['id']}")
    assert decided["status"] == "submitted"
    assert [d["username"] for d in decided["decisions"]] == ["checker"]
    # The approved issue reached the chain: supplier1 has the receivable to sign for.
    piece = eventually(lambda: receivable_piece(world, draft, "pending"), what="the receivable")
    assert piece["receivable"]["face_amount"] in (123_456_789, "1234567.89")


def test_a_supplier_signs_for_its_pending_piece(
    browser: Browser, world: World, signed_in: Pages, keys: Keys
) -> None:
    piece = issued(world, keys, "invoice-for-the-supplier")
    page = page_of(signed_in, browser, world, ("supplier1", "maker"))
    expect(page).to_have_url(re.compile(r"/inbox$"))  # a supplier's home
    row = page.get_by_role("row").filter(has_text=f"#{piece['token_id']}")
    expect(row).to_contain_text("¥1,234,567.89")
    expect(row).to_contain_text("core")  # the debtor, by name
    expect(row).to_contain_text("2060/01/01")  # the due date in Asia/Shanghai
    screenshot(page, "inbox")

    row.get_by_role("button", name="签收").click()
    expect(page.get_by_text(f"已签收凭证 #{piece['token_id']}")).to_be_visible()
    expect(row).to_have_count(0)  # no longer to sign for
    signed = api_get(world, "supplier1", f"/v1/pieces/{piece['token_id']}")
    assert (signed["state"], signed["holder"]) == ("active", world.served.address("supplier1"))

    page.get_by_role("menuitem", name="持有凭证").click()
    held = page.get_by_role("row").filter(has_text=f"#{piece['token_id']}")
    expect(held).to_contain_text("有效")
    screenshot(page, "holdings")


def test_the_lineage_tree_shows_amounts_holders_and_states(
    browser: Browser, world: World, signed_in: Pages, keys: Keys
) -> None:
    root_id = issued(world, keys, "invoice-for-the-lineage")["token_id"]
    slot = api_get(world, "supplier1", f"/v1/pieces/{root_id}")["slot"]
    with world.served.client("supplier1") as supplier1:
        accepted = write(supplier1, f"/v1/receivables/{slot}/accept", "console-accept-lineage")
    assert accepted.status_code == 202, accepted.text
    split = {
        "to": world.served.address("supplier2"),
        "value": amount(world, "TransferIn", "value", 23_456_789),
    }
    with world.served.client("supplier1") as supplier1:
        sent = write(supplier1, f"/v1/pieces/{root_id}/transfers", "console-split-1", split)
    assert sent.status_code == 202, sent.text
    child_id = int(event(sent.json(), "PieceSplit")["childTokenId"])

    page = page_of(signed_in, browser, world, ("auditor", "viewer"))
    page.goto(f"/pieces/{child_id}")
    tree = page.get_by_test_id("lineage-tree")
    expect(tree.locator("svg")).to_be_visible()
    expect(tree).to_contain_text(f"#{root_id}")
    expect(tree).to_contain_text(f"#{child_id}")
    expect(tree).to_contain_text("¥1,000,000.00")  # what supplier1 kept
    expect(tree).to_contain_text("¥234,567.89")  # what it sent
    expect(tree).to_contain_text("supplier2")
    expect(tree).to_contain_text("待签收")  # supplier2 has not signed yet
    screenshot(page, "lineage")
    page.get_by_role("button", name="语言: English").click()  # the shell in English
    expect(page.get_by_text("Lineage", exact=True)).to_be_visible()
    expect(tree).to_contain_text("to sign for")
    expect(page.get_by_role("menuitem", name="Trace")).to_be_visible()
    lineage = api_get(world, "auditor", f"/v1/pieces/{root_id}/lineage")
    assert [c["token_id"] for c in lineage["tree"]["children"]] == [child_id]


def test_an_ended_session_sends_the_user_back_to_sign_in(browser: Browser, world: World) -> None:
    with new_context(browser, world) as context:
        page = context.new_page()
        sign_in(page, world.person("supplier2", "maker"))
        # Its inbox read while signed in (empty, or its pieces), before the session ends.
        expect(page.locator(".ant-table")).to_be_visible()
        expect(page.locator(".ant-spin-spinning")).to_have_count(0)
        token = page.evaluate("sessionStorage.getItem('scf.csrf')")
        # Ended elsewhere (the person's other browser, or an admin): the cookie stays.
        listed = context.request.get("/v1/sessions").json()
        current = next(s["id"] for s in listed if s["current"])
        ended = context.request.delete(f"/v1/sessions/{current}", headers={"X-CSRF-Token": token})
        assert ended.status == 204
        page.get_by_role("menuitem", name="持有凭证").click()
        expect(page.get_by_role("status")).to_contain_text("会话已结束")
        screenshot(page, "session-ended")
        expect(page.get_by_label("机构", exact=True)).to_be_visible()
        me = context.request.get("/v1/auth/me")
        assert me.status == 401
        assert json.loads(me.text())["type"].endswith("/session-expired")


def test_a_single_sign_on_session_writes_with_the_csrf_cookie(
    browser: Browser, world: World
) -> None:
    """Single sign-on's callback leaves the session and its CSRF token in cookies (the
    token readable by script, routes/sso.py): the console signs out with it."""
    viewer = world.person("auditor", "viewer")
    login = {"participant": "auditor", "username": "viewer", "password": viewer.password}
    with world.served.client() as client:
        signed = client.post("/v1/auth/login", json=login)
    assert signed.status_code == 200, signed.text
    with new_context(browser, world) as context:
        url = world.served.url
        context.add_cookies(
            [
                {"name": "scf_session", "value": signed.cookies["scf_session"], "url": url},
                {"name": "scf_csrf", "value": signed.json()["csrf_token"], "url": url},
            ]
        )
        page = context.new_page()
        page.goto("/")
        expect(page.get_by_test_id("participant")).to_have_text("auditor")
        page.get_by_role("button", name="退出登录").click()
        expect(page.get_by_label("机构", exact=True)).to_be_visible()
    with world.served.client() as client:
        client.cookies.set("scf_session", signed.cookies["scf_session"])
        ended = client.get("/v1/auth/me")  # the logout was accepted: the session is over
    assert ended.status_code == 401
    assert ended.json()["type"].endswith("/session-expired")


def test_a_temporary_password_is_changed_first(browser: Browser, world: World) -> None:
    assert world.served.gateway is not None
    engine = create_db_engine(world.served.database_url)
    try:
        with transaction(session_factory(engine)) as session:
            user, _ = create_user(
                session,
                participant="supplier2",
                username="newbie",
                roles=["maker"],
                sealer=world.served.gateway.sealer,
            )
            temporary = reset_password(user)
    finally:
        engine.dispose()
    newbie = DemoPerson("supplier2", "newbie", ("maker",), temporary, None)
    chosen = "a-new-password-of-newbie"
    with new_context(browser, world) as context:
        page = context.new_page()
        page.goto("/")
        page.get_by_label("机构", exact=True).fill("supplier2")
        page.get_by_label("用户名", exact=True).fill("newbie")
        page.get_by_label("密码", exact=True).fill(newbie.password)
        page.get_by_role("button", name="登录", exact=True).click()
        expect(page.get_by_text("这是临时密码")).to_be_visible()
        page.get_by_label("当前密码", exact=True).fill(temporary)
        page.get_by_label("新密码", exact=True).fill(chosen)
        page.get_by_label("确认新密码", exact=True).fill(chosen + "x")
        page.get_by_role("button", name="修改密码", exact=True).click()
        expect(page.get_by_text("两次输入的新密码不一致")).to_be_visible()
        screenshot(page, "password-change")
        page.get_by_label("确认新密码", exact=True).fill(chosen)
        page.get_by_role("button", name="修改密码", exact=True).click()
        expect(page.get_by_test_id("participant")).to_have_text("supplier2")
        me = context.request.get("/v1/auth/me").json()
        assert (me["username"], me["must_change_password"]) == ("newbie", False)
    login = {"participant": "supplier2", "username": "newbie", "password": chosen}
    with world.served.client() as client:
        assert client.post("/v1/auth/login", json=login).status_code == 200


def test_the_sign_in_page_has_no_serious_accessibility_violations(
    browser: Browser, world: World
) -> None:
    # axe-core comes from console/node_modules (npm), injected past the page's CSP.
    with new_context(browser, world, bypass_csp=True) as context:
        page = context.new_page()
        page.goto("/")
        expect(page.get_by_label("机构", exact=True)).to_be_visible()
        accessible(page)


def test_motion_follows_the_systems_preference(browser: Browser, world: World) -> None:
    """Ant Design's motion (its buttons' transitions among them) runs for who has no
    preference and stops, without a reload, when the system asks for reduced motion."""
    with new_context(browser, world, motion=True) as context:
        page = context.new_page()
        page.goto("/")
        expect(page.get_by_role("button", name="登录", exact=True)).to_be_visible()
        # Whether the sign-in button's transitions all last zero: motion is off. (Found
        # afresh each time: Ant Design remounts the page when motion is first turned off.)
        still = (
            "() => [...document.querySelectorAll('button')]"
            ".filter(b => b.textContent.trim() === '登录')"
            ".map(b => getComputedStyle(b).transitionDuration.split(',')"
            ".every(d => parseFloat(d) === 0))"
        )
        assert page.evaluate(still) == [False]
        page.emulate_media(reduced_motion="reduce")
        page.wait_for_function(f"() => JSON.stringify(({still})()) === '[true]'")
        page.emulate_media(reduced_motion="no-preference")
        page.wait_for_function(f"() => JSON.stringify(({still})()) === '[false]'")
