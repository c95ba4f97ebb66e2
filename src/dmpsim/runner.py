"""`dmpsim.run`: one run of a scenario, returned as tidy tables and a summary."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from . import metrics
from .errors import InputError
from .model import DMPMarket
from .scenario import Scenario, load_scenario


@dataclass
class RunResult:
    """Everything one run produced.

    `model` has one row per step, `contracts` one per contract, `episodes` one per pressure
    episode and `practitioners` one per practitioner per year; `summary` holds scalars over the
    run. Column and key meanings are in `dmpsim.metrics`.
    """

    model: pd.DataFrame
    contracts: pd.DataFrame
    episodes: pd.DataFrame
    practitioners: pd.DataFrame
    summary: dict[str, Any]
    scenario: Scenario
    seed: int
    steps: int
    market: DMPMarket

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"model": self.model, "contracts": self.contracts, "episodes": self.episodes,
                "practitioners": self.practitioners}

    def write(self, out: str | Path, csv: bool = False) -> list[Path]:
        """Write the tables (Parquet, and CSV if asked) and run.json into `out`."""
        from .outputs import write_run

        return write_run(self, Path(out), csv=csv)


def check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"expected a whole number >= 0, got {seed!r}", key="seed")
    return seed


def run(scenario: str | Path | Scenario | None = "baseline", seed: int = 0,
        steps: int | None = None, overrides: dict[str, Any] | list[str] | None = None) -> RunResult:
    """Run one scenario (bundled name, path or `Scenario`) for `steps` months (default: its own).

    The seed and the scenario fix the run: every random draw comes from the model's generator.
    """
    seed = check_seed(seed)
    loaded = load_scenario(scenario, overrides)
    values = loaded.effective()
    if steps is None:
        steps = values["run.steps"]
    elif isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise InputError(f"expected a whole number >= 1, got {steps!r}", key="steps")
    market = DMPMarket(values, rng=seed)
    for _ in range(steps):
        market.step()
    if market.steps % 12:
        market.record_practitioners()  # the last, partial year
    contracts = metrics.contracts_table(market)
    episodes = metrics.episodes_table(market)
    return RunResult(
        model=metrics.model_table(market),
        contracts=contracts,
        episodes=episodes,
        practitioners=metrics.practitioners_table(market),
        summary=metrics.summarise(market, contracts, episodes),
        scenario=loaded,
        seed=seed,
        steps=steps,
        market=market,
    )
