"""Figures of a scenario comparison: the forest plot of differences from the baseline, the
series of the scenarios side by side with bands across replications, and, across a calibrated
ensemble, each difference's distribution over the members (`draw_figures`, the figures
`dmpsim compare` writes)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator

from ..analysis.ensemble import paired_differences
from ..analysis.results import MAIN_METRICS, Comparison
from ..errors import InputError
from .series import figure_series_bands
from .style import (
    _figure_legend,
    _group_style,
    _new_figure,
    _suptitle,
    metric_label,
    save_figure,
)

__all__ = ["BAND_FIGURES", "BAND_GROUP", "BAND_TITLES", "EFFECT_COLUMNS", "MEMBER_COLUMNS",
           "draw_figures", "ensemble_differences", "figure_effects",
           "figure_ensemble_differences"]

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


MEMBER_COLUMNS = ("scenario", "output", "member", "difference")


def _horizontal_box(ax: Axes, values: np.ndarray, y: float, height: float) -> None:
    """A box plot of `values` at height `y`: the quartiles as a box, the median as a line, the
    whiskers to the furthest values within 1.5 IQR of the box (Tukey's). Drawn by hand, not
    with `Axes.boxplot`, whose orientation argument changed between matplotlib 3.8 and 3.10."""
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    iqr = q3 - q1
    low = values[values >= q1 - 1.5 * iqr].min()
    high = values[values <= q3 + 1.5 * iqr].max()
    half = height / 2
    ax.add_patch(Rectangle((q1, y - half), q3 - q1, height, facecolor="0.9", edgecolor="0.35",
                           zorder=2))
    ax.plot([median, median], [y - half, y + half], color="black", linewidth=1.5, zorder=2)
    for start, end, cap in ((low, q1, low), (q3, high, high)):
        ax.plot([start, end], [y, y], color="0.35", linewidth=1, zorder=1)
        ax.plot([cap, cap], [y - half / 2, y + half / 2], color="0.35", linewidth=1, zorder=1)


def figure_ensemble_differences(differences: pd.DataFrame, out: str | Path | None = None, *,
                                baseline: str = "", scenarios: Sequence[str] | None = None,
                                outputs: Sequence[str] | None = None, title: str | None = None,
                                ncols: int = 2, ylabel: str = "Scenario",
                                xlabel: str | None = None,
                                formats: Iterable[str] = ("png", "svg")) -> Figure:
    """Each scenario's difference from the baseline in every ensemble member, one panel per
    output: a box (quartiles, whiskers to the furthest member within 1.5 IQR) and every
    member as a point, with the zero line dashed.

    `differences` has one row per (scenario, output, member) with columns `scenario`,
    `output`, `member` and `difference` (scenario minus baseline in that member), the shape of
    `dmpsim.analysis.ensemble.paired_differences`. `scenarios` and `outputs` fix the order
    (default: as they first appear); colours and markers follow the scenario's place among
    ``[baseline, *scenarios]``, as in the band figures. `ylabel` names the rows, `xlabel`
    the difference (default "Difference from BASELINE"; the output's unit is added). When `out`
    is given the figure is also written there in each of `formats`. Returns the Figure.
    """
    if not isinstance(differences, pd.DataFrame):
        raise InputError(f"expected a DataFrame, got {type(differences).__name__}",
                         key="differences")
    missing = [c for c in MEMBER_COLUMNS if c not in differences.columns]
    if missing:
        raise InputError(f"lacks column(s) {', '.join(missing)}", key="differences")
    rows = differences[np.isfinite(pd.to_numeric(differences["difference"], errors="coerce"))]
    if rows.empty:
        raise InputError("has no differences to draw (every difference is missing)",
                         key="differences")
    scenarios = list(scenarios) if scenarios is not None else list(pd.unique(rows["scenario"]))
    outputs = list(outputs) if outputs is not None else list(pd.unique(rows["output"]))
    outputs = [o for o in outputs if (rows["output"] == o).any()]
    panel_height = max(2.4, 0.42 * len(scenarios) + 1.4)
    fig, axes = _new_figure(len(outputs), ncols, (5.4, panel_height))
    y = np.arange(len(scenarios))[::-1]
    for ax, output in zip(axes, outputs, strict=True):
        mine = rows[rows["output"] == output]
        ax.axvline(0.0, color="0.5", linestyle="--", linewidth=1)
        for i, (yi, scenario) in enumerate(zip(y, scenarios, strict=True)):
            d = mine.loc[mine["scenario"] == scenario].sort_values("member")
            values = d["difference"].to_numpy(float)
            if values.size == 0:
                continue
            style = _group_style(i + 1)         # 0 is the baseline's, as in the band figures
            _horizontal_box(ax, values, yi, 0.55)
            # Members spread evenly across the box's height, in member order (no random
            # jitter: the same results give the same figure).
            offsets = (np.linspace(-0.2, 0.2, values.size) if values.size > 1
                       else np.zeros(1))
            ax.scatter(values, yi + offsets, s=16, color=style["color"],
                       marker=style["marker"], alpha=0.8, linewidths=0, zorder=3)
        ax.set_yticks(y, [str(s) for s in scenarios])
        ax.set_ylim(-0.7, len(scenarios) - 0.3)
        name = metric_label(str(output))
        unit = f" ({name.rsplit('(', 1)[1]}" if "(" in name else ""
        ax.set_xlabel(f"{xlabel or 'Difference from ' + (baseline or 'baseline')}{unit}")
        ax.set_ylabel(ylabel)
        ax.set_title(name.split(" (")[0])
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
    handles = [Line2D([], [], marker="o", color="0.3", linestyle="", markersize=5),
               Patch(facecolor="0.9", edgecolor="0.35"),
               Line2D([], [], color="0.5", linestyle="--")]
    _figure_legend(fig, handles, ["One ensemble member (its parameters and seed)",
                                  "Quartiles and median over the members", "No difference"],
                   ncol=3)
    against = baseline or "the baseline"
    _suptitle(fig, title, f"Differences from {against} in each member of the ensemble")
    if out is not None:
        save_figure(fig, out, formats)
    return fig


def ensemble_differences(comparison: Comparison,
                         outputs: Sequence[str] = MAIN_METRICS) -> pd.DataFrame:
    """Each scenario's member-by-member difference from the baseline in `outputs`
    (`dmpsim.analysis.ensemble.paired_differences` on the comparison's runs); a member whose
    run failed in either scenario is left out of that pair."""
    return paired_differences(comparison.member_runs(), comparison.baseline, list(outputs),
                              incomplete="drop")


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
    if comparison.ensemble is not None:
        differences = ensemble_differences(comparison)
        if not differences.empty:
            members = comparison.replications
            fig = figure_ensemble_differences(
                differences, baseline=comparison.baseline,
                scenarios=[n for n in comparison.names if n != comparison.baseline],
                outputs=MAIN_METRICS,
                title=f"Differences from {comparison.baseline} in each of the {members} members "
                      "of the ensemble (each member: its parameters and seed, one run per "
                      "scenario)")
            written["ensemble_differences"] = save_figure(fig, folder / "ensemble_differences")
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
