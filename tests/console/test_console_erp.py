# The console's Chinese words carry full-width punctuation (brackets, colons) as shown.
# ruff: noqa: RUF001
"""The ERP screens in a real headless Chromium, over the gateway the story shares
(conftest's `banks_world`, maker-checker on): core's maker imports a CSV batch of
receivable issues (a bad line shown as its sentence, the good ones drafted for a checker,
then done; the same file again is the same batch), finalizes a settlement its payee left
unanswered past the confirmation window (refused before it, as the contract's sentence),
and reads its statement and reconciliation and downloads them; single sign-on from the
sign-in page at the test identity provider (tests/support/oidc.py), and an institution
without it told so. Each step checked on screen and through the API; axe-core on each
new screen."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
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
from tests.support.oidc import identity_provider
from tests.support.waiting import eventually

pytestmark = [pytest.mark.integration, BANKS_GROUP]

DAY = 86_400
SHANGHAI = ZoneInfo("Asia/Shanghai")
PAYMENT = "ERP-FINAL-2026-0042"


@pytest.fixture(scope="module")
def checker(world: World) -> str:
    """An API key of a checker at core (the batch's and the settlement's drafts)."""
    return person_key(world.served, "core", "core-erp-checker", ["checker"], ["read", "approve"])


@pytest.fixture(scope="module")
def clerk(browser: Browser, world: World) -> Iterator[Page]:
    """core's maker, signed in (CSP bypassed only to inject axe-core)."""
    context = new_context(browser, world, bypass_csp=True)
    page = context.new_page()
    sign_in(page, world.person("core", "maker"))
    yield page
    context.close()


def approve(world: World, checker: str, draft_id: int) -> Any:
    """The checker approves a draft over the API; its operation once mined and indexed."""
    with world.served.client() as client:
        approved = client.post(
            f"/v1/drafts/{draft_id}/approve", headers={"Authorization": f"Bearer {checker}"}
        )
    assert approved.status_code == 200, approved.text
    operation_id = approved.json()["operation"]["id"]

    def indexed() -> Any:
        op = api_get(world, "core", f"/v1/operations/{operation_id}")
        assert op["status"] != "failed", op
        return op if op["events"] else None

    return eventually(indexed, what=f"draft {draft_id} mined and indexed")


def test_core_imports_a_batch_a_bad_line_refused_and_the_same_file_acts_once(
    world: World, clerk: Page, checker: str, tmp_path: Path
) -> None:
    served = world.served
    due = served.chain_time() + 60 * DAY
    creditor = served.address("supplier1")
    invoices = [served.document("core", f"ERP invoice {n} {uuid.uuid4()}") for n in (1, 2, 3)]
    csv = "creditor,face_amount,currency,due_date,document_hash\n" + "".join(
        f"{creditor},{amount},CNY,{due},{doc}\n"
        for amount, doc in zip(("1200.00", "2500.005", "3400.50"), invoices, strict=True)
    )
    run = tmp_path / "month-end.csv"
    run.write_text(csv, encoding="utf-8")

    clerk.get_by_role("menuitem", name="批量导入").click()
    with clerk.expect_download() as template:
        clerk.get_by_role("button", name="下载 CSV 模板").click()
    header = Path(template.value.path()).read_text(encoding="utf-8").splitlines()[0]
    assert header == "creditor,face_amount,currency,due_date,document_hash"

    clerk.get_by_label("批次文件（CSV 或 JSON）").set_input_files(str(run))
    preview = clerk.get_by_role("table", name="批次预览")
    expect(preview).to_contain_text("2500.005")  # as written: the gateway judges it
    expect(preview.get_by_role("row")).to_have_count(4)  # the header and three lines
    key = clerk.get_by_label("批次编号（幂等键）")
    expect(key).to_have_value(re.compile(r"^erp-[0-9a-f]{32}$"))
    batch_key = key.input_value()
    accessible(clerk)
    screenshot(clerk, "batch-import")
    clerk.get_by_role("button", name="提交批次（3 行）").click()

    expect(clerk).to_have_url(re.compile(r"/core/batches/\d+$"))
    batch_id = int(clerk.url.rsplit("/", 1)[1])
    results = clerk.get_by_role("table", name="逐行结果")
    bad = results.get_by_role("row").filter(has=clerk.get_by_role("cell", name="2", exact=True))
    expect(bad).to_contain_text("已拒绝（未发送）")
    expect(bad).to_contain_text("金额的小数位数超过该币种允许的位数。")
    expect(results).to_contain_text("草稿 #")
    expect(clerk.get_by_test_id("batch-counts")).to_contain_text("待复核: 2")
    batch = api_get(world, "core", f"/v1/batches/{batch_id}")
    assert batch["counts"] == {"rejected": 1, "draft": 2}
    assert batch["items"][1]["problem"]["type"].endswith("/amount-too-precise")

    # Each good line is its own draft: the checker approves both; the page follows them.
    drafts = [line["draft_id"] for line in batch["items"] if line["status"] == "draft"]
    for draft_id in drafts:
        approve(world, checker, draft_id)
    expect(clerk.get_by_text("全部行已处理完毕")).to_be_visible()
    counts = clerk.get_by_test_id("batch-counts")
    expect(counts).not_to_contain_text("待复核")
    done = api_get(world, "core", f"/v1/batches/{batch_id}")
    assert done["done"] is True
    # Mined, or indexed too (an approved draft's operation is not waited on to indexed).
    finished = {s: n for s, n in done["counts"].items() if s in ("mined", "indexed")}
    assert (done["counts"]["rejected"], sum(finished.values())) == (1, 2)
    for status, n in finished.items():
        expect(counts).to_contain_text(f"{'已上链' if status == 'mined' else '已完成'}: {n}")
    accessible(clerk)
    screenshot(clerk, "batch-result")

    # The same file under the same key: the same batch, nothing sent again.
    clerk.get_by_role("menuitem", name="批量导入").click()
    clerk.get_by_label("批次文件（CSV 或 JSON）").set_input_files(str(run))
    expect(clerk.get_by_label("批次编号（幂等键）")).to_have_value(batch_key)
    clerk.get_by_role("button", name="提交批次（3 行）").click()
    expect(clerk).to_have_url(re.compile(rf"/core/batches/{batch_id}$"))
    expect(clerk.get_by_text("全部行已处理完毕")).to_be_visible()
    again = api_get(world, "core", f"/v1/batches/{batch_id}")
    assert again["lines"] == 3
    assert [line["operation_id"] for line in again["items"]] == [
        line["operation_id"] for line in done["items"]
    ]


def settled_off_chain(world: World, checker: str) -> tuple[int, int, int]:
    """A receivable of core to supplier1, accepted, due, and settled off-chain with PAYMENT
    (drafts approved by the checker): (slot, piece, issued at)."""
    served = world.served
    now = served.chain_time()
    body = {
        "creditor": served.address("supplier1"),
        "face_amount": "8800.00",
        "currency": "CNY",
        "due_date": now + 10 * DAY,
        "document_hash": served.document("core", f"invoice to finalize {uuid.uuid4()}"),
    }
    with served.client("core") as core:
        drafted = write(core, "/v1/receivables", f"erp-fin-{uuid.uuid4()}", body)
    assert drafted.status_code == 202, drafted.text
    issued = approve(world, checker, drafted.json()["id"])
    slot = int(event(issued, "ReceivableIssued")["slot"])
    with served.client("supplier1") as supplier1:
        accepted = write(supplier1, f"/v1/receivables/{slot}/accept", f"erp-acc-{slot}")
    assert accepted.status_code == 202, accepted.text
    token_id = int(event(accepted.json(), "ReceivableAccepted")["tokenId"])
    served.rpc("anvil_setNextBlockTimestamp", now + 10 * DAY + 60)
    served.rpc("evm_mine")
    settle = {"slot": slot, "token_ids": [token_id], "payment_ref": PAYMENT}
    with served.client("core") as core:
        drafted = write(core, "/v1/settlements", f"erp-settle-{slot}", settle)
    assert drafted.status_code == 202, drafted.text
    approve(world, checker, drafted.json()["id"])
    return slot, token_id, now


def settlement_of(world: World, slot: int) -> Any:
    return api_get(world, "core", f"/v1/settlements?slot={slot}")["items"][0]


def day_in_shanghai(at: int) -> str:
    return datetime.fromtimestamp(at, UTC).astimezone(SHANGHAI).date().isoformat()


def test_core_finalizes_after_a_silent_payee_then_reads_and_downloads_its_statement(
    world: World, clerk: Page, checker: str
) -> None:
    served = world.served
    slot, token_id, issued_at = settled_off_chain(world, checker)
    paid = settlement_of(world, slot)
    assert (paid["status"], paid["payee"]) == ("awaiting_confirmation", served.address("supplier1"))

    # Within the window: the row says so, and the contract's refusal is a sentence.
    clerk.get_by_role("menuitem", name="清分结算").click()
    row = clerk.get_by_role("row").filter(has=clerk.get_by_role("link", name=f"#{token_id}"))
    made = row.filter(has=clerk.get_by_role("button", name=f"确认结清凭证 #{token_id}"))
    expect(made).to_contain_text("确认期内，等待收款方")
    made.get_by_role("button", name=f"确认结清凭证 #{token_id}").click()
    dialog = clerk.get_by_role("dialog")
    expect(dialog).to_contain_text("尚未结束")
    dialog.get_by_role("button", name="确认结清", exact=True).click()
    expect(
        clerk.get_by_text("收款方的确认期尚未结束：期满后收款方仍未确认或异议，方可确认结清。")
    ).to_be_visible()
    assert settlement_of(world, slot)["status"] == "awaiting_confirmation"

    # Past the window on the chain's clock, with no answer from supplier1: finalized.
    served.rpc("anvil_setNextBlockTimestamp", int(paid["confirm_by"]) + 60)
    served.rpc("evm_mine")
    clerk.reload()
    expect(made).to_contain_text("确认期已过，收款方未答复")
    made.get_by_role("button", name=f"确认结清凭证 #{token_id}").click()
    expect(dialog).to_contain_text("supplier1 在确认期内")
    accessible(clerk)
    screenshot(clerk, "settlement-finalize")
    dialog.get_by_role("button", name="确认结清", exact=True).click()
    expect(clerk.get_by_text(f"凭证 #{token_id} 已确认结清（视同收款方确认）")).to_be_visible()
    final = settlement_of(world, slot)
    assert (final["status"], final["deemed"]) == ("settled", True)
    assert api_get(world, "core", f"/v1/pieces/{token_id}")["state"] == "settled"

    # The statement of the days from the issue to now (Asia/Shanghai, the user's zone).
    first = day_in_shanghai(issued_at)
    last = day_in_shanghai(served.chain_time())
    clerk.goto(f"/statements?from={first}&to={last}")
    lines = clerk.get_by_role("table", name="对账单")
    ours = lines.get_by_role("row").filter(has=clerk.get_by_role("link", name=f"#{token_id}"))
    expect(ours.filter(has_text="结算（待确认）")).to_contain_text(PAYMENT)
    expect(ours.filter(has_text="结算确认")).to_contain_text("视同确认")
    expect(lines.get_by_role("row").filter(has_text="开立应收账款").first).to_be_visible()
    expect(ours.first).to_contain_text("¥8,800.00")
    expect(ours.first).to_contain_text("supplier1")
    accessible(clerk)
    screenshot(clerk, "statements")

    query = {"from": first, "to": last, "tz": "Asia/Shanghai"}
    with served.client("core") as core:
        api_csv = core.get("/v1/statements", params={**query, "format": "csv"})
    assert api_csv.status_code == 200, api_csv.text
    with clerk.expect_download() as csv_file:
        clerk.get_by_role("button", name="下载 CSV").first.click()
    saved = Path(csv_file.value.path()).read_bytes()
    assert saved == api_csv.content
    assert PAYMENT in saved.decode("utf-8-sig")
    with clerk.expect_download() as xlsx_file:
        clerk.get_by_role("button", name="下载 Excel").first.click()
    assert xlsx_file.value.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(Path(xlsx_file.value.path()).read_bytes()))
    cells = [c for row in book["Statement"].iter_rows(values_only=True) for c in row]
    assert PAYMENT in cells

    # The reconciliation by payment reference.
    clerk.get_by_role("tab", name="按支付流水号对账").click()
    payments = clerk.get_by_role("table", name="按支付流水号对账")
    expect(payments.get_by_role("row").filter(has_text=PAYMENT).first).to_contain_text("¥8,800.00")
    with clerk.expect_download() as rec_file:
        clerk.get_by_role("button", name="下载 CSV").last.click()
    assert PAYMENT in Path(rec_file.value.path()).read_bytes().decode("utf-8-sig")
    accessible(clerk)


def test_single_sign_on_from_the_sign_in_page(
    browser: Browser, world: World, tmp_path: Path
) -> None:
    served = world.served
    callback = f"{served.url}/v1/auth/sso/supplier2/callback"
    with identity_provider(tmp_path, [callback]) as idp:
        body = {
            "issuer": idp.issuer,
            "client_id": idp.client_id,
            "client_secret": idp.client_secret,
        }
        with served.client("supplier2") as client:
            configured = client.put("/v1/participants/supplier2/sso", json=body)
        assert configured.status_code == 200, configured.text
        with new_context(browser, world, bypass_csp=True) as context:
            page = context.new_page()
            page.goto("/")
            # An institution without single sign-on: a sentence, and the page stays.
            page.get_by_label("机构", exact=True).fill("bank2")
            page.get_by_role("button", name="使用单点登录").click()
            expect(page.get_by_role("alert")).to_have_text(
                "机构 bank2 未启用单点登录（或不存在）。"
                "请使用用户名和密码登录，或联系本机构管理员。"
            )
            accessible(page)
            screenshot(page, "sign-in-sso")
            with served.client() as anonymous:
                refused = anonymous.get("/v1/auth/sso/bank2/login")
            assert refused.status_code == 404
            assert refused.json()["type"].endswith("/not-found")

            # supplier2's maker signs in at its provider and comes back signed in.
            page.get_by_label("机构", exact=True).fill("supplier2")
            page.get_by_role("button", name="使用单点登录").click()
            page.wait_for_url(f"{idp.issuer}/**")
            page.locator("input[name=login]").fill("maker")
            page.locator("input[name=password]").fill("any password")
            for _ in range(3):  # the provider's login form, then its consent form
                if not page.url.startswith(idp.issuer):
                    break
                with page.expect_navigation():
                    page.locator("button[type=submit]").first.click()
            expect(page.get_by_test_id("participant")).to_have_text("supplier2")
            me = context.request.get("/v1/auth/me")
            assert me.status == 200
            assert (me.json()["participant"], me.json()["username"]) == ("supplier2", "maker")


def test_statements_default_to_this_month_in_the_users_zone(world: World, clerk: Page) -> None:
    clerk.get_by_role("menuitem", name="对账单").click()
    today = datetime.now(SHANGHAI).date()
    first = today.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    expect(clerk.get_by_label("起始日期")).to_have_value(first.isoformat())
    expect(clerk.get_by_label("截止日期")).to_have_value(last.isoformat())
    expect(clerk).to_have_url(re.compile(r"/statements$"))


HAN = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")  # Chinese and its punctuation


def chinese_left(page: Page) -> list[str]:
    """The lines of the page with Chinese on them (the language switch's "中文" aside)."""
    expect(page.locator(".ant-skeleton, .ant-spin-spinning")).to_have_count(0)
    shown = page.locator("body").inner_text().replace("中文", "", 1)
    return [line for line in shown.splitlines() if HAN.search(line)]


def test_the_erp_screens_in_english_have_no_chinese_left(browser: Browser, world: World) -> None:
    left: dict[str, list[str]] = {}
    with new_context(browser, world) as context:
        page = context.new_page()
        sign_in(page, world.person("core", "maker"))
        page.get_by_role("button", name="语言: English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        for entry, path in (("Batch import", "/core/import"), ("Statements", "/statements")):
            page.get_by_role("menuitem", name=entry).click()
            expect(page).to_have_url(re.compile(re.escape(path) + "$"))
            left[path] = chinese_left(page)
        page.get_by_role("tab", name="Reconciliation by payment reference").click()
        left["/statements (reconciliation)"] = chinese_left(page)
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("button", name="Sign in with single sign-on")).to_be_visible()
        left["/sign-in"] = chinese_left(page)
    assert {k: v for k, v in left.items() if v} == {}
