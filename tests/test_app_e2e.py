"""The classroom app in a real browser: served by `dmpsim.app.start_server` (as `dmpsim app`
does), opened in headless Chromium driven by Playwright, played, changed and reset.

Playwright drives the system's Chromium (`/usr/bin/chromium`, or `DMPSIM_CHROMIUM`); it never
downloads a browser. Without Chromium, Playwright or the app extra these tests are skipped, unless
`DMPSIM_REQUIRE_BROWSER=1` (set by `.ci/run`), when they fail instead. Screenshots are written to
`test-artifacts/` at the top of the repository.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("DMPSIM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
REQUIRE = os.environ.get("DMPSIM_REQUIRE_BROWSER") == "1"
TIMEOUT_MS = 30_000


def _missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed (pip install 'dmpsim[test]')"
    for module in ("solara", "ipyvuetify", "mesa.visualization"):
        if importlib.util.find_spec(module) is None:
            return f"the app extra is not installed ({module}): pip install 'dmpsim[app]'"
    if not os.path.exists(CHROMIUM):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


def _skip_or_fail(reason: str) -> None:
    if REQUIRE:
        pytest.fail(f"DMPSIM_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    reason = _missing()
    if reason:
        _skip_or_fail(reason)
    from dmpsim.app import start_server

    log = tmp_path_factory.mktemp("app") / "server.log"
    app = start_server("classroom", port=0, log_path=log, timeout=60)
    try:
        yield app
    finally:
        app.stop()
        assert "Traceback" not in app.log_text(), app.log_text()[-3000:]


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, server):
    """A fresh page (a fresh session, so a fresh model); fails on requests off this machine."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not (
        r.url.startswith(server.url) or r.url.startswith(("data:", "blob:"))) else None)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server.url)
    yield page
    page.close()
    assert outside == [], f"the app reached beyond localhost: {outside}"
    assert errors == [], errors


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def _render_interval(page, presses: int) -> None:
    """Raise Mesa's Render Interval (its second slider: 1, 3, 5, ...) by `presses` notches."""
    slider = page.get_by_role("slider").nth(1)
    slider.focus()
    for _ in range(presses):
        page.keyboard.press("ArrowRight")


def _choose(page, label: str, option: str) -> None:
    page.locator(".v-select").filter(has_text=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()


def test_play_changes_the_plots_and_a_control_changes_the_run(page):
    from playwright.sync_api import expect

    readout = page.locator(".dmp-readout")
    expect(readout).to_contain_text("Month 0 of 120", timeout=TIMEOUT_MS)
    integrity = page.locator("img.dmp-integrity")
    shares = page.locator("img.dmp-shares")
    expect(integrity).to_be_visible()
    expect(integrity).to_have_attribute("alt", re.compile(r"^Line chart: mean integrity"))
    expect(page).to_have_title("dmpsim classroom")
    for view in ("shares", "pressure", "market", "organisations"):
        expect(page.locator(f"img.dmp-{view}")).to_have_attribute("alt", re.compile(r"\w{10}"))
    expect(readout).to_contain_text("large firms enter in year 3")
    before = integrity.get_attribute("src"), shares.get_attribute("src")

    page.get_by_role("button", name="▶").click()
    expect(readout).to_contain_text(re.compile(r"Month (1[2-9]|[2-9]\d|1[01]\d) of 120"),
                                    timeout=TIMEOUT_MS)
    page.get_by_role("button", name="❚❚").click()
    expect(page.get_by_role("button", name="Step", exact=True)).to_be_enabled()
    after = integrity.get_attribute("src"), shares.get_attribute("src")
    assert after[0] != before[0] and after[1] != before[1], "the plots should change while playing"
    expect(page.locator(".dmp-eventlog li").first).to_contain_text("demand to")
    expect(readout).to_contain_text("large firms won 0% of contract value")
    _shot(page, "app-played.png")

    # Change two levers, Reset: a new run with them, shown as "your choice".
    _choose(page, "Procurement rule", "price only")
    _choose(page, "Large firms enter", "at the start")
    page.get_by_role("button", name="Reset").click()
    expect(readout).to_contain_text("Month 0 of 120", timeout=TIMEOUT_MS)
    expect(readout.locator("tr").filter(has_text="Procurement rule")).to_contain_text(
        re.compile(r"price only\s*your choice"))
    expect(readout.locator("tr").filter(has_text="Large firms enter")).to_contain_text(
        re.compile(r"at the start\s*your choice"))
    # The card's scenario text says what the levers say, not the scenario's "year 3".
    expect(readout).to_contain_text("large firms enter at the start")
    expect(readout).not_to_contain_text("in year 3")
    page.get_by_role("button", name="▶").click()
    expect(readout).to_contain_text(re.compile(r"Month (1[2-9]|[2-9]\d|1[01]\d) of 120"),
                                    timeout=TIMEOUT_MS)
    page.get_by_role("button", name="❚❚").click()
    expect(page.get_by_role("button", name="Step", exact=True)).to_be_enabled()
    # Large firms were in the market from the start and won work under price-only tenders.
    expect(readout).not_to_contain_text("large firms won 0% of contract value")
    _shot(page, "app-after-reset.png")
    _scroll_to(page, ".dmp-eventlog")
    expect(page.locator("img.dmp-market")).to_be_visible()
    _shot(page, "app-log-and-market.png")


def _scroll_to(page, selector: str, attempts: int = 5) -> None:
    """Scroll a card into view for a screenshot. A card the page is still re-rendering (its
    last update after a pause) can be replaced under the scroll; then look it up again."""
    from playwright.sync_api import Error, expect

    for attempt in range(attempts):
        expect(page.locator(selector)).to_be_visible(timeout=TIMEOUT_MS)
        try:
            page.locator(selector).scroll_into_view_if_needed(timeout=5_000)
            return
        except Error:
            if attempt == attempts - 1:
                raise
            page.wait_for_timeout(500)


def test_side_by_side_page(page):
    from playwright.sync_api import expect

    expect(page.locator(".dmp-readout")).to_contain_text("Month 0 of 120", timeout=TIMEOUT_MS)
    page.get_by_role("tab", name="Page 1").click()
    table = page.locator(".dmp-compare")
    expect(table).to_contain_text("B: Large firms off", timeout=TIMEOUT_MS)
    _choose(page, "Lever that differs in B", "Procurement rule")
    expect(table).to_contain_text("B: Procurement rule price only")
    for _ in range(3):
        page.get_by_role("button", name="Step", exact=True).click()
    expect(table).to_contain_text("Month 3 of 120")
    integrity = page.locator("img.dmp-compare-integrity")
    before = integrity.get_attribute("src")
    _render_interval(page, 5)                       # Step now moves 11 months
    for month in (14, 25, 36, 47):
        page.get_by_role("button", name="Step", exact=True).click()
        expect(table).to_contain_text(f"Month {month} of 120")
    assert integrity.get_attribute("src") != before
    # After large firms enter (month 36), price-only tenders (B) hand them more of the market.
    cells = table.locator("tr").filter(has_text="Large firms' share of value").locator("td")
    _label, share_a, share_b = cells.all_inner_texts()
    assert int(share_b.rstrip("%")) > int(share_a.rstrip("%")), (share_a, share_b)
    page.get_by_role("tab", name="Page 1").scroll_into_view_if_needed()
    _shot(page, "app-side-by-side.png")
