"""Calibration targets: conditions on a model's outputs, and how far a run is from meeting them.

A calibration (`dmpsim calibrate`) asks which parameter values make the model reproduce what is
known about the market: a figure within a tolerance, a rate inside an interval, a pattern
figure (PT1-PT10 of `dmpsim.patterns`, which are summary keys like any other) at least or at
most some bound, a difference with a given sign, outputs in a given order. Each of these is a
*target*: a small frozen dataclass that reads one or more outputs (`Target.keys`) and gives,
per run (per draw of the parameters), a *discrepancy*: a number >= 0 that is exactly 0 when the
target is met and grows with how far the run is from meeting it.

==============================  ======================================  ===================
form (TOML)                     met when                                discrepancy
==============================  ======================================  ===================
``{ value = v, tolerance = t }``  ``|x - v| <= t``                       ``max(0, |x-v| - t)``
``{ interval = [lo, hi] }``     ``lo <= x <= hi``                       ``max(0, lo-x, x-hi)``
``{ at_least = b }``            ``x >= b``                              ``max(0, b - x)``
``{ at_most = b }``             ``x <= b``                              ``max(0, x - b)``
``{ sign = "positive" }``       ``x > 0`` (strictly)                    ``max(-x, GAP)``
``{ sign = "negative" }``       ``x < 0`` (strictly)                    ``max(x, GAP)``
``{ order = [a, b, ...] }``     ``a < b < ...`` (strictly; or ``>``      sum over consecutive
                                with ``direction = "decreasing"``)      pairs of ``max(a-b, GAP)``
==============================  ======================================  ===================

*Strict forms.* Zero is neither positive nor negative, and two equal outputs are in neither
order, so these targets are not met at the boundary. Their discrepancy must then be positive
there although the violation ``-x`` (or ``a - b``) is 0: it is ``GAP``, the smallest positive
normal float (about 2.2e-308), so a run exactly on the boundary ranks behind every run that
meets the target and ahead of every run that violates it by any visible amount. (A tolerance
in the units of the output, such as 1e-9, would not do: outputs differ in scale by orders of
magnitude.) `distances` keeps it positive after scaling.

*Missing values.* A NaN or infinite output (a failed run, an undefined figure) gives an
infinite discrepancy: the target is not met, and the run is never among the closest.

`parse_target` reads one entry of a calibration file's ``[targets]`` table; every problem is an
`InputError` naming the file, ``targets.<name>`` and what is wrong. The table key is the output
a target reads, except for an order, which reads the outputs it lists and is filed under a
name of the user's choosing::

    [targets]
    PT1 = { at_least = 0.6 }
    integrity_mean = { value = 0.7, tolerance = 0.05 }
    pressure_rate = { interval = [0.1, 0.3] }
    PT5 = { sign = "negative" }
    fewer_exits = { order = ["exits_independent", "exits"], direction = "increasing" }

`distances` puts the targets on one scale: each target's discrepancy is divided by a *scale*, a
robust spread of its output across the draws (`target_scales`), and the distance of a draw is
the Euclidean norm of the scaled discrepancies. It is 0 exactly when every target is met.
`summarise_targets` tells, for a report, how well accepted draws meet each target.

This module is part of the methods layer: data in, numbers out. It imports nothing from dmpsim
but `dmpsim.errors`.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from dmpsim.errors import InputError

__all__ = [
    "DIRECTIONS", "FORMS", "GAP", "MAD_TO_SD", "OPTIONS", "SIGNS", "AtLeast", "AtMost",
    "Interval", "Order", "Sign", "Target", "Value", "distances", "parse_target",
    "summarise_targets", "target_scales",
]

FORMS = ("value", "interval", "at_least", "at_most", "sign", "order")
OPTIONS = (*FORMS, "tolerance", "direction")
SIGNS = ("positive", "negative")
DIRECTIONS = ("increasing", "decreasing")
# The discrepancy of a strict target (sign, order) exactly on its boundary: the smallest positive
# normal double. See the module docstring.
GAP = float(np.finfo(float).tiny)
# The smallest positive double (subnormal): what a positive discrepancy that underflows to 0 on
# division by a large scale is raised to, so that a scaled discrepancy is 0 only when met.
_SMALLEST = float(np.nextafter(0.0, 1.0))
# The median absolute deviation times this estimates the standard deviation of a normal sample.
MAD_TO_SD = 1.4826


# -- checks ------------------------------------------------------------------------------------

def _finite(value: Any, what: str, key: str | None) -> float:
    """`value` as a finite float, or an InputError saying what it should have been."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InputError(f"{what} must be a number, got {value!r}", key=key)
    try:
        number = float(value)
    except OverflowError:   # an int too large for a float
        number = math.inf
    if not math.isfinite(number):
        raise InputError(f"{what} must be a finite number, got {value!r}", key=key)
    return number


def _word(value: Any, options: Sequence[str], what: str, key: str | None) -> str:
    if value not in options:
        raise InputError(f"{what} must be {' or '.join(repr(o) for o in options)}, got {value!r}",
                         key=key)
    return value


def _output_name(value: Any, what: str, key: str | None) -> str:
    if not isinstance(value, str) or not value:
        raise InputError(f"{what} must be the name of an output, got {value!r}", key=key)
    return value


def did_you_mean(name: str, options: Collection[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of `options`, or ``""``."""
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _fmt(x: float) -> str:
    return f"{x:g}"


# -- the target forms ---------------------------------------------------------------------------

class Target:
    """A condition on a model's outputs (base class of the forms below).

    Every form has ``name`` (what reports and `distances` call it: the output's name for a
    single-output target unless given), ``keys`` (the outputs it reads), `discrepancy`, `met` and
    `describe`.
    """

    name: str
    keys: tuple[str, ...]    # a property of the single-output forms, a field of `Order`
    form: ClassVar[str]

    def _gap(self, *columns: np.ndarray) -> np.ndarray:
        """The discrepancy for finite outputs, one array per key."""
        raise NotImplementedError

    def discrepancy(self, values: Mapping[str, Any]) -> np.ndarray:
        """Per draw, how far the outputs are from meeting the target: >= 0, exactly 0 when met.

        `values` maps each of `keys` to the outputs of the draws (an array, a Series, a column
        of a DataFrame, or a scalar for one draw). A NaN or infinite output gives ``inf``.
        """
        missing = [k for k in self.keys if k not in values]
        if missing:
            raise KeyError(f"target {self.name!r} needs output {missing[0]!r}, which the values "
                           f"lack")
        columns = np.broadcast_arrays(*(np.asarray(values[k], dtype=float) for k in self.keys))
        bad = np.zeros(columns[0].shape, dtype=bool)
        for column in columns:
            bad |= ~np.isfinite(column)
        with np.errstate(invalid="ignore", over="ignore"):
            gap = np.asarray(self._gap(*columns), dtype=float)
        return np.where(bad, np.inf, gap)

    def met(self, values: Mapping[str, Any]) -> np.ndarray:
        """Per draw, whether the target is met (never for a missing output)."""
        return self.discrepancy(values) == 0.0

    def describe(self) -> str:
        """The target in plain words, e.g. ``"PT1 at least 0.6"``."""
        raise NotImplementedError

    def _set_name(self, default: str) -> None:
        name = default if self.name is None else self.name
        if not isinstance(name, str) or not name:
            raise InputError(f"a target's name must be a non-empty string, got {name!r}")
        object.__setattr__(self, "name", name)


@dataclass(frozen=True)
class Value(Target):
    """The output ``key`` within ``tolerance`` of ``value``: ``value - tolerance <= x <= value +
    tolerance`` (the bounds computed once, in floating point, so that 0.75 is within 0.05 of 0.7).

    ``tolerance = 0`` asks for the exact value, which a continuous output meets with probability
    0: use it with rejection's closest share, or give a tolerance.
    """

    key: str
    value: float
    tolerance: float
    name: str | None = None
    form: ClassVar[str] = "value"

    def __post_init__(self) -> None:
        _output_name(self.key, "the output", self.name or self.key)
        where = self.name or self.key
        object.__setattr__(self, "value", _finite(self.value, "value", where))
        tolerance = _finite(self.tolerance, "tolerance", where)
        if tolerance < 0:
            raise InputError(f"tolerance must be >= 0, got {self.tolerance!r}", key=where)
        object.__setattr__(self, "tolerance", tolerance)
        self._set_name(self.key)

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.key,)

    def _gap(self, x: np.ndarray) -> np.ndarray:
        # As the interval [value - tolerance, value + tolerance], whose bounds are rounded once:
        # |x - value| - tolerance would round twice, and 0.75 would miss "within 0.05 of 0.7".
        lo, hi = self.value - self.tolerance, self.value + self.tolerance
        return np.maximum(0.0, np.maximum(lo - x, x - hi))

    def describe(self) -> str:
        if self.tolerance == 0:
            return f"{self.key} equal to {_fmt(self.value)}"
        return f"{self.key} within {_fmt(self.tolerance)} of {_fmt(self.value)}"


@dataclass(frozen=True)
class Interval(Target):
    """The output ``key`` between ``lo`` and ``hi``, both included."""

    key: str
    lo: float
    hi: float
    name: str | None = None
    form: ClassVar[str] = "interval"

    def __post_init__(self) -> None:
        _output_name(self.key, "the output", self.name or self.key)
        where = self.name or self.key
        lo = _finite(self.lo, "the interval's start", where)
        hi = _finite(self.hi, "the interval's end", where)
        if lo > hi:
            raise InputError(f"the interval's start must not be above its end, got "
                             f"[{_fmt(lo)}, {_fmt(hi)}]", key=where)
        object.__setattr__(self, "lo", lo)
        object.__setattr__(self, "hi", hi)
        self._set_name(self.key)

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.key,)

    def _gap(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(0.0, np.maximum(self.lo - x, x - self.hi))

    def describe(self) -> str:
        return f"{self.key} between {_fmt(self.lo)} and {_fmt(self.hi)}"


@dataclass(frozen=True)
class AtLeast(Target):
    """The output ``key`` at least ``bound`` (``x >= bound``)."""

    key: str
    bound: float
    name: str | None = None
    form: ClassVar[str] = "at_least"

    def __post_init__(self) -> None:
        _output_name(self.key, "the output", self.name or self.key)
        object.__setattr__(self, "bound", _finite(self.bound, "at_least", self.name or self.key))
        self._set_name(self.key)

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.key,)

    def _gap(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(0.0, self.bound - x)

    def describe(self) -> str:
        return f"{self.key} at least {_fmt(self.bound)}"


@dataclass(frozen=True)
class AtMost(Target):
    """The output ``key`` at most ``bound`` (``x <= bound``)."""

    key: str
    bound: float
    name: str | None = None
    form: ClassVar[str] = "at_most"

    def __post_init__(self) -> None:
        _output_name(self.key, "the output", self.name or self.key)
        object.__setattr__(self, "bound", _finite(self.bound, "at_most", self.name or self.key))
        self._set_name(self.key)

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.key,)

    def _gap(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(0.0, x - self.bound)

    def describe(self) -> str:
        return f"{self.key} at most {_fmt(self.bound)}"


@dataclass(frozen=True)
class Sign(Target):
    """The output ``key`` strictly ``"positive"`` (``x > 0``) or ``"negative"`` (``x < 0``).

    Zero has neither sign: its discrepancy is `GAP`, the smallest positive normal float (see
    the module docstring); otherwise the discrepancy is the size of a wrong-signed value.
    """

    key: str
    sign: str
    name: str | None = None
    form: ClassVar[str] = "sign"

    def __post_init__(self) -> None:
        _output_name(self.key, "the output", self.name or self.key)
        _word(self.sign, SIGNS, "sign", self.name or self.key)
        self._set_name(self.key)

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.key,)

    def _gap(self, x: np.ndarray) -> np.ndarray:
        wrong = -x if self.sign == "positive" else x      # >= 0 exactly when not met
        return np.where(wrong < 0, 0.0, np.maximum(wrong, GAP))

    def describe(self) -> str:
        side = "above" if self.sign == "positive" else "below"
        return f"{self.key} {self.sign} ({side} 0)"


@dataclass(frozen=True)
class Order(Target):
    """The outputs ``keys`` in strictly ``"increasing"`` (``a < b < ...``) or ``"decreasing"`` order.

    The discrepancy is the sum over consecutive pairs of each pair's violation (how far the
    earlier output is above, for increasing, the later one), with a tie counting `GAP`: equal
    outputs are in neither order. ``name`` defaults to the order written out (``"a < b"``).
    """

    keys: tuple[str, ...]
    direction: str = "increasing"
    name: str | None = None
    form: ClassVar[str] = "order"

    def __post_init__(self) -> None:
        where = self.name
        if isinstance(self.keys, str) or not isinstance(self.keys, Sequence):
            raise InputError(f"order must be a list of at least two output names, got "
                             f"{self.keys!r}", key=where)
        outputs = tuple(_output_name(k, "every entry of order", where) for k in self.keys)
        if len(outputs) < 2:
            raise InputError(f"order must list at least two outputs, got {list(outputs)!r}",
                             key=where)
        repeated = sorted({k for k in outputs if outputs.count(k) > 1})
        if repeated:
            raise InputError(f"order lists '{repeated[0]}' twice", key=where)
        _word(self.direction, DIRECTIONS, "direction", where)
        object.__setattr__(self, "keys", outputs)
        self._set_name(self._written())

    def _written(self) -> str:
        return (" < " if self.direction == "increasing" else " > ").join(self.keys)

    def _gap(self, *columns: np.ndarray) -> np.ndarray:
        total = np.zeros(columns[0].shape)
        for earlier, later in zip(columns, columns[1:], strict=False):
            wrong = earlier - later if self.direction == "increasing" else later - earlier
            total = total + np.where(wrong < 0, 0.0, np.maximum(wrong, GAP))
        return total

    def describe(self) -> str:
        written = self._written()
        return written if self.name == written else f"{self.name}: {written}"


# -- reading a target from a calibration file -----------------------------------------------------

def parse_target(name: str, spec: Any, source: str | None = None,
                 known_outputs: Collection[str] | None = None) -> Target:
    """One entry ``name = spec`` of a calibration file's ``[targets]`` table, as a `Target`.

    ``spec`` is a table with exactly one form -- ``value`` (with ``tolerance``), ``interval``,
    ``at_least``, ``at_most``, ``sign`` or ``order`` (with an optional ``direction``, default
    ``"increasing"``) -- see the module docstring. ``name`` is the output the target reads, which
    must be one of ``known_outputs`` (when given), except for an order, which reads the outputs
    it lists (each one of ``known_outputs``) and is merely filed under ``name``.

    Raises `InputError` naming ``source`` (the file), ``targets.<name>`` and the problem.
    """
    key = f"targets.{name}"

    def fail(problem: str) -> InputError:
        return InputError(problem, source=source, key=key)

    def check_output(output: str, where: str = "") -> None:
        if known_outputs is not None and output not in known_outputs:
            raise fail(f"unknown output '{output}'{where}{did_you_mean(output, known_outputs)}")

    if not isinstance(spec, Mapping):
        raise fail(f"expected a table such as {{ at_least = 0.6 }} or "
                   f"{{ value = 0.7, tolerance = 0.05 }}, got {spec!r}")
    for option in spec:
        if option not in OPTIONS:
            hint = did_you_mean(str(option), OPTIONS) or f" (options: {', '.join(OPTIONS)})"
            raise fail(f"unknown option '{option}'{hint}")
    forms = [form for form in FORMS if form in spec]
    if not forms:
        raise fail("give one of value (with tolerance), interval = [lo, hi], at_least, at_most, "
                   "sign or order")
    if len(forms) > 1:
        hint = (" (for both bounds give interval = [lo, hi])"
                if set(forms[:2]) == {"at_least", "at_most"} else "")
        raise fail(f"give one form, not both '{forms[0]}' and '{forms[1]}'{hint}")
    form = forms[0]
    if "tolerance" in spec and form != "value":
        raise fail(f"'tolerance' goes with value, not with {form}")
    if "direction" in spec and form != "order":
        raise fail(f"'direction' goes with order, not with {form}")

    try:
        if form == "order":
            outputs = spec["order"]
            if isinstance(outputs, str) or not isinstance(outputs, Sequence):
                raise fail(f"order must be a list of at least two output names, got {outputs!r}")
            for output in outputs:
                if isinstance(output, str):
                    check_output(output, " in order")
            return Order(tuple(outputs), spec.get("direction", "increasing"), name=name)
        check_output(name)
        if form == "value":
            if "tolerance" not in spec:
                raise fail("value needs a tolerance (tolerance = 0 for an exact value)")
            return Value(name, spec["value"], spec["tolerance"])
        if form == "interval":
            bounds = spec["interval"]
            if isinstance(bounds, str) or not isinstance(bounds, Sequence) or len(bounds) != 2:
                raise fail(f"interval must be [lo, hi], got {bounds!r}")
            return Interval(name, bounds[0], bounds[1])
        if form == "at_least":
            return AtLeast(name, spec["at_least"])
        if form == "at_most":
            return AtMost(name, spec["at_most"])
        return Sign(name, spec["sign"])
    except InputError as exc:
        if exc.source is None and exc.key in (None, name):
            raise fail(exc.problem) from None
        raise


# -- distances and scales -----------------------------------------------------------------------

def _check_targets(targets: Sequence[Target]) -> list[Target]:
    targets = list(targets)
    if not targets:
        raise ValueError("no targets: give at least one")
    seen: set[str] = set()
    for target in targets:
        if not isinstance(target, Target):
            raise TypeError(f"expected a Target, got {target!r}")
        if target.name in seen:
            raise ValueError(f"two targets are named {target.name!r}; give them different names")
        seen.add(target.name)
    return targets


def _spread(x: np.ndarray) -> float:
    """MAD x 1.4826 of the finite values, else their standard deviation, else NaN."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return math.nan
    mad = MAD_TO_SD * float(np.median(np.abs(x - np.median(x))))
    if mad > 0 and math.isfinite(mad):
        return mad
    if x.size > 1:
        sd = float(np.std(x, ddof=1))
        if sd > 0 and math.isfinite(sd):
            return sd
    return math.nan


def target_scales(targets: Sequence[Target], values: Mapping[str, Any]) -> dict[str, float]:
    """Each target's scale, by name: the spread of its output(s) across the draws in `values`.

    The spread of one output is the median absolute deviation of its finite values times 1.4826
    (a robust estimate of the standard deviation, which a few extreme runs do not inflate);
    when that is 0 (more than half the draws give the same value) the standard deviation; when
    that is 0 or undefined too (a constant output, fewer than two finite values), nothing. A
    target's scale is the spread of its output, for an order the mean of the spreads of its
    outputs that have one, and 1 when none has.
    """
    scales: dict[str, float] = {}
    for target in _check_targets(targets):
        spreads = [_spread(np.asarray(values[k], dtype=float).ravel()) for k in target.keys]
        spreads = [s for s in spreads if math.isfinite(s)]
        scales[target.name] = float(np.mean(spreads)) if spreads else 1.0
    return scales


def _scaled(targets: Sequence[Target], values: Mapping[str, Any],
            scales: Mapping[str, float]) -> np.ndarray:
    """The scaled discrepancies, one column per target (no checks of the targets)."""
    columns = []
    for target in targets:
        raw = np.atleast_1d(target.discrepancy(values))
        scaled = raw / scales[target.name]
        # A positive discrepancy must stay positive (and a met target 0) whatever the scale.
        columns.append(np.where((raw > 0) & (scaled == 0), _SMALLEST, scaled))
    return np.column_stack(columns)


def _total(scaled: np.ndarray) -> np.ndarray:
    """The Euclidean norm of each row, without underflow (``hypot`` rescales as it goes)."""
    if scaled.shape[1] == 1:
        return scaled[:, 0].copy()
    return np.hypot.reduce(scaled, axis=1)


def distances(targets: Sequence[Target], values: pd.DataFrame,
              scales: Mapping[str, float] | None = None) -> tuple[np.ndarray, pd.DataFrame]:
    """Each draw's distance from the targets, and its scaled discrepancy from each.

    `values` has one row per draw and a column per output. Each target's discrepancy is divided
    by its scale (`scales`, by target name; computed from `values` by `target_scales` when not
    given) so that targets on outputs of different sizes weigh alike; the distance is the
    Euclidean norm of the scaled discrepancies over the targets. It is 0 exactly when every
    target is met and infinite when an output a target reads is missing (NaN).

    Returns ``(distance, per_target)``: an array with one distance per draw, and a DataFrame with
    the same index as `values` and one column per target (its name) of scaled discrepancies.
    The scales used are in ``per_target.attrs["scales"]``.
    """
    targets = _check_targets(targets)
    if scales is None:
        scales = target_scales(targets, values)
    used: dict[str, float] = {}
    for target in targets:
        if target.name not in scales:
            raise KeyError(f"no scale for target {target.name!r}")
        scale = float(scales[target.name])
        if not (scale > 0 and math.isfinite(scale)):
            raise ValueError(f"the scale of target {target.name!r} must be a positive finite "
                             f"number, got {scale!r}")
        used[target.name] = scale
    scaled = _scaled(targets, values, used)
    per_target = pd.DataFrame(scaled, index=values.index, columns=[t.name for t in targets])
    per_target.attrs["scales"] = used
    return _total(scaled), per_target


def summarise_targets(targets: Sequence[Target], values: pd.DataFrame,
                      accepted_mask: np.ndarray | None = None,
                      weights: np.ndarray | None = None) -> pd.DataFrame:
    """How well the accepted draws meet each target, for a report.

    `values` has one row per draw; `accepted_mask` (default: every row) picks the accepted ones
    and `weights` (one per row of `values`, or one per accepted row; default equal) weighs them.
    One row per target: ``target`` (its name), ``description`` (`Target.describe`),
    ``accepted`` (how many draws), ``met_share`` (the weighted share of accepted draws that meet
    it), ``mean_discrepancy`` (their weighted mean discrepancy, in the output's units: how
    closely they meet it on average; inf if one has a missing output) and ``mean_output`` (the
    weighted mean of the output; NaN for an order, which reads several).
    """
    targets = _check_targets(targets)
    n = len(values)
    mask = np.ones(n, dtype=bool) if accepted_mask is None else np.asarray(accepted_mask, bool)
    if mask.shape != (n,):
        raise ValueError(f"accepted_mask has shape {mask.shape}, expected ({n},)")
    count = int(mask.sum())
    if weights is None:
        w = np.ones(count)
    else:
        w = np.asarray(weights, dtype=float)
        if w.shape == (n,):
            w = w[mask]
        elif w.shape != (count,):
            raise ValueError(f"weights has shape {w.shape}, expected ({n},) or ({count},)")
    total = float(w.sum())
    w = w / total if total > 0 else w
    rows = []
    for target in targets:
        gap = np.atleast_1d(target.discrepancy(values))[mask]
        if count:
            with np.errstate(invalid="ignore"):
                met_share = float(np.sum(w * (gap == 0)))
                mean_gap = float(np.sum(w * gap)) if np.all(np.isfinite(gap)) else math.inf
            output = (float(np.sum(w * np.asarray(values[target.keys[0]], float)[mask]))
                      if len(target.keys) == 1 else math.nan)
        else:
            met_share = mean_gap = output = math.nan
        rows.append({"target": target.name, "description": target.describe(), "accepted": count,
                     "met_share": met_share, "mean_discrepancy": mean_gap, "mean_output": output})
    return pd.DataFrame(rows, columns=["target", "description", "accepted", "met_share",
                                       "mean_discrepancy", "mean_output"])
