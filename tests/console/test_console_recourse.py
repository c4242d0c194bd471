# The console's Chinese words carry full-width punctuation (brackets, colons) as shown.
# ruff: noqa: RUF001
"""A financier's overdue pieces and recourse in a real headless Chromium, over the gateway
the story shares (conftest's `banks_world`): a piece factored with recourse goes past its
due date on the chain's clock; the bank's officer sees it overdue, claims recourse once it
is defaulted, the seller (supplier1) is told what it owes on its request's page, and the
officer records the seller's off-chain repayment: the piece goes back to the seller. Each
step is checked on screen and through the API. Then the English pass: the main screens of
each role in English, with no Chinese left on any of them.

Issuing, accepting, asking, offering and funding are arranged over the API (their screens
are the story's); the officer marks the piece overdue, then defaulted, on this screen."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.console.conftest import (
    BANKS_GROUP,
    World,
    accessible,
    api_get,
    new_context,
    screenshot,
    sign_in,
)
from tests.support.api import event, write
from tests.support.checking import person_key
from tests.support.waiting import eventually

pytestmark = [pytest.mark.integration, BANKS_GROUP]

DAY = 86_400
FACE = "50000.00"
ADVANCE = "48000.00"
BUY_BACK = "48500.00"  # what the seller repays on recourse (the agreed `repayment`)
WIRE = "CMB-2026-RECOURSE-FUND-9"
BUY_BACK_REF = "SUP1-2026-BUYBACK-0007"
HAN = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")  # Chinese and its punctuation


@pytest.fixture(scope="module")
def checkers(world: World) -> dict[str, str]:
    """API keys of a checker at core and at the bank (drafts arranged over the API)."""
    return {
        p: person_key(world.served, p, f"{p}-recourse-checker", ["checker"], ["read", "approve"])
        for p in ("core", "bank")
    }


@pytest.fixture(scope="module")
def pages(browser: Browser, world: World) -> Iterator[dict[tuple[str, str], Page]]:
    opened: dict[tuple[str, str], Page] = {}
    yield opened
    for page in opened.values():
        page.context.close()


def page_of(pages: dict[tuple[str, str], Page], browser: Browser, world: World, who: str) -> Page:
    participant, username = who.split("/")
    if (participant, username) not in pages:
        # CSP bypassed only to inject axe-core (accessible()); the console is the same.
        page = new_context(browser, world, bypass_csp=True).new_page()
        sign_in(page, world.person(participant, username))
        pages[(participant, username)] = page
    return pages[(participant, username)]


def checked(world: World, checkers: dict[str, str], participant: str, drafted: Any) -> Any:
    """The operation of a draft (maker-checker) once its checker approved it over the API
    and its events are indexed."""
    assert drafted.status_code == 202, drafted.text
    draft_id = drafted.json()["id"]
    headers = {"Authorization": f"Bearer {checkers[participant]}"}
    with world.served.client() as client:
        approved = client.post(f"/v1/drafts/{draft_id}/approve", headers=headers)
    assert approved.status_code == 200, approved.text
    operation_id = approved.json()["operation"]["id"]

    def indexed() -> Any:
        op = api_get(world, participant, f"/v1/operations/{operation_id}")
        assert op["status"] != "failed", op
        return op if op["events"] else None

    return eventually(indexed, what=f"draft {draft_id} of {participant} mined and indexed")


def factored_with_recourse(world: World, checkers: dict[str, str]) -> tuple[int, int, int]:
    """supplier1's piece of core due in 90 days (chain time), factored by the bank with
    recourse and funded: (request id, piece id, due date)."""
    served = world.served
    now = served.chain_time()
    due = now + 90 * DAY
    body = {
        "creditor": served.address("supplier1"),
        "face_amount": FACE,
        "currency": "CNY",
        "due_date": due,
        "document_hash": served.document("core", "invoice of the recourse story"),
    }
    with served.client("core") as core:
        issued = checked(world, checkers, "core", write(core, "/v1/receivables", "rc-issue", body))
    slot = int(event(issued, "ReceivableIssued")["slot"])
    terms = {"advance": ADVANCE, "repayment": BUY_BACK, "fees": "0", "fund_by": now + 2 * DAY}
    with served.client("supplier1") as supplier1:
        accepted = write(supplier1, f"/v1/receivables/{slot}/accept", "rc-accept")
        assert accepted.status_code == 202, accepted.text
        token_id = int(event(accepted.json(), "ReceivableAccepted")["tokenId"])
        ask = {
            "token_id": token_id,
            "financiers": [served.address("bank")],
            "terms": terms,
            "mode": "factoring",
            "recourse": True,
        }
        asked = write(supplier1, "/v1/financing-requests", "rc-ask", ask)
    assert asked.status_code == 202, asked.text
    request_id = int(event(asked.json(), "FinancingRequested")["requestId"])
    with served.client("bank") as bank:
        # The sole financier offering the asked terms: accepted at once.
        path = f"/v1/financing-requests/{request_id}"
        checked(world, checkers, "bank", write(bank, f"{path}/offers", "rc-offer", terms))
        wire = {"payment_ref": WIRE}
        checked(world, checkers, "bank", write(bank, f"{path}/fund", "rc-fund", wire))
    funded = api_get(world, "bank", f"/v1/financing-requests/{request_id}")
    assert (funded["status"], funded["recourse"]) == ("funded", True)
    return request_id, token_id, due


def animations_ended(page: Page) -> None:
    """The page's transitions (the menu's, after a load) have ended: its picture is sharp
    (a spinner's endless animation aside)."""
    page.wait_for_function(
        "document.getAnimations().every(a => a.playState !== 'running'"
        " || a.effect?.getTiming().iterations === Infinity)"
    )


def row_of(page: Page, request_id: int) -> Any:
    table = page.get_by_role("table", name="逾期与追索")
    return table.get_by_role("row").filter(
        has=page.get_by_role("link", name=f"#{request_id}", exact=True)
    )


def test_a_bank_claims_recourse_on_a_defaulted_piece_and_records_the_buy_back(
    browser: Browser, world: World, pages: dict[tuple[str, str], Page], checkers: dict[str, str]
) -> None:
    served = world.served
    request_id, token_id, due = factored_with_recourse(world, checkers)

    # 40 days past due on the chain's clock: overdue, not yet marked defaulted.
    served.rpc("anvil_setNextBlockTimestamp", due + 40 * DAY)
    served.rpc("evm_mine")
    officer = page_of(pages, browser, world, "bank/maker")
    officer.get_by_role("menuitem", name="逾期与追索").click()
    row = row_of(officer, request_id)
    expect(row).to_contain_text("40 天")
    expect(row).to_contain_text("已放款")  # the piece's state: financed, not marked yet
    expect(row).to_contain_text("¥50,000.00")  # the debtor owes the piece's value
    expect(row).to_contain_text("¥48,500.00")  # the seller repays on recourse
    expect(row).to_contain_text("违约后可追索")
    expect(row.get_by_role("button", name="追索")).to_have_count(0)

    # 40 days: past the grace period (3) and the default period (30 more).
    row.get_by_role("button", name="标记逾期").click()
    expect(officer.get_by_text(f"凭证 #{token_id} 已标记逾期")).to_be_visible()
    assert api_get(world, "bank", f"/v1/pieces/{token_id}")["state"] == "overdue"
    expect(row).to_contain_text("逾期")
    row.get_by_role("button", name="标记违约").click()
    expect(officer.get_by_text(f"凭证 #{token_id} 已标记违约")).to_be_visible()
    assert api_get(world, "bank", f"/v1/pieces/{token_id}")["state"] == "defaulted"
    expect(row).to_contain_text("违约")
    accessible(officer)
    screenshot(officer, "overdue")

    row.get_by_role("button", name="追索").click()
    confirm = officer.get_by_role("dialog")
    expect(confirm).to_contain_text(f"对融资 #{request_id} 行使追索权？")
    expect(confirm).to_contain_text("supplier1 须向本机构付回 ¥48,500.00")
    confirm.get_by_role("button", name="追索", exact=True).click()
    expect(officer.get_by_text(f"已对融资 #{request_id} 行使追索权")).to_be_visible()
    claimed = api_get(world, "bank", f"/v1/financing-requests/{request_id}")
    assert claimed["status"] == "recourse_claimed"
    assert api_get(world, "bank", f"/v1/pieces/{token_id}")["holder"] == served.address("bank")

    # The seller is told what it owes on its request's page.
    seller = page_of(pages, browser, world, "supplier1/maker")
    seller.goto(f"/financing/{request_id}")
    expect(seller.get_by_test_id("request-status")).to_have_text("已追索")
    animations_ended(seller)
    expect(seller.get_by_test_id("owed-note")).to_contain_text(
        "bank 已行使追索权：请向其支付 ¥48,500.00"
    )
    accessible(seller)
    screenshot(seller, "recourse-owed")

    # The seller paid off-chain; the officer records it with the wire's reference.
    officer.get_by_label("按状态筛选").first.click()
    officer.locator(".ant-select-item-option").filter(has_text="已追索").click()
    row.get_by_role("button", name="登记回购款").click()
    dialog = officer.get_by_role("dialog")
    expect(dialog).to_contain_text("确认已收到 supplier1 支付的 ¥48,500.00")
    dialog.get_by_label("支付流水号").fill(BUY_BACK_REF)
    screenshot(officer, "recourse-repay")
    dialog.get_by_role("button", name="确定").click()
    expect(officer.get_by_text(f"已登记融资 #{request_id} 的回购款")).to_be_visible()
    repaid = api_get(world, "supplier1", f"/v1/financing-requests/{request_id}")
    assert repaid["status"] == "recourse_repaid"
    piece = api_get(world, "supplier1", f"/v1/pieces/{token_id}")
    assert (piece["holder"], piece["state"]) == (served.address("supplier1"), "defaulted")

    seller.reload()
    expect(seller.get_by_test_id("request-status")).to_have_text("追索已清偿")
    expect(seller.get_by_test_id("owed-note")).to_contain_text("凭证已回到本机构名下")


# Each role's main screens (menu entries in English, and where each leads), walked once.
ENGLISH_WALK = {
    "core/maker": {
        "Approvals": "/drafts",
        "Issue": "/core/issue",
        "Awaiting acceptance": "/core/pending",
        "Settlement": "/core/settlement",
        "Payables": "/payables",
    },
    "supplier1/maker": {
        "To sign for": "/inbox",
        "Holdings": "/pieces",
        "Financing": "/financing",
        "Trace": "/lineage",
        "Payments received": "/payments/received",
    },
    "bank/maker": {
        "Financing requests": "/financier/requests",
        "Overdue and recourse": "/financier/overdue",
        "Portfolio": "/portfolio",
    },
    "auditor/admin": {
        "Search": "/search",
        "Members": "/members",
        "Proposals": "/proposals",
        "Status": "/status",
        "People": "/people",
        "API keys": "/api-keys",
    },
}


def test_the_main_screens_in_english_have_no_chinese_left(browser: Browser, world: World) -> None:
    left: dict[str, str] = {}  # screen: the Chinese lines left on it
    for who, entries in ENGLISH_WALK.items():
        participant, username = who.split("/")
        with new_context(browser, world) as context:
            page = context.new_page()
            sign_in(page, world.person(participant, username))
            page.get_by_role("button", name="语言: English").click()
            expect(page.locator("html")).to_have_attribute("lang", "en")
            for entry, path in entries.items():
                page.get_by_role("menuitem", name=entry).click()
                expect(page).to_have_url(re.compile(re.escape(path) + "$"))
                expect(page.get_by_role("heading", level=2).first).to_be_visible()
                if path == "/status":  # read after the first tick
                    expect(page.get_by_test_id("sealers")).to_have_text("not a Clique network")
                expect(page.locator(".ant-skeleton, .ant-spin-spinning")).to_have_count(0)
                # The language switch offers Chinese in Chinese: the one word meant so.
                switch = page.get_by_role("button", name="Language: 中文")
                expect(switch).to_have_text("中文")
                shown = page.locator("body").inner_text().replace("中文", "", 1)
                lines = [line for line in shown.splitlines() if HAN.search(line)]
                if lines:
                    left[f"{who} {path}"] = " | ".join(lines)
    assert left == {}, json.dumps(left, ensure_ascii=False, indent=1)
