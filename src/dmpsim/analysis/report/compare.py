"""The report of a scenario comparison (`dmpsim compare`): key results, effect sizes, across a
calibrated ensemble (with ``--ensemble``) who beats the baseline, regret and rankings, how the
scenarios differ, what may be concluded and how to reproduce it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...experiments.tables import SUMMARY_KEYS
from ...viz.comparison import BAND_FIGURES, BAND_TITLES
from ...viz.style import metric_label
from ..results import MAIN_METRICS, Comparison
from .document import (
    Report,
    fmt_ci,
    fmt_effect,
    fmt_number,
    frame_for_report,
    versions_line,
)

__all__ = ["SHARE_MEANING", "build_report", "ensemble_section"]

#: What a share of the ensemble means, said wherever one is shown.
SHARE_MEANING = (
    "Each member is run once per scenario, with its own parameters and seed, so a share mixes "
    "uncertainty about the calibrated parameters with the model's run-to-run noise: \"beats the "
    "baseline in 70% of the ensemble\" means that for a member drawn from the ensemble one run "
    "of the scenario comes out ahead of one run of the baseline with that member's parameters "
    "and seed 70% of the time. It is not the probability that the scenario's expected outcome "
    "is better. The interval is Wilson's 95% score interval, treating the members as "
    "independent draws.")

_DIRECTION_TEXT = {1: "higher", -1: "lower", 0: "neither"}


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


def _share_text(value: Any) -> str:
    if value is None or value is pd.NA or not np.isfinite(value):
        return "–"
    return f"{value:.0%}"


def _share_cell(row: Any) -> str:
    """The headline share with its interval: beats the baseline, or (direction 0) is higher."""
    share = row["share_better"] if row["direction"] else row["share_higher"]
    if share is None or not np.isfinite(share):
        return "–"
    cell = f"{_share_text(share)} [{_share_text(row['ci_low'])}, {_share_text(row['ci_high'])}]"
    n, members = row["n_paired"], row["n_members"]
    if n is not pd.NA and int(n) < int(members):
        cell += f" ({int(n)} of {int(members)} members: a run failed or had no value)"
    return cell if row["direction"] else f"higher in {cell}"


def _w_text(value: Any) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:.2f}"


def calibration_text(record: dict[str, Any], replications: int, unit: str = "scenario") -> str:
    """Where the ensemble comes from and which parameters it calibrates, for a report."""
    rows = record["members"]
    drawn = len(set(rows))
    keys = ", ".join(f"`{k}`" for k in record["keys"])
    repeated = (f" ({drawn} distinct rows: weighted members are resampled, so a member drawn "
                "twice runs twice with different seeds)" if drawn < len(rows) else "")
    return (f"Replication k of every {unit} took member k of the calibrated ensemble in "
            f"`{record['source']}` and seed k: {replications} members{repeated}, calibrating "
            f"{keys}. Every difference below is paired over both the parameters and the random "
            "numbers.")


def ensemble_section(report: Report, c: Comparison, figure: Path | None,
                     outputs: tuple[str, ...] = MAIN_METRICS) -> None:
    """The section "Across the ensemble": per output, each scenario's share of the members in
    which it beats the baseline, its regret, and whether the ranking holds in every member."""
    table = c.ensemble
    assert table is not None and c.ensemble_source is not None
    report.heading("Across the ensemble")
    report.paragraph(calibration_text(c.ensemble_source, c.replications))
    overridden = c.overridden()
    if overridden:
        report.paragraph("The scenarios set " + ", ".join(f"`{k}`" for k in overridden)
                         + " themselves (differently), so every run takes its scenario's "
                         "value of " + ("it" if len(overridden) == 1 else "them")
                         + ", not the ensemble member's.")
    report.paragraph(SHARE_MEANING)
    rows = []
    for m in outputs:
        mine = table[table["output"] == m]
        scale = _scale(c.table, m)
        for _, r in mine.iterrows():
            is_base = r["scenario"] == c.baseline
            rows.append({
                "Outcome": metric_label(m),
                "Better": _DIRECTION_TEXT[int(r["direction"])],
                "Scenario": r["scenario"] + (" (baseline)" if is_base else ""),
                f"Beats {c.baseline} in [95% interval]": "–" if is_base else _share_cell(r),
                "Regret: mean": fmt_number(r["regret_mean"], scale),
                "Regret: 90th percentile": fmt_number(r["regret_p90"], scale),
            })
    report.table(pd.DataFrame(rows),
                 f"Share of the ensemble's members in which each scenario beats {c.baseline} "
                 "(for an outcome where neither direction is better: is higher), and its "
                 "regret, the shortfall from the best scenario in the same member (mean and "
                 "90th percentile over the members; 0 = always the best)")
    rows = []
    for m in outputs:
        r = table[table["output"] == m].iloc[0]
        rows.append({"Outcome": metric_label(m),
                     "Most common ranking (best first)": r["modal_ranking"] or "–",
                     "Across the ensemble": r["ranking_verdict"],
                     "Kendall's W": _w_text(r["kendall_w"])})
    report.table(pd.DataFrame(rows),
                 "Whether the scenarios come in the same order in every member (an outcome "
                 "where neither direction is better is ranked higher first); Kendall's W is 1 "
                 "when every member ranks them alike, near 0 when the rankings are unrelated")
    report.bullets([
        "**Beats the baseline**: the scenario's run is better than the baseline's run in the "
        "same member (same parameters, same seed), by the direction in the column *Better* "
        "(`dmpsim.analysis.results.BETTER`; ties count as not beating).",
        "**Regret**: how far the scenario falls short of the best of the compared scenarios in "
        "each member, in the outcome's units. A low mean means close to the best on average; "
        "a low 90th percentile means rarely far from it (a robust choice).",
        "ensemble.csv has these figures for every summary key, with the shares tied, worse, "
        "higher and lower, the mean and median member-wise difference and the share of "
        "members in which each scenario is the best.",
    ])
    if figure is not None:
        report.figure(figure, f"Each scenario's difference from {c.baseline} in every member "
                              "of the ensemble (points), with the quartiles (box); dashed: no "
                              "difference.")


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
    if c.ensemble is not None:
        design += (f"; replication k also took member k of a calibrated ensemble of "
                   f"{c.replications} parameter sets (see *Across the ensemble*)")
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
            row[metric_label(m)] = _diff_cell(match.iloc[0], _scale(table, m)) if len(match) else "–"
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
                row[metric_label(m)] = f"{fmt_number(r['mean'], scale)} {fmt_ci(r['ci_low'], r['ci_high'], scale)}"
            else:
                row[metric_label(m)] = "–"
        rows.append(row)
    report.table(pd.DataFrame(rows), "Mean [95% interval] over the replications")
    rows = []
    for name in others:
        row = {"Scenario": name}
        for m in MAIN_METRICS:
            match = table[(table["scenario"] == name) & (table["metric"] == m)]
            if len(match):
                r = match.iloc[0]
                row[metric_label(m)] = f"{fmt_effect(r['effect_size'])} / {fmt_effect(r['cohens_d'])}"
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
                {"effect_size": fmt_effect, "cohens_d": fmt_effect}))

    if c.ensemble is not None:
        ensemble_section(report, c, folder / "ensemble_differences.png"
                         if "ensemble_differences" in figure_files else None)

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
    seeds = c.seeds()
    report.bullets([
        f"Replications: {c.replications} per scenario; steps: {c.steps} months "
        "(all scenarios; scenario files' own `run.steps` are not used).",
        f"Experiment seed: {c.seed}. Each run's seed is "
        "`numpy.random.SeedSequence(seed, spawn_key=(replication,))`'s first 64-bit word "
        "shifted right by one" + (" (the same for every scenario)." if c.common_random_numbers
                                  else ", with spawn key (point, replication)."),
        f"Versions: {versions_line(found)}.",
        "Files: comparison.csv/.parquet (every summary key), differences.csv, runs.csv, "
        "series.parquet, comparison.json, figures/, sweep/ (the sweep's manifest and tables)"
        + ("; ensemble.csv (across the ensemble, every summary key)."
           if c.ensemble is not None else "."),
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
            "effect_size": "d_z", "cohens_d": "d"}, {"effect_size": fmt_effect, "cohens_d": fmt_effect}))
        section.bullets([f"`{k}`: {v}" for k, v in SUMMARY_KEYS.items()])
    return report
