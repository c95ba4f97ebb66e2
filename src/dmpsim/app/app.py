"""The classroom app's page, served by `solara run dmpsim.app.app` (see `dmpsim.app.server`).

Mesa's SolaraViz gives the controls (Reset, ▶/❚❚, Step, play interval) and the "Model
Parameters" card; this module gives it the model, the parameters a class can change and the
components. Each browser session (each tab, each reload) gets its own model.

The scenario shown first is the one named by the environment variable ``DMPSIM_APP_SCENARIO``
(set by ``dmpsim app --scenario NAME``), else ``classroom``.
"""

from __future__ import annotations

import os
from typing import Any

import solara
from mesa.visualization import SolaraViz

from .components import COMPONENTS
from .levers import DEFAULT_SCENARIO, DEFAULT_SEED, LEVERS, USE_SCENARIO, ClassroomMarket
from .levers import scenario_names as _scenario_names

SCENARIO_ENV = "DMPSIM_APP_SCENARIO"
TITLE = "dmpsim: the market for deliberative mini-publics"
BROWSER_TITLE = "dmpsim classroom"
PLAY_INTERVAL_MS = 150
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


@solara.component
def Page():
    scenario = solara.use_memo(default_scenario, dependencies=[])
    params = solara.use_memo(lambda: model_params(scenario), dependencies=[])
    # One model per browser session: a module-level model would be shared by every tab.
    model = solara.use_memo(lambda: make_model(scenario), dependencies=[])
    # Both are children of the page (no `return`): a Title left out of the returned element
    # is never mounted, and the browser tab keeps the server's default title.
    solara.Title(BROWSER_TITLE)
    SolaraViz(model, components=COMPONENTS, model_params=params, name=TITLE,
              play_interval=PLAY_INTERVAL_MS)
