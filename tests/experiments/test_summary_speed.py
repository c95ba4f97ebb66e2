"""A run's summary and pattern figures, computed the fast way, against pandas' own way, to the
last bit.

`patterns` and `tables.summarise` compute the figures with numpy on each table's columns,
reproducing pandas' reductions (a Series' mean, a groupby's mean, `value_counts`' shares). The reference here is the straightforward pandas code they
replaced: on the tables of real runs (short and long, single and pooled) and on random tables,
every figure must be identical, not merely close.

A failure after a pandas upgrade may mean pandas changed how it adds numbers up (see
`patterns._group_means`); then follow it, or accept new last bits in the figures. The figures
themselves do not depend on the pandas installed: `_group_means` follows pandas 3.1's way of
summing a group, which earlier pandas (2.x, 3.0) did not use, so its last-bit comparison runs on
pandas >= 3.1 only, and a check that needs no pandas runs everywhere.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.version import Version

import dmpsim
from dmpsim.experiments import patterns
from dmpsim.model.params import INDEPENDENT_KINDS, OUTPUT_PRESSURES

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

RUNS = [("classroom", 1, 1), ("baseline", 2, 13), ("large_firm_entry", 3, 37),
        ("price_only_tender", 4, 61), ("quality_tender", 5, 120), ("baseline", 6, None)]


# The reference: pandas, as the summary was computed before numpy took over.

def ref_careers(practitioners):
    return practitioners.sort_values("year").groupby("practitioner").tail(1)


def ref_pt1(practitioners, several=3):
    careers = ref_careers(practitioners)
    seasoned = careers[careers["won"] >= several]
    return float((seasoned["episodes_met"] > 0).mean()) if len(seasoned) else math.nan


def ref_pt3(practitioners, several=3):
    careers = ref_careers(practitioners)
    seasoned = careers[careers["won"] >= several]
    return {"never_withdrew": float((seasoned["withdrawals"] == 0).mean()),
            "ever_withdrew": float((seasoned["withdrawals"] > 0).mean()),
            "ever_threatened": float((seasoned["threats"] > 0).mean()),
            "ever_declined": float((seasoned["declines"] > 0).mean())}


def ref_pt4(episodes, contracts, min_experience=10.0, min_reputation=0.6):
    at_award = contracts[["contract", "experience", "reputation"]]
    pressed = episodes[episodes["type"].isin(OUTPUT_PRESSURES)].merge(at_award, on="contract")
    established = pressed[pressed["practitioner_kind"].isin(INDEPENDENT_KINDS)
                          & (pressed["experience"] >= min_experience)
                          & (pressed["reputation"] >= min_reputation)]
    return established["response"].value_counts(normalize=True)


def ref_pt5(contracts, min_contracts=6):
    by_practitioner = contracts.groupby("practitioner")["experience"]
    own = contracts[(by_practitioner.transform("size") >= min_contracts)
                    & (by_practitioner.transform("nunique") >= 2)]
    if not len(own):
        return math.nan
    x = own["experience"] / 10.0
    y = own["n_episodes"].astype(float)
    dx = x - x.groupby(own["practitioner"]).transform("mean")
    dy = y - y.groupby(own["practitioner"]).transform("mean")
    spread = float((dx * dx).sum())
    return float((dx * dy).sum() / spread) if spread > 0 else math.nan


def ref_pt6(episodes, practitioners):
    own = episodes[episodes["practitioner_kind"].isin(INDEPENDENT_KINDS)]
    given_in = own["outcome"].isin(("complied", "conceded"))
    careers = ref_careers(practitioners)
    independents = careers[careers["kind"].isin(INDEPENDENT_KINDS)]
    exited = independents["exit_reason"].fillna("").astype(str) != ""

    def share(flags, mask):
        return float(flags[mask].mean()) if mask.any() else math.nan

    return {"given_in_reliant": share(given_in, own["reliant"].astype(bool)),
            "given_in_secure": share(given_in, ~own["reliant"].astype(bool)),
            "exited_reliant": share(exited, independents["reliant"].astype(bool)),
            "exited_secure": share(exited, ~independents["reliant"].astype(bool))}


def ref_pt7(episodes):
    return episodes.loc[episodes["outcome"] == "withdrawn", "type"].value_counts()


def ref_pt9(contracts):
    honest = contracts["honesty"] >= contracts["honesty"].median()
    trusted = contracts["trust"] >= 0.5
    return {"episodes_honest": float(contracts.loc[honest, "n_episodes"].mean()),
            "episodes_dishonest": float(contracts.loc[~honest, "n_episodes"].mean()),
            "integrity_honest": float(contracts.loc[honest, "integrity"].mean()),
            "integrity_dishonest": float(contracts.loc[~honest, "integrity"].mean()),
            "episodes_trusted": float(contracts.loc[trusted, "n_episodes"].mean())
            if trusted.any() else math.nan,
            "episodes_untrusted": float(contracts.loc[~trusted, "n_episodes"].mean())
            if (~trusted).any() else math.nan}


def ref_pt10(model, window=3):
    full_years = model.groupby((model["step"] - 1) // 12)["tenders"].agg(["sum", "size"])
    yearly = full_years.loc[full_years["size"] == 12, "sum"].astype(float)
    smooth = yearly.rolling(window).mean().dropna()
    if not len(smooth):
        return {"peak": math.nan, "last": math.nan, "stall": math.nan, "peak_year": math.nan}
    peak, last = float(smooth.max()), float(smooth.iloc[-1])
    return {"peak": peak, "last": last, "stall": 1.0 - last / peak if peak else math.nan,
            "peak_year": float(smooth.idxmax() + 1)}


def ref_figures(episodes, contracts, practitioners, model, independents_active):
    nan = math.nan
    pt2 = episodes["type"].value_counts(normalize=True) if len(episodes) else pd.Series()
    pt4 = ref_pt4(episodes, contracts) if len(episodes) else pd.Series()
    pt6 = ref_pt6(episodes, practitioners)
    withdrawals = ref_pt7(episodes)
    pt9 = ref_pt9(contracts) if len(contracts) else {}
    return {
        "PT1": ref_pt1(practitioners),
        "PT2": float(pt2.get("time_resources", 0.0)) if len(pt2) else nan,
        "PT3": ref_pt3(practitioners)["never_withdrew"] if len(practitioners) else nan,
        "PT4": float(pt4.get("comply", 0.0)) if len(pt4) else nan,
        "PT5": ref_pt5(contracts),
        "PT6": pt6["given_in_reliant"] - pt6["given_in_secure"],
        "PT7": float(withdrawals.get("method", 0) / withdrawals.sum()) if withdrawals.sum()
        else nan,
        "PT8": float(independents_active),
        "PT9": pt9.get("episodes_dishonest", nan) - pt9.get("episodes_honest", nan),
        "PT10": ref_pt10(model)["stall"],
    }


def ref_table_keys(steps, contracts, episodes):
    """The summary's keys that come from the contracts and episodes tables."""
    completed = contracts[contracts["status"] == "completed"]
    final5 = completed[completed["end_step"] > steps - 60]
    n_ep = len(episodes)
    responses = episodes["response"].value_counts() if n_ep else pd.Series(dtype=int)

    def share(part, whole):
        return part / whole if whole else math.nan

    def given_in(reliant):
        if not n_ep:
            return math.nan
        own = episodes[episodes["practitioner_kind"].isin(INDEPENDENT_KINDS)
                       & (episodes["reliant"] == reliant)]
        return (float(own["outcome"].isin(("complied", "conceded")).mean()) if len(own)
                else math.nan)

    scores = completed["response"].map({"implemented": 1.0, "partly": 0.5,
                                         "ignored": 0.0}).dropna()
    return {
        "integrity_mean": float(completed["integrity"].mean()) if len(completed) else math.nan,
        "integrity_final5": float(final5["integrity"].mean()) if len(final5) else math.nan,
        "pressure_rate": float((contracts["n_episodes"] > 0).mean()) if len(contracts)
        else math.nan,
        "episodes_per_contract": float(contracts["n_episodes"].mean()) if len(contracts)
        else math.nan,
        "comply_rate": share(responses.get("comply", 0), n_ep),
        "negotiate_rate": share(responses.get("negotiate", 0), n_ep),
        "pushback_rate": share(responses.get("push_back", 0) + responses.get("threaten", 0), n_ep),
        "withdraw_rate": share(responses.get("withdraw", 0), n_ep),
        "escalation_rate": share(int((episodes["reply"] == "escalate").sum()) if n_ep else 0,
                                 n_ep),
        "implementation_rate": float(scores.mean()) if len(scores) else math.nan,
        "contracts_completed": len(completed),
        "contracts_withdrawn": int((contracts["status"] == "withdrawn").sum()),
        "pre_empted": int(contracts["pre_empted"].sum()) if len(contracts) else 0,
        "given_in_rate_reliant": given_in(True),
        "given_in_rate_secure": given_in(False),
        "scandals": int(completed["discovered"].sum()),
    }


# Comparing, to the last bit.

def assert_same(new, ref, where=""):
    if isinstance(ref, pd.DataFrame):
        pd.testing.assert_frame_equal(new, ref, check_exact=True, check_column_type=True)
    elif isinstance(ref, pd.Series):
        pd.testing.assert_series_equal(new, ref, check_exact=True, check_index_type=True)
    elif isinstance(ref, dict):
        assert list(new) == list(ref), where
        for key in ref:
            assert_same(new[key], ref[key], f"{where} {key}")
    elif isinstance(ref, float) and math.isnan(ref):
        assert isinstance(new, float) and math.isnan(new), (where, new)
    else:
        assert new == ref and float(new).hex() == float(ref).hex(), (where, new, ref)


def assert_patterns_match(episodes, contracts, practitioners, model):
    assert_same(patterns.pattern_figures(episodes, contracts, practitioners, model, 7),
                ref_figures(episodes, contracts, practitioners, model, 7), "figures")
    assert_same(patterns.final_practitioners(practitioners), ref_careers(practitioners))
    assert_same(patterns.pt1_negative_experiences(practitioners, 2), ref_pt1(practitioners, 2))
    assert_same(patterns.pt3_walking_away(practitioners), ref_pt3(practitioners), "PT3")
    assert_same(patterns.pt4_established_responses(episodes, contracts),
                ref_pt4(episodes, contracts))
    assert_same(patterns.pt4_established_responses(episodes, contracts, 2.0, 0.3),
                ref_pt4(episodes, contracts, 2.0, 0.3))
    assert_same(patterns.pt5_learning(contracts, 3), ref_pt5(contracts, 3), "PT5")
    assert_same(patterns.pt6_reliance(episodes, practitioners),
                ref_pt6(episodes, practitioners), "PT6")
    assert_same(patterns.pt7_withdrawals_by_type(episodes), ref_pt7(episodes))
    assert_same(patterns.pt9_trust_and_honesty(contracts), ref_pt9(contracts), "PT9")
    assert_same(patterns.pt10_wave(model), ref_pt10(model), "PT10")
    assert_same(patterns.pt10_wave(model, 1), ref_pt10(model, 1), "PT10")


@pytest.fixture(scope="module")
def runs():
    return [dmpsim.run(scenario, seed=seed, steps=steps) for scenario, seed, steps in RUNS]


def test_summary_and_patterns_of_runs_match_pandas(runs):
    for result in runs:
        episodes, contracts = result.episodes, result.contracts
        reference = ref_table_keys(result.market.steps, contracts, episodes)
        assert_same({k: result.summary[k] for k in reference}, reference, result.scenario.name)
        assert_patterns_match(episodes, contracts, result.practitioners, result.model)


def test_patterns_of_pooled_runs_match_pandas(runs):
    # Pooled, contract and practitioner ids repeat: PT4's merge then counts an episode once
    # per row of its contract id.
    pooled = [pd.concat([getattr(r, name).assign(run=i) for i, r in enumerate(runs)],
                        ignore_index=True)
              for name in ("episodes", "contracts", "practitioners", "model")]
    assert_patterns_match(*pooled)


# Random tables: the groupby means of PT5 and the shares of the other patterns.

KINDS = (*INDEPENDENT_KINDS, "large_firm")
TYPES = ("time_resources", "method", "report_content", "outcome")


@st.composite
def random_tables(draw):
    n = draw(st.integers(0, 60))
    practitioner = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    if draw(st.booleans()):
        practitioner.sort()  # sorted groups: pandas' other way of adding up a group
    # Few levels of experience (repeats), or any float; missing now and then.
    level = st.sampled_from([0.0, 1.0, 2.5, 8.0, 10.0, 12.0, 30.0])
    experience = draw(st.lists(st.one_of(level, level, st.floats(0, 50), st.just(math.nan)),
                               min_size=n, max_size=n))
    unit = st.floats(0, 1)
    contracts = pd.DataFrame({
        "contract": range(n), "practitioner": practitioner, "experience": experience,
        "n_episodes": draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)),
        "reputation": draw(st.lists(unit, min_size=n, max_size=n)),
        "honesty": draw(st.lists(unit, min_size=n, max_size=n)),
        "trust": draw(st.lists(unit, min_size=n, max_size=n)),
        "integrity": draw(st.lists(st.one_of(unit, st.just(math.nan)), min_size=n, max_size=n)),
    }).astype({"contract": int, "practitioner": int, "experience": float, "n_episodes": int,
               "reputation": float, "honesty": float, "trust": float, "integrity": float})
    m = draw(st.integers(0, 40))
    text = lambda values: st.lists(st.sampled_from(values), min_size=m, max_size=m)  # noqa: E731
    # (None: a missing value, which the shares leave out)
    episodes = pd.DataFrame({
        "contract": draw(st.lists(st.integers(0, max(n + 2, 1)), min_size=m, max_size=m)),
        "type": draw(text((*TYPES, None))), "practitioner_kind": draw(text(KINDS)),
        "response": draw(text(("comply", "negotiate", "push_back", None))),
        "outcome": draw(text(("complied", "conceded", "withdrawn", "upheld"))),
        "reliant": draw(st.lists(st.booleans(), min_size=m, max_size=m)),
    }).astype({"contract": int, "reliant": bool,
               **{c: "str" for c in ("type", "practitioner_kind", "response", "outcome")}})
    k = draw(st.integers(1, 30))
    counts = st.lists(st.integers(0, 10), min_size=k, max_size=k)
    practitioners = pd.DataFrame({
        "year": draw(st.lists(st.integers(1, 3), min_size=k, max_size=k)),
        "practitioner": draw(st.lists(st.integers(0, 8), min_size=k, max_size=k)),
        "kind": draw(st.lists(st.sampled_from(KINDS), min_size=k, max_size=k)),
        "exit_reason": draw(st.lists(st.sampled_from(["", "insolvent"]), min_size=k, max_size=k)),
        "reliant": draw(st.lists(st.booleans(), min_size=k, max_size=k)),
        **{name: draw(counts) for name in ("won", "episodes_met", "withdrawals", "threats",
                                           "declines")},
    }).astype({"kind": "str", "exit_reason": "str", "reliant": bool})
    months = draw(st.integers(0, 130))
    model = pd.DataFrame({"step": range(1, months + 1),
                          "tenders": draw(st.lists(st.integers(0, 50), min_size=months,
                                                   max_size=months))}).astype(int)
    return episodes, contracts, practitioners, model


@SETTINGS
@given(random_tables())
def test_patterns_of_random_tables_match_pandas(tables_):
    assert_patterns_match(*tables_)


# pandas 3.1 sums a sorted, complete group with numpy's add.reduceat; 2.x and 3.0 kept a
# compensated running sum, which differs in the last bits (and makes +0.0 of a group of -0.0).
SUMS_LIKE_PANDAS_3_1 = Version(pd.__version__).release[:2] >= (3, 1)


@st.composite
def grouped_values(draw, specials=(0.1, 0.7, -0.0, math.nan, math.inf)):
    """Group codes 0..n-1 (sorted or not) and a value for each row."""
    codes = draw(st.lists(st.integers(0, 4), min_size=1, max_size=80))
    if draw(st.booleans()):
        codes = sorted(codes)
    value = st.one_of(st.floats(-1e6, 1e6), st.integers(-50, 50).map(float),
                      st.sampled_from(specials))
    values = np.array(draw(st.lists(value, min_size=len(codes), max_size=len(codes))))
    return np.unique(codes, return_inverse=True)[1], values


@pytest.mark.skipif(not SUMS_LIKE_PANDAS_3_1,
                    reason=f"_group_means follows pandas >= 3.1's sums; this is {pd.__version__}")
@SETTINGS
@given(grouped_values())
def test_group_means_are_pandas_to_the_last_bit(grouped):
    codes, values = grouped
    reference = pd.Series(values).groupby(codes).mean().to_numpy()
    means = patterns._group_means(codes, values)
    np.testing.assert_array_equal(means, reference)
    assert np.array_equal(np.signbit(means), np.signbit(reference))  # -0.0 is not 0.0 here


@SETTINGS
@given(grouped_values(specials=(0.1, 0.7, -0.0, math.nan)))
def test_group_means_are_the_means_of_the_groups(grouped):
    """Whatever pandas is installed: each group's mean is its exactly rounded mean, up to the
    rounding of a sum of at most 80 terms; missing values are left out, and a group with none
    left is missing."""
    codes, values = grouped
    means = patterns._group_means(codes, values)
    assert len(means) == codes.max() + 1
    for group, mean in enumerate(means):
        present = [v for v in values[codes == group] if not math.isnan(v)]
        if not present:
            assert math.isnan(mean)
            continue
        exact = math.fsum(present) / len(present)
        slack = 2 * len(present) * np.finfo(float).eps * sum(abs(v) for v in present)
        assert abs(mean - exact) <= slack / len(present) + np.finfo(float).tiny
