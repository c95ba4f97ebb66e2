"""Solara components of the classroom app: its page (`dmpsim.app.app`) and Mesa's SolaraViz.

Every component is a `@solara.component` that takes the model and calls
`mesa.visualization.utils.update_counter.get()`, so it re-renders after each Step and each tick
of Play, and receives the new model after Reset.

"Watch the market" (the run): `RunReadout`, `IntegrityView`, `MarketShareView`, `PressureView`, `EventLog`,
`MarketView`, `OrganisationsView`.
"Side by side": `CompareControls`, `CompareIntegrityView`, `CompareSharesView`,
`CompareFieldView`: run A is the app's model, run B its twin with one lever changed (same
scenario, seed and other controls), stepped to the same month whenever A moves.

Play (`dmpsim.app.controls.RunControls`), like Mesa's "Use Threads", steps the model in a thread
of its own while the page may render: every component reads the model under the model's lock (`ClassroomMarket.lock`, held for each
whole step), so a view never sees a step half-done.
"""

from __future__ import annotations

import base64
import contextlib
import html
from collections.abc import Callable

import solara
from mesa.visualization.utils import update_counter

from . import narrate, views
from .levers import (
    LEVER_BY_NAME,
    LEVERS,
    ClassroomMarket,
    card_description,
    contrast_options,
    twin,
)

EVENTS_SHOWN = 12

# The side-by-side choice: which lever B changes, and to what (None: the first value that
# differs from run A). Module-level reactive variables are kept per browser session by Solara.
compare_lever = solara.reactive("large_firms")
compare_value: solara.Reactive[str | None] = solara.reactive(None)

CSS = """
.dmp-card { font-size: 15px; line-height: 1.3; padding: 0 6px; }
.dmp-card h3 { font-size: 19px; margin: 0 0 4px 0; }
.dmp-card .about { color: #555; font-size: 14px; }
.dmp-card table { border-collapse: collapse; width: 100%; margin-top: 4px; }
.dmp-card td, .dmp-card th { padding: 0 5px; font-size: 14px; text-align: left;
                              border-bottom: 1px solid #eee; }
.dmp-card .src-choice { color: #b3006b; font-weight: bold; white-space: nowrap; }
.dmp-card .src-scenario { color: #777; white-space: nowrap; }
.dmp-card .note { margin-top: 4px; color: #444; font-size: 14px; }
.dmp-eventlog ul { padding-left: 16px; margin: 0; }
.dmp-eventlog li { margin-bottom: 2px; }
.dmp-eventlog li.serious { color: #a3000b; font-weight: bold; }
.dmp-eventlog .when { color: #777; font-weight: normal; font-size: 12px; }
"""


def png_src(data: bytes) -> str:
    """PNG bytes as a data URL for an <img>'s src."""
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _image(data: bytes, name: str, alt: str):
    """An <img> of a view, with alt text (ipywidgets' Image has no alt, so a plain tag)."""
    return solara.v.Html(tag="img", attributes={"src": png_src(data), "alt": alt},
                         class_=f"dmp-plot dmp-{name}",
                         style_="width: 100%; max-width: 760px; height: auto;")


def _card(inner_html: str):
    """An HTML card with the app's styles."""
    with solara.Column(gap="0px") as main:
        solara.Style(CSS)
        solara.HTML(tag="div", unsafe_innerHTML=inner_html)
    return main


def locked(model) -> contextlib.AbstractContextManager:
    """The model's lock (no step runs while it is held), or nothing for a model without one."""
    lock = getattr(model, "lock", None)
    return lock if lock is not None else contextlib.nullcontext()


def _live(model, make: Callable[[], views.LivePlot], name: str, deps: list | None = None):
    """A `LivePlot` kept for this model, re-rendered whenever the model moves."""
    deps = deps or []
    with locked(model):
        plot = solara.use_memo(make, dependencies=[model, *deps])
        data = solara.use_memo(lambda: plot.render(model),
                               dependencies=[plot, model, model.steps])
    return _image(data, name, plot.alt)


# -- page 0: the run ----------------------------------------------------------------------------

def month_words(model: ClassroomMarket) -> str:
    year = (model.steps - 1) // 12 + 1 if model.steps else 0
    when = f"year {year}" if model.steps else "not started"
    return f"Month {model.steps} of {model.horizon} ({when})"


def readout_html(model: ClassroomMarket) -> str:
    rows = "".join(
        f"<tr title='{html.escape(lever.help)}'><td>{html.escape(label)}</td>"
        f"<td><b>{html.escape(words)}</b></td>"
        f"<td class='src-{'choice' if source != 'scenario' else 'scenario'}'>{source}</td></tr>"
        for lever, (label, words, source) in zip(LEVERS, model.lever_lines(), strict=True))
    n = views.run_numbers(model)
    so_far = (
        f"So far: {n['completed']} processes completed, mean integrity "
        f"{views.fmt('{:.2f}', n['integrity'])}; {n['episodes']} pressure episodes, "
        f"{views.fmt('{:.0%}', n['gave_in'])} given in to; large firms won "
        f"{views.fmt('{:.0%}', n['large_firm_share'])} of contract value.")
    return (
        f"<div class='dmp-card dmp-readout'><h3>{month_words(model)}</h3>"
        f"<div>Scenario <b>{html.escape(model.scenario_name)}</b>, seed <b>{model.seed}</b>. "
        f"<span class='about'>{html.escape(card_description(model))}</span></div>"
        f"<table>{rows}</table>"
        f"<div class='note'>{html.escape(so_far)}</div>"
        f"<div class='note'>Set a control on the left, then press <b>Reset</b>. "
        f"\"Side by side\" compares two runs.</div></div>")


@solara.component
def RunReadout(model: ClassroomMarket):
    """Where the run is, the value of every lever and where it comes from, the headline numbers."""
    update_counter.get()
    with locked(model):
        inner = readout_html(model)
    return _card(inner)


@solara.component
def IntegrityView(model: ClassroomMarket):
    update_counter.get()
    return _live(model, lambda: views.IntegrityPlot(model), "integrity")


@solara.component
def MarketShareView(model: ClassroomMarket):
    update_counter.get()
    return _live(model, lambda: views.MarketSharePlot(model), "shares")


@solara.component
def PressureView(model: ClassroomMarket):
    update_counter.get()
    return _live(model, lambda: views.PressurePlot(model), "pressure")


@solara.component
def OrganisationsView(model: ClassroomMarket):
    update_counter.get()
    return _live(model, lambda: views.OrganisationsPlot(model), "organisations")


@solara.component
def MarketView(model: ClassroomMarket):
    update_counter.get()
    return _live(model, lambda: views.MarketPicture(model), "market")


def eventlog_html(model: ClassroomMarket, limit: int = EVENTS_SHOWN) -> str:
    events = narrate.recent_events(model, limit)
    if not events:
        items = "<li>Nothing yet: press Step or ▶.</li>"
    else:
        items = "".join(
            f"<li class='{'serious' if e.serious else ''}'>"
            f"<span class='when'>Y{(e.step - 1) // 12 + 1} M{(e.step - 1) % 12 + 1}</span> "
            f"{html.escape(e.text)}</li>" for e in events)
    return (f"<div class='dmp-card dmp-eventlog'><h3>What happened (newest first)</h3>"
            f"<ul>{items}</ul></div>")


@solara.component
def EventLog(model: ClassroomMarket):
    """The latest events of the run in plain words; demands met and walk-outs in red."""
    update_counter.get()
    with locked(model):
        inner = eventlog_html(model)
    return _card(inner)


# -- page 1: side by side -----------------------------------------------------------------------

def chosen_contrast(model: ClassroomMarket) -> tuple[str, str]:
    """The lever B changes and B's value (in words), defaulting to one that differs from A."""
    lever = compare_lever.value if compare_lever.value in LEVER_BY_NAME else "large_firms"
    options = contrast_options(model, lever)
    value = compare_value.value if compare_value.value in options else options[0]
    return lever, value


def current_twin(model: ClassroomMarket) -> tuple[ClassroomMarket, str, str]:
    """Run B for the chosen contrast (cached on the model), with labels for A and B."""
    lever, value = chosen_contrast(model)
    b = twin(model, lever, value)
    label = LEVER_BY_NAME[lever].label
    a_words = LEVER_BY_NAME[lever].words(model.lever_value(lever))
    return b, f"A: {label} {a_words} (this run)", f"B: {label} {value}"


def compare_html(model: ClassroomMarket, b: ClassroomMarket, label_a: str, label_b: str) -> str:
    na, nb = views.run_numbers(model), views.run_numbers(b)
    rows = "".join(
        f"<tr><td>{html.escape(text)}</td><td><b>{views.fmt(t, na[key])}</b></td>"
        f"<td><b>{views.fmt(t, nb[key])}</b></td></tr>"
        for key, text, t in views.NUMBER_LINES)
    same = ""
    if model.values == b.values:
        same = "<div class='src-choice'>B is the same as A: choose another value for B.</div>"
    return (
        f"<div class='dmp-card dmp-compare'>"
        f"<div><b>{month_words(model)}.</b> Same scenario ({html.escape(model.scenario_name)}), "
        f"seed ({model.seed}) and controls; only one lever differs.</div>"
        f"<div>{html.escape(label_a)}<br>{html.escape(label_b)}</div>{same}"
        f"<table><tr><th></th><th>A</th><th>B</th></tr>{rows}</table></div>")


@solara.component
def CompareControls(model: ClassroomMarket):
    """Choose the lever and B's value; a table of A's and B's numbers so far."""
    update_counter.get()
    lever, value = chosen_contrast(model)

    def set_lever(label: str) -> None:
        for lv in LEVERS:
            if lv.label == label:
                compare_lever.set(lv.name)
                compare_value.set(None)

    with locked(model):
        b, label_a, label_b = current_twin(model)
        table = compare_html(model, b, label_a, label_b)
        options = contrast_options(model, lever)
    with solara.Column(classes=["dmp-compare-controls"], gap="0px") as main:
        solara.Style(CSS)
        with solara.Row():
            solara.Select(label="Lever that differs in B", value=LEVER_BY_NAME[lever].label,
                          values=[lv.label for lv in LEVERS], on_value=set_lever)
            solara.Select(label="Value in run B", value=value,
                          values=options, on_value=compare_value.set)
        solara.HTML(tag="div", unsafe_innerHTML=table)
    return main


def _twin_view(model: ClassroomMarket, cls, name: str):
    with locked(model):   # B is stepped to A's month here
        b, label_a, label_b = current_twin(model)
        return _live(model, lambda: cls(model, b, label_a, label_b), name, deps=[b])


@solara.component
def CompareIntegrityView(model: ClassroomMarket):
    update_counter.get()
    return _twin_view(model, views.CompareIntegrityPlot, "compare-integrity")


@solara.component
def CompareSharesView(model: ClassroomMarket):
    update_counter.get()
    return _twin_view(model, views.CompareSharesPlot, "compare-shares")


@solara.component
def CompareFieldView(model: ClassroomMarket):
    update_counter.get()
    return _twin_view(model, views.CompareFieldPlot, "compare-field")


PAGE_RUN = [RunReadout, IntegrityView, MarketShareView, PressureView, EventLog, MarketView,
            OrganisationsView]
PAGE_COMPARE = [CompareControls, CompareIntegrityView, CompareSharesView, CompareFieldView]
COMPONENTS = [*((c, 0) for c in PAGE_RUN), *((c, 1) for c in PAGE_COMPARE)]
"""SolaraViz components: (component, page)."""
