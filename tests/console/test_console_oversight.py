"""The console's oversight, admin and everyday screens in a real headless Chromium over a
real gateway: the auditor's search by document hash and a piece's timeline; the consortium
admins' members, proposals and live status; a participant admin's people and API keys;
live notifications over server-sent events; the core enterprise's payables calendar; a
financier's portfolio charts; the shell at a tablet's width. Each step is checked on screen
and through the API, each new screen by axe-core; pictures go to docs/console/."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, ViewportSize, expect

from scfledger.api import console
from scfledger.db.session import create_db_engine
from scfledger.devchain.seed import seed_people
from tests.console.conftest import (
    VIEWPORT,
    World,
    accessible,
    api_get,
    new_context,
    screenshot,
    sign_in,
)
from tests.support.api import cny, event, write
from tests.support.served import served_gateway

# One gateway for the module; its participants' writes go straight on (no maker-checker:
# the drafts screen has its own tests), so an admin's acts show what they made at once.
pytestmark = pytest.mark.integration

PEOPLE_OF = ("core", "supplier1", "bank", "auditor", "admin1", "admin2")
DUE = 2_840_140_800  # 2060-01-01 00:00 UTC
PAYABLES_DUE = 2_878_070_400  # 2061-03-15 00:00 UTC: 08:00 in Asia/Shanghai, the same day
TABLET: ViewportSize = {"width": 768, "height": 1024}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The demo consortium without maker-checker, with people at the participants above
    (admins and checkers sign in with a one-time code), serving the built console."""
    assert (console.DIST_DIR / "index.html").is_file(), "the console is not built: scripts/setup.sh"
    directory = tmp_path_factory.mktemp("oversight")
    url = f"sqlite:///{directory / 'gateway.sqlite3'}"
    with served_gateway(directory, url) as served:
        assert served.gateway is not None
        engine = create_db_engine(url)
        try:
            people = seed_people(engine, served.gateway.sealer, PEOPLE_OF)
        finally:
            engine.dispose()
        yield World(served=served, people=people)


def signed_in_context(
    browser: Browser, world: World, who: tuple[str, str], viewport: ViewportSize | None = None
) -> tuple[BrowserContext, Page]:
    """A fresh profile (axe-core may be injected: CSP bypassed) of `who`, signed in."""
    context = new_context(browser, world, bypass_csp=True, viewport=viewport or VIEWPORT)
    page = context.new_page()
    sign_in(page, world.person(*who))
    return context, page


def settled(page: Page) -> None:
    """No spinner and no skeleton left: the screen's reads answered."""
    expect(page.locator(".ant-spin-spinning")).to_have_count(0)
    expect(page.locator(".ant-skeleton")).to_have_count(0)


def row_of(table: Locator, token_id: int) -> Locator:
    """The row of a piece in a list of pieces: the one linking to it."""
    return table.get_by_role("row").filter(
        has=table.page.get_by_role("link", name=f"#{token_id}", exact=True)
    )


def issue(world: World, creditor: str, document: str, face: int, due: int = DUE) -> dict[str, Any]:
    """core issues a receivable to `creditor` (fen of CNY): the ReceivableIssued event."""
    body = {
        "creditor": world.served.address(creditor),
        "face_amount": cny(face),
        "currency": "CNY",
        "due_date": due,
        "document_hash": world.served.document("core", document),
    }
    with world.served.client("core") as core:
        issued = write(core, "/v1/receivables", f"oversight-{document}", body)
    assert issued.status_code == 202, issued.text
    return event(issued.json(), "ReceivableIssued")


def accepted(world: World, document: str, face: int) -> dict[str, Any]:
    """A receivable of core that supplier1 accepted: its ReceivableIssued event."""
    issued = issue(world, "supplier1", document, face)
    with world.served.client("supplier1") as supplier1:
        done = write(supplier1, f"/v1/receivables/{issued['slot']}/accept", f"accept-{document}")
    assert done.status_code == 202, done.text
    return issued


def test_the_auditor_finds_pieces_by_document_hash_and_reads_a_timeline(
    browser: Browser, world: World
) -> None:
    issued = accepted(world, "invoice-for-the-auditor", 50_000_000)
    root = int(issued["tokenId"])
    split = {"to": world.served.address("supplier2"), "value": cny(12_345_600)}
    with world.served.client("supplier1") as supplier1:
        sent = write(supplier1, f"/v1/pieces/{root}/transfers", "oversight-split", split)
    assert sent.status_code == 202, sent.text
    child = int(event(sent.json(), "PieceSplit")["childTokenId"])
    document = str(issued["documentHash"])

    context, page = signed_in_context(browser, world, ("auditor", "viewer"))
    with context:
        page.get_by_role("menuitem", name="监管检索").click()
        page.get_by_text("文件哈希", exact=True).click()
        page.get_by_label("检索内容").fill("0x1234")
        page.get_by_role("button", name="检索", exact=True).click()
        expect(page.get_by_text("文件哈希为 0x 加 64 位十六进制")).to_be_visible()
        page.get_by_label("检索内容").fill(document.upper().replace("0X", "0x"))
        page.get_by_role("button", name="检索", exact=True).click()
        results = page.get_by_role("table", name="检索结果")
        expect(results.get_by_role("row")).to_have_count(3)  # the header, the root, the child
        expect(row_of(results, root)).to_contain_text("¥376,544.00")
        expect(row_of(results, child)).to_contain_text("supplier2")
        settled(page)
        screenshot(page, "search")
        accessible(page)
        listed = api_get(world, "auditor", f"/v1/pieces?document_hash={document}")
        assert [p["token_id"] for p in listed["items"]] == [root, child]

        # The root's timeline: the split to supplier2, with its amount and parties.
        page.goto(f"/search?by=piece&q={root}")
        timeline = page.get_by_test_id("piece-timeline")
        expect(timeline).to_contain_text("拆分转出")
        expect(timeline).to_contain_text("¥123,456.00")
        expect(timeline).to_contain_text("supplier1 → supplier2")
        expect(timeline.get_by_role("link", name=f"#{child}")).to_be_visible()
        expect(page.get_by_test_id("lineage-tree")).to_contain_text(f"#{child}")
        settled(page)
        screenshot(page, "piece-timeline")
        accessible(page)
        moves = api_get(world, "auditor", f"/v1/pieces/{root}/transfers")
        assert [(m["kind"], m["token_id"]) for m in moves] == [("split", child)]


def test_consortium_admins_suspend_a_member_by_proposal_and_read_the_status(
    browser: Browser, world: World
) -> None:
    supplier3 = world.served.address("supplier3")
    first, page = signed_in_context(browser, world, ("admin1", "admin"))
    with first:
        page.get_by_role("menuitem", name="联盟成员").click()
        row = page.get_by_role("row").filter(has_text=supplier3)
        expect(row).to_contain_text("supplier3")
        expect(row).to_contain_text("供应商")
        expect(row).to_contain_text("正常")
        settled(page)
        screenshot(page, "members")
        accessible(page)
        row.get_by_role("button", name="提议暂停").click()
        page.get_by_role("dialog").get_by_role("textbox").fill("overdue KYC review")
        page.get_by_role("dialog").get_by_role("button", name="确定").click()
        expect(page.get_by_text("已提议暂停 supplier3")).to_be_visible()
    pending = api_get(world, "admin1", "/v1/proposals?status=pending")
    proposal = next(p for p in pending if supplier3.lower() in json.dumps(p["args"]).lower())
    assert [a.lower() for a in proposal["approvals"]] == [world.served.address("admin1").lower()]

    second, page = signed_in_context(browser, world, ("admin2", "admin"))
    with second:
        page.get_by_role("menuitem", name="治理提案").click()
        row = page.get_by_role("row").filter(has_text=f"#{proposal['id']}")
        expect(row).to_contain_text("admin1")
        expect(row.get_by_role("button", name="撤销提案")).to_be_disabled()  # admin1's own
        settled(page)
        screenshot(page, "proposals")
        accessible(page)
        row.get_by_role("button", name="批准").click()
        expect(page.get_by_text(f"已批准提案 #{proposal['id']}")).to_be_visible()
        member = next(
            m for m in api_get(world, "admin2", "/v1/members") if m["address"] == supplier3
        )
        assert member["status"] == "suspended"
        executed = api_get(world, "admin2", f"/v1/proposals/{proposal['id']}")
        assert executed["status"] == "executed"

        page.get_by_role("menuitem", name="运行状态").click()
        expect(page.get_by_test_id("ready-status")).to_have_text("正常")
        head = int(page.get_by_test_id("chain-head").locator(".ant-statistic-content").inner_text())
        assert head >= executed["updated_block"]
        expect(page.get_by_test_id("indexer-lag")).to_contain_text("个区块")
        # anvil says neither its peers nor Clique's sealers (GET /v1/chain/network)
        expect(page.get_by_test_id("engine")).to_contain_text("开发链")
        expect(page.get_by_test_id("peers")).to_have_text("节点未提供")
        expect(page.get_by_test_id("sealers")).to_have_text("非 Clique 网络")
        settled(page)
        screenshot(page, "status")
        accessible(page)


def test_an_admin_creates_and_disables_a_person_and_issues_and_revokes_a_key(
    browser: Browser, world: World
) -> None:
    context, page = signed_in_context(browser, world, ("core", "admin"))
    with context:
        page.get_by_role("menuitem", name="人员管理").click()
        expect(page.get_by_role("row").filter(has_text="maker")).to_contain_text("经办")
        page.get_by_role("button", name="新建人员").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("用户名").fill("Dora!")  # refused before it is sent
        dialog.get_by_role("button", name="新建人员").click()
        expect(dialog.get_by_text("用户名为小写字母")).to_be_visible()
        dialog.get_by_label("用户名").fill("dora")
        dialog.get_by_label("姓名").fill("Dora of core")
        dialog.get_by_role("button", name="新建人员").click()
        secrets = page.get_by_test_id("secrets")
        expect(secrets).to_contain_text("临时密码")
        temporary = secrets.locator("code").first.inner_text()
        page.get_by_role("button", name="已妥善保存").click()
        login = {"participant": "core", "username": "dora", "password": temporary}
        with world.served.client() as client:
            signed = client.post("/v1/auth/login", json=login)
        assert signed.status_code == 200, signed.text
        assert signed.json()["person"]["must_change_password"] is True

        row = page.get_by_role("row").filter(has_text="Dora of core")
        row.get_by_role("button", name="停用").click()
        expect(page.get_by_text("已停用 dora")).to_be_visible()
        expect(row).to_contain_text("已停用")
        settled(page)
        screenshot(page, "people")
        accessible(page)
        with world.served.client() as client:
            refused = client.post("/v1/auth/login", json=login)
        assert (refused.status_code, refused.json()["type"]) == (
            403,
            "https://scfledger.dev/problems/account-locked",
        )

        page.get_by_role("menuitem", name="API 密钥").click()
        page.get_by_role("button", name="新建密钥").click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("名称").fill("erp-link")
        dialog.get_by_role("button", name="新建密钥").click()
        key = page.get_by_test_id("secrets").locator("code").first.inner_text()
        page.get_by_role("button", name="已妥善保存").click()
        with httpx.Client(base_url=world.served.url, timeout=30) as client:
            client.headers["Authorization"] = f"Bearer {key}"
            assert client.get("/v1/members").status_code == 200
            row = page.get_by_role("row").filter(has_text="erp-link")
            expect(row).to_contain_text("admin")  # its owner: the admin who made it
            settled(page)
            screenshot(page, "api-keys")
            accessible(page)
            row.get_by_role("button", name="吊销").click()
            page.get_by_role("tooltip").get_by_role("button", name="吊销").click()
            expect(row).to_contain_text("已吊销")
            revoked = client.get("/v1/members")
        assert (revoked.status_code, revoked.json()["type"]) == (
            401,
            "https://scfledger.dev/problems/unauthenticated",
        )


def test_a_supplier_is_notified_live_of_a_receivable_to_sign_for(
    browser: Browser, world: World
) -> None:
    context, page = signed_in_context(browser, world, ("supplier1", "maker"))
    with context:
        expect(page).to_have_url(re.compile(r"/inbox$"))
        expect(page.get_by_test_id("notifications")).to_have_attribute("data-live", "true")
        expect(page.get_by_test_id("inbox-badge")).to_have_count(0)
        issued = issue(world, "supplier1", "invoice-for-the-notification", 7_000_000)
        note = page.locator(".ant-notification-notice")
        expect(note).to_contain_text(f"有新的凭证 #{issued['tokenId']} 待签收")
        expect(note).to_contain_text("core")
        expect(page.get_by_test_id("inbox-badge")).to_contain_text("1")
        expect(page.get_by_test_id("notifications")).to_contain_text("1")
        screenshot(page, "notification")
        page.get_by_role("button", name="通知").click()
        drawer = page.get_by_role("dialog")
        expect(drawer).to_contain_text(f"#{issued['tokenId']}")
        accessible(page)
        pending = api_get(world, "supplier1", f"/v1/pieces/{issued['tokenId']}")
        assert pending["state"] == "pending"


def test_the_core_reads_its_payables_calendar_by_day_and_by_supplier(
    browser: Browser, world: World
) -> None:
    first = issue(world, "supplier1", "invoice-due-in-march-1", 10_000_050, PAYABLES_DUE)
    issue(world, "supplier1", "invoice-due-in-march-2", 20_000_000, PAYABLES_DUE)
    issue(world, "supplier2", "invoice-due-in-march-3", 5_000_001, PAYABLES_DUE)
    # A refused receivable is owed to nobody: not in the calendar.
    with world.served.client("supplier1") as supplier1:
        refused = write(
            supplier1,
            f"/v1/receivables/{first['slot']}/reject",
            "oversight-refuse",
            {"reason": "no"},
        )
    assert refused.status_code == 202, refused.text

    context, page = signed_in_context(browser, world, ("core", "maker"))
    with context:
        page.get_by_role("menuitem", name="应付日历").click()
        page.goto("/payables?month=2061-03")
        by_day = page.get_by_role("table", name="按到期日")
        expect(by_day.get_by_role("row").filter(has_text="2061-03-15")).to_contain_text(
            "¥250,000.01"
        )
        by_supplier = page.get_by_role("table", name="按供应商")
        expect(by_supplier.get_by_role("row").filter(has_text="supplier1")).to_contain_text(
            "¥200,000.00"
        )
        expect(by_supplier.get_by_role("row").filter(has_text="supplier2")).to_contain_text(
            "¥50,000.01"
        )
        expect(page.locator(".payables-tag")).to_have_count(1)  # one day in the month
        settled(page)
        screenshot(page, "payables")
        accessible(page)
        page.goto("/payables?month=2061-04")
        expect(page.get_by_text("本月没有到期应付").first).to_be_visible()
    due = api_get(
        world,
        "core",
        f"/v1/pieces?debtor={world.served.address('core')}&due_from={PAYABLES_DUE}"
        f"&due_to={PAYABLES_DUE}",
    )
    states = sorted(p["state"] for p in due["items"])
    assert states == ["pending", "pending", "rejected"]


def test_a_financier_reads_its_exposure_and_aging(browser: Browser, world: World) -> None:
    token = int(accepted(world, "invoice-for-the-portfolio", 80_000_000)["tokenId"])
    terms = {"advance": "700000.00", "repayment": "760000.00", "fees": "0", "fund_by": DUE - 86_400}
    ask = {"token_id": token, "financiers": [world.served.address("bank")], "terms": terms}
    with world.served.client("supplier1") as supplier1:
        asked = write(supplier1, "/v1/financing-requests", "oversight-ask", ask)
    assert asked.status_code == 202, asked.text
    request = int(event(asked.json(), "FinancingRequested")["requestId"])
    with world.served.client("bank") as bank:
        offered = write(bank, f"/v1/financing-requests/{request}/offers", "oversight-offer", terms)
        assert offered.status_code == 202, offered.text
        funded = write(
            bank, f"/v1/financing-requests/{request}/fund", "oversight-fund", {"payment_ref": "f1"}
        )
        assert funded.status_code == 202, funded.text
    assert api_get(world, "bank", f"/v1/financing-requests/{request}")["status"] == "funded"

    context, page = signed_in_context(browser, world, ("bank", "maker"))
    with context:
        page.get_by_role("menuitem", name="资产组合").click()
        exposure = page.get_by_role("table", name="按付款方的敞口 (CNY)")
        expect(exposure.get_by_role("row").filter(has_text="core")).to_contain_text("¥700,000.00")
        chart = page.get_by_test_id("exposure-CNY")
        expect(chart.locator("svg")).to_be_visible()
        expect(chart).to_contain_text("未收回金额 (CNY)")  # the currency on the amount axis
        aging = page.get_by_test_id("aging-CNY")
        expect(aging).to_contain_text("未到期")
        expect(aging).to_contain_text("¥800,000.00")  # the financed piece, not yet due
        settled(page)
        screenshot(page, "portfolio")
        accessible(page)


def test_the_shell_and_a_list_fit_a_tablet(browser: Browser, world: World) -> None:
    accepted(world, "invoice-for-the-tablet", 3_000_000)
    context, page = signed_in_context(browser, world, ("supplier1", "maker"), TABLET)
    with context:
        page.goto("/pieces")
        expect(page.get_by_role("table", name="持有与往来凭证")).to_be_visible()
        menu = page.get_by_role("menuitem", name="持有凭证")
        expect(menu).not_to_be_visible()  # collapsed at 768 px
        settled(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= TABLET["width"], f"the page scrolls sideways: {width} px"
        screenshot(page, "tablet-holdings")
        accessible(page)
        page.locator(".ant-layout-sider-zero-width-trigger").click()
        expect(menu).to_be_visible()
        page.get_by_role("menuitem", name="待签收").click()
        expect(page).to_have_url(re.compile(r"/inbox$"))
