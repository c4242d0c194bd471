"""The end-to-end story of issue 17 in a real headless Chromium, one browser context per
person: core's clerk issues a receivable with its invoice (hashed in the browser) and the
treasurer approves; supplier1 signs for it and pays supplier2 with a piece; supplier2 signs
and asks two banks; both offer (priced by the gateway) and their checkers approve;
supplier2 accepts one; the bank's officer funds and its checker approves; at maturity core
settles and the bank confirms the payment; the auditor traces the piece to its root. Each
step is checked on screen and through the API; each screen's picture goes to docs/console/."""

# The console's Chinese words carry full-width punctuation (brackets, colons) as shown.
# ruff: noqa: RUF001

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.console.conftest import (
    BANKS_GROUP,
    World,
    accessible,
    api_get,
    confirm_in_dialog,
    new_context,
    screenshot,
    sign_in,
)
from tests.support.api import write
from tests.support.checking import person_key
from tests.support.waiting import eventually

pytestmark = [pytest.mark.integration, BANKS_GROUP]

INVOICE = b"Invoice 2026-1107: 1,200 steel coils delivered to core, CNY 1,234,567.89\n"
FACE = "1234567.89"
SENT = "234567.89"  # supplier1 pays supplier2 with a piece of this value
WIRE = "CMB-2026-FUND-0001"  # the bank's advance
PAYMENT = "ICBC-2026-SETTLE-0042"  # core's payment at maturity
DAY = 86_400


class People:
    """One signed-in page (its own browser context) per person, opened on first use."""

    def __init__(self, browser: Browser, world: World) -> None:
        self.browser, self.world = browser, world
        self.pages: dict[tuple[str, str], Page] = {}

    def __call__(self, participant: str, username: str) -> Page:
        if (participant, username) not in self.pages:
            # CSP bypassed only to inject axe-core (accessible()); the console is the same.
            page = new_context(self.browser, self.world, bypass_csp=True).new_page()
            sign_in(page, self.world.person(participant, username))
            self.pages[(participant, username)] = page
        return self.pages[(participant, username)]

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()


@pytest.fixture(scope="module")
def people(browser: Browser, world: World) -> Iterator[People]:
    opened = People(browser, world)
    yield opened
    opened.close()


def drafted(page: Page) -> int:
    """The draft a maker's write became (maker-checker), as the screen says it."""
    told = page.locator(".ant-message-info, .ant-message-error").last
    expect(told).to_be_visible()
    found = re.search(r"已提交复核：草稿 #(\d+)", told.inner_text())
    assert found is not None, told.inner_text()  # a refusal, as its sentence
    return int(found.group(1))


def approve(page: Page, world: World, participant: str, draft_id: int) -> dict[str, Any]:
    """A checker approves the draft on the drafts screen; answers the draft once its
    operation is mined with its events (checked through the API)."""
    page.goto("/drafts")
    row = page.get_by_role("row").filter(
        has=page.get_by_role("cell", name=f"#{draft_id}", exact=True)
    )
    row.get_by_role("button", name="批准").click()
    expect(page.get_by_text(f"已批准草稿 #{draft_id}")).to_be_visible()

    def indexed() -> dict[str, Any] | None:
        draft: dict[str, Any] = api_get(world, participant, f"/v1/drafts/{draft_id}")
        operation = draft.get("operation_id")
        if draft["status"] != "submitted" or operation is None:
            return None
        op = api_get(world, participant, f"/v1/operations/{operation}")
        assert op["status"] != "failed", op
        return draft if op["events"] else None

    return eventually(indexed, what=f"draft {draft_id} of {participant} mined and indexed")


def pictured(page: Page, name: str) -> None:
    """The screen's picture for the docs, and no serious or critical axe-core violation."""
    screenshot(page, name)
    accessible(page)


def row_of(page: Page, cell: str) -> Any:
    """The table row whose link reads exactly `cell` ("#12": a piece, a request)."""
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=cell, exact=True))


def test_the_story_from_invoice_to_trace(people: People, world: World) -> None:
    served = world.served
    core, supplier1, supplier2 = (served.address(n) for n in ("core", "supplier1", "supplier2"))
    bank, bank2 = served.address("bank"), served.address("bank2")
    today = datetime.fromtimestamp(served.chain_time(), UTC).date()
    due = today + timedelta(days=30)
    due_seconds = int(datetime(due.year, due.month, due.day, tzinfo=UTC).timestamp())

    # 1. core's clerk issues with the invoice; the browser hashes it.
    clerk = people("core", "maker")
    clerk.get_by_role("menuitem", name="开立").click()
    clerk.get_by_label("收款方（供应商）").click()
    clerk.locator(".ant-select-item-option").filter(has_text="supplier1").click()
    clerk.get_by_label("票面金额").fill(FACE)
    clerk.get_by_label("到期日").fill(due.isoformat())
    clerk.get_by_label("到期日").press("Enter")
    expect(clerk.get_by_test_id("due-adjusted")).to_contain_text("日历")
    clerk.locator("input[type=file]").set_input_files(
        {"name": "invoice-2026-1107.txt", "mimeType": "text/plain", "buffer": INVOICE}
    )
    pictured(clerk, "issue")
    clerk.get_by_role("button", name="开立", exact=True).click()
    issue_draft = drafted(clerk)
    draft = api_get(world, "core", f"/v1/drafts/{issue_draft}")
    assert draft["kind"] == "receivable.issue"
    # The anchored hash is the invoice's: the browser computed it, the gateway checked it.
    assert draft["arguments"]["document_hash"].lower() == "0x" + hashlib.sha256(INVOICE).hexdigest()
    assert draft["arguments"]["creditor"].lower() == supplier1.lower()
    assert draft["arguments"]["due_date"] == due_seconds

    # ... and the treasurer (core's checker) approves it.
    approve(people("core", "checker"), world, "core", issue_draft)
    pieces = api_get(world, "core", f"/v1/pieces?debtor={core}&state=pending")["items"]
    root = next(
        p for p in pieces if p["receivable"]["document_hash"] == draft["arguments"]["document_hash"]
    )
    root_id, slot = root["token_id"], root["slot"]
    assert (root["holder"], root["value"]) == (supplier1, FACE)

    # The clerk sees it awaiting supplier1's acceptance (确权).
    clerk.get_by_role("menuitem", name="待确权").click()
    pending = row_of(clerk, f"#{root_id}")
    expect(pending).to_contain_text("¥1,234,567.89")
    expect(pending).to_contain_text("应收账款")
    pictured(clerk, "pending-confirmations")

    # 2. supplier1 signs for it (签收).
    s1 = people("supplier1", "maker")
    s1.reload()
    row_of(s1, f"#{root_id}").get_by_role("button", name="签收").click()
    expect(s1.get_by_text(f"已签收凭证 #{root_id}")).to_be_visible()
    assert api_get(world, "supplier1", f"/v1/pieces/{root_id}")["state"] == "active"

    # 3. supplier1 pays supplier2 with a piece (拆分/流转): the SME screens.
    child_id = sme_pays_with_a_piece(people, world, root_id, SENT)
    assert api_get(world, "supplier1", f"/v1/pieces/{root_id}")["value"] == "1000000.00"

    # 4. supplier2 signs for it.
    s2 = people("supplier2", "maker")
    s2.goto("/inbox")
    row_of(s2, f"#{child_id}").get_by_role("button", name="签收").click()
    expect(s2.get_by_text(f"已签收凭证 #{child_id}")).to_be_visible()
    child = api_get(world, "supplier2", f"/v1/pieces/{child_id}")
    assert (child["state"], child["holder"], child["value"]) == ("active", supplier2, SENT)

    # 5. supplier2 asks both banks: the SME screens.
    request_id = sme_asks_two_banks(
        people, world, child_id, (today + timedelta(days=7)).isoformat()
    )

    # 6. Both banks review the request with its risk and offer what the gateway prices.
    for name, rate in (("bank", "4.35"), ("bank2", "5.10")):
        officer = people(name, "maker")
        officer.get_by_role("menuitem", name="融资审批").click()
        queued = row_of(officer, f"#{request_id}")
        expect(queued).to_contain_text("supplier2")
        expect(queued).to_contain_text("待报价")
        if name == "bank":
            pictured(officer, "financing-queue")
        queued.get_by_role("button", name="审查").click()
        expect(officer.get_by_test_id("risk")).to_contain_text("策略结论")
        officer.get_by_label("年利率").fill(rate)
        # The weekends calendar: china's holidays are known only to 2026 (docs/money.md).
        officer.get_by_label("日历").click(force=True)  # the shown value covers the input
        officer.locator(".ant-select-item-option").filter(has_text="仅周末").click()
        officer.get_by_role("button", name="试算").click()
        quote = officer.get_by_test_id("quote")
        expect(quote).to_contain_text("¥")
        if name == "bank":
            pictured(officer, "financing-review")
        officer.get_by_role("button", name="按此条件报价").click()
        draft_id = drafted(officer)  # read before the checker signs in
        approve(people(name, "checker"), world, name, draft_id)
    request = api_get(world, "supplier2", f"/v1/financing-requests/{request_id}")
    offers = {o["financier"]: o for o in request["offers"]}
    assert offers[bank]["status"] == offers[bank2]["status"] == "made"
    # A discount at a lower rate advances more.
    assert float(offers[bank]["terms"]["advance"]) > float(offers[bank2]["terms"]["advance"])

    # 7. supplier2 accepts the bank's offer: the SME screens (its checker approves).
    sme_accepts(people, world, request_id, "bank")
    assert api_get(world, "bank", f"/v1/financing-requests/{request_id}")["status"] == "accepted"

    # 8. The bank's officer funds with the wire's reference; its checker approves.
    officer = people("bank", "maker")
    officer.goto(f"/financier/requests/{request_id}")
    expect(officer.get_by_test_id("request-status")).to_have_text("已接受报价")
    officer.get_by_label("支付流水号").fill(WIRE)
    officer.get_by_role("button", name="放款", exact=True).click()
    draft_id = drafted(officer)  # read before the checker signs in
    approve(people("bank", "checker"), world, "bank", draft_id)
    funded = api_get(world, "bank", f"/v1/financing-requests/{request_id}")
    assert (funded["status"], funded["payment_ref"]) == ("funded", WIRE)
    assert api_get(world, "bank", f"/v1/pieces/{child_id}")["holder"] == bank  # factored
    officer.reload()
    expect(officer.get_by_test_id("request-status")).to_have_text("已放款")

    # 9. At maturity (the dev chain's clock moved past the due date) core settles both pieces.
    served.rpc("anvil_setNextBlockTimestamp", due_seconds + DAY)
    served.rpc("evm_mine")
    clerk.get_by_role("menuitem", name="清分结算").click()
    for token in (root_id, child_id):
        clerk.get_by_role("checkbox", name=f"选择凭证 #{token}").check()
    clerk.get_by_label("支付流水号").fill(PAYMENT)
    pictured(clerk, "settlement")
    clerk.get_by_role("button", name="结算所选（2）").click()
    draft_id = drafted(clerk)  # read before the checker signs in
    approve(people("core", "checker"), world, "core", draft_id)
    settled = {
        s["token_id"]: s for s in api_get(world, "core", f"/v1/settlements?slot={slot}")["items"]
    }
    assert settled[child_id]["status"] == "awaiting_confirmation"
    assert settled[child_id]["payee"] == bank
    assert settled[child_id]["payment_ref"] == PAYMENT
    clerk.reload()
    expect(row_of(clerk, f"#{child_id}").last).to_contain_text("待确认收款")  # settlements

    # 10. The bank confirms the money arrived; its checker approves.
    officer.get_by_role("menuitem", name="确认收款").click()
    paid = row_of(officer, f"#{child_id}")
    expect(paid).to_contain_text(PAYMENT)
    pictured(officer, "payments-received")
    paid.get_by_role("button", name="确认收款").click()
    draft_id = drafted(officer)  # read before the checker signs in
    approve(people("bank", "checker"), world, "bank", draft_id)
    assert api_get(world, "bank", f"/v1/pieces/{child_id}")["state"] == "settled"
    officer.reload()
    expect(row_of(officer, f"#{child_id}")).to_contain_text("已结清")

    # 11. The auditor traces the piece to its root (穿透).
    auditor = people("auditor", "viewer")
    auditor.goto(f"/pieces/{child_id}")
    tree = auditor.get_by_test_id("lineage-tree")
    expect(tree).to_contain_text(f"#{root_id}")
    expect(tree).to_contain_text(f"#{child_id}")
    expect(tree).to_contain_text("¥1,000,000.00")  # supplier1's, paid, to confirm
    expect(tree).to_contain_text("待确认收款")
    expect(tree).to_contain_text("bank")  # the factored piece's holder: paid and settled
    expect(tree).to_contain_text("已结清")
    pictured(auditor, "story-trace")
    lineage = api_get(world, "auditor", f"/v1/pieces/{child_id}/lineage")
    assert [a["token_id"] for a in lineage["ancestors"]] == [root_id]


# The SME's steps, on the supplier screens (branch h-console-sme).
def sme_pays_with_a_piece(people: People, world: World, root_id: int, value: str) -> int:
    """supplier1's maker pays supplier2 with part of its piece (拆分/流转)."""
    maker = people("supplier1", "maker")
    maker.get_by_role("menuitem", name="持有凭证").click()
    maker.get_by_role("link", name=f"用凭证 #{root_id} 支付").click()
    maker.get_by_label("收款方", exact=True).fill("supplier2")
    maker.keyboard.press("Enter")
    maker.get_by_label("支付金额", exact=True).fill(value)
    maker.get_by_role("button", name="支付", exact=True).click()
    confirm_in_dialog(maker, "确认支付")
    told = maker.get_by_role("status").filter(has_text="待对方签收")
    expect(told).to_be_visible()
    return int(re.findall(r"凭证 #(\d+) 待对方签收", told.inner_text())[0])


def sme_asks_two_banks(people: People, world: World, child_id: int, fund_by: str) -> int:
    """supplier2's maker asks bank and bank2 to finance its piece (factoring)."""
    maker = people("supplier2", "maker")
    maker.goto(f"/pieces/{child_id}")
    maker.get_by_role("button", name="申请融资", exact=True).click()
    maker.get_by_role("checkbox", name="bank", exact=True).check()
    maker.get_by_role("checkbox", name="bank2", exact=True).check()
    maker.get_by_label("融资金额", exact=True).fill("230000.00")
    maker.get_by_label("费用", exact=True).fill("0.00")
    date = maker.get_by_label("最晚放款日", exact=True)
    date.click()
    date.fill(fund_by)
    date.press("Tab")
    maker.get_by_role("button", name="提交融资申请", exact=True).click()
    expect(maker).to_have_url(re.compile(r"/financing/\d+$"))
    return int(maker.url.rsplit("/", 1)[1])


def sme_accepts(people: People, world: World, request_id: int, financier: str) -> None:
    """supplier2's maker accepts `financier`'s offer (a name); its checker approves."""
    maker = people("supplier2", "maker")
    maker.goto(f"/financing/{request_id}")
    maker.get_by_role("button", name=f"接受报价：{financier}", exact=True).click()
    maker.get_by_role("button", name="确认接受", exact=True).click()
    draft_id = drafted(maker)  # read before the checker signs in
    approve(people("supplier2", "checker"), world, "supplier2", draft_id)


def test_the_clerk_cancels_a_receivable_before_it_is_accepted(people: People, world: World) -> None:
    """Issued over the API (core's service key drafts it, a checker's key approves it): the
    clerk cancels it on 待确权 before supplier3 accepts it."""
    served = world.served
    checker = person_key(served, "core", "cara", ["checker"], ["read", "approve"])
    body = {
        "creditor": served.address("supplier3"),
        "face_amount": "5000.00",
        "currency": "CNY",
        "due_date": served.chain_time() + 90 * DAY,
        "document_hash": served.document("core", "invoice to cancel"),
    }
    with served.client("core") as core:
        issued = write(core, "/v1/receivables", "story-cancel-issue", body)
    assert issued.status_code == 202, issued.text
    with served.client() as client:
        client.headers["Authorization"] = f"Bearer {checker}"
        approved = client.post(f"/v1/drafts/{issued.json()['id']}/approve")
    assert approved.status_code == 200, approved.text
    holder = served.address("supplier3")

    def pending() -> dict[str, Any] | None:
        found = api_get(world, "core", f"/v1/pieces?holder={holder}&state=pending")["items"]
        return next(iter(found), None)

    piece = eventually(pending, what="the receivable to cancel")
    clerk = people("core", "maker")
    clerk.goto("/core/pending")
    row = row_of(clerk, f"#{piece['token_id']}")
    expect(row).to_contain_text("¥5,000.00")
    row.get_by_role("button", name="撤销").click()
    clerk.get_by_role("button", name="确定").click()
    expect(clerk.get_by_text(f"已撤销应收账款 #{piece['slot']}")).to_be_visible()
    expect(row).to_have_count(0)
    receivable = api_get(world, "core", f"/v1/receivables/{piece['slot']}")
    assert receivable["status"] == "cancelled"
