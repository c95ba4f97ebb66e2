"""Global sensitivity analysis: thin wrappers over SALib's Sobol' and Morris methods.

Two methods are offered (Herman, J. & Usher, W., 2017, "SALib: An open-source Python library
for sensitivity analysis", *JOSS* 2(9):97; Iwanaga, T., Usher, W. & Herman, J., 2022, *Socio-
Environmental Systems Modelling* 4:18155):

- ``"sobol"``: variance-based first-order (``S1``), total-order (``ST``) and, optionally,
  second-order (``S2``) Sobol' indices. The design is Saltelli's cross-sampling of two
  scrambled Sobol'-sequence matrices A and B (Saltelli, A., 2002, *Computer Physics
  Communications* 145:280-297); the estimators are those of Saltelli et al. (2010, *Computer
  Physics Communications* 181:259-270) for S1 and ST and of Saltelli (2002) for S2. The
  confidence half-widths come from SALib's bootstrap over base samples.
- ``"morris"``: elementary-effects screening (Morris, M. D., 1991, *Technometrics* 33:161-174)
  with the absolute-mean measure ``mu_star`` (Campolongo, F., Cariboni, J. & Saltelli, A.,
  2007, *Environmental Modelling & Software* 22:1509-1518), the signed mean ``mu`` and the
  standard deviation ``sigma`` (non-linearity and interactions). ``mu_star`` has a bootstrap
  confidence half-width.

The functions keep SALib's conventions (a problem dict, a design matrix with one row per model
run, an output vector in the same row order) and only add argument checking, explicit seeds,
tidy :class:`pandas.DataFrame` output and a convergence check. Only independent uniform inputs
are supported: no ``groups`` and no ``dists`` in the problem.

Design layouts, which :func:`convergence` relies on (read from SALib 1.5/1.6
``SALib.sample.sobol.sample`` and ``SALib.sample.morris.sample``):

- Sobol': base sample ``i`` (row ``i`` of A and of B) produces one block of consecutive rows
  ``A_i, AB_i^(1..D), [BA_i^(1..D),] B_i`` -- ``D + 2`` rows, or ``2D + 2`` with second-order
  indices -- and the blocks come in base-sample order. The base samples are the first ``N``
  points of one scrambled Sobol' sequence, so the first ``N/2`` blocks are exactly the design
  that ``N/2`` base samples with the same seed would give: a balanced Sobol' design in its own
  right (a prefix of length ``2^m`` of a Sobol' sequence is a (t, m, s)-net).
- Morris: trajectories are ``D + 1`` consecutive rows each, drawn independently, so the first
  ``T/2`` trajectories form a valid, smaller Morris design.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from dmpsim.errors import InputError

__all__ = ["METHODS", "analyze", "convergence", "make_problem", "sample"]

METHODS = ("sobol", "morris")

_TIDY_COLUMNS = ["parameter", "index", "value", "conf"]


# --------------------------------------------------------------------------------------------
# problem definition and argument checks


def make_problem(names: Sequence[str], bounds: Sequence[tuple[float, float]]) -> dict[str, Any]:
    """Build a SALib problem dict for independent uniform inputs.

    Args:
        names: parameter names, unique, non-empty strings.
        bounds: one ``(low, high)`` pair per name, finite with ``low < high``.

    Returns:
        ``{"num_vars": D, "names": [...], "bounds": [[low, high], ...]}``.
    """
    if isinstance(names, str):
        raise InputError("must be a sequence of names, not a single string", key="names")
    names = list(names)
    if not names:
        raise InputError("needs at least one parameter", key="names")
    if not all(isinstance(n, str) and n for n in names):
        raise InputError("must all be non-empty strings", key="names")
    if len(set(names)) != len(names):
        raise InputError("must be unique", key="names")
    bounds = list(bounds)
    if len(bounds) != len(names):
        raise InputError(
            f"needs one (low, high) pair per name: {len(names)} names, {len(bounds)} bounds",
            key="bounds",
        )
    out = []
    for name, b in zip(names, bounds, strict=True):
        try:
            lo, hi = (float(v) for v in b)
        except (TypeError, ValueError):
            raise InputError(
                f"for {name!r} must be a (low, high) pair of numbers, got {b!r}", key="bounds"
            ) from None
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise InputError(
                f"for {name!r} must be finite with low < high, got {b!r}", key="bounds"
            )
        out.append([lo, hi])
    return {"num_vars": len(names), "names": names, "bounds": out}


def _check_problem(problem: dict[str, Any]) -> dict[str, Any]:
    """Validate ``problem`` and return a deep copy (SALib adds keys to the dict it is given)."""
    if not isinstance(problem, dict):
        raise InputError(f"must be a dict, got {type(problem).__name__}", key="problem")
    for key in ("groups", "dists"):
        if problem.get(key) is not None:
            raise InputError(
                f"'{key}' is not supported; use independent uniform inputs", key="problem"
            )
    if "names" not in problem or "bounds" not in problem:
        raise InputError("needs 'names' and 'bounds' (see make_problem)", key="problem")
    checked = make_problem(problem["names"], problem["bounds"])
    if problem.get("num_vars", checked["num_vars"]) != checked["num_vars"]:
        raise InputError(
            f"num_vars is {problem['num_vars']} but there are {checked['num_vars']} names",
            key="problem",
        )
    return copy.deepcopy(checked)


def _check_method(method: str) -> str:
    if method not in METHODS:
        raise InputError(f"must be one of {', '.join(METHODS)}; got {method!r}", key="method")
    return method


def _check_seed(seed: int | None) -> int | None:
    if seed is None:
        return None
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise InputError(f"must be a non-negative integer or None, got {seed!r}", key="seed")
    return int(seed)


def _check_num_levels(num_levels: int) -> int:
    # SALib only warns about odd level counts; odd grids bias the sample, so refuse them.
    if (
        not isinstance(num_levels, (int, np.integer))
        or isinstance(num_levels, bool)
        or num_levels < 2
        or num_levels % 2
    ):
        raise InputError(f"must be an even integer >= 2, got {num_levels!r}", key="num_levels")
    return int(num_levels)


def _block_size(method: str, d: int, calc_second_order: bool) -> int:
    if method == "morris":
        return d + 1
    return 2 * d + 2 if calc_second_order else d + 2


def _check_design(
    problem: dict[str, Any],
    method: str,
    X: ArrayLike,
    Y: ArrayLike,
    calc_second_order: bool,
    num_levels: int,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Check X and Y against the method's layout; return them as float arrays and the number
    of base samples (Sobol') or trajectories (Morris)."""
    d = problem["num_vars"]
    try:
        x = np.asarray(X, dtype=float)
        y = np.asarray(Y, dtype=float)
    except (TypeError, ValueError):
        raise InputError("X and Y must be numeric arrays", key="X") from None
    if x.ndim != 2 or x.shape[1] != d:
        raise InputError(f"must have shape (runs, {d}), got {x.shape}", key="X")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.size != x.shape[0]:
        raise InputError(
            f"must be one output per row of X ({x.shape[0]}), got shape {y.shape}", key="Y"
        )
    if not np.all(np.isfinite(x)):
        raise InputError("contains NaN or infinite values", key="X")
    if not np.all(np.isfinite(y)):
        raise InputError(
            "contains NaN or infinite values; drop or impute failed runs first", key="Y"
        )
    block = _block_size(method, d, calc_second_order)
    if x.shape[0] == 0 or x.shape[0] % block:
        what = "trajectory" if method == "morris" else "base sample"
        raise InputError(
            f"has {x.shape[0]} rows, not a multiple of {block} rows per {what}; check the "
            "method and calc_second_order match the sampling",
            key="X",
        )
    if np.ptp(y) == 0.0:
        raise InputError("is constant, so sensitivity indices are undefined", key="Y")
    lo = np.array([b[0] for b in problem["bounds"]])
    width = np.array([b[1] - b[0] for b in problem["bounds"]])
    first = (x[:block] - lo) / width  # first block on the unit cube
    if method == "sobol":
        _check_sobol_block(first, d, calc_second_order)
    else:
        _check_morris_block(first, num_levels)
    return x, y, x.shape[0] // block


def _check_sobol_block(u: np.ndarray, d: int, calc_second_order: bool) -> None:
    # A cheap guard against a design from another sampler or another calc_second_order: in
    # Saltelli's layout row j+1 is A with column j taken from B (the last row).
    a, b = u[0], u[-1]
    for j in range(d):
        expect = a.copy()
        expect[j] = b[j]
        ok = np.allclose(u[1 + j], expect)
        if calc_second_order:
            expect_ba = b.copy()
            expect_ba[j] = a[j]
            ok = ok and np.allclose(u[1 + d + j], expect_ba)
        if not ok:
            raise InputError(
                "does not have the Saltelli/Sobol' layout of sample(problem, 'sobol', ...) "
                f"with calc_second_order={calc_second_order}",
                key="X",
            )


def _check_morris_block(u: np.ndarray, num_levels: int) -> None:
    # SALib divides elementary effects by the step implied by num_levels, not by the step in
    # X, so a num_levels that differs from the sampling silently rescales every effect.
    steps = np.abs(np.diff(u, axis=0))
    moved = steps > 1e-12
    delta = num_levels / (2.0 * (num_levels - 1))
    if not np.all(moved.sum(axis=1) == 1) or not np.allclose(steps[moved], delta):
        raise InputError(
            f"is not a Morris design with num_levels={num_levels}; pass the num_levels used "
            "for sampling",
            key="X",
        )


# --------------------------------------------------------------------------------------------
# public API


def sample(
    problem: dict[str, Any],
    method: str,
    n: int,
    seed: int | None = 0,
    *,
    calc_second_order: bool = False,
    num_levels: int = 4,
) -> np.ndarray:
    """Design matrix for a Sobol' or Morris analysis, one row per model run.

    Args:
        problem: a SALib problem dict (:func:`make_problem`).
        method: ``"sobol"`` or ``"morris"``.
        n: for Sobol', the number of base samples ``N``, a power of two (the balance of
            Sobol' points, and so the halving in :func:`convergence`, needs it); the design has
            ``N (D + 2)`` rows, or ``N (2D + 2)`` with ``calc_second_order``. For Morris, the
            number of trajectories ``T >= 2``; the design has ``T (D + 1)`` rows.
        seed: seed of the scrambling (Sobol') or of the trajectories (Morris).
        calc_second_order: Sobol' only; add the rows needed for ``S2``.
        num_levels: Morris only; the even number of grid levels.

    Returns:
        A float array of shape (runs, D) in the problem's bounds.
    """
    prob = _check_problem(problem)
    _check_method(method)
    seed = _check_seed(seed)
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise InputError(f"must be an integer, got {n!r}", key="n")
    if method == "sobol":
        if n < 2 or n & (n - 1):
            raise InputError(f"must be a power of two >= 2 for Sobol' sampling, got {n}", key="n")
        from SALib.sample import sobol as sobol_sample

        return sobol_sample.sample(
            prob, int(n), calc_second_order=bool(calc_second_order), scramble=True, seed=seed
        )
    if n < 2:
        raise InputError(f"must be at least 2 trajectories for Morris sampling, got {n}", key="n")
    num_levels = _check_num_levels(num_levels)
    from SALib.sample import morris as morris_sample

    return morris_sample.sample(prob, int(n), num_levels=num_levels, seed=seed)


def analyze(
    problem: dict[str, Any],
    method: str,
    X: ArrayLike,
    Y: ArrayLike,
    seed: int | None = 0,
    conf_level: float = 0.95,
    *,
    calc_second_order: bool = False,
    num_levels: int = 4,
    num_resamples: int = 100,
) -> pd.DataFrame:
    """Sensitivity indices as a tidy table.

    Args:
        problem: the problem dict used for sampling.
        method: ``"sobol"`` or ``"morris"``, as for :func:`sample`.
        X: the design from :func:`sample` (checked against the method's layout).
        Y: one scalar output per row of ``X``, all finite and not all equal.
        seed: seed of SALib's bootstrap of the confidence half-widths.
        conf_level: confidence level of those half-widths.
        calc_second_order, num_levels: as used for :func:`sample`.
        num_resamples: bootstrap resamples for the confidence half-widths.

    Returns:
        Columns ``parameter``, ``index``, ``value``, ``conf``: for Sobol' the indices ``S1``
        and ``ST`` per parameter (and ``S2`` per pair, with ``parameter`` ``"a:b"``); for
        Morris ``mu_star``, ``mu`` and ``sigma``. ``conf`` is the half-width of the
        ``conf_level`` interval (SALib's ``*_conf``), NaN where SALib gives none (``mu``,
        ``sigma``).
    """
    prob = _check_problem(problem)
    _check_method(method)
    seed = _check_seed(seed)
    if not isinstance(conf_level, Real) or not 0.0 < conf_level < 1.0:
        raise InputError(f"must be strictly between 0 and 1, got {conf_level!r}", key="conf_level")
    if (
        not isinstance(num_resamples, (int, np.integer))
        or isinstance(num_resamples, bool)
        or num_resamples < 2
    ):
        raise InputError(f"must be an integer >= 2, got {num_resamples!r}", key="num_resamples")
    if method == "morris":
        num_levels = _check_num_levels(num_levels)
    x, y, _ = _check_design(prob, method, X, Y, bool(calc_second_order), num_levels)
    return _analyze_checked(
        prob,
        method,
        x,
        y,
        seed,
        conf_level,
        bool(calc_second_order),
        num_levels,
        int(num_resamples),
    )


def _analyze_checked(
    prob: dict[str, Any],
    method: str,
    x: np.ndarray,
    y: np.ndarray,
    seed: int | None,
    conf_level: float,
    calc_second_order: bool,
    num_levels: int,
    num_resamples: int,
) -> pd.DataFrame:
    names = prob["names"]
    rows: list[dict[str, Any]] = []
    if method == "sobol":
        from SALib.analyze import sobol as sobol_analyze

        # SALib 1.6 tests `if seed:` and falls back to the global NumPy RNG for seed 0 (and
        # None); a Generator is always truthy and is used as is.
        res = sobol_analyze.analyze(
            copy.deepcopy(prob),
            y,
            calc_second_order=calc_second_order,
            num_resamples=num_resamples,
            conf_level=conf_level,
            seed=np.random.default_rng(seed),
        )
        for index in ("S1", "ST"):
            for j, name in enumerate(names):
                rows.append(
                    {
                        "parameter": name,
                        "index": index,
                        "value": float(res[index][j]),
                        "conf": float(res[f"{index}_conf"][j]),
                    }
                )
        if calc_second_order:
            for j in range(len(names)):
                for k in range(j + 1, len(names)):
                    rows.append(
                        {
                            "parameter": f"{names[j]}:{names[k]}",
                            "index": "S2",
                            "value": float(res["S2"][j, k]),
                            "conf": float(res["S2_conf"][j, k]),
                        }
                    )
    else:
        from SALib.analyze import morris as morris_analyze

        res = morris_analyze.analyze(
            copy.deepcopy(prob),
            x,
            y,
            num_resamples=num_resamples,
            conf_level=conf_level,
            num_levels=num_levels,
            seed=np.random.default_rng(seed),
        )
        for index, conf_key in (("mu_star", "mu_star_conf"), ("mu", None), ("sigma", None)):
            for j, name in enumerate(names):
                conf = float(res[conf_key][j]) if conf_key else math.nan
                rows.append(
                    {"parameter": name, "index": index, "value": float(res[index][j]), "conf": conf}
                )
    return pd.DataFrame(rows, columns=_TIDY_COLUMNS)


def convergence(
    problem: dict[str, Any],
    method: str,
    X: ArrayLike,
    Y: ArrayLike,
    seed: int | None = 0,
    conf_level: float = 0.95,
    *,
    calc_second_order: bool = False,
    num_levels: int = 4,
    num_resamples: int = 100,
) -> pd.DataFrame:
    """Indices from the first half of the design next to those from the whole design.

    The half design is the first ``N // 2`` Sobol' blocks (base samples) or the first
    ``T // 2`` Morris trajectories; the module docstring explains why that is itself a valid
    design of the same kind. Indices that move by more than their confidence half-width
    between the two columns have not converged; run more samples.

    Args:
        As for :func:`analyze`; the design needs at least 4 base samples or trajectories.

    Returns:
        Columns ``parameter``, ``index``, ``n_half``, ``value_half``, ``conf_half``,
        ``n_full``, ``value_full``, ``conf_full``, ``change`` (full minus half), where ``n_*``
        counts base samples (Sobol') or trajectories (Morris).
    """
    prob = _check_problem(problem)
    _check_method(method)
    seed = _check_seed(seed)
    if method == "morris":
        num_levels = _check_num_levels(num_levels)
    x, y, n_full = _check_design(prob, method, X, Y, bool(calc_second_order), num_levels)
    if n_full < 4:
        raise InputError(
            f"needs at least 4 base samples or trajectories to halve, got {n_full}", key="X"
        )
    n_half = n_full // 2
    rows_half = n_half * _block_size(method, prob["num_vars"], bool(calc_second_order))
    if np.ptp(y[:rows_half]) == 0.0:
        raise InputError("is constant over the first half of the design", key="Y")
    full = analyze(
        prob,
        method,
        x,
        y,
        seed,
        conf_level,
        calc_second_order=calc_second_order,
        num_levels=num_levels,
        num_resamples=num_resamples,
    )
    half = analyze(
        prob,
        method,
        x[:rows_half],
        y[:rows_half],
        seed,
        conf_level,
        calc_second_order=calc_second_order,
        num_levels=num_levels,
        num_resamples=num_resamples,
    )
    out = half.rename(columns={"value": "value_half", "conf": "conf_half"})
    out.insert(2, "n_half", n_half)
    out["n_full"] = n_full
    out["value_full"] = full["value"].to_numpy()
    out["conf_full"] = full["conf"].to_numpy()
    out["change"] = out["value_full"] - out["value_half"]
    return out
