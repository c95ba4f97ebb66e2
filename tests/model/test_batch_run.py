"""`dmpsim.DMPMarket` works with Mesa's own `batch_run`, unchanged, on Mesa 3.3 and 3.5.

Mesa users can sweep the model with the tool they know: dotted parameter keys go through
`batch_run`'s keyword arguments, the model's DataCollector gives the reporters, and a seed gives
the same run as `dmpsim.run`. Mesa 4 removes `batch_run`, so the module is skipped there.
"""

from __future__ import annotations

import inspect
import math
import multiprocessing

import pytest

import dmpsim
from dmpsim.model import MODEL_SERIES

batchrunner = pytest.importorskip("mesa.batchrunner")

# A small market (the classroom scenario's scale) so that each run takes a few milliseconds.
SMALL = {
    "market.n_commissioners": 40,
    "commissioners.commission_rate": 0.05,
    "practitioners.independent_nonprofit.count": 4,
    "practitioners.independent_commercial.count": 4,
    "practitioners.freelancer.count": 2,
    "practitioners.large_firm.count": 2,
    "large_firms.enabled": True,
    "large_firms.entry_step": 3,
}
SEEDS = [11, 12]


@pytest.fixture(autouse=True)
def _keep_start_method():
    # Mesa 3.5's batch_run calls multiprocessing.set_start_method("spawn", force=True) even for
    # one process; put the interpreter's default back for the rest of the test session.
    before = multiprocessing.get_start_method(allow_none=True)
    yield
    multiprocessing.set_start_method(before, force=True)


def _batch_run(parameters: dict, seeds: list[int], **options) -> list[dict]:
    """Seeds as each Mesa version takes them: Mesa 3.5 has `rng=`; Mesa 3.3 passes no seed, so
    users put `rng` among the parameters (a model keyword argument like any other)."""
    run = batchrunner.batch_run
    options = {"number_processes": 1, "display_progress": False, **options}
    if "rng" in inspect.signature(run).parameters:
        return run(dmpsim.DMPMarket, parameters, rng=seeds, **options)
    return run(dmpsim.DMPMarket, {**parameters, "rng": seeds}, **options)


def _trajectory(rows: list[dict], seed: int, **match) -> list[dict]:
    """One run's rows in step order. Both versions put the model's keyword arguments, `rng`
    included, in every row; the `Step` labels differ (Mesa 3.3: 0-based collection index,
    Mesa 3.5: model time after the step), so rows are matched to steps by position."""
    mine = [r for r in rows if r["rng"] == seed and all(r[k] == v for k, v in match.items())]
    return sorted(mine, key=lambda r: r["Step"])


def _same(a, b) -> bool:
    return (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)) \
        or a == b


def test_batch_run_sweeps_dotted_keys_and_collects_the_model_reporters():
    rules = ["price", "quality"]
    rows = _batch_run({**SMALL, "procurement.rule": rules}, SEEDS, max_steps=6,
                      data_collection_period=-1)
    assert len(rows) == len(rules) * len(SEEDS)          # one row per run at the end
    for row in rows:
        assert set(MODEL_SERIES) <= set(row)
        assert row["procurement.rule"] in rules
        assert row["market.n_commissioners"] == 40
    assert {(row["procurement.rule"], row["rng"]) for row in rows} == {
        (rule, seed) for rule in rules for seed in SEEDS}
    # The dotted keys reach the model: each end-of-run row is that configuration's last step.
    # (Mesa 3.3 runs max_steps + 1 steps and Mesa 3.5 max_steps, so count them.)
    probe = _batch_run(SMALL, SEEDS[:1], max_steps=6, data_collection_period=1)
    steps = len(probe)
    assert steps in (6, 7)
    for row in rows:
        overrides = {**SMALL, "procurement.rule": row["procurement.rule"]}
        model = dmpsim.run("baseline", seed=row["rng"], steps=steps, overrides=overrides).model
        for key in ("contracts_awarded", "field_experience", "public_confidence"):
            assert _same(row[key], model[key].iloc[-1].item()), (row["procurement.rule"], key)


def test_batch_run_with_a_seed_reproduces_dmpsim_run_step_by_step():
    """Every reporter at every step equals the same run through `dmpsim.run`."""
    overrides = {**SMALL, "procurement.rule": "price"}
    rows = _batch_run(overrides, SEEDS, max_steps=8, data_collection_period=1)
    for seed in SEEDS:
        mine = _trajectory(rows, seed)
        steps = len(mine)   # Mesa 3.3 runs max_steps + 1 steps, Mesa 3.5 max_steps
        assert steps >= 8
        model = dmpsim.run("baseline", seed=seed, steps=steps, overrides=overrides).model
        for index, row in enumerate(mine):
            expected = model.iloc[index]
            for key in MODEL_SERIES:
                assert _same(row[key], expected[key].item()), (seed, index, key)
    # Two seeds, two different histories: the seed is not ignored.
    histories = [[(r["contracts_awarded"], r["public_confidence"]) for r in _trajectory(rows, seed)]
                 for seed in SEEDS]
    assert histories[0] != histories[1]
