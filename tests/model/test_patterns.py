"""Patterns PT1-PT10 of ODD §1, reproduced together by the default scenario over 10 seeds, and
each weakened by knocking out the mechanism ODD §7.12 says produces it.

Runs come from the session fixture `ablation` (tests/model/conftest.py, made by
tests/knockouts.py): seeds 0-9, 20 years, paired across arms. Margins are the pattern's own words
("most", "rare", "the most frequent"), not the figures the model happens to give; docs/ODD.md §10
reports the figures (`python benchmarks/patterns_report.py`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dmpsim.experiments import patterns
from dmpsim.model.params import CONTROL_PRESSURES, OUTPUT_PRESSURES

pytestmark = pytest.mark.slow


def figure(ablation, arm: str, key: str) -> np.ndarray:
    summaries, _ = ablation
    return np.array([summaries[arm][s][key] for s in sorted(summaries[arm])], dtype=float)


def pooled(ablation, index: int) -> pd.DataFrame:
    _, tables = ablation
    frames = [tables[s][index].assign(run=s) for s in sorted(tables)]
    return pd.concat(frames, ignore_index=True)


def test_pt1_negative_experiences_outweigh_positive(ablation):
    shares = figure(ablation, "baseline", "PT1")
    assert shares.min() >= 0.6 and shares.mean() >= 0.8, shares
    # Without the most frequent pressure, fewer seasoned practitioners have met any.
    assert figure(ablation, "no_time_pressure", "PT1").mean() < shares.mean()


def test_pt2_time_and_resources_most_frequent_outputs_rarest(ablation):
    counts = pooled(ablation, 0)["type"].value_counts()
    assert counts.idxmax() == "time_resources", counts
    control = counts[list(CONTROL_PRESSURES)].sort_values()
    assert control.idxmax() == "experts_information", control
    assert set(control.index[:2]) == set(OUTPUT_PRESSURES), control
    assert (figure(ablation, "no_time_pressure", "PT2") < figure(ablation, "baseline", "PT2")).all()


def test_pt3_walking_away_is_rare(ablation):
    never = figure(ablation, "baseline", "PT3")
    assert never.min() >= 0.7 and never.mean() >= 0.8, never
    careers = [patterns.pt3_walking_away(t[2]) for t in ablation[1].values()]
    minority = np.array([c["ever_withdrew"] + c["ever_threatened"] for c in careers])
    assert minority.mean() > 0.0 and minority.max() <= 0.5, minority
    # Without the response ladder nobody ever walks away: the rare minority is gone.
    assert (figure(ablation, "no_response_ladder", "contracts_withdrawn") == 0).all()


def test_pt4_established_independents_rarely_comply_on_outputs(ablation):
    episodes, contracts = pooled(ablation, 0), pooled(ablation, 1)
    episodes["contract"] = episodes["run"] * 1_000_000 + episodes["contract"]
    contracts["contract"] = contracts["run"] * 1_000_000 + contracts["contract"]
    shares = patterns.pt4_established_responses(episodes, contracts)
    assert shares.get("comply", 0.0) <= 0.10, shares
    resist = shares.get("push_back", 0.0) + shares.get("threaten", 0.0) + shares.get("negotiate", 0.0)
    assert resist >= 0.85, shares
    # Knocking out reputation (motive and leverage) makes independents give in more.
    assert figure(ablation, "no_reputation", "comply_rate").mean() > figure(ablation, "baseline", "comply_rate").mean()


def test_pt5_pressure_per_contract_falls_with_experience_through_learning(ablation):
    slopes = figure(ablation, "baseline", "PT5")
    assert slopes.mean() < 0, slopes
    without = figure(ablation, "no_learning_or_pool", "PT5")
    assert without.mean() > slopes.mean(), (slopes.mean(), without.mean())


def test_pt6_reliance_on_commissioned_income_makes_practitioners_vulnerable(ablation):
    gap = figure(ablation, "baseline", "PT6")
    assert gap.mean() > 0 and (gap > 0).sum() >= 8, gap
    reliance = [patterns.pt6_reliance(t[0], t[2]) for t in ablation[1].values()]
    exited = np.array([r["exited_reliant"] - r["exited_secure"] for r in reliance])
    assert exited.mean() > 0, exited
    assert figure(ablation, "no_income_reliance", "PT6").mean() < gap.mean()


def test_pt7_the_rare_walk_out_is_over_method(ablation):
    withdrawals = pooled(ablation, 0)
    by_type = patterns.pt7_withdrawals_by_type(withdrawals)
    assert by_type.sum() > 0, by_type
    others = by_type.drop("method", errors="ignore")
    assert by_type.get("method", 0) >= (others.max() if len(others) else 0), by_type
    assert (figure(ablation, "no_method_insistence", "method_withdrawals").sum()
            < figure(ablation, "baseline", "method_withdrawals").sum())


def test_pt8_price_only_tenders_push_out_independents_and_experience(ablation):
    for key in ("independents_active", "field_experience", "integrity_mean"):
        price = figure(ablation, "price_only_tender", key).mean()
        assert price < figure(ablation, "baseline", key).mean(), key
        assert price < figure(ablation, "quality_tender", key).mean(), key
    # Without large firms entering, price-only tenders keep more independents.
    assert (figure(ablation, "no_large_firms", "independents_active").mean()
            > figure(ablation, "price_only_tender", "independents_active").mean())


def test_pt9_trust_and_honesty_make_good_experiences(ablation):
    figures = [patterns.pt9_trust_and_honesty(t[1]) for t in ablation[1].values()]
    frame = pd.DataFrame(figures)
    assert (frame["episodes_dishonest"] > frame["episodes_honest"]).mean() >= 0.8, frame
    assert (frame["episodes_untrusted"] > frame["episodes_trusted"]).mean() >= 0.8, frame
    assert frame["integrity_honest"].mean() >= frame["integrity_dishonest"].mean(), frame
    assert figure(ablation, "no_hidden_politics", "PT9").mean() < figure(ablation, "baseline", "PT9").mean()


def test_pt10_confidence_follows_integrity_and_drives_demand(ablation):
    summaries, _ = ablation
    rows = [summaries[arm][s] for arm in ("baseline", "price_only_tender", "quality_tender",
                                          "no_publication", "no_response_ladder")
            for s in summaries[arm]]
    frame = pd.DataFrame(rows)
    # Across runs, more scandals go with lower confidence, and lower confidence with less demand.
    assert frame["scandals"].corr(frame["public_confidence"]) < 0
    assert frame["public_confidence"].corr(frame["tenders"]) > 0
    assert (figure(ablation, "price_only_tender", "tenders").mean()
            < figure(ablation, "baseline", "tenders").mean())
    # Where commissioners ignore recommendations, confidence falls and the wave stalls more.
    low, base = figure(ablation, "low_commitment", "PT10"), figure(ablation, "baseline", "PT10")
    assert low.mean() > base.mean(), (low, base)
    assert (figure(ablation, "low_commitment", "public_confidence").mean()
            < figure(ablation, "baseline", "public_confidence").mean())
    # With ignored recommendations no longer held against the process, the stall weakens. (The
    # stall runs through peers' bad experiences more than through public confidence: knocking
    # out `confidence` alone leaves it; ODD §10.)
    forgiven = figure(ablation, "low_commitment_no_follow_through", "PT10")
    assert forgiven.mean() < low.mean(), (forgiven, low)
