"""Experiment files: a base scenario, the parameters to vary, a design, replications and outputs.

An experiment is a TOML file under ``experiments/`` (or anywhere, by path)::

    description = "Price-only against quality tenders, three large-firm bid rates"
    scenario = "classroom"            # bundled scenario name, or a path relative to this file
    seed = 1                          # every run's seed derives from it (see `run_seed`)
    replications = 4
    steps = 24                        # optional: default is the scenario's run.steps
    common_random_numbers = true      # replication k of every design point shares its seed

    [set]                             # fixed values on top of the scenario
    "large_firms.entry_step" = 6

    [parameters]                      # what varies: a list, a range or a distribution
    "procurement.rule" = ["price", "quality"]
    "large_firms.bid_rate" = { range = [0.2, 0.8], num = 3 }

    [design]
    type = "factorial"                # factorial | tuples | lhs | sobol | morris

    [outputs]
    series = true                     # keep per-step series as well as the per-run summary
    interval = 6                      # every 6th step (and the last)

docs/sweeps.md documents every key. Every problem is reported, before anything runs, as one line
naming the file, the key and what is wrong -- the same errors as scenario files, since every
value goes through `dmpsim.params.check_value`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io.provenance import plain
from ..model.params import FLAT, check_tree, check_value, did_you_mean
from .scenario import Scenario, bundled_dir, bundled_names, flatten, load_scenario, read_toml

if TYPE_CHECKING:
    from .run import RunResult

DESIGN_TYPES = ("factorial", "tuples", "lhs", "sobol", "morris")
SAMPLING_DESIGNS = ("lhs", "sobol", "morris")
DISTRIBUTIONS = ("uniform", "normal", "triangular", "loguniform")

TOP_KEYS = ("description", "name", "scenario", "seed", "replications", "steps",
            "common_random_numbers", "set", "parameters", "design", "outputs")
DESIGN_OPTIONS = {
    "factorial": ("type",),
    "tuples": ("type", "points"),
    "lhs": ("type", "samples", "seed"),
    "sobol": ("type", "samples", "second_order", "seed"),
    "morris": ("type", "trajectories", "levels", "seed"),
}
OUTPUT_KEYS = ("series", "interval", "columns")
SPEC_KEYS = ("values", "range", "num", "step", "distribution", "lo", "hi", "mean", "sd", "mode")
# Upper bounds on a design's size, checked before anything is allocated (and by --dry-run): a
# sweep of more is a mistake (a grid step of 1e-12), not a plan.
MAX_POINTS = 1_000_000
MAX_RUNS = 10_000_000


# -- seeds ------------------------------------------------------------------------------------

def run_seed(experiment_seed: int, point: int, replication: int,
             common_random_numbers: bool = True) -> int:
    """The seed of one run, derived from the experiment's seed and the run's identity.

    A `numpy.random.SeedSequence` hashes (experiment seed, spawn key) into well-mixed state, so
    neighbouring identities give unrelated streams. With common random numbers the spawn key is
    the replication alone, so replication k of every design point starts from the same seed and
    differences between points are not swamped by seed-to-seed noise; without, it is (point,
    replication). The result is a 63-bit int, so it fits a Parquet int64 and `dmpsim.run`.
    """
    key = (replication,) if common_random_numbers else (point, replication)
    state = np.random.SeedSequence(experiment_seed, spawn_key=key).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(1))


# -- varied parameters ------------------------------------------------------------------------

@dataclass(frozen=True)
class Factor:
    """One varied parameter and how it varies.

    ``kind`` is ``"values"`` (an explicit list: levels of a factorial, categories of a sampling
    design), ``"range"`` (``lo``..``hi``: a grid of ``num`` values or ``step`` apart in a
    factorial, uniform in a sampling design) or ``"distribution"`` (sampling designs only).
    """

    key: str
    kind: str
    values: tuple = ()
    lo: float | None = None
    hi: float | None = None
    num: int | None = None
    step: float | None = None
    distribution: str = "uniform"
    mean: float | None = None
    sd: float | None = None
    mode: float | None = None

    @property
    def type(self) -> type:
        return FLAT[self.key].type

    def levels(self) -> list[Any]:
        """The values a factorial design takes (lists and gridded ranges)."""
        if self.kind == "values":
            return list(self.values)
        assert self.lo is not None and self.hi is not None
        if self.num is not None:
            grid = np.linspace(self.lo, self.hi, self.num)
        else:
            assert self.step is not None
            count = int(math.floor((self.hi - self.lo) / self.step + 1e-9)) + 1
            grid = self.lo + self.step * np.arange(count)
        if self.type is int:
            return [int(round(v)) for v in grid]
        # Rounding away float noise (0.30000000000000004) keeps the values readable in tables.
        return [float(round(v, 12)) for v in grid]

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Map unit-interval coordinates of a sampling design to this parameter's values.

        Categories take equal shares of [0, 1]; whole numbers in a range likewise (each of
        lo..hi equally likely); real ranges scale linearly; distributions use their quantile
        function. Results are clipped to the bounds, so float rounding cannot step outside.
        """
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        if self.kind == "values":
            index = np.minimum((u * len(self.values)).astype(int), len(self.values) - 1)
            return np.array(self.values, dtype=object)[index]
        lo, hi = float(self.lo), float(self.hi)
        if self.distribution == "uniform":
            if self.type is int:
                width = int(hi) - int(lo) + 1
                return int(lo) + np.minimum((u * width).astype(int), width - 1)
            x = u * (hi - lo) + lo   # SALib's own scaling, so uniform factors match it exactly
        else:
            from scipy import stats

            if self.distribution == "normal":
                a, b = (lo - self.mean) / self.sd, (hi - self.mean) / self.sd
                x = stats.truncnorm(a, b, loc=self.mean, scale=self.sd).ppf(u)
            elif self.distribution == "triangular":
                c = (self.mode - lo) / (hi - lo)
                x = stats.triang(c, loc=lo, scale=hi - lo).ppf(u)
            else:
                x = stats.loguniform(lo, hi).ppf(u)
        x = np.clip(x, lo, hi)
        if self.type is int:
            return np.clip(np.rint(x), math.ceil(lo), math.floor(hi)).astype(int)
        return x.astype(float)

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "kind": self.kind, "type": self.type.__name__}
        if self.kind == "values":
            out["values"] = list(self.values)
            return out
        out.update(lo=self.lo, hi=self.hi)
        if self.kind == "range":
            out.update(num=self.num, step=self.step)
        else:
            out.update(distribution=self.distribution, mean=self.mean, sd=self.sd, mode=self.mode)
        return {k: v for k, v in out.items() if v is not None}


def _number(value: Any, source: str, key: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise InputError(f"{what} must be a number, got {value!r}", source=source, key=key)
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise InputError(f"{what} must be a finite number, got {value!r}", source=source, key=key)
    return number


def _too_many(what: str, count: float, limit: int = MAX_POINTS) -> str:
    shown = f"{count:,.0f}" if count < 1e15 else f"{count:.3g}"
    return f"{what} makes {shown} design points, more than a sweep may have ({limit:,})"


def _bound(key: str, value: Any, source: str, what: str) -> float:
    """A bound or location of a range/distribution, checked against the parameter's range."""
    _number(value, source, key, what)
    try:
        return float(check_value(key, value, source))
    except InputError as exc:
        raise InputError(f"{what}: {exc.problem}", source=source, key=key) from None


def parse_factor(key: str, spec: Any, source: str, design: str) -> Factor:
    """Check one entry of ``[parameters]`` against the schema and the design type."""
    p = FLAT[key]
    sampling = design in SAMPLING_DESIGNS
    if isinstance(spec, list):
        spec = {"values": spec}
    if not isinstance(spec, dict):
        raise InputError(
            f"a varied parameter needs a list of values, a range or a distribution, got {spec!r}"
            " (to fix it at one value, put it under [set])", source=source, key=key)
    for option in spec:
        if option not in SPEC_KEYS:
            raise InputError(f"unknown option '{option}'{did_you_mean(option, list(SPEC_KEYS))}",
                             source=source, key=key)
    forms = [f for f in ("values", "range", "distribution") if f in spec]
    if len(forms) != 1:
        raise InputError("give exactly one of a list (values = [...]), range = [lo, hi] or "
                         "distribution = \"...\"", source=source, key=key)
    form = forms[0]

    if form == "values":
        extra = set(spec) - {"values"}
        if extra:
            raise InputError(f"'{sorted(extra)[0]}' does not apply to a list of values",
                             source=source, key=key)
        values = spec["values"]
        if not isinstance(values, list) or not values:
            raise InputError(f"expected a non-empty list of values, got {values!r}",
                             source=source, key=key)
        checked = tuple(check_value(key, v, source) for v in values)
        if len(set(checked)) != len(checked):
            raise InputError(f"repeated value in {list(values)!r}", source=source, key=key)
        return Factor(key, "values", values=checked)

    if p.type not in (int, float):
        raise InputError(f"a {form} needs a numeric parameter; list the values instead "
                         f"(e.g. {list(p.choices) if p.choices else [True, False]!r})",
                         source=source, key=key)

    if form == "range":
        bounds = spec["range"]
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise InputError(f"range must be [lo, hi], got {bounds!r}", source=source, key=key)
        lo = _bound(key, bounds[0], source, "range start")
        hi = _bound(key, bounds[1], source, "range end")
        if not lo < hi:
            raise InputError(f"range start must be below its end, got {bounds!r}",
                             source=source, key=key)
        for option in ("lo", "hi", "mean", "sd", "mode"):
            if option in spec:
                raise InputError(f"'{option}' belongs to a distribution, not a range",
                                 source=source, key=key)
        num = spec.get("num")
        step = spec.get("step")
        if sampling:
            if num is not None or step is not None:
                raise InputError(f"num/step make a grid, which a {design} design does not use; "
                                 "give range = [lo, hi] only", source=source, key=key)
        elif num is None and step is None:
            raise InputError(f"a range in a {design} design needs num (how many values) or step",
                             source=source, key=key)
        elif num is not None and step is not None:
            raise InputError("give num or step, not both", source=source, key=key)
        if num is not None and (isinstance(num, bool) or not isinstance(num, int) or num < 2):
            raise InputError(f"num must be a whole number >= 2, got {num!r}",
                             source=source, key=key)
        if num is not None and num > MAX_POINTS:
            raise InputError(_too_many(f"num = {num}", num), source=source, key=key)
        if step is not None:
            step = _number(step, source, key, "step")
            if step <= 0:
                raise InputError(f"step must be > 0, got {step!r}", source=source, key=key)
            if p.type is int and step != int(step):
                raise InputError(f"step must be a whole number for this parameter, got {step!r}",
                                 source=source, key=key)
            count = math.floor((hi - lo) / step + 1e-9) + 1
            if count > MAX_POINTS:
                raise InputError(_too_many(f"step = {step:g} from {lo:g} to {hi:g}", count),
                                 source=source, key=key)
        if p.type is int and (lo != int(lo) or hi != int(hi)):
            raise InputError(f"range must be whole numbers for this parameter, got {bounds!r}",
                             source=source, key=key)
        factor = Factor(key, "range", lo=lo, hi=hi, num=num, step=step)
        if not sampling:
            grid = factor.levels()
            if len(set(grid)) != len(grid):
                raise InputError(f"num = {num} repeats whole numbers between {lo:g} and {hi:g}; "
                                 "use step", source=source, key=key)
        return factor

    # a distribution
    if not sampling:
        raise InputError(f"a distribution needs a sampling design (lhs, sobol or morris), not "
                         f"{design}; use a list or a range with num/step", source=source, key=key)
    dist = spec["distribution"]
    if dist not in DISTRIBUTIONS:
        raise InputError(f"unknown distribution {dist!r}; one of {', '.join(DISTRIBUTIONS)}"
                         f"{did_you_mean(str(dist), list(DISTRIBUTIONS))}", source=source, key=key)
    needs = {"uniform": ("lo", "hi"), "loguniform": ("lo", "hi"), "triangular": ("lo", "mode", "hi"),
             "normal": ("mean", "sd")}[dist]
    allowed = set(needs) | {"distribution"} | ({"lo", "hi"} if dist == "normal" else set())
    for option in spec:
        if option not in allowed:
            raise InputError(f"'{option}' does not apply to a {dist} distribution (it takes "
                             f"{', '.join(needs)})", source=source, key=key)
    for option in needs:
        if option not in spec:
            raise InputError(f"a {dist} distribution needs {', '.join(needs)}; '{option}' is missing",
                             source=source, key=key)
    if dist == "normal":
        mean = _bound(key, spec["mean"], source, "mean")
        sd = _number(spec["sd"], source, key, "sd")
        if sd <= 0:
            raise InputError(f"sd must be > 0, got {sd!r}", source=source, key=key)
        # Truncated at the parameter's own range unless narrower bounds are given: every sampled
        # value must be one the model accepts, and Morris needs finite ends.
        lo = _bound(key, spec["lo"], source, "lo") if "lo" in spec else p.lo
        hi = _bound(key, spec["hi"], source, "hi") if "hi" in spec else p.hi
        if lo is None or hi is None:
            raise InputError("a normal distribution needs lo and hi here (the parameter itself "
                             "is unbounded)", source=source, key=key)
        if not lo < hi:
            raise InputError(f"lo must be below hi, got {lo:g} and {hi:g}", source=source, key=key)
        if not lo <= mean <= hi:
            raise InputError(f"mean {mean:g} is outside [{lo:g}, {hi:g}]", source=source, key=key)
        return Factor(key, "distribution", lo=float(lo), hi=float(hi), distribution=dist,
                      mean=mean, sd=sd)
    lo = _bound(key, spec["lo"], source, "lo")
    hi = _bound(key, spec["hi"], source, "hi")
    if not lo < hi:
        raise InputError(f"lo must be below hi, got {lo:g} and {hi:g}", source=source, key=key)
    mode = None
    if dist == "triangular":
        mode = _bound(key, spec["mode"], source, "mode")
        if not lo <= mode <= hi:
            raise InputError(f"mode {mode:g} is outside [{lo:g}, {hi:g}]", source=source, key=key)
    if dist == "loguniform" and lo <= 0:
        raise InputError(f"a loguniform distribution needs lo > 0, got {lo:g}",
                         source=source, key=key)
    if p.type is int and dist == "uniform" and (lo != int(lo) or hi != int(hi)):
        raise InputError("lo and hi must be whole numbers for this parameter", source=source, key=key)
    return Factor(key, "distribution", lo=lo, hi=hi, distribution=dist, mode=mode)


def _collect_keys(table: dict[str, Any], source: str, section: str,
                  prefix: str = "") -> dict[str, Any]:
    """Nested or dotted tables down to parameter keys; the leaves are left unparsed."""
    out: dict[str, Any] = {}
    for name, value in table.items():
        key = f"{prefix}.{name}" if prefix else name
        if key in FLAT:
            out[key] = value
        elif isinstance(value, dict) and any(k.startswith(key + ".") for k in FLAT):
            out.update(_collect_keys(value, source, section, key))
        else:
            raise InputError(f"unknown parameter in [{section}]{did_you_mean(key, list(FLAT))}",
                             source=source, key=key)
    return out


# -- outputs ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outputs:
    """What each run keeps: the summary always; per-step series every `interval` steps if asked."""

    series: bool = False
    interval: int = 1
    columns: tuple[str, ...] = ()

    def describe(self) -> dict[str, Any]:
        return {"summary": True, "series": self.series, "interval": self.interval,
                "columns": list(self.columns)}


def _parse_outputs(table: Any, source: str) -> Outputs:
    from ..model import MODEL_SERIES

    if table is None:
        return Outputs()
    if not isinstance(table, dict):
        raise InputError(f"expected a table, got {table!r}", source=source, key="outputs")
    for name in table:
        if name not in OUTPUT_KEYS:
            raise InputError(f"unknown key{did_you_mean(name, list(OUTPUT_KEYS))}",
                             source=source, key=f"outputs.{name}")
    series = table.get("series", False)
    if not isinstance(series, bool):
        raise InputError(f"expected true or false, got {series!r}", source=source,
                         key="outputs.series")
    interval = table.get("interval", 1)
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        raise InputError(f"expected a whole number >= 1, got {interval!r}", source=source,
                         key="outputs.interval")
    columns = table.get("columns", list(MODEL_SERIES))
    if not isinstance(columns, list) or not columns:
        raise InputError(f"expected a non-empty list of model columns, got {columns!r}",
                         source=source, key="outputs.columns")
    for column in columns:
        if column not in MODEL_SERIES:
            hint = did_you_mean(str(column), list(MODEL_SERIES))
            raise InputError(f"unknown model column {column!r}{hint}", source=source,
                             key="outputs.columns")
    if ("interval" in table or "columns" in table) and not series:
        raise InputError("interval/columns apply to per-step series; add series = true",
                         source=source, key="outputs")
    return Outputs(series, interval, tuple(columns))


# -- the experiment ---------------------------------------------------------------------------

@dataclass
class SalibDesign:
    """A Sobol' or Morris design in SALib's row order, for `SALib.analyze` after a sweep.

    Row ``i`` of `unit` is design point ``i``; its runs are ``run_ids[i]`` (one per
    replication). SALib sampled in the unit hypercube (`problem` has bounds [0, 1]) and each
    column was mapped to its parameter by `Factor.from_unit`; `values` holds those parameter
    values (a category as its index). For Sobol' indices pass `problem` and one output per row
    (e.g. the mean over replications) to ``SALib.analyze.sobol.analyze``; for Morris pass
    `problem`, `unit` and the outputs to ``SALib.analyze.morris.analyze`` with ``num_levels``
    from `options` (elementary effects are then per unit of each parameter's normalised range).
    """

    method: str
    problem: dict[str, Any]
    unit: np.ndarray
    values: np.ndarray
    run_ids: np.ndarray
    options: dict[str, Any]
    factors: list[dict[str, Any]]


@dataclass
class Experiment:
    """A parsed, validated experiment: everything a sweep needs, and nothing it has to re-read.

    The design is built (and every design point checked) when the experiment is loaded, so a
    sweep never starts on a file that would fail half-way.
    """

    name: str
    description: str
    source: str
    scenario: Scenario
    fixed: dict[str, Any]
    factors: list[Factor]
    design: str
    design_options: dict[str, Any]
    replications: int
    steps: int | None
    seed: int
    common_random_numbers: bool
    outputs: Outputs
    keys: list[str] = field(default_factory=list)
    _columns: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _unit: np.ndarray | None = field(default=None, repr=False)

    # identity of runs
    @property
    def n_points(self) -> int:
        return len(next(iter(self._columns.values()))) if self._columns else 1

    @property
    def n_runs(self) -> int:
        return self.n_points * self.replications

    def run_id(self, point: int, replication: int) -> int:
        """Runs are numbered point by point, replications within a point: sorting by run id
        sorts by (point, replication)."""
        return point * self.replications + replication

    def identity(self, run_id: int) -> tuple[int, int]:
        """(point, replication) of a run id."""
        return divmod(int(run_id), self.replications)

    def seed_for(self, point: int, replication: int) -> int:
        return run_seed(self.seed, point, replication, self.common_random_numbers)

    def point_values(self, point: int) -> dict[str, Any]:
        """The varied parameters' values at a design point, as plain Python values."""
        return {k: plain(self._columns[k][point]) for k in self.keys}

    def design_table(self) -> pd.DataFrame:
        """One row per design point: ``point`` and one column per varied parameter."""
        table = pd.DataFrame({"point": np.arange(self.n_points)})
        for key in self.keys:
            column = self._columns[key]
            table[key] = column.tolist() if column.dtype == object else column
        return table

    def effective_steps(self) -> int:
        """Months per run (the largest, if run.steps is itself varied)."""
        if self.steps is not None:
            return self.steps
        if "run.steps" in self._columns:
            return int(np.max(self._columns["run.steps"].astype(int)))
        return int(self.scenario.effective()["run.steps"])

    def rerun(self, run_id: int) -> RunResult:
        """Run one run of the sweep again, alone, from its id: the same summary, every time."""
        from .run import run

        point, replication = self.identity(run_id)
        return run(self.scenario, seed=self.seed_for(point, replication), steps=self.steps,
                   overrides=self.point_values(point))

    # records
    def describe(self) -> dict[str, Any]:
        """The experiment as plain data, for the manifest (and the fingerprint)."""
        return {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "scenario": {"name": self.scenario.name, "source": self.scenario.source,
                         "values": self.scenario.values},
            "set": self.fixed,
            "parameters": [f.describe() for f in self.factors] if self.factors else
            [{"key": k, "kind": "tuples"} for k in self.keys],
            "design": {"type": self.design, **self.design_options},
            "points": self.n_points,
            "replications": self.replications,
            "runs": self.n_runs,
            "steps": self.steps,
            "seed": self.seed,
            "common_random_numbers": self.common_random_numbers,
            "seeding": "numpy SeedSequence(seed, spawn_key=(replication,) if common random numbers "
                       "else (point, replication)), first 64-bit word >> 1",
            "run_id": "point * replications + replication",
            "outputs": self.outputs.describe(),
        }

    def fingerprint(self) -> str:
        """Hash of what determines the results: settings, effective base values and the design
        matrix itself (so a library upgrade that changes sampled points is caught on resume)."""
        settings = self.describe()
        for label in ("name", "description", "source"):
            settings.pop(label)
        settings["scenario"] = {"effective": self.scenario.effective()}
        digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
        for key in self.keys:
            digest.update(key.encode())
            digest.update(repr(self._columns[key].tolist()).encode())
        return digest.hexdigest()[:16]

    def salib_design(self) -> SalibDesign:
        """The design matrix in SALib order, with the run ids of each row (Sobol' and Morris)."""
        if self.design not in ("sobol", "morris") or self._unit is None:
            raise InputError(f"a {self.design} design has no SALib form; use sobol or morris",
                             source=self.source, key="design.type")
        values = np.column_stack([
            _as_numeric(self._columns[f.key], f) for f in self.factors
        ]).astype(float)
        run_ids = (np.arange(self.n_points)[:, None] * self.replications
                   + np.arange(self.replications)[None, :])
        return SalibDesign(self.design, _unit_problem(self.keys), self._unit.copy(), values,
                           run_ids, dict(self.design_options), [f.describe() for f in self.factors])


def _as_numeric(column: np.ndarray, factor: Factor) -> np.ndarray:
    if factor.kind == "values":
        lookup = {v: i for i, v in enumerate(factor.values)}
        return np.array([lookup[plain(v)] for v in column], dtype=float)
    return column.astype(float)


def _unit_problem(keys: list[str]) -> dict[str, Any]:
    return {"num_vars": len(keys), "names": list(keys), "bounds": [[0.0, 1.0]] * len(keys)}


# -- loading ----------------------------------------------------------------------------------

def _whole(table: dict[str, Any], name: str, default: Any, source: str, minimum: int,
           key: str | None = None, maximum: int | None = None) -> Any:
    value = table.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError(f"expected a whole number >= {minimum}, got {value!r}", source=source,
                         key=key or name)
    if maximum is not None and value > maximum:
        raise InputError(f"{value} is outside [{minimum}, {maximum}]", source=source,
                         key=key or name)
    return value


def _check_name(name: Any, source: str) -> str:
    """The experiment's name names its output folder: one plain folder name."""
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"expected a short name, got {name!r}", source=source, key="name")
    name = name.strip()
    if name in (".", "..") or any(c in name for c in "/\\") or not name.isprintable():
        raise InputError(f"expected a short name usable as a folder name (no '/', '\\', "
                         f"'.' or '..'), got {name!r}", source=source, key="name")
    return name


def _resolve_scenario(ref: Any, fixed: dict[str, Any], source: str, base_dir: Path | None) -> Scenario:
    if not isinstance(ref, str) or not ref.strip():
        raise InputError("expected a bundled scenario name or a path to a scenario file, got "
                         f"{ref!r}", source=source, key="scenario")
    path = Path(ref)
    looks_like_path = path.suffix == ".toml" or "/" in ref
    if looks_like_path:
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        if not path.is_file():
            raise InputError(f"scenario file {str(path)!r} not found", source=source,
                             key="scenario")
        return load_scenario(path, fixed)
    names = bundled_names()
    if ref not in names:
        raise InputError(f"no bundled scenario {ref!r}{did_you_mean(ref, names)}; bundled: "
                         f"{', '.join(names)}", source=source, key="scenario")
    return load_scenario(ref, fixed)


def parse_experiment(table: dict[str, Any], source: str = "<experiment>",
                     base_dir: Path | None = None, default_name: str = "experiment") -> Experiment:
    """Check an experiment given as a (TOML-shaped) dict and build its design."""
    if not isinstance(table, dict):
        raise InputError(f"expected a table, got {type(table).__name__}", source=source)
    for name in table:
        if name not in TOP_KEYS:
            raise InputError(f"unknown key{did_you_mean(name, list(TOP_KEYS))}"
                             f"{' (varied parameters go under [parameters])' if name in FLAT or '.' in name else ''}",
                             source=source, key=name)
    description = table.get("description")
    if not isinstance(description, str) or not description.strip():
        raise InputError("missing 'description' (one line saying what this experiment asks)",
                         source=source, key="description")
    name = _check_name(table.get("name", default_name), source)
    seed = _whole(table, "seed", 0, source, 0)
    replications = _whole(table, "replications", 1, source, 1, maximum=MAX_RUNS)
    steps = table.get("steps")
    if steps is not None:
        from .run import check_steps

        steps = check_steps(steps, key="steps", source=source)
    crn = table.get("common_random_numbers", True)
    if not isinstance(crn, bool):
        raise InputError(f"expected true or false, got {crn!r}", source=source,
                         key="common_random_numbers")

    fixed_table = table.get("set", {})
    if not isinstance(fixed_table, dict):
        raise InputError(f"expected a table of parameter values, got {fixed_table!r}",
                         source=source, key="set")
    for reserved in ("description", "name"):
        if reserved in fixed_table:
            raise InputError(f"unknown parameter in [set]{did_you_mean(reserved, list(FLAT))}",
                             source=source, key=reserved)
    fixed = flatten(fixed_table, source)
    scenario = _resolve_scenario(table.get("scenario", "baseline"), fixed, source, base_dir)

    design_table = table.get("design", {"type": "factorial"})
    if not isinstance(design_table, dict):
        raise InputError(f"expected a table, got {design_table!r}", source=source, key="design")
    design = design_table.get("type", "factorial")
    if design not in DESIGN_TYPES:
        raise InputError(f"unknown design {design!r}; one of {', '.join(DESIGN_TYPES)}"
                         f"{did_you_mean(str(design), list(DESIGN_TYPES))}", source=source,
                         key="design.type")
    for option in design_table:
        if option not in DESIGN_OPTIONS[design]:
            allowed = [o for o in DESIGN_OPTIONS[design] if o != "type"]
            raise InputError(f"unknown option for a {design} design{did_you_mean(option, allowed)}"
                             f"{'; it takes ' + ', '.join(allowed) if allowed else ''}",
                             source=source, key=f"design.{option}")

    raw = table.get("parameters", {})
    if not isinstance(raw, dict):
        raise InputError(f"expected a table, got {raw!r}", source=source, key="parameters")
    specs = _collect_keys(raw, source, "parameters")
    for key in specs:
        if key in fixed:
            raise InputError("both fixed in [set] and varied in [parameters]; keep one",
                             source=source, key=key)
    if "run.steps" in specs and steps is not None:
        raise InputError("run.steps is varied, so leave out the experiment's 'steps'",
                         source=source, key="steps")

    options: dict[str, Any] = {}
    if design == "tuples":
        if specs:
            raise InputError("a tuples design takes its values from design.points; move them "
                             "there or use a factorial design", source=source, key="parameters")
        factors: list[Factor] = []
        keys, columns = _tuple_points(design_table.get("points"), fixed,
                                      scenario.effective(), source)
        unit = None
    else:
        if not specs:
            raise InputError(f"a {design} design needs at least one parameter to vary",
                             source=source, key="parameters")
        factors = [parse_factor(k, v, source, design) for k, v in specs.items()]
        keys = [f.key for f in factors]
        if design == "factorial":
            columns, unit = _factorial(factors, source), None
        else:
            sampling_seed = _whole(design_table, "seed", seed, source, 0, "design.seed")
            columns, unit, options = _sample(design, design_table, factors, sampling_seed, source)
    n_points = len(next(iter(columns.values()))) if columns else 1
    if n_points * replications > MAX_RUNS:
        raise InputError(f"{n_points:,} design points x {replications:,} replications = "
                         f"{n_points * replications:,} runs, more than a sweep may have "
                         f"({MAX_RUNS:,})", source=source, key="replications")
    experiment = Experiment(
        name=name, description=description.strip(), source=source, scenario=scenario,
        fixed=fixed, factors=factors, design=design, design_options=options,
        replications=replications, steps=steps, seed=seed, common_random_numbers=crn,
        outputs=_parse_outputs(table.get("outputs"), source), keys=keys, _columns=columns,
        _unit=unit,
    )
    _check_points(experiment)
    return experiment


def _factorial(factors: list[Factor], source: str = "<experiment>") -> dict[str, np.ndarray]:
    """Every combination of the levels, the first parameter varying slowest."""
    levels = [f.levels() for f in factors]
    count = math.prod(len(level) for level in levels)
    if count > MAX_POINTS:
        raise InputError(_too_many("the factorial design (" + " x ".join(
            str(len(level)) for level in levels) + " levels)", count), source=source,
            key="parameters")
    combos = list(itertools.product(*levels))
    return {f.key: _column([c[i] for c in combos], f.type) for i, f in enumerate(factors)}


def _column(values: list[Any], kind: type) -> np.ndarray:
    if kind is float:
        return np.array(values, dtype=float)
    if kind is int:
        return np.array(values, dtype=np.int64)
    if kind is bool:
        return np.array(values, dtype=bool)
    return np.array(values, dtype=object)


def _tuple_points(points: Any, fixed: dict[str, Any], base: dict[str, Any], source: str
                  ) -> tuple[list[str], dict[str, np.ndarray]]:
    """Explicit design points. A key that some points leave out takes the base scenario's value
    there, so every row of the results shows the value the run actually used."""
    if not isinstance(points, list) or not points:
        raise InputError("a tuples design needs points = [{...}, ...] (one table per design "
                         "point)", source=source, key="design.points")
    rows = []
    for i, point in enumerate(points):
        if not isinstance(point, dict) or not point:
            raise InputError(f"point {i} must be a non-empty table of parameter values, got "
                             f"{point!r}", source=source, key="design.points")
        values = {}
        for key, value in _collect_keys(point, source, "design.points").items():
            if key in fixed:
                raise InputError("both fixed in [set] and varied in design.points; keep one",
                                 source=source, key=key)
            values[key] = check_value(key, value, source)
        rows.append(values)
    keys = list(dict.fromkeys(k for row in rows for k in row))
    return keys, {k: _column([row.get(k, base[k]) for row in rows], FLAT[k].type) for k in keys}


def _sample(design: str, table: dict[str, Any], factors: list[Factor], seed: int, source: str
            ) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, Any]]:
    """Unit-hypercube sample of a sampling design, then each column mapped to its parameter."""
    d = len(factors)
    options: dict[str, Any] = {"seed": seed}
    if design == "lhs":
        n = _whole(table, "samples", None, source, 1, "design.samples")
        if n is None:
            raise InputError("an lhs design needs samples (how many design points)",
                             source=source, key="design.samples")
        if n > MAX_POINTS:
            raise InputError(_too_many(f"samples = {n}", n), source=source,
                             key="design.samples")
        import inspect

        from scipy.stats import qmc

        # scipy >= 1.15 takes `rng`; older releases only `seed` (the project allows >= 1.11).
        seed_kw = "rng" if "rng" in inspect.signature(qmc.LatinHypercube).parameters else "seed"
        unit = qmc.LatinHypercube(d=d, **{seed_kw: seed}).random(n)
        options.update(samples=n)
    elif design == "sobol":
        n = _whole(table, "samples", None, source, 2, "design.samples")
        if n is None or n & (n - 1):
            raise InputError(f"a sobol design needs samples = N, a power of two >= 2 (base "
                             f"samples; runs N*(D+2)), got {n!r}", source=source,
                             key="design.samples")
        second = table.get("second_order", False)
        if not isinstance(second, bool):
            raise InputError(f"expected true or false, got {second!r}", source=source,
                             key="design.second_order")
        rows = n * ((2 * d + 2) if second else (d + 2))
        if rows > MAX_POINTS:
            raise InputError(_too_many(f"samples = {n} (N (D + 2) rows)", rows), source=source,
                             key="design.samples")
        from SALib.sample import sobol

        unit = sobol.sample(_unit_problem([f.key for f in factors]), n,
                            calc_second_order=second, scramble=True, seed=seed)
        options.update(samples=n, second_order=second,
                       rows_per_sample=(2 * d + 2) if second else (d + 2))
    else:
        n = _whole(table, "trajectories", None, source, 2, "design.trajectories")
        if n is None:
            raise InputError("a morris design needs trajectories (>= 2)", source=source,
                             key="design.trajectories")
        if n * (d + 1) > MAX_POINTS:
            raise InputError(_too_many(f"trajectories = {n} ((D + 1) rows each)", n * (d + 1)),
                             source=source, key="design.trajectories")
        levels = _whole(table, "levels", 4, source, 2, "design.levels", maximum=MAX_POINTS)
        if levels % 2:
            raise InputError(f"expected an even number of levels, got {levels}", source=source,
                             key="design.levels")
        from SALib.sample import morris

        unit = morris.sample(_unit_problem([f.key for f in factors]), n, num_levels=levels,
                             seed=seed)
        options.update(trajectories=n, levels=levels, rows_per_trajectory=d + 1)
    columns = {}
    for i, factor in enumerate(factors):
        mapped = factor.from_unit(unit[:, i])
        if factor.kind == "values":
            mapped = _column([plain(v) for v in mapped], factor.type)
        else:
            # Belt and braces: the ends of every numeric column go through the schema check.
            check_value(factor.key, plain(mapped.min()), source)
            check_value(factor.key, plain(mapped.max()), source)
        columns[factor.key] = mapped
    return columns, unit, options


def _check_points(experiment: Experiment) -> None:
    """Cross-key checks (e.g. level shares summing past 1) at every design point, up front."""
    base = experiment.scenario.effective()
    for point in range(experiment.n_points):
        values = experiment.point_values(point)
        try:
            check_tree({**base, **values}, experiment.source)
        except InputError as exc:
            shown = ", ".join(f"{k}={v!r}" for k, v in values.items())
            raise InputError(f"design point {point} ({shown}): {exc.problem}",
                             source=experiment.source, key=exc.key) from None


def load_experiment(ref: str | Path | Experiment | dict[str, Any]) -> Experiment:
    """An experiment by bundled name (``"smoke"``), by path, as a dict, or as given."""
    if isinstance(ref, Experiment):
        return ref
    if isinstance(ref, dict):
        return parse_experiment(ref)
    if not isinstance(ref, str | Path):
        raise InputError(f"expected an experiment name or path, got {type(ref).__name__}",
                         key="experiment")
    path = Path(ref)
    if not (path.suffix == ".toml" or path.exists() or "/" in str(ref)):
        names = bundled_names("experiments")
        if str(ref) not in names:
            raise InputError(f"no bundled experiment of that name{did_you_mean(str(ref), names)};"
                             f" bundled: {', '.join(names)}", source=str(ref))
        path = bundled_dir("experiments") / f"{ref}.toml"
    return parse_experiment(read_toml(path), str(path), path.resolve().parent, path.stem)


def salib_design(experiment: str | Path | Experiment) -> SalibDesign:
    """The SALib design matrix of a Sobol' or Morris experiment, with each row's run ids."""
    return load_experiment(experiment).salib_design()


__all__ = ["DESIGN_TYPES", "DISTRIBUTIONS", "Experiment", "Factor", "Outputs", "SalibDesign",
           "load_experiment", "parse_experiment", "run_seed", "salib_design"]
