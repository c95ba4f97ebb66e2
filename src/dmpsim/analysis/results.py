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
from ..experiments.tables import SUMMARY_KEYS
from .prim import PrimBox

__all__ = ["ABLATION_METRICS", "HEADLINE", "MAIN_INDEX", "MAIN_METRICS", "PATTERNS", "Ablation",
           "CalibrationResult",
           "Comparison", "Discovery", "SensitivityResult"]

#: The outputs in the headline tables and the effects figure; the tables and CSV cover every
#: summary key.
MAIN_METRICS = ("integrity_mean", "pressure_rate", "comply_rate", "large_firm_share",
                "field_experience", "public_confidence")

#: Which way each summary key (`dmpsim.experiments.tables.SUMMARY_KEYS`) is better, for the
#: comparisons across a calibrated ensemble (`dmpsim.analysis.ensemble`: who beats the baseline,
#: regret, rankings): +1 higher is better, -1 lower is better, 0 neither. A sign is set only
#: where the paper's framing (mini-publics whose integrity is protected from their
#: commissioners' control, docs/ODD.md) says which way is better; an output whose good direction
#: depends on what it displaces, a market share, a count of contracts or a pattern figure is 0.
BETTER: dict[str, int] = {
    # Integrity of the processes is the outcome the paper asks about.
    "integrity_mean": +1,
    "integrity_final5": +1,
    # Pressure is the commissioners' attempts to control a process: less is better.
    "pressure_rate": -1,
    "episodes_per_contract": -1,
    # Complying means a control demand was met: less is better.
    "comply_rate": -1,
    # Shares of the responses: more negotiating, pushing back or walking away may displace
    # complying or one another, so no direction is plainly better; read them with comply_rate.
    "negotiate_rate": 0,
    "pushback_rate": 0,
    "withdraw_rate": 0,
    # Escalation answers push-back: more of it can mean practitioners resist more.
    "escalation_rate": 0,
    # Market shares and counts of organisations by kind describe the market, not its quality.
    "large_firm_share": 0,
    "large_firm_share_final5": 0,
    "independent_share": 0,
    # The field's experience is what large firms' entry and turnover erode (PT8, M23).
    "field_experience": +1,
    # Active independents: fewer is the pushing out of independents the interviews describe
    # (PT8, M23).
    "independents_active": +1,
    "large_firms_active": 0,
    # Public confidence in mini-publics: the paper's second outcome.
    "public_confidence": +1,
    # Follow-through on recommendations: ignored recommendations erode confidence (PT10).
    "implementation_rate": +1,
    # Counts of tenders and contracts: more or fewer processes is not in itself better.
    "contracts_awarded": 0,
    "contracts_completed": 0,
    "contracts_withdrawn": 0,
    "declines": 0,
    "pre_empted": 0,
    "tenders": 0,
    # Shares of episodes given in to (complied or conceded): less is better, as comply_rate.
    "given_in_rate_reliant": -1,
    "given_in_rate_secure": -1,
    # Neither: a scandal (a manipulation found out) costs public confidence (PT10), but a rule
    # that finds more of the manipulation there is (transparency) raises the count while it
    # protects integrity; read it with integrity, not as better or worse on its own.
    "scandals": 0,
    # Organisations that could not pay their way leave the field, and their experience with
    # them (PT6, M23).
    "exits": -1,
    "exits_independent": -1,
    # New organisations may replace exits or add churn: neither direction is plainly better.
    "entries": 0,
    # Concentration of contract value: a market figure, as the shares above.
    "hhi_final": 0,
    # The pattern figures say whether the model reproduces the interviews, not what is better.
    **dict.fromkeys(PATTERN_FIGURES, 0),
}


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
    #: With a calibrated ensemble (``compare(..., ensemble=DIR)``): ensemble.csv, one row per
    #: scenario and summary key (`dmpsim.analysis.ensemble.ensemble_table`, directions from
    #: `BETTER`); None without.
    ensemble: pd.DataFrame | None = None
    #: The ensemble's record (`dmpsim.experiments.ensemble.Ensemble.describe`: ``source``, the
    #: calibrated ``keys``, the ``members`` drawn, by row of ensemble.parquet, and their
    #: ``values``; replication k took member k); None without an ensemble.
    ensemble_source: dict[str, Any] | None = None

    def overridden(self) -> list[str]:
        """The calibrated parameters that the scenarios set differently, so that every run
        takes its scenario's value, not the ensemble member's."""
        if self.ensemble_source is None:
            return []
        differing = set(self.differences["parameter"])
        return [k for k in self.ensemble_source["keys"] if k in differing]

    def member_runs(self) -> pd.DataFrame:
        """The runs in the long form of `dmpsim.analysis.ensemble`: ``scenario``, ``member``
        (the replication, which took ensemble member k and seed k) and every summary key, NaN
        for a run that failed (so it counts as missing rather than breaking the pairing)."""
        runs = self.runs
        frame = pd.DataFrame({"scenario": runs["scenario"].to_numpy(),
                              "member": runs["replication"].astype(int).to_numpy()})
        failed = (runs["status"] != "ok").to_numpy() if "status" in runs.columns else None
        for key in SUMMARY_KEYS:
            values = pd.to_numeric(runs[key], errors="coerce").astype(float).to_numpy()
            if failed is not None:
                values = np.where(failed, np.nan, values)
            frame[key] = values
        return frame

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


@dataclass
class CalibrationResult:
    """What `calibrate` produced (`dmpsim calibrate`); the tables are the files of its folder.

    - `prior`: draws from the priors, one row each: the parameter values (a column per key of
      `keys`) and their unit coordinates (``u:<key>``). For rejection these are the draws that
      were run; for smc, draws made only to show the prior (not run).
    - `ensemble` (ensemble.parquet): the accepted parameter sets: ``member``, ``weight``
      (summing to 1), the parameter values, ``distance`` (0: every target met) and each output
      the targets read (the mean over the draw's replications).
    - `target_summary` (targets.csv): per target: ``target``, ``description``, ``scale``,
      ``prior_met_share`` (share of prior draws meeting it; NaN for smc), ``met_share``,
      ``mean_discrepancy``, ``mean_output`` (over the ensemble, weighted).
    - `constraints` (constraints.csv): per parameter, the posterior's spread against the
      prior's in unit space and a label (`dmpsim.analysis.abc.constraint_table`).
    - `generations` (generations.csv): per generation (rejection has one): ``generation``,
      ``epsilon``, ``simulations`` (draws or particles simulated, each `replications` runs),
      ``runs`` (model runs), ``accepted``, ``acceptance_rate`` (accepted / simulations), ``ess``,
      ``met_share``, ``distance_q10``, ``distance_q50``, ``distance_q90``.
    - `distances`: ``generation``, ``distance``, ``weight`` for every particle or draw of each
      generation (rejection: every draw, accepted or not, weight 1), for the figure of distances
      by generation.
    """

    name: str
    description: str
    source: str
    method: str
    scenario: Scenario
    keys: list[str]
    priors: list[dict[str, Any]]
    prior: pd.DataFrame
    ensemble: pd.DataFrame
    target_summary: pd.DataFrame
    constraints: pd.DataFrame
    generations: pd.DataFrame
    distances: pd.DataFrame
    seed: int
    replications: int
    steps: int
    settings: dict[str, Any]
    out: Path | None = None
    files: list[Path] = field(default_factory=list)
    command: str = ""
    notes: list[str] = field(default_factory=list)

    def weights(self) -> np.ndarray:
        """The ensemble's weights, summing to 1 (equal if absent or all zero)."""
        n = len(self.ensemble)
        if n == 0:
            return np.zeros(0)
        if "weight" in self.ensemble.columns:
            w = pd.to_numeric(self.ensemble["weight"], errors="coerce").to_numpy(float)
            w = np.where(np.isfinite(w) & (w > 0), w, 0.0)
            if w.sum() > 0:
                return w / w.sum()
        return np.full(n, 1.0 / n)

    @property
    def constrained(self) -> list[str]:
        """The parameters the targets constrain (label "constrained")."""
        table = self.constraints
        return table.loc[table["label"] == "constrained", "parameter"].tolist()
