"""Bootstrap confidence intervals and scenario comparisons under common random numbers.

Intervals are nonparametric bootstrap intervals (Efron, B. & Tibshirani, R. J., 1993, *An
Introduction to the Bootstrap*, Chapman & Hall), computed with :func:`scipy.stats.bootstrap`. The
default is the bias-corrected and accelerated (BCa) interval (Efron & Tibshirani 1993, ch. 14),
which is second-order accurate and copes with the skewed outputs typical of agent-based models;
``method="percentile"`` (ch. 13) and ``method="basic"`` are available too.

Scenario comparisons assume the *common random numbers* (CRN) design: replication ``k`` of every
scenario is run with the same seed, so the runs of two scenarios that share a replication number
share their stochastic history, and the difference between scenarios is estimated from the
per-replication differences (Law, A. M., 2015, *Simulation Modeling and Analysis*, 5th ed., sec.
11.2). When the scenarios' outputs are positively correlated through the shared seed this gives a
much narrower interval than comparing independent runs; :func:`independent_difference` is the
unpaired counterpart, kept to show that gain and for runs without CRN.

Every function takes its randomness from an explicit ``rng`` argument (an int seed or a
:class:`numpy.random.Generator`) and defaults to seed 0, so a report is reproducible unless the
caller asks otherwise (``rng=None`` draws fresh entropy).
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable, Sequence
from numbers import Real
from typing import TypedDict

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats as _sps

from dmpsim.errors import InputError

__all__ = [
    "DEFAULT_RESAMPLES",
    "DifferenceResult",
    "compare_table",
    "independent_difference",
    "mean_ci",
    "paired_difference",
]

RngLike = int | np.random.Generator | None

#: Bootstrap resamples used unless the caller says otherwise. 5000 keeps the Monte Carlo error
#: of a 95% BCa end point small (Efron & Tibshirani 1993 recommend at least 1000) while a
#: comparison table of a few dozen cells still takes well under a second.
DEFAULT_RESAMPLES = 5000

_METHODS = ("BCa", "percentile", "basic")

# scipy >= 1.15 names the argument `rng`; older releases (the project allows scipy >= 1.11) only
# know `random_state`. Both accept a Generator.
_RNG_KW = "rng" if "rng" in inspect.signature(_sps.bootstrap).parameters else "random_state"


class DifferenceResult(TypedDict):
    """Result of :func:`paired_difference` and :func:`independent_difference`."""

    mean_diff: float
    low: float
    high: float
    effect_size: float
    significant: bool
    n: int


# --------------------------------------------------------------------------------------------
# argument checking


def _as_rng(rng: RngLike) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        if rng < 0:
            raise InputError(f"seed must be non-negative, got {rng}", key="rng")
        return np.random.default_rng(int(rng))
    raise InputError(
        f"must be an int seed, a numpy Generator or None, got {type(rng).__name__}", key="rng"
    )


def _as_sample(values: ArrayLike, name: str) -> np.ndarray:
    try:
        x = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InputError("must be a sequence of numbers", key=name) from None
    if x.ndim != 1:
        raise InputError(f"must be one-dimensional, got shape {x.shape}", key=name)
    if not np.all(np.isfinite(x)):
        raise InputError("contains NaN or infinite values", key=name)
    return x


def _check_options(confidence: float, n_resamples: int, method: str) -> None:
    if not isinstance(confidence, Real) or not 0.0 < confidence < 1.0:
        raise InputError(f"must be strictly between 0 and 1, got {confidence!r}", key="confidence")
    if (
        not isinstance(n_resamples, (int, np.integer))
        or isinstance(n_resamples, bool)
        or n_resamples < 1
    ):
        raise InputError(f"must be a positive integer, got {n_resamples!r}", key="n_resamples")
    if method not in _METHODS:
        raise InputError(f"must be one of {', '.join(_METHODS)}; got {method!r}", key="method")


# --------------------------------------------------------------------------------------------
# bootstrap core


def _mean_stat(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(x, axis=axis)


def _diff_of_means_stat(t: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(t, axis=axis) - np.mean(b, axis=axis)


def _bootstrap_ci(
    data: tuple[np.ndarray, ...],
    statistic: Callable[..., np.ndarray],
    confidence: float,
    n_resamples: int,
    method: str,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """Bootstrap interval; falls back from BCa to percentile when BCa is undefined.

    BCa needs a non-degenerate jackknife distribution. The callers catch the exactly degenerate
    cases (constant data) before getting here; the fallback is for near-degenerate data where
    scipy returns NaN with a warning, so that one odd cell does not blank a whole table.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", _sps.DegenerateDataWarning)
        res = _sps.bootstrap(
            data,
            statistic,
            n_resamples=n_resamples,
            confidence_level=confidence,
            method=method,
            vectorized=True,
            paired=False,
            **{_RNG_KW: rng},
        )
        low, high = (float(v) for v in res.confidence_interval)
        if method == "BCa" and not (math.isfinite(low) and math.isfinite(high)):
            # Reuse the resamples already drawn (n_resamples=0) so the fallback costs nothing.
            res = _sps.bootstrap(
                data,
                statistic,
                n_resamples=0,
                confidence_level=confidence,
                method="percentile",
                vectorized=True,
                paired=False,
                bootstrap_result=res,
                **{_RNG_KW: rng},
            )
            low, high = (float(v) for v in res.confidence_interval)
    return low, high


def _excludes_zero(low: float, high: float) -> bool:
    # A NaN bound compares False both ways, so an undefined interval is never significant.
    return bool(low > 0.0 or high < 0.0)


# --------------------------------------------------------------------------------------------
# public API


def mean_ci(
    values: ArrayLike,
    confidence: float = 0.95,
    n_resamples: int = DEFAULT_RESAMPLES,
    rng: RngLike = 0,
    *,
    method: str = "BCa",
) -> tuple[float, float, float]:
    """Sample mean with a bootstrap confidence interval.

    The interval is the nonparametric bootstrap interval of the mean (Efron & Tibshirani 1993;
    BCa by default, ch. 14) computed by :func:`scipy.stats.bootstrap`.

    Degenerate input is answered without warnings: an empty sample gives ``(nan, nan, nan)``, a
    single value ``v`` gives ``(v, nan, nan)`` (no interval can be estimated from one value), and
    a constant sample gives ``(v, v, v)`` (every resample has the same mean).

    Args:
        values: one-dimensional finite numbers.
        confidence: two-sided confidence level in (0, 1).
        n_resamples: number of bootstrap resamples.
        rng: int seed or numpy Generator supplying the resampling randomness.
        method: ``"BCa"``, ``"percentile"`` or ``"basic"``.

    Returns:
        ``(mean, low, high)`` as Python floats.

    Raises:
        InputError (a ValueError): bad arguments, non-finite or multi-dimensional values.
    """
    _check_options(confidence, n_resamples, method)
    x = _as_sample(values, "values")
    gen = _as_rng(rng)
    if x.size == 0:
        return (math.nan, math.nan, math.nan)
    mean = float(np.mean(x))
    if x.size < 2:
        return (mean, math.nan, math.nan)
    if np.ptp(x) == 0.0:
        return (mean, mean, mean)
    low, high = _bootstrap_ci((x,), _mean_stat, confidence, n_resamples, method, gen)
    return (mean, low, high)


def paired_difference(
    treatment: ArrayLike,
    baseline: ArrayLike,
    confidence: float = 0.95,
    n_resamples: int = DEFAULT_RESAMPLES,
    rng: RngLike = 0,
    *,
    method: str = "BCa",
) -> DifferenceResult:
    """Mean paired difference ``treatment - baseline`` under common random numbers.

    ``treatment[k]`` and ``baseline[k]`` must come from runs that share replication ``k``'s
    seed. The interval is the bootstrap interval (Efron & Tibshirani 1993) of the mean of the
    per-replication differences ``d_k``: resampling whole pairs keeps the correlation induced by
    the shared seed, which is what makes the interval narrow.

    The effect size is Cohen's ``d_z`` for paired data, ``mean(d) / sd(d)`` with the sample
    standard deviation (ddof=1) of the differences (Cohen, J., 1988, *Statistical Power Analysis
    for the Behavioral Sciences*, 2nd ed.; Lakens, D., 2013, Front. Psychol. 4:863). It measures
    the shift relative to the replication-to-replication spread *of the difference*, so it is
    larger than the unpaired Cohen's d when CRN works; it is the natural scale for "how reliably
    does this scenario beat the baseline in a given replication". When every difference is equal
    (sd 0) it is 0 if the differences are all zero and +/-inf otherwise (a deterministic shift);
    with fewer than two pairs it is NaN.

    Returns:
        ``{"mean_diff", "low", "high", "effect_size", "significant", "n"}`` where
        ``significant`` is True when the interval excludes zero and ``n`` is the number of pairs.

    Raises:
        InputError (a ValueError): bad arguments, unequal lengths, non-finite values.
    """
    _check_options(confidence, n_resamples, method)
    t = _as_sample(treatment, "treatment")
    b = _as_sample(baseline, "baseline")
    if t.size != b.size:
        raise InputError(
            f"paired samples need equal lengths, got {t.size} treatment and {b.size} baseline"
            " values",
            key="treatment",
        )
    d = t - b
    mean_diff, low, high = mean_ci(d, confidence, n_resamples, rng, method=method)
    effect = math.nan if d.size < 2 else _standardised(mean_diff, float(np.std(d, ddof=1)))
    return DifferenceResult(
        mean_diff=mean_diff,
        low=low,
        high=high,
        effect_size=effect,
        significant=_excludes_zero(low, high),
        n=int(d.size),
    )


def independent_difference(
    treatment: ArrayLike,
    baseline: ArrayLike,
    confidence: float = 0.95,
    n_resamples: int = DEFAULT_RESAMPLES,
    rng: RngLike = 0,
    *,
    method: str = "BCa",
) -> DifferenceResult:
    """Difference of means ``mean(treatment) - mean(baseline)`` for independent samples.

    The unpaired counterpart of :func:`paired_difference`: the two samples are resampled
    independently (two-sample bootstrap, Efron & Tibshirani 1993, sec. 8.3) and the interval is
    that of the difference of the resampled means. The samples may have different sizes.

    The effect size is Cohen's d with the pooled standard deviation,
    ``(mean_t - mean_b) / sqrt(((n_t - 1) s_t^2 + (n_b - 1) s_b^2) / (n_t + n_b - 2))``
    (Cohen 1988). A zero pooled sd gives 0 or +/-inf as in :func:`paired_difference`; it is NaN
    when either sample is empty or both have a single value.

    Returns:
        The same keys as :func:`paired_difference`; ``n`` is the total number of values. The
        interval is NaN unless each sample has at least two values.

    Raises:
        InputError (a ValueError): bad arguments or non-finite values.
    """
    _check_options(confidence, n_resamples, method)
    t = _as_sample(treatment, "treatment")
    b = _as_sample(baseline, "baseline")
    gen = _as_rng(rng)
    n = int(t.size + b.size)
    if t.size == 0 or b.size == 0:
        return DifferenceResult(
            mean_diff=math.nan,
            low=math.nan,
            high=math.nan,
            effect_size=math.nan,
            significant=False,
            n=n,
        )
    mean_diff = float(np.mean(t) - np.mean(b))

    if t.size < 2 or b.size < 2:
        low = high = math.nan
    elif np.ptp(t) == 0.0 and np.ptp(b) == 0.0:
        low = high = mean_diff
    else:
        low, high = _bootstrap_ci((t, b), _diff_of_means_stat, confidence, n_resamples, method, gen)

    dof = t.size + b.size - 2
    if dof < 1:
        effect = math.nan
    else:
        ss = (t.size - 1) * np.var(t, ddof=1) if t.size > 1 else 0.0
        ss += (b.size - 1) * np.var(b, ddof=1) if b.size > 1 else 0.0
        effect = _standardised(mean_diff, math.sqrt(ss / dof))
    return DifferenceResult(
        mean_diff=mean_diff,
        low=low,
        high=high,
        effect_size=effect,
        significant=_excludes_zero(low, high),
        n=n,
    )


def _standardised(mean_diff: float, sd: float) -> float:
    """A difference in standard deviations; with no spread, 0 or an infinity of its sign."""
    if sd > 0.0:
        return mean_diff / sd
    return 0.0 if mean_diff == 0.0 else math.copysign(math.inf, mean_diff)


_TABLE_COLUMNS = [
    "scenario",
    "metric",
    "n",
    "mean",
    "ci_low",
    "ci_high",
    "baseline",
    "n_pairs",
    "diff",
    "diff_low",
    "diff_high",
    "effect_size",
    "significant",
]


def compare_table(
    df: pd.DataFrame,
    scenario_col: str,
    replication_col: str,
    metrics: Sequence[str] | str,
    baseline: object,
    confidence: float = 0.95,
    n_resamples: int = DEFAULT_RESAMPLES,
    rng: RngLike = 0,
    *,
    method: str = "BCa",
) -> pd.DataFrame:
    """Tidy comparison of scenarios against a baseline, paired by replication number.

    ``df`` has one row per run: a scenario label, a replication number (the CRN key: runs of
    different scenarios with the same replication number share a seed) and one column per
    metric. The result has one row per (scenario, metric), the baseline's rows first and then
    the other scenarios in order of first appearance, with columns

    - ``scenario``, ``metric``;
    - ``n``, ``mean``, ``ci_low``, ``ci_high``: the scenario's replications with a value for the
      metric and their mean with its bootstrap interval (:func:`mean_ci`);
    - ``baseline``: the baseline's label;
    - ``n_pairs``, ``diff``, ``diff_low``, ``diff_high``, ``effect_size``, ``significant``: the
      paired comparison with the baseline (:func:`paired_difference`) over the replication
      numbers present, with a value, in both scenarios. On the baseline's own rows these are
      missing (NaN, and ``<NA>`` in the nullable ``n_pairs`` and ``significant`` columns).

    Missing metric values (NaN) are left out, per metric, and the counts show it; infinite
    values are an error. One Generator built from ``rng`` serves all cells in row order, so the
    table is reproducible for a given seed.

    Raises:
        InputError (a ValueError): missing columns, unknown baseline, non-numeric or infinite
        metric values, or a (scenario, replication) pair that occurs more than once.
    """
    _check_options(confidence, n_resamples, method)
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"must be a pandas DataFrame, got {type(df).__name__}", key="df")
    metric_list = [metrics] if isinstance(metrics, str) else list(metrics)
    if not metric_list:
        raise InputError("needs at least one metric column", key="metrics")
    if len(set(metric_list)) != len(metric_list):
        raise InputError("lists a column more than once", key="metrics")
    for col, key in [(scenario_col, "scenario_col"), (replication_col, "replication_col")]:
        if col not in df.columns:
            raise InputError(f"column {col!r} is not in the data frame", key=key)
    if scenario_col == replication_col:
        raise InputError("must differ from scenario_col", key="replication_col")
    for m in metric_list:
        if m not in df.columns:
            raise InputError(f"column {m!r} is not in the data frame", key="metrics")
        if m in (scenario_col, replication_col):
            raise InputError(f"{m!r} is the scenario or replication column", key="metrics")
        if not pd.api.types.is_numeric_dtype(df[m]) or pd.api.types.is_bool_dtype(df[m]):
            raise InputError(f"column {m!r} is not numeric (dtype {df[m].dtype})", key="metrics")
        if np.isinf(df[m].to_numpy(dtype=float)).any():
            raise InputError(f"column {m!r} has infinite values", key="metrics")
    if df[scenario_col].isna().any() or df[replication_col].isna().any():
        raise InputError("scenario and replication columns must not have missing values", key="df")
    scenarios = list(pd.unique(df[scenario_col]))
    if baseline not in scenarios:
        raise InputError(
            f"{baseline!r} is not a scenario in column {scenario_col!r}", key="baseline"
        )
    dup = df.duplicated([scenario_col, replication_col])
    if dup.any():
        first = df.loc[dup, [scenario_col, replication_col]].iloc[0]
        raise InputError(
            f"scenario {first[scenario_col]!r} has replication {first[replication_col]!r} more"
            " than once; pairing needs one run per (scenario, replication)",
            key="df",
        )

    gen = _as_rng(rng)
    order = [baseline] + [s for s in scenarios if s != baseline]
    # One wide frame per metric: rows are replication numbers, columns scenarios. A replication
    # a scenario lacks shows up as NaN exactly like a missing metric value.
    wide = {m: df.pivot(index=replication_col, columns=scenario_col, values=m) for m in metric_list}
    rows = []
    for scen in order:
        for m in metric_list:
            own = wide[m][scen].dropna()
            mean, low, high = mean_ci(own.to_numpy(), confidence, n_resamples, gen, method=method)
            row: dict[str, object] = {
                "scenario": scen,
                "metric": m,
                "n": int(own.size),
                "mean": mean,
                "ci_low": low,
                "ci_high": high,
                "baseline": baseline,
            }
            if scen == baseline:
                row.update(
                    n_pairs=pd.NA,
                    diff=math.nan,
                    diff_low=math.nan,
                    diff_high=math.nan,
                    effect_size=math.nan,
                    significant=pd.NA,
                )
            else:
                both = wide[m][[scen, baseline]].dropna()
                res = paired_difference(
                    both[scen].to_numpy(),
                    both[baseline].to_numpy(),
                    confidence,
                    n_resamples,
                    gen,
                    method=method,
                )
                row.update(
                    n_pairs=res["n"],
                    diff=res["mean_diff"],
                    diff_low=res["low"],
                    diff_high=res["high"],
                    effect_size=res["effect_size"],
                    significant=res["significant"],
                )
            rows.append(row)
    out = pd.DataFrame(rows, columns=_TABLE_COLUMNS)
    out["n_pairs"] = out["n_pairs"].astype("Int64")
    out["significant"] = out["significant"].astype("boolean")
    return out
