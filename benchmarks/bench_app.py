"""Benchmark: the classroom app's update per step (model step + re-render of every view).

    python benchmarks/bench_app.py                    # classroom, the whole run, both pages
    python benchmarks/bench_app.py --steps 60 --scenario large_firm_entry

The aim (issue): a step of the `classroom` scenario in the app takes under 100 ms.

"App update" is what pressing Step does: the app is rendered headlessly with `solara.render`
(Mesa's SolaraViz with all the app's components, as in the component tests), Step is clicked
once per month of the run, and each click is timed until every component has re-rendered and
its widgets hold the new pictures and text. Page 0 is the run's views; page 1 the side-by-side
views (which also step the twin run B). Sending the widgets to the browser is not included.

Outside the Solara server each component re-renders in its own pass (in the server they share
one), so these figures are an upper bound of the server's own work. The breakdown times the
parts without Solara: the model's step and each view. With Chromium and Playwright at hand,
`--browser` (the default when they are) also times the served app in headless Chromium: the
round trip from a click on Step until the page shows the new month (Playwright's click, server
work, the websocket and the browser's drawing), and the pace of Play at a ~50 ms interval, whose
months per second give the server's work per month once the interval is taken off.

Wall-clock times are shown with CPU times of this process: on a shared machine the CPU time is
the steadier of the two.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
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
    from mesa.visualization import SolaraViz

    from dmpsim.app.app import TITLE, make_model, model_params
    from dmpsim.app.components import COMPONENTS

    model = solara.reactive(make_model(scenario))
    viz = SolaraViz(model, components=COMPONENTS, model_params=model_params(scenario), name=TITLE)
    with contextlib.redirect_stdout(io.StringIO()):   # the app bar prints itself outside a server
        _box, rc = solara.render(solara.AppLayout(children=[viz]), handle_error=False)
    try:
        if page:
            rc.find(v.Tabs).widget.v_model = page
        step = rc.find(v.Btn, children=["Step"]).widget
        wall, cpu = [], []
        for _ in range(steps):
            if not model.value.running:
                break
            t0, c0 = time.perf_counter(), time.process_time()
            step.click()
            wall.append(1000 * (time.perf_counter() - t0))
            cpu.append(1000 * (time.process_time() - c0))
        return wall, cpu
    finally:
        rc.close()


def bench_browser(scenario: str, steps: int, play_seconds: float = 10.0
                  ) -> tuple[list[float], float, float]:
    """In the served app in Chromium: (1) milliseconds from a click on Step until the page shows
    the new month, `steps` times; (2) playing at a ~50 ms Play Interval for `play_seconds`, the
    interval and the months per second the page showed."""
    from playwright.sync_api import sync_playwright

    from dmpsim.app import start_server

    with start_server(scenario) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(server.url)
            heading = page.locator(".dmp-readout h3")
            page.locator(".dmp-readout").filter(has_text="Month 0 of").wait_for(timeout=30_000)
            step = page.get_by_role("button", name="Step", exact=True)
            times = []
            for k in range(1, steps + 1):
                t0 = time.perf_counter()
                step.click()
                page.wait_for_function(
                    "k => (document.querySelector('.dmp-readout h3') || {}).textContent"
                    "?.startsWith('Month ' + k + ' ')", arg=k, polling="raf", timeout=30_000)
                times.append(1000 * (time.perf_counter() - t0))
            page.get_by_role("button", name="Reset").click()
            page.locator(".dmp-readout").filter(has_text="Month 0 of").wait_for(timeout=30_000)
            slider = page.get_by_role("slider").first         # Play Interval (ms)
            slider.focus()
            for _ in range(10):
                page.keyboard.press("ArrowLeft")
            interval = float(slider.get_attribute("aria-valuenow"))
            page.get_by_role("button", name="▶").click()
            month = lambda: int(heading.inner_text().split()[1])   # noqa: E731
            time.sleep(1.0)
            m0, t0 = month(), time.perf_counter()
            time.sleep(play_seconds)
            rate = (month() - m0) / (time.perf_counter() - t0)
            page.get_by_role("button", name="❚❚").click()
            return times, interval, rate
        finally:
            browser.close()


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

    from dmpsim.scenario import load_scenario

    steps = args.steps or load_scenario(args.scenario).effective()["run.steps"]
    print(f"dmpsim app benchmark: scenario {args.scenario}, {steps} steps; Python "
          f"{sys.version.split()[0]}, Mesa {mesa.__version__}, Solara {solara.__version__}")
    print(f"aim: under {TARGET_MS:.0f} ms per step\n")
    ok = True
    for page, what in ((0, "page 0, the run (7 views)"), (1, "page 1, side by side (4 views)")):
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
        times, interval, rate = bench_browser(args.scenario, min(steps, 60))
        print("In the served app, in headless Chromium")
        print(f"  Step, click to new month on the page (round trip), ms: {_stats(times)}")
        per_month = 1000 / rate if rate else float("inf")
        print(f"  Play at a {interval:.0f} ms interval: {rate:.1f} months/s shown, {per_month:.0f} ms "
              f"a month, so about {per_month - interval:.0f} ms of work a month besides the "
              f"interval\n")
    print("Breakdown without Solara (ms per step, wall)")
    for name, values in breakdown(args.scenario, steps).items():
        print(f"  {name:<22} {_stats(values)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
