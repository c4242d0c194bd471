# The console's Chinese words carry full-width punctuation (brackets, colons) as shown.
# ruff: noqa: RUF001
"""Set-off (三角债清理) in a real headless Chromium over its own gateway (anvil): three
firms that are each a core enterprise and a supplier owe each other in a circle (axle owes
brake, brake owes cable, cable owes axle; issued and accepted over the API). On screen:
axle's maker sees its position before and after the plan and proposes the plan's round;
brake and cable find it awaiting their answer; each consents (cable's maker under
maker-checker: a draft its checker approves on 复核); axle executes and the pieces show
their new value (checked through the API too). A second round is refused by cable, and
axle's execute is refused with its sentence; a third lapses on the chain's clock. The
auditor reads the whole market's totals. axe-core on each screen; the screenshots
docs/console/setoff-plan.png and setoff-round.png."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from scfledger.chain.generated import Role
from scfledger.db.session import create_db_engine, session_factory, transaction
from scfledger.devchain.seed import seed_people
from scfledger.people.policy import DEFAULT_KINDS, Policy, set_policy
from tests.console.conftest import (
    World,
    accessible,
    confirm_in_dialog,
    new_context,
    screenshot,
    sign_in,
)
from tests.support.api import cny, event, fen, write
from tests.support.checking import without_maker_checker
from tests.support.served import served_gateway
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

DAY = 86_400
TRADER = Role.CORE_ENTERPRISE | Role.SUPPLIER
MEMBERS = {"axle": TRADER, "brake": TRADER, "cable": TRADER, "auditor": Role.AUDITOR}
# axle owes brake, brake owes cable, cable owes axle: what clears is the smallest debt.
CIRCLE = (
    ("axle", "brake", 1_000_000_00),
    ("brake", "cable", 600_000_00),
    ("cable", "axle", 400_000_00),
)
CLEARS = 400_000_00
SHANGHAI = ZoneInfo("Asia/Shanghai")  # the console's default zone


def yuan(fen_: int) -> str:
    """Fen as the console shows CNY in Chinese: ¥1,000,000.00."""
    return f"¥{Decimal(fen_) / 100:,.2f}"


@dataclass
class Setoff:
    world: World
    pieces: dict[tuple[str, str], int]  # (debtor, creditor) -> root piece of the first circle
    issued: int = 0

    def get(self, participant: str, path: str, **params: Any) -> Any:
        with self.world.served.client(participant) as client:
            response = client.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, participant: str, path: str, key: str, body: Any = None) -> Any:
        with self.world.served.client(participant) as client:
            response = write(client, path, key, body)
        assert response.status_code in (200, 202), response.text
        answer = response.json()
        assert answer.get("object") != "draft", answer
        assert answer.get("status") != "failed", answer
        return answer

    def issue(self, debtor: str, creditor: str, amount: int) -> int:
        """An accepted receivable of `debtor` to `creditor`: its root piece."""
        served = self.world.served
        self.issued += 1
        body = {
            "creditor": served.address(creditor),
            "face_amount": cny(amount),
            "currency": "CNY",
            "due_date": served.chain_time() + 90 * DAY,
            "document_hash": served.document(debtor, f"setoff invoice {self.issued}"),
        }
        issued = self.post(debtor, "/v1/receivables", f"so-issue-{self.issued}", body)
        slot = int(event(issued, "ReceivableIssued")["slot"])
        self.post(creditor, f"/v1/receivables/{slot}/accept", f"so-accept-{slot}")
        return int(event(issued, "ReceivableIssued")["tokenId"])

    def round(self, round_id: int, as_: str = "auditor") -> Any:
        return self.get(as_, f"/v1/setoff/rounds/{round_id}")

    def propose(self, key: str, deadline: int) -> int:
        """axle proposes the plan's first round over the API."""
        body = {"plan_round": 1, "currency": "CNY", "deadline": deadline}
        proposed = self.post("axle", "/v1/setoff/rounds", key, body)
        return int(event(proposed, "RoundProposed")["roundId"])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Its own gateway: the three traders and an auditor with people, without
    maker-checker (`setoff` gives cable the default policy once the circle is issued)."""
    directory = tmp_path_factory.mktemp("setoff-console")
    url = f"sqlite:///{directory / 'gateway.sqlite3'}"
    with served_gateway(directory, url, MEMBERS) as served:
        assert served.gateway is not None
        engine = create_db_engine(url)
        try:
            people = seed_people(engine, served.gateway.sealer, tuple(MEMBERS))
        finally:
            engine.dispose()
        yield World(served=served, people=people)


@pytest.fixture(scope="module")
def setoff(world: World) -> Setoff:
    found = Setoff(world, {})
    for debtor, creditor, amount in CIRCLE:
        found.pieces[debtor, creditor] = found.issue(debtor, creditor, amount)
    # From now on cable's maker's consent is a draft (the default policy checks it).
    engine = create_db_engine(world.served.database_url)
    try:
        with transaction(session_factory(engine)) as session:
            set_policy(session, "cable", Policy(DEFAULT_KINDS), by="tests")
    finally:
        engine.dispose()
    return found


@pytest.fixture(scope="module")
def pages(browser: Browser, world: World) -> Iterator[dict[str, Page]]:
    opened: dict[str, Page] = {}
    yield opened
    for page in opened.values():
        page.context.close()


def page_of(pages: dict[str, Page], browser: Browser, world: World, who: str) -> Page:
    if who not in pages:
        # CSP bypassed only to inject axe-core (accessible()); the console is the same.
        page = new_context(browser, world, bypass_csp=True).new_page()
        sign_in(page, world.person(*who.split("/")))
        pages[who] = page
    return pages[who]


def animations_ended(page: Page) -> None:
    page.wait_for_function(
        "document.getAnimations().every(a => a.playState !== 'running'"
        " || a.effect?.getTiming().iterations === Infinity)"
    )


def open_round(page: Page, round_id: int) -> None:
    page.goto(f"/setoff/rounds/{round_id}")
    expect(page.get_by_role("heading", name=f"清分轮次 #{round_id}")).to_be_visible()


def confirm(page: Page, button: str) -> None:
    """Clicks `button` on the page, then the same in its confirmation dialog."""
    page.get_by_role("button", name=button, exact=True).click()
    confirm_in_dialog(page, button)


def labelled(label: str, value: str) -> re.Pattern[str]:
    """A label and its value as a description or statistic shows them (a colon between)."""
    return re.compile(re.escape(label) + r"[:：\s]*" + re.escape(value))


def row(page: Page, table: str, text: str) -> Locator:
    return page.get_by_role("table", name=table).get_by_role("row").filter(has_text=text)


def answers(setoff: Setoff, round_id: int) -> dict[str, str]:
    served = setoff.world.served
    names = {served.address(n).lower(): n for n in MEMBERS}
    return {names[p["party"].lower()]: p["answer"] for p in setoff.round(round_id)["parties"]}


def test_three_firms_clear_their_circle_on_screen(
    browser: Browser, world: World, pages: dict[str, Page], setoff: Setoff
) -> None:
    served = world.served
    axle = page_of(pages, browser, world, "axle/maker")
    axle.get_by_role("menuitem", name="三角债清理").click()
    mine = row(axle, "本机构头寸", "axle")
    # axle owes brake 1,000,000.00 and is owed 400,000.00 by cable: 400,000.00 clears of each.
    expect(mine).to_contain_text(yuan(1_000_000_00))
    expect(mine).to_contain_text(yuan(1_000_000_00 - CLEARS))
    expect(mine).to_contain_text(yuan(CLEARS))
    expect(mine).to_contain_text("¥0.00")
    expect(mine).to_contain_text("-¥600,000.00")  # net, before and after
    planned = axle.get_by_test_id("planned-1")
    expect(planned).to_contain_text(f"第 1 轮：3 笔，共清分 {yuan(3 * CLEARS)}")
    expect(planned).to_contain_text("仅显示与本机构相关的 2 笔（本轮共 3 笔）")
    # Only axle's own items: what it owes brake and what cable owes it, not brake's debt.
    items = planned.get_by_role("table")
    expect(items.get_by_role("link", name=f"#{setoff.pieces['axle', 'brake']}")).to_be_visible()
    expect(items.get_by_role("link", name=f"#{setoff.pieces['cable', 'axle']}")).to_be_visible()
    expect(items.get_by_role("link", name=f"#{setoff.pieces['brake', 'cable']}")).to_have_count(0)
    # The deadline offered: 7 days from the chain's time, in the user's zone.
    now = served.chain_time()
    week = datetime.fromtimestamp(now + 7 * DAY, SHANGHAI).strftime("%Y/%m/%d")
    expect(axle.get_by_test_id("deadline-1")).to_contain_text(week)
    animations_ended(axle)
    accessible(axle)
    screenshot(axle, "setoff-plan")

    axle.get_by_role("button", name="发起本轮清分").click()
    axle.wait_for_url(re.compile(r"/setoff/rounds/\d+$"))
    round_id = int(axle.url.rsplit("/", 1)[1])
    proposed = setoff.round(round_id)
    assert (proposed["status"], proposed["item_count"], fen(proposed["total"])) == (
        "proposed",
        3,
        3 * CLEARS,
    )
    assert proposed["proposer"].lower() == served.address("axle").lower()
    assert now + 7 * DAY <= proposed["deadline"] <= served.chain_time() + 7 * DAY
    expect(axle.get_by_test_id("round-facts")).to_contain_text("待答复")
    # Not every party consented: execute waits.
    expect(axle.get_by_role("button", name="执行", exact=True)).to_be_disabled()

    # brake finds it awaiting its answer, reads what it gives up and sheds, and consents.
    brake = page_of(pages, browser, world, "brake/maker")
    expect(brake.get_by_test_id("setoff-badge")).to_contain_text("1")  # the menu counts it
    brake.get_by_role("menuitem", name="清分轮次").click()
    brake.get_by_role("checkbox", name="仅看待本机构答复的").check()
    brake.get_by_role("link", name=f"#{round_id}", exact=True).click()
    for_brake = brake.get_by_test_id("for-us")
    expect(for_brake).to_contain_text(labelled("本机构放弃的应收", yuan(CLEARS)))
    expect(for_brake).to_contain_text(labelled("本机构减少的应付", yuan(CLEARS)))
    confirm(brake, "同意")
    expect(brake.get_by_text(f"已同意清分轮次 #{round_id}")).to_be_visible()
    assert answers(setoff, round_id)["brake"] == "given"
    expect(row(brake, "各方答复", "brake")).to_contain_text("已同意")
    animations_ended(brake)
    accessible(brake)

    confirm(axle, "同意")
    expect(axle.get_by_text(f"已同意清分轮次 #{round_id}")).to_be_visible()
    assert answers(setoff, round_id)["axle"] == "given"

    # cable's maker: its consent is a draft; nothing is on chain until its checker approves.
    cable = page_of(pages, browser, world, "cable/maker")
    cable.get_by_role("menuitem", name="清分轮次").click()
    cable.get_by_role("checkbox", name="仅看待本机构答复的").check()
    cable.get_by_role("link", name=f"#{round_id}", exact=True).click()
    confirm(cable, "同意")
    expect(cable.get_by_text(re.compile(r"已提交复核：草稿 #\d+"))).to_be_visible()
    assert answers(setoff, round_id)["cable"] == "awaiting"
    checker = page_of(pages, browser, world, "cable/checker")
    checker.get_by_role("menuitem", name="复核").click()
    draft = checker.get_by_role("row").filter(has_text="setoff.consent")
    expect(draft).to_have_count(1)
    draft.get_by_role("button", name="批准").click()
    expect(checker.get_by_text(re.compile(r"已批准草稿 #\d+"))).to_be_visible()
    eventually(
        lambda: answers(setoff, round_id)["cable"] == "given",
        what="cable's approved consent indexed",
        timeout=60,
    )

    # Every party consented: axle executes.
    open_round(axle, round_id)
    expect(axle.get_by_test_id("round-facts")).to_contain_text("3 / 3")
    confirm(axle, "执行")
    expect(axle.get_by_text(f"已执行清分轮次 #{round_id}")).to_be_visible()
    expect(axle.get_by_test_id("round-facts")).to_contain_text("已执行")
    for (debtor, creditor, amount), left in zip(CIRCLE, (600_000_00, 200_000_00, 0), strict=True):
        piece = setoff.pieces[debtor, creditor]
        shown = (
            axle.get_by_role("table", name="清分明细")
            .get_by_role("row")
            .filter(has=axle.get_by_role("link", name=f"#{piece}", exact=True))
        )
        expect(shown).to_contain_text(yuan(CLEARS))
        expect(shown).to_contain_text(yuan(left))
        assert fen(setoff.get("auditor", f"/v1/pieces/{piece}")["value"]) == amount - CLEARS == left
    executed = setoff.round(round_id)
    assert (executed["status"], executed["executor"].lower()) == (
        "executed",
        served.address("axle").lower(),
    )
    animations_ended(axle)
    accessible(axle)
    screenshot(axle, "setoff-round")


def test_a_refused_round_shows_the_refusal_and_execute_is_refused(
    browser: Browser, world: World, pages: dict[str, Page], setoff: Setoff
) -> None:
    without_maker_checker(world.served.database_url, "cable")  # not about maker-checker
    second = {(d, c): setoff.issue(d, c, 200_000_00) for d, c, _ in CIRCLE}
    round_id = setoff.propose("so-second", world.served.chain_time() + 7 * DAY)
    for name in ("axle", "brake", "cable"):
        setoff.post(name, f"/v1/setoff/rounds/{round_id}/consent", f"so-consent-{name}")
    assert second  # the round's pieces: of this circle and the first's rests (oldest first)
    planned = [i["piece"] for i in setoff.round(round_id)["items"]]
    values = {p: setoff.get("auditor", f"/v1/pieces/{p}")["value"] for p in planned}

    # axle's page shows every consent; meanwhile cable withdraws by refusing, with a reason.
    axle = page_of(pages, browser, world, "axle/maker")
    open_round(axle, round_id)
    expect(axle.get_by_test_id("round-facts")).to_contain_text("3 / 3")
    cable = page_of(pages, browser, world, "cable/maker")
    open_round(cable, round_id)
    cable.get_by_role("button", name="拒绝", exact=True).click()
    dialog = cable.get_by_role("dialog")
    dialog.get_by_label("原因").fill("these pieces are promised to our bank")
    dialog.get_by_role("button", name="确定", exact=True).click()
    expect(cable.get_by_text(f"已拒绝清分轮次 #{round_id}")).to_be_visible()
    expect(cable.get_by_test_id("refusal")).to_have_text("cable 已拒绝本轮：本轮不能再执行。")
    expect(row(cable, "各方答复", "cable")).to_contain_text("已拒绝")
    refused = setoff.round(round_id)
    assert (refused["status"], refused["refused_by"].lower()) == (
        "refused",
        world.served.address("cable").lower(),
    )

    # axle executes from its page as it was: refused, as a sentence; then the refusal shows.
    confirm(axle, "执行")
    expect(axle.get_by_text("该轮次已结束（已被拒绝或已执行），不能再答复或执行。")).to_be_visible()
    expect(axle.get_by_test_id("refusal")).to_contain_text("cable 已拒绝本轮")
    expect(axle.get_by_role("button", name="执行", exact=True)).to_have_count(0)
    assert setoff.round(round_id)["status"] == "refused"
    assert {p: setoff.get("auditor", f"/v1/pieces/{p}")["value"] for p in planned} == values
    animations_ended(axle)
    accessible(axle)


def test_a_round_past_its_deadline_shows_it_lapsed(
    browser: Browser, world: World, pages: dict[str, Page], setoff: Setoff
) -> None:
    served = world.served
    round_id = setoff.propose("so-lapsing", served.chain_time() + DAY)
    served.rpc("anvil_setNextBlockTimestamp", served.chain_time() + 2 * DAY)
    served.rpc("evm_mine")
    eventually(
        lambda: setoff.round(round_id)["status"] == "lapsed",
        what="the index's clock past the deadline",
        timeout=60,
    )
    brake = page_of(pages, browser, world, "brake/maker")
    open_round(brake, round_id)
    expect(brake.get_by_test_id("round-facts")).to_contain_text("已过期")
    expect(brake.get_by_test_id("setoff-badge")).to_have_count(0)  # nothing awaits brake
    expect(brake.get_by_text(re.compile(r"本轮已于 .*过期，不能再同意或执行"))).to_be_visible()
    for button in ("同意", "拒绝", "执行"):
        expect(brake.get_by_role("button", name=button, exact=True)).to_have_count(0)
    brake.get_by_role("link", name="返回轮次列表").click()
    brake.get_by_label("按状态筛选").first.click()
    brake.locator(".ant-select-item-option").filter(has_text="已过期").click()
    expect(brake.get_by_role("link", name=f"#{round_id}", exact=True)).to_be_visible()


def test_the_auditor_reads_the_whole_markets_totals(
    browser: Browser, world: World, pages: dict[str, Page], setoff: Setoff
) -> None:
    plan = setoff.get("auditor", "/v1/setoff/plan", currency="CNY")
    # The API's totals, checked from what they sum: the debt is every active piece's value
    # (all are due in 90 days, between members); the net internal debt the positive nets.
    active = setoff.get("auditor", "/v1/pieces", state="active", limit=500)["items"]
    assert fen(plan["total_debt"]) == sum(fen(p["value"]) for p in active) > 0
    nets = [int(Decimal(p["net"]) * 100) for p in plan["positions"]]  # signed: not fen()
    assert sum(nets) == 0
    assert fen(plan["net_internal_debt"]) == sum(n for n in nets if n > 0)
    cleared = sum(fen(i["amount"]) for r in plan["rounds"] for i in r["items"])
    assert fen(plan["cleared"]) == cleared > 0
    auditor = page_of(pages, browser, world, "auditor/viewer")
    auditor.get_by_role("menuitem", name="三角债清理").click()
    market = auditor.get_by_test_id("market")
    total = fen(plan["total_debt"])
    expect(market).to_contain_text(labelled("债务总额", yuan(total)))
    expect(market).to_contain_text(labelled("本计划可清分", yuan(cleared)))
    expect(market).to_contain_text(labelled("清分后债务", yuan(total - cleared)))
    internal = fen(plan["net_internal_debt"])
    expect(market).to_contain_text(labelled("净内部债务（清分前后相同）", yuan(internal)))
    for name in ("axle", "brake", "cable"):
        expect(row(auditor, "各成员头寸", name)).to_have_count(1)
    # Auditors read; they propose nothing.
    expect(auditor.get_by_role("button", name="发起本轮清分")).to_have_count(0)
    animations_ended(auditor)
    accessible(auditor)
    auditor.get_by_role("menuitem", name="清分轮次").click()
    listed = setoff.get("auditor", "/v1/setoff/rounds")["items"]
    assert listed
    table = auditor.get_by_role("table", name="清分轮次")
    for r in listed:
        expect(table.get_by_role("link", name=f"#{r['id']}", exact=True)).to_be_visible()


HAN = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")  # Chinese and its punctuation


def test_the_setoff_screens_in_english_have_no_chinese_left(
    browser: Browser, world: World, setoff: Setoff
) -> None:
    first = setoff.propose("so-english", world.served.chain_time() + 7 * DAY)
    walks = {
        "axle/maker": ("Set-off", "Set-off rounds", f"#{first}"),
        "auditor/viewer": ("Set-off",),
    }
    left: dict[str, str] = {}  # screen: the Chinese lines left on it
    for who, steps in walks.items():
        with new_context(browser, world) as context:
            page = context.new_page()
            sign_in(page, world.person(*who.split("/")))
            page.get_by_role("button", name="语言: English").click()
            expect(page.locator("html")).to_have_attribute("lang", "en")
            for step in steps:
                if step.startswith("#"):
                    page.get_by_role("link", name=step, exact=True).click()
                    expect(page.get_by_test_id("round-facts")).to_contain_text("awaiting answers")
                else:
                    # The entry's own name (its icon's name before it, a count after it):
                    # "Set-off" is not "Set-off rounds".
                    entry = re.compile(rf"(^|\s){re.escape(step)}(\s*\d+\+?)?$")
                    page.get_by_role("menuitem", name=entry).click()
                    expect(page.get_by_role("heading", level=2).first).to_be_visible()
                expect(page.locator(".ant-skeleton, .ant-spin-spinning")).to_have_count(0)
                if who.startswith("auditor"):
                    expect(page.get_by_test_id("market")).to_contain_text("Total debt")
                expect(page.get_by_role("button", name="Language: 中文")).to_have_text("中文")
                shown = page.locator("body").inner_text().replace("中文", "", 1)
                lines = [line for line in shown.splitlines() if HAN.search(line)]
                if lines:
                    left[f"{who} {page.url}"] = " | ".join(lines)
    assert left == {}, json.dumps(left, ensure_ascii=False, indent=1)
