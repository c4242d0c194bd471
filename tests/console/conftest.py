"""Fixtures of the console's browser tests: gateways serving the built console (console/dist)
with the demo's people, and Debian's chromium driven by Playwright (nothing is downloaded:
`executable_path` is the system's browser).

Starting a gateway (anvil, the contracts, the demo consortium, its people) is most of a
console module's time, so the modules whose tests each make their own receivables and
never change the consortium's policies share one: `banks_world`, package-scoped (one per
xdist worker; those modules are one xdist group, so one worker builds it)."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    ViewportSize,
    expect,
    sync_playwright,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from scfledger.api import console
from scfledger.chain.generated import Role
from scfledger.db.session import create_db_engine
from scfledger.devchain.seed import DEMO_MEMBERS, DemoPerson, seed_people
from tests.support.checking import without_maker_checker
from tests.support.served import Served, served_gateway

# axe-core from console/node_modules (npm), injected past the page's CSP.
AXE = Path(__file__).resolve().parents[2] / "console" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "console"
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}  # a laptop's screen
PEOPLE_OF = ("core", "supplier1", "supplier2", "auditor")
PEOPLE_WITH_BANKS = ("core", "supplier1", "supplier2", "bank", "bank2", "auditor")
# The xdist group of the modules over `banks_world` (make test runs `--dist loadgroup`).
BANKS_GROUP = pytest.mark.xdist_group("console-banks")


@dataclass
class World:
    served: Served
    people: dict[str, dict[str, DemoPerson]]

    def person(self, participant: str, username: str) -> DemoPerson:
        return self.people[participant][username]


@contextmanager
def consortium_with_banks(
    directory: Path, people_of: tuple[str, ...], *, no_checker: tuple[str, ...] = ()
) -> Iterator[World]:
    """The demo consortium and a second financier (`bank2`: a request may ask several),
    maker-checker on (the default policy) but for `no_checker`, with people at
    `people_of`, served with the built console."""
    assert (console.DIST_DIR / "index.html").is_file(), "the console is not built: scripts/setup.sh"
    url = f"sqlite:///{directory / 'gateway.sqlite3'}"
    members = {**DEMO_MEMBERS, "bank2": Role.FINANCIER}
    with served_gateway(directory, url, members, maker_checker=True) as served:
        assert served.gateway is not None
        engine = create_db_engine(url)
        try:
            people = seed_people(engine, served.gateway.sealer, people_of)
            if no_checker:
                without_maker_checker(engine, *no_checker)
        finally:
            engine.dispose()
        yield World(served=served, people=people)


@pytest.fixture(scope="package")
def banks_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One gateway for the modules marked BANKS_GROUP: the demo consortium and bank2 under
    maker-checker, with people at core, both suppliers, both banks and the auditor."""
    with consortium_with_banks(tmp_path_factory.mktemp("banks"), PEOPLE_WITH_BANKS) as world:
        yield world


@pytest.fixture(scope="module")
def world(banks_world: World) -> World:
    """The world of a module that does not say otherwise: the shared `banks_world` (mark
    the module BANKS_GROUP)."""
    return banks_world


# A console write waits until the chain's events are indexed: the gateway answers within
# its MAX_WAIT (60 s), busy or not, so the screen is given that and a margin.
PATIENCE = 75_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    assert chromium is not None, "Debian's chromium is missing: scripts/setup.sh --tests"
    expect.set_options(timeout=PATIENCE)
    with sync_playwright() as playwright:
        # --no-sandbox: the tests may run as root (CI), where Chromium's sandbox cannot start.
        launched = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            launched.close()


def new_context(
    browser: Browser,
    world: World,
    *,
    bypass_csp: bool = False,
    viewport: ViewportSize = VIEWPORT,
    motion: bool = False,
) -> BrowserContext:
    """A fresh browser profile (its own cookies and storage) on the served gateway. It asks
    for reduced motion unless `motion`: dialogs then open where they stay and messages leave
    at once, so a click never lands on a dialog still zooming in (CI lost such clicks) and
    axe-core never measures the contrast of an element half faded out."""
    context = browser.new_context(
        base_url=world.served.url,
        viewport=viewport,
        locale="zh-CN",
        bypass_csp=bypass_csp,
        reduced_motion="no-preference" if motion else "reduce",
    )
    context.set_default_timeout(PATIENCE)
    return context


def sign_in(page: Page, person: DemoPerson) -> None:
    """Signs in at the sign-in page, with the one-time code when the gateway asks for it."""
    page.goto("/")
    page.get_by_label("机构", exact=True).fill(person.participant)
    page.get_by_label("用户名", exact=True).fill(person.username)
    page.get_by_label("密码", exact=True).fill(person.password)
    page.get_by_role("button", name="登录", exact=True).click()
    if person.totp_secret is not None:
        code = page.get_by_label("动态验证码", exact=True)
        expect(code).to_be_visible()
        code.fill(pyotp.TOTP(person.totp_secret).now())
        page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_test_id("participant")).to_have_text(person.participant)


@pytest.fixture(scope="module")
def signed_in(browser: Browser, world: World) -> Iterator[dict[tuple[str, str], Page]]:
    """Pages of signed-in people, one browser context each, opened on first use."""
    pages: dict[tuple[str, str], Page] = {}
    yield pages
    for page in pages.values():
        page.context.close()


def page_of(
    pages: dict[tuple[str, str], Page], browser: Browser, world: World, who: tuple[str, str]
) -> Page:
    """The page of `who` (participant, username), signed in once per module."""
    if who not in pages:
        page = new_context(browser, world).new_page()
        sign_in(page, world.person(*who))
        pages[who] = page
    return pages[who]


def screenshot(page: Page, name: str) -> None:
    """The documentation's picture of a screen (docs/console/<name>.png)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def accessible(page: Page) -> None:
    """No serious or critical axe-core violation on the screen as it is (its context must
    bypass the CSP to take the script)."""
    # A dialog or message still fading out is half-transparent: wait for every animation
    # that ends (spinners and skeletons loop forever and are left to `settled`), then two
    # frames for what their ends trigger (a dialog taken out of the page).
    page.evaluate(
        "Promise.all(document.getAnimations()"
        ".filter(a => Number.isFinite(a.effect?.getComputedTiming().endTime ?? Infinity))"
        ".map(a => a.finished.catch(() => null)))"
        ".then(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))))"
    )
    if page.evaluate("typeof axe") == "undefined":
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate("axe.run(document).then(r => r.violations)")
    serious = [v for v in found if v["impact"] in ("serious", "critical")]
    assert serious == [], json.dumps(serious, ensure_ascii=False, indent=1)[:4000]


def confirm_in_dialog(page: Page, button_name: str) -> None:
    """Clicks the open dialog's button until the dialog takes the click: its button loads
    (the write is under way) or the dialog closes. At CI, on a loaded machine, a click on
    the pay confirmation was twice lost (the dialog stayed open, no request sent, the
    button never loading); a person clicks again. Ant Design's confirm ignores clicks
    while its action runs, so a second click never sends twice."""
    dialog = page.get_by_role("dialog")
    button = dialog.get_by_role("button", name=button_name, exact=True)
    deadline = time.monotonic() + PATIENCE / 1000
    while True:
        if dialog.is_hidden():
            return
        try:
            if "ant-btn-loading" not in (button.get_attribute("class", timeout=2_000) or ""):
                button.click(timeout=2_000)
            dialog.wait_for(state="hidden", timeout=5_000)
            return
        except PlaywrightTimeoutError:
            if time.monotonic() > deadline:
                raise


def api_get(world: World, participant: str, path: str) -> Any:
    """A read through the API as `participant` (200, or the test fails with the answer)."""
    with world.served.client(participant) as client:
        response = client.get(path)
    assert response.status_code == 200, response.text
    return response.json()
