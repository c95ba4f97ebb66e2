"""Scenario comparison with common random numbers: runs, statistics and the files they give.

`compare(["large_firm_entry", "price_only_tender", ...], replications=20)` turns the scenarios
into one sweep (`dmpsim.sweep`) and analyses it:

- *The design.* Each scenario is a point of a ``tuples`` design based on the baseline scenario.
  A point sets every dotted key on which the scenarios differ to that scenario's effective value
  (so every run has exactly its scenario's parameters); ``run.steps`` is left out and all runs
  last the same number of months (``steps``, by default the baseline's ``run.steps``).
- *Common random numbers.* With ``common_random_numbers = true`` replication ``k`` of every
  scenario runs with the same seed (`dmpsim.experiments.design.run_seed`), so the scenarios
  meet the same commissioners, practitioners and chance events as far as their rules let them,
  and their difference is estimated from per-replication differences
  (`stats.paired_difference`): much narrower intervals than independent runs give for the same
  number of runs.
- *Statistics.* For every summary key (`dmpsim.experiments.tables.SUMMARY_KEYS`): each scenario's mean
  with a 95% bootstrap interval, the paired difference from the baseline with its interval, the
  paired effect size ``d_z`` and Cohen's ``d`` (`stats.compare_table`, plus ``cohens_d``), and a
  flag when the interval of the difference excludes zero. With ``common_random_numbers=False``
  (independent seeds) the difference is the unpaired one (`stats.independent_difference`).
- *Outputs* (in ``out``, default ``results/compare/<names>``): ``report.md`` and a
  self-contained ``report.html``; ``comparison.csv``/``.parquet`` (the table above);
  ``differences.csv`` (parameter x scenario values where they differ); ``runs.csv`` (one row per
  run: scenario, replication, seed, summary); ``series.parquet`` (per-month series with a
  ``scenario`` column, which ``dmpsim plot OUT`` draws); ``comparison.json`` (settings, seeds,
  versions, the command); ``figures/`` (PNG and SVG); and ``sweep/``, the sweep folder itself
  (``manifest.json``, ``runs.parquet``, ``series.parquet``), which ``resume=True`` finishes or
  reuses.

*Across a calibrated ensemble* (``ensemble=DIR``, ``--ensemble DIR``: the output folder of
``dmpsim calibrate``, see `dmpsim.experiments.ensemble`): replication ``k`` of every scenario
takes ensemble member ``k``'s values of the calibrated parameters *and* seed ``k``, so the
differences are paired over the uncertain parameters and the random numbers alike (common
random numbers are then required). A parameter the scenarios set differently keeps each
scenario's value (the report names such calibrated parameters). Besides the tables above, the
comparison then gives, per summary key, in how much of the ensemble each scenario beats the
baseline, its regret (shortfall from the best scenario, member by member) and whether the
scenarios rank alike in every member (`dmpsim.analysis.ensemble.ensemble_table`, with the
directions of `dmpsim.analysis.results.BETTER`), written as ``ensemble.csv``, with a figure of
each difference's distribution over the ensemble (``figures/ensemble_differences``).

The figures are drawn by `dmpsim.viz.comparison`, the report built by
`dmpsim.analysis.report.compare`; `Comparison` itself is defined in `dmpsim.analysis.results`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..experiments.ensemble import Ensemble, load_ensemble
from ..experiments.files import parse_experiment
from ..experiments.scenario import Scenario, bundled_names, load_scenario
from ..experiments.tables import SUMMARY_KEYS
from ..io.atomic import atomic_write_csv, atomic_write_parquet, atomic_write_text
from ..io.provenance import jsonable
from ..model.params import FLAT, KINDS, PRESSURE_TYPES, RESPONSES
from . import stats
from .ensemble import ensemble_table
from .report import analysis_versions, shell_command
from .results import BETTER, MAIN_METRICS, Comparison

__all__ = ["BETTER", "MAIN_METRICS", "SERIES_COLUMNS", "Comparison", "compare",
           "independent_table", "parameter_differences"]

#: Per-month series kept for the band figures and for ``dmpsim plot``.
SERIES_COLUMNS = ("contracts_completed", "integrity", "pressure_share",
                  *(f"share_value_{k}" for k in KINDS), "field_experience",
                  *(f"active_{k}" for k in KINDS), "public_confidence",
                  *(f"response_{r}" for r in RESPONSES),
                  *(f"episodes_{t}" for t in PRESSURE_TYPES))


# -- scenarios and their differences ----------------------------------------------------------

def _load(refs: Sequence[str | Path | Scenario]) -> list[Scenario]:
    if isinstance(refs, str | Path | Scenario):
        refs = [refs]
    refs = list(refs)
    if len(refs) < 2:
        raise InputError(f"a comparison needs at least two scenarios, got {len(refs)}",
                         key="scenarios")
    scenarios = [load_scenario(r) for r in refs]
    names = [s.name for s in scenarios]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(f"scenario {repeated[0]!r} is given more than once (names must differ; "
                         "set `name = \"...\"` in a scenario file to rename it)", key="scenarios")
    return scenarios


def parameter_differences(scenarios: Sequence[Scenario]) -> tuple[list[str], pd.DataFrame]:
    """The dotted keys on which the scenarios' effective values differ (``run.steps`` aside),
    and a table: parameter, unit, meaning, then each scenario's value."""
    effective = [s.effective() for s in scenarios]
    keys = [k for k in FLAT if k != "run.steps"
            and len({repr(e[k]) for e in effective}) > 1]
    rows = []
    for key in keys:
        spec = FLAT[key]
        row: dict[str, Any] = {"parameter": key, "unit": spec.unit, "meaning": spec.doc}
        for scenario, values in zip(scenarios, effective, strict=True):
            row[scenario.name] = values[key]
        rows.append(row)
    columns = ["parameter", "unit", "meaning", *(s.name for s in scenarios)]
    return keys, pd.DataFrame(rows, columns=columns)


def _scenario_ref(ref: str | Path | Scenario, scenario: Scenario) -> str:
    """How the experiment names the base scenario: a bundled name, or an absolute path."""
    if isinstance(ref, str) and ref in bundled_names() and not Path(ref).exists():
        return ref
    source = Path(scenario.source)
    if not source.is_file():
        raise InputError("the baseline must be a bundled scenario or a scenario file",
                         source=str(ref), key="baseline")
    return str(source.resolve())


def _fixed_values(ref: str, scenario: Scenario, keys: Sequence[str]) -> dict[str, Any]:
    """The values every scenario shares that the experiment's base scenario file (`ref`) does
    not give: a Scenario object's overrides (or values changed in code). Without them as the
    experiment's ``[set]``, the runs would take the file's values instead."""
    on_file = load_scenario(ref).effective()
    own = scenario.effective()
    return {k: v for k, v in own.items()
            if k != "run.steps" and k not in keys and repr(v) != repr(on_file[k])}


def build_experiment(refs: Sequence[str | Path | Scenario], scenarios: Sequence[Scenario],
                     base: int, keys: list[str], *, replications: int, seed: int, steps: int,
                     common_random_numbers: bool,
                     ensemble: str | Path | None = None) -> dict[str, Any]:
    """The comparison as an experiment dict: one ``tuples`` design point per scenario.

    The baseline's file is the experiment's base scenario; values all the scenarios share but
    that file does not set (a Scenario object's overrides) go in ``[set]``. With `ensemble`
    (a calibration's folder, made absolute here) replication k takes its member k."""
    points = []
    for scenario in scenarios:
        values = scenario.effective()
        points.append({k: values[k] for k in keys})
    names = [s.name for s in scenarios]
    ref = _scenario_ref(refs[base], scenarios[base])
    table: dict[str, Any] = {
        "name": "compare",
        "description": f"Comparison of {', '.join(names)} (baseline {names[base]})",
        "scenario": ref,
        "seed": seed,
        "replications": replications,
        "steps": steps,
        "common_random_numbers": common_random_numbers,
    }
    fixed = _fixed_values(ref, scenarios[base], keys)
    if fixed:   # only then, so that a comparison of files keeps its experiment (and --resume)
        table["set"] = fixed
    if ensemble is not None:
        table["ensemble"] = str(Path(ensemble).expanduser().resolve())
    table["design"] = {"type": "tuples", "points": points}
    table["outputs"] = {"series": True, "interval": 1, "columns": list(SERIES_COLUMNS)}
    return table


# -- statistics -------------------------------------------------------------------------------

def _cohens_d(runs: pd.DataFrame, table: pd.DataFrame) -> np.ndarray:
    """Cohen's d (difference over the pooled run-to-run sd of the two scenarios)."""
    out = np.full(len(table), np.nan)
    for i, row in enumerate(table.itertuples(index=False)):
        if row.scenario == row.baseline or not np.isfinite(row.diff):
            continue
        a = runs.loc[runs["scenario"] == row.scenario, row.metric].dropna().to_numpy(float)
        b = runs.loc[runs["scenario"] == row.baseline, row.metric].dropna().to_numpy(float)
        if a.size < 2 or b.size < 2:
            continue
        pooled = math.sqrt(((a.size - 1) * a.var(ddof=1) + (b.size - 1) * b.var(ddof=1))
                           / (a.size + b.size - 2))
        if pooled > 0:
            out[i] = row.diff / pooled
        else:
            out[i] = 0.0 if row.diff == 0 else math.copysign(math.inf, row.diff)
    return out


def independent_table(df: pd.DataFrame, metrics: Sequence[str], baseline: str,
                      n_resamples: int = stats.DEFAULT_RESAMPLES, rng: int = 0) -> pd.DataFrame:
    """`stats.compare_table`'s layout for runs with independent seeds: the difference is the
    unpaired one (`stats.independent_difference`), ``n_pairs`` counts the values used."""
    table = stats.compare_table(df, "scenario", "replication", list(metrics), baseline,
                                n_resamples=n_resamples, rng=rng)
    gen = np.random.default_rng(rng + 1)
    for i, row in table.iterrows():
        if row["scenario"] == baseline:
            continue
        a = df.loc[df["scenario"] == row["scenario"], row["metric"]].dropna().to_numpy(float)
        b = df.loc[df["scenario"] == baseline, row["metric"]].dropna().to_numpy(float)
        res = stats.independent_difference(a, b, n_resamples=n_resamples, rng=gen)
        table.loc[i, ["diff", "diff_low", "diff_high", "effect_size"]] = [
            res["mean_diff"], res["low"], res["high"], res["effect_size"]]
        table.loc[i, "n_pairs"] = res["n"]
        table.loc[i, "significant"] = res["significant"]
    return table


# -- the ensemble ------------------------------------------------------------------------------

def check_ensemble(folder: str | Path, replications: int, seed: int) -> Ensemble:
    """The calibration in `folder`, checked before anything runs; a problem is one line naming
    ``--ensemble``."""
    if not isinstance(folder, str | Path) or not str(folder).strip():
        raise InputError(f"expected the output folder of dmpsim calibrate, got {folder!r}",
                         key="--ensemble")
    path = Path(folder).expanduser().resolve()
    return load_ensemble(path, replications, seed, source="", key="--ensemble")


def _shared_calibrated(ensemble: Ensemble, fixed: dict[str, Any], names: Sequence[str]) -> None:
    """Refuse a value every scenario sets (a Scenario's override, ``--set``) on a calibrated
    parameter: the runs would have to take either it or the members' values."""
    for key in ensemble.keys:
        if key in fixed:
            raise InputError(f"{key} is calibrated in the ensemble, and every scenario "
                             f"({', '.join(names)}) sets it to {fixed[key]!r}; drop that "
                             "override (the runs then take the members' values) or leave out "
                             "--ensemble", key="--ensemble")


def _ensemble_notes(record: dict[str, Any], overridden: list[str]) -> list[str]:
    keys = record["keys"]
    if not overridden:
        return []
    listed = ", ".join(f"`{k}`" for k in overridden)
    rest = [k for k in keys if k not in overridden]
    if rest:
        after = ("the ensemble varies only the other calibrated parameters ("
                 + ", ".join(f"`{k}`" for k in rest) + ")")
    else:
        after = ("every calibrated parameter is set by the scenarios, so the members differ "
                 "only in their seeds")
    return [f"The scenarios set the calibrated parameter(s) {listed} differently, so every run "
            f"takes its scenario's value, not the ensemble member's; {after}."]


# -- the comparison ---------------------------------------------------------------------------

def default_out(names: Sequence[str]) -> Path:
    stem = "-".join(names)
    if len(stem) > 80:
        stem = f"{names[0]}-and-{len(names) - 1}-more"
    return Path("results") / "compare" / re.sub(r"[^A-Za-z0-9_.-]+", "_", stem)


def compare(scenarios: Sequence[str | Path | Scenario], *, replications: int = 20,
            baseline: str | None = None, seed: int = 0, steps: int | None = None,
            backend: str | None = None, workers: int | None = None, scheduler: Any = None,
            out: str | Path | None = None, resume: bool = False, progress: bool | None = None,
            common_random_numbers: bool = True, n_resamples: int = stats.DEFAULT_RESAMPLES,
            write: bool = True, figures: bool = True, command: str | None = None,
            ensemble: str | Path | None = None) -> Comparison:
    """Run `scenarios` with common random numbers and compare them with the baseline.

    Args:
        scenarios: bundled names or scenario files (at least two, with distinct names).
        replications: runs per scenario (replication k of every scenario shares a seed).
        baseline: the scenario the others are compared with (default: the first).
        seed: the experiment seed every run's seed derives from.
        steps: months per run (default: the baseline's ``run.steps``).
        backend, workers, scheduler: as for `dmpsim.sweep`.
        out: output folder (default ``results/compare/<names>``); the sweep goes to ``out/sweep``.
        resume: finish (or reuse) the sweep already in ``out/sweep``.
        progress: progress bar (default: when stderr is a terminal).
        common_random_numbers: False runs independent seeds and compares unpaired (to see what
            CRN buys; not for reports).
        n_resamples: bootstrap resamples per interval.
        write: write the tables, figures and report into `out`.
        figures: draw the figures (with `write`).
        command: the command line to print in the report (default: the equivalent
            ``dmpsim compare`` call).
        ensemble: a calibration's output folder (``calibration.json`` and
            ``ensemble.parquet``): replication k of every scenario takes member k and seed k,
            and the comparison adds, per summary key, the share of the ensemble in which each
            scenario beats the baseline, its regret and whether the ranking holds in every
            member (`Comparison.ensemble`, ensemble.csv). Needs common random numbers.
    """
    from ..experiments.sweeps import sweep

    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 2:
        raise InputError(f"expected a whole number >= 2 (intervals need two runs), got "
                         f"{replications!r}", key="--replications")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"expected a whole number >= 0, got {seed!r}", key="--seed")
    if steps is not None:
        from ..experiments.run import check_steps

        steps = check_steps(steps, key="--steps")
    if ensemble is not None and not common_random_numbers:
        raise InputError("an ensemble pairs the scenarios over members and seeds alike, so it "
                         "needs common random numbers; leave out --independent-seeds",
                         key="--ensemble")
    calibration = (check_ensemble(ensemble, replications, seed) if ensemble is not None
                   else None)
    refs = [scenarios] if isinstance(scenarios, str | Path | Scenario) else list(scenarios)
    loaded = _load(refs)
    names = [s.name for s in loaded]
    baseline = names[0] if baseline is None else str(baseline)
    if baseline not in names:
        raise InputError(f"{baseline!r} is not one of the scenarios compared "
                         f"({', '.join(names)})", key="--baseline")
    base = names.index(baseline)
    keys, differences = parameter_differences(loaded)
    if not keys:
        raise InputError("the scenarios have the same parameters (apart from run.steps); "
                         "there is nothing to compare", key="scenarios")
    notes = []
    base_steps = int(loaded[base].effective()["run.steps"])
    if steps is None:
        steps = base_steps
        own = {s.name: int(s.effective()["run.steps"]) for s in loaded}
        if len(set(own.values())) > 1:
            listed = ", ".join(f"{n} {v}" for n, v in own.items())
            notes.append(f"The scenario files set different run lengths ({listed} months); "
                         f"every run here lasts the baseline's {steps} months.")
    out_dir = Path(out) if out is not None else default_out(names)
    table = build_experiment(refs, loaded, base, keys, replications=replications, seed=seed,
                             steps=steps, common_random_numbers=common_random_numbers,
                             ensemble=ensemble)
    if calibration is not None:
        _shared_calibrated(calibration, table.get("set", {}), names)
    experiment = parse_experiment(table, source="dmpsim compare", default_name="compare")
    runs = sweep(experiment, backend=backend, workers=workers, scheduler=scheduler,
                 out=out_dir / "sweep", resume=resume, progress=progress)
    runs = runs.copy()
    runs.insert(1, "scenario", [names[int(p)] for p in runs["point"]])
    record = experiment.ensemble.describe() if experiment.ensemble is not None else None
    if record is not None:
        # Which row of the calibration's ensemble.parquet each replication took.
        runs.insert(runs.columns.get_loc("replication") + 1, "ensemble_member",
                    [record["members"][int(k)] for k in runs["replication"]])
    ok = runs[runs["status"] == "ok"]
    failed = len(runs) - len(ok)
    if failed:
        first = runs.loc[runs["status"] != "ok", "error"].iloc[0]
        notes.append(f"{failed} of {len(runs)} runs ended with an error and are left out "
                     f"(first: {first}); see sweep/runs.parquet.")
    for name in names:
        if (ok["scenario"] == name).sum() < 2:
            raise InputError(f"fewer than two runs of {name!r} finished; see "
                             f"{out_dir / 'sweep' / 'runs.parquet'}", key="scenarios")
    metrics = list(SUMMARY_KEYS)
    frame = ok[["scenario", "replication", *metrics]].copy()
    for m in metrics:
        frame[m] = pd.to_numeric(frame[m], errors="coerce").astype(float)
    if common_random_numbers:
        result = stats.compare_table(frame, "scenario", "replication", metrics, baseline,
                                     n_resamples=n_resamples, rng=seed)
    else:
        result = independent_table(frame, metrics, baseline, n_resamples=n_resamples, rng=seed)
    result.insert(result.columns.get_loc("effect_size") + 1, "cohens_d",
                  _cohens_d(frame, result))
    # Order rows as the scenarios were given, baseline first (compare_table's order).
    series = None
    series_path = out_dir / "sweep" / "series.parquet"
    if series_path.exists():
        series = pd.read_parquet(series_path)
        point_of = dict(zip(runs["run_id"], runs["point"], strict=True))
        rep_of = dict(zip(runs["run_id"], runs["replication"], strict=True))
        series.insert(0, "scenario", [names[int(point_of[r])] for r in series["run_id"]])
        series.insert(2, "replication", [int(rep_of[r]) for r in series["run_id"]])
        # Baseline first: figures that show only the first few scenarios then include it.
        order = {n: i for i, n in enumerate([baseline, *(n for n in names if n != baseline)])}
        series = (series.assign(_order=series["scenario"].map(order))
                  .sort_values(["_order", "run_id", "step"], kind="stable")
                  .drop(columns="_order").reset_index(drop=True))
    if command is None:
        parts: list[Any] = ["dmpsim", "compare", *(str(r.source if isinstance(r, Scenario)
                                                       else r) for r in refs),
                            "--replications", replications, "--baseline", baseline,
                            "--seed", seed, "--steps", steps, "--out", out_dir]
        if not common_random_numbers:
            parts.append("--independent-seeds")
        if ensemble is not None:
            parts += ["--ensemble", ensemble]
        command = shell_command(parts)
    comparison = Comparison(
        scenarios=loaded, names=names, baseline=baseline, table=result, runs=runs,
        series=series, differences=differences, replications=replications, steps=steps,
        seed=seed, common_random_numbers=common_random_numbers, out=out_dir, notes=notes,
        command=command, ensemble_source=record)
    if record is not None:
        comparison.notes += _ensemble_notes(record, comparison.overridden())
        comparison.ensemble = ensemble_table(comparison.member_runs(), baseline, metrics,
                                             BETTER)
    if write:
        comparison.files = write_outputs(comparison, figures=figures)
    return comparison


# -- outputs ----------------------------------------------------------------------------------

def write_outputs(comparison: Comparison, figures: bool = True,
                  report: bool = True) -> list[Path]:
    """Write the tables, comparison.json and (with `figures`) the figures into
    ``comparison.out``, and (with `report`) report.md and report.html; the files written."""
    # Figures and report import matplotlib: only when files are written.
    from ..viz.comparison import draw_figures
    from .report.compare import build_report

    out = comparison.out
    assert out is not None
    files = [
        atomic_write_csv(comparison.table, out / "comparison.csv"),
        atomic_write_parquet(comparison.table, out / "comparison.parquet"),
        atomic_write_csv(comparison.differences, out / "differences.csv"),
    ]
    runs = comparison.runs
    calibrated = comparison.ensemble_source["keys"] if comparison.ensemble_source else []
    keep = ["scenario", "replication", "ensemble_member", "seed", *calibrated, *SUMMARY_KEYS,
            "status", "error"]
    files.append(atomic_write_csv(runs[[c for c in dict.fromkeys(keep) if c in runs.columns]],
                                  out / "runs.csv"))
    if comparison.ensemble is not None:
        files.append(atomic_write_csv(comparison.ensemble, out / "ensemble.csv"))
    if comparison.series is not None:
        files.append(atomic_write_parquet(comparison.series, out / "series.parquet"))
    figure_files: dict[str, list[Path]] = {}
    if figures:
        figure_files = draw_figures(comparison, out / "figures")
        files += [p for paths in figure_files.values() for p in paths]
    found = analysis_versions()
    meta = {
        "format": "dmpsim-compare/1",
        "scenarios": [{"name": s.name, "description": s.description, "source": s.source}
                      for s in comparison.scenarios],
        "baseline": comparison.baseline,
        "replications": comparison.replications,
        "steps": comparison.steps,
        "seed": comparison.seed,
        "common_random_numbers": comparison.common_random_numbers,
        "seeds": comparison.seeds().to_dict(orient="list"),
        "parameters_differing": list(comparison.differences["parameter"]),
        "versions": found,
        "command": comparison.command,
        "notes": comparison.notes,
        "sweep": "sweep/",
    }
    if comparison.ensemble_source is not None:
        meta["ensemble"] = {**comparison.ensemble_source,
                            "overridden": comparison.overridden(),
                            "table": "ensemble.csv", "better": BETTER}
    files.append(atomic_write_text(json.dumps(jsonable(meta), indent=2) + "\n",
                                   out / "comparison.json"))
    if report:
        files += build_report(comparison, figure_files, found).write(out)
    return files
