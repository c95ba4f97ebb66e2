"""`dmpsim calibrate`: which parameter values are consistent with what the paper reports.

A calibration file (TOML, bundled under ``calibrations/`` or anywhere by path) names a base
scenario, the uncertain parameters with their priors, and targets on the model's outputs::

    description = "Behavioural parameters calibrated on the single-run patterns"
    scenario = "baseline"
    seed = 11
    replications = 2                  # runs per draw; the targets read their means
    steps = 240                       # optional: default the scenario's run.steps

    [set]                             # optional: fixed values on top of the scenario
    "large_firms.entry_step" = 60

    [priors]                          # the forms of an experiment's [parameters]
    "response.temperature" = { range = [0.1, 1.0] }
    "learning.lesson_scale" = { distribution = "loguniform", lo = 4.0, hi = 24.0 }

    [statistics]                      # optional: outputs from the monthly model table
    late_confidence = { column = "public_confidence", statistic = "mean", months = [181, 240] }

    [targets]                         # dmpsim.analysis.targets: any summary key, PT1-PT10,
    PT1 = { at_least = 0.6 }          # or a statistic above
    PT5 = { sign = "negative" }
    late_confidence = { at_least = 0.6 }

    [rejection]
    draws = 1000                      # prior draws, each run `replications` times
    keep = 0.05                       # optional: keep the closest 5% (default: every draw
                                      # that meets all targets)
    [smc]                             # ABC-SMC through pyabc (dmpsim[calibrate])
    population = 200
    generations = 5
    min_epsilon = 0.0                 # stop once every particle meets every target

*Rejection* draws from the priors through the sweep machinery: the draws are a ``random``
design of an experiment (`dmpsim.experiments.samplers`), run on any backend, streamed to
``OUT/draws`` (a sweep folder, resumable with ``--resume``), with the seeds of a sweep, so a seed
fixes the result whatever the backend or the number of workers. *smc* runs ABC-SMC through
pyabc (`dmpsim.analysis.abc.smc`), its history in ``OUT/abc.db``.

The output folder holds ``ensemble.parquet`` (the accepted parameter sets with weights, which
``dmpsim compare --ensemble OUT`` takes), ``calibration.json``, ``targets.csv``,
``constraints.csv``, ``generations.csv``, the prior draws, figures and a report (report.md,
report.html). See docs/analysis.md, "Calibrate on the patterns".
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..experiments.design import Experiment, run_seed
from ..experiments.files import parse_experiment
from ..experiments.scenario import bundled_dir, bundled_names, read_toml
from ..experiments.tables import SUMMARY_KEYS
from ..io.atomic import atomic_write_csv, atomic_write_parquet, atomic_write_text
from ..io.provenance import jsonable
from ..model.params import did_you_mean
from . import abc
from .report import analysis_versions, shell_command
from .results import CalibrationResult
from .statistics import Statistic, parse_statistic
from .targets import Target, parse_target, summarise_targets

__all__ = ["METHODS", "Calibration", "calibrate", "load_calibration"]

METHODS = ("rejection", "smc")
TOP_KEYS = ("description", "name", "scenario", "seed", "replications", "steps", "set",
            "priors", "statistics", "targets", "rejection", "smc")
REJECTION_KEYS = ("draws", "keep")
SMC_KEYS = ("population", "generations", "min_epsilon")
#: How many prior draws are made (not run) to show the prior beside an smc ensemble.
PRIOR_SHOWN = 2000


@dataclass
class Calibration:
    """A parsed, validated calibration file.

    `experiment` is the rejection method's sweep: a ``random`` design of ``draws`` points over
    the priors (its factors are the priors, whatever the method), independent seeds per run.
    """

    name: str
    description: str
    source: str
    experiment: Experiment
    targets: list[Target]
    statistics: list[Statistic]
    draws: int
    keep: float | None
    population: int
    generations: int
    min_epsilon: float
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def keys(self) -> list[str]:
        return list(self.experiment.keys)

    @property
    def priors(self) -> list[Any]:
        return list(self.experiment.factors)


def _whole(table: dict[str, Any], name: str, default: int, source: str, key: str,
           least: int) -> int:
    value = table.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise InputError(f"expected a whole number >= {least}, got {value!r}", source=source,
                         key=key)
    return value


def _section(table: dict[str, Any], name: str, allowed: tuple[str, ...], source: str
             ) -> dict[str, Any]:
    section = table.get(name, {})
    if not isinstance(section, dict):
        raise InputError(f"expected a table, got {section!r}", source=source, key=name)
    for option in section:
        if option not in allowed:
            raise InputError(f"unknown option{did_you_mean(option, list(allowed))}; it takes "
                             f"{', '.join(allowed)}", source=source, key=f"{name}.{option}")
    return section


def parse_calibration(table: dict[str, Any], source: str = "<calibration>",
                      base_dir: Path | None = None, default_name: str = "calibration"
                      ) -> Calibration:
    """Check a calibration given as a (TOML-shaped) dict. Every problem is one line naming
    the file, the key and what is wrong."""
    if not isinstance(table, dict):
        raise InputError(f"expected a table, got {type(table).__name__}", source=source)
    for name in table:
        if name not in TOP_KEYS:
            raise InputError(f"unknown key{did_you_mean(name, list(TOP_KEYS))}", source=source,
                             key=name)
    priors = table.get("priors")
    if not isinstance(priors, dict) or not priors:
        raise InputError("a calibration needs [priors]: at least one uncertain parameter with "
                         "its range or distribution", source=source, key="priors")
    rejection = _section(table, "rejection", REJECTION_KEYS, source)
    smc = _section(table, "smc", SMC_KEYS, source)
    draws = _whole(rejection, "draws", 1000, source, "rejection.draws", 1)
    keep = rejection.get("keep")
    if keep is not None and (isinstance(keep, bool) or not isinstance(keep, int | float)
                             or not 0 < keep <= 1):
        raise InputError(f"expected a share in (0, 1], got {keep!r}", source=source,
                         key="rejection.keep")
    population = _whole(smc, "population", 200, source, "smc.population", 2)
    generations = _whole(smc, "generations", 5, source, "smc.generations", 1)
    min_epsilon = smc.get("min_epsilon", 0.0)
    if (isinstance(min_epsilon, bool) or not isinstance(min_epsilon, int | float)
            or not math.isfinite(min_epsilon) or min_epsilon < 0):
        raise InputError(f"expected a number >= 0, got {min_epsilon!r}", source=source,
                         key="smc.min_epsilon")
    from ..model import MODEL_SERIES

    raw_statistics = table.get("statistics", {})
    if not isinstance(raw_statistics, dict):
        raise InputError(f"expected a table, got {raw_statistics!r}", source=source,
                         key="statistics")
    statistics = [parse_statistic(name, spec, source, MODEL_SERIES, SUMMARY_KEYS)
                  for name, spec in raw_statistics.items()]
    raw_targets = table.get("targets")
    if not isinstance(raw_targets, dict) or not raw_targets:
        raise InputError("a calibration needs [targets]: at least one condition on the "
                         "outputs, e.g. PT1 = { at_least = 0.6 }", source=source, key="targets")
    outputs = [*SUMMARY_KEYS, *(s.name for s in statistics)]
    targets = [parse_target(name, spec, source, outputs) for name, spec in raw_targets.items()]

    experiment_table: dict[str, Any] = {
        "description": table.get("description"),
        "name": table.get("name", default_name),
        "scenario": table.get("scenario", "baseline"),
        "seed": table.get("seed", 0),
        "replications": table.get("replications", 1),
        # Independent seeds: every run of every draw is a fresh sample of the model's noise.
        "common_random_numbers": False,
        "parameters": priors,
        "design": {"type": "random", "samples": draws},
    }
    if statistics:
        experiment_table["outputs"] = {"series": True, "interval": 1, "columns": sorted(
            {s.column for s in statistics})}
    for optional in ("steps", "set"):
        if optional in table:
            experiment_table[optional] = table[optional]
    try:
        experiment = parse_experiment(experiment_table, source=source, base_dir=base_dir,
                                      default_name=default_name)
    except InputError as exc:
        # The experiment's words for the calibration's keys.
        key = exc.key or ""
        key = ("priors" + key[len("parameters"):] if key.startswith("parameters")
               else "rejection.draws" if key == "design.samples" else key)
        raise InputError(exc.problem.replace("[parameters]", "[priors]"), source=source,
                         key=key or None) from None
    return Calibration(name=experiment.name, description=experiment.description, source=source,
                       experiment=experiment, targets=targets, statistics=statistics,
                       draws=draws,
                       keep=None if keep is None else float(keep), population=population,
                       generations=generations, min_epsilon=float(min_epsilon), raw=table)


def load_calibration(ref: str | Path | Calibration | dict[str, Any]) -> Calibration:
    """A calibration by bundled name (``"patterns"``), by path, as a dict, or as given."""
    if isinstance(ref, Calibration):
        return ref
    if isinstance(ref, dict):
        return parse_calibration(ref)
    path = Path(ref)
    if not path.is_file() and str(ref) in bundled_names("calibrations"):
        path = bundled_dir("calibrations") / f"{ref}.toml"
    if not path.is_file():
        names = bundled_names("calibrations")
        raise InputError(f"no such file, and no bundled calibration of that name"
                         f"{did_you_mean(str(ref), names)}; bundled: {', '.join(names)}",
                         source=str(ref))
    return parse_calibration(read_toml(path), source=str(path), base_dir=path.parent,
                             default_name=path.stem)


# -- running ----------------------------------------------------------------------------------

def _outputs(targets: list[Target]) -> list[str]:
    return list(dict.fromkeys(k for t in targets for k in t.keys))


def _run_statistics(statistics: list[Statistic], folder: Path) -> pd.DataFrame:
    """Each finished run's statistics, from the per-month series the sweep kept."""
    from ..io.sweep_folder import read_results

    series = read_results(folder, series=True)
    rows = []
    for run_id, run in series.groupby("run_id", sort=True):
        steps = run["step"].to_numpy()
        rows.append({"run_id": run_id,
                     **{s.name: s.of(steps, run[s.column].to_numpy()) for s in statistics}})
    return pd.DataFrame(rows, columns=["run_id", *(s.name for s in statistics)])


def _unit_columns(keys: list[str], unit: np.ndarray) -> dict[str, np.ndarray]:
    return {f"u:{k}": unit[:, j] for j, k in enumerate(keys)}


def _rejection(cal: Calibration, *, backend: str | None, workers: int | None, scheduler: Any,
               out: Path, resume: bool, progress: bool | None, work: Any
               ) -> dict[str, Any]:
    from ..experiments.sweeps import sweep

    exp = cal.experiment
    extra = {"work": work} if work is not None else {}
    runs = sweep(exp, backend=backend, workers=workers, scheduler=scheduler,
                 out=out / "draws", resume=resume, progress=progress, **extra)
    if cal.statistics:
        runs = runs.merge(_run_statistics(cal.statistics, out / "draws"), on="run_id",
                          how="left")
    outputs = _outputs(cal.targets)
    # Each draw's outputs: the mean over its finished runs (NaN where none finished).
    values = exp.point_means(runs, outputs)[outputs]
    unit = np.asarray(exp.unit, dtype=float)   # a random design always has one
    result = abc.rejection(unit, values, cal.targets, keys=cal.keys,
                           share=cal.keep)
    design = exp.design_table().drop(columns="point")
    prior = pd.concat([design, pd.DataFrame(_unit_columns(cal.keys, unit))], axis=1)
    draws = pd.concat([exp.design_table(), pd.DataFrame(_unit_columns(cal.keys, unit)),
                       values], axis=1)
    draws["distance"] = result.distance
    draws["accepted"] = result.accepted
    kept = draws[draws["accepted"]].reset_index(drop=True)
    ensemble = pd.concat([pd.DataFrame({"member": np.arange(len(kept)),
                                        "weight": result.weights}),
                          kept[[*cal.keys, "distance", *outputs]]], axis=1)
    prior_met = summarise_targets(cal.targets, values)
    summary = result.summary.copy()
    summary.insert(2, "scale", [result.scales.get(t.name, math.nan) for t in cal.targets])
    summary.insert(3, "prior_met_share", prior_met["met_share"].to_numpy())
    failed = int((runs["status"] != "ok").sum())
    accepted_distance = result.distance[result.accepted]
    generations = pd.DataFrame([{
        "generation": 0,
        "epsilon": result.tolerance,
        "simulations": exp.n_points,
        "runs": len(runs),
        "accepted": result.n_accepted,
        "acceptance_rate": result.acceptance_rate,
        "ess": result.ess,
        "met_share": float(np.mean(accepted_distance == 0)) if len(accepted_distance) else
        math.nan,
        # Kept draws have finite distances (accept never keeps an infinite one).
        **dict(zip(("distance_q10", "distance_q50", "distance_q90"),
                   abc.weighted_quantile(accepted_distance, result.weights,
                                         np.array([0.1, 0.5, 0.9])).tolist()
                   if len(accepted_distance) else [math.nan] * 3, strict=True)),
    }])
    distances = pd.DataFrame({"generation": 0, "distance": result.distance, "weight": 1.0,
                              "accepted": result.accepted})
    notes = []
    if failed:
        notes.append(f"{failed} of {len(runs)} runs ended with an error; a draw's outputs are "
                     "the mean of its other runs (a draw with none is never accepted). See "
                     "draws/runs.parquet.")
    return {"prior": prior, "draws": draws, "ensemble": ensemble, "summary": summary,
            "constraints": result.constraints, "generations": generations,
            "distances": distances, "scales": result.scales, "notes": notes,
            "settings": {"draws": cal.draws, "keep": cal.keep}}


class ReplicatedRuns:
    """The model as smc sees it: a draw's parameter values and seed in, the outputs the
    targets read out, each the mean over `replications` runs (seeds derived from the draw's
    seed as a sweep derives them from an experiment's)."""

    def __init__(self, experiment: Experiment, outputs: list[str],
                 statistics: list[Statistic] = ()) -> None:
        self.scenario = experiment.scenario
        self.steps = experiment.steps
        self.replications = experiment.replications
        self.outputs = outputs
        self.statistics = {s.name: s for s in statistics}

    def __call__(self, parameters: dict[str, Any], seed: int) -> dict[str, float]:
        from ..experiments.run import run

        rows = []
        for replication in range(self.replications):
            try:
                result = run(self.scenario, seed=run_seed(seed, 0, replication, False),
                             steps=self.steps, overrides=parameters)
            except Exception:   # a failed run counts as missing, as in a sweep
                continue
            steps = result.model["step"].to_numpy()
            rows.append([self.statistics[k].of(steps, result.model[self.statistics[k].column])
                         if k in self.statistics else float(result.summary.get(k, math.nan))
                         for k in self.outputs])
        if not rows:
            return dict.fromkeys(self.outputs, math.nan)
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                means = np.nanmean(np.array(rows, dtype=float), axis=0)
        return dict(zip(self.outputs, (float(m) for m in means), strict=True))


def _dask_client(workers: int | None, scheduler: Any) -> Any:
    from dask.distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler)
    return Client(LocalCluster(n_workers=workers or 2, threads_per_worker=1,
                               processes=True, dashboard_address=None))


def _smc(cal: Calibration, *, backend: str | None, workers: int | None, scheduler: Any,
         out: Path, simulate: Any) -> dict[str, Any]:
    exp = cal.experiment
    outputs = _outputs(cal.targets)
    backend = backend or ("dask" if scheduler else "processes")
    sampler = {"serial": "serial", "processes": "multicore", "dask": "dask"}[backend]
    client = _dask_client(workers, scheduler) if sampler == "dask" else None
    try:
        model = simulate or ReplicatedRuns(exp, outputs, cal.statistics)
        result = abc.smc(model, cal.priors, cal.targets,
                         population=cal.population, generations=cal.generations,
                         db_path=out / "abc.db", sampler=sampler,
                         workers=workers if sampler == "multicore" else None, client=client,
                         seed=exp.seed, min_epsilon=cal.min_epsilon)
    finally:
        if client is not None:
            cluster = getattr(client, "cluster", None)
            client.close()
            if cluster is not None and not scheduler:
                cluster.close()
    unit = abc.draw_unit(PRIOR_SHOWN, len(cal.keys), exp.seed)
    prior = pd.concat([abc.parameter_values(cal.priors, unit),
                       pd.DataFrame(_unit_columns(cal.keys, unit))], axis=1)
    weights = np.asarray(result.weights, dtype=float)
    ensemble = pd.concat([
        pd.DataFrame({"member": np.arange(len(weights)), "weight": weights}),
        result.parameters.reset_index(drop=True)[cal.keys],
        pd.DataFrame({"distance": result.distance}),
        result.outputs.reset_index(drop=True)[outputs]], axis=1)
    summary = summarise_targets(cal.targets, result.outputs.reset_index(drop=True),
                                weights=weights)
    summary.insert(2, "scale", [result.scales.get(t.name, math.nan) for t in cal.targets])
    summary.insert(3, "prior_met_share", math.nan)
    constraints = abc.constraint_table(unit, result.unit[cal.keys].to_numpy(dtype=float),
                                       weights, cal.keys)
    generations = result.generations.rename(columns={"t": "generation"})
    generations.insert(generations.columns.get_loc("simulations") + 1, "runs",
                       generations["simulations"] * exp.replications)
    return {"prior": prior, "draws": None, "ensemble": ensemble, "summary": summary,
            "constraints": constraints, "generations": generations,
            "distances": _history_distances(result), "scales": result.scales,
            "notes": [f"pyabc stopped at {result.stopped!r} after {len(result.generations)} "
                      f"generation(s) and {result.simulations} simulations (pilot "
                      f"{result.pilot_simulations}); its history is abc.db."],
            "settings": {"population": cal.population, "generations": cal.generations,
                         "min_epsilon": cal.min_epsilon, "sampler": sampler,
                         "stopped": result.stopped, "history_id": result.history_id}}


def _history_distances(result: abc.SMCResult) -> pd.DataFrame:
    """Every generation's particles' distances and weights, from pyabc's history."""
    import pyabc

    history = pyabc.History(f"sqlite:///{result.db_path}", _id=result.history_id)
    frames = []
    for t in range(history.max_t + 1):
        frame = history.get_weighted_distances(t)
        frames.append(pd.DataFrame({"generation": t, "distance": frame["distance"].to_numpy(),
                                    "weight": frame["w"].to_numpy()}))
    return pd.concat(frames, ignore_index=True)


def calibrate(calibration: str | Path | Calibration | dict[str, Any], *,
              method: str = "rejection", backend: str | None = None,
              workers: int | None = None, scheduler: Any = None, out: str | Path | None = None,
              resume: bool = False, progress: bool | None = None, write: bool = True,
              figures: bool = True, command: str | None = None, work: Any = None,
              simulate: Any = None) -> CalibrationResult:
    """Calibrate the priors of `calibration` on its targets; see the module docstring.

    Args:
        calibration: bundled name, path, dict or `Calibration`.
        method: ``"rejection"`` (default) or ``"smc"`` (needs ``dmpsim[calibrate]``).
        backend, workers, scheduler: as for `dmpsim.sweep` (smc: ``processes`` is pyabc's
            multicore sampler, ``dask`` its Dask sampler, ``serial`` one process).
        out: output folder (default ``results/calibrate/<name>``).
        resume: rejection only: finish (or reuse) the draws already in ``out/draws``.
        progress: progress bar of the rejection sweep (default: when stderr is a terminal).
        write, figures: write the files (and draw the figures) into `out`.
        command: the command line the report prints (default: the equivalent CLI call).
        work: rejection only: the function each run calls (`dmpsim.sweep`'s ``work``), for
            tests with a known answer.
        simulate: smc only: ``simulate(parameters, seed) -> outputs`` in place of the model,
            for tests with a known answer.
    """
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; one of {', '.join(METHODS)}"
                         f"{did_you_mean(str(method), list(METHODS))}", key="--method")
    if resume and method != "rejection":
        raise InputError("--resume applies to the rejection method (smc's history is pyabc's "
                         "database, abc.db, which a new run adds to)", key="--resume")
    cal = load_calibration(calibration)
    out_dir = Path(out) if out is not None else Path("results") / "calibrate" / cal.name
    if method == "rejection":
        found = _rejection(cal, backend=backend, workers=workers, scheduler=scheduler,
                           out=out_dir, resume=resume, progress=progress, work=work)
    else:
        found = _smc(cal, backend=backend, workers=workers, scheduler=scheduler, out=out_dir,
                     simulate=simulate)
    exp = cal.experiment
    if command is None:
        parts: list[Any] = ["dmpsim", "calibrate", calibration if isinstance(
            calibration, str | Path) else cal.source, "--method", method, "--out", out_dir]
        command = shell_command(parts)
    notes = list(found["notes"])
    result = CalibrationResult(
        name=cal.name, description=cal.description, source=cal.source, method=method,
        scenario=exp.scenario, keys=cal.keys, priors=[f.describe() for f in cal.priors],
        prior=found["prior"], ensemble=found["ensemble"], target_summary=found["summary"],
        constraints=found["constraints"], generations=found["generations"],
        distances=found["distances"], seed=exp.seed, replications=exp.replications,
        steps=exp.effective_steps(), settings={**found["settings"], "scales": found["scales"]},
        out=out_dir, command=command, notes=notes)
    if write:
        result.files = write_outputs(result, cal, found["draws"], figures=figures)
    return result


# -- outputs ----------------------------------------------------------------------------------

def write_outputs(result: CalibrationResult, cal: Calibration, draws: pd.DataFrame | None,
                  figures: bool = True) -> list[Path]:
    """Write the tables, calibration.json, and (with `figures`) the figures and the report."""
    # Figures and report import matplotlib: only when files are written.
    from ..viz.calibration import draw_figures
    from .report.calibration import build_report

    out = result.out
    assert out is not None
    files = [atomic_write_parquet(result.ensemble, out / "ensemble.parquet"),
             atomic_write_csv(result.ensemble, out / "ensemble.csv"),
             atomic_write_parquet(result.prior, out / "prior.parquet"),
             atomic_write_csv(result.target_summary, out / "targets.csv"),
             atomic_write_csv(result.constraints, out / "constraints.csv"),
             atomic_write_csv(result.generations, out / "generations.csv"),
             atomic_write_parquet(result.distances, out / "distances.parquet")]
    if draws is not None:
        files.append(atomic_write_parquet(draws, out / "draws.parquet"))
    record = {
        "format": "dmpsim-calibration/1",
        "name": result.name,
        "description": result.description,
        "source": result.source,
        "method": result.method,
        "scenario": {"name": result.scenario.name, "source": result.scenario.source},
        "keys": result.keys,
        "priors": result.priors,
        "statistics": [{"name": s.name, "description": s.describe()} for s in cal.statistics],
        "targets": [{"name": t.name, "description": t.describe(), "outputs": list(t.keys)}
                    for t in cal.targets],
        "seed": result.seed,
        "replications": result.replications,
        "steps": result.steps,
        "settings": result.settings,
        "ensemble": {"members": len(result.ensemble),
                     "ess": abc.effective_sample_size(result.ensemble["weight"].to_numpy())
                     if len(result.ensemble) else 0.0},
        "constrained": result.constrained,
        "versions": analysis_versions(),
        "command": result.command,
        "notes": result.notes,
    }
    files.append(atomic_write_text(json.dumps(jsonable(record), indent=2) + "\n",
                                   out / "calibration.json"))
    figure_paths = draw_figures(result, out / "figures") if figures else []
    files += figure_paths
    files += build_report(result, figure_paths).write(out)
    return files
