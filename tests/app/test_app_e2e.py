"""The classroom app in a real browser: served by `dmpsim.app.start_server` (as `dmpsim app`
does), opened in headless Chromium driven by Playwright, played, changed and reset.

Playwright drives the system's Chromium (`/usr/bin/chromium`, or `DMPSIM_CHROMIUM`); it never
downloads a browser. Without Chromium, Playwright or the app extra these tests are skipped, unless
`DMPSIM_REQUIRE_BROWSER=1` (set by `.ci/run`), when they fail instead. Screenshots are written to
`test-artifacts/` at the top of the repository.
"""

from __future__ import annotations

import re
import time

import pytest
from browser import (  # tests/browser.py
    ARTIFACTS,
    LAYOUT_PROBLEMS,
    TIMEOUT_MS,
    chromium,
    missing_browser,
    skip_or_fail,
)

pytestmark = pytest.mark.browser

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    reason = missing_browser("solara", "ipyvuetify", "mesa.visualization")
    if reason:
        skip_or_fail(reason)
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
    with chromium() as b:
        yield b


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


def _play_to(page, readout, month: int) -> int:
    """Play at the fastest speed until the run reaches `month` or later; pause; the month."""
    _choose(page, "Speed of play", "8 months a second")
    page.get_by_role("button", name="▶", exact=True).click()
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while True:
        now = int(re.search(r"Month (\d+) of", readout.inner_text()).group(1))
        if now >= month or time.monotonic() > deadline:
            break
        page.wait_for_timeout(100)
    page.get_by_role("button", name="❚❚").click()
    expect_enabled = page.get_by_role("button", name="Step", exact=True)
    from playwright.sync_api import expect

    expect(expect_enabled).to_be_enabled(timeout=TIMEOUT_MS)
    return int(re.search(r"Month (\d+) of", readout.inner_text()).group(1))


def _choose(page, label: str, option: str) -> None:
    """Pick `option` in the select labelled `label`. A select the page moved just before the
    click (the reset cue appearing above it) may not open: then click it again."""
    from playwright.sync_api import Error

    for attempt in range(3):
        page.locator(".v-select").filter(has_text=label).first.click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=5_000)
            return
        except Error:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")


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

    page.get_by_role("button", name="▶", exact=True).click()
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
    page.get_by_role("button", name="▶", exact=True).click()
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
    page.get_by_role("tab", name="Side by side").click()
    table = page.locator(".dmp-compare")
    expect(table).to_contain_text("B: Large firms off", timeout=TIMEOUT_MS)
    _choose(page, "Lever that differs in B", "Procurement rule")
    expect(table).to_contain_text("B: Procurement rule price only")
    for _ in range(3):
        page.get_by_role("button", name="Step", exact=True).click()
    expect(table).to_contain_text("Month 3 of 120")
    integrity = page.locator("img.dmp-compare-integrity")
    before = integrity.get_attribute("src")
    month = _play_to(page, table, 48)
    expect(table).to_contain_text(f"Month {month} of 120")
    assert month >= 48
    expect(integrity).not_to_have_attribute("src", before)
    # After large firms enter (month 36), price-only tenders (B) hand them more of the market.
    cells = table.locator("tr").filter(has_text="Large firms' share of value").locator("td")
    _label, share_a, share_b = cells.all_inner_texts()
    assert int(share_b.rstrip("%")) > int(share_a.rstrip("%")), (share_a, share_b)
    page.get_by_role("tab", name="Side by side").scroll_into_view_if_needed()
    _shot(page, "app-side-by-side.png")


@pytest.mark.parametrize(("width", "height"), [(1400, 1000), (1280, 720), (1024, 768)])
def test_every_view_is_reachable_and_nothing_is_cut_off_or_covered(page, width, height):
    """The page a teacher projects, at common sizes: no text outside the window's width or
    under another element (the Solara badge, a handle), in the light and the dark theme."""
    from playwright.sync_api import expect

    page.set_viewport_size({"width": width, "height": height})
    expect(page.locator(".dmp-readout")).to_contain_text("Month 0 of 120", timeout=TIMEOUT_MS)
    expect(page).to_have_title("dmpsim classroom")
    tabs = [t.strip() for t in page.get_by_role("tab").all_inner_texts()]
    assert tabs == ["Watch the market", "Side by side", "Play"]
    assert page.get_by_text("Use Threads").count() == 0
    assert page.get_by_text("Render Interval").count() == 0
    assert page.get_by_text("runs on Solara").count() == 0
    assert page.locator(".vue-resizable-handle").count() == 0
    expect(page.get_by_text("Seed: 0")).to_be_visible()
    page.get_by_role("button", name="Step", exact=True).click()
    expect(page.locator(".dmp-readout")).to_contain_text("Month 1 of 120", timeout=TIMEOUT_MS)
    problems = {}
    for view in ("readout", "integrity", "shares", "pressure", "eventlog", "market",
                 "organisations"):
        page.locator(f".dmp-{view}").scroll_into_view_if_needed()
        box = page.locator(f".dmp-{view}").bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (view, box)
    page.locator(".dmp-readout").scroll_into_view_if_needed()
    problems["light"] = _layout(page, f"app-{width}x{height}.png")
    # Solara's theme toggle (the app bar's last button) goes auto -> light -> dark.
    toggle = page.locator("header button").last
    for _ in range(3):
        if page.locator(".v-application.theme--dark").count():
            break
        toggle.click()
        page.wait_for_timeout(200)
    expect(page.locator(".v-application.theme--dark")).to_have_count(1)
    colour = page.locator(".dmp-readout .note").first.evaluate("e => getComputedStyle(e).color")
    assert colour == "rgb(208, 208, 208)", colour         # light grey on the dark card
    problems["dark"] = _layout(page, f"app-{width}x{height}-dark.png")
    assert all(not p for p in problems.values()), problems


def _layout(page, name: str) -> list[str]:
    _shot(page, name)
    return page.evaluate(LAYOUT_PROBLEMS)
