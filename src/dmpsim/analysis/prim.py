"""Patient Rule Induction Method (PRIM) for scenario discovery.

PRIM (Friedman, J. H. & Fisher, N. I., 1999, "Bump hunting in high-dimensional data", *Statistics
and Computing* 9:123-143) looks for a box -- a conjunction of simple restrictions, one interval
per numeric input and one subset of categories per categorical input -- inside which a binary
outcome (e.g. "the market for mini-publics collapsed") is much more frequent than elsewhere.
Scenario discovery uses it to describe, in a few readable conditions on the inputs, where in
parameter space a policy-relevant outcome happens (Bryant, B. P. & Lempert, R. J., 2010,
*Technological Forecasting & Social Change* 77:34-49).

What is implemented here:

- *Top-down peeling*: starting from the box holding all points, each step considers, for every
  numeric input, removing the ``peel_alpha`` fraction of the box's points with the lowest or the
  highest values, and, for every categorical input, removing the points of one category. The
  candidate with the largest gain in box density per point removed is taken (for numeric peels,
  which all remove about the same number of points, this is Friedman & Fisher's "largest mean in
  the new box"; dividing by the points removed lets categorical peels, which remove arbitrary
  numbers of points, compete fairly -- the EMA Workbench's default "lenient1" objective,
  Kwakkel, J. H., 2017, *Environmental Modelling & Software* 96:239-250). When no peel raises
  the density (e.g. once the box is pure) the least harmful, then smallest, peel is taken.
  Peeling stops when no peel leaves at least ``min_mass`` of the data in the box.
- The *peeling trajectory*: coverage, density, mass and the box at every step.
- *Box selection*: with a ``threshold``, the first (largest) box on the trajectory whose density
  reaches it; without one, the box that maximises the harmonic mean of coverage and density, a
  pragmatic trade-off rule (not from Friedman & Fisher) that favours boxes both pure and
  complete.
- *Covering* (Friedman & Fisher 1999): after a box is chosen its points are removed and
  peeling starts again on the rest, up to ``max_boxes`` boxes.

Bottom-up *pasting* (Friedman & Fisher 1999) is not implemented: it rarely changes the box
by more than a peel or two, and the trajectory returned with every box already lets the analyst
trade a little density for coverage (:meth:`PrimBox.at_step`). Nor is cross-validation of the
trajectory; use a held-out sample and :meth:`PrimBox.contains` for that.

Definitions (Bryant & Lempert 2010), over the data passed to :func:`prim_boxes`: *coverage* is
the share of all positive cases that fall in the box, *density* the share of positive cases
among the box's points, *mass* the share of all points in the box. For the second and later
boxes of a covering, "the box's points" are those not already in an earlier box.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from dmpsim.errors import InputError

__all__ = ["PrimBox", "prim_boxes"]

# A limit is (low, high) for a numeric input (either side may be infinite: unrestricted) or a
# tuple of the categories kept for a categorical input.
Limit = tuple[float, float] | tuple[Any, ...]

_TRAJECTORY_COLUMNS = [
    "step",
    "coverage",
    "density",
    "mass",
    "n_points",
    "n_positive",
    "n_restricted",
]


@dataclass(frozen=True)
class PrimBox:
    """One box found by :func:`prim_boxes`.

    Attributes:
        limits: the restricted inputs only: ``{name: (low, high)}`` for numeric inputs (the box
            keeps ``low <= x <= high``; an unrestricted side is ``-inf`` or ``inf``) and
            ``{name: (category, ...)}`` for categorical inputs (the categories kept).
        coverage, density, mass: as defined in the module docstring.
        n_points, n_positive: points in the box and positive cases among them.
        step: the chosen step of the peeling trajectory (0 is the unpeeled box).
        trajectory: one row per peeling step with columns step, coverage, density, mass,
            n_points, n_positive, n_restricted.
        box_number: 1 for the first box of a covering, 2 for the next, and so on.
    """

    limits: dict[str, Limit]
    coverage: float
    density: float
    mass: float
    n_points: int
    n_positive: int
    step: int
    trajectory: pd.DataFrame = field(repr=False)
    box_number: int = 1
    _step_limits: tuple[dict[str, Limit], ...] = field(default=(), repr=False)
    _categorical: frozenset[str] = field(default=frozenset(), repr=False)

    @property
    def restricted(self) -> list[str]:
        """Names of the restricted inputs, in the data frame's column order."""
        return list(self.limits)

    def at_step(self, step: int) -> PrimBox:
        """The box at another step of this box's peeling trajectory."""
        if not isinstance(step, (int, np.integer)) or not 0 <= step < len(self._step_limits):
            raise InputError(
                f"must be an integer in [0, {len(self._step_limits) - 1}], got {step!r}",
                key="step",
            )
        row = self.trajectory.iloc[int(step)]
        return PrimBox(
            limits=dict(self._step_limits[step]),
            coverage=float(row["coverage"]),
            density=float(row["density"]),
            mass=float(row["mass"]),
            n_points=int(row["n_points"]),
            n_positive=int(row["n_positive"]),
            step=int(step),
            trajectory=self.trajectory,
            box_number=self.box_number,
            _step_limits=self._step_limits,
            _categorical=self._categorical,
        )

    def contains(self, X: pd.DataFrame) -> np.ndarray:
        """Boolean mask of the rows of ``X`` that satisfy every restriction of the box.

        For the second and later boxes of a covering, remember that the box was found among the
        points outside the earlier boxes.
        """
        if not isinstance(X, pd.DataFrame):
            raise InputError(f"must be a pandas DataFrame, got {type(X).__name__}", key="X")
        missing = [c for c in self.limits if c not in X.columns]
        if missing:
            raise InputError(f"lacks the box's columns {missing}", key="X")
        mask = np.ones(len(X), dtype=bool)
        for name, lim in self.limits.items():
            col = X[name]
            if name not in self._categorical:
                x = col.to_numpy(dtype=float)
                mask &= (x >= lim[0]) & (x <= lim[1])
            else:
                mask &= col.isin(lim).to_numpy()
        return mask

    def to_frame(self) -> pd.DataFrame:
        """One row per restricted input: parameter, low, high (numeric) or categories."""
        rows = []
        for name, lim in self.limits.items():
            if name not in self._categorical:
                rows.append({"parameter": name, "low": lim[0], "high": lim[1], "categories": None})
            else:
                rows.append(
                    {"parameter": name, "low": math.nan, "high": math.nan, "categories": lim}
                )
        return pd.DataFrame(rows, columns=["parameter", "low", "high", "categories"])

    def describe(self) -> str:
        """A short human-readable summary: the statistics and one line per restriction."""
        lines = [
            f"PRIM box {self.box_number} (step {self.step}): coverage {self.coverage:.3f}, "
            f"density {self.density:.3f}, mass {self.mass:.3f}, "
            f"{self.n_positive}/{self.n_points} points positive"
        ]
        if not self.limits:
            lines.append("  (no restriction)")
        for name, lim in self.limits.items():
            if name not in self._categorical:
                lo, hi = lim
                if math.isinf(lo):
                    lines.append(f"  {name} <= {hi:.6g}")
                elif math.isinf(hi):
                    lines.append(f"  {name} >= {lo:.6g}")
                else:
                    lines.append(f"  {lo:.6g} <= {name} <= {hi:.6g}")
            else:
                lines.append(f"  {name} in {{{', '.join(map(str, lim))}}}")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# data preparation


@dataclass
class _Column:
    name: str
    numeric: bool
    values: np.ndarray  # float values, or integer category codes
    categories: tuple[Any, ...] = ()


def _is_categorical(s: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)


def _prepare(X: pd.DataFrame) -> list[_Column]:
    cols = []
    for name in X.columns:
        s = X[name]
        if s.isna().any():
            raise InputError(f"column {name!r} has missing values", key="X")
        if _is_categorical(s):
            cat = pd.Categorical(s)
            cols.append(
                _Column(name, False, np.asarray(cat.codes, dtype=np.int64), tuple(cat.categories))
            )
        else:
            x = s.to_numpy(dtype=float)
            if not np.all(np.isfinite(x)):
                raise InputError(f"column {name!r} has infinite values", key="X")
            cols.append(_Column(name, True, x))
    return cols


def _as_labels(y: ArrayLike, n: int) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.size != n:
        raise InputError(
            f"must be one-dimensional with one label per row of X ({n}), got shape {arr.shape}",
            key="y",
        )
    if arr.dtype == bool:
        return arr.astype(np.int64)
    if not np.issubdtype(arr.dtype, np.number) or not np.all(np.isin(arr, (0, 1))):
        raise InputError("must be boolean (or 0/1)", key="y")
    return arr.astype(np.int64)


# --------------------------------------------------------------------------------------------
# peeling


def _numeric_peels(x: np.ndarray, alpha: float) -> list[tuple[str, float, np.ndarray]]:
    """Low- and high-side peels of one numeric input within the box.

    Cut at order statistics rather than interpolated quantiles so the new limit is a value that
    occurs in the data; with ties at the cut (e.g. integer inputs) move the cut to the next
    distinct value, so a peel always removes something while the input still varies.
    """
    n = x.size
    s = np.sort(x)
    if s[0] == s[-1]:
        return []
    k = max(1, int(math.floor(alpha * n)))
    lo = s[k]
    if lo == s[0]:
        lo = s[np.searchsorted(s, s[0], side="right")]
    hi = s[n - 1 - k]
    if hi == s[-1]:
        hi = s[np.searchsorted(s, s[-1], side="left") - 1]
    return [("low", float(lo), x < lo), ("high", float(hi), x > hi)]


def _peel(
    cols: list[_Column],
    y: np.ndarray,
    active: np.ndarray,
    n_total: int,
    n_pos_total: int,
    min_count: int,
    alpha: float,
) -> tuple[list[dict[str, float]], list[dict[str, Limit]], list[np.ndarray]]:
    """Peel the box over the points in ``active``; return stats, limits and masks per step."""
    idx = np.flatnonzero(active)
    box = np.ones(idx.size, dtype=bool)  # over idx
    yv = y[idx]
    num_lim: dict[str, list[float]] = {c.name: [-math.inf, math.inf] for c in cols if c.numeric}
    cat_keep: dict[str, set[int]] = {
        c.name: set(range(len(c.categories))) for c in cols if not c.numeric
    }

    def snapshot() -> tuple[dict[str, float], dict[str, Limit], np.ndarray]:
        n_pts = int(box.sum())
        n_pos = int(yv[box].sum())
        limits: dict[str, Limit] = {}
        for c in cols:
            if c.numeric:
                lo, hi = num_lim[c.name]
                if lo > -math.inf or hi < math.inf:
                    limits[c.name] = (lo, hi)
            elif len(cat_keep[c.name]) < len(c.categories):
                limits[c.name] = tuple(c.categories[i] for i in sorted(cat_keep[c.name]))
        stats = {
            "coverage": n_pos / n_pos_total if n_pos_total else math.nan,
            "density": n_pos / n_pts if n_pts else math.nan,
            "mass": n_pts / n_total,
            "n_points": n_pts,
            "n_positive": n_pos,
            "n_restricted": len(limits),
        }
        full_mask = np.zeros(active.size, dtype=bool)
        full_mask[idx[box]] = True
        return stats, limits, full_mask

    first = snapshot()
    steps, limits_seq, masks = [first[0]], [first[1]], [first[2]]

    while True:
        n_box = int(box.sum())
        pos_box = int(yv[box].sum())
        mean_box = pos_box / n_box
        best: tuple[tuple[float, ...], Any] | None = None  # (rank key, action)
        for c in cols:
            vals = c.values[idx][box]
            if c.numeric:
                cands = [((c.name, side, cut), rm) for side, cut, rm in _numeric_peels(vals, alpha)]
            else:
                present = np.unique(vals)
                if present.size < 2:
                    continue
                cands = [((c.name, "cat", int(code)), vals == code) for code in present]
            for action, rm in cands:
                k = int(rm.sum())
                if k == 0 or n_box - k < min_count:
                    continue
                gain = (pos_box - int(yv[box][rm].sum())) / (n_box - k) - mean_box
                # Improving peels compete on gain per point removed. Dividing a loss by k would
                # favour the biggest harmful peel, so non-improving peels (only taken when
                # nothing improves, e.g. once the box is pure) compete on the loss itself, then
                # on size. Remaining ties go to the earlier column.
                key = (1.0, gain / k) if gain > 0 else (0.0, gain, -k)
                if best is None or key > best[0]:
                    best = (key, (action, rm))
        if best is None:
            break
        (name, side, cut), rm = best[1]
        box_pos = np.flatnonzero(box)
        box[box_pos[rm]] = False
        if side == "low":
            num_lim[name][0] = cut
        elif side == "high":
            num_lim[name][1] = cut
        else:
            cat_keep[name].discard(cut)
        stats, lim, mask = snapshot()
        steps.append(stats)
        limits_seq.append(lim)
        masks.append(mask)
    return steps, limits_seq, masks


def _choose(steps: list[dict[str, float]], threshold: float | None) -> int | None:
    if threshold is not None:
        for i, s in enumerate(steps):
            # Coverage never grows along the trajectory, so the first box that is dense enough
            # is the one with most coverage (and fewest restrictions).
            if s["density"] >= threshold:
                return i
        return None
    best_i, best_f = None, -1.0
    for i, s in enumerate(steps):
        c, d = s["coverage"], s["density"]
        f = 2 * c * d / (c + d) if c + d > 0 else 0.0
        if f > best_f:
            best_i, best_f = i, f
    return best_i


# --------------------------------------------------------------------------------------------
# public API


def prim_boxes(
    X: pd.DataFrame,
    y: ArrayLike,
    threshold: float | None = 0.8,
    min_mass: float = 0.05,
    peel_alpha: float = 0.05,
    max_boxes: int = 1,
) -> list[PrimBox]:
    """Find boxes of input space where ``y`` is mostly true, by PRIM peeling and covering.

    See the module docstring for the method (Friedman & Fisher 1999) and what is left out
    (pasting).

    Args:
        X: the inputs, one row per run. Numeric columns are peeled by quantiles; boolean,
            object, string and categorical columns one category at a time.
        y: the outcome of interest, boolean (or 0/1), one per row of ``X``.
        threshold: the density a box must reach. The chosen box is the first on the peeling
            trajectory that reaches it. ``None`` chooses the box maximising the harmonic mean of
            coverage and density instead.
        min_mass: the smallest share of all points a box may hold; peeling stops there.
        peel_alpha: the share of the box's points removed by one numeric peel.
        max_boxes: how many boxes to look for by covering. Covering stops earlier when no box
            reaches ``threshold`` (with ``threshold=None``: when the best later box is no denser
            than the data as a whole), or when the points left have no positive case or are fewer
            than ``min_mass`` of the data.

    Returns:
        The boxes found, in order (possibly none when no box reaches ``threshold``).

    Raises:
        InputError (a ValueError): bad arguments, missing or infinite inputs, or non-binary y.
    """
    if not isinstance(X, pd.DataFrame):
        raise InputError(f"must be a pandas DataFrame, got {type(X).__name__}", key="X")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise InputError(f"needs at least one row and one column, got shape {X.shape}", key="X")
    if not all(isinstance(c, str) for c in X.columns):
        raise InputError("column names must be strings", key="X")
    if len(set(X.columns)) != X.shape[1]:
        raise InputError("has duplicate column names", key="X")
    if threshold is not None and (not isinstance(threshold, Real) or not 0.0 < threshold <= 1.0):
        raise InputError(f"must be in (0, 1] or None, got {threshold!r}", key="threshold")
    if not isinstance(min_mass, Real) or not 0.0 < min_mass < 1.0:
        raise InputError(f"must be strictly between 0 and 1, got {min_mass!r}", key="min_mass")
    if not isinstance(peel_alpha, Real) or not 0.0 < peel_alpha < 0.5:
        raise InputError(
            f"must be strictly between 0 and 0.5, got {peel_alpha!r}", key="peel_alpha"
        )
    if not isinstance(max_boxes, (int, np.integer)) or isinstance(max_boxes, bool) or max_boxes < 1:
        raise InputError(f"must be a positive integer, got {max_boxes!r}", key="max_boxes")

    cols = _prepare(X)
    yv = _as_labels(y, X.shape[0])
    n_total = int(yv.size)
    n_pos_total = int(yv.sum())
    min_count = max(1, math.ceil(min_mass * n_total))
    base_density = n_pos_total / n_total

    active = np.ones(n_total, dtype=bool)
    boxes: list[PrimBox] = []
    while len(boxes) < max_boxes:
        if active.sum() < min_count or yv[active].sum() == 0:
            break
        steps, limits_seq, masks = _peel(
            cols, yv, active, n_total, n_pos_total, min_count, peel_alpha
        )
        i = _choose(steps, threshold)
        if i is None:
            break
        if threshold is None and steps[i]["density"] <= base_density and boxes:
            break
        traj = pd.DataFrame(
            [{"step": j, **s} for j, s in enumerate(steps)], columns=_TRAJECTORY_COLUMNS
        )
        boxes.append(
            PrimBox(
                limits=dict(limits_seq[i]),
                coverage=float(steps[i]["coverage"]),
                density=float(steps[i]["density"]),
                mass=float(steps[i]["mass"]),
                n_points=int(steps[i]["n_points"]),
                n_positive=int(steps[i]["n_positive"]),
                step=i,
                trajectory=traj,
                box_number=len(boxes) + 1,
                _step_limits=tuple(limits_seq),
                _categorical=frozenset(c.name for c in cols if not c.numeric),
            )
        )
        active &= ~masks[i]
    return boxes
