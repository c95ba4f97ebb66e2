"""Scenario comparisons across a calibrated ensemble (dmpsim.analysis.ensemble).

Every expected number is known by construction: the data are written by hand (or drawn from a
seeded generator where only a statistical property is tested, with the tolerance justified).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from dmpsim.analysis.ensemble import (
    MEMBER,
    SCENARIO,
    ensemble_table,
    kendall_w,
    paired_differences,
    ranking_agreement,
    regret,
    regret_by_member,
    share_better,
)
from dmpsim.errors import InputError

# Ten members. Against the baseline (10 everywhere) A is higher in members 0-6, equal in 7 and
# lower in 8-9. B is the best scenario in members 0, 2 and 4 only; in member 7 the baseline and
# A tie for best.
MEMBERS = list(range(10))
VALUES = {
    "base": [10, 10, 10, 10, 10, 10, 10, 10, 10, 10],
    "A": [12, 11, 13, 14, 15, 11, 12, 10, 9, 8],
    "B": [13, 9, 14, 9, 16, 9, 9, 9, 9, 9],
}
# The best value in each member, and each scenario's shortfall from it, by hand.
BEST = [13, 11, 14, 14, 16, 11, 12, 10, 10, 10]
REGRET = {
    "base": [3, 1, 4, 4, 6, 1, 2, 0, 0, 0],
    "A": [1, 0, 1, 0, 1, 0, 0, 0, 1, 2],
    "B": [0, 2, 0, 5, 0, 2, 3, 1, 1, 1],
}
# Mean and 90th percentile (linear interpolation: position 0.9 * 9 = 8.1 in the sorted values).
# base sorted 0 0 0 1 1 2 3 4 4 6 -> 4 + 0.1 * (6 - 4); A 0 0 0 0 0 1 1 1 1 2 -> 1 + 0.1 * 1;
# B 0 0 0 1 1 1 2 2 3 5 -> 3 + 0.1 * 2.
REGRET_MEAN = {"base": 2.1, "A": 0.6, "B": 1.5}
REGRET_P90 = {"base": 4.2, "A": 1.1, "B": 3.2}
# Best in: base 8, 9 and half of 7; A 1, 3, 5, 6 and half of 7; B 0, 2, 4.
SHARE_BEST = {"base": 0.25, "A": 0.45, "B": 0.3}
N_BEST = {"base": 3, "A": 5, "B": 3}


def frame(values: dict[str, list[float]], output: str = "y", **more: dict) -> pd.DataFrame:
    """Long frame: one row per (scenario, member); `more` adds further outputs."""
    rows = []
    for scen, vals in values.items():
        for k, v in enumerate(vals):
            row = {SCENARIO: scen, MEMBER: k, output: v}
            for name, other in more.items():
                row[name] = other[scen][k]
            rows.append(row)
    return pd.DataFrame(rows)


def wilson(k: int, n: int, conf: float = 0.95) -> tuple[float, float]:
    """Wilson's score interval from its formula, to check the library call."""
    z = sps.norm.ppf(0.5 + conf / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@pytest.fixture
def df() -> pd.DataFrame:
    return frame(VALUES)


# ------------------------------------------------------------------------------------------
# the hand-written table checks itself


def test_hand_table_is_consistent():
    vals = {s: np.array(v, dtype=float) for s, v in VALUES.items()}
    best = np.max(np.vstack(list(vals.values())), axis=0)
    assert best.tolist() == BEST
    for s, v in vals.items():
        assert (best - v).tolist() == REGRET[s]
        assert np.mean(REGRET[s]) == pytest.approx(REGRET_MEAN[s])
        assert np.percentile(REGRET[s], 90) == pytest.approx(REGRET_P90[s])


# ------------------------------------------------------------------------------------------
# paired differences


def test_paired_differences_are_scenario_minus_baseline(df):
    d = paired_differences(df, "base", "y")
    assert list(d.columns) == ["scenario", "output", "member", "value", "baseline_value",
                               "difference"]
    assert d["scenario"].tolist() == ["A"] * 10 + ["B"] * 10
    a = d[d["scenario"] == "A"]
    assert a["member"].tolist() == MEMBERS
    assert a["difference"].tolist() == [2, 1, 3, 4, 5, 1, 2, 0, -1, -2]
    assert (d["value"] - d["baseline_value"] == d["difference"]).all()


def test_failed_runs_are_left_out_pairwise_and_counted(df):
    df.loc[(df[SCENARIO] == "A") & (df[MEMBER] == 9), "y"] = np.nan  # A's member 9 failed
    d = paired_differences(df, "base", "y")
    assert 9 not in d.loc[d["scenario"] == "A", "member"].tolist()
    assert 9 in d.loc[d["scenario"] == "B", "member"].tolist()  # only the affected pair goes
    s = share_better(df, "base", "y", {"y": 1}).set_index("scenario")
    assert (s.loc["A", "n"], s.loc["A", "n_missing"]) == (9, 1)
    assert s.loc["A", "share_better"] == pytest.approx(7 / 9)
    assert (s.loc["B", "n"], s.loc["B", "n_missing"]) == (10, 0)
    r = regret(df, "y", {"y": 1})  # the best is unknown in member 9: it goes for every scenario
    assert (r["n"] == 9).all() and (r["n_missing"] == 1).all()


# ------------------------------------------------------------------------------------------
# share better


def test_share_better_higher_is_better(df):
    s = share_better(df, "base", "y", {"y": 1}).set_index("scenario")
    a = s.loc["A"]
    assert (a["n"], a["n_missing"], a["direction"]) == (10, 0, 1)
    assert (a["share_better"], a["share_tied"], a["share_worse"]) == (0.7, 0.1, 0.2)
    assert a["headline"] == "share_better"
    assert (a["ci_low"], a["ci_high"]) == pytest.approx(wilson(7, 10))
    b = s.loc["B"]
    assert (b["share_better"], b["share_tied"], b["share_worse"]) == (0.3, 0.0, 0.7)
    assert "base" not in s.index


def test_lower_is_better_reverses_everything(df):
    s = share_better(df, "base", "y", {"y": -1}).set_index("scenario")
    a = s.loc["A"]
    assert (a["share_better"], a["share_tied"], a["share_worse"]) == (0.2, 0.1, 0.7)
    assert (a["share_higher"], a["share_lower"]) == (0.7, 0.2)  # by value: unchanged
    assert (a["ci_low"], a["ci_high"]) == pytest.approx(wilson(2, 10))

    # Negated values with "lower is better" are the same comparison as the original.
    neg = frame({k: [-v for v in vals] for k, vals in VALUES.items()})
    up = share_better(df, "base", "y", {"y": 1})
    down = share_better(neg, "base", "y", {"y": -1})
    cols = ["share_better", "share_tied", "share_worse", "ci_low", "ci_high"]
    pd.testing.assert_frame_equal(up[cols], down[cols])
    pd.testing.assert_frame_equal(
        up[["share_higher", "share_lower"]],
        down[["share_lower", "share_higher"]].set_axis(["share_higher", "share_lower"], axis=1),
    )
    r_up = regret(df, "y", {"y": 1}).drop(columns="direction")
    r_down = regret(neg, "y", {"y": -1}).drop(columns="direction")
    pd.testing.assert_frame_equal(r_up, r_down)
    k_up = ranking_agreement(df, "y", {"y": 1})
    k_down = ranking_agreement(neg, "y", {"y": -1})
    for col in ["ranking", "share_same", "n_rankings", "kendall_w", "verdict"]:
        assert k_up.loc[0, col] == k_down.loc[0, col]


@pytest.mark.parametrize("better", [{"y": 0}, {}])
def test_no_direction_reports_share_higher_and_no_regret(df, better):
    s = share_better(df, "base", "y", better).set_index("scenario")
    a = s.loc["A"]
    assert a["direction"] == 0 and a["headline"] == "share_higher"
    assert math.isnan(a["share_better"]) and math.isnan(a["share_worse"])
    assert (a["share_higher"], a["share_tied"], a["share_lower"]) == (0.7, 0.1, 0.2)
    assert (a["ci_low"], a["ci_high"]) == pytest.approx(wilson(7, 10))
    r = regret(df, "y", better)
    assert r[["regret_mean", "regret_p90", "share_best"]].isna().all().all()
    assert r["n_best"].isna().all()
    assert (r["n"] == 10).all()
    assert regret_by_member(df, "y", better).empty
    k = ranking_agreement(df, "y", better)
    assert k.loc[0, "ranked_by"] == "higher first (neither is better)"
    assert k.loc[0, "ranking"] == ("A", "base", "B")  # as with higher is better


def test_share_interval_level_and_unanimous_share(df):
    wide = share_better(df, "base", "y", {"y": 1}, confidence=0.99).set_index("scenario")
    narrow = share_better(df, "base", "y", {"y": 1}, confidence=0.5).set_index("scenario")
    assert wide.loc["A", "ci_low"] < narrow.loc["A", "ci_low"] < 0.7
    assert 0.7 < narrow.loc["A", "ci_high"] < wide.loc["A", "ci_high"]
    everywhere = frame({"base": [0] * 5, "A": [1] * 5})
    s = share_better(everywhere, "base", "y", {"y": 1})
    assert s.loc[0, "share_better"] == 1.0 and s.loc[0, "ci_high"] == pytest.approx(1.0)


# ------------------------------------------------------------------------------------------
# regret


def test_regret_by_member_matches_the_hand_table(df):
    r = regret_by_member(df, "y", {"y": 1})
    assert list(r.columns) == ["scenario", "output", "member", "value", "regret", "best"]
    for scen, expected in REGRET.items():
        rows = r[r["scenario"] == scen]
        assert rows["member"].tolist() == MEMBERS
        assert rows["regret"].tolist() == expected
        assert rows["best"].tolist() == [x == 0 for x in expected]


def test_regret_summary_matches_the_hand_table(df):
    r = regret(df, "y", {"y": 1}).set_index("scenario")
    assert r.index.tolist() == ["base", "A", "B"]  # the baseline too, in order of appearance
    for scen in VALUES:
        assert r.loc[scen, "regret_mean"] == pytest.approx(REGRET_MEAN[scen])
        assert r.loc[scen, "regret_p90"] == pytest.approx(REGRET_P90[scen])
        assert r.loc[scen, "share_best"] == pytest.approx(SHARE_BEST[scen])
        assert r.loc[scen, "n_best"] == N_BEST[scen]
    assert r["share_best"].sum() == pytest.approx(1.0)


def test_regret_lower_is_better_on_the_same_values(df):
    r = regret(df, "y", {"y": -1}).set_index("scenario")
    low = np.min(np.vstack([VALUES[s] for s in VALUES]), axis=0)
    for scen, vals in VALUES.items():
        shortfall = np.array(vals) - low
        assert r.loc[scen, "regret_mean"] == pytest.approx(shortfall.mean())
        assert r.loc[scen, "regret_p90"] == pytest.approx(np.percentile(shortfall, 90))


# ------------------------------------------------------------------------------------------
# rankings


def ranked(rows: list[list[float]], names=("s0", "s1", "s2")) -> pd.DataFrame:
    """A frame whose member k has the values rows[k] for the scenarios `names`."""
    return frame({n: [row[j] for row in rows] for j, n in enumerate(names)})


def test_identical_rankings_everywhere():
    rows = [[3 + k, 2 + k, 1 + k] for k in range(10)]  # different values, same order
    k = ranking_agreement(ranked(rows), "y", {"y": 1}).iloc[0]
    assert k["ranking"] == ("s0", "s1", "s2") and k["ranking_text"] == "s0 > s1 > s2"
    assert (k["share_same"], k["n_rankings"], k["n"]) == (1.0, 1, 10)
    assert k["kendall_w"] == pytest.approx(1.0)
    assert k["verdict"] == "same ranking in every member"


def test_one_member_reversed():
    rows = [[3, 2, 1]] * 9 + [[1, 2, 3]]
    k = ranking_agreement(ranked(rows), "y", {"y": 1}).iloc[0]
    assert k["ranking"] == ("s0", "s1", "s2")
    assert (k["share_same"], k["n_rankings"]) == (0.9, 2)
    # Rank sums (12, 20, 28) around 20: S = 128; W = 12 * 128 / (10^2 * (27 - 3)) = 0.64.
    assert k["kendall_w"] == pytest.approx(0.64)
    assert k["verdict"] == "same ranking in 90% of members (9 of 10)"


def test_random_rankings_have_w_near_zero():
    gen = np.random.default_rng(20240612)
    m, n = 500, 4
    rows = gen.normal(size=(m, n)).tolist()
    k = ranking_agreement(ranked(rows, names=("a", "b", "c", "d")), "y", {"y": 1}).iloc[0]
    # Under independence E[W] = 1/m = 0.002 and m (n - 1) W is chi-squared with n - 1 = 3
    # degrees of freedom, so W > 0.02 means chi2_3 > 30, probability about 1.4e-6.
    assert 0.0 <= k["kendall_w"] < 0.02
    assert k["share_same"] < 0.1  # 24 orders, each about 1/24 of members
    assert k["verdict"].startswith("rankings disagree")


def test_kendall_w_with_ties_matches_friedman():
    # With ties, m (n - 1) W equals scipy's tie-corrected Friedman statistic.
    values = np.array([[1, 1, 2, 3], [1, 2, 2, 2], [4, 3, 2, 1], [1, 2, 3, 4], [2, 2, 2, 1]])
    ranks = sps.rankdata(values, axis=1)
    m, n = values.shape
    friedman = sps.friedmanchisquare(*values.T).statistic
    assert kendall_w(ranks) * m * (n - 1) == pytest.approx(friedman)
    assert math.isnan(kendall_w(np.ones((3, 4))))  # every member ties everything
    assert math.isnan(kendall_w(np.empty((0, 3))))


def test_ties_in_rankings_are_shown_and_kept_apart():
    rows = [[2, 1, 1]] * 6 + [[2, 1, 0]] * 4
    k = ranking_agreement(ranked(rows), "y", {"y": 1}).iloc[0]
    assert k["ranking"] == ("s0", "s1", "s2") and k["ranking_text"] == "s0 > s1 = s2"
    assert (k["share_same"], k["n_rankings"]) == (0.6, 2)


# ------------------------------------------------------------------------------------------
# the joined table


def test_ensemble_table_joins_the_parts(df):
    df["z"] = -df["y"]
    t = ensemble_table(df, "base", ["y", "z"], {"y": 1, "z": -1}).set_index(["scenario", "output"])
    assert t.index.tolist() == [(s, o) for s in ("base", "A", "B") for o in ("y", "z")]
    a = t.loc["A", "y"]
    assert (a["n_members"], a["n_paired"], a["n_complete"]) == (10, 10, 10)
    assert a["diff_mean"] == pytest.approx(1.5) and a["diff_median"] == pytest.approx(1.5)
    assert a["share_better"] == 0.7
    assert a["regret_mean"] == pytest.approx(0.6) and a["share_best"] == pytest.approx(0.45)
    assert a["modal_rank"] == 1 and a["modal_ranking"] == "A > base > B"
    assert t.loc[("A", "z"), "share_better"] == 0.7  # z = -y with lower better: the same
    base = t.loc["base", "y"]
    assert pd.isna(base["n_paired"]) and math.isnan(base["share_better"])
    assert base["regret_mean"] == pytest.approx(2.1) and base["modal_rank"] == 2
    assert t.loc[("B", "y"), "modal_rank"] == 3


# ------------------------------------------------------------------------------------------
# errors


def one_line_error(call) -> str:
    with pytest.raises(InputError) as info:
        call()
    message = str(info.value)
    assert "\n" not in message
    return message


def test_missing_member_is_an_error_naming_scenario_and_member(df):
    gap = df[~((df[SCENARIO] == "B") & df[MEMBER].isin([3, 7]))]
    for call in (
        lambda: paired_differences(gap, "base", "y"),
        lambda: share_better(gap, "base", "y", {"y": 1}),
        lambda: regret(gap, "y", {"y": 1}),
        lambda: ranking_agreement(gap, "y", {"y": 1}),
        lambda: ensemble_table(gap, "base", "y", {"y": 1}),
    ):
        message = one_line_error(call)
        assert "'B'" in message and "3, 7" in message


def test_incomplete_drop_leaves_members_out(df):
    gap = df[~((df[SCENARIO] == "B") & (df[MEMBER] == 9))]
    s = share_better(gap, "base", "y", {"y": 1}, incomplete="drop").set_index("scenario")
    assert (s.loc["A", "n"], s.loc["B", "n"], s.loc["B", "n_missing"]) == (10, 9, 1)
    r = regret(gap, "y", {"y": 1}, incomplete="drop")
    assert (r["n"] == 9).all()
    message = one_line_error(lambda: share_better(gap, "base", "y", {"y": 1}, incomplete="x"))
    assert "incomplete" in message


def test_baseline_lacking_a_member_is_named(df):
    gap = df[~((df[SCENARIO] == "base") & (df[MEMBER] == 4))]
    message = one_line_error(lambda: paired_differences(gap, "base", "y"))
    assert "baseline 'base' lacks member(s) 4" in message


def test_unknown_baseline_and_output(df):
    assert "'nope' is not a scenario" in one_line_error(
        lambda: share_better(df, "nope", "y", {"y": 1}))
    assert "'w' is not in the data frame" in one_line_error(
        lambda: regret(df, ["y", "w"], {"y": 1}))


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d.drop(columns=MEMBER), "no 'member' column"),
        (lambda d: pd.concat([d, d.iloc[:1]]), "more than once"),
        (lambda d: d.assign(y=np.where(d.index == 0, np.inf, d["y"])), "infinite"),
        (lambda d: d.assign(y=d["y"].astype(str)), "not numeric"),
    ],
)
def test_bad_frames(df, change, words):
    assert words in one_line_error(lambda: ranking_agreement(change(df), "y", {"y": 1}))


@pytest.mark.parametrize("bad", [{"y": 2}, {"y": True}, {"y": "up"}, [("y", 1)]])
def test_bad_directions(df, bad):
    assert "better" in one_line_error(lambda: regret(df, "y", bad))


# ------------------------------------------------------------------------------------------
# properties

PROPS = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.too_slow])


@st.composite
def ensembles(draw):
    """A complete design; small integer values so that ties are common."""
    n_scen = draw(st.integers(2, 4))
    n_mem = draw(st.integers(1, 8))
    cell = st.one_of(st.integers(0, 3).map(float), st.just(math.nan))
    values = {f"s{j}": draw(st.lists(cell, min_size=n_mem, max_size=n_mem))
              for j in range(n_scen)}
    return frame(values), draw(st.sampled_from([-1, 1]))


@PROPS
@given(ensembles())
def test_regret_is_zero_for_the_best_and_positive_otherwise(case):
    df, direction = case
    better = {"y": direction}
    per_member = regret_by_member(df, "y", better)
    assert (per_member["regret"] >= 0).all()
    by_member = per_member.groupby("member")
    assert (by_member["regret"].min() == 0).all()
    assert ((per_member["regret"] == 0) == per_member["best"]).all()
    r = regret(df, "y", better)
    if r["n"].iloc[0] > 0:
        assert r["share_best"].sum() == pytest.approx(1.0)
        assert (r["regret_p90"] >= 0).all()


@PROPS
@given(ensembles())
def test_shares_add_up_to_one(case):
    df, direction = case
    s = share_better(df, "s0", "y", {"y": direction})
    done = s[s["n"] > 0]
    total = done["share_better"] + done["share_tied"] + done["share_worse"]
    assert np.allclose(total, 1.0)
    assert np.allclose(done["share_higher"] + done["share_tied"] + done["share_lower"], 1.0)
    assert ((done["ci_low"] <= done["share_better"]) & (done["share_better"] <= done["ci_high"])
            ).all()
    w = ranking_agreement(df, "y", {"y": direction})["kendall_w"].iloc[0]
    assert math.isnan(w) or -1e-12 <= w <= 1 + 1e-12


def test_baseline_alone_gives_empty_comparisons():
    alone = frame({"base": [1.0, 2.0, 3.0]})
    assert paired_differences(alone, "base", "y").empty
    assert share_better(alone, "base", "y", {"y": 1}).empty
    k = ranking_agreement(alone, "y", {"y": 1}).iloc[0]
    assert k["verdict"] == "only one scenario" and math.isnan(k["kendall_w"])
    t = ensemble_table(alone, "base", "y", {"y": 1})
    assert len(t) == 1 and t.loc[0, "regret_mean"] == 0.0 and t.loc[0, "share_best"] == 1.0
