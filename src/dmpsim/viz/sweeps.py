"""Figures of a parameter sweep's runs table: a heatmap over two parameters, lines over one.

`runs` is a sweep's runs table: one row per run, a column per varied parameter and per summary
key, and optionally `status` (only rows whose status is in `OK_STATUSES` count).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..errors import InputError
from .style import (
    MAX_GROUPS,
    _figure_legend,
    _fmt_value,
    _group_style,
    _new_figure,
    _suptitle,
    metric_label,
)

__all__ = ["OK_STATUSES", "SWEEP_LINE_METRICS", "figure_sweep_heatmap", "figure_sweep_lines"]

#: Run status values (sweep `runs.parquet`) that count as a successful run.
OK_STATUSES = frozenset({"ok", "done", "success", "succeeded", "complete", "completed"})

#: Summary keys drawn for one-parameter sweeps, after the chosen metric.
SWEEP_LINE_METRICS = ("integrity_mean", "pressure_rate", "independent_share", "public_confidence")


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
    bar.set_label(f"{metric_label(metric)}, mean")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    n = counts.stack()
    per_cell = f"{int(n.min())}" if n.min() == n.max() else f"{int(n.min())}-{int(n.max())}"
    ax.set_title(f"Mean of {per_cell} run(s) per cell{_dropped_note(dropped)}", fontsize="medium")
    _suptitle(fig, title, f"{metric_label(metric)}: two-parameter sweep")
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
        ax.set_ylabel(metric_label(metric))
        ax.set_title(metric_label(metric).split(" (")[0])
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
