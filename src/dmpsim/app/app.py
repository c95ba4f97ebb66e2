"""The classroom app's page, served by `solara run dmpsim.app.app` (see `dmpsim.app.server`).

A page of our own for a projector: tabs named for what they show ("Watch the market", "Side by
side", "Play"), the run's controls and the levers in the sidebar (`dmpsim.app.controls`), the
views in a grid that reflows with the screen (no drag or resize handles). Each browser session
(each tab, each reload) gets its own model. The components also work in Mesa's SolaraViz
(`model_params` gives it the same controls), e.g. in a notebook.

The scenario shown first is the one named by the environment variable ``DMPSIM_APP_SCENARIO``
(set by ``dmpsim app --scenario NAME``), else ``classroom``.
"""

from __future__ import annotations

import os
from typing import Any

import solara

from .components import PAGE_COMPARE, PAGE_RUN
from .controls import LeverControls, RunControls, initial_choices
from .levers import DEFAULT_SCENARIO, DEFAULT_SEED, LEVERS, USE_SCENARIO, ClassroomMarket
from .levers import scenario_names as _scenario_names

SCENARIO_ENV = "DMPSIM_APP_SCENARIO"
TITLE = "dmpsim: the market for deliberative mini-publics"
BROWSER_TITLE = "dmpsim classroom"
MAX_SEED = 99


def default_scenario() -> str:
    name = os.environ.get(SCENARIO_ENV) or DEFAULT_SCENARIO
    return name if name in _scenario_names() else DEFAULT_SCENARIO


def model_params(scenario: str = DEFAULT_SCENARIO, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """SolaraViz's `model_params`: a scenario picker, a seed and one select per lever.

    Every lever starts at "scenario's value"; choosing anything else overrides the scenario.
    The keys are `ClassroomMarket`'s keyword arguments, so Reset rebuilds the run from them.
    """
    params: dict[str, Any] = {
        "scenario_name": {"type": "Select", "value": scenario, "values": _scenario_names(),
                          "label": "Scenario"},
        "seed": {"type": "SliderInt", "value": seed, "min": 0, "max": MAX_SEED, "step": 1,
                 "label": "Seed"},
    }
    for lever in LEVERS:
        params[lever.name] = {"type": "Select", "value": USE_SCENARIO, "values": lever.choices,
                              "label": lever.label}
    return params


def make_model(scenario: str = DEFAULT_SCENARIO, seed: int = DEFAULT_SEED) -> ClassroomMarket:
    """The first run of a session: the same values as `model_params` gives Reset."""
    return ClassroomMarket(scenario_name=scenario, seed=seed)


PAGE_CSS = """
.dmp-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(400px, 1fr));
            gap: 10px; align-items: start; padding: 6px 2px; }
.dmp-grid > * { min-width: 0; }
.dmp-reset-cue { background: #fff3cd; color: #533f03; border-left: 4px solid #E69F00;
                 padding: 4px 8px; margin: 2px 0 8px 0; font-size: 14px; }
.dmp-ended { font-weight: bold; }
.dmp-play-info { font-size: 16px; max-width: 760px; padding: 8px; }
.dmp-play-info code { font-size: 15px; }
.v-tab { font-size: 15px; letter-spacing: normal; text-transform: none; }
/* The dark theme: the cards' greys were chosen for a white page. */
.theme--dark .dmp-card .about, .theme--dark .dmp-card .note,
.theme--dark .dmp-card .src-scenario, .theme--dark .dmp-eventlog .when { color: #d0d0d0; }
.theme--dark .dmp-card .src-choice { color: #ff9bd2; }
.theme--dark .dmp-eventlog li.serious { color: #ff8a80; }
.theme--dark .dmp-card td, .theme--dark .dmp-card th { border-bottom-color: #444; }
.theme--dark .dmp-plot { background: #fff; }
"""

TABS = ("Watch the market", "Side by side", "Play")


@solara.component
def PlayInfo():
    """The third tab: how to run a class game (play mode is a server of its own)."""
    solara.HTML(tag="div", classes=["dmp-play-info"], unsafe_innerHTML=(
        "<h3>Let the students play the practitioners</h3>"
        "<p>In a class game each student takes a practitioner's seat from their own phone or "
        "laptop and faces the dilemma of the paper: give in, negotiate, push back or walk away "
        "when a commissioner presses, and whether to bid for tenders. The class sees what their "
        "choices make of the market, and the debrief sets each choice beside the model's rule."
        "</p><p>Start it from a terminal (it prints the teacher's page):</p>"
        "<p><code>dmpsim app --play</code> (this computer only), or "
        "<code>dmpsim app --play --host 0.0.0.0</code> so students can join from the "
        "classroom's network.</p><p>docs/teaching.md, lesson 4, is the guide.</p>"))


@solara.component
def Grid(components: list, model: ClassroomMarket):
    with solara.Div(classes=["dmp-grid"]):
        for component in components:
            component(model)


@solara.component
def Page():
    scenario = solara.use_memo(default_scenario, dependencies=[])
    first = solara.use_memo(lambda: make_model(scenario), dependencies=[])
    # One model per browser session: a module-level model would be shared by every tab.
    model = solara.use_reactive(first)
    choices = solara.use_reactive(initial_choices(scenario))
    tab = solara.use_reactive(0)
    # A Title left out of the returned element is never mounted: it is a child of the page.
    solara.Title(BROWSER_TITLE)
    solara.Style(PAGE_CSS)
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
        solara.lab.ThemeToggle()
    with solara.Sidebar():
        with solara.Card("Run", margin=0):
            RunControls(model, choices)
        with solara.Card("Controls", margin=0):
            LeverControls(model, choices)
    # Lazy: only the open tab is drawn, so the first view is not held up by the twin runs.
    with solara.lab.Tabs(value=tab, lazy=True):
        with solara.lab.Tab(TABS[0]):
            Grid(PAGE_RUN, model.value)
        with solara.lab.Tab(TABS[1]):
            Grid(PAGE_COMPARE, model.value)
        with solara.lab.Tab(TABS[2]):
            PlayInfo()
