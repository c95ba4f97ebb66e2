"""Scenario comparison with common random numbers: runs, statistics, tables, figures and a report.

`compare(["large_firm_entry", "price_only_tender", ...], replications=20)` turns the scenarios
into one sweep (`dmpsim.sweep.sweep`) and analyses it:

- *The design.* Each scenario is a point of a ``tuples`` design based on the baseline scenario.
  A point sets every dotted key on which the scenarios differ to that scenario's effective value
  (so every run has exactly its scenario's parameters); ``run.steps`` is left out and all runs
  last the same number of months (``steps``, by default the baseline's ``run.steps``).
- *Common random numbers.* With ``common_random_numbers = true`` replication ``k`` of every
  scenario runs with the same seed (`dmpsim.experiment.run_seed`), so the scenarios meet the same
  commissioners, practitioners and chance events as far as their rules let them, and their
  difference is estimated from per-replication differences (`stats.paired_difference`): much
  narrower intervals than independent runs give for the same number of runs.
- *Statistics.* For every summary key (`dmpsim.metrics.SUMMARY_KEYS`): each scenario's mean
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
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..experiment import parse_experiment
from ..metrics import SUMMARY_KEYS
from ..model.params import FLAT, KINDS, PRESSURE_TYPES, RESPONSES
from ..outputs import atomic_write_csv, atomic_write_parquet, atomic_write_text, jsonable
from ..scenario import Scenario, bundled_names, load_scenario
from . import stats
from .report import (
    Report,
    analysis_versions,
    fmt_ci,
    fmt_number,
    frame_for_report,
    shell_command,
    versions_line,
)

__all__ = ["MAIN_METRICS", "SERIES_COLUMNS", "Comparison", "compare", "independent_table",
           "parameter_differences"]

#: The outputs in the headline tables and the effects figure; the tables and CSV cover every
#: summary key.
MAIN_METRICS = ("integrity_mean", "pressure_rate", "comply_rate", "large_firm_share",
                "field_experience", "public_confidence")

#: Per-month series kept for the band figures and for ``dmpsim plot``.
SERIES_COLUMNS = ("contracts_completed", "integrity", "pressure_share",
                  *(f"share_value_{k}" for k in KINDS), "field_experience",
                  *(f"active_{k}" for k in KINDS), "public_confidence",
                  *(f"response_{r}" for r in RESPONSES),
                  *(f"episodes_{t}" for t in PRESSURE_TYPES))

#: Band figures: (series column, y label, rolling window in months).
BAND_FIGURES = (
    ("integrity", "Integrity of completed processes (0-1)", 12),
    ("public_confidence", "Public confidence (0-1)", 1),
    ("share_value_large_firm", "Large firms' share of contract value (0-1)", 1),
    ("field_experience", "Experience held by active organisations (processes)", 1),
)
BAND_TITLES = {
    "integrity": "Integrity of completed processes (12-month mean)",
    "public_confidence": "Public confidence in mini-publics",
    "share_value_large_firm": "Large firms' share of contract value (last 12 months)",
    "field_experience": "The field's experience stock",
}
#: Scenarios per band figure besides the baseline: more lines than this hide each other.
BAND_GROUP = 4


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
                     common_random_numbers: bool) -> dict[str, Any]:
    """The comparison as an experiment dict: one ``tuples`` design point per scenario.

    The baseline's file is the experiment's base scenario; values all the scenarios share but
    that file does not set (a Scenario object's overrides) go in ``[set]``."""
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
            write: bool = True, figures: bool = True, command: str | None = None) -> Comparison:
    """Run `scenarios` with common random numbers and compare them with the baseline.

    Args:
        scenarios: bundled names or scenario files (at least two, with distinct names).
        replications: runs per scenario (replication k of every scenario shares a seed).
        baseline: the scenario the others are compared with (default: the first).
        seed: the experiment seed every run's seed derives from.
        steps: months per run (default: the baseline's ``run.steps``).
        backend, workers, scheduler: as for `dmpsim.sweep.sweep`.
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
    """
    from ..sweep import sweep

    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 2:
        raise InputError(f"expected a whole number >= 2 (intervals need two runs), got "
                         f"{replications!r}", key="--replications")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"expected a whole number >= 0, got {seed!r}", key="--seed")
    if steps is not None:
        from ..runner import check_steps

        steps = check_steps(steps, key="--steps")
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
                             steps=steps, common_random_numbers=common_random_numbers)
    experiment = parse_experiment(table, source="dmpsim compare", default_name="compare")
    runs = sweep(experiment, backend=backend, workers=workers, scheduler=scheduler,
                 out=out_dir / "sweep", resume=resume, progress=progress)
    runs = runs.copy()
    runs.insert(1, "scenario", [names[int(p)] for p in runs["point"]])
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
        command = shell_command(parts)
    comparison = Comparison(
        scenarios=loaded, names=names, baseline=baseline, table=result, runs=runs,
        series=series, differences=differences, replications=replications, steps=steps,
        seed=seed, common_random_numbers=common_random_numbers, out=out_dir, notes=notes,
        command=command)
    if write:
        comparison.files = write_outputs(comparison, figures=figures)
    return comparison


# -- outputs ----------------------------------------------------------------------------------

def _seeds(comparison: Comparison) -> pd.DataFrame:
    runs = comparison.runs
    if comparison.common_random_numbers:
        return (runs[["replication", "seed"]].drop_duplicates("replication")
                .sort_values("replication").reset_index(drop=True))
    wide = runs.pivot(index="replication", columns="scenario", values="seed")
    return wide[comparison.names].reset_index()


def write_outputs(comparison: Comparison, figures: bool = True,
                  report: bool = True) -> list[Path]:
    """Write the tables, comparison.json and (with `figures`) the figures into
    ``comparison.out``, and (with `report`) report.md and report.html; the files written."""
    out = comparison.out
    assert out is not None
    files = [
        atomic_write_csv(comparison.table, out / "comparison.csv"),
        atomic_write_parquet(comparison.table, out / "comparison.parquet"),
        atomic_write_csv(comparison.differences, out / "differences.csv"),
    ]
    runs = comparison.runs
    keep = ["scenario", "replication", "seed", *SUMMARY_KEYS, "status", "error"]
    files.append(atomic_write_csv(runs[[c for c in keep if c in runs.columns]],
                                  out / "runs.csv"))
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
        "seeds": _seeds(comparison).to_dict(orient="list"),
        "parameters_differing": list(comparison.differences["parameter"]),
        "versions": found,
        "command": comparison.command,
        "notes": comparison.notes,
        "sweep": "sweep/",
    }
    files.append(atomic_write_text(json.dumps(jsonable(meta), indent=2) + "\n",
                                   out / "comparison.json"))
    if report:
        files += build_report(comparison, figure_files, found).write(out)
    return files


def _chunks(names: list[str], baseline: str) -> list[list[str]]:
    others = [n for n in names if n != baseline]
    groups = [others[i:i + BAND_GROUP] for i in range(0, len(others), BAND_GROUP)] or [[]]
    return [[baseline, *g] for g in groups]


def _fewer_ticks(fig: Any) -> None:
    """At most five x ticks a panel: small differences have long tick labels that collide."""
    from matplotlib.ticker import MaxNLocator

    for ax in fig.axes:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))


def draw_figures(comparison: Comparison, folder: Path) -> dict[str, list[Path]]:
    """The effects forest plot and the band figures (PNG and SVG), by figure stem."""
    from .. import plots

    written: dict[str, list[Path]] = {}
    table = comparison.table[comparison.table["metric"].isin(MAIN_METRICS)]
    if table["diff"].notna().any():
        fig = plots.figure_effects(
            table, title=f"Differences from {comparison.baseline} (paired by replication, "
                         f"95% bootstrap intervals; {comparison.replications} replications)")
        _fewer_ticks(fig)
        written["effects"] = plots.save_figure(fig, folder / "effects")
    series = comparison.series
    if series is None:
        return written
    chunks = _chunks(comparison.names, comparison.baseline)
    for column, ylabel, rolling in BAND_FIGURES:
        if column not in series.columns:
            continue
        for i, group in enumerate(chunks, start=1):
            frames = {n: series[series["scenario"] == n] for n in group}
            suffix = f" ({i} of {len(chunks)})" if len(chunks) > 1 else ""
            fig = plots.figure_series_bands(
                frames, column, ylabel, rolling=rolling,
                title=f"{BAND_TITLES[column]}{suffix}")
            stem = f"{column}_{i}" if len(chunks) > 1 else column
            written[stem] = plots.save_figure(fig, folder / stem)
    return written


# -- the report -------------------------------------------------------------------------------

def _label(metric: str) -> str:
    from ..plots import METRIC_LABELS

    return METRIC_LABELS.get(metric, metric)


def _scale(table: pd.DataFrame, metric: str) -> float:
    values = table.loc[table["metric"] == metric, "mean"].abs()
    return float(values.max()) if values.notna().any() else 1.0


def _diff_cell(row: Any, scale: float) -> str:
    if not np.isfinite(row["diff"]):
        return "–"
    flag = " *" if bool(row["significant"]) else ""
    return (f"{fmt_number(row['diff'], scale, signed=True)} "
            f"{fmt_ci(row['diff_low'], row['diff_high'], scale)}{flag}")


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _effect(value: Any) -> str:
    """An effect size: two decimals, signed."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "–"
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return "+∞" if x > 0 else "-∞"
    return f"{x:+.2f}"


def build_report(comparison: Comparison, figure_files: dict[str, list[Path]],
                 found: dict[str, str]) -> Report:
    c = comparison
    table = c.table
    others = [n for n in c.names if n != c.baseline]
    years = c.steps / 12
    report = Report(f"Scenario comparison: {', '.join(c.names)}")
    design = ("common random numbers: replication k of every scenario ran with the same seed, "
              "and differences are paired by replication" if c.common_random_numbers else
              "independent seeds (no common random numbers): differences are unpaired")
    report.paragraph(
        f"{len(c.names)} scenarios, **{c.replications} replications** each, "
        f"**{c.steps} months** ({years:g} years) per run; baseline **{c.baseline}**; {design}. "
        "Intervals are 95% bootstrap intervals (BCa, scipy). "
        "A * marks a difference whose interval excludes zero.")
    for note in c.notes:
        report.note(note)

    report.heading("How to read this")
    report.bullets([
        "**Mean [interval]**: the average of the outcome over the replications, and the range "
        "that a 95% bootstrap interval gives for it. It describes the model's runs, not the world.",
        f"**Difference**: scenario minus {c.baseline}, averaged over the replications"
        + (", each replication's runs sharing their seed (paired)" if c.common_random_numbers
           else "") + "; positive means the scenario is higher.",
        "**\\***: the interval of the difference excludes zero, so the model's stochastic noise "
        "alone is unlikely to produce it at this number of replications.",
        "**d_z** (paired effect size): the mean difference over the standard deviation of the "
        "per-replication differences; it says how *reliably* a scenario beats the baseline "
        "replication by replication. It grows with common random numbers and is not comparable "
        "with effect sizes from field studies.",
        "**d** (Cohen's d): the difference over the pooled run-to-run standard deviation of the "
        "two scenarios; it says how *large* the shift is relative to the spread between runs. "
        "As a rough guide 0.2 is small, 0.5 medium, 0.8 large.",
        "Shares and scores run from 0 to 1; counts are per run; field experience is in "
        "processes' worth of experience held by active organisations at the end.",
    ])

    report.heading("Key results")
    rows = []
    for name in others:
        row = {"Scenario": name}
        for m in MAIN_METRICS:
            match = table[(table["scenario"] == name) & (table["metric"] == m)]
            row[_label(m)] = _diff_cell(match.iloc[0], _scale(table, m)) if len(match) else "–"
        rows.append(row)
    report.table(pd.DataFrame(rows),
                 f"Difference from {c.baseline} [95% interval]; * = interval excludes zero")
    rows = []
    for name in [c.baseline, *others]:
        row = {"Scenario": name + (" (baseline)" if name == c.baseline else "")}
        for m in MAIN_METRICS:
            match = table[(table["scenario"] == name) & (table["metric"] == m)]
            if len(match):
                r = match.iloc[0]
                scale = _scale(table, m)
                row[_label(m)] = f"{fmt_number(r['mean'], scale)} {fmt_ci(r['ci_low'], r['ci_high'], scale)}"
            else:
                row[_label(m)] = "–"
        rows.append(row)
    report.table(pd.DataFrame(rows), "Mean [95% interval] over the replications")
    rows = []
    for name in others:
        row = {"Scenario": name}
        for m in MAIN_METRICS:
            match = table[(table["scenario"] == name) & (table["metric"] == m)]
            if len(match):
                r = match.iloc[0]
                row[_label(m)] = f"{_effect(r['effect_size'])} / {_effect(r['cohens_d'])}"
        rows.append(row)
    report.table(pd.DataFrame(rows), "Standardised effect sizes: d_z (paired) / d (Cohen's d)")
    folder = c.out / "figures" if c.out is not None else Path("figures")
    if "effects" in figure_files:
        report.figure(folder / "effects.png",
                      f"Differences from {c.baseline} in the main outcomes, with 95% intervals "
                      "(filled: the interval excludes zero).")
    for column, _, _ in BAND_FIGURES:
        stems = sorted(k for k in figure_files if k == column or re.fullmatch(
            rf"{re.escape(column)}_\d+", k))
        for stem in stems:
            report.figure(folder / f"{stem}.png",
                          f"{BAND_TITLES[column]}: median over replications (line) and the "
                          "10th-90th percentile of runs (band), by scenario.")

    flagged = table[table["significant"].fillna(False).astype(bool)]
    with report.details(f"Every difference whose interval excludes zero ({len(flagged)} of "
                        f"{int(table['diff'].notna().sum())})") as section:
        if flagged.empty:
            section.paragraph("None: no difference in any summary key has an interval that "
                              "excludes zero at this number of replications.")
        else:
            shown = flagged.assign(
                metric_text=[f"{m} ({SUMMARY_KEYS[m]})" for m in flagged["metric"]],
                diff_text=[fmt_number(r["diff"], _scale(table, r["metric"]), signed=True)
                           for _, r in flagged.iterrows()],
                ci_text=[fmt_ci(r["diff_low"], r["diff_high"], _scale(table, r["metric"]))
                         for _, r in flagged.iterrows()],
            )
            section.table(frame_for_report(shown, {
                "scenario": "Scenario", "metric_text": "Outcome", "diff_text": "Difference",
                "ci_text": "95% interval", "effect_size": "d_z", "cohens_d": "d"},
                {"effect_size": _effect, "cohens_d": _effect}))

    report.heading("Scenarios")
    ordered = sorted(c.scenarios, key=lambda s: s.name != c.baseline)
    report.table(pd.DataFrame({
        "Scenario": [s.name + (" (baseline)" if s.name == c.baseline else "")
                     for s in ordered],
        "Description": [s.description for s in ordered],
        "File": [Path(s.source).name for s in ordered],
    }))
    report.heading("How the scenarios differ", 3)
    diffs = c.differences.set_index("parameter")
    items = []
    for name in others:
        changed = [f"`{k}` = {_value_text(diffs.at[k, name])} (baseline "
                   f"{_value_text(diffs.at[k, c.baseline])})"
                   for k in diffs.index if repr(diffs.at[k, name]) != repr(diffs.at[k, c.baseline])]
        items.append(f"**{name}**: " + ("; ".join(changed) if changed else
                                        "no parameter differs from the baseline"))
    report.bullets(items)
    report.paragraph("Every other parameter takes the same value in every scenario "
                     "(differences.csv lists each differing parameter with its unit and "
                     "meaning).")

    report.heading("What you may and may not conclude")
    report.bullets([
        "**This is model-based evidence.** The numbers say what happens in dmpsim under its "
        "assumptions (docs/ODD.md); they are not measurements of real markets. The model is "
        "calibrated to reproduce qualitative patterns from practitioner interviews (pressure is "
        "common, walking away is rare, independents push back, practitioners learn), not fitted "
        "to data on contracts or integrity scores, so read the *direction* and *relative size* "
        "of differences, not their exact values.",
        "**You may conclude** that, within the model, a scenario changes an outcome in the "
        "direction shown when the interval excludes zero, and compare levers by the size of "
        "their effects on the same outcome. Because every scenario met the same random draws "
        "(common random numbers), the difference is due to the rules, not to luck.",
        "**Statistical is not substantive significance.** With enough replications any "
        "difference, however small, gets an interval that excludes zero. Ask whether a change "
        "of that size (e.g. 0.01 in a 0-1 integrity score) would matter to anyone; Cohen's d "
        "helps to judge size against run-to-run variation.",
        "**Many comparisons.** This report flags differences for every summary key and every "
        "scenario; at 95% about one in twenty intervals misses the true model value by chance, "
        "so isolated flags on minor outcomes deserve little weight.",
        "**You may not conclude** that a real policy will have this effect, by this much, in a "
        "given country: the parameters are plausible values, not estimates for a jurisdiction. "
        "Check that a finding holds across plausible parameter values (`dmpsim sensitivity`, "
        "`dmpsim discover`) before relying on it.",
        "An interval that includes zero does not show that a lever has no effect; it may be "
        "small or need more replications.",
    ])

    report.heading("Reproducing this comparison")
    report.paragraph("Run this command (with the same dmpsim version) to get the same runs and "
                     "the same tables:")
    report.code(c.command)
    seeds = _seeds(c)
    report.bullets([
        f"Replications: {c.replications} per scenario; steps: {c.steps} months "
        "(all scenarios; scenario files' own `run.steps` are not used).",
        f"Experiment seed: {c.seed}. Each run's seed is "
        "`numpy.random.SeedSequence(seed, spawn_key=(replication,))`'s first 64-bit word "
        "shifted right by one" + (" (the same for every scenario)." if c.common_random_numbers
                                  else ", with spawn key (point, replication)."),
        f"Versions: {versions_line(found)}.",
        "Files: comparison.csv/.parquet (every summary key), differences.csv, runs.csv, "
        "series.parquet, comparison.json, figures/, sweep/ (the sweep's manifest and tables).",
    ])
    report.table(seeds.astype(str) if not c.common_random_numbers else pd.DataFrame({
        "Replication": seeds["replication"].astype(str), "Seed": seeds["seed"].astype(str)}),
        "Seed of each replication")

    with report.details("Appendix: every summary key, every scenario", level=2) as section:
        full = table.assign(
            mean_text=[fmt_number(r["mean"], _scale(table, r["metric"])) for _, r in table.iterrows()],
            ci_text=[fmt_ci(r["ci_low"], r["ci_high"], _scale(table, r["metric"]))
                     for _, r in table.iterrows()],
            diff_text=[_diff_cell(r, _scale(table, r["metric"])) for _, r in table.iterrows()],
        )
        section.table(frame_for_report(full, {
            "metric": "Outcome", "scenario": "Scenario", "n": "Runs", "mean_text": "Mean",
            "ci_text": "95% interval", "diff_text": "Difference [95% interval]",
            "effect_size": "d_z", "cohens_d": "d"}, {"effect_size": _effect, "cohens_d": _effect}))
        section.bullets([f"`{k}`: {v}" for k, v in SUMMARY_KEYS.items()])
    return report
