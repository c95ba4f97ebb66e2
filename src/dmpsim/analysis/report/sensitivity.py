"""The report of a sensitivity analysis (`dmpsim sensitivity`): the parameters, the indices of
each output with their convergence, what may be concluded and how to reproduce it."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...experiments.tables import SUMMARY_KEYS
from ...model.params import FLAT
from ..results import MAIN_INDEX, SensitivityResult
from .document import Report, fmt_number, versions_line

__all__ = ["build_report"]


def _yes_no(value: Any) -> str:
    if value is None or value is pd.NA:
        return "–"
    return "yes" if bool(value) else "no"


def _range_text(factor: Any) -> str:
    if factor.kind == "range":
        return f"uniform on [{factor.lo:g}, {factor.hi:g}]"
    if factor.distribution == "normal":
        return (f"normal (mean {factor.mean:g}, sd {factor.sd:g}) truncated to "
                f"[{factor.lo:g}, {factor.hi:g}]")
    if factor.distribution == "triangular":
        return f"triangular on [{factor.lo:g}, {factor.hi:g}], mode {factor.mode:g}"
    return f"{factor.distribution} on [{factor.lo:g}, {factor.hi:g}]"


def build_report(result: SensitivityResult, figure_paths: dict[str, Path],
                 found: dict[str, str], seed: int) -> Report:
    exp = result.experiment
    method = result.method
    opts = exp.design_options
    d = len(exp.factors)
    name = "Morris elementary effects" if method == "morris" else "Sobol' indices"
    report = Report(f"Sensitivity analysis ({name}): {exp.name}")
    if method == "morris":
        size = (f"{opts['trajectories']} trajectories of {d + 1} points ({opts['levels']} "
                "levels)")
    else:
        size = (f"N = {opts['samples']} base samples, N(D + 2) = {exp.n_points} points"
                + (" with second-order rows" if opts.get("second_order") else ""))
    steps = exp.steps or exp.effective_steps()
    report.paragraph(
        f"{exp.description}. Base scenario **{exp.scenario.name}**; {d} parameters varied; "
        f"{size}; **{exp.replications} replication(s)** per point "
        f"({'common random numbers' if exp.common_random_numbers else 'independent seeds'}); "
        f"{exp.n_runs} runs of {steps} months. Each point's output is the mean over its "
        "replications." + (" The design was rebuilt from the experiment's parameters for this "
                           "method." if result.rebuilt else ""))
    for note in result.notes:
        report.note(note)

    report.heading("How to read this")
    if method == "morris":
        report.bullets([
            "**mu\\*** (mu star): the mean absolute change in the output when one parameter "
            "moves across its whole range (elementary effects scaled to the range), the others "
            "held at a random point. It ranks parameters by influence; it is in the output's "
            "units.",
            "**sigma**: the spread of those effects. A sigma comparable to mu\\* means the "
            "parameter's effect depends on the others (interactions) or is non-linear.",
            "**conf**: SALib's 95% bootstrap half-width of mu\\*.",
            "Morris screens: it separates influential from negligible parameters with few "
            "runs; it does not apportion variance. Use a Sobol' analysis of the few parameters "
            "that matter for that.",
        ])
    else:
        report.bullets([
            "**S1** (first order): the share of the output's variance over the design that "
            "this parameter explains alone.",
            "**ST** (total order): the share it explains including all its interactions; "
            "ST - S1 is the part that is interaction. A parameter with ST near 0 can be fixed "
            "anywhere in its range without changing the output.",
            "**conf**: SALib's 95% bootstrap half-width. Indices whose interval includes 0 "
            "cannot be told from 0 at this sample size; small negative S1 values are "
            "estimation noise.",
        ])
    report.bullets([
        "**Convergence**: the indices are recomputed from the first half of the design (a "
        "valid smaller design). An index that moved by more than its half-width between half "
        "and full has not settled: use more samples before relying on it.",
    ])

    report.heading("Parameters")
    report.table(pd.DataFrame({
        "Parameter": [f"`{f.key}`" for f in exp.factors],
        "Varied as": [_range_text(f) for f in exp.factors],
        "Unit": [FLAT[f.key].unit or "–" for f in exp.factors],
        "Meaning": [FLAT[f.key].doc for f in exp.factors],
    }))
    if exp.fixed:
        report.paragraph("Fixed on top of the scenario: " + "; ".join(
            f"`{k}` = {v}" for k, v in exp.fixed.items()) + ".")

    main = MAIN_INDEX[method]
    report.heading("Results by output")
    summary_rows = []
    for output in result.outputs:
        if output in result.skipped:
            continue
        rows = result.indices[result.indices["output"] == output]
        top = rows[rows["index"] == main].sort_values("value", ascending=False)
        summary_rows.append({"Output": output,
                             "Most influential (by " + ("mu*" if main == "mu_star" else main)
                             + ")": ", ".join(f"`{p}`" for p in top["parameter"].head(3))})
    if summary_rows:
        report.table(pd.DataFrame(summary_rows), "The three most influential parameters")
    for output in result.outputs:
        report.heading(f"{output}: {SUMMARY_KEYS[output]}", 3)
        if output in result.skipped:
            report.paragraph(f"Not analysed: {result.skipped[output]}.")
            continue
        rows = result.indices[result.indices["output"] == output]
        conv = result.convergence[result.convergence["output"] == output]
        wide = rows.pivot(index="parameter", columns="index", values="value")
        confs = rows.pivot(index="parameter", columns="index", values="conf")
        order = wide[main].sort_values(ascending=False).index
        shown = ["mu_star", "sigma"] if method == "morris" else ["S1", "ST"]
        scale = float(np.nanmax(np.abs(wide[shown].to_numpy(dtype=float)))) or 1.0
        table = pd.DataFrame({"Parameter": [f"`{p}`" for p in order]})
        for index in shown:
            title = {"mu_star": "mu*", "sigma": "sigma"}.get(index, index)
            cells = []
            for p in order:
                conf = confs.at[p, index]
                text = fmt_number(wide.at[p, index], scale)
                if isinstance(conf, float) and math.isfinite(conf):
                    text += f" ± {fmt_number(conf, scale)}"
                cells.append(text)
            table[title] = cells
        if len(conv):
            half = conv[conv["index"] == main].set_index("parameter")
            table[f"{'mu*' if main == 'mu_star' else main}, half design"] = [
                fmt_number(half.at[p, "value_half"], scale) for p in order]
            table["Settled"] = [_yes_no(half.at[p, "settled"]) for p in order]
        report.table(table)
        if output in figure_paths:
            report.figure(figure_paths[output],
                          f"{name} for {output}, parameters sorted; bars with 95% half-widths, "
                          "open diamonds the value from half the design.")
    if result.skipped:
        report.heading("Outputs not analysed", 3)
        report.bullets([f"`{k}`: {v}." for k, v in result.skipped.items()])

    report.heading("What you may and may not conclude")
    report.bullets([
        "The indices rank parameters **within the ranges given** and for this base scenario, "
        "run length and set of fixed values; a parameter can matter more (or less) over wider "
        "ranges or in another market.",
        "They describe the **model's** response, not the world's: a parameter the model is "
        "insensitive to may still matter in reality if the model leaves the mechanism out, and "
        "the model is calibrated to qualitative patterns only (docs/ODD.md).",
        "Use them to decide **what to measure or argue about** (the influential parameters) "
        "and what can be left at its default (the negligible ones), and which parameters to "
        "carry into a finer Sobol' analysis or a scenario discovery (`dmpsim discover`).",
        "Indices that have not settled (see the convergence columns) or whose interval "
        "includes zero support no ranking among themselves.",
    ])

    report.heading("Reproducing this analysis")
    report.code(result.command)
    report.bullets([
        f"Experiment seed {exp.seed} (each run's seed derives from it and the run's "
        "replication" + (")" if exp.common_random_numbers else " and design point)")
        + f"; design seed {opts.get('seed', exp.seed)}; SALib bootstrap seed {seed}.",
        f"Versions: {versions_line(found)}.",
        "Files: indices.csv/.parquet, convergence.csv, outputs_by_point.csv, figures/, "
        "sensitivity.json, sweep/ (the runs and the manifest with the SALib problem).",
    ])
    return report
