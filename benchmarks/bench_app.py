"""Benchmark: the classroom app's update per step, its first view and pace of play, and the
class game's time from a student's click to the teacher's screen.

    python benchmarks/bench_app.py                    # classroom, the whole run, both tabs
    python benchmarks/bench_app.py --steps 60 --scenario large_firm_entry

The aims (issue 13): a step of the `classroom` scenario in the app under 100 ms; the first view
(every view of "Watch the market" drawn) under 3 s; play at the guide's 4 months a second (ten
years in about half a minute); a student's click on the teacher's screen in under 300 ms.

"App update" is what pressing Step does: the app's page is rendered headlessly with
`solara.render` (as in the component tests), Step is clicked once per month of the run, and
each click is timed until every component has re-rendered and its widgets hold the new pictures
and text. Tab 0 is "Watch the market"; tab 1 "Side by side" (which also steps the twin run B).
Sending the widgets to the browser is not included.

Outside the Solara server each component re-renders in its own pass (in the server they share
one), so these figures are an upper bound of the server's own work. The breakdown times the
parts without Solara: the model's step and each view. With Chromium and Playwright at hand,
`--browser` (the default when they are) also times, in headless Chromium: the served app's first
view (from opening the address until all seven views are drawn, in a fresh browser context); the
round trip from a click on Step until the page shows the new month (Playwright's click, server
work, the websocket and the browser's drawing); the pace of Play at 4 and at 8 months a second;
and in a class game (`dmpsim app --play`, a teacher's page and a student's in two browser
contexts), the time from the student's click on a choice until the teacher's page shows it.

Wall-clock times are shown with CPU times of this process: on a shared machine the CPU time is
the steadier of the two.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import statistics
import sys
import time
import warnings

os.environ.setdefault("MPLBACKEND", "Agg")
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

TARGET_MS = 100.0


def _stats(values_ms: list[float]) -> str:
    values = sorted(values_ms)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return (f"median {statistics.median(values):6.1f}   p95 {p95:6.1f}   max {values[-1]:6.1f}"
            f"   (n={len(values)})")


def bench_app(scenario: str, steps: int, page: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of each Step click in the rendered app."""
    import ipyvuetify as v
    import solara
    from solara.widgets import HTML

    from dmpsim.app import app

    with contextlib.redirect_stdout(io.StringIO()):   # the app bar prints itself outside a server
        _box, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    try:
        if page:
            rc.find(v.Tabs).widget.v_model = page
        wall, cpu = [], []
        for k in range(1, steps + 1):
            step = rc.find(v.Btn, children=["Step"]).widget
            if step.disabled:
                break
            t0, c0 = time.perf_counter(), time.process_time()
            step.click()
            wall.append(1000 * (time.perf_counter() - t0))
            cpu.append(1000 * (time.process_time() - c0))
            assert any(f"Month {k} of" in w.unsafe_innerHTML for w in rc.find(HTML).widgets)
        return wall, cpu
    finally:
        rc.close()


VIEWS = ("readout", "integrity", "shares", "pressure", "eventlog", "market", "organisations")


def bench_browser(scenario: str, steps: int, play_seconds: float = 10.0
                  ) -> tuple[list[float], list[float], dict[str, float]]:
    """In the served app in Chromium: (1) seconds from opening the address until every view of
    "Watch the market" is drawn, in three fresh contexts; (2) milliseconds from a click on Step
    until the page shows the new month, `steps` times; (3) months per second the page showed
    while playing for `play_seconds` at each speed."""
    from playwright.sync_api import sync_playwright

    from dmpsim.app import start_server

    with start_server(scenario) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            first_views = []
            for _ in range(3):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                t0 = time.perf_counter()
                page.goto(server.url)
                for view in VIEWS:
                    page.locator(f".dmp-{view}").first.wait_for(state="attached", timeout=30_000)
                first_views.append(time.perf_counter() - t0)
                if len(first_views) < 3:
                    context.close()
            heading = page.locator(".dmp-readout h3")
            step = page.get_by_role("button", name="Step", exact=True)
            times = []
            for k in range(1, steps + 1):
                t0 = time.perf_counter()
                step.click()
                page.wait_for_function(
                    "k => (document.querySelector('.dmp-readout h3') || {}).textContent"
                    "?.startsWith('Month ' + k + ' ')", arg=k, polling="raf", timeout=30_000)
                times.append(1000 * (time.perf_counter() - t0))
            rates = {}
            month = lambda: int(heading.inner_text().split()[1])   # noqa: E731
            for speed in ("4 months a second (ten years in 30 s)", "8 months a second"):
                page.get_by_role("button", name="Reset").click()
                page.locator(".dmp-readout").filter(has_text="Month 0 of").wait_for(
                    timeout=30_000)
                page.locator(".v-select").filter(has_text="Speed of play").first.click()
                page.get_by_role("option", name=speed, exact=True).click()
                page.get_by_role("button", name="▶", exact=True).click()
                time.sleep(1.0)
                m0, t0 = month(), time.perf_counter()
                time.sleep(play_seconds)
                rates[speed.split(" (")[0]] = (month() - m0) / (time.perf_counter() - t0)
                page.get_by_role("button", name="❚❚").click()
            return first_views, times, rates
        finally:
            browser.close()


def bench_play(answers: int = 8) -> list[float]:
    """A class game in Chromium: a teacher's page and a student's, in two browser contexts; the
    milliseconds from the student's click on a choice until the teacher's page shows it (the
    student's row counts the answer, and says what was chosen)."""
    from playwright.sync_api import sync_playwright

    from dmpsim.app.play.server import start_game_server, stop_game_server

    server = start_game_server("127.0.0.1", 0)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=CHROMIUM_ARGS)
            try:
                teacher = browser.new_context().new_page()
                teacher.goto(f"{server.base_url()}teacher#key={server.teacher_key}")
                teacher.locator("#setup").wait_for(timeout=30_000)
                for kind, n in (("funded_nonprofit", 0), ("commercial", 1), ("large_firm", 0)):
                    teacher.fill(f"#seat-kinds input[data-kind={kind}]", str(n))
                teacher.fill("#time-limit", "60")
                teacher.uncheck("#ask-bids")
                teacher.click("#open")
                teacher.locator("#code").filter(has_text=re.compile(r"\w{6}")).wait_for()
                student = browser.new_context().new_page()
                student.goto(server.base_url())
                student.fill("#code", teacher.locator("#code").inner_text())
                student.fill("#name", "Ana")
                student.click("#join-button")
                student.locator("#who").filter(has_text="Ana").wait_for(timeout=30_000)
                times = []
                for _ in range(answers):
                    teacher.click("#answered")
                    student.locator("#question").wait_for(state="visible", timeout=60_000)
                    teacher.click("#pause")
                    before = int(teacher.locator("#seats tr").first.get_attribute(
                        "data-answers"))
                    button = student.locator("#options button").first
                    asked = student.locator("#question").get_attribute("data-id")
                    t0 = time.perf_counter()
                    button.click()
                    teacher.wait_for_function(
                        "n => Number(document.querySelector('#seats tr').dataset.answers) > n",
                        arg=before, polling="raf", timeout=30_000)
                    times.append(1000 * (time.perf_counter() - t0))
                    student.wait_for_function(      # this question gone (another may follow)
                        "id => { const q = document.getElementById('question');"
                        " return q.hidden || q.dataset.id !== id; }", arg=asked, timeout=30_000)
                return times
            finally:
                browser.close()
    finally:
        stop_game_server(server)


CHROMIUM = os.environ.get("DMPSIM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def have_browser() -> bool:
    import importlib.util

    return os.path.exists(CHROMIUM) and importlib.util.find_spec("playwright") is not None


def breakdown(scenario: str, steps: int) -> dict[str, list[float]]:
    """Milliseconds per step of the model and of each view, without Solara."""
    from dmpsim.app import components, views
    from dmpsim.app.app import make_model
    from dmpsim.app.levers import twin

    model = make_model(scenario)
    b = twin(model, "large_firms", "off")
    plots = {cls.__name__: cls(model) for cls in (
        views.IntegrityPlot, views.MarketSharePlot, views.PressurePlot,
        views.OrganisationsPlot, views.MarketPicture)}
    for cls in (views.CompareIntegrityPlot, views.CompareSharesPlot, views.CompareFieldPlot):
        plots[cls.__name__] = cls(model, b, "A", "B")
    times: dict[str, list[float]] = {"model step": [], "twin step": [], **{k: [] for k in plots},
                                     "readout + event log": []}
    for _ in range(steps):
        if not model.running:
            break
        t0 = time.perf_counter()
        model.step()
        times["model step"].append(1000 * (time.perf_counter() - t0))
        t0 = time.perf_counter()
        twin(model, "large_firms", "off")
        times["twin step"].append(1000 * (time.perf_counter() - t0))
        for name, plot in plots.items():
            t0 = time.perf_counter()
            plot.render(model)
            times[name].append(1000 * (time.perf_counter() - t0))
        t0 = time.perf_counter()
        components.readout_html(model)
        components.eventlog_html(model)
        times["readout + event log"].append(1000 * (time.perf_counter() - t0))
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="classroom")
    parser.add_argument("--steps", type=int, default=None,
                        help="months to step (default: the scenario's whole run)")
    parser.add_argument("--browser", action=argparse.BooleanOptionalAction, default=None,
                        help="also time Step in the served app in headless Chromium "
                             "(default: when Chromium and Playwright are installed)")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message=".*found despite early return")

    import mesa
    import solara

    from dmpsim.experiments.scenario import load_scenario

    steps = args.steps or load_scenario(args.scenario).effective()["run.steps"]
    print(f"dmpsim app benchmark: scenario {args.scenario}, {steps} steps; Python "
          f"{sys.version.split()[0]}, Mesa {mesa.__version__}, Solara {solara.__version__}")
    print(f"aim: under {TARGET_MS:.0f} ms per step\n")
    ok = True
    for page, what in ((0, "Watch the market (7 views)"), (1, "Side by side (4 views)")):
        bench_app(args.scenario, 3, page)          # warm up imports, fonts and caches
        wall, cpu = bench_app(args.scenario, steps, page)
        median = statistics.median(wall)
        ok &= median < TARGET_MS
        print(f"App update per step, {what}, ms")
        print(f"  wall  {_stats(wall)}")
        print(f"  cpu   {_stats(cpu)}")
        print(f"  {'OK' if median < TARGET_MS else 'OVER'}: median {median:.1f} ms "
              f"{'<' if median < TARGET_MS else '>='} {TARGET_MS:.0f} ms\n")
    if args.browser or (args.browser is None and have_browser()):
        first_views, times, rates = bench_browser(args.scenario, min(steps, 60))
        print("In the served app, in headless Chromium")
        print("  First view (all 7 views drawn, fresh context), s: "
              + ", ".join(f"{t:.2f}" for t in first_views) + "  (aim: under 3 s)")
        print(f"  Step, click to new month on the page (round trip), ms: {_stats(times)}")
        for speed, rate in rates.items():
            print(f"  Play at {speed}: {rate:.2f} months a second shown "
                  f"(ten years in {120 / rate if rate else float('inf'):.0f} s)")
        clicks = bench_play()
        print("In a class game (dmpsim app --play), teacher's and student's pages in Chromium")
        print(f"  Student's click to the teacher's page, ms: {_stats(clicks)}  (aim: under 300)\n")
    print("Breakdown without Solara (ms per step, wall)")
    for name, values in breakdown(args.scenario, steps).items():
        print(f"  {name:<22} {_stats(values)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
