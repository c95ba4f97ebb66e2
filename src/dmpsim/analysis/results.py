"""What the analysis workflows hand back: `Comparison` (`dmpsim compare`), `Ablation`
(`dmpsim ablate`), `Discovery` (`dmpsim discover`) and `SensitivityResult`
(`dmpsim sensitivity`), and the outputs each puts first.

They live apart from the workflows that make them so that the figures (`dmpsim.viz`) and the
report builders (`dmpsim.analysis.report`), which the workflows call, can read them without
importing the workflows back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..experiments.design import Experiment
from ..experiments.patterns import PATTERN_FIGURES
from ..experiments.scenario import Scenario
from .prim import PrimBox

__all__ = ["ABLATION_METRICS", "HEADLINE", "MAIN_INDEX", "MAIN_METRICS", "PATTERNS", "Ablation",
           "Comparison", "Discovery", "SensitivityResult"]

#: The outputs in the headline tables and the effects figure; the tables and CSV cover every
#: summary key.
MAIN_METRICS = ("integrity_mean", "pressure_rate", "comply_rate", "large_firm_share",
                "field_experience", "public_confidence")


@dataclass
class Comparison:
    """What `compare` produced; `table` is comparison.csv, `runs` one row per run."""

    scenarios: list[Scenario]
    names: list[str]
    baseline: str
    table: pd.DataFrame
    runs: pd.DataFrame
    series: pd.DataFrame | None
    differences: pd.DataFrame
    replications: int
    steps: int
    seed: int
    common_random_numbers: bool
    out: Path | None = None
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    command: str = ""

    def widths(self, metrics: Sequence[str] = MAIN_METRICS) -> pd.Series:
        """Mean width of the difference intervals per metric (over the non-baseline scenarios)."""
        rows = self.table[self.table["metric"].isin(metrics) & self.table["diff"].notna()]
        return (rows["diff_high"] - rows["diff_low"]).groupby(rows["metric"]).mean()

    def seeds(self) -> pd.DataFrame:
        """The seed of each replication (one column per scenario when the seeds are
        independent)."""
        runs = self.runs
        if self.common_random_numbers:
            return (runs[["replication", "seed"]].drop_duplicates("replication")
                    .sort_values("replication").reset_index(drop=True))
        wide = runs.pivot(index="replication", columns="scenario", values="seed")
        return wide[self.names].reset_index()


#: The main outputs of the leading table (the outcomes of the lever and mechanism table).
ABLATION_METRICS = ("integrity_mean", "comply_rate", "pressure_rate", "independent_share",
                    "field_experience", "public_confidence", "contracts_completed")
#: The pattern figures, PT1-PT10.
PATTERNS = tuple(PATTERN_FIGURES)
#: Every output of the leading tables and the figure.
HEADLINE = (*ABLATION_METRICS, *PATTERNS)


@dataclass
class Ablation:
    """What `ablate` produced: `table` is ablation.csv (one row per mechanism and summary key),
    `comparison` the comparison of the arms behind it."""

    scenario: Scenario
    full: str
    mechanisms: list[str]
    skipped: list[str]
    table: pd.DataFrame
    comparison: Comparison
    out: Path | None = None
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    command: str = ""

    @property
    def replications(self) -> int:
        return self.comparison.replications

    @property
    def steps(self) -> int:
        return self.comparison.steps

    @property
    def seed(self) -> int:
        return self.comparison.seed

    def arm(self, mechanism: str) -> str:
        """The comparison's name for the run with `mechanism` switched off."""
        return f"no_{mechanism}"

    def effects(self, outputs: Sequence[str] = HEADLINE, value: str = "difference"
                ) -> pd.DataFrame:
        """Mechanisms (rows, in order) x outputs (columns): `value` of each effect
        (``difference``, ``low``, ``high``, ``excludes_zero``, ``d_z``, ...)."""
        rows = self.table[self.table["output"].isin(list(outputs))]
        wide = rows.pivot(index="mechanism", columns="output", values=value)
        return wide.reindex(index=self.mechanisms, columns=list(outputs))

    def producers(self, output: str) -> pd.DataFrame:
        """The mechanisms whose knock-out changes `output` (interval excludes zero), the
        largest effect (by Cohen's d, then by the difference) first."""
        rows = self.table[(self.table["output"] == output)
                          & self.table["excludes_zero"].fillna(False).astype(bool)]
        order = rows["cohens_d"].abs().fillna(rows["difference"].abs())
        return rows.assign(_order=order).sort_values("_order", ascending=False).drop(
            columns="_order").reset_index(drop=True)


@dataclass
class Discovery:
    """What `discover` found."""

    source: Path
    metric: str
    direction: str            # "below" or "above"
    cutoff: float
    cutoff_text: str
    inputs: list[str]
    X: pd.DataFrame
    y: np.ndarray
    values: np.ndarray        # the metric of each run, in X's row order
    boxes: list[PrimBox]
    boxes_table: pd.DataFrame
    trajectory: pd.DataFrame
    manifest: dict[str, Any]
    settings: dict[str, Any]
    out: Path | None = None
    files: list[Path] = field(default_factory=list)
    command: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def case_rule(self) -> str:
        sign = "<=" if self.direction == "below" else ">="
        return f"{self.metric} {sign} {self.cutoff:.4g}"


#: The index each method's figure and ranking use (its confidence half-width is SALib's).
MAIN_INDEX = {"morris": "mu_star", "sobol": "ST"}


@dataclass
class SensitivityResult:
    """What `run_sensitivity` produced."""

    experiment: Experiment
    method: str
    outputs: list[str]
    indices: pd.DataFrame
    convergence: pd.DataFrame
    by_point: pd.DataFrame
    skipped: dict[str, str]
    runs: pd.DataFrame
    rebuilt: bool
    out: Path | None = None
    files: list[Path] = field(default_factory=list)
    command: str = ""
    notes: list[str] = field(default_factory=list)
