"""Results fixed for a seed: an optimisation that changes what the model computes is seen here.

`tests/fixtures/baseline_seed0_summary.json` holds the summary of `dmpsim.run("baseline",
seed=0)` as the model computed it before the speed-ups of issue 10. If a change is meant to alter
results (a new draw order, a corrected rule), regenerate the fixture in the same commit and say
why in the commit message and CHANGELOG; otherwise a failure here is a bug.
"""

from __future__ import annotations

import json
import math
import sys

import mesa
import pytest
from support import FIXTURES

import dmpsim
from dmpsim.experiments.scenario import load_scenario
from dmpsim.model import MODEL_SERIES, DMPMarket

FIXTURE = FIXTURES / "baseline_seed0_summary.json"


def test_the_summary_of_baseline_seed_0_is_the_one_on_record():
    record = json.loads(FIXTURE.read_text())
    # Python 3.12 made sum() of floats compensated: one record per side of that change.
    expected = record["python>=3.12" if sys.version_info >= (3, 12) else "python<3.12"]
    result = dmpsim.run(record["scenario"], seed=record["seed"])
    assert {name: len(t) for name, t in result.tables().items()} == expected["table_rows"]
    got = result.summary
    assert list(got) == list(expected["summary"])
    different = {}
    for key, want in expected["summary"].items():
        value = got[key]
        same = (want is None and isinstance(value, float) and math.isnan(value)) or value == want
        if not same:
            different[key] = (want, value)
    # Exact equality: the same seed must give the same numbers, not nearly the same.
    assert not different, f"summary changed for a fixed seed (expected, got): {different}"


class _MesaReporters(mesa.DataCollector):
    """Mesa's own DataCollector over the same reporters, to compare the fast one with."""


@pytest.mark.parametrize("scenario", ["baseline", "large_firm_entry"])
def test_the_one_pass_series_are_mesas_reporters_to_the_last_bit(scenario):
    market = DMPMarket(load_scenario(scenario).effective(), rng=4)
    reference = _MesaReporters(model_reporters=dict(MODEL_SERIES))
    for _ in range(72):
        market.step()
        reference.collect(market)
    fast = market.datacollector.model_vars
    assert list(fast) == list(MODEL_SERIES)
    for name in MODEL_SERIES:
        a, b = fast[name], reference.model_vars[name]
        assert len(a) == len(b) == 72
        for x, y in zip(a, b, strict=True):
            assert (x == y) or (math.isnan(x) and math.isnan(y)), name
