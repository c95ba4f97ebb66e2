"""Knock-outs (ODD §7.12): switching each mechanism off moves the outputs the paper ties it to,
in the paper's direction, with a paired 95% interval that excludes zero.

Runs come from the session fixture `ablation` (tests/model/conftest.py, made by
tests/knockouts.py): 10 paired seeds, 20 years. Each row names the arm, the arm it is paired
with, the output and the sign the paper implies for knocking the mechanism out.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from dmpsim.model.params import MECHANISMS

# (mechanism, knock-out arm, reference arm, output, expected sign of knock-out minus reference)
EXPECTED = [
    ("commissioner_kinds", "no_commissioner_kinds", "baseline", "department_gap", -1),
    ("safety_net", "no_safety_net", "baseline", "comply_rate", +1),
    ("safety_net", "no_safety_net", "baseline", "exits_independent", +1),
    ("income_reliance", "no_income_reliance", "baseline", "comply_rate", -1),
    ("learning", "no_learning", "baseline", "pressure_rate", +1),
    ("staff_turnover", "no_staff_turnover", "baseline", "field_experience", +1),
    ("reputation", "no_reputation", "baseline", "comply_rate", +1),
    ("experts_pressure", "no_experts_pressure", "baseline", "pressure_rate", -1),
    ("output_pressure", "no_output_pressure", "baseline", "pressure_rate", -1),
    ("nonpayment_threat", "no_nonpayment_threat", "baseline", "escalation_rate", -1),
    ("time_pressure", "no_time_pressure", "baseline", "pressure_rate", -1),
    ("method_insistence", "no_method_insistence", "baseline", "contracts_withdrawn", -1),
    ("secrecy", "no_secrecy", "baseline", "pressure_rate", -1),
    ("participation_wash", "no_participation_wash", "baseline", "method_episodes", -1),
    ("hidden_politics", "no_hidden_politics", "baseline", "pressure_rate", -1),
    ("anxiety", "no_anxiety", "baseline", "pressure_rate", -1),
    ("screening", "no_screening", "baseline", "declines", -1),
    ("clarity", "no_clarity", "baseline", "pressure_rate", +1),
    ("response_ladder", "no_response_ladder", "baseline", "comply_rate", +1),
    ("response_ladder", "no_response_ladder", "baseline", "integrity_mean", -1),
    ("stakeholders", "no_stakeholders", "baseline", "pressure_rate", -1),
    ("participant_control", "no_participant_control", "baseline", "pressure_rate", +1),
    ("funder_separation", "no_funder_separation", "funded_elsewhere", "pressure_rate", +1),
    ("follow_through", "no_follow_through", "baseline", "public_confidence", +1),
    ("competition", "no_competition", "baseline", "pool_final", +1),
    ("field_pool", "no_field_pool", "baseline", "pressure_rate", +1),
    ("publication", "no_publication", "baseline", "integrity_mean", -1),
    ("large_firms", "no_large_firms", "price_only_tender", "independent_share", +1),
    ("confidence", "no_confidence", "baseline", "contracts_completed", 0),
]


def paired_interval(summaries, arm: str, reference: str, output: str) -> tuple[float, float, float]:
    seeds = sorted(summaries[reference])
    d = np.array([summaries[arm][s][output] - summaries[reference][s][output] for s in seeds],
                 dtype=float)
    d = d[~np.isnan(d)]
    mean = float(d.mean())
    half = float(stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d)))
    return mean, mean - half, mean + half


def test_every_switch_has_a_knock_out_test():
    assert {row[0] for row in EXPECTED} == set(MECHANISMS)


@pytest.mark.slow
@pytest.mark.parametrize(("mechanism", "arm", "reference", "output", "sign"), EXPECTED,
                         ids=[f"{r[0]}-{r[3]}" for r in EXPECTED])
def test_knocking_out_moves_its_output_the_papers_way(ablation, mechanism, arm, reference,
                                                      output, sign):
    summaries, _ = ablation
    mean, low, high = paired_interval(summaries, arm, reference, output)
    assert low > 0 or high < 0, f"{mechanism} off: {output} {mean:+.4f} [{low:+.4f}, {high:+.4f}]"
    if sign:
        assert np.sign(mean) == sign, f"{mechanism} off: {output} {mean:+.4f} [{low:+.4f}, {high:+.4f}]"


@pytest.mark.slow
@pytest.mark.parametrize("output", ["comply_rate", "pressure_rate"])
def test_common_random_numbers_narrow_the_interval_of_a_difference(ablation, output):
    """Paired seeds give a narrower interval for a scenario difference than independent seeds."""
    summaries, _ = ablation
    seeds = sorted(summaries["baseline"])
    arm = "no_clarity" if output == "pressure_rate" else "no_safety_net"
    paired = [summaries[arm][s][output] - summaries["baseline"][s][output] for s in seeds]
    other = [summaries["baseline_other_seeds"][s][output] for s in seeds]
    knocked = [summaries[arm][s][output] for s in seeds]
    paired_se = np.std(paired, ddof=1) / math.sqrt(len(seeds))
    independent_se = math.sqrt(np.var(knocked, ddof=1) / len(seeds) + np.var(other, ddof=1) / len(seeds))
    assert paired_se < independent_se, (paired_se, independent_se)
