"""Figures of series over time: one run, replications with bands, or scenarios side by side.

Time-series inputs ("series") are long tables with a `step` column (month, from 1), the columns
of the model table (`dmpsim.experiments.tables.MODEL_COLUMN_DOCS`), and, when they hold several runs, a run
identity column: `run_id`, else `replication`, else `seed`. A `scenario` column, when present,
splits the rows into groups drawn side by side (a comparison). Builders also accept a mapping
from group label to such a table. Each returns a matplotlib `Figure`, not yet saved
(`dmpsim.viz.style.save_figure` writes one).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from ..errors import InputError
from ..io.results import GROUP_COLUMN, run_column
from ..model.params import KINDS, PRESSURE_TYPES, RESPONSES
from .style import (
    BAND_LABEL,
    KIND_COLOURS,
    KIND_HATCHES,
    KIND_LABELS,
    KIND_LINESTYLES,
    KIND_MARKERS,
    MAX_GROUPS,
    MAX_PANELS,
    PRESSURE_LABELS,
    RESPONSE_COLOURS,
    RESPONSE_HATCHES,
    RESPONSE_LABELS,
    RESPONSE_LINESTYLES,
    RESPONSE_MARKERS,
    _figure_legend,
    _group_style,
    _new_figure,
    _suptitle,
    metric_label,
    save_figure,
)

__all__ = [
    "RATE_WEIGHTS",
    "figure_episodes_by_type",
    "figure_field",
    "figure_integrity_pressure",
    "figure_market_share",
    "figure_responses",
    "figure_series_bands",
]

#: Model columns that are rates over the processes completed in a month: their 12-month value
#: is weighted by the processes completed, so a month with one process does not count as much
#: as a month with ten (and months with none, where the rate is NaN, drop out).
RATE_WEIGHTS = {"integrity": "contracts_completed", "pressure_share": "contracts_completed"}


def _run_ids(frame: pd.DataFrame) -> pd.Series:
    """Run identity of each row; a table without a run column is one run."""
    col = run_column(frame)
    if col is None:
        return pd.Series("run", index=frame.index)
    return frame[col].astype(str)


def _as_frames(data: pd.DataFrame | Mapping[str, pd.DataFrame], what: str = "series"
               ) -> dict[str, pd.DataFrame]:
    """Series input as {group label: long table}; a `scenario` column splits a single table."""
    if isinstance(data, Mapping):
        frames = {str(k): v for k, v in data.items()}
    elif isinstance(data, pd.DataFrame):
        if GROUP_COLUMN in data.columns and data[GROUP_COLUMN].nunique() > 1:
            frames = {str(k): g for k, g in data.groupby(GROUP_COLUMN, sort=False)}
        else:
            frames = {"": data}
    else:
        raise InputError(f"expected a DataFrame or a dict of DataFrames, got {type(data).__name__}",
                         key=what)
    if not frames:
        raise InputError("no series given", key=what)
    for name, frame in frames.items():
        if not isinstance(frame, pd.DataFrame) or frame.empty:
            raise InputError(f"series {name!r} is empty", key=what)
        if "step" not in frame.columns:
            raise InputError(f"series {name!r} has no 'step' column", key=what)
    return frames


def _require(frames: Mapping[str, pd.DataFrame], columns: Iterable[str], what: str) -> None:
    for name, frame in frames.items():
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            where = f"series {name!r}" if name else "series"
            raise InputError(f"{where} lacks column(s) {', '.join(missing)}", key=what)


def _limit_groups(frames: dict[str, pd.DataFrame],
                  limit: int) -> tuple[dict[str, pd.DataFrame], str]:
    if len(frames) <= limit:
        return frames, ""
    kept = dict(list(frames.items())[:limit])
    return kept, f" (first {limit} of {len(frames)} shown)"


def _run_matrix(frame: pd.DataFrame, column: str, *, rolling: int = 12,
                agg: Literal["mean", "sum"] = "mean", weight: str | None = None) -> pd.DataFrame:
    """Steps x runs table of `column`, each run smoothed over the last `rolling` months.

    With a `weight` column the smoothed value is the weighted mean over the window (for rates
    over completed processes); `agg="sum"` gives totals over the window (counts per year for
    `rolling=12`). The window is in months, not rows, so series that a sweep sampled every few
    months (its `outputs.interval`) are smoothed over the same span; their totals are scaled by
    the sampling interval, an estimate, since the months between samples were not kept.
    """
    ids = _run_ids(frame)
    columns = {}
    span = f"{max(1, rolling)}D"
    for run, rows in frame.groupby(ids, sort=False):
        rows = rows.sort_values("step")
        steps = rows["step"].to_numpy()
        # One "day" per month: pandas rolls over a time span only on a time-like index.
        index = pd.to_timedelta(steps, unit="D")
        values = pd.Series(pd.to_numeric(rows[column], errors="coerce").to_numpy(dtype=float),
                           index=index)
        if weight is not None and weight in rows.columns:
            w = pd.Series(pd.to_numeric(rows[weight], errors="coerce").to_numpy(dtype=float),
                          index=index).fillna(0.0)
            num = (values.fillna(0.0) * w).rolling(span, min_periods=1).sum()
            den = w.rolling(span, min_periods=1).sum()
            smoothed = num / den.where(den > 0)
        elif agg == "sum":
            smoothed = values.rolling(span, min_periods=1).sum() * _sampling_interval(steps)
        else:
            smoothed = values.rolling(span, min_periods=1).mean()
        columns[run] = pd.Series(smoothed.to_numpy(), index=steps)
    return pd.DataFrame(columns).sort_index()


def _sampling_interval(steps: np.ndarray) -> float:
    """Months between a run's rows: 1 for a full series, `interval` for a sampled one."""
    gaps = np.diff(np.sort(np.asarray(steps, dtype=float)))
    return float(np.median(gaps)) if len(gaps) else 1.0


def _draw_band(ax: Axes, matrix: pd.DataFrame, style: Mapping[str, Any], label: str) -> None:
    """Median line across runs and a shaded 10-90% band (just the line for a single run)."""
    years = matrix.index.to_numpy(dtype=float) / 12.0
    markevery = max(1, len(years) // 8)
    colour = style.get("color", "black")
    if matrix.shape[1] > 1:
        q = matrix.quantile([0.1, 0.5, 0.9], axis=1).T
        ax.fill_between(years, q[0.1].to_numpy(), q[0.9].to_numpy(), color=colour, alpha=0.2,
                        linewidth=0, label="_band")
        centre = q[0.5].to_numpy()
    else:
        centre = matrix.iloc[:, 0].to_numpy()
    ax.plot(years, centre, label=label, markevery=markevery, markersize=4, linewidth=1.6,
            **style)


def _category_bands(ax: Axes, frame: pd.DataFrame,
                    lines: Iterable[tuple[str, Mapping[str, Any], str]], *, rolling: int,
                    agg: Literal["mean", "sum"] = "mean") -> int:
    """One median line and band per (column, style, label) of one group's runs; returns the
    largest number of runs behind a line."""
    n_max = 0
    for column, style, label in lines:
        matrix = _run_matrix(frame, column, rolling=rolling, agg=agg)
        n_max = max(n_max, matrix.shape[1])
        _draw_band(ax, matrix, style, label)
    return n_max


def _legend(ax: Axes, handles: list[Any] | None = None, labels: list[str] | None = None) -> None:
    """A legend inside the axes when short; beside it when long enough to hide the data."""
    if handles is None or labels is None:
        handles, labels = ax.get_legend_handles_labels()
    if len(labels) >= 4:
        ax.legend(handles, labels, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  frameon=False)
    else:
        ax.legend(handles, labels, fontsize="small", loc="best", framealpha=0.85)


def _band_handles(ax: Axes, n_runs: int, many_groups: bool) -> tuple[list[Any], list[str]]:
    """Legend entries for a bands panel: the lines, plus a grey swatch standing for the bands."""
    handles, labels = ax.get_legend_handles_labels()
    if n_runs > 1:
        handles.append(Patch(facecolor="0.6", alpha=0.4, linewidth=0))
        # With one group the line's own label says "median"; with several it names the group.
        labels.append(f"{BAND_LABEL} (lines: medians)" if many_groups else BAND_LABEL)
    return handles, labels


def _finish_band_legend(ax: Axes, n_runs: int, many_groups: bool) -> None:
    handles, labels = _band_handles(ax, n_runs, many_groups)
    if len(handles) > 1 or many_groups:
        _legend(ax, handles, labels)


def _clamp_unit(ax: Axes) -> None:
    """Let a 0-1 quantity autoscale (so differences show) but never past 0 or 1."""
    low, high = ax.get_ylim()
    ax.set_ylim(max(low, 0.0), min(high, 1.02))


def _centre_label(n_runs: int, name: str = "") -> str:
    base = f"{name}: " if name else ""
    if n_runs > 1:
        return f"{base}median of {n_runs} runs"
    return f"{name}" if name else "one run"


def _n_runs(frame: pd.DataFrame) -> int:
    return int(_run_ids(frame).nunique())


def _years_per_run(frame: pd.DataFrame) -> pd.Series:
    """Length of each run in years (from its last step)."""
    return frame.groupby(_run_ids(frame))["step"].max().astype(float) / 12.0


def figure_series_bands(
    frames_by_scenario: Mapping[str, pd.DataFrame] | pd.DataFrame,
    column: str,
    ylabel: str,
    out: str | Path | None = None,
    *,
    title: str | None = None,
    rolling: int = 12,
    agg: Literal["mean", "sum"] = "mean",
    weight: str | None = "auto",
    ylim: tuple[float, float] | None = None,
    formats: Iterable[str] = ("png", "svg"),
) -> Figure:
    """One panel: `column` over time for each scenario, median across replications and a band.

    `frames_by_scenario` maps a scenario label to a long table with columns `step` (month, from
    1), `column`, and a run identity (`run_id`, `replication` or `seed`; a table without one is
    a single run). A single DataFrame with a `scenario` column is split by it. Each run is
    smoothed over the last `rolling` months (`agg` "mean", or "sum" for counts per window;
    `rolling=1` for stocks such as `field_experience`); the line is the median across runs and
    the shaded band the 10th-90th percentile across runs. `weight="auto"` weights the rates in
    `RATE_WEIGHTS` (integrity, pressure share) by the processes completed; pass a column name to
    choose, or None for a plain mean.

    The x axis is in years. When `out` is given the figure is also written there in each of
    `formats` (see `save_figure`). Returns the Figure either way.
    """
    frames = _as_frames(frames_by_scenario)
    _require(frames, [column], "column")
    frames, note = _limit_groups(frames, MAX_GROUPS)
    if weight == "auto":
        weight = RATE_WEIGHTS.get(column)
    fig, (ax,) = _new_figure(1, 1, (7.0, 4.2))
    many = len(frames) > 1
    n_max = 0
    for i, (name, frame) in enumerate(frames.items()):
        matrix = _run_matrix(frame, column, rolling=rolling, agg=agg, weight=weight)
        n_max = max(n_max, matrix.shape[1])
        label = name if many else _centre_label(matrix.shape[1])
        _draw_band(ax, matrix, _group_style(i), label or column)
    handles, labels = _band_handles(ax, n_max, many)
    longest = max((len(label) for label in labels if not label.startswith(BAND_LABEL)), default=0)
    if len(labels) >= 4 or longest > 28:
        # Many or long scenario names: below the plot, where they take no width from it.
        _figure_legend(fig, handles, labels, ncol=3)
    elif len(labels) > 1 or many:
        _legend(ax, handles, labels)
    ax.set_xlabel("Year")
    ax.set_ylabel(ylabel)
    if ylim is not None:
        ax.set_ylim(*ylim)
    window = f"{rolling}-month {'total' if agg == 'sum' else 'mean'}" if rolling > 1 else ""
    default = f"{metric_label(column)}{f' ({window})' if window else ''}{note}"
    # About nine characters an inch at the axes title's size: wrap rather than clip.
    ax.set_title(textwrap.fill(title or default, int(fig.get_figwidth() * 9)))
    if out is not None:
        save_figure(fig, out, formats)
    return fig


def _bands_panel(ax: Axes, frames: Mapping[str, pd.DataFrame], column: str, *, ylabel: str,
                 title: str, rolling: int, agg: Literal["mean", "sum"] = "mean") -> None:
    """Draw `column` for each group into `ax`: medians and 10-90% bands across runs."""
    many = len(frames) > 1
    n_max = 0
    for i, (name, frame) in enumerate(frames.items()):
        matrix = _run_matrix(frame, column, rolling=rolling, agg=agg,
                             weight=RATE_WEIGHTS.get(column))
        n_max = max(n_max, matrix.shape[1])
        _draw_band(ax, matrix, _group_style(i), name if many else _centre_label(matrix.shape[1]))
    _finish_band_legend(ax, n_max, many)
    ax.set_xlabel("Year")
    ax.set_ylabel(ylabel)
    ax.set_title(title)


def figure_integrity_pressure(series: pd.DataFrame | Mapping[str, pd.DataFrame], *,
                              title: str | None = None) -> Figure:
    """Integrity, pressure and public confidence over time, with bands across replications.

    Integrity and the share of processes that met pressure are 12-month values weighted by the
    processes completed; public confidence is drawn as it stands (a level, not a rate). Needs
    `integrity` and `pressure_share`; `public_confidence` is drawn when present.
    """
    frames = _as_frames(series)
    _require(frames, ["integrity", "pressure_share"], "series")
    frames, note = _limit_groups(frames, MAX_GROUPS)
    panels = [
        ("integrity", "Integrity (0-1)",
         "Integrity of completed processes (12-month mean)", 12),
        ("pressure_share", "Share of processes (0-1)",
         "Completed processes that met pressure (12-month share)", 12),
    ]
    if all("public_confidence" in f.columns for f in frames.values()):
        panels.append(("public_confidence", "Confidence (0-1)",
                       "Public confidence in mini-publics", 1))
    fig, axes = _new_figure(len(panels), 1, (7.0, 2.9))
    for ax, (column, ylabel, panel_title, rolling) in zip(axes, panels, strict=True):
        _bands_panel(ax, frames, column, ylabel=ylabel, title=panel_title, rolling=rolling)
        _clamp_unit(ax)
    _suptitle(fig, title, f"Integrity and pressure over time{note}")
    return fig


def _mean_shares(frame: pd.DataFrame) -> pd.DataFrame:
    """Steps x kinds: mean share of value across runs, renormalised to sum to 1.

    A run with no contracts in the last 12 months has no shares (NaN) and is left out of that
    month's mean; the renormalisation undoes small drifts from averaging. Months without any
    contract in any run stay at zero (a visible gap, not an invented split).
    """
    cols = [f"share_value_{k}" for k in KINDS]
    means = frame.groupby("step")[cols].mean()
    total = means.sum(axis=1)
    shares = means.div(total.where(total > 0), axis=0).fillna(0.0)
    shares.columns = list(KINDS)
    return shares


def figure_market_share(series: pd.DataFrame | Mapping[str, pd.DataFrame], *,
                        title: str | None = None) -> Figure:
    """Market share by practitioner kind (share of contract value over the last 12 months).

    Stacked areas, one panel per scenario; with several replications the shares are their mean.
    Needs the `share_value_<kind>` columns.
    """
    frames = _as_frames(series)
    _require(frames, [f"share_value_{k}" for k in KINDS], "series")
    frames, note = _limit_groups(frames, MAX_PANELS)
    fig, axes = _new_figure(len(frames), 2, (6.0, 3.6))
    for ax, (name, frame) in zip(axes, frames.items(), strict=True):
        shares = _mean_shares(frame)
        years = shares.index.to_numpy(dtype=float) / 12.0
        # White edges make the hatches white: visible on every colour and in grey-scale.
        stacks = ax.stackplot(years, shares.to_numpy().T, labels=[KIND_LABELS[k] for k in KINDS],
                              colors=[KIND_COLOURS[k] for k in KINDS], edgecolor="white",
                              linewidth=0.4)
        for area, kind in zip(stacks, KINDS, strict=True):
            area.set_hatch(KIND_HATCHES[kind])
        n = _n_runs(frame)
        ax.set_xlabel("Year")
        ax.set_ylabel("Share of value, last 12 months (0-1)")
        ax.set_ylim(0, 1)
        ax.set_xlim(years.min(), years.max())
        where = f"{name}: " if name else ""
        ax.set_title(f"{where}{'mean of ' + str(n) + ' runs' if n > 1 else 'one run'}")
    _figure_legend(fig, *axes[0].get_legend_handles_labels(), ncol=len(KINDS))
    _suptitle(fig, title, f"Market share by practitioner kind{note}")
    return fig


def _response_bars(ax: Axes, episodes: pd.DataFrame, group_order: Sequence[str]) -> None:
    """Horizontal stacked bars: share of each response, one bar per practitioner kind."""
    rows = []
    for group in group_order:
        eps = episodes if not group else episodes[episodes[GROUP_COLUMN].astype(str) == group]
        for kind in KINDS:
            mine = eps[eps["practitioner_kind"] == kind]
            if mine.empty:
                continue  # no episodes, no shares to show
            counts = mine["response"].value_counts()
            label = KIND_LABELS[kind] if not group else f"{group}: {KIND_LABELS[kind]}"
            rows.append((label, len(mine), [counts.get(r, 0) / len(mine) for r in RESPONSES]))
    rows.reverse()  # barh draws bottom-up; keep the kinds' usual order top-down
    y = np.arange(len(rows))
    left = np.zeros(len(rows))
    for j, response in enumerate(RESPONSES):
        widths = np.array([r[2][j] for r in rows])
        ax.barh(y, widths, left=left, color=RESPONSE_COLOURS[response],
                hatch=RESPONSE_HATCHES[response], edgecolor="white", linewidth=0.5,
                label=RESPONSE_LABELS[response])
        left += widths
    ax.set_yticks(y, [f"{r[0]}\n(n={r[1]})" for r in rows])
    ax.set_xlim(0, 1)
    ax.set_xlabel("Share of pressure episodes (0-1)")
    ax.set_ylabel("Lead practitioner kind")
    ax.set_title("Responses by practitioner kind")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, fontsize="small",
              frameon=False)


def _response_lines(ax: Axes, frame: pd.DataFrame, name: str) -> int:
    """Responses of each kind in the last 12 months, median across runs; returns the run count.

    No legend here: the panels share one, below the figure."""
    n_max = _category_bands(ax, frame, [
        (f"response_{response}",
         {"color": RESPONSE_COLOURS[response], "linestyle": RESPONSE_LINESTYLES[response],
          "marker": RESPONSE_MARKERS[response]},
         RESPONSE_LABELS[response]) for response in RESPONSES], rolling=12, agg="sum")
    ax.set_xlabel("Year")
    ax.set_ylabel("Responses in last 12 months (count)")
    runs = f"median of {n_max} runs" if n_max > 1 else "one run"
    ax.set_title(f"{name or 'Over time'}: {runs}")
    return n_max


def figure_responses(series: pd.DataFrame | Mapping[str, pd.DataFrame] | None = None,
                     episodes: pd.DataFrame | None = None, *, title: str | None = None) -> Figure:
    """Practitioners' responses to pressure.

    From `episodes` (the episodes table, with `practitioner_kind` and `response`; a `scenario`
    column splits it): stacked bars of each response's share per practitioner kind. From
    `series` (needs `response_<response>` columns): responses per year over time, one panel
    per scenario. Either or both may be given.
    """
    panels: list[tuple[str, Any]] = []
    if episodes is not None:
        missing = [c for c in ("practitioner_kind", "response") if c not in episodes.columns]
        if missing:
            raise InputError(f"lacks column(s) {', '.join(missing)}", key="episodes")
        if not episodes.empty:
            groups = ([str(g) for g in pd.unique(episodes[GROUP_COLUMN])]
                      if GROUP_COLUMN in episodes.columns and episodes[GROUP_COLUMN].nunique() > 1
                      else [""])
            panels.append(("bars", groups))
    note = ""
    if series is not None:
        frames = _as_frames(series)
        _require(frames, [f"response_{r}" for r in RESPONSES], "series")
        frames, note = _limit_groups(frames, MAX_PANELS)
        panels.extend(("lines", (name, frame)) for name, frame in frames.items())
    if not panels:
        raise InputError("no episodes and no series with response counts to draw",
                         key="responses")
    fig, axes = _new_figure(len(panels), 2, (6.0, 4.0))
    line_axes: list[Axes] = []
    n_max = 0
    for ax, (kind, payload) in zip(axes, panels, strict=True):
        if kind == "bars":
            _response_bars(ax, episodes, payload)  # type: ignore[arg-type]
        else:
            if line_axes:
                ax.sharey(line_axes[0])  # scenarios on one scale
            n_max = max(n_max, _response_lines(ax, payload[1], payload[0]))
            line_axes.append(ax)
    if line_axes:
        handles, labels = line_axes[0].get_legend_handles_labels()
        if n_max > 1:
            handles.append(Patch(facecolor="0.6", alpha=0.4, linewidth=0))
            labels.append(f"{BAND_LABEL} (lines: medians)")
        _figure_legend(fig, handles, labels, ncol=min(len(labels), 6))
    _suptitle(fig, title, f"Responses to pressure{note}")
    return fig


def _per_year_by_type(frame: pd.DataFrame) -> pd.DataFrame:
    """Runs x pressure types: episodes per year of run, from `episodes_<type>` columns.

    A series sampled every few months gives an estimate: its counts times the interval."""
    cols = [f"episodes_{t}" for t in PRESSURE_TYPES]
    grouped = frame.groupby(_run_ids(frame))
    scale = grouped["step"].agg(lambda st: _sampling_interval(st.to_numpy()))
    totals = grouped[cols].sum().mul(scale, axis=0)
    totals.columns = list(PRESSURE_TYPES)
    return totals.div(_years_per_run(frame), axis=0)


def _whiskers(per_run: pd.DataFrame, centre: np.ndarray | None = None) -> np.ndarray | None:
    """Error-bar offsets from the bar's end (default the mean) to the 10th and 90th percentiles
    across runs; None for a single run, which has no spread to show."""
    if len(per_run) < 2:
        return None
    mid = per_run.mean().to_numpy() if centre is None else centre
    lo, hi = per_run.quantile(0.1).to_numpy(), per_run.quantile(0.9).to_numpy()
    return np.vstack([np.clip(mid - lo, 0, None), np.clip(hi - mid, 0, None)])


def figure_episodes_by_type(series: pd.DataFrame | Mapping[str, pd.DataFrame],
                            episodes: pd.DataFrame | None = None, *,
                            title: str | None = None) -> Figure:
    """Pressure episodes by type, per year of run (mean across runs; whiskers 10-90% of runs).

    `series` gives the runs and their lengths (and, when `episodes` is not given, the counts
    from its `episodes_<type>` columns). With `episodes` for a single scenario (its `type` and
    `practitioner_kind` columns, and a run column matching the series') the bars are split by
    the lead practitioner's kind; with several scenarios the bars are grouped by scenario.
    """
    frames = _as_frames(series)
    frames, note = _limit_groups(frames, MAX_GROUPS)
    fig, (ax,) = _new_figure(1, 1, (7.0, 4.6))
    y = np.arange(len(PRESSURE_TYPES))[::-1]  # first type at the top
    split_by_kind = (episodes is not None and len(frames) == 1
                     and {"type", "practitioner_kind"} <= set(episodes.columns))
    if split_by_kind:
        (frame,) = frames.values()
        years = _years_per_run(frame)
        eps = episodes.copy()
        eps["_run"] = _run_ids(eps) if run_column(eps) else next(iter(years.index))
        counts = eps.groupby(["_run", "type"]).size().unstack(fill_value=0)
        counts = counts.reindex(index=years.index, columns=list(PRESSURE_TYPES), fill_value=0)
        per_run = counts.div(years, axis=0)
        left = np.zeros(len(PRESSURE_TYPES))
        for kind in KINDS:
            mine = eps[eps["practitioner_kind"] == kind].groupby("type").size()
            widths = (mine.reindex(list(PRESSURE_TYPES), fill_value=0) / years.sum()).to_numpy()
            ax.barh(y, widths, left=left, color=KIND_COLOURS[kind], hatch=KIND_HATCHES[kind],
                    edgecolor="white", linewidth=0.5, label=f"Lead: {KIND_LABELS[kind]}")
            left += widths
        # The bars pool all runs (episodes over run-years); the whiskers show the spread of
        # the runs' own rates around that.
        err = _whiskers(per_run, left)
        if err is not None:
            ax.errorbar(left, y, xerr=err, fmt="none", ecolor="black", capsize=3, linewidth=1,
                        label=BAND_LABEL + " (total)")
        runs = len(per_run)
    else:
        _require(frames, [f"episodes_{t}" for t in PRESSURE_TYPES], "series")
        height = 0.8 / len(frames)
        runs = 0
        for i, (name, frame) in enumerate(frames.items()):
            per_run = _per_year_by_type(frame)
            runs = max(runs, len(per_run))
            offset = (len(frames) - 1) / 2 * height - i * height
            style = _group_style(i)
            ax.barh(y + offset, per_run.mean().to_numpy(), height=height, color=style["color"],
                    hatch=KIND_HATCHES[KINDS[i % len(KINDS)]], edgecolor="white", linewidth=0.5,
                    label=name or "Mean of runs", xerr=_whiskers(per_run), capsize=3,
                    error_kw={"linewidth": 1})
        if runs > 1:
            ax.errorbar([], [], xerr=[], fmt="none", ecolor="black", capsize=3, linewidth=1,
                        label=BAND_LABEL)
    ax.set_yticks(y, [PRESSURE_LABELS[t] for t in PRESSURE_TYPES])
    ax.set_xlabel("Pressure episodes per year (count)")
    ax.set_ylabel("Type of pressure")
    ax.set_title(f"Mean per year over {runs} run{'s' if runs != 1 else ''}")
    handles, labels = ax.get_legend_handles_labels()
    if len(handles) > 1:
        # Bars first, then the whisker key (matplotlib would list the error bars first).
        order = sorted(range(len(labels)), key=lambda i: labels[i].startswith(BAND_LABEL))
        ax.legend([handles[i] for i in order], [labels[i] for i in order], loc="lower right",
                  fontsize="small", framealpha=0.9)
    _suptitle(fig, title, f"Pressure episodes by type{note}")
    return fig


def figure_field(series: pd.DataFrame | Mapping[str, pd.DataFrame], *,
                 title: str | None = None) -> Figure:
    """The field's experience stock and active organisations by kind over time.

    One panel for `field_experience` (all scenarios), then one panel per scenario of the
    `active_<kind>` counts; lines are medians across runs, bands 10-90% of runs.
    """
    frames = _as_frames(series)
    _require(frames, ["field_experience", *[f"active_{k}" for k in KINDS]], "series")
    frames, note = _limit_groups(frames, MAX_PANELS)
    fig, axes = _new_figure(1 + len(frames), 2, (6.0, 3.8))
    _bands_panel(axes[0], frames, "field_experience", ylabel="Experience (processes)",
                 title="Experience held by active organisations", rolling=1)
    for ax in axes[2:]:
        ax.sharey(axes[1])  # scenarios' organisation counts on one scale
    for ax, (name, frame) in zip(axes[1:], frames.items(), strict=True):
        n_max = _category_bands(ax, frame, [
            (f"active_{kind}",
             {"color": KIND_COLOURS[kind], "linestyle": KIND_LINESTYLES[kind],
              "marker": KIND_MARKERS[kind]},
             KIND_LABELS[kind]) for kind in KINDS], rolling=1)
        ax.set_xlabel("Year")
        ax.set_ylabel("Active organisations (count)")
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"{name + ': ' if name else ''}Active organisations by kind")
    handles, labels = axes[1].get_legend_handles_labels()
    if n_max > 1:
        handles.append(Patch(facecolor="0.6", alpha=0.4, linewidth=0))
        labels.append(BAND_LABEL)
    _figure_legend(fig, handles, labels, ncol=min(len(labels), 5))
    _suptitle(fig, title, f"The field: experience and organisations{note}")
    return fig
