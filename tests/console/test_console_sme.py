# ruff: noqa: RUF001  (the screens speak Chinese: its full-width punctuation is meant)
"""The supplier's (SME's) screens in a real headless Chromium over a real gateway: paying
its own supplier with part of a piece (拆分/流转) and recalling it, asking two banks for
money, comparing their offers and accepting the cheaper one, following it to funding, and
evidence on a piece. Each step is checked on screen and through the API; each screen is
checked with axe-core and its picture written to docs/console/.

The banks' offers and funding, core's issuing and the checker's approval are arranged over
the API (those screens are other helpers'): that is state, not the step under test."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.console.conftest import (
    PEOPLE_OF,
    World,
    accessible,
    consortium_with_banks,
    new_context,
    screenshot,
    sign_in,
)
from tests.support.api import event, write
from tests.support.checking import person_key
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

DUE = 2_840_140_800  # 2060-01-01
SHANGHAI = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """As conftest's world, with a second bank (a request asks several financiers). Core
    and the banks act over the API without a checker (arranging state); supplier1's people
    keep the default maker-checker policy, so accepting an offer is a draft."""
    directory = tmp_path_factory.mktemp("console-sme")
    with consortium_with_banks(directory, PEOPLE_OF, no_checker=("core", "bank", "bank2")) as world:
        yield world


@pytest.fixture(scope="module")
def maker(browser: Browser, world: World) -> Iterator[Page]:
    """supplier1's maker, signed in once (the page may run axe-core: CSP bypassed)."""
    with new_context(browser, world, bypass_csp=True) as context:
        page = context.new_page()
        sign_in(page, world.person("supplier1", "maker"))
        yield page


@pytest.fixture(scope="module")
def checker_key(world: World) -> str:
    return person_key(world.served, "supplier1", "carol", ["checker"], ["read", "approve"])


def api(world: World, participant: str) -> httpx.Client:
    return world.served.client(participant)


def get(world: World, participant: str, path: str) -> Any:
    with api(world, participant) as client:
        response = client.get(path)
    assert response.status_code == 200, response.text
    return response.json()


def held_piece(world: World, document: str, face: str = "100000.00") -> int:
    """A receivable of core to supplier1 for `face`, accepted: its active root piece."""
    body = {
        "creditor": world.served.address("supplier1"),
        "face_amount": face,
        "currency": "CNY",
        "due_date": DUE,
        "document_hash": world.served.document("core", document),
    }
    with api(world, "core") as core:
        issued = write(core, "/v1/receivables", f"sme-issue-{document}", body)
    assert issued.status_code == 202, issued.text
    slot = int(event(issued.json(), "ReceivableIssued")["slot"])
    with api(world, "supplier1") as supplier1:
        accepted = write(supplier1, f"/v1/receivables/{slot}/accept", f"sme-accept-{document}")
    assert accepted.status_code == 202, accepted.text
    token_id = int(event(accepted.json(), "ReceivableAccepted")["tokenId"])
    assert get(world, "supplier1", f"/v1/pieces/{token_id}")["state"] == "active"
    return token_id


def test_a_supplier_pays_its_supplier_with_part_of_a_piece_and_recalls_it(
    world: World, maker: Page
) -> None:
    token_id = held_piece(world, "invoice-to-pay-with")
    maker.get_by_role("menuitem", name="持有凭证").click()
    maker.get_by_role("link", name=f"用凭证 #{token_id} 支付").click()
    expect(
        maker.get_by_role("heading", name=f"用凭证 #{token_id} 支付（拆分/流转）")
    ).to_be_visible()

    # Amounts are checked exactly before anything is sent.
    amount = maker.get_by_label("支付金额", exact=True)
    amount.fill("1.234")
    maker.get_by_role("button", name="支付", exact=True).click()
    expect(maker.get_by_text("请输入大于零的金额，最多 2 位小数")).to_be_visible()
    amount.fill("100000.01")
    expect(maker.get_by_text("不能超过凭证金额 ¥100,000.00")).to_be_visible()
    assert get(world, "supplier1", f"/v1/pieces/{token_id}/transfers") == []

    maker.get_by_label("收款方", exact=True).fill("supplier2")
    maker.keyboard.press("Enter")
    amount.fill("2500.50")
    expect(maker.get_by_test_id("pay-summary")).to_have_text(
        "支付 ¥2,500.50，本机构保留 ¥97,499.50"
    )
    accessible(maker)
    screenshot(maker, "pay-with-a-piece")

    maker.get_by_role("button", name="支付", exact=True).click()
    confirmation = maker.get_by_test_id("pay-confirmation")
    expect(confirmation).to_contain_text(f"将 ¥2,500.50 从凭证 #{token_id} 支付给 supplier2")
    expect(confirmation).to_contain_text("本机构保留 ¥97,499.50")
    screenshot(maker, "pay-confirmation")
    maker.get_by_role("button", name="确认支付", exact=True).click()

    status = maker.get_by_role("status").filter(has_text="已将 ¥2,500.50 支付给 supplier2")
    expect(status).to_be_visible()
    child_id = int(re.findall(r"凭证 #(\d+) 待对方签收", status.inner_text())[0])
    child = get(world, "supplier1", f"/v1/pieces/{child_id}")
    assert (child["state"], child["value"], child["parent_token_id"]) == (
        "pending",
        "2500.50",
        token_id,
    )
    assert child["holder"] == world.served.address("supplier2")
    assert get(world, "supplier1", f"/v1/pieces/{token_id}")["value"] == "97499.50"
    sent = (
        maker.get_by_role("table", name="用此凭证的支付")
        .get_by_role("row")
        .filter(has_text=f"#{child_id}")
    )
    expect(sent).to_contain_text("supplier2")
    expect(sent).to_contain_text("¥2,500.50")
    expect(sent).to_contain_text("待签收")
    screenshot(maker, "pay-sent")

    # Recalled before supplier2 signs: the value comes back.
    maker.get_by_role("button", name=f"撤回凭证 #{child_id}").click()
    expect(maker.get_by_text(f"已撤回凭证 #{child_id}，金额退回本机构")).to_be_visible()
    expect(sent).to_contain_text("已退回本凭证")
    expect(maker.get_by_role("button", name=f"撤回凭证 #{child_id}")).to_have_count(0)
    recalled = get(world, "auditor", f"/v1/pieces/{child_id}")
    assert (recalled["state"], recalled["value"]) == ("cancelled", "0.00")
    assert get(world, "supplier1", f"/v1/pieces/{token_id}")["value"] == "100000.00"


def fund_by(day: str) -> int:
    """The last second of `day` in Asia/Shanghai (what the form sends for that date)."""
    end = datetime.fromisoformat(f"{day}T23:59:59").replace(tzinfo=SHANGHAI)
    return int(end.timestamp())


def offer(world: World, bank: str, request_id: int, advance: str, fees: str) -> None:
    terms = {"advance": advance, "repayment": "0", "fees": fees, "fund_by": fund_by("2059-11-30")}
    with api(world, bank) as client:
        made = write(client, f"/v1/financing-requests/{request_id}/offers", f"sme-{bank}", terms)
    assert made.status_code == 202, made.text
    assert made.json()["status"] == "indexed", made.text


def test_a_supplier_asks_two_banks_and_accepts_the_cheaper_offer_to_funding(
    world: World, maker: Page, checker_key: str
) -> None:
    token_id = held_piece(world, "invoice-to-finance")
    maker.goto(f"/pieces/{token_id}")
    maker.get_by_role("button", name="申请融资", exact=True).click()
    expect(maker.get_by_role("heading", name=f"用凭证 #{token_id} 申请融资")).to_be_visible()
    maker.get_by_role("checkbox", name="bank", exact=True).check()
    maker.get_by_role("checkbox", name="bank2", exact=True).check()
    maker.get_by_label("融资金额", exact=True).fill("95000.00")
    maker.get_by_label("费用", exact=True).fill("100.00")
    date = maker.get_by_label("最晚放款日", exact=True)
    date.click()
    date.fill("2059-12-01")
    date.press("Tab")
    expect(maker.locator(".ant-picker-dropdown:not(.ant-picker-dropdown-hidden)")).to_have_count(0)
    expect(maker.get_by_test_id("ask-summary")).to_have_text(
        "到账金额（融资金额减费用）：¥94,900.00"
    )
    accessible(maker)
    screenshot(maker, "ask-for-money")
    maker.get_by_role("button", name="提交融资申请", exact=True).click()

    expect(maker).to_have_url(re.compile(r"/financing/\d+$"))
    request_id = int(maker.url.rsplit("/", 1)[1])
    asked = get(world, "supplier1", f"/v1/financing-requests/{request_id}")
    assert (asked["token_id"], asked["status"], asked["mode"]) == (
        token_id,
        "requested",
        "factoring",
    )
    assert asked["asked"]["advance"] == "95000.00"
    assert asked["asked"]["fees"] == "100.00"
    assert asked["asked"]["fund_by"] == fund_by("2059-12-01")
    banks = {world.served.address("bank"), world.served.address("bank2")}
    assert {o["financier"] for o in asked["offers"]} == banks
    expect(maker.get_by_test_id("request-status")).to_have_text("待报价")

    # Both banks offer (arranged over the API); bank2 leaves more to the supplier.
    offer(world, "bank", request_id, "96000.00", "50.00")
    offer(world, "bank2", request_id, "97000.00", "100.00")
    maker.get_by_role("button", name="刷新", exact=True).click()
    compared = maker.get_by_role("table", name="报价比较（成本由低到高）")
    rows = compared.get_by_role("row")
    expect(rows.nth(1)).to_contain_text("bank2")
    expect(rows.nth(1)).to_contain_text("¥96,900.00")  # received: advance - fees
    expect(rows.nth(2)).to_contain_text("¥95,950.00")
    expect(rows.nth(2)).not_to_contain_text("bank2")
    expect(rows.nth(1)).to_contain_text("¥100,000.00")  # given at maturity: the piece
    comparison = get(world, "supplier1", f"/v1/financing-requests/{request_id}/offers/comparison")
    assert [o["financier"] for o in comparison["offers"]] == [
        world.served.address("bank2"),
        world.served.address("bank"),
    ]
    # The annualised cost as the API computed it, shown to the hundredth of a percent.
    cost = Decimal(comparison["offers"][0]["cost"]["simple"]).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    )
    expect(rows.nth(1)).to_contain_text(f"{cost}%")
    accessible(maker)
    screenshot(maker, "financing-offers")

    # Accepting is a draft under maker-checker: supplier1's checker approves it.
    maker.get_by_role("button", name="接受报价：bank2", exact=True).click()
    confirmation = maker.get_by_test_id("accept-confirmation")
    expect(confirmation).to_contain_text("到账 ¥96,900.00")
    expect(confirmation).to_contain_text("其他报价失效")
    maker.get_by_role("button", name="确认接受", exact=True).click()
    expect(maker.get_by_text(re.compile(r"已提交复核：草稿 #\d+"))).to_be_visible()
    # The draft from the API, not from the toast (which goes away by itself).
    pending = get(world, "supplier1", "/v1/drafts?status=pending")["items"]
    (draft,) = [d for d in pending if d["kind"] == "financing.accept"]
    draft_id = draft["id"]
    assert draft["arguments"]["financier"] == world.served.address("bank2")
    with world.served.client() as client:
        client.headers["Authorization"] = f"Bearer {checker_key}"
        approved = client.post(f"/v1/drafts/{draft_id}/approve")
    assert approved.status_code == 200, approved.text
    eventually(
        lambda: (
            get(world, "supplier1", f"/v1/financing-requests/{request_id}")["status"] == "accepted"
        ),
        what="the accepted request",
    )
    maker.get_by_role("button", name="刷新", exact=True).click()
    expect(maker.get_by_test_id("request-status")).to_have_text("已接受，待放款")
    expect(rows.nth(1)).to_contain_text("已接受")
    expect(maker.get_by_role("button", name="接受报价：bank2")).to_have_count(0)

    # bank2 funds (arranged over the API): the supplier follows it to funding.
    with api(world, "bank2") as bank2:
        funded = write(
            bank2,
            f"/v1/financing-requests/{request_id}/fund",
            "sme-fund",
            {"payment_ref": "WIRE-SME-1"},
        )
    assert funded.status_code == 202, funded.text
    maker.get_by_role("button", name="刷新", exact=True).click()
    expect(maker.get_by_test_id("request-status")).to_have_text("已放款")
    expect(maker.get_by_text("WIRE-SME-1")).to_be_visible()
    screenshot(maker, "financing-funded")
    done = get(world, "supplier1", f"/v1/financing-requests/{request_id}")
    assert (done["status"], done["financier"]) == ("funded", world.served.address("bank2"))

    maker.get_by_role("menuitem", name="融资申请").click()
    row = maker.get_by_role("row").filter(has_text=f"融资申请 #{request_id}")
    expect(row).to_contain_text("已放款")
    expect(row).to_contain_text("2 / 2 家已报价")
    accessible(maker)
    screenshot(maker, "financing-requests")


def test_a_supplier_uploads_evidence_on_its_piece(
    world: World, maker: Page, tmp_path: Path
) -> None:
    token_id = held_piece(world, "invoice-with-evidence")
    note = tmp_path / "delivery-note.txt"
    note.write_bytes(f"delivery note for piece {token_id}: 400 crates".encode())
    digest = "0x" + hashlib.sha256(note.read_bytes()).hexdigest()
    maker.goto(f"/pieces/{token_id}")
    card = maker.get_by_test_id("evidence")
    expect(card).to_contain_text("暂无证据材料")
    card.locator("input[type=file]").set_input_files(note)
    expect(maker.get_by_text("已上传并上链：delivery-note.txt")).to_be_visible()
    expect(card.get_by_role("link", name=digest)).to_be_visible()
    anchored = get(world, "supplier1", f"/v1/pieces/{token_id}/evidence")
    assert [(e["evidence_hash"], e["attached_by"]) for e in anchored] == [
        (digest, world.served.address("supplier1"))
    ]
    accessible(maker)
    screenshot(maker, "evidence")

    # The same file again is refused by the contract, as a sentence; nothing changes.
    card.locator("input[type=file]").set_input_files(note)
    expect(maker.get_by_text("该文件已作为此凭证的证据上链。")).to_be_visible()
    assert len(get(world, "supplier1", f"/v1/pieces/{token_id}/evidence")) == 1


def test_a_supplier_withdraws_its_request_and_the_piece_is_free_again(
    world: World, maker: Page
) -> None:
    token_id = held_piece(world, "invoice-to-withdraw")
    body = {
        "token_id": token_id,
        "financiers": [world.served.address("bank")],
        "terms": {
            "advance": "90000.00",
            "repayment": "0",
            "fees": "0",
            "fund_by": fund_by("2059-06-30"),
        },
    }
    with api(world, "supplier1") as supplier1:
        asked = write(supplier1, "/v1/financing-requests", "sme-ask-to-withdraw", body)
    assert asked.status_code == 202, asked.text
    request_id = int(event(asked.json(), "FinancingRequested")["requestId"])
    assert get(world, "supplier1", f"/v1/pieces/{token_id}")["state"] == "financing"

    maker.goto(f"/financing/{request_id}")
    expect(maker.get_by_test_id("request-status")).to_have_text("待报价")
    expect(maker.get_by_text("bank: 未答复")).to_be_visible()
    expect(maker.get_by_text("暂无报价")).to_be_visible()
    maker.get_by_role("button", name="撤回申请", exact=True).click()
    expect(maker.get_by_text("撤回后所有报价失效，凭证解锁。")).to_be_visible()
    maker.get_by_role("dialog").get_by_role("button", name="撤回申请").click()
    # The status, not the toast that says so (it fades after a few seconds: a loaded
    # machine's browser can miss it).
    expect(maker.get_by_test_id("request-status")).to_have_text("已撤回")
    expect(maker.get_by_role("button", name="撤回申请", exact=True)).to_have_count(0)
    assert get(world, "supplier1", f"/v1/financing-requests/{request_id}")["status"] == "withdrawn"
    assert get(world, "supplier1", f"/v1/pieces/{token_id}")["state"] == "active"
