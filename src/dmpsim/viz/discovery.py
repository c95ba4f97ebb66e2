"""Figures of a scenario discovery: the PRIM peeling trajectory and each box on its parameters."""

from __future__ import annotations

import math
import textwrap
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from ..analysis.prim import PrimBox
from ..analysis.results import Discovery
from .style import METRIC_LABELS

__all__ = ["figure_box", "figure_trajectory"]


def figure_trajectory(result: Discovery) -> Figure:
    """Coverage against density along each box's peeling, coloured by restricted parameters."""
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


def figure_box(result: Discovery, box: PrimBox) -> Figure | None:
    """The runs on the box's two most restricted numeric parameters, cases marked, box drawn."""
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
