"""Mechanism knock-outs: which mechanism produces this pattern?

`ablate("baseline", replications=20)` runs a scenario as given (the *full model*) and, for each
mechanism of ``dmpsim.model.params.MECHANISMS``, the same scenario with that mechanism switched
off (``mechanisms.<name> = false``, an arm named ``no_<name>``), all as one comparison
(`dmpsim.analysis.compare.compare`) with common random numbers: replication k of every arm runs
with the same seed, so each knock-out's effect is estimated from per-replication differences.

- *Effects.* For every summary key (`dmpsim.metrics.SUMMARY_KEYS`, which ends with the pattern
  figures PT1-PT10 of `dmpsim.patterns`): the knock-out's mean, the full model's mean, the paired
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
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..metrics import SUMMARY_KEYS
from ..model.params import MECHANISMS, did_you_mean
from ..outputs import atomic_write_csv, atomic_write_parquet, atomic_write_text, jsonable
from ..patterns import PATTERN_FIGURES
from ..scenario import Scenario, load_scenario
from . import stats
from .compare import Comparison, _effect, _label, compare, write_outputs
from .report import (
    Report,
    analysis_versions,
    fmt_ci,
    fmt_number,
    frame_for_report,
    shell_command,
    versions_line,
)

__all__ = ["ABLATION_METRICS", "COLUMNS", "HEADLINE", "PATTERNS", "Ablation", "ablate",
           "default_out", "parse_mechanisms"]

#: The main outputs of the leading table (the outcomes of the lever and mechanism table).
ABLATION_METRICS = ("integrity_mean", "comply_rate", "pressure_rate", "independent_share",
                    "field_experience", "public_confidence", "contracts_completed")
#: The pattern figures, PT1-PT10.
PATTERNS = tuple(PATTERN_FIGURES)
#: Every output of the leading tables and the figure.
HEADLINE = (*ABLATION_METRICS, *PATTERNS)
#: ablation.csv's columns.
COLUMNS = ("mechanism", "number", "output", "knockout_mean", "full_mean", "difference", "low",
           "high", "excludes_zero", "n_pairs", "d_z", "cohens_d")


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
           figures: bool = True, command: str | None = None) -> Ablation:
    """Run `scenario` with each mechanism knocked out in turn, with common random numbers.

    Args:
        scenario: a bundled name, a scenario file or a Scenario (its overrides are kept).
        mechanisms: names from ``MECHANISMS`` (a list or ``"safety_net,learning"``; default:
            all). Those the scenario already switches off are skipped with a note.
        replications: runs per arm (replication k of every arm shares a seed); at least 2.
        seed: the experiment seed every run's seed derives from.
        steps: months per run (default: the scenario's ``run.steps``).
        backend, workers, scheduler: as for `dmpsim.sweep.sweep`.
        out: output folder (default ``results/ablate/<scenario>``); the sweep goes to
            ``out/sweep``.
        resume: finish (or reuse) the sweep already in ``out/sweep``.
        progress: progress bar (default: when stderr is a terminal).
        n_resamples: bootstrap resamples per interval.
        write: write the tables, figure and report into `out`.
        figures: draw the figure (with `write`).
        command: the command line to print in the report (default: the equivalent
            ``dmpsim ablate`` call).

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
        command = shell_command(parts)
    comparison = compare(arms, replications=replications, baseline=arms[0].name, seed=seed,
                         steps=steps, backend=backend, workers=workers, scheduler=scheduler,
                         out=out_dir, resume=resume, progress=progress,
                         n_resamples=n_resamples, write=False, command=command)
    result = Ablation(scenario=loaded, full=arms[0].name, mechanisms=on, skipped=skipped,
                      table=_long_table(comparison, arms[0].name, on), comparison=comparison,
                      out=out_dir, notes=notes + comparison.notes, command=command)
    if write:
        result.files = write_ablation(result, figures=figures)
    return result


# -- outputs ----------------------------------------------------------------------------------

def _seeds(comparison: Comparison) -> pd.DataFrame:
    runs = comparison.runs
    return (runs[["replication", "seed"]].drop_duplicates("replication")
            .sort_values("replication").reset_index(drop=True))


def write_ablation(result: Ablation, figures: bool = True) -> list[Path]:
    """Write the comparison's tables, ablation.csv/.parquet/.json, the figure and the report."""
    out = result.out
    assert out is not None
    files = write_outputs(result.comparison, figures=False, report=False)
    files += [atomic_write_csv(result.table, out / "ablation.csv"),
              atomic_write_parquet(result.table, out / "ablation.parquet")]
    figure_files: list[Path] = []
    if figures:
        figure_files = draw_figure(result, out / "figures" / "ablation")
        files += figure_files
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
        "seeds": _seeds(result.comparison).to_dict(orient="list"),
        "versions": found,
        "command": result.command,
        "notes": result.notes,
        "sweep": "sweep/",
    }
    files.append(atomic_write_text(json.dumps(jsonable(meta), indent=2) + "\n",
                                   out / "ablation.json"))
    files += build_report(result, bool(figure_files), found).write(out)
    return files


def draw_figure(result: Ablation, stem: Path) -> list[Path]:
    """Heat map of the effects: mechanisms x headline outputs, coloured by Cohen's d
    (knock-out minus full model over the pooled run-to-run sd), * where the interval excludes
    zero. PNG and SVG."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import TwoSlopeNorm

    from .. import plots

    d = result.effects(HEADLINE, "cohens_d").astype(float)
    flags = result.effects(HEADLINE, "excludes_zero")
    shown = d.clip(-2, 2).to_numpy()
    n_rows, n_cols = shown.shape
    fig, ax = plt.subplots(figsize=(0.5 * n_cols + 4.0, 0.3 * n_rows + 3.6),
                           layout="constrained")
    image = ax.imshow(np.ma.masked_invalid(shown), cmap="RdBu_r",
                      norm=TwoSlopeNorm(vmin=-2, vcenter=0, vmax=2), aspect="auto")
    ax.set_facecolor("0.85")
    for i in range(n_rows):
        for j in range(n_cols):
            flag = flags.iat[i, j]
            if flag is not pd.NA and flag is not None and bool(flag):
                dark = abs(shown[i, j]) > 1.2
                ax.text(j, i, "*", ha="center", va="center", fontsize=11,
                        color="white" if dark else "black")
    labels = [f"{MECHANISMS[m][0]} {m}" for m in d.index]
    ax.set_yticks(range(n_rows), labels)
    ax.set_xticks(range(n_cols), [c if c in PATTERNS else _label(c).split(" (")[0]
                                  for c in d.columns], rotation=55, ha="right")
    ax.set_xlabel("Output (summary key; PT1-PT10: the pattern figures)")
    ax.set_ylabel("Mechanism knocked out")
    ax.axvline(len(ABLATION_METRICS) - 0.5, color="black", linewidth=1)
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02, extend="both")
    bar.set_label("Cohen's d of the effect\n(knock-out minus full model)")
    ax.set_title(f"Mechanism knock-outs in {result.scenario.name} ({result.replications} "
                 f"replications, {result.steps} months)\n* = the 95% interval of the paired "
                 "difference excludes zero; grey: no estimate", fontsize=10)
    return plots.save_figure(fig, stem)


# -- the report -------------------------------------------------------------------------------

def _scales(result: Ablation) -> dict[str, float]:
    """Per output, the magnitude that sets its digits (the largest mean of any arm)."""
    table = result.comparison.table
    values = table.groupby("metric")["mean"].apply(lambda s: s.abs().max())
    return {k: float(v) if np.isfinite(v) else 1.0 for k, v in values.items()}


def _cell(row: Any, scale: float) -> str:
    diff = row["difference"]
    if diff is None or not np.isfinite(diff):
        return "–"
    flag = row["excludes_zero"]
    mark = " *" if flag is not pd.NA and bool(flag) else ""
    return f"{fmt_number(diff, scale, signed=True)} {fmt_ci(row['low'], row['high'], scale)}{mark}"


def _mechanism_label(m: str) -> str:
    number, what = MECHANISMS[m]
    return f"**{number}** `{m}`: {what}"


def _effects_table(result: Ablation, outputs: Sequence[str], scales: dict[str, float],
                   heading: dict[str, str]) -> pd.DataFrame:
    table = result.table.set_index(["mechanism", "output"])
    base = result.comparison.table
    base = base[base["scenario"] == result.full].set_index("metric")
    rows = []
    first = {"Mechanism knocked out": f"Full model ({result.full}): mean [95% interval]"}
    for o in outputs:
        r = base.loc[o]
        first[heading[o]] = (f"{fmt_number(r['mean'], scales.get(o))} "
                             f"{fmt_ci(r['ci_low'], r['ci_high'], scales.get(o))}"
                             if np.isfinite(r["mean"]) else "–")
    rows.append(first)
    for m in result.mechanisms:
        row = {"Mechanism knocked out": _mechanism_label(m)}
        for o in outputs:
            row[heading[o]] = _cell(table.loc[(m, o)], scales.get(o, 1.0))
        rows.append(row)
    return pd.DataFrame(rows)


def build_report(result: Ablation, with_figure: bool, found: dict[str, str]) -> Report:
    r = result
    c = r.comparison
    scales = _scales(r)
    years = r.steps / 12
    report = Report(f"Mechanism knock-outs: {r.scenario.name}")
    report.paragraph(
        f"**{len(r.mechanisms)} mechanism(s)** knocked out one at a time from **{r.scenario.name}** "
        f"(the full model, arm `{r.full}`), **{r.replications} replications** per arm, "
        f"**{r.steps} months** ({years:g} years) per run, with common random numbers: "
        "replication k of every arm ran with the same seed, and each effect is the paired "
        "difference **knock-out minus full model**, averaged over the replications. Intervals "
        "are 95% bootstrap intervals (BCa, scipy); a * marks an effect whose interval excludes "
        "zero.")
    for note in r.notes:
        report.note(note)

    report.heading("Effects of each knock-out")
    main_heading = {o: _label(o) for o in ABLATION_METRICS}
    report.table(_effects_table(r, ABLATION_METRICS, scales, main_heading),
                 "Main outputs: knock-out minus full model [95% interval]; * = interval "
                 "excludes zero")
    pattern_heading = {p: p for p in PATTERNS}
    report.table(_effects_table(r, PATTERNS, scales, pattern_heading),
                 "Patterns PT1-PT10: knock-out minus full model [95% interval]; * = interval "
                 "excludes zero")
    report.bullets([f"**{p}**: {PATTERN_FIGURES[p]}" for p in PATTERNS])
    if with_figure:
        folder = r.out / "figures" if r.out is not None else Path("figures")
        report.figure(folder / "ablation.png",
                      "Effects of the knock-outs on the main outputs and the patterns as "
                      "Cohen's d (the difference over the pooled run-to-run standard "
                      "deviation; red: the knock-out raises the output, blue: lowers it); "
                      "* = the interval excludes zero.")

    report.heading("Which mechanisms produce each pattern")
    report.paragraph("For each output, the mechanisms whose knock-out changes it (interval "
                     "excludes zero), the largest effect (by Cohen's d) first. A mechanism "
                     "*produces* a pattern, in the model, when switching it off removes or "
                     "weakens the pattern.")
    items = []
    for o in HEADLINE:
        found_rows = r.producers(o)
        name = f"**{o}**" + (f" ({PATTERN_FIGURES[o]})" if o in PATTERN_FIGURES else
                             f" ({SUMMARY_KEYS[o]})")
        if found_rows.empty:
            items.append(f"{name}: no knock-out changes it detectably.")
            continue
        parts = [f"`{row.mechanism}` ({row.number}) "
                 f"{fmt_number(row.difference, scales.get(o), signed=True)}"
                 f" (d {_effect(row.cohens_d)})" for row in found_rows.itertuples(index=False)]
        items.append(f"{name}: " + "; ".join(parts))
    report.bullets(items)

    report.heading("How to read this")
    report.bullets([
        "**Knock-out**: the run with one mechanism switched off (`mechanisms.<name> = false` "
        "in the scenario's `[mechanisms]` table; docs/ODD.md lists what each switch removes). "
        "Every other parameter keeps the scenario's value.",
        "**Effect**: knock-out minus full model, averaged over the replications, each "
        "replication's runs sharing their seed (paired). A positive effect means the output is "
        "*higher* without the mechanism, so the mechanism itself lowers it.",
        "**\\***: the interval of the effect excludes zero, so the model's stochastic noise "
        "alone is unlikely to produce it at this number of replications.",
        "**d_z** (paired effect size): the mean difference over the standard deviation of the "
        "per-replication differences (how reliably); **d** (Cohen's d): the difference over the "
        "pooled run-to-run standard deviation (how large; 0.2 small, 0.5 medium, 0.8 large).",
        "Shares and scores run from 0 to 1; counts are per run; field experience is in "
        "processes' worth of experience held by active organisations at the end; PT1-PT10 are "
        "the pattern figures of `dmpsim.patterns` (a missing value: the run had nothing to "
        "measure, e.g. no withdrawal for PT7).",
    ])

    report.heading("What you may and may not conclude")
    report.bullets([
        "**A knock-out measures a mechanism's contribution with every other mechanism on.** "
        "Mechanisms interact: two that each produce a pattern may each look weak when the "
        "other can stand in, and the effects of two knock-outs need not add up. Knock out a "
        "pair together (a scenario with both switches off, or `dmpsim compare`) to see that.",
        "**This is model-based evidence**: which path in dmpsim produces a pattern under its "
        "assumptions (docs/ODD.md), not which mechanism does so in real markets.",
        "**Many comparisons.** This report estimates an effect for every mechanism on every "
        "summary key; at 95% about one interval in twenty misses by chance, so an isolated * "
        "on a minor output deserves little weight. Statistical is not substantive "
        "significance: judge sizes with d.",
        "An interval that includes zero does not show that a mechanism does nothing; it may be "
        "small, act on an output not measured here, or need more replications.",
    ])

    report.heading("The arms")
    arms = [{"Arm": r.full, "Sets": "the scenario as given (every mechanism it has on)",
             "Mechanism": "–"}]
    for m in r.mechanisms:
        arms.append({"Arm": r.arm(m), "Sets": f"`mechanisms.{m}` = false",
                     "Mechanism": _mechanism_label(m)})
    report.table(pd.DataFrame(arms))
    report.paragraph(f"Scenario **{r.scenario.name}**: {r.scenario.description} (file "
                     f"`{Path(r.scenario.source).name}`"
                     + (", with " + ", ".join(f"`{k}` = {v}" for k, v in
                                              r.scenario.overrides.items())
                        if r.scenario.overrides else "") + ").")
    if r.skipped:
        report.paragraph("Left out, already off in the scenario: "
                         + ", ".join(f"`{m}` ({MECHANISMS[m][0]})" for m in r.skipped) + ".")

    report.heading("Reproducing this ablation")
    report.paragraph("Run this command (with the same dmpsim version) to get the same runs and "
                     "the same tables:")
    report.code(r.command)
    seeds = _seeds(c)
    report.bullets([
        f"Replications: {r.replications} per arm; steps: {r.steps} months (every arm).",
        f"Experiment seed: {r.seed}. Each run's seed is "
        "`numpy.random.SeedSequence(seed, spawn_key=(replication,))`'s first 64-bit word "
        "shifted right by one (the same for every arm).",
        f"Versions: {versions_line(found)}.",
        "Files: ablation.csv/.parquet (every mechanism x every summary key, long form), "
        "ablation.json, comparison.csv/.parquet (every arm's means and differences), "
        "differences.csv, runs.csv, series.parquet, comparison.json, figures/, sweep/.",
    ])
    report.table(pd.DataFrame({"Replication": seeds["replication"].astype(str),
                               "Seed": seeds["seed"].astype(str)}),
                 "Seed of each replication")

    with report.details("Appendix: every summary key, every knock-out", level=2) as section:
        rows = r.table.assign(
            label=[f"{row.number} {row.mechanism}" for row in r.table.itertuples(index=False)],
            knock_text=[fmt_number(row.knockout_mean, scales.get(row.output))
                        for row in r.table.itertuples(index=False)],
            full_text=[fmt_number(row.full_mean, scales.get(row.output))
                       for row in r.table.itertuples(index=False)],
            diff_text=[_cell(row, scales.get(row["output"], 1.0)) for _, row in r.table.iterrows()],
        )
        section.table(frame_for_report(rows, {
            "label": "Mechanism", "output": "Output", "knock_text": "Knock-out mean",
            "full_text": "Full-model mean", "diff_text": "Effect [95% interval]",
            "d_z": "d_z", "cohens_d": "d"}, {"d_z": _effect, "cohens_d": _effect}))
        section.bullets([f"`{k}`: {v}" for k, v in SUMMARY_KEYS.items()])
    return report

