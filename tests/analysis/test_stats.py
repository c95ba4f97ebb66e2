"""Bootstrap intervals and common-random-numbers comparisons (dmpsim.analysis.stats)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from dmpsim.analysis.stats import (
    compare_table,
    independent_difference,
    mean_ci,
    paired_difference,
)

# ------------------------------------------------------------------------------------------
# mean_ci


@pytest.mark.parametrize(
    ("method", "confidence", "lo", "hi"),
    [
        ("BCa", 0.95, 0.88, 0.99),
        ("percentile", 0.95, 0.88, 0.99),
        # A 50% interval must cover about half the time: shows `confidence` is honoured and
        # that a too-wide interval would fail.
        ("BCa", 0.50, 0.38, 0.62),
    ],
)
def test_mean_ci_covers_known_mean_at_nominal_rate(method, confidence, lo, hi):
    # Skewed data (gamma, shape 4: skewness 1) as simulation outputs often are; true mean 4.
    gen = np.random.default_rng(12345)
    shape, true_mean, n_sets, size = 4.0, 4.0, 200, 30
    hits = 0
    for _ in range(n_sets):
        x = gen.gamma(shape, 1.0, size=size)
        _, low, high = mean_ci(x, confidence, n_resamples=1000, rng=gen, method=method)
        hits += low <= true_mean <= high
    assert lo <= hits / n_sets <= hi


def test_mean_ci_width_matches_normal_theory_for_large_samples():
    x = np.random.default_rng(3).normal(10.0, 2.0, size=400)
    mean, low, high = mean_ci(x, rng=1)
    assert mean == pytest.approx(x.mean())
    assert low < mean < high
    expected = 2 * sps.norm.ppf(0.975) * x.std(ddof=1) / math.sqrt(x.size)
    assert high - low == pytest.approx(expected, rel=0.1)


def test_mean_ci_degenerate_inputs_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mean_ci([2.5] * 10) == (2.5, 2.5, 2.5)
        m, low, high = mean_ci([7.0])
        assert m == 7.0 and math.isnan(low) and math.isnan(high)
        assert all(math.isnan(v) for v in mean_ci([]))
        # Nearly degenerate (one distinct value among ties) must still give a finite interval.
        m, low, high = mean_ci([0.0] * 29 + [1.0])
        assert math.isfinite(low) and math.isfinite(high) and low <= m <= high


def test_mean_ci_is_reproducible_from_seed_or_generator():
    x = np.random.default_rng(0).exponential(size=25)
    assert mean_ci(x, rng=42) == mean_ci(x, rng=42)
    assert mean_ci(x, rng=np.random.default_rng(42)) == mean_ci(x, rng=42)
    assert mean_ci(x, rng=42) != mean_ci(x, rng=43)


# ------------------------------------------------------------------------------------------
# paired vs independent differences


def _crn_outputs(gen: np.random.Generator, n: int, effect: float):
    """Two scenarios whose replication k shares the noise term u_k (common random numbers)."""
    u = gen.normal(0.0, 1.0, size=n)  # shared per-replication noise, dominant
    baseline = 10.0 + u + gen.normal(0.0, 0.2, size=n)
    treatment = 10.0 + effect + u + gen.normal(0.0, 0.2, size=n)
    return treatment, baseline


def test_common_random_numbers_give_narrower_difference_intervals():
    gen = np.random.default_rng(2024)
    for _ in range(10):
        t, b = _crn_outputs(gen, n=30, effect=0.3)
        paired = paired_difference(t, b, rng=gen)
        indep = independent_difference(t, b, rng=gen)
        assert paired["mean_diff"] == pytest.approx(indep["mean_diff"])
        paired_width = paired["high"] - paired["low"]
        indep_width = indep["high"] - indep["low"]
        # Noise sd 1 shared vs 0.2*sqrt(2) residual: the paired interval is ~3.5x narrower.
        assert paired_width < 0.5 * indep_width
        assert paired["significant"]


def test_paired_effect_size_is_cohens_dz():
    t, b = _crn_outputs(np.random.default_rng(5), n=40, effect=0.5)
    res = paired_difference(t, b, rng=0)
    d = t - b
    assert res["effect_size"] == pytest.approx(d.mean() / d.std(ddof=1))
    assert res["n"] == 40
    assert res["low"] < res["mean_diff"] < res["high"]


def test_independent_effect_size_is_cohens_d_with_pooled_sd():
    gen = np.random.default_rng(6)
    a, b = gen.normal(1.0, 1.0, size=25), gen.normal(0.0, 2.0, size=35)
    res = independent_difference(a, b, rng=0)
    pooled = math.sqrt((24 * a.var(ddof=1) + 34 * b.var(ddof=1)) / 58)
    assert res["effect_size"] == pytest.approx((a.mean() - b.mean()) / pooled)
    assert res["n"] == 60


def test_independent_difference_agrees_with_welch_interval_for_large_samples():
    gen = np.random.default_rng(8)
    a, b = gen.normal(0.4, 1.0, size=300), gen.normal(0.0, 1.5, size=300)
    res = independent_difference(a, b, rng=0)
    welch = sps.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert res["low"] == pytest.approx(welch.low, abs=0.05)
    assert res["high"] == pytest.approx(welch.high, abs=0.05)


def test_differences_with_zero_spread():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        base = np.arange(10.0)
        shifted = paired_difference(base + 2.0, base)
        assert (shifted["mean_diff"], shifted["low"], shifted["high"]) == (2.0, 2.0, 2.0)
        assert shifted["effect_size"] == math.inf and shifted["significant"]
        same = paired_difference(base, base)
        assert same["effect_size"] == 0.0 and not same["significant"]
        one = paired_difference([1.0], [0.0])
        assert math.isnan(one["low"]) and math.isnan(one["effect_size"])
        assert not one["significant"]
        const = independent_difference([3.0] * 5, [1.0] * 4)
        assert (const["low"], const["high"], const["effect_size"]) == (2.0, 2.0, math.inf)


# ------------------------------------------------------------------------------------------
# compare_table


def _runs(n_rep: int = 30, seed: int = 11) -> pd.DataFrame:
    gen = np.random.default_rng(seed)
    u = gen.normal(0.0, 1.0, size=n_rep)
    rows = []
    for scen, effect in [("status_quo", 0.0), ("subsidy", 0.4), ("mandate", 0.0)]:
        noise = gen.normal(0.0, 0.1, size=n_rep)
        for k in range(n_rep):
            rows.append(
                {
                    "scenario": scen,
                    "replication": k,
                    "uptake": 5.0 + effect + u[k] + noise[k],
                    "cost": 100.0 + 10 * u[k] + (3.0 if scen == "mandate" else 0.0),
                }
            )
    return pd.DataFrame(rows)


def test_compare_table_layout_and_values():
    df = _runs()
    tab = compare_table(
        df, "scenario", "replication", ["uptake", "cost"], "status_quo", n_resamples=2000, rng=1
    )
    assert list(tab.columns) == [
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
    assert list(zip(tab.scenario, tab.metric, strict=True)) == [
        ("status_quo", "uptake"),
        ("status_quo", "cost"),
        ("subsidy", "uptake"),
        ("subsidy", "cost"),
        ("mandate", "uptake"),
        ("mandate", "cost"),
    ]
    base = tab[tab.scenario == "status_quo"]
    assert base["diff"].isna().all() and base["significant"].isna().all()
    assert base["n_pairs"].isna().all()
    cell = tab.set_index(["scenario", "metric"])
    assert cell.loc[("subsidy", "uptake"), "significant"]
    assert (
        cell.loc[("subsidy", "uptake"), "diff_low"]
        < 0.4
        < cell.loc[("subsidy", "uptake"), "diff_high"]
    )
    # cost differs by exactly 3 in every mandate replication: the interval collapses.
    mc = cell.loc[("mandate", "cost")]
    assert (mc["diff"], mc["diff_low"], mc["diff_high"]) == pytest.approx((3.0, 3.0, 3.0))
    assert not cell.loc[("subsidy", "cost"), "significant"]
    assert (tab["n"] == 30).all()
    sub = df[df.scenario == "subsidy"]["uptake"]
    assert cell.loc[("subsidy", "uptake"), "mean"] == pytest.approx(sub.mean())


def test_compare_table_pairs_by_replication_number_not_row_order():
    df = _runs()
    tab = compare_table(df, "scenario", "replication", "uptake", "status_quo", rng=3)
    shuffled = df.sample(frac=1.0, random_state=0).reset_index(drop=True)
    tab2 = compare_table(shuffled, "scenario", "replication", "uptake", "status_quo", rng=3)
    pd.testing.assert_frame_equal(tab, tab2)
    # Mis-pairing (relabelling the baseline's replications) destroys the CRN correlation and
    # must widen the interval a lot -- so the table is really pairing by the label.
    broken = df.copy()
    is_base = broken.scenario == "status_quo"
    broken.loc[is_base, "replication"] = (broken.loc[is_base, "replication"] + 7) % 30
    tab3 = compare_table(broken, "scenario", "replication", "uptake", "status_quo", rng=3)
    w = (tab.diff_high - tab.diff_low).iloc[1]
    w3 = (tab3.diff_high - tab3.diff_low).iloc[1]
    assert w3 > 3 * w


def test_compare_table_missing_values_and_replications():
    df = _runs()
    df = df[~((df.scenario == "status_quo") & (df.replication == 0))]
    df.loc[(df.scenario == "subsidy") & (df.replication == 5), "uptake"] = np.nan
    tab = compare_table(df, "scenario", "replication", "uptake", "status_quo", rng=0)
    row = tab.set_index("scenario").loc["subsidy"]
    assert row["n"] == 29 and row["n_pairs"] == 28
    assert tab.set_index("scenario").loc["status_quo", "n"] == 29


# ------------------------------------------------------------------------------------------
# argument checking


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: mean_ci([1, 2, 3], confidence=1.5), "confidence"),
        (lambda: mean_ci([1, 2, 3], confidence=0), "confidence"),
        (lambda: mean_ci([1, 2, 3], n_resamples=0), "n_resamples"),
        (lambda: mean_ci([1, 2, 3], method="bogus"), "method"),
        (lambda: mean_ci([[1, 2], [3, 4]]), "one-dimensional"),
        (lambda: mean_ci([1.0, np.nan]), "NaN"),
        (lambda: mean_ci(["a", "b"]), "numbers"),
        (lambda: mean_ci([1, 2, 3], rng="seed"), "rng"),
        (lambda: mean_ci([1, 2, 3], rng=-1), "rng"),
        (lambda: paired_difference([1, 2, 3], [1, 2]), "equal lengths"),
        (lambda: independent_difference([1, 2], [1, np.inf]), "baseline"),
    ],
)
def test_bad_arguments_raise_one_line_value_error(call, fragment):
    with pytest.raises(ValueError, match=fragment) as err:
        call()
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("mutate", "kwargs", "fragment"),
    [
        (None, {"scenario_col": "nope"}, "nope"),
        (None, {"metrics": []}, "at least one metric"),
        (None, {"metrics": ["uptake", "uptake"]}, "more than once"),
        (None, {"metrics": ["missing"]}, "missing"),
        (None, {"baseline": "other"}, "other"),
        (None, {"replication_col": "scenario"}, "must differ"),
        (lambda d: pd.concat([d, d.iloc[[0]]]), {}, "more than once"),
        (lambda d: d.assign(uptake=d.uptake.astype(str)), {}, "not numeric"),
        (lambda d: d.assign(uptake=np.inf), {}, "infinite"),
    ],
)
def test_compare_table_bad_arguments(mutate, kwargs, fragment):
    df = _runs(n_rep=5)
    if mutate is not None:
        df = mutate(df)
    args = {
        "scenario_col": "scenario",
        "replication_col": "replication",
        "metrics": "uptake",
        "baseline": "status_quo",
        **kwargs,
    }
    with pytest.raises(ValueError, match=fragment) as err:
        compare_table(df, **args)
    assert "\n" not in str(err.value)
