"""Figures from result tables: one run, replications, parameter sweeps and scenario comparisons.

Reads tables (and the folders that `dmpsim run`, the sweep layer and `dmpsim compare` write);
knows nothing of the model object.

Three layers:

- `plot_results(results_dir, out)` looks at a results folder, decides what it holds (see
  `load_results`) and writes the standard figures as PNG and SVG.
- `build_figures(data)` and the `figure_*` builders return matplotlib `Figure` objects without
  saving them, so that callers (and tests) can inspect or adjust them; `save_figure` writes one.
- `figure_series_bands` and `figure_effects` are the lower-level pieces the comparison report
  uses directly.

Time-series inputs ("series") are long tables with a `step` column (month, from 1), the columns
of the model table (`dmpsim.metrics.MODEL_COLUMN_DOCS`), and, when they hold several runs, a run
identity column: `run_id`, else `replication`, else `seed`. A `scenario` column, when present,
splits the rows into groups drawn side by side (a comparison). Builders also accept a mapping
from group label to such a table.

Every figure is meant to survive print: labelled axes with units, a title, a legend where more
than one thing is drawn, Okabe-Ito colours (distinguishable with the common colour-vision
deficiencies) and, because colour alone does not survive grey-scale printing, hatches, line
styles and markers as a second cue. Figures are built on `matplotlib.figure.Figure` directly,
not through pyplot, so nothing accumulates in pyplot's figure registry however many are built.
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from .errors import InputError  # noqa: E402
from .model.params import KINDS, PRESSURE_TYPES, RESPONSES  # noqa: E402

__all__ = [
    "KIND_COLOURS",
    "KIND_HATCHES",
    "KIND_LABELS",
    "OKABE_ITO",
    "ResultsData",
    "build_figures",
    "figure_effects",
    "figure_episodes_by_type",
    "figure_field",
    "figure_integrity_pressure",
    "figure_market_share",
    "figure_responses",
    "figure_series_bands",
    "figure_sweep_heatmap",
    "figure_sweep_lines",
    "load_results",
    "overview_figure",
    "plot_results",
    "save_figure",
]

KIND_LABELS = {
    "independent_nonprofit": "Independent non-profit",
    "independent_commercial": "Independent commercial",
    "freelancer": "Freelancer",
    "large_firm": "Large firm",
}
# Okabe-Ito colours: distinguishable with colour-blindness; hatches keep them apart in grey.
KIND_COLOURS = {
    "independent_nonprofit": "#0072B2",
    "independent_commercial": "#E69F00",
    "freelancer": "#009E73",
    "large_firm": "#D55E00",
}
KIND_HATCHES = {"independent_nonprofit": "", "independent_commercial": "//",
                "freelancer": "..", "large_firm": "xx"}
# Line styles and markers per kind, for line plots (hatches only work on areas).
KIND_LINESTYLES = {"independent_nonprofit": "-", "independent_commercial": "--",
                   "freelancer": ":", "large_firm": "-."}
KIND_MARKERS = {"independent_nonprofit": "o", "independent_commercial": "s",
                "freelancer": "^", "large_firm": "D"}

# Okabe & Ito (2008), ordered so that the first colours are the darkest and most distinct:
# yellow last, because thin yellow lines all but vanish on white paper.
OKABE_ITO = ("#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
             "#F0E442")
GROUP_LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 1)),
                    (0, (8, 2, 2, 2)))
GROUP_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

RESPONSE_LABELS = {"comply": "Comply", "negotiate": "Negotiate", "push_back": "Push back",
                   "threaten": "Threaten to withdraw", "withdraw": "Withdraw"}
# From "gives in" (warm) to "resists" (cool), with hatches for grey-scale.
RESPONSE_COLOURS = {"comply": "#D55E00", "negotiate": "#E69F00", "push_back": "#0072B2",
                    "threaten": "#56B4E9", "withdraw": "#CC79A7"}
RESPONSE_HATCHES = {"comply": "xx", "negotiate": "//", "push_back": "", "threaten": "..",
                    "withdraw": "\\\\"}
RESPONSE_LINESTYLES = {"comply": "-", "negotiate": "--", "push_back": "-.", "threaten": ":",
                       "withdraw": (0, (5, 1))}
RESPONSE_MARKERS = {"comply": "o", "negotiate": "s", "push_back": "^", "threaten": "D",
                    "withdraw": "v"}

PRESSURE_LABELS = {
    "time_resources": "Time and resources",
    "method": "Method",
    "experts_information": "Experts and information",
    "secrecy": "Secrecy",
    "report_content": "Report content",
    "outcome": "Outcome",
    "stakeholder": "Third-party stakeholders",
}

#: Short axis labels, with units, for summary keys (`dmpsim.metrics.SUMMARY_KEYS`) and model
#: columns; anything not listed is labelled with its own name.
METRIC_LABELS = {
    "integrity_mean": "Mean integrity (0-1)",
    "integrity_final5": "Mean integrity, last 5 years (0-1)",
    "pressure_rate": "Contracts with pressure (share 0-1)",
    "episodes_per_contract": "Pressure episodes per contract (count)",
    "comply_rate": "Episodes met by complying (share 0-1)",
    "negotiate_rate": "Episodes met by negotiating (share 0-1)",
    "pushback_rate": "Episodes met by pushing back (share 0-1)",
    "withdraw_rate": "Episodes met by withdrawing (share 0-1)",
    "escalation_rate": "Episodes escalated (share 0-1)",
    "large_firm_share": "Large firms' share of value (0-1)",
    "large_firm_share_final5": "Large firms' share of value, last 5 years (0-1)",
    "independent_share": "Independents' share of value (0-1)",
    "field_experience": "Field experience (processes)",
    "independents_active": "Active independents (count)",
    "large_firms_active": "Active large firms (count)",
    "public_confidence": "Public confidence (0-1)",
    "implementation_rate": "Follow-through on recommendations (0-1)",
    "contracts_awarded": "Contracts awarded (count)",
    "contracts_completed": "Processes completed (count)",
    "contracts_withdrawn": "Contracts withdrawn from (count)",
    "declines": "Tenders declined on red flags (count)",
    "scandals": "Scandals (count)",
    "exits": "Exits (count)",
    "entries": "Entries (count)",
    "hhi_final": "Concentration, HHI (0-1)",
    "integrity": "Integrity of completed processes (0-1)",
    "pressure_share": "Completed processes with pressure (share 0-1)",
    "hhi": "Concentration, HHI (0-1)",
    "commissioning_rate": "Tenders per commissioner (count/month)",
    "implementation": "Follow-through on recommendations (0-1)",
}

#: Model columns that are rates over the processes completed in a month: their 12-month value
#: is weighted by the processes completed, so a month with one process does not count as much
#: as a month with ten (and months with none, where the rate is NaN, drop out).
RATE_WEIGHTS = {"integrity": "contracts_completed", "pressure_share": "contracts_completed"}

#: Run status values (sweep `runs.parquet`) that count as a successful run.
OK_STATUSES = frozenset({"ok", "done", "success", "succeeded", "complete", "completed"})

#: Summary keys drawn for one-parameter sweeps, after the chosen metric.
SWEEP_LINE_METRICS = ("integrity_mean", "pressure_rate", "independent_share", "public_confidence")

GROUP_COLUMN = "scenario"
RUN_COLUMNS = ("run_id", "replication", "seed")
FORMATS = frozenset({"png", "svg", "pdf"})
# Small multiples beyond this many groups become unreadable in print; extra groups are left out
# and the figure title says so.
MAX_PANELS = 6
MAX_GROUPS = len(OKABE_ITO)
BAND_LABEL = "10-90% of runs"


# ------------------------------------------------------------------------------------------
# The run overview that `dmpsim run` writes.


def overview_figure(model: pd.DataFrame, title: str, out: Path) -> Path:
    """Integrity and public confidence over time, and market share by practitioner kind."""
    years = model["step"] / 12.0
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 7), sharex=True)
    integrity = model["integrity"].rolling(12, min_periods=1).mean()
    top.plot(years, integrity, color="black",
             label="Integrity of completed processes (12-month mean)")
    top.plot(years, model["public_confidence"], color="#0072B2", linestyle="--",
             label="Public confidence")
    top.set_ylabel("Score (0-1)")
    top.set_ylim(0, 1.02)
    top.legend(loc="lower left")
    top.set_title(title)
    shares = model[[f"share_value_{k}" for k in KINDS]].fillna(0.0).to_numpy().T
    stacks = bottom.stackplot(years, shares, labels=[KIND_LABELS[k] for k in KINDS],
                              colors=[KIND_COLOURS[k] for k in KINDS], alpha=0.9)
    for area, kind in zip(stacks, KINDS, strict=True):
        area.set_hatch(KIND_HATCHES[kind])
    bottom.set_ylabel("Share of contract value\n(last 12 months)")
    bottom.set_xlabel("Year")
    bottom.set_ylim(0, 1)
    bottom.legend(loc="lower left", fontsize="small")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


# ------------------------------------------------------------------------------------------
# Saving


def _check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(str(f).lower().lstrip(".") for f in formats)
    if not chosen:
        raise InputError("no figure format given", key="formats")
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown:
        raise InputError(f"unknown figure format {unknown[0]!r} (use png, svg or pdf)",
                         key="formats")
    return chosen


def save_figure(fig: Figure, out: str | Path,
                formats: Iterable[str] = ("png", "svg")) -> list[Path]:
    """Write `fig` once per format, as `out` with that format's suffix, and close it.

    `out` may carry a suffix or not: "figs/integrity.png" and "figs/integrity" both give
    figs/integrity.png and figs/integrity.svg for the default formats.
    """
    chosen = _check_formats(formats)
    out = Path(out)
    stem = out.with_suffix("") if out.suffix.lower().lstrip(".") in FORMATS else out
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in chosen:
        path = stem.with_name(f"{stem.name}.{fmt}")
        # No creation date in the vector formats, so that the same results give the same files.
        metadata = {"Date": None} if fmt in ("svg", "pdf") else None
        fig.savefig(path, format=fmt, dpi=150, metadata=metadata)
        written.append(path)
    plt.close(fig)  # a no-op for figures built here, but callers may pass pyplot figures
    return written


# ------------------------------------------------------------------------------------------
# Small helpers


def _new_figure(n_panels: int, ncols: int,
                panel_size: tuple[float, float]) -> tuple[Figure, list[Axes]]:
    """A constrained-layout figure with `n_panels` axes on a grid, unused grid cells removed."""
    ncols = max(1, min(ncols, n_panels))
    nrows = math.ceil(n_panels / ncols)
    fig = Figure(figsize=(panel_size[0] * ncols, panel_size[1] * nrows), layout="constrained")
    grid = fig.subplots(nrows, ncols, squeeze=False)
    axes = list(grid.flat)
    for ax in axes[n_panels:]:
        fig.delaxes(ax)
    return fig, axes[:n_panels]


def _group_style(i: int) -> dict[str, Any]:
    return {"color": OKABE_ITO[i % len(OKABE_ITO)],
            "linestyle": GROUP_LINESTYLES[i % len(GROUP_LINESTYLES)],
            "marker": GROUP_MARKERS[i % len(GROUP_MARKERS)]}


def _label(key: str) -> str:
    return METRIC_LABELS.get(key, key)


def _fmt_value(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return f"{value:.4g}"
    return str(value)


def _run_column(frame: pd.DataFrame) -> str | None:
    return next((c for c in RUN_COLUMNS if c in frame.columns), None)


def _run_ids(frame: pd.DataFrame) -> pd.Series:
    """Run identity of each row; a table without a run column is one run."""
    col = _run_column(frame)
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


def _legend(ax: Axes, handles: list[Any] | None = None, labels: list[str] | None = None) -> None:
    """A legend inside the axes when short; beside it when long enough to hide the data."""
    if handles is None or labels is None:
        handles, labels = ax.get_legend_handles_labels()
    if len(labels) >= 4:
        ax.legend(handles, labels, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  frameon=False)
    else:
        ax.legend(handles, labels, fontsize="small", loc="best", framealpha=0.85)


def _figure_legend(fig: Figure, handles: list[Any], labels: list[str], ncol: int) -> None:
    """One legend for all panels, below them (small multiples share their series)."""
    # No more columns than fit the figure's width: a legend wider than the figure is clipped.
    # An entry takes about 0.07 inch per character at "small" size plus 0.6 inch for its key.
    widest = max((len(label) for label in labels), default=1) * 0.07 + 0.6
    fit = max(1, int(fig.get_figwidth() // widest))
    fig.legend(handles, labels, loc="outside lower center", ncol=max(1, min(ncol, fit)),
               fontsize="small", frameon=False)


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


def _suptitle(fig: Figure, title: str | None, default: str) -> None:
    # Wrap rather than let a long title run off a narrow figure (about 7 bold characters/inch).
    width = max(30, int(fig.get_figwidth() * 7))
    fig.suptitle(textwrap.fill(title or default, width), fontsize="large", fontweight="bold")


# ------------------------------------------------------------------------------------------
# Time-series figures


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
    default = f"{_label(column)}{f' ({window})' if window else ''}{note}"
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
    n_max = 0
    for response in RESPONSES:
        matrix = _run_matrix(frame, f"response_{response}", rolling=12, agg="sum")
        n_max = max(n_max, matrix.shape[1])
        style = {"color": RESPONSE_COLOURS[response], "linestyle": RESPONSE_LINESTYLES[response],
                 "marker": RESPONSE_MARKERS[response]}
        _draw_band(ax, matrix, style, RESPONSE_LABELS[response])
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
        eps["_run"] = _run_ids(eps) if _run_column(eps) else next(iter(years.index))
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
        n_max = 0
        for kind in KINDS:
            matrix = _run_matrix(frame, f"active_{kind}", rolling=1)
            n_max = max(n_max, matrix.shape[1])
            style = {"color": KIND_COLOURS[kind], "linestyle": KIND_LINESTYLES[kind],
                     "marker": KIND_MARKERS[kind]}
            _draw_band(ax, matrix, style, KIND_LABELS[kind])
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


# ------------------------------------------------------------------------------------------
# Sweeps


def _successful(runs: pd.DataFrame, metrics: Sequence[str]) -> tuple[pd.DataFrame, int]:
    """Runs that succeeded and have a finite value for every metric; also how many were dropped."""
    missing = [m for m in metrics if m not in runs.columns]
    if missing:
        raise InputError(f"runs table lacks column(s) {', '.join(missing)}", key="metric")
    keep = pd.Series(True, index=runs.index)
    if "status" in runs.columns:
        keep &= runs["status"].astype(str).str.lower().isin(OK_STATUSES)
    for m in metrics:
        if not pd.api.types.is_numeric_dtype(runs[m]) or pd.api.types.is_bool_dtype(runs[m]):
            raise InputError(f"column {m!r} is not numeric", key="metric")
        keep &= np.isfinite(runs[m].astype(float))
    ok = runs[keep]
    if ok.empty:
        raise InputError(f"no successful run with a value for {', '.join(metrics)}", key="runs")
    return ok, int((~keep).sum())


def _levels(values: pd.Series, max_levels: int, bins: int) -> pd.Series:
    """Parameter values as plotting levels: as they are, or binned midpoints if too many.

    Sampled (e.g. Latin-hypercube) sweeps give every run its own value; binning them gives a
    readable grid instead of one cell per run.
    """
    if values.nunique() <= max_levels or not pd.api.types.is_numeric_dtype(values) \
            or pd.api.types.is_bool_dtype(values):
        return values
    cut = pd.cut(values.astype(float), bins=bins)
    return cut.map(lambda interval: float(interval.mid)).astype(float)


def _sorted_levels(values: pd.Series) -> list[Any]:
    uniques = list(pd.unique(values.dropna()))
    try:
        return sorted(uniques)
    except TypeError:  # mixed types: keep the order of first appearance
        return uniques


def _dropped_note(dropped: int) -> str:
    if not dropped:
        return ""
    return f"; {dropped} failed or empty run{'s' if dropped != 1 else ''} left out"


def figure_sweep_heatmap(runs: pd.DataFrame, x: str, y: str, metric: str = "integrity_mean", *,
                         title: str | None = None) -> Figure:
    """Heatmap of `metric`'s mean over two varied parameters, each cell annotated.

    `runs` is a sweep's runs table: one row per run, a column per varied parameter (`x`, `y`)
    and per summary key, and optionally `status` (only rows whose status is in `OK_STATUSES`
    count). The mean is over replications and over any other varied parameter. Parameters with
    more than 12 numeric values are binned into 8 intervals (labelled by their midpoints). The
    colour map is cividis: perceptually uniform, readable with colour-vision deficiencies, and
    monotone in lightness, so it survives grey-scale printing; the numbers in the cells carry
    the values regardless.
    """
    for p in (x, y):
        if p not in runs.columns:
            raise InputError(f"runs table has no parameter column {p!r}", key="parameters")
    ok, dropped = _successful(runs, [metric])
    levels = pd.DataFrame({"x": _levels(ok[x], 12, 8), "y": _levels(ok[y], 12, 8),
                           "v": ok[metric].astype(float)})
    stats = levels.groupby(["y", "x"])["v"].agg(["mean", "count"])
    xs, ys = _sorted_levels(levels["x"]), _sorted_levels(levels["y"])
    table = stats["mean"].unstack("x").reindex(index=ys, columns=xs)
    counts = stats["count"].unstack("x").reindex(index=ys, columns=xs)
    width = min(11.0, 2.2 + 0.9 * len(xs))
    height = min(9.0, 1.8 + 0.6 * len(ys))
    fig, (ax,) = _new_figure(1, 1, (max(6.5, width), max(3.6, height)))
    image = ax.imshow(table.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="cividis")
    ax.set_xticks(range(len(xs)), [_fmt_value(v) for v in xs])
    ax.set_yticks(range(len(ys)), [_fmt_value(v) for v in ys])
    scale = float(np.nanmax(np.abs(table.to_numpy(dtype=float))))
    for i in range(len(ys)):
        for j in range(len(xs)):
            value = table.iat[i, j]
            if not np.isfinite(value):
                ax.text(j, i, "n/a", ha="center", va="center", fontsize="small", color="0.4")
                continue
            # Dark text on the light end of the map, white on the dark end.
            colour = "black" if image.norm(value) > 0.55 else "white"
            ax.text(j, i, _cell_text(value, scale), ha="center", va="center", fontsize="small",
                    color=colour)
    bar = fig.colorbar(image, ax=ax)
    bar.set_label(f"{_label(metric)}, mean")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    n = counts.stack()
    per_cell = f"{int(n.min())}" if n.min() == n.max() else f"{int(n.min())}-{int(n.max())}"
    ax.set_title(f"Mean of {per_cell} run(s) per cell{_dropped_note(dropped)}", fontsize="medium")
    _suptitle(fig, title, f"{_label(metric)}: two-parameter sweep")
    return fig


def _cell_text(value: float, scale: float) -> str:
    """A heatmap cell's number: three decimals for 0-1 quantities, fewer for larger ones."""
    if scale >= 100:
        return f"{value:.0f}"
    if scale >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}"


def _t_interval(values: np.ndarray, confidence: float) -> tuple[float, float, float]:
    from scipy import stats as sps

    mean = float(np.mean(values))
    if len(values) < 2:
        return mean, math.nan, math.nan
    half = float(sps.t.ppf(0.5 + confidence / 2, len(values) - 1)
                 * np.std(values, ddof=1) / math.sqrt(len(values)))
    return mean, mean - half, mean + half


def figure_sweep_lines(runs: pd.DataFrame, param: str, metrics: Sequence[str] | None = None, *,
                       by: str | None = None, confidence: float = 0.95,
                       title: str | None = None) -> Figure:
    """Summary keys against one varied parameter: mean with a confidence interval, one panel each.

    `runs` as for `figure_sweep_heatmap`. Each panel shows, for each value of `param`, the mean
    over replications (and any other varied parameter) with a t-interval at `confidence`
    (shaded), and the replications themselves as faint dots. `by` names a second parameter
    drawn as one line per value (at most 8 levels; binned otherwise). `metrics` defaults to
    `SWEEP_LINE_METRICS` (those present).
    """
    if param not in runs.columns:
        raise InputError(f"runs table has no parameter column {param!r}", key="parameters")
    if by is not None and by not in runs.columns:
        raise InputError(f"runs table has no parameter column {by!r}", key="by")
    chosen = list(metrics) if metrics is not None else [m for m in SWEEP_LINE_METRICS
                                                       if m in runs.columns]
    if not chosen:
        raise InputError("no summary key to draw", key="metrics")
    fig, axes = _new_figure(len(chosen), 2, (5.2, 3.6))
    numeric = (pd.api.types.is_numeric_dtype(runs[param])
               and not pd.api.types.is_bool_dtype(runs[param]))
    ci_label = f"{confidence:.0%} CI of the mean"
    dropped_total = 0
    for ax, metric in zip(axes, chosen, strict=True):
        ok, dropped = _successful(runs, [metric])
        dropped_total = max(dropped_total, dropped)
        xs = _levels(ok[param], 25, 10)
        groups = ({"": ok.index} if by is None
                  else {f"{by} = {_fmt_value(v)}": idx for v, idx in
                        ok.groupby(_levels(ok[by], 8, 6), sort=True).groups.items()})
        groups = dict(list(groups.items())[:MAX_GROUPS])
        order = _sorted_levels(xs)
        pos = {v: (float(v) if numeric else float(k)) for k, v in enumerate(order)}
        for i, (name, idx) in enumerate(groups.items()):
            style = _group_style(i)
            # Categories have no "between": dodge the groups sideways instead of joining them.
            shift = 0.0 if numeric else (i - (len(groups) - 1) / 2) * 0.12
            sub = pd.DataFrame({"x": xs.loc[idx], "v": ok.loc[idx, metric].astype(float)})
            rows = sorted((pos[v], *_t_interval(g["v"].to_numpy(), confidence))
                          for v, g in sub.groupby("x", sort=False))
            px, mean, lo, hi = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
            ax.scatter(sub["x"].map(pos) + shift, sub["v"], s=9, color=style["color"],
                       alpha=0.3, marker=style["marker"], linewidths=0,
                       label="Replications" if i == 0 and by is None else "_rep")
            label = name or "Mean"
            if numeric:
                if np.isfinite(lo).any():
                    ax.fill_between(px, lo, hi, color=style["color"], alpha=0.2, linewidth=0,
                                    label="_ci")
                ax.plot(px, mean, label=label, markersize=5, **style)
            else:
                err = np.vstack([mean - lo, hi - mean])
                ax.errorbar(px + shift, mean, yerr=np.nan_to_num(err), fmt=style["marker"],
                            color=style["color"], capsize=4, markersize=6,
                            label=f"{label} ± {ci_label}" if by is None else label)
        if not numeric:
            ax.set_xticks(range(len(order)), [_fmt_value(v) for v in order])
        ax.set_xlabel(param)
        ax.set_ylabel(_label(metric))
        ax.set_title(_label(metric).split(" (")[0])
    # Every panel draws the same series: one legend below them all.
    handles, labels = axes[0].get_legend_handles_labels()
    if numeric:
        handles.append(Patch(facecolor="0.6", alpha=0.4, linewidth=0))
        labels.append(f"Shaded: {ci_label}")
    elif by is not None:
        handles.append(Line2D([], [], color="black", marker="|", markersize=10))
        labels.append(f"Bars: {ci_label}")
    _figure_legend(fig, handles, labels, ncol=min(len(labels), 4))
    _suptitle(fig, title, f"Sweep over {param}{_dropped_note(dropped_total)}")
    return fig


# ------------------------------------------------------------------------------------------
# Comparisons

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
        name = _label(str(metric))
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


# ------------------------------------------------------------------------------------------
# Reading a results folder


@dataclass
class ResultsData:
    """What a results folder holds, in the forms the figure builders take.

    `layout` is "run" (one run folder), "runs" (a folder of run folders), "series" (a
    series.parquet across replications or scenarios) or "sweep" (a runs.parquet). `series` is
    the long per-step table with a `run_id` column (and `scenario` when it holds several
    scenarios); `episodes` the episodes table with a matching `run_id`, when the folder has it;
    `runs` and `parameters` a sweep's runs table and its varied parameters.
    """

    source: Path
    layout: str
    series: pd.DataFrame | None = None
    episodes: pd.DataFrame | None = None
    runs: pd.DataFrame | None = None
    parameters: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)


def _read_parquet(path: Path, source: str) -> pd.DataFrame:
    try:
        table = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types; all mean "unreadable"
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise InputError(f"cannot read {path.name}: {first}", source=source) from None
    if table.empty:
        raise InputError(f"{path.name} has no rows", source=source)
    return table


def _with_run_ids(series: pd.DataFrame, source: str) -> pd.DataFrame:
    """Give a series table a string `run_id` that is unique across scenarios."""
    if "step" not in series.columns:
        raise InputError("series.parquet has no 'step' column", source=source)
    series = series.copy()
    col = _run_column(series)
    if col is None:
        keys = [GROUP_COLUMN, "step"] if GROUP_COLUMN in series.columns else ["step"]
        if series.duplicated(keys).any():
            raise InputError("series.parquet repeats steps but has no run_id or replication "
                             "column", source=source)
        ids = pd.Series("run", index=series.index)
    else:
        ids = series[col].astype(str)
    if GROUP_COLUMN in series.columns and col != "run_id":
        # Replication k of two scenarios is two runs, not one.
        ids = series[GROUP_COLUMN].astype(str) + "/" + ids
    series["run_id"] = ids
    return series


def _read_run_folder(folder: Path, source: str) -> tuple[pd.DataFrame, pd.DataFrame | None, str]:
    model = _read_parquet(folder / "model.parquet", source)
    model.insert(0, "run_id", folder.name)
    episodes = None
    if (folder / "episodes.parquet").is_file():
        try:
            episodes = pd.read_parquet(folder / "episodes.parquet")
        except Exception as exc:
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            raise InputError(f"cannot read {folder.name}/episodes.parquet: {first}",
                             source=source) from None
        episodes.insert(0, "run_id", folder.name)
    name = ""
    meta = folder / "run.json"
    if meta.is_file():
        try:
            name = str(json.loads(meta.read_text(encoding="utf-8"))["scenario"]["name"])
        except (OSError, ValueError, KeyError, TypeError):
            name = ""  # run.json is only used to tell scenarios apart; without it, one group
    return model, episodes, name


def _sweep_parameters(runs: pd.DataFrame, manifest: Mapping[str, Any]) -> list[str]:
    """The varied parameters: dotted column names (as the sweep layer writes them).

    A manifest list under "parameters" or "varied" is used when it names runs columns, so a
    manifest can fix the order; otherwise the runs table's column order is used.
    """
    for key in ("parameters", "varied"):
        listed = manifest.get(key)
        if isinstance(listed, Mapping):
            listed = list(listed)
        if isinstance(listed, list):
            names = [str(p) for p in listed if str(p) in runs.columns]
            if names:
                return names
    return [c for c in runs.columns if "." in str(c)]


def _read_manifest(folder: Path) -> dict[str, Any]:
    if (folder / "manifest.json").is_file():
        try:
            loaded = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            return loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            pass   # the runs table alone is enough to draw from
    return {}


def _read_partial_sweep(folder: Path, source: str) -> ResultsData:
    """A sweep that has not finished (interrupted, or still running): its part files, read as
    `dmpsim discover` reads them (`dmpsim.sweep.read_results`)."""
    from .sweep import read_results

    runs = read_results(folder)
    if runs.empty:
        raise InputError("the sweep's part files hold no runs yet", source=source)
    series = None
    if any((folder / "parts").glob("series-*.parquet")):
        series = read_results(folder, series=True)
        series = _with_run_ids(series[series["run_id"].isin(runs["run_id"])], source)
    manifest = _read_manifest(folder)
    return ResultsData(folder, "sweep", series=series, runs=runs,
                       parameters=_sweep_parameters(runs, manifest), manifest=manifest)


def load_results(results_dir: str | Path) -> ResultsData:
    """Read a results folder and say what it holds.

    Recognised, in this order: a sweep folder (runs.parquet, optionally series.parquet and
    manifest.json); a single run folder (model.parquet, optionally episodes.parquet, as
    `dmpsim run` writes it); a folder with series.parquet (per-step rows of several runs, with
    run_id or replication, and scenario when comparing scenarios); a folder of run folders
    (their model.parquet files become one series; their run.json scenario names, when they
    differ, become the scenario groups).

    Raises:
        InputError: the folder does not exist, holds none of these, or a table is unreadable or
        empty. The message is one line naming the folder.
    """
    folder = Path(results_dir)
    source = str(results_dir)
    if folder.is_file() and folder.suffix == ".parquet":
        folder = folder.parent  # a table inside the folder names the folder
    if not folder.is_dir():
        raise InputError("is not a folder" if folder.exists() else "no such folder",
                         source=source)

    parts = folder / "parts"
    if not (folder / "runs.parquet").is_file() and parts.is_dir() \
            and any(parts.glob("runs-*.parquet")):
        return _read_partial_sweep(folder, source)

    if (folder / "runs.parquet").is_file():
        runs = _read_parquet(folder / "runs.parquet", source)
        manifest: dict[str, Any] = {}
        if (folder / "manifest.json").is_file():
            try:
                loaded = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
                manifest = loaded if isinstance(loaded, dict) else {}
            except (OSError, ValueError):
                manifest = {}  # the runs table alone is enough to draw from
        series = None
        if (folder / "series.parquet").is_file():
            series = _with_run_ids(_read_parquet(folder / "series.parquet", source), source)
        return ResultsData(folder, "sweep", series=series, runs=runs,
                           parameters=_sweep_parameters(runs, manifest), manifest=manifest)

    if (folder / "model.parquet").is_file():
        model, episodes, _ = _read_run_folder(folder, source)
        return ResultsData(folder, "run", series=model, episodes=episodes)

    if (folder / "series.parquet").is_file():
        series = _with_run_ids(_read_parquet(folder / "series.parquet", source), source)
        return ResultsData(folder, "series", series=series)

    subfolders = sorted(p for p in folder.iterdir() if (p / "model.parquet").is_file())
    if subfolders:
        models, all_episodes, names = [], [], []
        for sub in subfolders:
            model, episodes, name = _read_run_folder(sub, source)
            models.append(model)
            names.append(name)
            if episodes is not None:
                all_episodes.append(episodes)
        if len(set(names)) > 1:
            for model, name in zip(models, names, strict=True):
                model.insert(1, GROUP_COLUMN, name or "(unnamed)")
            by_run = dict(zip([s.name for s in subfolders], names, strict=True))
            for eps in all_episodes:
                eps.insert(1, GROUP_COLUMN, eps["run_id"].map(by_run).fillna("(unnamed)"))
        series = pd.concat(models, ignore_index=True)
        # Runs without an episodes.parquet would be miscounted as runs without episodes.
        episodes = (pd.concat(all_episodes, ignore_index=True)
                    if len(all_episodes) == len(subfolders) else None)
        return ResultsData(folder, "runs", series=series, episodes=episodes)

    raise InputError("no model.parquet, series.parquet or runs.parquet found "
                     "(nor run folders holding model.parquet)", source=source)


# ------------------------------------------------------------------------------------------
# Putting it together


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
