"""The varied parameters of an experiment: each entry of ``[parameters]`` is one factor.

A factor takes one of three forms, each a small class that parses and checks its own TOML spec:

- `Values`: an explicit list (``["price", "quality"]`` or ``{ values = [...] }``): the levels of a
  factorial design, the categories of a sampling design;
- `Range`: ``{ range = [lo, hi] }``: a grid of ``num`` values or ``step`` apart in a factorial
  design, uniform on [lo, hi] in a sampling design;
- `Distribution`: ``{ distribution = "normal", mean = ..., sd = ... }`` (uniform, normal,
  triangular or loguniform): sampling designs only.

`parse_factor` picks the form of one entry and hands it over. Every factor gives the values a
factorial design takes (`Factor.levels`), maps unit-interval coordinates of a sampling design to
the parameter's values (`Factor.from_unit`) and describes itself for the manifest
(`Factor.describe`). Every value goes through `dmpsim.model.params.check_value`, so a factor
cannot take a value the model would refuse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..errors import InputError
from ..model.params import FLAT, P, check_value, did_you_mean
from .design import MAX_POINTS, SAMPLING_DESIGNS, _too_many

DISTRIBUTIONS = ("uniform", "normal", "triangular", "loguniform")
SPEC_KEYS = ("values", "range", "num", "step", "distribution", "lo", "hi", "mean", "sd", "mode")
# What each distribution takes (a normal distribution may also take lo and hi: its truncation).
DISTRIBUTION_OPTIONS = {"uniform": ("lo", "hi"), "loguniform": ("lo", "hi"),
                        "triangular": ("lo", "mode", "hi"), "normal": ("mean", "sd")}


# -- checked numbers --------------------------------------------------------------------------

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


def _bound(key: str, value: Any, source: str, what: str) -> float:
    """A bound or location of a range/distribution, checked against the parameter's range."""
    _number(value, source, key, what)
    try:
        return float(check_value(key, value, source))
    except InputError as exc:
        raise InputError(f"{what}: {exc.problem}", source=source, key=key) from None


def _numeric_parameter(key: str, form: str, source: str) -> P:
    """The parameter of a range or distribution, which must be a number."""
    p = FLAT[key]
    if p.type not in (int, float):
        raise InputError(f"a {form} needs a numeric parameter; list the values instead "
                         f"(e.g. {list(p.choices) if p.choices else [True, False]!r})",
                         source=source, key=key)
    return p


def _uniform(u: np.ndarray, lo: float, hi: float, kind: type) -> np.ndarray:
    """Unit coordinates spread evenly over [lo, hi]: whole numbers each equally likely."""
    if kind is int:
        width = int(hi) - int(lo) + 1
        return int(lo) + np.minimum((u * width).astype(int), width - 1)
    x = u * (hi - lo) + lo   # SALib's own scaling, so uniform factors match it exactly
    return np.clip(x, lo, hi).astype(float)


def _unit(u: np.ndarray) -> np.ndarray:
    return np.clip(np.asarray(u, dtype=float), 0.0, 1.0)


# -- the three forms --------------------------------------------------------------------------

@dataclass(frozen=True)
class Factor:
    """One varied parameter and how it varies: a `Values`, a `Range` or a `Distribution`.

    ``kind`` names the form (``"values"``, ``"range"`` or ``"distribution"``), as the manifest
    records it.
    """

    key: str
    kind: ClassVar[str]

    @property
    def type(self) -> type:
        """The parameter's Python type (the schema's)."""
        return FLAT[self.key].type

    def levels(self) -> list[Any]:
        """The values a factorial design takes (lists and gridded ranges)."""
        raise TypeError(f"a {self.kind} has no levels; a factorial design takes lists and "
                        "ranges with num or step")

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Map unit-interval coordinates of a sampling design to this parameter's values,
        clipped to the bounds so float rounding cannot step outside."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """The factor as plain data, for the manifest (and the fingerprint)."""
        return {"key": self.key, "kind": self.kind, "type": self.type.__name__}


@dataclass(frozen=True)
class Values(Factor):
    """An explicit list: the levels of a factorial, the categories of a sampling design (each
    taking an equal share of [0, 1])."""

    values: tuple[Any, ...]
    kind: ClassVar[str] = "values"

    @classmethod
    def parse(cls, key: str, spec: dict[str, Any], source: str, design: str) -> Values:
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
        return cls(key, checked)

    def levels(self) -> list[Any]:
        return list(self.values)

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        u = _unit(u)
        index = np.minimum((u * len(self.values)).astype(int), len(self.values) - 1)
        return np.array(self.values, dtype=object)[index]

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "values": list(self.values)}


@dataclass(frozen=True)
class Range(Factor):
    """``lo``..``hi``: in a factorial design a grid of ``num`` values or ``step`` apart, in a
    sampling design uniform (whole numbers each equally likely)."""

    lo: float
    hi: float
    num: int | None = None
    step: float | None = None
    kind: ClassVar[str] = "range"

    @classmethod
    def parse(cls, key: str, spec: dict[str, Any], source: str, design: str) -> Range:
        p = _numeric_parameter(key, "range", source)
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
        num, step = cls._grid(key, spec, source, design, lo, hi, p.type)
        if p.type is int and (lo != int(lo) or hi != int(hi)):
            raise InputError(f"range must be whole numbers for this parameter, got {bounds!r}",
                             source=source, key=key)
        factor = cls(key, lo, hi, num, step)
        if design not in SAMPLING_DESIGNS:
            grid = factor.levels()
            if len(set(grid)) != len(grid):
                raise InputError(f"num = {num} repeats whole numbers between {lo:g} and {hi:g}; "
                                 "use step", source=source, key=key)
        return factor

    @staticmethod
    def _grid(key: str, spec: dict[str, Any], source: str, design: str, lo: float, hi: float,
              kind: type) -> tuple[int | None, float | None]:
        """``num`` and ``step``: one of them in a factorial design, neither in a sampling one."""
        num = spec.get("num")
        step = spec.get("step")
        if design in SAMPLING_DESIGNS:
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
            if kind is int and step != int(step):
                raise InputError(f"step must be a whole number for this parameter, got {step!r}",
                                 source=source, key=key)
            count = math.floor((hi - lo) / step + 1e-9) + 1
            if count > MAX_POINTS:
                raise InputError(_too_many(f"step = {step:g} from {lo:g} to {hi:g}", count),
                                 source=source, key=key)
        return num, step

    def levels(self) -> list[Any]:
        if self.num is not None:
            grid = np.linspace(self.lo, self.hi, self.num)
        else:
            assert self.step is not None, "a range without num or step has no grid"
            count = int(math.floor((self.hi - self.lo) / self.step + 1e-9)) + 1
            grid = self.lo + self.step * np.arange(count)
        if self.type is int:
            return [int(round(v)) for v in grid]
        # Rounding away float noise (0.30000000000000004) keeps the values readable in tables.
        return [float(round(v, 12)) for v in grid]

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        return _uniform(_unit(u), float(self.lo), float(self.hi), self.type)

    def describe(self) -> dict[str, Any]:
        out = {**super().describe(), "lo": self.lo, "hi": self.hi, "num": self.num,
               "step": self.step}
        return {k: v for k, v in out.items() if v is not None}


@dataclass(frozen=True)
class Distribution(Factor):
    """A distribution on [lo, hi] (sampling designs only): ``uniform``, ``loguniform``,
    ``triangular`` (with its ``mode``) or ``normal`` (``mean``, ``sd``), truncated at the
    parameter's own range unless narrower bounds are given."""

    distribution: str
    lo: float
    hi: float
    mean: float | None = None
    sd: float | None = None
    mode: float | None = None
    kind: ClassVar[str] = "distribution"

    @classmethod
    def parse(cls, key: str, spec: dict[str, Any], source: str, design: str) -> Distribution:
        p = _numeric_parameter(key, "distribution", source)
        if design not in SAMPLING_DESIGNS:
            raise InputError(f"a distribution needs a sampling design (lhs, random, sobol or morris), "
                             f"not {design}; use a list or a range with num/step",
                             source=source, key=key)
        dist = spec["distribution"]
        if dist not in DISTRIBUTIONS:
            raise InputError(f"unknown distribution {dist!r}; one of {', '.join(DISTRIBUTIONS)}"
                             f"{did_you_mean(str(dist), list(DISTRIBUTIONS))}",
                             source=source, key=key)
        cls._check_options(key, spec, source, dist)
        if dist == "normal":
            return cls._normal(key, spec, source, p)
        lo = _bound(key, spec["lo"], source, "lo")
        hi = _bound(key, spec["hi"], source, "hi")
        if not lo < hi:
            raise InputError(f"lo must be below hi, got {lo:g} and {hi:g}", source=source,
                             key=key)
        mode = None
        if dist == "triangular":
            mode = _bound(key, spec["mode"], source, "mode")
            if not lo <= mode <= hi:
                raise InputError(f"mode {mode:g} is outside [{lo:g}, {hi:g}]", source=source,
                                 key=key)
        if dist == "loguniform" and lo <= 0:
            raise InputError(f"a loguniform distribution needs lo > 0, got {lo:g}",
                             source=source, key=key)
        if p.type is int and dist == "uniform" and (lo != int(lo) or hi != int(hi)):
            raise InputError("lo and hi must be whole numbers for this parameter", source=source,
                             key=key)
        return cls(key, dist, lo, hi, mode=mode)

    @staticmethod
    def _check_options(key: str, spec: dict[str, Any], source: str, dist: str) -> None:
        """Exactly the options `dist` takes (a normal distribution may add lo and hi)."""
        needs = DISTRIBUTION_OPTIONS[dist]
        allowed = set(needs) | {"distribution"} | ({"lo", "hi"} if dist == "normal" else set())
        for option in spec:
            if option not in allowed:
                raise InputError(f"'{option}' does not apply to a {dist} distribution (it takes "
                                 f"{', '.join(needs)})", source=source, key=key)
        for option in needs:
            if option not in spec:
                raise InputError(f"a {dist} distribution needs {', '.join(needs)}; '{option}' is "
                                 "missing", source=source, key=key)

    @classmethod
    def _normal(cls, key: str, spec: dict[str, Any], source: str, p: P) -> Distribution:
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
            raise InputError(f"lo must be below hi, got {lo:g} and {hi:g}", source=source,
                             key=key)
        if not lo <= mean <= hi:
            raise InputError(f"mean {mean:g} is outside [{lo:g}, {hi:g}]", source=source, key=key)
        return cls(key, "normal", float(lo), float(hi), mean=mean, sd=sd)

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Uniform as a `Range`; the others through their quantile function, whole numbers
        rounded to the nearest."""
        u = _unit(u)
        lo, hi = float(self.lo), float(self.hi)
        if self.distribution == "uniform":
            return _uniform(u, lo, hi, self.type)
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
        out = {**super().describe(), "lo": self.lo, "hi": self.hi,
               "distribution": self.distribution, "mean": self.mean, "sd": self.sd,
               "mode": self.mode}
        return {k: v for k, v in out.items() if v is not None}


FORMS: dict[str, type[Values | Range | Distribution]] = {
    "values": Values, "range": Range, "distribution": Distribution}


def parse_factor(key: str, spec: Any, source: str, design: str) -> Factor:
    """Check one entry of ``[parameters]`` against the schema and the design type: a list is a
    `Values`; a table gives exactly one of values, range or distribution, whose class checks the
    rest."""
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
    forms = [form for form in FORMS if form in spec]
    if len(forms) != 1:
        raise InputError("give exactly one of a list (values = [...]), range = [lo, hi] or "
                         "distribution = \"...\"", source=source, key=key)
    return FORMS[forms[0]].parse(key, spec, source, design)


def _collect_keys(table: dict[str, Any], source: str, section: str,
                  prefix: str = "") -> dict[str, Any]:
    """Nested or dotted tables (``[parameters]``, a design point) down to parameter keys; the
    leaves are left unparsed."""
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


__all__ = ["DISTRIBUTIONS", "SPEC_KEYS", "Distribution", "Factor", "Range", "Values",
           "parse_factor"]
