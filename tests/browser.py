"""What the browser tests share (not a test module): Debian's Chromium and how it is started,
whether a missing browser skips or fails, and the check for text cut off or covered."""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from support import ROOT

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("DMPSIM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying hosts this machine cannot reach.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
REQUIRE = os.environ.get("DMPSIM_REQUIRE_BROWSER") == "1"
TIMEOUT_MS = 30_000


def missing_browser(*modules: str) -> str | None:
    """Why the browser tests cannot run here (Playwright, Chromium or a module), or None."""
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed (pip install 'dmpsim[test]')"
    for module in modules:
        if importlib.util.find_spec(module) is None:
            return f"the app extra is not installed ({module}): pip install 'dmpsim[app]'"
    if not os.path.exists(CHROMIUM):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


@contextmanager
def chromium() -> Iterator:
    """Debian's headless Chromium under Playwright (never a browser Playwright downloads)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def skip_or_fail(reason: str) -> None:
    """In CI (DMPSIM_REQUIRE_BROWSER=1) a missing browser is a failure, elsewhere a skip."""
    if REQUIRE:
        pytest.fail(f"DMPSIM_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


LAYOUT_PROBLEMS = """
() => {
  // Text that is cut off (outside the page's width, or clipped by a box that hides overflow) or
  // covered (another element on top at its centre), among visible elements with text of their
  // own. The page may scroll down; it must not need scrolling sideways.
  const problems = [];
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width + 1)
    problems.push("the page is wider than the window: " + document.documentElement.scrollWidth);
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || style.visibility === "hidden") continue;
    const name = el.tagName + (el.id ? "#" + el.id : "") + " '" + el.textContent.trim().slice(0, 30) + "'";
    if (r.left < -1 || r.right > width + 1) { problems.push("cut off sideways: " + name); continue; }
    if (el.scrollWidth > el.clientWidth + 1 && style.overflowX === "hidden")
      problems.push("clipped: " + name);
    if (r.bottom < 0 || r.top > window.innerHeight) continue;     // reachable by scrolling
    // An inline element broken over lines: its first line box, not the box around all lines.
    const first = el.getClientRects()[0] || r;
    const x = Math.min(Math.max(first.left + first.width / 2, 0), width - 1);
    const y = Math.min(Math.max(first.top + Math.min(first.height, 20) / 2, 0), window.innerHeight - 1);
    const top = document.elementFromPoint(x, y);
    if (top && top !== el && !el.contains(top) && !top.contains(el))
      problems.push("covered: " + name + " by " + top.tagName + (top.id ? "#" + top.id : ""));
  }
  return problems;
}
"""

