"""The classroom app's model: a scenario, a seed and eight levers a class can reason about.

`ClassroomMarket` is `DMPMarket` built from friendly keyword arguments, so that Mesa's SolaraViz
can rebuild it on Reset with ``type(model)(**params)``::

    ClassroomMarket(scenario_name="classroom", seed=3, large_firms="off", rule="price only")
    ClassroomMarket(scenario_name="classroom", seed=3, large_firms=False, rule="price")

Precedence: the scenario gives every value of the run; a lever left at ``USE_SCENARIO`` (the
default, "scenario's value") keeps the scenario's value, and a lever set to anything else
overrides it. Dotted keys (``**{"pressure.outcome": 0.1}``) go on top of both.

Nothing here imports Solara: the model, the levers and the twin runs of the side-by-side view are
plain Python, and the core model never imports the app.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..experiments.scenario import bundled_names, load_scenario
from ..model import DMPMarket
from ..model.params import FLAT

USE_SCENARIO = "scenario's value"
"""The first option of every lever: keep the value the scenario gives."""

DEFAULT_SCENARIO = "classroom"
DEFAULT_SEED = 0


def _pct(share: float) -> str:
    return f"{round(100 * share)}%"


def _on_off(value: bool) -> str:
    return "on" if value else "off"


@dataclass(frozen=True)
class Lever:
    """One control of the app: its keyword, label, options in words and the keys it sets."""

    name: str
    label: str
    options: tuple[tuple[str, Any], ...]
    """(words shown in the control, value) pairs, in the order shown."""
    keys: tuple[str, ...]
    """Dotted parameter keys it sets."""
    help: str
    kind: type
    """Type of a raw value: bool, float (a share in [0, 1]), int (years) or str (a rule)."""
    _apply: Callable[[Any, dict[str, Any]], dict[str, Any]]
    _read: Callable[[dict[str, Any]], Any]

    @property
    def choices(self) -> list[str]:
        """What the control offers: the scenario's value, then each option in words."""
        return [USE_SCENARIO, *(words for words, _ in self.options)]

    def parse(self, given: Any) -> Any:
        """The lever's value from words or a raw value; None keeps the scenario's value."""
        if given is None or given == USE_SCENARIO:
            return None
        if isinstance(given, str):
            for words, value in self.options:
                if given == words:
                    return value
            if self.kind is str:
                for _, value in self.options:
                    if given == value:
                        return value
            raise InputError(f"{given!r} is not one of: {', '.join(self.choices)}", key=self.name)
        number = isinstance(given, int | float) and not isinstance(given, bool)
        if self.kind is bool and isinstance(given, bool):
            return given
        if self.kind is int and number and given == int(given) and given >= 0:
            return int(given)
        if self.kind is float and number and 0.0 <= given <= 1.0:
            return float(given)
        raise InputError(f"{given!r} is not one of: {', '.join(self.choices)}", key=self.name)

    def apply(self, value: Any, base: dict[str, Any]) -> dict[str, Any]:
        """Dotted-key values that set this lever to `value` over the scenario's `base` values."""
        return self._apply(value, base)

    def read(self, values: dict[str, Any]) -> Any:
        """The lever's value in a run's dotted-key values."""
        return self._read(values)

    def words(self, value: Any) -> str:
        """A value in the words the control uses (or a plain rendering if it has none)."""
        for words, option in self.options:
            if option == value and type(option) is type(value):
                return words
        if isinstance(value, str):
            return value
        if isinstance(value, tuple):  # share of non-profits and of commercial independents
            nonprofit, commercial = value
            if nonprofit == commercial:
                return self.words(nonprofit)
            return f"non-profits {_pct(nonprofit)}, commercial {_pct(commercial)}"
        if self.kind is bool:
            return _on_off(bool(value))
        if self.kind is float:
            return _pct(value) if self.name != "participant_control" else f"{value:g}"
        if self.kind is int:
            return f"after {value} years"
        return str(value)


NP = "practitioners.independent_nonprofit"
CO = "practitioners.independent_commercial"


def _safety_net(value: float, base: dict[str, Any]) -> dict[str, Any]:
    out = {f"{NP}.safety_net_share": value, f"{CO}.safety_net_share": value}
    # A commercial independent with a funder needs a grant to fall back on: when the scenario
    # gives commercial independents none, they get the non-profits' (or the default) grant.
    if base.get(f"{CO}.safety_net_funding", 0.0) <= 0.0:
        grant = base.get(f"{NP}.safety_net_funding", 0.0) or FLAT[f"{NP}.safety_net_funding"].default
        out[f"{CO}.safety_net_funding"] = grant
    return out


def _read_safety_net(values: dict[str, Any]) -> Any:
    nonprofit = values[f"{NP}.safety_net_share"] if values[f"{NP}.safety_net_funding"] > 0 else 0.0
    commercial = values[f"{CO}.safety_net_share"] if values[f"{CO}.safety_net_funding"] > 0 else 0.0
    return nonprofit if nonprofit == commercial else (nonprofit, commercial)


def _read_entry(values: dict[str, Any]) -> Any:
    if values["large_firms.entry_value_threshold"] > 0:
        return f"once the market is worth {values['large_firms.entry_value_threshold']:g}k a year"
    step = values["large_firms.entry_step"]
    return step // 12 if step % 12 == 0 else f"at month {step}"


SHARES = tuple((_pct(s), s) for s in (0.0, 0.25, 0.5, 0.75, 1.0))

LEVERS: tuple[Lever, ...] = (
    Lever(
        "rule", "Procurement rule",
        (("price only", "price"), ("quality scoring", "quality"),
         ("direct award", "direct"), ("consortium", "consortium")),
        ("procurement.rule",),
        "How tenders are decided: on price alone; on price, experience and reputation; by direct "
        "award to a practitioner the commissioner trusts; or consortium tenders that need an "
        "experienced partner.",
        str,
        lambda v, base: {"procurement.rule": v},
        lambda values: values["procurement.rule"],
    ),
    Lever(
        "safety_net_share", "Independents with a funder",
        SHARES,
        (f"{NP}.safety_net_share", f"{CO}.safety_net_share", f"{CO}.safety_net_funding"),
        "Share of independent organisations (non-profit and commercial) with an external or "
        "philanthropic funder: a financial safety net when a commissioner threatens not to pay.",
        float,
        _safety_net,
        _read_safety_net,
    ),
    Lever(
        "large_firms", "Large firms",
        (("on", True), ("off", False)),
        ("large_firms.enabled",),
        "Whether large consulting and polling firms enter the market.",
        bool,
        lambda v, base: {"large_firms.enabled": v},
        lambda values: values["large_firms.enabled"],
    ),
    Lever(
        "entry_year", "Large firms enter",
        (("at the start", 0), *((f"after {y} year{'s' if y > 1 else ''}", y) for y in range(1, 9))),
        ("large_firms.entry_step", "large_firms.entry_value_threshold"),
        "When large firms enter, if they do.",
        int,
        lambda v, base: {"large_firms.entry_step": 12 * v, "large_firms.entry_value_threshold": 0.0},
        _read_entry,
    ),
    Lever(
        "transparency_mandate", "Transparency mandate",
        (("on", True), ("off", False)),
        ("governance.transparency_mandate",),
        "All materials and the report must be published; non-disclosure agreements are barred.",
        bool,
        lambda v, base: {"governance.transparency_mandate": v},
        lambda values: values["governance.transparency_mandate"],
    ),
    Lever(
        "funder_separation", "Funded by someone else",
        SHARES,
        ("governance.separate_funder_share",),
        "Share of processes paid for by a body other than the commissioner (funder separation).",
        float,
        lambda v, base: {"governance.separate_funder_share": v},
        lambda values: values["governance.separate_funder_share"],
    ),
    Lever(
        "oversight_board", "Oversight board",
        (("on", True), ("off", False)),
        ("governance.oversight_board",),
        "An independent board watches every process.",
        bool,
        lambda v, base: {"governance.oversight_board": v},
        lambda values: values["governance.oversight_board"],
    ),
    Lever(
        "participant_control", "Participant control",
        (("none (0)", 0.0), ("low (0.2)", 0.2), ("half (0.5)", 0.5), ("high (0.8)", 0.8),
         ("full (1)", 1.0)),
        ("governance.participant_control",),
        "How far participants choose the experts and write the report themselves (a 'light "
        "touch').",
        float,
        lambda v, base: {"governance.participant_control": v},
        lambda values: values["governance.participant_control"],
    ),
)

LEVER_BY_NAME = {lever.name: lever for lever in LEVERS}


def check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"expected a whole number >= 0, got {seed!r}", key="seed")
    return seed


class ClassroomMarket(DMPMarket):
    """`DMPMarket` from a bundled scenario, a seed and the app's levers (see the module doc).

    Every argument has a default, and unknown dotted keys are passed through, so Mesa's
    SolaraViz (3.3 and 3.5) can rebuild it with ``type(model)(**params)`` on Reset. The run stops
    (``running`` turns False) at the scenario's horizon, ``run.steps``.
    """

    def __init__(
        self,
        scenario_name: str = DEFAULT_SCENARIO,
        seed: int = DEFAULT_SEED,
        rule: Any = USE_SCENARIO,
        safety_net_share: Any = USE_SCENARIO,
        large_firms: Any = USE_SCENARIO,
        entry_year: Any = USE_SCENARIO,
        transparency_mandate: Any = USE_SCENARIO,
        funder_separation: Any = USE_SCENARIO,
        oversight_board: Any = USE_SCENARIO,
        participant_control: Any = USE_SCENARIO,
        **kwargs: Any,
    ) -> None:
        # `**kwargs` (by that name: Mesa 3.3's SolaraViz checks for it) takes dotted keys.
        # Mesa 3.5's SolaraViz adds its own `scenario` object on Reset; the seed fixes the run.
        more = dict(kwargs)
        more.pop("scenario", None)
        if "rng" in more:
            seed = more.pop("rng")
        given = {
            "rule": rule, "safety_net_share": safety_net_share, "large_firms": large_firms,
            "entry_year": entry_year, "transparency_mandate": transparency_mandate,
            "funder_separation": funder_separation, "oversight_board": oversight_board,
            "participant_control": participant_control,
        }
        self.scenario_name = scenario_name
        self.seed = check_seed(seed)
        scenario = load_scenario(scenario_name)
        self.scenario_description = scenario.description
        base = scenario.effective()
        self.base_values = base
        self.chosen = {name: LEVER_BY_NAME[name].parse(v) for name, v in given.items()}
        values = dict(base)
        for name, value in self.chosen.items():
            if value is not None:
                values.update(LEVER_BY_NAME[name].apply(value, base))
        values.update(more)
        self.settings = {"scenario_name": scenario_name, "seed": self.seed, **given, **more}
        super().__init__(values, rng=self.seed)
        self.horizon = self.p.run.steps
        self.twins: dict[tuple[str, Any], ClassroomMarket] = {}
        # Mesa's "Use Threads" steps the model in another thread while the page renders: each
        # whole step (Mesa's own counting included) holds this lock, and so does every view
        # while it reads the model (`dmpsim.app.components.locked`).
        self.lock = threading.RLock()
        mesa_step = self.step

        def step(*args: Any, **kwargs: Any) -> None:
            with self.lock:
                mesa_step(*args, **kwargs)

        self.step = step

    def step(self) -> None:
        super().step()
        if self.steps >= self.horizon:
            self.running = False

    def lever_value(self, name: str) -> Any:
        """The value this run uses for a lever."""
        return LEVER_BY_NAME[name].read(self.values)

    def lever_source(self, name: str) -> str:
        """'your choice' if a control overrides the scenario, else 'scenario'."""
        return "scenario" if self.chosen[name] is None else "your choice"

    def lever_lines(self) -> list[tuple[str, str, str]]:
        """(label, value in words, where it comes from) for every lever of this run."""
        out = []
        for lever in LEVERS:
            value = self.lever_value(lever.name)
            if lever.name == "entry_year" and not self.values["large_firms.enabled"]:
                words = "never (large firms off)"
            else:
                words = lever.words(value)
            out.append((lever.label, words, self.lever_source(lever.name)))
        return out


LARGE_FIRM_CLAUSE = re.compile(
    r"(?:[;,]\s*(?:in a market that )?large firms enter in year \d+"
    r"|,\s*no large firms"
    r"|, but large consulting and polling firms enter the market in year \d+)")
"""The part of a scenario's description that says when (or whether) large firms enter."""


def card_description(model: ClassroomMarket) -> str:
    """The scenario's description as this run has it: if a control changes large firms' entry,
    the scenario's own words about it are replaced by the run's; if any other control is set,
    the text says that the rows marked 'your choice' change it."""
    text = model.scenario_description
    if model.chosen["large_firms"] is not None or model.chosen["entry_year"] is not None:
        text = LARGE_FIRM_CLAUSE.sub("", text)
        if model.values["large_firms.enabled"]:
            entry = LEVER_BY_NAME["entry_year"].words(model.lever_value("entry_year"))
            text += f"; large firms enter {entry}"
        else:
            text += "; no large firms"
    others = [n for n, v in model.chosen.items()
              if v is not None and n not in ("large_firms", "entry_year")]
    if others:
        text += " (as changed by the rows marked \"your choice\")"
    return text


def contrast_options(model: ClassroomMarket, lever_name: str) -> list[str]:
    """A lever's options in words, those that would change `model`'s run first."""
    lever = LEVER_BY_NAME[lever_name]
    current = model.lever_value(lever_name)
    differ = [w for w, v in lever.options if not (v == current and type(v) is type(current))]
    same = [w for w, v in lever.options if w not in differ]
    return differ + same


def twin(model: ClassroomMarket, lever_name: str, words: str) -> ClassroomMarket:
    """Run B of the side-by-side view: `model`'s scenario, seed and controls with one lever set
    to `words`, stepped to the same month as `model`.

    Twins are kept on the model they follow, so changing tabs or re-rendering does not restart
    them, and a Reset (a new model) starts new ones. Same seed, same twin run.
    """
    key = (lever_name, words)
    b = model.twins.get(key)
    if b is None:
        b = ClassroomMarket(**{**model.settings, lever_name: words})
        model.twins[key] = b
    while b.steps < model.steps and b.running:
        b.step()
    return b


def differing_values(a: ClassroomMarket, b: ClassroomMarket) -> dict[str, tuple[Any, Any]]:
    """Dotted keys whose values differ between two runs: (a's value, b's value)."""
    out = {}
    for key, value in a.values.items():
        other = b.values[key]
        same = value == other or (isinstance(value, float) and math.isnan(value)
                                  and isinstance(other, float) and math.isnan(other))
        if not same:
            out[key] = (value, other)
    return out


def scenario_names() -> list[str]:
    return bundled_names()
