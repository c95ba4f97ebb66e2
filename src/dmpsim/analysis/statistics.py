"""Statistics of a run's monthly series, as outputs a calibration's targets can read.

The summary keys (PT1-PT10 among them) cover most of what a target needs; a *statistic* adds a
figure of one column of the model's monthly table over a window of months, named in a
calibration file's ``[statistics]`` table::

    [statistics]
    late_confidence = { column = "public_confidence", statistic = "mean", months = [181, 240] }
    peak_tenders = { column = "tenders", statistic = "max" }

    [targets]
    late_confidence = { at_least = 0.6 }

``statistic`` is one of `STATISTICS`; ``months`` (optional, 1-based, both ends included) the
window, by default the whole run. A run with no month in the window gives NaN (never met).

This module is part of the methods layer: data in, numbers out. It imports nothing from dmpsim
but `dmpsim.errors` (and `targets`' suggestion of a close name).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np

from dmpsim.errors import InputError

from .targets import did_you_mean

__all__ = ["STATISTICS", "Statistic", "parse_statistic"]

#: What a statistic may be, and how it reduces the window's values.
STATISTICS = {
    "mean": np.mean,
    "median": np.median,
    "min": np.min,
    "max": np.max,
    "sd": lambda x: np.std(x, ddof=1) if len(x) > 1 else math.nan,
    "sum": np.sum,
    "first": lambda x: x[0],
    "last": lambda x: x[-1],
}
OPTIONS = ("column", "statistic", "months")


@dataclass(frozen=True)
class Statistic:
    """``statistic`` of the model table's ``column`` over ``months`` (None: the whole run)."""

    name: str
    column: str
    statistic: str
    months: tuple[int, int] | None = None

    def of(self, steps: np.ndarray, values: np.ndarray) -> float:
        """The statistic of one run: `steps` (months, from 1) and the column's `values`."""
        steps = np.asarray(steps)
        values = np.asarray(values, dtype=float)
        if self.months is not None:
            inside = (steps >= self.months[0]) & (steps <= self.months[1])
            values = values[inside]
        values = values[np.isfinite(values)]
        if not len(values):
            return math.nan
        return float(STATISTICS[self.statistic](values))

    def describe(self) -> str:
        window = (f", months {self.months[0]}-{self.months[1]}" if self.months is not None
                  else "")
        return f"{self.statistic} of {self.column}{window}"


def parse_statistic(name: str, spec: Any, source: str | None, columns: Collection[str],
                    taken: Collection[str] = ()) -> Statistic:
    """One entry of a calibration file's ``[statistics]`` table; `columns` are the model
    table's columns, `taken` the output names it may not shadow (the summary keys)."""
    key = f"statistics.{name}"

    def fail(problem: str) -> InputError:
        return InputError(problem, source=source, key=key)

    if name in taken:
        raise fail(f"{name!r} is already an output (a summary key); choose another name")
    if not isinstance(spec, dict):
        raise fail(f"expected a table such as {{ column = \"public_confidence\", statistic = "
                   f"\"mean\" }}, got {spec!r}")
    for option in spec:
        if option not in OPTIONS:
            raise fail(f"unknown option '{option}'{did_you_mean(str(option), OPTIONS)}; it "
                       f"takes {', '.join(OPTIONS)}")
    column = spec.get("column")
    if column not in columns:
        raise fail(f"column must be a column of the model's monthly table, got {column!r}"
                   f"{did_you_mean(str(column), columns)}")
    statistic = spec.get("statistic", "mean")
    if statistic not in STATISTICS:
        raise fail(f"statistic must be one of {', '.join(STATISTICS)}, got {statistic!r}")
    months = spec.get("months")
    if months is not None:
        if (not isinstance(months, list) or len(months) != 2
                or any(isinstance(m, bool) or not isinstance(m, int) or m < 1 for m in months)
                or months[0] > months[1]):
            raise fail(f"months must be [first, last], whole numbers >= 1 with first <= last, "
                       f"got {months!r}")
        months = (months[0], months[1])
    return Statistic(name, column, statistic, months)
