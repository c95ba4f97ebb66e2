"""Figures of a scenario comparison: the forest plot of differences from the baseline, and the
series of the scenarios side by side with bands across replications (`draw_figures`, the
figures `dmpsim compare` writes)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from ..analysis.results import MAIN_METRICS, Comparison
from ..errors import InputError
from .series import figure_series_bands
from .style import _figure_legend, _new_figure, _suptitle, metric_label, save_figure

__all__ = ["BAND_FIGURES", "BAND_GROUP", "BAND_TITLES", "EFFECT_COLUMNS", "draw_figures",
           "figure_effects"]

EFFECT_COLUMNS = ("scenario", "metric", "diff", "diff_low", "diff_high", "significant")


def figure_effects(table: pd.DataFrame, out: str | Path | None = None, *,
                   title: str | None = None, formats: Iterable[str] = ("png", "svg")) -> Figure:
    """Forest plot of paired differences from the baseline, one panel per metric.

    `table` has one row per (scenario, metric) with columns

    - `scenario`: the scenario compared with the baseline;
    - `metric`: the summary key compared (panels, labelled via `METRIC_LABELS`);
    - `diff`, `diff_low`, `diff_high`: the difference scenario minus baseline and its interval;
    - `significant`: whether the interval excludes zero (drawn as a filled marker; open if
      not, or missing);
    - optional `baseline`: the baseline's label (used in the axis label).

    This is the shape of `dmpsim.analysis.stats.compare_table`; rows without a difference (the
    baseline's own rows) are left out. When `out` is given the figure is also written there in
    each of `formats` (see `save_figure`). Returns the Figure.
    """
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"expected a DataFrame, got {type(table).__name__}", key="table")
    missing = [c for c in EFFECT_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(f"lacks column(s) {', '.join(missing)}", key="table")
    rows = table[table["diff"].notna()].copy()
    if rows.empty:
        raise InputError("has no differences to draw (every diff is missing)", key="table")
    rows["significant"] = rows["significant"].astype("boolean").fillna(False).astype(bool)
    baseline = ""
    if "baseline" in rows.columns and rows["baseline"].notna().any():
        baseline = str(rows["baseline"].dropna().iloc[0])
    metrics = list(pd.unique(rows["metric"]))
    scenarios = list(pd.unique(rows["scenario"]))
    panel_height = max(2.4, 0.42 * len(scenarios) + 1.4)
    fig, axes = _new_figure(len(metrics), 2, (5.4, panel_height))
    for ax, metric in zip(axes, metrics, strict=True):
        mine = rows[rows["metric"] == metric].set_index("scenario").reindex(scenarios)
        y = np.arange(len(scenarios))[::-1]
        ax.axvline(0.0, color="0.5", linestyle="--", linewidth=1)
        for yi, (_, row) in zip(y, mine.iterrows(), strict=True):
            if not np.isfinite(row["diff"]):
                continue
            ax.plot([row["diff_low"], row["diff_high"]], [yi, yi], color="black", linewidth=1.5,
                    solid_capstyle="butt")
            ax.plot([row["diff"]], [yi], marker="o", markersize=7, color="black",
                    markerfacecolor="black" if row["significant"] else "white")
        ax.set_yticks(y, [str(s) for s in scenarios])
        ax.set_ylim(-0.7, len(scenarios) - 0.3)
        name = metric_label(str(metric))
        unit = f" ({name.rsplit('(', 1)[1]}" if "(" in name else ""
        ax.set_xlabel(f"Difference from {baseline or 'baseline'}{unit}")
        ax.set_ylabel("Scenario")
        ax.set_title(name.split(" (")[0])
    handles = [Line2D([], [], marker="o", color="black", markerfacecolor=face, linestyle="-")
               for face in ("black", "white")]
    _figure_legend(fig, handles, ["Difference (interval excludes 0)",
                                  "Difference (interval includes 0)"], ncol=2)
    default = f"Differences from {baseline}" if baseline else "Differences from the baseline"
    _suptitle(fig, title, f"{default} (paired by replication, with intervals)")
    if out is not None:
        save_figure(fig, out, formats)
    return fig


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


def _chunks(names: list[str], baseline: str) -> list[list[str]]:
    others = [n for n in names if n != baseline]
    groups = [others[i:i + BAND_GROUP] for i in range(0, len(others), BAND_GROUP)] or [[]]
    return [[baseline, *g] for g in groups]


def _fewer_ticks(fig: Figure) -> None:
    """At most five x ticks a panel: small differences have long tick labels that collide."""
    for ax in fig.axes:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))


def draw_figures(comparison: Comparison, folder: Path) -> dict[str, list[Path]]:
    """The effects forest plot and the band figures (PNG and SVG), by figure stem."""
    written: dict[str, list[Path]] = {}
    table = comparison.table[comparison.table["metric"].isin(MAIN_METRICS)]
    if table["diff"].notna().any():
        fig = figure_effects(
            table, title=f"Differences from {comparison.baseline} (paired by replication, "
                         f"95% bootstrap intervals; {comparison.replications} replications)")
        _fewer_ticks(fig)
        written["effects"] = save_figure(fig, folder / "effects")
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
            fig = figure_series_bands(
                frames, column, ylabel, rolling=rolling,
                title=f"{BAND_TITLES[column]}{suffix}")
            stem = f"{column}_{i}" if len(chunks) > 1 else column
            written[stem] = save_figure(fig, folder / stem)
    return written
