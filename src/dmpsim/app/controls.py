"""The classroom app's controls: running the model, and the levers a class changes.

Our own, not Mesa's SolaraViz sidebar, because a projected classroom page needs what that sidebar
does not give: Play at a steady pace in months per second (the guide's "ten years in about half
a minute"), whatever a month takes to draw; no thread or render-interval settings a class can
trip over; a ▶ button that is simply disabled when the run is over; sliders that show their
values; and a cue when a control has changed and waits for Reset.

`RunControls` steps the model and calls Mesa's `force_update`, so the view components (which read
`update_counter`, see `dmpsim.app.components`) are the same under SolaraViz and this page.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import solara
from mesa.visualization.utils import force_update, update_counter

from .levers import DEFAULT_SEED, LEVERS, USE_SCENARIO, ClassroomMarket
from .levers import scenario_names as _scenario_names

MAX_SEED = 99
SPEEDS = {
    "1 month a second": 1.0,
    "2 months a second": 2.0,
    "4 months a second (ten years in 30 s)": 4.0,
    "8 months a second": 8.0,
}
DEFAULT_SPEED = "4 months a second (ten years in 30 s)"
RESET_CUE = "Changed: press Reset to apply"


def initial_choices(scenario: str, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """What the controls say at first: the scenario and seed, every lever at the scenario's value.
    The keys are `ClassroomMarket`'s keyword arguments, so Reset builds the run from them."""
    return {"scenario_name": scenario, "seed": seed,
            **{lever.name: USE_SCENARIO for lever in LEVERS}}


def applied(model: ClassroomMarket) -> dict[str, Any]:
    """What the run on screen was built from, in the controls' terms."""
    settings = model.settings
    return {"scenario_name": settings["scenario_name"], "seed": settings["seed"],
            **{lever.name: settings.get(lever.name, USE_SCENARIO) for lever in LEVERS}}


def pending(choices: dict[str, Any], model: ClassroomMarket) -> list[str]:
    """The controls' labels whose values differ from the run on screen (they wait for Reset)."""
    now = applied(model)
    labels = {"scenario_name": "Scenario", "seed": "Seed",
              **{lever.name: lever.label for lever in LEVERS}}
    return [labels[k] for k, v in choices.items() if now.get(k) != v]


@solara.component
def RunControls(model: solara.Reactive[ClassroomMarket], choices: solara.Reactive[dict]):
    """Reset, ▶ / ❚❚, Step and the speed of Play."""
    update_counter.get()            # re-rendered after every month: the end of the run shows
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(DEFAULT_SPEED)
    error = solara.use_reactive(None)
    running = model.value.running

    def play(cancel: threading.Event) -> None:
        # Paced by the clock, not by a pause after each month: a month's drawing time is taken
        # out of the wait, so Play keeps the chosen months per second on a slow machine too.
        # Stopped by `cancel` between months only (not intrusively): a thread stopped inside
        # a step would keep the model's lock and freeze the page.
        if not playing.value:
            return
        period = 1.0 / SPEEDS[speed.value]
        market = model.value
        try:
            while not cancel.is_set() and market.running:
                started = time.perf_counter()
                market.step()
                force_update()
                if cancel.wait(max(0.0, period - (time.perf_counter() - started))):
                    return
        except Exception as exc:     # shown on the page, not lost in a thread
            error.set(f"the run stopped: {exc}")
        playing.set(False)           # the run's end turns ❚❚ back into a (disabled) ▶

    solara.use_thread(play, dependencies=[playing.value, speed.value, model.value],
                      intrusive_cancel=False)

    def step() -> None:
        if model.value.running:
            model.value.step()
            force_update()

    def reset() -> None:
        playing.set(False)
        error.set(None)
        model.set(ClassroomMarket(**choices.value))
        force_update()

    with solara.Column(gap="4px", classes=["dmp-run-controls"]):
        with solara.Row(gap="6px"):
            solara.Button("Reset", color="primary", on_click=reset)
            solara.Button("❚❚" if playing.value else "▶", color="primary",
                          on_click=lambda: playing.set(not playing.value),
                          disabled=not running and not playing.value)
            solara.Button("Step", color="primary", on_click=step,
                          disabled=playing.value or not running)
        solara.Select("Speed of play", values=list(SPEEDS), value=speed)
        if not running:
            solara.Text("The run is over: press Reset for a new one.", classes=["dmp-ended"])
        if error.value:
            solara.Error(error.value)


@solara.component
def LeverControls(model: solara.Reactive[ClassroomMarket], choices: solara.Reactive[dict]):
    """The scenario, the seed and the eight levers; a cue while any of them waits for Reset."""

    def choose(name: str):
        return lambda value: choices.set({**choices.value, name: value})

    waiting = pending(choices.value, model.value)
    with solara.Column(gap="0px", classes=["dmp-levers"]):
        if waiting:
            solara.HTML(tag="div", unsafe_innerHTML=(
                f"<div class='dmp-reset-cue' role='status'><b>{RESET_CUE}</b> "
                f"({', '.join(waiting)})</div>"))
        solara.Select("Scenario", values=_scenario_names(), value=choices.value["scenario_name"],
                      on_value=choose("scenario_name"))
        seed = choices.value["seed"]
        solara.SliderInt(f"Seed: {seed}", value=seed, min=0, max=MAX_SEED,
                         on_value=choose("seed"))
        for lever in LEVERS:
            solara.Select(lever.label, values=lever.choices, value=choices.value[lever.name],
                          on_value=choose(lever.name))
