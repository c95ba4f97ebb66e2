"""Scenario discovery on a sweep's results: under which conditions does an outcome collapse?

`discover("results/sweeps/safety_net")` reads the sweep's ``runs.parquet`` and ``manifest.json``,
takes the varied parameters as inputs, marks each run as a *case* when its metric is at or below
a cut-off (default: the 25th percentile of the metric over the sweep's runs, i.e. "integrity
collapses" means "among the worst quarter of runs"; or a given value, or at or above one), and
finds boxes of parameter space where cases concentrate with PRIM
(`dmpsim.analysis.prim.prim_boxes`, Friedman & Fisher 1999; Bryant & Lempert 2010).

Each run is one observation, so a box's *density* is the share of runs in the box that are
cases: an estimate of the chance of collapse there, replication noise included. *Coverage* is
the share of all cases inside the box, *mass* the share of all runs inside it.

Files in ``out`` (default ``<results>/discovery-<metric>``): ``boxes.csv`` (one row per box and
restricted parameter, with the box's statistics and the parameter's range in the sweep),
``trajectory.csv`` (the peeling trajectory of every box), ``figures/trajectory.png``/``.svg``
(coverage against density along the peeling) and ``figures/box_1.png``/``.svg`` (the runs on
the box's two main parameters, with the box), ``report.md``, ``report.html`` (self-contained)
and ``discovery.json``.

A folder holding a comparison or a sensitivity analysis (its sweep in ``sweep/``) is read
through that sweep.
"""

from __future__ import annotations

import json
import math
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..metrics import SUMMARY_KEYS
from ..model.params import FLAT, did_you_mean
from ..outputs import atomic_write_csv, atomic_write_text, jsonable
from .prim import PrimBox, prim_boxes
from .report import Report, analysis_versions, fmt_number, shell_command, versions_line

__all__ = ["Discovery", "discover", "read_sweep"]


@dataclass
class Discovery:
    """What `discover` found."""

    source: Path
    metric: str
    direction: str            # "below" or "above"
    cutoff: float
    cutoff_text: str
    inputs: list[str]
    X: pd.DataFrame
    y: np.ndarray
    values: np.ndarray        # the metric of each run, in X's row order
    boxes: list[PrimBox]
    boxes_table: pd.DataFrame
    trajectory: pd.DataFrame
    manifest: dict[str, Any]
    settings: dict[str, Any]
    out: Path | None = None
    files: list[Path] = field(default_factory=list)
    command: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def case_rule(self) -> str:
        sign = "<=" if self.direction == "below" else ">="
        return f"{self.metric} {sign} {self.cutoff:.4g}"


# -- reading ----------------------------------------------------------------------------------

def read_sweep(results_dir: str | Path) -> tuple[Path, pd.DataFrame, dict[str, Any]]:
    """The sweep folder, its runs (finished or not) and its manifest ({} if none)."""
    from ..sweep import read_results

    folder = Path(results_dir)
    if not folder.is_dir():
        raise InputError("no such folder" if not folder.exists() else "is not a folder",
                         source=str(results_dir))
    if not (folder / "runs.parquet").exists() and not (folder / "parts").is_dir() \
            and (folder / "sweep" / "runs.parquet").exists():
        folder = folder / "sweep"
    from ..sweep import Store

    if not Store(folder).has_results():
        raise InputError("holds no sweep results (runs.parquet); run `dmpsim sweep` first",
                         source=str(results_dir))
    runs = read_results(folder)     # a corrupt file is named, with what to do
    manifest: dict[str, Any] = {}
    path = folder / "manifest.json"
    if path.exists():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            manifest = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError) as exc:
            raise InputError(f"unreadable manifest: {exc}", source=str(path)) from None
    return folder, runs, manifest


def varied_parameters(runs: pd.DataFrame, manifest: dict[str, Any]) -> list[str]:
    """The sweep's varied parameters (manifest order), those that take two or more values."""
    listed = manifest.get("experiment", {}).get("parameters") or []
    keys = [p["key"] for p in listed if isinstance(p, dict) and p.get("key") in runs.columns]
    if not keys:
        keys = [c for c in runs.columns if c in FLAT]
    return [k for k in keys if runs[k].nunique(dropna=True) > 1]


# -- discovery --------------------------------------------------------------------------------

def discover(results_dir: str | Path, *, metric: str = "integrity_mean",
             below: float | None = None, above: float | None = None, quantile: float = 0.25,
             threshold: float | None = None, max_boxes: int = 1, peel_alpha: float = 0.05,
             min_mass: float = 0.05, out: str | Path | None = None, write: bool = True,
             figures: bool = True, command: str | None = None) -> Discovery:
    """Find the parameter ranges where `metric` is at or below (or above) a cut-off.

    Args:
        results_dir: a sweep folder (or a folder whose ``sweep/`` holds one).
        metric: the summary key that defines a case.
        below, above: the cut-off: a case is a run with ``metric <= below`` (or ``>= above``).
            Give at most one; with neither, a case is ``metric <=`` its `quantile` over the runs.
        quantile: the quantile used when no cut-off is given (default 0.25: the worst quarter).
        threshold: the density a box must reach (``prim_boxes``' threshold); default None picks
            the box on the peeling trajectory that best balances coverage and density.
        max_boxes, peel_alpha, min_mass: as for `prim_boxes`.
        out: output folder (default ``<sweep folder>/discovery-<metric>``).
        write, figures: write the tables, figures and report.
        command: the command line the report prints.
    """
    if metric not in SUMMARY_KEYS:
        raise InputError(f"unknown metric {metric!r}{did_you_mean(metric, list(SUMMARY_KEYS))}",
                         key="--metric")
    if below is not None and above is not None:
        raise InputError("give --below or --above, not both", key="--above")
    for name, value in (("--below", below), ("--above", above)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                  or not math.isfinite(value)):
            raise InputError(f"expected a number, got {value!r}", key=name)
    if not isinstance(quantile, int | float) or not 0 < quantile < 1:
        raise InputError(f"expected a number strictly between 0 and 1, got {quantile!r}",
                         key="--quantile")
    folder, runs, manifest = read_sweep(results_dir)
    notes = []
    ok = runs[runs["status"] == "ok"] if "status" in runs.columns else runs
    if len(ok) < len(runs):
        notes.append(f"{len(runs) - len(ok)} of {len(runs)} runs ended with an error and are "
                     "left out.")
    if metric not in ok.columns:
        raise InputError(f"runs.parquet has no column {metric!r}", source=str(folder),
                         key="--metric")
    values = pd.to_numeric(ok[metric], errors="coerce")
    if values.isna().any():
        notes.append(f"{int(values.isna().sum())} run(s) have no value of {metric} (e.g. no "
                     "process completed) and are left out.")
    ok = ok[values.notna()]
    values = values[values.notna()].astype(float)
    if len(ok) < 10:
        raise InputError(f"only {len(ok)} runs with a value of {metric}; scenario discovery "
                         "needs a sweep of dozens of runs at least", source=str(folder))
    inputs = varied_parameters(ok, manifest)
    if not inputs:
        raise InputError("the sweep varies no parameter (or each takes one value)",
                         source=str(folder))
    if below is not None:
        direction, cutoff = "below", float(below)
        cutoff_text = f"at or below {cutoff:g} (given)"
    elif above is not None:
        direction, cutoff = "above", float(above)
        cutoff_text = f"at or above {cutoff:g} (given)"
    else:
        direction, cutoff = "below", float(values.quantile(quantile))
        cutoff_text = (f"at or below {cutoff:.4g}, the {quantile * 100:g}th percentile of "
                       f"{metric} over the sweep's runs")
    y = (values <= cutoff if direction == "below" else values >= cutoff).to_numpy()
    if not y.any():
        raise InputError(f"no run has {metric} {'<=' if direction == 'below' else '>='} "
                         f"{cutoff:g}; choose another cut-off (runs range from {values.min():.4g} "
                         f"to {values.max():.4g})", key="--below" if below is not None else "--above")
    if y.all():
        raise InputError(f"every run has {metric} {'<=' if direction == 'below' else '>='} "
                         f"{cutoff:g}; choose another cut-off (runs range from {values.min():.4g} "
                         f"to {values.max():.4g})", key="--below" if below is not None else "--above")
    X = ok[inputs].reset_index(drop=True)
    for col in inputs:
        if X[col].dtype == object:
            X[col] = X[col].astype(str)
    boxes = prim_boxes(X, y, threshold=threshold, min_mass=min_mass, peel_alpha=peel_alpha,
                       max_boxes=max_boxes)
    if not boxes:
        notes.append(f"No box reaches density {threshold:g}; lower --threshold or leave it out "
                     "(then the box that best balances coverage and density is shown).")
    boxes_table = _boxes_table(boxes, X)
    trajectory = pd.concat([b.trajectory.assign(box=b.box_number) for b in boxes],
                           ignore_index=True) if boxes else pd.DataFrame()
    if len(trajectory):
        trajectory = trajectory[["box", *[c for c in trajectory.columns if c != "box"]]]
    out_dir = Path(out) if out is not None else folder / f"discovery-{metric}"
    settings = {"threshold": threshold, "max_boxes": max_boxes, "peel_alpha": peel_alpha,
                "min_mass": min_mass, "quantile": quantile if below is None and above is None
                else None}
    if command is None:
        parts: list[Any] = ["dmpsim", "discover", results_dir, "--metric", metric]
        if below is not None:
            parts += ["--below", below]
        elif above is not None:
            parts += ["--above", above]
        elif quantile != 0.25:
            parts += ["--quantile", quantile]
        if threshold is not None:
            parts += ["--threshold", threshold]
        if max_boxes != 1:
            parts += ["--max-boxes", max_boxes]
        parts += ["--out", out_dir]
        command = shell_command(parts)
    result = Discovery(folder, metric, direction, cutoff, cutoff_text, inputs, X, y,
                       values.to_numpy(dtype=float), boxes,
                       boxes_table, trajectory, manifest, settings, out_dir, command=command,
                       notes=notes)
    if write:
        result.files = write_outputs(result, figures=figures)
    return result


def _boxes_table(boxes: list[PrimBox], X: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for box in boxes:
        stats = {"box": box.box_number, "coverage": box.coverage, "density": box.density,
                 "mass": box.mass, "n_points": box.n_points, "n_positive": box.n_positive,
                 "step": box.step}
        frame = box.to_frame()
        if frame.empty:
            rows.append({**stats, "parameter": None, "low": math.nan, "high": math.nan,
                         "categories": None, "sweep_min": math.nan, "sweep_max": math.nan})
        for _, r in frame.iterrows():
            col = X[r["parameter"]]
            numeric = r["categories"] is None
            lo = float(col.min()) if numeric else math.nan
            hi = float(col.max()) if numeric else math.nan
            rows.append({**stats, "parameter": r["parameter"],
                         "low": max(r["low"], lo) if numeric else math.nan,
                         "high": min(r["high"], hi) if numeric else math.nan,
                         "categories": None if numeric else ", ".join(map(str, r["categories"])),
                         "sweep_min": lo, "sweep_max": hi})
    columns = ["box", "parameter", "low", "high", "categories", "sweep_min", "sweep_max",
               "coverage", "density", "mass", "n_points", "n_positive", "step"]
    return pd.DataFrame(rows, columns=columns)


# -- figures ----------------------------------------------------------------------------------

def figure_trajectory(result: Discovery) -> Any:
    """Coverage against density along each box's peeling, coloured by restricted parameters."""
    from matplotlib import colormaps
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    fig = Figure(figsize=(7.0, 4.8), layout="constrained")
    ax = fig.subplots()
    markers = ("o", "s", "^", "D")
    top = max(int(result.trajectory["n_restricted"].max()), 1)
    cmap = colormaps["viridis"].resampled(top + 1)
    scatter = None
    handles, labels = [], []
    for i, box in enumerate(result.boxes):
        t = box.trajectory
        ax.plot(t["coverage"], t["density"], color="0.6", linewidth=0.8, zorder=1)
        scatter = ax.scatter(t["coverage"], t["density"], c=t["n_restricted"], cmap=cmap,
                             vmin=-0.5, vmax=top + 0.5, marker=markers[i % len(markers)], s=28,
                             edgecolors="black", linewidths=0.4, zorder=2)
        ax.scatter([box.coverage], [box.density], marker="*", s=260, facecolors="none",
                   edgecolors="#D55E00", linewidths=1.8, zorder=3)
        handles.append(Line2D([], [], marker=markers[i % len(markers)], color="0.6",
                              markerfacecolor="white", markeredgecolor="black"))
        labels.append(f"peeling for box {box.box_number}")
    handles.append(Line2D([], [], linestyle="none", marker="*", markersize=14,
                          markerfacecolor="none", markeredgecolor="#D55E00"))
    labels.append("box chosen")
    base = float(np.mean(result.y))
    ax.axhline(base, color="0.3", linestyle=":", linewidth=1)
    handles.append(Line2D([], [], color="0.3", linestyle=":"))
    labels.append(f"share of cases in all runs ({base:.2f})")
    ax.set_xlabel("Coverage (share of all cases inside the box)")
    ax.set_ylabel("Density (share of the box's runs that are cases)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_title(f"PRIM peeling trajectory: {result.case_rule}")
    ax.legend(handles, labels, fontsize="small", loc="lower left", framealpha=0.9)
    if scatter is not None:
        bar = fig.colorbar(scatter, ax=ax, ticks=range(top + 1))
        bar.set_label("Parameters restricted")
    return fig


def figure_box(result: Discovery, box: PrimBox) -> Any | None:
    """The runs on the box's two most restricted numeric parameters, cases marked, box drawn."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    X = result.X
    numeric = [p for p in box.limits if pd.api.types.is_numeric_dtype(X[p])
               and not pd.api.types.is_bool_dtype(X[p])]
    if not numeric:
        return None

    def narrowing(p: str) -> float:
        lo, hi = box.limits[p]
        full_lo, full_hi = float(X[p].min()), float(X[p].max())
        width = full_hi - full_lo
        kept = min(hi, full_hi) - max(lo, full_lo)
        return kept / width if width > 0 else 1.0

    chosen = sorted(numeric, key=narrowing)[:2]
    fig = Figure(figsize=(7.0, 5.6), layout="constrained")
    ax = fig.subplots()
    from ..plots import METRIC_LABELS

    case = result.y.astype(bool)
    if len(chosen) == 2:
        xs, ys = chosen
        yvals = X[ys].to_numpy(dtype=float)
        ylabel = ys
    else:
        xs = chosen[0]
        yvals = result.values
        ylabel = METRIC_LABELS.get(result.metric, result.metric)
    xvals = X[xs].to_numpy(dtype=float)
    others = [p for p in box.limits if p not in chosen]
    # Runs that meet the box's other restrictions are drawn in full, the rest faintly.
    inside = PrimBox(limits={p: box.limits[p] for p in others}, coverage=0, density=0, mass=0,
                     n_points=0, n_positive=0, step=0, trajectory=box.trajectory,
                     _categorical=box._categorical).contains(X) if others else \
        np.ones(len(X), dtype=bool)
    where = " (meeting its other limits)" if others else ""
    if (~inside).any():
        ax.scatter(xvals[~inside], yvals[~inside], marker=".", s=10, color="0.8",
                   label="runs outside its other limits")
    ax.scatter(xvals[inside & ~case], yvals[inside & ~case], marker="o", s=16,
               facecolors="none", edgecolors="0.35", linewidths=0.8, label=f"other runs{where}")
    ax.scatter(xvals[inside & case], yvals[inside & case], marker="x", s=22, color="#D55E00",
               label=f"cases{where}: {result.case_rule}")
    xlo, xhi = _clip(box.limits[xs], xvals)
    if len(chosen) == 2:
        ylo, yhi = _clip(box.limits[ys], yvals)
    else:
        ylo, yhi = float(np.min(yvals)), float(np.max(yvals))
        ax.axhline(result.cutoff, color="0.3", linestyle=":", linewidth=1, label="cut-off")
    ax.add_patch(Rectangle((xlo, ylo), xhi - xlo, yhi - ylo, fill=False, edgecolor="black",
                           linewidth=2, linestyle="--", label=f"box {box.box_number}"))
    ax.set_xlabel(xs)
    ax.set_ylabel(ylabel)
    title = f"Box {box.box_number}: density {box.density:.2f}, coverage {box.coverage:.2f}"
    if others:
        limits = "; ".join(_limit_text(p, box.limits[p], p in box._categorical) for p in others)
        title += "\n" + textwrap.shorten(f"other limits: {limits}", 90)
    ax.set_title(title, fontsize="medium")
    fig.legend(*ax.get_legend_handles_labels(), fontsize="small", loc="outside lower center",
               ncol=2, frameon=False)
    return fig


def _limit_text(name: str, limit: Any, categorical: bool) -> str:
    if categorical:
        return f"{name} in {{{', '.join(map(str, limit))}}}"
    lo, hi = limit
    if math.isinf(lo):
        return f"{name} <= {hi:.4g}"
    if math.isinf(hi):
        return f"{name} >= {lo:.4g}"
    return f"{lo:.4g} <= {name} <= {hi:.4g}"


def _clip(limit: Any, values: np.ndarray) -> tuple[float, float]:
    lo, hi = limit
    return max(float(lo), float(np.min(values))), min(float(hi), float(np.max(values)))


# -- outputs ----------------------------------------------------------------------------------

def write_outputs(result: Discovery, figures: bool = True) -> list[Path]:
    from .. import plots

    out = result.out
    assert out is not None
    files = [atomic_write_csv(result.boxes_table, out / "boxes.csv"),
             atomic_write_csv(result.trajectory, out / "trajectory.csv")]
    figure_paths: dict[str, Path] = {}
    if figures and result.boxes:
        written = plots.save_figure(figure_trajectory(result), out / "figures" / "trajectory")
        files += written
        figure_paths["trajectory"] = written[0]
        for box in result.boxes:
            fig = figure_box(result, box)
            if fig is not None:
                written = plots.save_figure(fig, out / "figures" / f"box_{box.box_number}")
                files += written
                figure_paths[f"box_{box.box_number}"] = written[0]
    found = analysis_versions()
    meta = {
        "format": "dmpsim-discovery/1",
        "sweep": str(result.source),
        "experiment": result.manifest.get("experiment", {}).get("name"),
        "metric": result.metric,
        "case": result.case_rule,
        "cutoff": result.cutoff,
        "runs": len(result.y),
        "cases": int(result.y.sum()),
        "inputs": result.inputs,
        "settings": result.settings,
        "boxes": [{"box": b.box_number, "coverage": b.coverage, "density": b.density,
                   "mass": b.mass, "n_points": b.n_points, "n_positive": b.n_positive,
                   "limits": {k: list(v) for k, v in b.limits.items()}} for b in result.boxes],
        "versions": found,
        "command": result.command,
        "notes": result.notes,
    }
    files.append(atomic_write_text(json.dumps(jsonable(meta), indent=2) + "\n",
                                   out / "discovery.json"))
    files += build_report(result, figure_paths, found).write(out)
    return files


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
