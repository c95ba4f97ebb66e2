"""Mechanism knock-outs: which mechanism produces this pattern?

`ablate("baseline", replications=20)` runs a scenario as given (the *full model*) and, for each
mechanism of ``dmpsim.model.params.MECHANISMS``, the same scenario with that mechanism switched
off (``mechanisms.<name> = false``, an arm named ``no_<name>``), all as one comparison
(`dmpsim.analysis.compare.compare`) with common random numbers: replication k of every arm runs
with the same seed, so each knock-out's effect is estimated from per-replication differences.

- *Effects.* For every summary key (`dmpsim.experiments.tables.SUMMARY_KEYS`, which ends with the pattern
  figures PT1-PT10 of `dmpsim.experiments.patterns`): the knock-out's mean, the full model's mean, the paired
  difference knock-out minus full model with its 95% bootstrap interval, whether the interval
  excludes zero, the paired effect size d_z and Cohen's d.
- *Skipped.* A mechanism the scenario already switches off has nothing to knock out; it is left
  out with a note.
- *Outputs* (in ``out``, default ``results/ablate/<scenario>``): ``report.md`` and a
  self-contained ``report.html`` that lead with the mechanisms x outputs table of effects on the
  main outputs (`ABLATION_METRICS`) and on PT1-PT10; ``ablation.csv``/``.parquet`` (the effects
  in long form: one row per mechanism and summary key); ``ablation.json`` (settings, seeds,
  versions, the command); ``figures/ablation.png``/``.svg`` (the effects as a heat map);
  beside them the comparison's own files (``comparison.csv``/``.parquet``, ``differences.csv``,
  ``runs.csv``, ``series.parquet``, ``comparison.json``) and ``sweep/``, which ``resume=True``
  finishes or reuses.

*Across a calibrated ensemble* (``ensemble=DIR``, ``--ensemble DIR``, as for `compare`):
replication k of every arm takes ensemble member k's parameters and seed k, so each knock-out's
effect is paired over the calibrated parameters too; the report then says, per knock-out and
main output, in what share of the members the knock-out raises and lowers the output, with a
figure of the effects' distribution over the members (``figures/ensemble_differences``), and
the comparison's ``ensemble.csv`` has the shares, regrets and rankings of every summary key.

The figures are drawn by `dmpsim.viz.ablation`, the report built by
`dmpsim.analysis.report.ablation`; `Ablation` itself is defined in `dmpsim.analysis.results`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError
from ..experiments.scenario import Scenario, load_scenario
from ..experiments.tables import SUMMARY_KEYS
from ..io.atomic import atomic_write_csv, atomic_write_parquet, atomic_write_text
from ..io.provenance import jsonable
from ..model.params import MECHANISMS, did_you_mean
from . import stats
from .compare import Comparison, compare, write_outputs
from .report import analysis_versions, shell_command
from .results import ABLATION_METRICS, HEADLINE, PATTERNS, Ablation

__all__ = ["ABLATION_METRICS", "COLUMNS", "HEADLINE", "PATTERNS", "Ablation", "ablate",
           "default_out", "parse_mechanisms"]

#: ablation.csv's columns.
COLUMNS = ("mechanism", "number", "output", "knockout_mean", "full_mean", "difference", "low",
           "high", "excludes_zero", "n_pairs", "d_z", "cohens_d")


# -- mechanisms and arms ----------------------------------------------------------------------

def parse_mechanisms(mechanisms: str | Sequence[str] | None) -> list[str]:
    """Mechanism names from a list or a comma-separated text (None: all, in ODD order);
    unknown names are an InputError with a did-you-mean."""
    if mechanisms is None:
        return list(MECHANISMS)
    if isinstance(mechanisms, str):
        items = [m.strip() for m in mechanisms.split(",")]
    else:
        try:
            items = [str(m).strip() for m in mechanisms]
        except TypeError:
            raise InputError(f"expected mechanism names, got {mechanisms!r}",
                             key="--mechanisms") from None
    items = [m for m in items if m]
    if not items:
        raise InputError("expected at least one mechanism name (e.g. safety_net,learning)",
                         key="--mechanisms")
    names = list(MECHANISMS)
    for item in items:
        name = item.removeprefix("mechanisms.")
        if name not in MECHANISMS:
            raise InputError(f"unknown mechanism {item!r}{did_you_mean(name, names)}; "
                             f"mechanisms: {', '.join(names)}", key="--mechanisms")
    return list(dict.fromkeys(m.removeprefix("mechanisms.") for m in items))


def _arms(scenario: Scenario, mechanisms: list[str]) -> tuple[list[Scenario], list[str],
                                                              list[str]]:
    """The full model first, then one knock-out per mechanism still on; and those skipped."""
    values = scenario.effective()
    on = [m for m in mechanisms if values[f"mechanisms.{m}"]]
    skipped = [m for m in mechanisms if m not in on]
    knocked = {f"no_{m}" for m in on}
    full = scenario.name if scenario.name not in knocked else f"{scenario.name}_full"
    arms = [Scenario(full, scenario.description, dict(scenario.values), scenario.source,
                     dict(scenario.overrides))]
    for m in on:
        number, what = MECHANISMS[m]
        arms.append(Scenario(f"no_{m}", f"{scenario.description}; knocked out: {number} {m} "
                                        f"({what})", dict(scenario.values), scenario.source,
                             {**scenario.overrides, f"mechanisms.{m}": False}))
    return arms, on, skipped


def _toml_text(value: Any) -> str:
    """A value as `--set` reads it back (TOML: true/false, numbers, text)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def default_out(name: str) -> Path:
    return Path("results") / "ablate" / re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _long_table(comparison: Comparison, full: str, mechanisms: list[str]) -> pd.DataFrame:
    table = comparison.table
    base = table[table["scenario"] == full].set_index("metric")
    rows = []
    for m in mechanisms:
        mine = table[table["scenario"] == f"no_{m}"].set_index("metric")
        for key in SUMMARY_KEYS:
            r = mine.loc[key]
            rows.append({
                "mechanism": m, "number": MECHANISMS[m][0], "output": key,
                "knockout_mean": r["mean"], "full_mean": base.at[key, "mean"],
                "difference": r["diff"], "low": r["diff_low"], "high": r["diff_high"],
                "excludes_zero": r["significant"], "n_pairs": r["n_pairs"],
                "d_z": r["effect_size"], "cohens_d": r["cohens_d"]})
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    for col in ("knockout_mean", "full_mean", "difference", "low", "high", "d_z", "cohens_d"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    out["excludes_zero"] = out["excludes_zero"].astype("boolean")
    out["n_pairs"] = out["n_pairs"].astype("Int64")
    return out


# -- the ablation -----------------------------------------------------------------------------

def ablate(scenario: str | Path | Scenario = "baseline", *,
           mechanisms: str | Sequence[str] | None = None, replications: int = 20,
           seed: int = 0, steps: int | None = None, backend: str | None = None,
           workers: int | None = None, scheduler: Any = None, out: str | Path | None = None,
           resume: bool = False, progress: bool | None = None,
           n_resamples: int = stats.DEFAULT_RESAMPLES, write: bool = True,
           figures: bool = True, command: str | None = None,
           ensemble: str | Path | None = None) -> Ablation:
    """Run `scenario` with each mechanism knocked out in turn, with common random numbers.

    Args:
        scenario: a bundled name, a scenario file or a Scenario (its overrides are kept).
        mechanisms: names from ``MECHANISMS`` (a list or ``"safety_net,learning"``; default:
            all). Those the scenario already switches off are skipped with a note.
        replications: runs per arm (replication k of every arm shares a seed); at least 2.
        seed: the experiment seed every run's seed derives from.
        steps: months per run (default: the scenario's ``run.steps``).
        backend, workers, scheduler: as for `dmpsim.sweep`.
        out: output folder (default ``results/ablate/<scenario>``); the sweep goes to
            ``out/sweep``.
        resume: finish (or reuse) the sweep already in ``out/sweep``.
        progress: progress bar (default: when stderr is a terminal).
        n_resamples: bootstrap resamples per interval.
        write: write the tables, figure and report into `out`.
        figures: draw the figure (with `write`).
        command: the command line to print in the report (default: the equivalent
            ``dmpsim ablate`` call).
        ensemble: a calibration's output folder: replication k of every arm takes its member
            k and seed k (see `dmpsim.analysis.compare.compare`).

    Returns:
        An `Ablation`; its `table` has one row per (mechanism, summary key): knock-out minus
        full model, paired by replication, with a 95% bootstrap interval.
    """
    chosen = parse_mechanisms(mechanisms)
    loaded = load_scenario(scenario)
    arms, on, skipped = _arms(loaded, chosen)
    notes = [f"`mechanisms.{m}` ({MECHANISMS[m][0]}) is already off in {loaded.name}; "
             "there is nothing to knock out, so it is left out." for m in skipped]
    if not on:
        listed = ", ".join(skipped)
        raise InputError(f"every mechanism chosen ({listed}) is already off in "
                         f"{loaded.name}; there is nothing to knock out", key="--mechanisms")
    out_dir = Path(out) if out is not None else default_out(loaded.name)
    if command is None:
        parts: list[Any] = ["dmpsim", "ablate", str(loaded.source if isinstance(scenario, Scenario)
                                                    else scenario)]
        if mechanisms is not None:
            parts += ["--mechanisms", ",".join(chosen)]
        for key, value in loaded.overrides.items():
            parts += ["--set", f"{key}={_toml_text(value)}"]
        parts += ["--replications", replications, "--seed", seed]
        if steps is not None:
            parts += ["--steps", steps]
        parts += ["--out", out_dir]
        if ensemble is not None:
            parts += ["--ensemble", ensemble]
        command = shell_command(parts)
    comparison = compare(arms, replications=replications, baseline=arms[0].name, seed=seed,
                         steps=steps, backend=backend, workers=workers, scheduler=scheduler,
                         out=out_dir, resume=resume, progress=progress,
                         n_resamples=n_resamples, write=False, command=command,
                         ensemble=ensemble)
    result = Ablation(scenario=loaded, full=arms[0].name, mechanisms=on, skipped=skipped,
                      table=_long_table(comparison, arms[0].name, on), comparison=comparison,
                      out=out_dir, notes=notes + comparison.notes, command=command)
    if write:
        result.files = write_ablation(result, figures=figures)
    return result


# -- outputs ----------------------------------------------------------------------------------

def write_ablation(result: Ablation, figures: bool = True) -> list[Path]:
    """Write the comparison's tables, ablation.csv/.parquet/.json, the figure and the report."""
    # Figure and report import matplotlib: only when files are written.
    from ..viz.ablation import draw_ensemble_figure, draw_figure
    from .report.ablation import build_report

    out = result.out
    assert out is not None
    files = write_outputs(result.comparison, figures=False, report=False)
    files += [atomic_write_csv(result.table, out / "ablation.csv"),
              atomic_write_parquet(result.table, out / "ablation.parquet")]
    figure_files: list[Path] = []
    ensemble_files: list[Path] = []
    if figures:
        figure_files = draw_figure(result, out / "figures" / "ablation")
        files += figure_files
        if result.comparison.ensemble is not None:
            ensemble_files = draw_ensemble_figure(result,
                                                  out / "figures" / "ensemble_differences")
            files += ensemble_files
    found = analysis_versions()
    meta = {
        "format": "dmpsim-ablate/1",
        "scenario": {"name": result.scenario.name, "description": result.scenario.description,
                     "source": result.scenario.source,
                     "overrides": result.scenario.overrides},
        "full_model": result.full,
        "mechanisms": [{"name": m, "number": MECHANISMS[m][0], "meaning": MECHANISMS[m][1],
                        "arm": result.arm(m)} for m in result.mechanisms],
        "skipped": result.skipped,
        "replications": result.replications,
        "steps": result.steps,
        "seed": result.seed,
        "common_random_numbers": True,
        "seeds": result.comparison.seeds().to_dict(orient="list"),
        "versions": found,
        "command": result.command,
        "notes": result.notes,
        "sweep": "sweep/",
    }
    if result.comparison.ensemble_source is not None:
        meta["ensemble"] = {**result.comparison.ensemble_source,
                            "overridden": result.comparison.overridden(),
                            "table": "ensemble.csv"}
    files.append(atomic_write_text(json.dumps(jsonable(meta), indent=2) + "\n",
                                   out / "ablation.json"))
    files += build_report(result, bool(figure_files), found,
                          ensemble_figure=bool(ensemble_files)).write(out)
    return files
