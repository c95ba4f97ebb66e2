"""Patterns PT1-PT5 of MODEL.md section 1, reproduced together by the default scenario.

Each check pools several seeds (not one lucky run) and leaves a margin; docs/ODD.md reports the
figures these tests see (`python benchmarks/patterns_report.py` prints them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import dmpsim
from dmpsim import patterns
from dmpsim.model.params import CONTROL_PRESSURES, OUTPUT_PRESSURES

SEEDS = range(6)


@pytest.fixture(scope="module")
def baseline_runs():
    return [dmpsim.run("baseline", seed=s) for s in SEEDS]


def test_pt1_negative_experiences_outweigh_positive(baseline_runs):
    shares = [patterns.pt1_negative_experiences(r.practitioners) for r in baseline_runs]
    assert min(shares) >= 0.6, shares
    assert np.mean(shares) >= 0.8, shares


def test_pt2_time_and_resources_most_frequent_outputs_rarest(baseline_runs):
    counts = pd.concat(
        [patterns.pt2_pressure_frequencies(r.episodes) for r in baseline_runs], axis=1
    ).sum(axis=1)
    assert counts.idxmax() == "time_resources", counts
    control = counts[list(CONTROL_PRESSURES)].sort_values()
    assert control.idxmax() == "experts_information", control
    assert set(control.index[:2]) == set(OUTPUT_PRESSURES), control
    # Every seed on its own keeps the top of the ranking.
    for r in baseline_runs:
        own = patterns.pt2_pressure_frequencies(r.episodes)
        assert own.idxmax() == "time_resources"


def test_pt3_walking_away_is_rare(baseline_runs):
    figures = pd.DataFrame([patterns.pt3_walking_away(r.practitioners) for r in baseline_runs])
    assert figures["never_withdrew"].min() >= 0.8, figures
    # A small minority threaten or walk away: some do, most do not.
    minority = figures["ever_withdrew"] + figures["ever_threatened"]
    assert minority.mean() > 0.0, figures
    assert minority.max() <= 0.4, figures


def test_pt4_established_independents_rarely_comply_on_outputs(baseline_runs):
    pooled = pd.concat(
        [r.episodes.assign(run=i) for i, r in enumerate(baseline_runs)], ignore_index=True)
    contracts = pd.concat(
        [r.contracts.assign(run=i) for i, r in enumerate(baseline_runs)], ignore_index=True)
    pooled["contract"] = pooled["run"] * 1_000_000 + pooled["contract"]
    contracts["contract"] = contracts["run"] * 1_000_000 + contracts["contract"]
    shares = patterns.pt4_established_responses(pooled, contracts)
    assert shares.sum() == pytest.approx(1.0)
    assert shares.get("comply", 0.0) <= 0.10, shares
    resist = shares.get("push_back", 0.0) + shares.get("threaten", 0.0) + shares.get("negotiate", 0.0)
    assert resist >= 0.85, shares


def test_pt5_pressure_per_contract_falls_with_experience(baseline_runs):
    slopes = [patterns.pt5_learning(r.contracts) for r in baseline_runs]
    assert np.mean(slopes) < 0, slopes
    assert sum(s < 0 for s in slopes) >= 5, slopes


@pytest.fixture(scope="module")
def commercialised_runs():
    runs = {}
    for name in ("large_firm_entry", "price_only_tender"):
        runs[name] = [dmpsim.run(name, seed=s) for s in range(4)]
    return runs


def test_large_firms_comply_more_than_independents(commercialised_runs):
    episodes = pd.concat([r.episodes for r in commercialised_runs["price_only_tender"]])
    control = episodes[episodes["type"].isin(CONTROL_PRESSURES)]
    comply = control.groupby("practitioner_kind")["response"].apply(lambda s: (s == "comply").mean())
    assert comply["large_firm"] > 2 * comply["independent_nonprofit"], comply
    assert comply["large_firm"] > 2 * comply["independent_commercial"], comply


def test_price_only_tenders_let_large_firms_push_out_experience(commercialised_runs):
    def mean(name, key):
        return np.mean([r.summary[key] for r in commercialised_runs[name]])

    assert mean("price_only_tender", "large_firm_share") > mean("large_firm_entry", "large_firm_share")
    assert mean("price_only_tender", "field_experience") < mean("large_firm_entry", "field_experience")
    assert mean("price_only_tender", "integrity_mean") < mean("large_firm_entry", "integrity_mean")
