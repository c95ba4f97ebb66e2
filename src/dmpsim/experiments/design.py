"""The parsed experiment: its design points, the identity and seed of every run, what each run
keeps, and its record (`Experiment.describe`, `Experiment.fingerprint`).

An `Experiment` is built by `dmpsim.experiments.files` from an experiment file or table: the
varied parameters are `dmpsim.experiments.factors`, the design points come from
`dmpsim.experiments.samplers`. This module is the bottom of the three: it imports none of them
(the factors it holds are used through their methods), so each of them can use its constants.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io.provenance import plain

if TYPE_CHECKING:
    from .ensemble import Ensemble
    from .factors import Factor
    from .run import RunResult
    from .scenario import Scenario

DESIGN_TYPES = ("factorial", "tuples", "lhs", "random", "sobol", "morris")
SAMPLING_DESIGNS = ("lhs", "random", "sobol", "morris")

# Upper bounds on a design's size, checked before anything is allocated (and by --dry-run): a
# sweep of more is a mistake (a grid step of 1e-12), not a plan.
MAX_POINTS = 1_000_000
MAX_RUNS = 10_000_000


def _too_many(what: str, count: float, limit: int = MAX_POINTS) -> str:
    shown = f"{count:,.0f}" if count < 1e15 else f"{count:.3g}"
    return f"{what} makes {shown} design points, more than a sweep may have ({limit:,})"


# -- seeds ------------------------------------------------------------------------------------

def run_seed(experiment_seed: int, point: int, replication: int,
             common_random_numbers: bool = True) -> int:
    """The seed of one run, derived from the experiment's seed and the run's identity.

    A `numpy.random.SeedSequence` hashes (experiment seed, spawn key) into well-mixed state, so
    neighbouring identities give unrelated streams. With common random numbers the spawn key is
    the replication alone, so replication k of every design point starts from the same seed and
    differences between points are not swamped by seed-to-seed noise; without, it is (point,
    replication). The result is a 63-bit int, so it fits a Parquet int64 and `dmpsim.run`.
    """
    key = (replication,) if common_random_numbers else (point, replication)
    state = np.random.SeedSequence(experiment_seed, spawn_key=key).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(1))


# -- outputs ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outputs:
    """What each run keeps: the summary always; per-step series every `interval` steps if asked."""

    series: bool = False
    interval: int = 1
    columns: tuple[str, ...] = ()

    def describe(self) -> dict[str, Any]:
        return {"summary": True, "series": self.series, "interval": self.interval,
                "columns": list(self.columns)}


# -- the SALib form of a design ---------------------------------------------------------------

@dataclass
class SalibDesign:
    """A Sobol' or Morris design in SALib's row order, for `SALib.analyze` after a sweep.

    Row ``i`` of `unit` is design point ``i``; its runs are ``run_ids[i]`` (one per
    replication). SALib sampled in the unit hypercube (`problem` has bounds [0, 1]) and each
    column was mapped to its parameter by `Factor.from_unit`; `values` holds those parameter
    values (a category as its index). For Sobol' indices pass `problem` and one output per row
    (e.g. the mean over replications) to ``SALib.analyze.sobol.analyze``; for Morris pass
    `problem`, `unit` and the outputs to ``SALib.analyze.morris.analyze`` with ``num_levels``
    from `options` (elementary effects are then per unit of each parameter's normalised range).
    """

    method: str
    problem: dict[str, Any]
    unit: np.ndarray
    values: np.ndarray
    run_ids: np.ndarray
    options: dict[str, Any]
    factors: list[dict[str, Any]]


def _unit_problem(keys: list[str]) -> dict[str, Any]:
    """SALib's problem for sampling `keys` in the unit hypercube."""
    return {"num_vars": len(keys), "names": list(keys), "bounds": [[0.0, 1.0]] * len(keys)}


def _as_numeric(column: np.ndarray, factor: Factor) -> np.ndarray:
    """A design column as numbers for SALib: a category as its index in the factor's list."""
    if factor.kind == "values":
        lookup = {v: i for i, v in enumerate(factor.values)}
        return np.array([lookup[plain(v)] for v in column], dtype=float)
    return column.astype(float)


# -- the experiment ---------------------------------------------------------------------------

@dataclass
class Experiment:
    """A parsed, validated experiment: everything a sweep needs, and nothing it has to re-read.

    The design is built (and every design point checked) when the experiment is loaded, so a
    sweep never starts on a file that would fail half-way.
    """

    name: str
    description: str
    source: str
    scenario: Scenario
    fixed: dict[str, Any]
    factors: list[Factor]
    design: str
    design_options: dict[str, Any]
    replications: int
    steps: int | None
    seed: int
    common_random_numbers: bool
    outputs: Outputs
    keys: list[str] = field(default_factory=list)
    _columns: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _unit: np.ndarray | None = field(default=None, repr=False)
    #: Parameter sets that replication k takes in turn (`dmpsim.experiments.ensemble`).
    ensemble: Ensemble | None = None

    # identity of runs
    @property
    def n_points(self) -> int:
        return len(next(iter(self._columns.values()))) if self._columns else 1

    @property
    def n_runs(self) -> int:
        return self.n_points * self.replications

    def run_id(self, point: int, replication: int) -> int:
        """Runs are numbered point by point, replications within a point: sorting by run id
        sorts by (point, replication)."""
        return point * self.replications + replication

    def identity(self, run_id: int) -> tuple[int, int]:
        """(point, replication) of a run id."""
        return divmod(int(run_id), self.replications)

    def seed_for(self, point: int, replication: int) -> int:
        return run_seed(self.seed, point, replication, self.common_random_numbers)

    def point_values(self, point: int) -> dict[str, Any]:
        """The varied parameters' values at a design point, as plain Python values."""
        return {k: plain(self._columns[k][point]) for k in self.keys}

    @property
    def unit(self) -> np.ndarray | None:
        """A sampling design's points in the unit hypercube (a row per point, a column per
        varied parameter, before each column is mapped to its values); None otherwise."""
        return None if self._unit is None else self._unit.copy()

    def run_values(self, point: int, replication: int) -> dict[str, Any]:
        """The values one run takes: its ensemble member's (if any), then its design point's,
        which win where both give a parameter."""
        if self.ensemble is None:
            return self.point_values(point)
        return {**self.ensemble.values(replication), **self.point_values(point)}

    @property
    def columns(self) -> list[str]:
        """The parameters a run's row records: the varied ones, then the ensemble's."""
        extra = [k for k in self.ensemble.keys if k not in self.keys] if self.ensemble else []
        return [*self.keys, *extra]

    def design_table(self) -> pd.DataFrame:
        """One row per design point: ``point`` and one column per varied parameter."""
        table = pd.DataFrame({"point": np.arange(self.n_points)})
        for key in self.keys:
            column = self._columns[key]
            table[key] = column.tolist() if column.dtype == object else column
        return table

    def point_means(self, runs: pd.DataFrame, outputs: list[str]) -> pd.DataFrame:
        """One row per design point, in point order: each output's mean over the point's
        finished runs (NaN where none finished or none gave a value) and ``replications_ok``,
        how many of its runs finished."""
        ok = runs[runs["status"] == "ok"]
        values = pd.DataFrame({"point": ok["point"].to_numpy()})
        for name in outputs:
            values[name] = pd.to_numeric(ok[name], errors="coerce").astype(float).to_numpy()
        points = range(self.n_points)
        means = values.groupby("point")[outputs].mean().reindex(points)
        means["replications_ok"] = values.groupby("point").size().reindex(
            points, fill_value=0).astype(int)
        return means.reset_index(drop=True)

    def effective_steps(self) -> int:
        """Months per run (the largest, if run.steps is itself varied)."""
        if self.steps is not None:
            return self.steps
        if "run.steps" in self._columns:
            return int(np.max(self._columns["run.steps"].astype(int)))
        return int(self.scenario.effective()["run.steps"])

    def rerun(self, run_id: int) -> RunResult:
        """Run one run of the sweep again, alone, from its id: the same summary, every time."""
        from .run import run

        point, replication = self.identity(run_id)
        return run(self.scenario, seed=self.seed_for(point, replication), steps=self.steps,
                   overrides=self.run_values(point, replication))

    # records
    def describe(self) -> dict[str, Any]:
        """The experiment as plain data, for the manifest (and the fingerprint)."""
        return {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "scenario": {"name": self.scenario.name, "source": self.scenario.source,
                         "values": self.scenario.values},
            "set": self.fixed,
            "parameters": [f.describe() for f in self.factors] if self.factors else
            [{"key": k, "kind": "tuples"} for k in self.keys],
            "design": {"type": self.design, **self.design_options},
            "points": self.n_points,
            "replications": self.replications,
            "runs": self.n_runs,
            "steps": self.steps,
            "seed": self.seed,
            "common_random_numbers": self.common_random_numbers,
            "seeding": "numpy SeedSequence(seed, spawn_key=(replication,) if common random numbers "
                       "else (point, replication)), first 64-bit word >> 1",
            "run_id": "point * replications + replication",
            "outputs": self.outputs.describe(),
        } | ({"ensemble": self.ensemble.describe()} if self.ensemble is not None else {})

    def fingerprint(self) -> str:
        """Hash of what determines the results: settings, effective base values and the design
        matrix itself (so a library upgrade that changes sampled points is caught on resume)."""
        settings = self.describe()
        for label in ("name", "description", "source"):
            settings.pop(label)
        if self.ensemble is not None:
            settings["ensemble"].pop("source")   # where the folder is does not change results
        settings["scenario"] = {"effective": self.scenario.effective()}
        digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
        for key in self.keys:
            digest.update(key.encode())
            digest.update(repr(self._columns[key].tolist()).encode())
        return digest.hexdigest()[:16]

    def salib_design(self) -> SalibDesign:
        """The design matrix in SALib order, with the run ids of each row (Sobol' and Morris)."""
        if self.design not in ("sobol", "morris") or self._unit is None:
            raise InputError(f"a {self.design} design has no SALib form; use sobol or morris",
                             source=self.source, key="design.type")
        values = np.column_stack([
            _as_numeric(self._columns[f.key], f) for f in self.factors
        ]).astype(float)
        run_ids = (np.arange(self.n_points)[:, None] * self.replications
                   + np.arange(self.replications)[None, :])
        return SalibDesign(self.design, _unit_problem(self.keys), self._unit.copy(), values,
                           run_ids, dict(self.design_options), [f.describe() for f in self.factors])


__all__ = ["DESIGN_TYPES", "MAX_POINTS", "MAX_RUNS", "SAMPLING_DESIGNS", "Experiment", "Outputs",
           "SalibDesign", "run_seed"]
