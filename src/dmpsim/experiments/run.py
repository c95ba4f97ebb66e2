"""`dmpsim.run`: one run of a scenario, returned as tidy tables and a summary."""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError
from ..model import DMPMarket
from ..model.params import is_numpy_bool
from . import tables
from .scenario import Scenario, load_scenario


@dataclass
class RunResult:
    """Everything one run produced.

    `model` has one row per step, `contracts` one per contract, `episodes` one per pressure
    episode and `practitioners` one per practitioner per year; `summary` holds scalars over the
    run. Column and key meanings are in `dmpsim.experiments.tables`.
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
        """Write the tables (Parquet, and CSV if asked) and run.json into `out`.

        The folder is written atomically: everything goes into a temporary folder beside `out`,
        renamed to `out` when complete, so a failed write leaves `out` as it was.
        """
        from .run_folder import write_run

        return write_run(self, Path(out), csv=csv)


def _whole_number(value: Any) -> int | None:
    """`value` as a Python int if it is a whole number (Python's, numpy's or pandas'), else None.

    Booleans (Python's and numpy's) are not numbers here; neither are floats.
    """
    if isinstance(value, bool) or is_numpy_bool(value):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    return None


def max_steps() -> int:
    """The longest run allowed anywhere (the schema's upper bound of ``run.steps``)."""
    from ..model.params import FLAT

    return int(FLAT["run.steps"].hi)


def check_seed(seed: Any, key: str = "seed") -> int:
    """A seed: a whole number >= 0 (numpy and pandas integers too), as a Python int."""
    value = _whole_number(seed)
    if value is None or value < 0:
        raise InputError(f"expected a whole number >= 0, got {seed!r}", key=key)
    return value


def check_steps(steps: Any, key: str = "steps", source: str | None = None) -> int:
    """A run length in months: a whole number in [1, max_steps()], as a Python int."""
    value = _whole_number(steps)
    if value is None or value < 1:
        raise InputError(f"expected a whole number >= 1, got {steps!r}", source=source, key=key)
    if value > max_steps():
        raise InputError(f"expected at most {max_steps()} months (the bound on run.steps), "
                         f"got {value}", source=source, key=key)
    return value


def run(scenario: str | Path | Scenario | None = "baseline", seed: int = 0,
        steps: int | None = None, overrides: dict[str, Any] | list[str] | None = None) -> RunResult:
    """Run one scenario (bundled name, path or `Scenario`) for `steps` months (default: its own).

    The seed and the scenario fix the run: every random draw comes from the model's generator.
    """
    seed = check_seed(seed)
    loaded = load_scenario(scenario, overrides)
    values = loaded.effective()
    steps = values["run.steps"] if steps is None else check_steps(steps)
    market = DMPMarket(values, rng=seed)
    for _ in range(steps):
        market.step()
    if market.steps % 12:
        market.record_practitioners()  # the last, partial year
    contracts = tables.contracts_table(market)
    episodes = tables.episodes_table(market)
    practitioners = tables.practitioners_table(market)
    model = tables.model_table(market)
    return RunResult(
        model=model,
        contracts=contracts,
        episodes=episodes,
        practitioners=practitioners,
        summary=tables.summarise(market, contracts, episodes, practitioners, model),
        scenario=loaded,
        seed=seed,
        steps=steps,
        market=market,
    )
