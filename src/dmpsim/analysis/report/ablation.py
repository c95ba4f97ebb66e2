"""The report of a mechanism ablation (`dmpsim ablate`): the knock-outs' effects on the main
outputs and the patterns, which mechanisms produce each, across a calibrated ensemble (with
``--ensemble``) how often each effect has its sign, what may be concluded and how to reproduce
it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...experiments.patterns import PATTERN_FIGURES
from ...experiments.tables import SUMMARY_KEYS
from ...model.params import MECHANISMS
from ...viz.style import metric_label
from ..results import ABLATION_METRICS, HEADLINE, PATTERNS, Ablation
from .compare import calibration_text
from .document import (
    Report,
    fmt_ci,
    fmt_effect,
    fmt_number,
    frame_for_report,
    versions_line,
)

__all__ = ["build_report"]


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


def _percent(value: Any) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:.0%}"


def _ensemble_section(report: Report, r: Ablation, figure: bool) -> None:
    """Across the ensemble: per knock-out and main output, the shares of the members in which
    the knock-out raises and lowers the output."""
    c = r.comparison
    table = c.ensemble
    assert table is not None and c.ensemble_source is not None
    report.heading("Across the ensemble")
    report.paragraph(calibration_text(c.ensemble_source, r.replications, "arm"))
    overridden = c.overridden()
    if overridden:
        report.paragraph("The arms set " + ", ".join(f"`{k}`" for k in overridden)
                         + " themselves (differently), so every run takes its arm's value, "
                         "not the ensemble member's.")
    report.paragraph(
        "Each member is run once per arm, with its own parameters and seed, so a share mixes "
        "uncertainty about the calibrated parameters with the model's run-to-run noise: "
        "\"raises the output in 90% of the members\" means that for a member drawn from the "
        "ensemble one run without the mechanism comes out higher than one run of the full "
        "model with that member's parameters and seed 90% of the time. It is not the "
        "probability that the knock-out raises the output's expected value.")
    index = table.set_index(["scenario", "output"])
    rows = []
    for m in r.mechanisms:
        row = {"Mechanism knocked out": _mechanism_label(m)}
        for o in ABLATION_METRICS:
            e = index.loc[(r.arm(m), o)]
            n, members = e["n_paired"], e["n_members"]
            cell = f"{_percent(e['share_higher'])} / {_percent(e['share_lower'])}"
            if n is not pd.NA and int(n) < int(members):
                cell += f" ({int(n)} of {int(members)})"
            row[metric_label(o)] = cell
        rows.append(row)
    report.table(pd.DataFrame(rows),
                 "Share of the ensemble's members in which the knock-out raises / lowers the "
                 "output (the rest: no change); a knock-out whose effect has the same sign in "
                 "(nearly) every member acts the same way across the calibrated parameters")
    report.paragraph("ensemble.csv has, for every arm and summary key, these shares, the mean "
                     "and median member-wise effect, and the shares, regrets and rankings by "
                     "the direction in which each output is better "
                     "(`dmpsim.analysis.results.BETTER`; for a knock-out, *better* means the "
                     "output is better without the mechanism).")
    if figure:
        folder = r.out / "figures" if r.out is not None else Path("figures")
        report.figure(folder / "ensemble_differences.png",
                      f"Each knock-out's effect (knock-out minus {r.full}) in every member of "
                      "the ensemble (points), with the quartiles (box); dashed: no effect.")


def build_report(result: Ablation, with_figure: bool, found: dict[str, str], *,
                 ensemble_figure: bool = False) -> Report:
    r = result
    c = r.comparison
    scales = _scales(r)
    years = r.steps / 12
    report = Report(f"Mechanism knock-outs: {r.scenario.name}")
    report.paragraph(
        f"**{len(r.mechanisms)} mechanism(s)** knocked out one at a time from **{r.scenario.name}** "
        f"(the full model, arm `{r.full}`), **{r.replications} replications** per arm, "
        f"**{r.steps} months** ({years:g} years) per run, with common random numbers: "
        "replication k of every arm ran with the same seed"
        + (" and the same member of a calibrated ensemble (see *Across the ensemble*)"
           if c.ensemble is not None else "") + ", and each effect is the paired "
        "difference **knock-out minus full model**, averaged over the replications. Intervals "
        "are 95% bootstrap intervals (BCa, scipy); a * marks an effect whose interval excludes "
        "zero.")
    for note in r.notes:
        report.note(note)

    report.heading("Effects of each knock-out")
    main_heading = {o: metric_label(o) for o in ABLATION_METRICS}
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
                 f" (d {fmt_effect(row.cohens_d)})" for row in found_rows.itertuples(index=False)]
        items.append(f"{name}: " + "; ".join(parts))
    report.bullets(items)

    if c.ensemble is not None:
        _ensemble_section(report, r, ensemble_figure)

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
        "the pattern figures of `dmpsim.experiments.patterns` (a missing value: the run had nothing to "
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
    seeds = c.seeds()
    report.bullets([
        f"Replications: {r.replications} per arm; steps: {r.steps} months (every arm).",
        f"Experiment seed: {r.seed}. Each run's seed is "
        "`numpy.random.SeedSequence(seed, spawn_key=(replication,))`'s first 64-bit word "
        "shifted right by one (the same for every arm).",
        f"Versions: {versions_line(found)}.",
        "Files: ablation.csv/.parquet (every mechanism x every summary key, long form), "
        "ablation.json, comparison.csv/.parquet (every arm's means and differences), "
        "differences.csv, runs.csv, series.parquet, comparison.json, figures/, sweep/"
        + ("; ensemble.csv (across the ensemble)." if c.ensemble is not None else "."),
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
            "d_z": "d_z", "cohens_d": "d"}, {"d_z": fmt_effect, "cohens_d": fmt_effect}))
        section.bullets([f"`{k}`: {v}" for k, v in SUMMARY_KEYS.items()])
    return report
