"""The knock-out runs the model's tests share (not a test module): the default scenario with each
mechanism knocked out, paired by seed.

Replication k of every arm runs with seed k (common random numbers), so differences between arms
are paired. `run_all` makes every run in parallel processes; tests/model/conftest.py makes them
once per session (the fixture `ablation`) for tests/model/test_mechanisms.py and
tests/model/test_patterns.py; benchmarks/patterns_report.py measures the same arms. The worker
lives here, in a module of its own name, because pool processes find it by name (every
conftest.py is a module called `conftest`).
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

SEEDS = tuple(range(10))
STEPS = 240

# (arm name, scenario, overrides). Mechanisms whose lever is off in the baseline are knocked out
# where the lever is on.
ARMS: list[tuple[str, str, dict]] = [("baseline", "baseline", {})]


def _arms() -> list[tuple[str, str, dict]]:
    from dmpsim.model.params import MECHANISMS

    arms = list(ARMS)
    for name in MECHANISMS:
        if name == "funder_separation":
            arms.append(("funded_elsewhere", "baseline", {"governance.separate_funder_share": 0.5}))
            arms.append((f"no_{name}", "baseline", {"governance.separate_funder_share": 0.5,
                                                    f"mechanisms.{name}": False}))
        elif name == "large_firms":
            arms.append(("price_only_tender", "price_only_tender", {}))
            arms.append((f"no_{name}", "price_only_tender", {f"mechanisms.{name}": False}))
        else:
            arms.append((f"no_{name}", "baseline", {f"mechanisms.{name}": False}))
    arms.append(("quality_tender", "quality_tender", {}))
    arms.append(("baseline_other_seeds", "baseline", {}))
    arms.append(("low_commitment", "baseline", {"commissioners.commitment": 0.15}))
    arms.append(("low_commitment_no_follow_through", "baseline",
                 {"commissioners.commitment": 0.15, "mechanisms.follow_through": False}))
    arms.append(("no_learning_or_pool", "baseline", {"mechanisms.learning": False,
                                                      "mechanisms.field_pool": False}))
    return arms


def _one(task: tuple[str, str, dict, int]):
    import dmpsim

    arm, scenario, overrides, seed = task
    # The independent-seed arm draws seeds nobody else uses.
    run_seed = seed + 1000 if arm == "baseline_other_seeds" else seed
    result = dmpsim.run(scenario, seed=run_seed, steps=STEPS, overrides=overrides)
    episodes = result.episodes
    contracts = result.contracts
    extra = {
        "method_withdrawals": int(((episodes["type"] == "method")
                                   & (episodes["outcome"] == "withdrawn")).sum()),
        "method_episodes": int((episodes["type"] == "method").sum()),
        "pool_final": float(result.model["field_lessons_pool"].iloc[-1]),
        "department_gap": float(
            contracts.loc[contracts["commissioner_kind"] != "department", "n_episodes"].mean()
            - contracts.loc[contracts["commissioner_kind"] == "department", "n_episodes"].mean()),
    }
    return arm, seed, {**result.summary, **extra}, (episodes, contracts, result.practitioners,
                                                    result.model) if arm == "baseline" else None


def run_all() -> tuple[dict[str, dict[int, dict]], dict]:
    """{arm: {seed: summary}} and the baseline's tables {seed: (episodes, contracts,
    practitioners, model)}."""
    tasks = [(arm, scenario, overrides, seed) for arm, scenario, overrides in _arms()
             for seed in SEEDS]
    workers = max(1, min(len(tasks), os.cpu_count() or 1))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        results = list(pool.map(_one, tasks, chunksize=4))
    summaries: dict[str, dict[int, dict]] = {}
    tables = {}
    for arm, seed, summary, own in results:
        summaries.setdefault(arm, {})[seed] = summary
        if own is not None:
            tables[seed] = own
    return summaries, tables
