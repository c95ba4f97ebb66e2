"""The report of a scenario discovery (`dmpsim discover`): the boxes, how to read them, what may
be concluded and how to reproduce it."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ...experiments.tables import SUMMARY_KEYS
from ...model.params import FLAT
from ..results import Discovery
from .document import Report, fmt_number, versions_line

__all__ = ["build_report"]


def _condition(row: pd.Series) -> str:
    p = row["parameter"]
    if row["categories"] is not None and isinstance(row["categories"], str):
        return f"`{p}` in {{{row['categories']}}}"
    lo_cut = row["low"] > row["sweep_min"] + 1e-12
    hi_cut = row["high"] < row["sweep_max"] - 1e-12
    if lo_cut and hi_cut:
        return f"{row['low']:.4g} <= `{p}` <= {row['high']:.4g}"
    if lo_cut:
        return f"`{p}` >= {row['low']:.4g}"
    if hi_cut:
        return f"`{p}` <= {row['high']:.4g}"
    return f"`{p}` anywhere in its range"


def build_report(result: Discovery, figure_paths: dict[str, Path],
                 found: dict[str, str]) -> Report:
    exp = result.manifest.get("experiment", {})
    n, cases = len(result.y), int(result.y.sum())
    report = Report(f"Scenario discovery: when is {result.metric} "
                    f"{'low' if result.direction == 'below' else 'high'}?")
    report.paragraph(
        f"Sweep `{result.source}`" + (f" ({exp.get('name')}: {exp.get('description')})"
                                      if exp.get("name") else "")
        + f"; {n} runs with a value of `{result.metric}` ({SUMMARY_KEYS[result.metric]}). "
        f"A run is a **case** when {result.metric} is {result.cutoff_text} "
        f"(`{result.case_rule}`): {cases} of {n} runs "
        f"({cases / n:.0%}). Inputs: the {len(result.inputs)} varied parameters "
        + ", ".join(f"`{p}`" for p in result.inputs) + ".")
    for note in result.notes:
        report.note(note)

    report.heading("How to read this")
    report.bullets([
        "A **box** is a set of conditions on the parameters (one range per restricted "
        "parameter). PRIM peels away slices of parameter space with few cases, step by step, "
        "until the box holds mostly cases.",
        "**Density**: the share of runs inside the box that are cases: the chance of the "
        f"outcome there (the base rate over all runs is {cases / n:.2f}).",
        "**Coverage**: the share of all cases that fall inside the box: how much of the "
        "problem the box explains.",
        "**Mass**: the share of all runs inside the box: how large the region is, as sampled.",
        "Peeling trades coverage for density; the trajectory figure shows the whole trade-off "
        "and the star the box chosen"
        + (f" (the first to reach density {result.settings['threshold']:g})."
           if result.settings["threshold"] is not None else
           " (the one with the best balance of the two: highest harmonic mean)."),
    ])

    report.heading("Boxes")
    if not result.boxes:
        report.paragraph("No box was found with these settings.")
    for box in result.boxes:
        rows = result.boxes_table[result.boxes_table["box"] == box.box_number]
        rows = rows[rows["parameter"].notna()]
        report.heading(f"Box {box.box_number}", 3)
        conditions = [_condition(r) for _, r in rows.iterrows()]
        if conditions:
            report.paragraph(
                f"When {' and '.join(conditions)}, {box.density:.0%} of runs are cases "
                f"(against {cases / n:.0%} overall). These runs are {box.mass:.0%} of all runs "
                f"and hold {box.coverage:.0%} of all cases.")
        report.table(pd.DataFrame({
            "Coverage": [fmt_number(box.coverage)], "Density": [fmt_number(box.density)],
            "Mass": [fmt_number(box.mass)], "Runs in box": [str(box.n_points)],
            "Cases in box": [str(box.n_positive)], "Peeling step": [str(box.step)]}))
        if len(rows):
            report.table(pd.DataFrame({
                "Parameter": [f"`{p}`" for p in rows["parameter"]],
                "In the box": [_condition(r) for _, r in rows.iterrows()],
                "Range in the sweep": [
                    (f"[{r['sweep_min']:.4g}, {r['sweep_max']:.4g}]"
                     if r["categories"] is None or not isinstance(r["categories"], str)
                     else ", ".join(sorted(map(str, result.X[r["parameter"]].unique()))))
                    for _, r in rows.iterrows()],
                "Meaning": [FLAT[p].doc if p in FLAT else "" for p in rows["parameter"]],
            }), "Restricted parameters")
        lift = box.density / (cases / n) if cases else math.nan
        if lift < 1.5:
            report.note(f"This box is weak: its density ({box.density:.2f}) is only "
                        f"{lift:.1f} times the base rate ({cases / n:.2f}). The parameters "
                        "varied in this sweep do not say where the outcome happens; it is "
                        "spread over the sweep (run-to-run noise, or parameters not varied).")
        if box.box_number > 1:
            report.paragraph("A later box is found among the runs outside the earlier boxes; "
                             "its statistics count only those runs as its own.")
        key = f"box_{box.box_number}"
        if key in figure_paths:
            report.figure(figure_paths[key],
                          f"Box {box.box_number} on its most restricted parameters: cases "
                          "(crosses) and other runs (circles).")
    if "trajectory" in figure_paths:
        report.figure(figure_paths["trajectory"],
                      "Peeling trajectory: each point a candidate box, from the whole space "
                      "(right) to the smallest box (left); colour: parameters restricted.")

    report.heading("What you may and may not conclude")
    report.bullets([
        "A box **describes where in the sweep** the outcome happens; it is not by itself a "
        "causal claim. Parameters that were not varied, and ranges outside the sweep's, are "
        "not explored: the box says nothing about them.",
        "Density is an estimate from the runs in the box (replications counted one by one, "
        "so model noise is included): with few runs in a box, read it as rough.",
        "PRIM peels greedily, and no held-out data checked the box here; boxes that restrict "
        "many parameters, or that change a lot with a different cut-off or `--threshold`, "
        "are fragile. Prefer boxes with few restrictions and a clear gain in density.",
        "A box is a pointer for policy discussion (\"integrity is at risk when these "
        "conditions hold together\"), to be checked with targeted comparisons "
        "(`dmpsim compare`) and against what practitioners report; the model is calibrated "
        "to qualitative patterns only.",
    ])

    report.heading("Reproducing this analysis")
    report.code(result.command)
    s = result.settings
    report.bullets([
        f"PRIM settings: peel_alpha {s['peel_alpha']:g}, min_mass {s['min_mass']:g}, "
        f"threshold {s['threshold'] if s['threshold'] is not None else 'none (best balance)'}, "
        f"max_boxes {s['max_boxes']}.",
        f"Versions: {versions_line(found)}.",
        "Files: boxes.csv, trajectory.csv, figures/, discovery.json.",
    ])
    return report
