"""Design points: from the factors (or explicit points) to one column of values per parameter.

- `_factorial`: every combination of the factors' levels, the first factor varying slowest;
- `_tuple_points`: explicit points (a ``tuples`` design), gaps filled from the base scenario;
- `_sample`: a sampling design (`SAMPLERS`: ``lhs`` with scipy's Latin hypercube, ``random``
  with numpy's generator, ``sobol`` and ``morris`` with SALib) in the unit hypercube, each column then mapped by its factor's
  `from_unit`.

Every design is bounded by `MAX_POINTS` before anything is allocated.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from ..errors import InputError
from ..io.provenance import plain
from ..model.params import FLAT, check_value
from .design import MAX_POINTS, _too_many, _unit_problem
from .factors import Factor, Values, _collect_keys


def _whole(table: dict[str, Any], name: str, default: Any, source: str, minimum: int,
           key: str | None = None, maximum: int | None = None) -> Any:
    """A whole-number option of a table (``samples``, ``seed``, ``replications``...), or None."""
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


def _column(values: list[Any], kind: type) -> np.ndarray:
    """A design column with the parameter's dtype."""
    if kind is float:
        return np.array(values, dtype=float)
    if kind is int:
        return np.array(values, dtype=np.int64)
    if kind is bool:
        return np.array(values, dtype=bool)
    return np.array(values, dtype=object)


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


def _lhs(table: dict[str, Any], keys: list[str], seed: int, source: str
         ) -> tuple[np.ndarray, dict[str, Any]]:
    """A Latin hypercube of ``samples`` points (scipy)."""
    n = _whole(table, "samples", None, source, 1, "design.samples")
    if n is None:
        raise InputError("an lhs design needs samples (how many design points)",
                         source=source, key="design.samples")
    if n > MAX_POINTS:
        raise InputError(_too_many(f"samples = {n}", n), source=source, key="design.samples")
    import inspect

    from scipy.stats import qmc

    # scipy >= 1.15 takes `rng`; older releases only `seed` (the project allows >= 1.11).
    seed_kw = "rng" if "rng" in inspect.signature(qmc.LatinHypercube).parameters else "seed"
    unit = qmc.LatinHypercube(d=len(keys), **{seed_kw: seed}).random(n)
    return unit, {"samples": n}


def _random(table: dict[str, Any], keys: list[str], seed: int, source: str
            ) -> tuple[np.ndarray, dict[str, Any]]:
    """``samples`` independent uniform points (numpy's default generator): plain Monte Carlo,
    each point a draw from the factors' joint distribution, as rejection ABC needs
    (`dmpsim calibrate`)."""
    n = _whole(table, "samples", None, source, 1, "design.samples")
    if n is None:
        raise InputError("a random design needs samples (how many design points)",
                         source=source, key="design.samples")
    if n > MAX_POINTS:
        raise InputError(_too_many(f"samples = {n}", n), source=source, key="design.samples")
    unit = np.random.default_rng(seed).random((n, len(keys)))
    return unit, {"samples": n}


def _sobol(table: dict[str, Any], keys: list[str], seed: int, source: str
           ) -> tuple[np.ndarray, dict[str, Any]]:
    """Saltelli's scheme for Sobol' indices (SALib): N (D + 2) rows, N (2D + 2) with second
    order."""
    d = len(keys)
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

    unit = sobol.sample(_unit_problem(keys), n, calc_second_order=second, scramble=True,
                        seed=seed)
    return unit, {"samples": n, "second_order": second,
                  "rows_per_sample": (2 * d + 2) if second else (d + 2)}


def _morris(table: dict[str, Any], keys: list[str], seed: int, source: str
            ) -> tuple[np.ndarray, dict[str, Any]]:
    """Morris trajectories on a grid of ``levels`` (SALib): D + 1 rows each."""
    d = len(keys)
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

    unit = morris.sample(_unit_problem(keys), n, num_levels=levels, seed=seed)
    return unit, {"trajectories": n, "levels": levels, "rows_per_trajectory": d + 1}


#: The sampling designs: each reads its options from the [design] table and samples the unit
#: hypercube, one column per factor.
SAMPLERS = {"lhs": _lhs, "random": _random, "sobol": _sobol, "morris": _morris}


def _sample(design: str, table: dict[str, Any], factors: list[Factor], seed: int, source: str
            ) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, Any]]:
    """Unit-hypercube sample of a sampling design, then each column mapped to its parameter."""
    unit, sampled = SAMPLERS[design](table, [f.key for f in factors], seed, source)
    options: dict[str, Any] = {"seed": seed, **sampled}
    columns = {}
    for i, factor in enumerate(factors):
        mapped = factor.from_unit(unit[:, i])
        if isinstance(factor, Values):
            mapped = _column([plain(v) for v in mapped], factor.type)
        else:
            # Belt and braces: the ends of every numeric column go through the schema check.
            check_value(factor.key, plain(mapped.min()), source)
            check_value(factor.key, plain(mapped.max()), source)
        columns[factor.key] = mapped
    return columns, unit, options
