"""The classroom app's own page (dmpsim.app.app.Page, dmpsim.app.controls), rendered headlessly:
tabs named for what they show, no thread or render-interval settings, a seed that shows its
value, a cue while a changed control waits for Reset, Play at the chosen months per second, and
a ▶ that is simply disabled when the run is over."""

from __future__ import annotations

import time

import pytest

# The page's code (dmpsim.app.controls, dmpsim.app.app) is Solara through and through: without the
# app extra the whole file is skipped, before it imports that code.
pytest.importorskip("solara", reason="needs the app extra: pip install 'dmpsim[app]'")
pytest.importorskip("ipyvuetify", reason="needs the app extra: pip install 'dmpsim[app]'")
pytest.importorskip("mesa.visualization", reason="needs the app extra: pip install 'dmpsim[app]'")

from dmpsim.app.controls import RESET_CUE, SPEEDS, applied, initial_choices, pending
from dmpsim.app.levers import USE_SCENARIO, ClassroomMarket


@pytest.fixture
def page():
    import ipyvuetify as v
    import solara
    from solara.widgets import HTML

    from dmpsim.app import app

    _box, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)

    class Page:
        def button(self, label):
            return rc.find(v.Btn, children=[label]).widget

        def select(self, label):
            return rc.find(v.Select, label=label).widget

        def html(self, needle):
            return [w.unsafe_innerHTML for w in rc.find(HTML).widgets
                    if needle in w.unsafe_innerHTML]

    Page.rc, Page.v = rc, v
    yield Page()
    rc.close()


def test_what_waits_for_reset():
    model = ClassroomMarket()
    choices = initial_choices("classroom")
    assert applied(model) == choices and pending(choices, model) == []
    changed = {**choices, "rule": "price only", "seed": 5}
    assert pending(changed, model) == ["Seed", "Procurement rule"]
    assert pending(changed, ClassroomMarket(**changed)) == []
    assert initial_choices("baseline")["oversight_board"] == USE_SCENARIO


def test_tabs_are_named_and_mesas_thread_controls_are_gone(page):
    tabs = [w.children[0] for w in page.rc.find(page.v.Tab).widgets]
    assert tabs == ["Watch the market", "Side by side", "Play"]
    sliders = [w.label for w in page.rc.find(page.v.Slider).widgets]
    assert sliders == ["Seed: 0"]                     # no Play or Render Interval sliders
    assert not page.rc.find(page.v.Checkbox, label="Use Threads").widgets


def test_a_changed_control_shows_the_reset_cue_until_reset(page):
    assert not page.html(RESET_CUE)
    page.select("Procurement rule").v_model = "price only"
    (cue,) = page.html(RESET_CUE)
    assert "Procurement rule" in cue
    page.rc.find(page.v.Slider).widget.v_model = 7
    assert "Seed" in page.html(RESET_CUE)[0]
    assert page.rc.find(page.v.Slider).widget.label == "Seed: 7"
    page.button("Reset").click()
    assert not page.html(RESET_CUE)
    readout = page.html("dmp-readout")[0]
    assert "seed <b>7</b>" in readout and "price only" in readout


def test_play_keeps_the_chosen_pace(page):
    page.select("Speed of play").v_model = "4 months a second (ten years in 30 s)"
    assert SPEEDS["4 months a second (ten years in 30 s)"] == 4.0
    page.button("▶").click()
    time.sleep(2.0)
    page.button("❚❚").click()
    months = int(page.html("dmp-readout")[0].split("Month ")[1].split(" ")[0])
    # Never faster than the pace; as fast on a machine that draws a month in under 250 ms.
    assert 3 <= months <= 10, months


def test_the_end_of_a_run_leaves_a_disabled_play_button():
    import ipyvuetify as v
    import solara

    from dmpsim.app.controls import RunControls

    model = solara.reactive(ClassroomMarket(**{"run.steps": 3}))    # a three-month run
    choices = solara.reactive(initial_choices("classroom"))
    _box, rc = solara.render(RunControls(model, choices), handle_error=False)
    try:
        def button(label):
            return rc.find(v.Btn, children=[label]).widget

        for _ in range(3):
            button("Step").click()
        assert model.value.steps == 3 and not model.value.running
        assert button("▶").disabled and button("Step").disabled
        assert not rc.find(v.Btn, children=["❚❚"]).widgets
        assert rc.find(v.Html, children=["The run is over: press Reset for a new one."]).widgets
        button("Reset").click()
        assert model.value.steps == 0 and model.value.horizon == 120
        assert not button("▶").disabled and not button("Step").disabled
    finally:
        rc.close()
