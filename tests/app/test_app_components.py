"""The classroom app without a browser: its model and levers, the plain-words log, the pictures,
and the Solara page rendered headlessly with `solara.render`, as Mesa's own tests do.

The first half needs only dmpsim; the second half needs the `app` extra (Solara, Mesa's
SolaraViz) and is skipped without it.
"""

from __future__ import annotations

import base64
import io
import math
import os

import numpy as np
import pytest
from support import HAS_APP, ROOT, as_from_a_terminal, needs_app, paper_text

from dmpsim.app import narrate, views
from dmpsim.app.levers import (
    LEVER_BY_NAME,
    LEVERS,
    USE_SCENARIO,
    ClassroomMarket,
    card_description,
    contrast_options,
    differing_values,
    twin,
)
from dmpsim.errors import InputError
from dmpsim.experiments.scenario import bundled_names, load_scenario
from dmpsim.model.params import PRESSURE_TYPES

os.environ.setdefault("MPLBACKEND", "Agg")
# Mesa 3.3's ComponentsView has an early return before a hook; Solara warns about it (harmless).
pytestmark = pytest.mark.filterwarnings("ignore:.*found despite early return:UserWarning")


def run_to(model: ClassroomMarket, month: int) -> ClassroomMarket:
    while model.steps < month:
        model.step()
    return model


@pytest.fixture(scope="module")
def finished() -> ClassroomMarket:
    """A whole classroom run under price-only tenders (large firms enter in month 36)."""
    return run_to(ClassroomMarket(seed=1, rule="price only"), 120)


# -- the model behind the app -------------------------------------------------------------------

def test_defaults_are_the_scenario():
    model = ClassroomMarket()
    assert model.values == load_scenario("classroom").effective()
    assert model.horizon == 120 and model.seed == 0
    assert all(source == "scenario" for _label, _words, source in model.lever_lines())


def test_levers_override_the_scenario_in_words_or_values():
    by_words = ClassroomMarket(scenario_name="baseline", rule="price only", large_firms="on",
                               entry_year="after 2 years", transparency_mandate="on",
                               funder_separation="50%", oversight_board="on",
                               participant_control="high (0.8)", safety_net_share="100%")
    by_values = ClassroomMarket(scenario_name="baseline", rule="price", large_firms=True,
                                entry_year=2, transparency_mandate=True, funder_separation=0.5,
                                oversight_board=True, participant_control=0.8,
                                safety_net_share=1.0)
    assert by_words.values == by_values.values
    v = by_words.values
    assert v["procurement.rule"] == "price" and v["large_firms.enabled"] is True
    assert v["large_firms.entry_step"] == 24 and v["large_firms.entry_value_threshold"] == 0.0
    assert v["governance.separate_funder_share"] == 0.5
    assert v["governance.participant_control"] == 0.8
    for kind in ("independent_nonprofit", "independent_commercial"):
        assert v[f"practitioners.{kind}.safety_net_share"] == 1.0
        # a funder that gives nothing would be no safety net
        assert v[f"practitioners.{kind}.safety_net_funding"] > 0
    assert all(source == "your choice" for *_rest, source in by_words.lever_lines())


def test_scenario_value_keeps_the_scenario_and_dotted_keys_go_on_top():
    model = ClassroomMarket(scenario_name="price_only_tender", rule=USE_SCENARIO,
                            **{"pressure.outcome": 0.2})
    assert model.values["procurement.rule"] == "price"
    assert model.values["pressure.outcome"] == 0.2
    assert model.lever_source("rule") == "scenario"


@pytest.mark.parametrize("name, bad", [("rule", "cheapest"), ("large_firms", "maybe"),
                                       ("funder_separation", 1.5), ("entry_year", -1),
                                       ("oversight_board", 1)])
def test_bad_lever_values_are_reported(name, bad):
    with pytest.raises(InputError, match=name):
        ClassroomMarket(**{name: bad})


def test_bad_scenario_and_seed_are_reported():
    with pytest.raises(InputError, match="no bundled scenario"):
        ClassroomMarket(scenario_name="nonesuch")
    with pytest.raises(InputError, match="seed"):
        ClassroomMarket(seed=-1)


def test_mesa_reset_arguments_are_accepted():
    # Mesa 3.5's SolaraViz passes its own `scenario` object on Reset; `rng` may come as a seed.
    a = ClassroomMarket(seed=4, scenario=object())
    b = ClassroomMarket(rng=4)
    run_to(a, 12)
    run_to(b, 12)
    assert a.seed == b.seed == 4
    assert a.datacollector.model_vars == b.datacollector.model_vars


def test_run_stops_at_the_horizon(finished):
    assert finished.steps == 120 and finished.running is False


def test_every_lever_has_words_for_every_option():
    for lever in LEVERS:
        assert lever.choices[0] == USE_SCENARIO
        for words, value in lever.options:
            assert lever.parse(words) == value
            assert lever.words(value) == words


# -- the side-by-side twins ---------------------------------------------------------------------

@pytest.mark.parametrize("lever", [lv.name for lv in LEVERS])
def test_twin_differs_only_by_its_lever(lever):
    a = run_to(ClassroomMarket(seed=2), 3)
    value = contrast_options(a, lever)[0]
    b = twin(a, lever, value)
    assert b.steps == a.steps and b.seed == a.seed
    changed = differing_values(a, b)
    assert changed, f"{lever}={value} should change the run"
    assert set(changed) <= set(LEVER_BY_NAME[lever].keys)


def test_twin_is_deterministic_and_follows_a():
    a = ClassroomMarket(seed=5, rule="price only")
    b = twin(a, "large_firms", "off")
    assert twin(a, "large_firms", "off") is b          # kept on the model
    run_to(a, 48)
    assert twin(a, "large_firms", "off").steps == 48
    fresh = run_to(ClassroomMarket(seed=5, rule="price only", large_firms="off"), 48)
    assert b.datacollector.model_vars == fresh.datacollector.model_vars
    # before large firms enter (month 36) the twins are the same run; after, they differ
    ia, ib = np.asarray(a.datacollector.model_vars["integrity"]), views.series(b, "integrity")
    assert np.array_equal(ia[:35], ib[:35], equal_nan=True)
    assert views.series(a, "active_large_firm")[-1] == 2 and views.series(b, "active_large_firm")[-1] == 0


def test_twin_with_the_same_value_is_the_same_run():
    a = run_to(ClassroomMarket(seed=3), 24)
    b = twin(a, "rule", "quality scoring")      # the classroom's own rule
    assert differing_values(a, b) == {}
    assert a.datacollector.model_vars == b.datacollector.model_vars


# -- the log in plain words ---------------------------------------------------------------------

def test_the_issue_example():
    text = narrate.episode_sentence("large_firm", "experts_information", "comply", "none",
                                    "complied", "national")
    assert text == ("A large firm complied with a demand to choose the expert witnesses and the "
                    "information (national commissioner)")


@pytest.mark.parametrize("row, expected", [
    (("independent_nonprofit", "outcome", "push_back", "escalate", "upheld", "local"),
     "An independent non-profit pushed back against a demand to deliver a particular outcome "
     "and held firm when the commissioner threatened not to pay (local commissioner)"),
    (("independent_commercial", "report_content", "threaten", "back_down", "upheld", "regional"),
     "An independent commercial practitioner threatened to walk away over a demand to change "
     "what the report says, and the commissioner backed down (regional commissioner)"),
    (("large_firm", "report_content", "push_back", "escalate", "conceded", "national"),
     "A large firm gave in to a demand to change what the report says after the commissioner "
     "threatened not to pay (national commissioner)"),
    (("freelancer", "method", "withdraw", "none", "withdrawn", "other"),
     "A freelancer walked away from the contract rather than accept a demand to use a method of "
     "the commissioner's choosing (other public body)"),
    (("independent_nonprofit", "time_resources", "negotiate", "settle", "settled", None),
     "An independent non-profit negotiated a compromise over a demand to cut the time or the "
     "budget"),
    (("large_firm", "stakeholder", "comply", "none", "complied", "local"),
     "Outsiders reached the participants; a large firm did not stop them (local commissioner)"),
])
def test_episode_sentences(row, expected):
    assert narrate.episode_sentence(*row) == expected


def test_every_episode_of_a_run_reads_as_plain_words(finished):
    assert finished.episode_rows
    for row in finished.episode_rows:
        text = narrate.episode_sentence(row[8], row[3], row[4], row[5], row[6], "local")
        assert "_" not in text and text[0].isupper() and ": " not in text


def test_market_events(finished):
    events = narrate.events_between(finished, 1, finished.steps)
    assert [e.step for e in events] == sorted(e.step for e in events)
    firms = [e for e in events if e.kind == "large_firms"]
    assert len(firms) == 1 and firms[0].step == 36 and firms[0].serious
    assert firms[0].text == "Commercialisation: 2 large consulting and polling firms entered the market"
    assert sum(e.kind == "pressure" for e in events) == len(finished.episode_rows)
    assert sum(e.kind == "exit" for e in events) == finished.exits
    assert sum(e.kind == "scandal" for e in events) == sum(r["discovered"] for r in finished.contract_rows)
    assert narrate.exit_sentence("independent_commercial", 11.6) == (
        "An independent commercial practitioner ran out of money and left the market, with 12 "
        "processes' worth of experience")


def test_recent_events_newest_first(finished):
    recent = narrate.recent_events(finished, 10)
    assert len(recent) == 10
    assert [e.step for e in recent] == sorted((e.step for e in recent), reverse=True)
    assert recent[0].step >= finished.steps - 12
    assert narrate.recent_events(ClassroomMarket(), 10) == []
    assert recent[0].line().startswith("Year 10, month ")


# -- the teacher's guide ------------------------------------------------------------------------

def _normalise(text: str) -> str:
    import re
    import unicodedata

    text = unicodedata.normalize("NFKC", text)
    text = text.translate(str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'}))
    text = re.sub(r"<sup>\d+</sup>", "", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def test_teaching_guide_quotes_the_paper_verbatim():
    import re

    guide = (ROOT / "docs" / "teaching.md").read_text(encoding="utf-8")
    for heading in ("## What is it?", "## How it works", "## How to use it", "## Things to notice",
                    "## Things to try", "## Extending the model", "### Lesson 1", "### Lesson 2",
                    "### Lesson 3"):
        assert heading in guide
    paper = paper_text()
    if paper is None:
        pytest.skip("the source paper is not beside the repository")
    body = _normalise(paper)
    text = re.sub(r"\n\s*>\s*", "\n", guide)          # block quotes
    quotes = [q for block in re.findall(r"\[P: (.*?)\]", text, flags=re.S)
              for q in re.findall(r'"([^"]+)"', block)]
    assert len(quotes) >= 15
    for quote in quotes:
        assert _normalise(quote) in body, quote


# -- the pictures -------------------------------------------------------------------------------

PLOTS = (views.IntegrityPlot, views.MarketSharePlot, views.PressurePlot,
         views.OrganisationsPlot, views.MarketPicture)


def _pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


@pytest.mark.parametrize("cls", PLOTS)
def test_plot_moves_with_the_model_and_matches_a_fresh_drawing(cls):
    model = ClassroomMarket(seed=1, rule="price only")
    plot = cls(model)
    first = plot.render(model)
    assert first.startswith(b"\x89PNG")
    for _ in range(40):            # past the large firms' entry in month 36
        model.step()
        plot.render(model)
    later = plot.render(model)
    assert later != first
    # Redrawing only the moving parts over a kept background gives the same picture as
    # drawing the whole figure afresh.
    fresh = cls(model).render(model)
    assert np.abs(_pixels(later) - _pixels(fresh)).max() <= 1


def test_twin_plots_render():
    a = run_to(ClassroomMarket(seed=1), 40)
    b = twin(a, "large_firms", "off")
    for cls in (views.CompareIntegrityPlot, views.CompareSharesPlot, views.CompareFieldPlot):
        assert cls(a, b, "A", "B").render(a).startswith(b"\x89PNG")


def _all_plots(model, b):
    return [cls(model) for cls in PLOTS] + [
        cls(model, b, "A: large firms on", "B: large firms off")
        for cls in (views.CompareIntegrityPlot, views.CompareSharesPlot, views.CompareFieldPlot)]


@pytest.mark.parametrize("month", [0, 1, 5, 40])
def test_count_axes_tick_at_whole_numbers(month):
    a = run_to(ClassroomMarket(seed=1), month)
    b = twin(a, "large_firms", "off")
    pressure, organisations = views.PressurePlot(a), views.OrganisationsPlot(a)
    field = views.CompareFieldPlot(a, b, "A", "B")
    for plot in (pressure, organisations, field):
        plot.render(a)
    for axis in (pressure.ax.xaxis, organisations.ax.yaxis, field.ia.yaxis):
        lo, hi = axis.get_view_interval()
        ticks = [t for t in axis.get_majorticklocs() if lo - 1e-9 <= t <= hi + 1e-9]
        assert len(ticks) >= 2
        assert all(float(t).is_integer() for t in ticks), ticks


def test_every_view_has_its_own_one_line_alt_text():
    a = run_to(ClassroomMarket(seed=1), 2)
    b = twin(a, "large_firms", "off")
    alts = [plot.alt for plot in _all_plots(a, b)]
    assert len(set(alts)) == len(alts)
    for alt in alts:
        assert "\n" not in alt and 30 < len(alt) < 220
    assert "B: large firms off" in alts[-1]


@pytest.mark.parametrize("scenario", bundled_names())
def test_card_text_agrees_with_the_large_firm_levers(scenario):
    start = card_description(ClassroomMarket(scenario_name=scenario, large_firms="on",
                                             entry_year="at the start"))
    assert start.endswith("; large firms enter at the start")
    assert "in year" not in start and "no large firms" not in start
    off = card_description(ClassroomMarket(scenario_name=scenario, large_firms="off"))
    assert off.endswith("; no large firms") and "enter" not in off
    assert card_description(ClassroomMarket(scenario_name=scenario)) == (
        load_scenario(scenario).description)
    changed = card_description(ClassroomMarket(scenario_name=scenario, rule="price only"))
    assert changed.endswith('(as changed by the rows marked "your choice")')


def test_classroom_card_says_when_large_firms_enter_as_the_levers_do():
    model = ClassroomMarket(entry_year="at the start")
    assert "year 3" not in card_description(model)
    (_label, words, _source), = [line for line in model.lever_lines()
                                 if line[0] == "Large firms enter"]
    assert f"large firms enter {words}" in card_description(model)


def test_rolling_rate_and_counts(finished):
    rate = np.array([1.0, np.nan, 0.5, 0.0])
    weight = np.array([1, 0, 3, 0])
    assert np.allclose(views.rolling_rate(rate, weight, window=2), [1.0, 1.0, 0.5, 0.5])
    assert math.isnan(views.rolling_rate(np.array([np.nan]), np.array([0]))[0])
    counts = views.episode_counts(finished)
    assert set(counts) == set(PRESSURE_TYPES)
    assert sum(sum(c.values()) for c in counts.values()) == len(finished.episode_rows)
    assert views.nice_ceiling(12) == 20 and views.nice_ceiling(20000) == 100000


# -- the Solara page, rendered headlessly ------------------------------------------------------

@pytest.fixture
def ui():
    if not HAS_APP:
        pytest.skip("needs the app extra: pip install 'dmpsim[app]'")
    import ipyvuetify as v
    import ipywidgets
    import solara
    from solara.widgets import HTML

    from dmpsim.app import components

    components.compare_lever.set("large_firms")
    components.compare_value.set(None)
    rendered = []

    class UI:
        def __init__(self):
            self.v, self.ipywidgets, self.solara, self.HTML = v, ipywidgets, solara, HTML

        def render(self, element):
            _box, rc = solara.render(solara.AppLayout(children=[element]), handle_error=False)
            rendered.append(rc)
            self.rc = rc
            return rc

        def button(self, label):
            return self.rc.find(v.Btn, children=[label]).widget

        def select(self, label):
            return self.rc.find(v.Select, label=label).widget

        def html(self, css_class):
            return [w.unsafe_innerHTML for w in self.rc.find(HTML).widgets
                    if f"{css_class}'" in w.unsafe_innerHTML]

        def img_tags(self):
            """{view's class: the <img> widget} for every plot on the page."""
            return {c: w for w in self.rc.find(v.Html, tag="img").widgets
                    for c in w.class_.split() if c.startswith("dmp-") and c != "dmp-plot"}

        def images(self):
            """{view's class: its PNG bytes}."""
            prefix = "data:image/png;base64,"
            out = {}
            for name, w in self.img_tags().items():
                src = w.attributes["src"]
                assert src.startswith(prefix)
                out[name] = base64.b64decode(src[len(prefix):])
            return out

    yield UI()
    for rc in rendered:
        rc.close()
    components.compare_lever.set("large_firms")
    components.compare_value.set(None)


def _viz(ui, model=None, **params):
    from mesa.visualization import SolaraViz

    from dmpsim.app.app import model_params
    from dmpsim.app.components import COMPONENTS

    reactive = ui.solara.reactive(model or ClassroomMarket())
    ui.render(SolaraViz(reactive, components=COMPONENTS, model_params=model_params(**params)))
    return reactive


@needs_app
def test_page_renders_with_controls_and_views(ui):
    from solara.components.title import TitleWidget

    from dmpsim.app import app

    ui.render(app.Page())
    assert ui.rc.find(TitleWidget).widget.title == app.BROWSER_TITLE   # mounted: sets the tab
    for label in ("Reset", "▶", "Step"):
        assert ui.button(label)
    labels = [w.label for w in ui.rc.find(ui.v.Select).widgets]
    assert labels == ["Speed of play", "Scenario", *(lv.label for lv in LEVERS)]
    assert ui.select("Procurement rule").v_model == USE_SCENARIO
    assert set(ui.images()) == {"dmp-integrity", "dmp-shares", "dmp-pressure", "dmp-market",
                                "dmp-organisations"}
    alts = {name: w.attributes["alt"] for name, w in ui.img_tags().items()}
    assert alts["dmp-pressure"] == views.PressurePlot.alt and all(alts.values())
    (readout,) = ui.html("dmp-readout")
    assert "Month 0 of 120" in readout and "quality scoring" in readout


@needs_app
def test_step_advances_the_model_and_the_views(ui):
    model = _viz(ui)
    before = ui.images()
    for _ in range(8):             # the first processes end in month 6
        ui.button("Step").click()
    assert model.value.steps == 8
    after = ui.images()
    assert all(after[name] != before[name] for name in before), "every picture should move"
    assert "Month 8 of 120" in ui.html("dmp-readout")[0]


@needs_app
def test_controls_and_reset_rebuild_the_run(ui):
    model = _viz(ui)
    ui.button("Step").click()
    first = model.value
    ui.select("Procurement rule").v_model = "price only"
    ui.select("Large firms enter").v_model = "at the start"
    ui.select("Transparency mandate").v_model = "on"
    ui.rc.find(ui.v.Slider, label="Seed").widget.v_model = 7
    ui.button("Reset").click()
    new = model.value
    assert new is not first and new.steps == 0
    assert new.seed == 7 and new.values["procurement.rule"] == "price"
    assert new.values["large_firms.entry_step"] == 0
    assert new.values["governance.transparency_mandate"] is True
    readout = ui.html("dmp-readout")[0]
    assert "Month 0 of 120" in readout and "price only" in readout and "your choice" in readout
    # the scenario picker sets the base values; levers left at "scenario's value" follow it
    ui.select("Scenario").v_model = "oversight_board"
    ui.select("Procurement rule").v_model = USE_SCENARIO
    ui.button("Reset").click()
    assert model.value.scenario_name == "oversight_board"
    assert model.value.values["governance.oversight_board"] is True
    assert model.value.values["procurement.rule"] == "quality"
    assert model.value.values["governance.transparency_mandate"] is True   # still overridden


@needs_app
def test_side_by_side_twins_differ_only_by_the_lever(ui):
    from dmpsim.app import components

    model = _viz(ui)
    ui.rc.find(ui.v.Tabs).widget.v_model = 1          # page 1: side by side
    assert ui.html("dmp-compare")
    ui.select("Lever that differs in B").v_model = "Transparency mandate"
    assert components.compare_lever.value == "transparency_mandate"
    assert ui.select("Value in run B").v_model == "on"   # the value that differs from A
    for _ in range(4):
        ui.button("Step").click()
    a = model.value
    b = a.twins[("transparency_mandate", "on")]
    assert b.steps == a.steps == 4
    assert differing_values(a, b) == {"governance.transparency_mandate": (False, True)}
    assert set(ui.images()) == {"dmp-compare-integrity", "dmp-compare-shares", "dmp-compare-field"}
    table = ui.html("dmp-compare")[0]
    assert "B: Transparency mandate on" in table and "A: Transparency mandate off (this run)" in table


@needs_app
def test_event_log_tells_the_story_in_words(ui):
    model = _viz(ui, ClassroomMarket(seed=1, rule="price only"))
    assert "Nothing yet" in ui.html("dmp-eventlog")[0]
    ui.rc.find(ui.v.Slider, label="Render Interval (steps)").widget.v_model = 40
    ui.button("Step").click()
    assert model.value.steps == 40
    log = ui.html("dmp-eventlog")[0]
    assert log.count("<li") == 12 and "a demand to" in log
    expected = narrate.recent_events(model.value, 12)[0].text
    assert expected.replace("'", "&#x27;") in log


# -- starting the app ---------------------------------------------------------------------------

@needs_app
def test_server_reports_bad_input_in_one_line():
    from dmpsim.app.server import port_is_free, start_server

    with pytest.raises(InputError, match="no bundled scenario"):
        start_server("nonesuch")
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert not port_is_free(port)
        with pytest.raises(InputError, match=f"port {port} .* in use"):
            start_server("classroom", port=port)


@needs_app
def test_serve_prints_the_address_and_stops_on_ctrl_c():
    import signal
    import subprocess
    import sys
    import urllib.request

    from dmpsim.app.server import free_port

    port = free_port()
    child = subprocess.Popen(
        [sys.executable, "-c", f"import sys; from dmpsim.app import serve; sys.exit(serve(port={port}))"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=as_from_a_terminal)
    try:
        lines = []
        for line in child.stdout:
            lines.append(line)
            if "dmpsim app:" in line:
                break
        assert f"http://127.0.0.1:{port}/" in lines[-1], lines
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as reply:
            assert reply.status == 200
        child.send_signal(signal.SIGINT)
        out, _ = child.communicate(timeout=30)
        assert child.returncode == 0 and "stopped" in out
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    from dmpsim.app.server import port_is_free

    assert port_is_free(port), "the server should be gone after Ctrl-C"


@needs_app
def test_first_scenario_comes_from_the_environment(ui, monkeypatch):
    from dmpsim.app import app

    monkeypatch.setenv(app.SCENARIO_ENV, "large_firm_entry")
    ui.render(app.Page())
    assert ui.select("Scenario").v_model == "large_firm_entry"
    assert "Scenario <b>large_firm_entry</b>" in ui.html("dmp-readout")[0]
    monkeypatch.setenv(app.SCENARIO_ENV, "nonesuch")
    assert app.default_scenario() == "classroom"
