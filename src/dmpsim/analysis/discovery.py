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

The figures are drawn by `dmpsim.viz.discovery`, the report built by
`dmpsim.analysis.report.discovery`; `Discovery` itself is defined in `dmpsim.analysis.results`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError
from ..experiments.tables import SUMMARY_KEYS
from ..io.atomic import atomic_write_csv, atomic_write_text
from ..io.provenance import jsonable
from ..io.sweep_folder import SweepFolder, read_results
from ..model.params import FLAT, did_you_mean
from .prim import PrimBox, prim_boxes
from .report import analysis_versions, shell_command
from .results import Discovery

__all__ = ["Discovery", "discover", "read_sweep"]


# -- reading ----------------------------------------------------------------------------------

def read_sweep(results_dir: str | Path) -> tuple[Path, pd.DataFrame, dict[str, Any]]:
    """The sweep folder, its runs (finished or not) and its manifest ({} if none)."""
    folder = Path(results_dir)
    if not folder.is_dir():
        raise InputError("no such folder" if not folder.exists() else "is not a folder",
                         source=str(results_dir))
    if not (folder / "runs.parquet").exists() and not (folder / "parts").is_dir() \
            and (folder / "sweep" / "runs.parquet").exists():
        folder = folder / "sweep"
    if not SweepFolder(folder).has_results():
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


# -- outputs ----------------------------------------------------------------------------------

def write_outputs(result: Discovery, figures: bool = True) -> list[Path]:
    # Figures and report import matplotlib: only when files are written.
    from ..viz.discovery import figure_box, figure_trajectory
    from ..viz.style import save_figure
    from .report.discovery import build_report

    out = result.out
    assert out is not None
    files = [atomic_write_csv(result.boxes_table, out / "boxes.csv"),
             atomic_write_csv(result.trajectory, out / "trajectory.csv")]
    figure_paths: dict[str, Path] = {}
    if figures and result.boxes:
        written = save_figure(figure_trajectory(result), out / "figures" / "trajectory")
        files += written
        figure_paths["trajectory"] = written[0]
        for box in result.boxes:
            fig = figure_box(result, box)
            if fig is not None:
                written = save_figure(fig, out / "figures" / f"box_{box.box_number}")
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
