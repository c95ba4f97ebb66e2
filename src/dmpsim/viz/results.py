"""The standard figures of a results folder: `plot_results` reads the folder
(`dmpsim.io.results.load_results`), decides which figures what it holds gets, and writes them.

`build_figures(data)` returns them as matplotlib `Figure` objects without saving them, so that
callers (and tests) can inspect or adjust them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from ..errors import InputError
from ..io.results import ResultsData, load_results
from ..model.params import KINDS, PRESSURE_TYPES, RESPONSES
from .series import (
    figure_episodes_by_type,
    figure_field,
    figure_integrity_pressure,
    figure_market_share,
    figure_responses,
    figure_series_bands,
)
from .style import MAX_GROUPS, _check_formats, _fmt_value, save_figure
from .sweeps import SWEEP_LINE_METRICS, figure_sweep_heatmap, figure_sweep_lines

__all__ = ["build_figures", "plot_results"]


def _has(series: pd.DataFrame | None, columns: Iterable[str]) -> bool:
    return series is not None and all(c in series.columns for c in columns)


def _series_figures(series: pd.DataFrame, episodes: pd.DataFrame | None) -> dict[str, Figure]:
    figures: dict[str, Figure] = {}
    if _has(series, ["integrity", "pressure_share"]):
        figures["integrity_pressure"] = figure_integrity_pressure(series)
    if _has(series, [f"share_value_{k}" for k in KINDS]):
        figures["market_share"] = figure_market_share(series)
    has_response_series = _has(series, [f"response_{r}" for r in RESPONSES])
    if episodes is not None or has_response_series:
        figures["responses"] = figure_responses(series if has_response_series else None,
                                                episodes)
    if (episodes is not None and _has(episodes, ["type", "practitioner_kind"])) \
            or _has(series, [f"episodes_{t}" for t in PRESSURE_TYPES]):
        figures["episodes_by_type"] = figure_episodes_by_type(series, episodes)
    if _has(series, ["field_experience", *[f"active_{k}" for k in KINDS]]):
        figures["field"] = figure_field(series)
    return figures


def _safe_name(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)


def _sweep_figures(data: ResultsData, metric: str) -> dict[str, Figure]:
    runs, params = data.runs, data.parameters
    assert runs is not None
    if metric not in runs.columns:
        raise InputError(f"runs.parquet has no column {metric!r}", source=str(data.source))
    figures: dict[str, Figure] = {}
    line_metrics = [metric] + [m for m in SWEEP_LINE_METRICS if m in runs.columns and m != metric]
    if len(params) == 1:
        figures[f"sweep_{_safe_name(params[0])}"] = figure_sweep_lines(runs, params[0],
                                                                       line_metrics)
    elif len(params) >= 2:
        x, y = params[0], params[1]
        figures[f"heatmap_{metric}"] = figure_sweep_heatmap(runs, x, y, metric)
        if len(params) == 2:
            # Lines read best along a numeric axis with many values; the other parameter
            # becomes one line per value.
            def along(p: str) -> tuple[bool, int]:
                numeric = (pd.api.types.is_numeric_dtype(runs[p])
                           and not pd.api.types.is_bool_dtype(runs[p]))
                return numeric, int(runs[p].nunique())

            if along(y) > along(x):
                x, y = y, x
            # The same numbers as lines, one per value of the second parameter.
            figures[f"sweep_{_safe_name(x)}_by_{_safe_name(y)}"] = figure_sweep_lines(
                runs, x, [metric], by=y)
        else:
            for p in params:  # main effects, averaged over the other parameters
                figures[f"sweep_{_safe_name(p)}"] = figure_sweep_lines(runs, p, line_metrics)
    series = data.series
    if series is not None and "point" in runs.columns and _has(series, ["integrity"]):
        # Integrity over time for each sweep point, when there are few enough to tell apart.
        points = runs.drop_duplicates("point").set_index("point")
        if 1 < len(points) <= MAX_GROUPS and "run_id" in runs.columns:
            point_of = runs.set_index(runs["run_id"].astype(str))["point"]
            labelled = series.assign(_point=series["run_id"].map(point_of))
            frames = {}
            for point, rows in labelled.dropna(subset=["_point"]).groupby("_point", sort=True):
                label = ", ".join(f"{p}={_fmt_value(points.at[point, p])}" for p in params)
                frames[label or str(point)] = rows
            if frames:
                figures["integrity_by_point"] = figure_series_bands(
                    frames, "integrity", "Integrity (0-1)",
                    title="Integrity of completed processes by sweep point (12-month mean)")
    return figures


def build_figures(data: ResultsData, *, metric: str = "integrity_mean") -> dict[str, Figure]:
    """The standard figures for what `data` holds, as {file stem: Figure}, not yet saved.

    `metric` is the summary key a sweep's heatmap shows (and the first in its line plots).
    """
    figures: dict[str, Figure] = {}
    if data.layout == "sweep":
        if not data.parameters:
            raise InputError("runs.parquet has no varied parameter columns (dotted names)",
                             source=str(data.source))
        figures.update(_sweep_figures(data, metric))
    elif data.series is not None:
        figures.update(_series_figures(data.series, data.episodes))
    if not figures:
        raise InputError("found tables but none of the columns the figures need",
                         source=str(data.source))
    return figures


def plot_results(results_dir: str | Path, out: str | Path | None = None,
                 formats: Iterable[str] = ("png", "svg"), *,
                 metric: str = "integrity_mean") -> list[Path]:
    """Draw the standard figures for a results folder and return the files written.

    The folder may be a run folder, a folder of run folders, a folder with series.parquet, or a
    sweep folder (see `load_results`). Figures go to `out` (default `<results_dir>/figures`),
    one file per figure and format: integrity_pressure, market_share, responses,
    episodes_by_type and field for runs and series; heatmap_<metric> (two or more varied
    parameters) or sweep_<parameter> (one) for sweeps, plus integrity_by_point when the sweep
    kept its series and has at most 8 points.

    Raises:
        InputError: a missing or unreadable folder, nothing to draw, or an unknown format.
    """
    chosen = _check_formats(formats)
    data = load_results(results_dir)
    target = Path(out) if out is not None else data.source / "figures"
    written: list[Path] = []
    figures = build_figures(data, metric=metric)
    for name, fig in figures.items():
        written.extend(save_figure(fig, target / name, chosen))
    return written
