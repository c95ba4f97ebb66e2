"""Figures of a calibration (`dmpsim calibrate`): each parameter's ensemble against its prior,
pairs of the parameters the targets constrain, distances from the targets by generation, and
how often each target is met (`draw_figures`, the figures ``dmpsim calibrate`` writes).

Parameters are drawn in their own units (a categorical one, whose values are not numbers or
are a list of values, as shares of its categories); the ensemble is weighted by its members'
weights (ABC-SMC's importance weights; rejection's are equal). Every figure is drawn whatever
the result holds: one parameter, no parameter constrained, an ensemble of one member, or none.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from ..analysis.abc import effective_sample_size
from ..analysis.results import CalibrationResult
from ..model.params import FLAT
from .style import MAX_PANELS, _figure_legend, _new_figure, _suptitle, save_figure

__all__ = ["CAPTIONS", "FIGURES", "caption", "draw_figures", "figure_distances", "figure_marginals",
           "figure_pairs", "figure_targets"]

#: The figures `draw_figures` writes, by stem, in the order a report shows them.
FIGURES = ("marginals", "pairs", "distances", "targets")

#: What each figure shows: the report's captions (and the HTML's alt text).
CAPTIONS = {
    "marginals": "Each calibrated parameter: the prior draws (black outline) against the "
                 "accepted ensemble (filled, weighted), on the same bins in the parameter's own "
                 "units; categorical parameters as shares of their categories. Each panel's "
                 "title gives the constraint label and the ratio of the posterior's 90% range "
                 "to the prior's.",
    "pairs": "Pairs of the parameters the targets constrain: accepted members (blue, larger "
             "for a larger weight) over the prior draws (grey); each parameter's marginal on "
             "the diagonal. Categorical values are spread a little (jittered) around their "
             "category.",
    "distances": "Distances from the targets (0: every target met). Rejection: every draw's "
                 "distance, the accepted ones highlighted, with the tolerance; ABC-SMC: the "
                 "weighted quantiles of each generation's particles, with the generation's "
                 "threshold epsilon.",
    "targets": "For each target, the share of the accepted ensemble that meets it (filled), "
               "against the share of the prior draws that do (outlined; not known for "
               "ABC-SMC, whose prior draws are not run).",
}



def caption(stem: str, method: str) -> str:
    """The caption of figure `stem` for a calibration by `method` ("rejection" or "smc")."""
    if stem == "distances":
        return ("Distances of the prior draws from the targets (0: every target met): the "
                "draws at 0 (left), the others on a log scale, the accepted ones highlighted."
                if method == "rejection" else
                "Distances of each generation's particles from the targets (weighted quantiles; "
                "0: every target met), with the generation's threshold epsilon.")
    if stem == "targets" and method != "rejection":
        return ("For each target, the share of the accepted ensemble that meets it (the "
                "prior's share is not known: ABC-SMC does not run draws from the prior).")
    return CAPTIONS.get(stem, stem)


BLUE = "#0072B2"        # the ensemble (Okabe-Ito blue)
VERMILLION = "#D55E00"  # thresholds: the tolerance, epsilon
PRIOR_GREY = "0.72"     # the prior's draws in the pair plot
CONSTRAINED = ("constrained", "weakly constrained")
# Prior draws shown behind the pair plot's members: more only blacken the panels.
MAX_PRIOR_POINTS = 1500
# A categorical value's jitter in the pair plot, in category widths either side.
JITTER = 0.18


# -- reading the result ---------------------------------------------------------------------

def _column(frame: pd.DataFrame, key: str) -> pd.Series:
    return frame[key] if key in frame.columns else pd.Series([], dtype=float)


def _categorical(*columns: pd.Series) -> bool:
    """Whether a parameter is drawn as categories: values that are not numbers (or booleans),
    or numbers given as a list (which the draws carry as objects). Empty columns do not say."""
    for column in columns:
        if len(column) and (pd.api.types.is_bool_dtype(column)
                            or not pd.api.types.is_numeric_dtype(column)):
            return True
    return False


def _categories(*columns: pd.Series) -> list[Any]:
    seen: list[Any] = []
    for column in columns:
        for value in column.tolist():
            if value not in seen:
                seen.append(value)
    try:
        return sorted(seen)
    except TypeError:
        return seen


def _category_text(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _shares(column: pd.Series, weights: np.ndarray, categories: list[Any]) -> np.ndarray:
    values = column.tolist()
    total = float(np.sum(weights))
    if not values or total <= 0:
        return np.full(len(categories), np.nan)
    return np.array([sum(w for v, w in zip(values, weights, strict=True) if v == c) / total
                     for c in categories])


def _numbers(column: pd.Series) -> np.ndarray:
    return pd.to_numeric(column, errors="coerce").to_numpy(float)


def _constraint(result: CalibrationResult, key: str) -> tuple[str, float]:
    """A parameter's label and range ratio (``("", nan)`` if the table lacks it)."""
    table = result.constraints
    if table is None or "parameter" not in table.columns:
        return "", math.nan
    rows = table[table["parameter"] == key]
    if rows.empty:
        return "", math.nan
    row = rows.iloc[0]
    ratio = float(row["range_ratio"]) if "range_ratio" in rows.columns else math.nan
    return str(row.get("label", "")), ratio


def _axis_label(key: str) -> str:
    """A parameter's value with its unit, for an axis."""
    p = FLAT.get(key)
    unit = getattr(p, "unit", "") if p is not None else ""
    return f"Value ({unit})" if unit else "Value"


def _quantiles(x: np.ndarray, w: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """Weighted quantiles: each point at the middle of its weight's span of the cumulative
    distribution (numpy's ``method="hazen"`` for equal weights), as `dmpsim.analysis.abc`."""
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    cumulative = np.cumsum(w)
    return np.interp(np.asarray(q, dtype=float), (cumulative - w / 2) / cumulative[-1], x)


def _edges(values: Sequence[np.ndarray], integer: bool, n_prior: int) -> np.ndarray:
    """Common bins for prior and ensemble: whole numbers one per bin over a short range."""
    finite = np.concatenate([v[np.isfinite(v)] for v in values] or [np.zeros(0)])
    if finite.size == 0:
        return np.array([0.0, 1.0])
    lo, hi = float(finite.min()), float(finite.max())
    if integer and hi - lo <= 40:
        return np.arange(lo - 0.5, hi + 1.5)
    if lo == hi:
        pad = abs(lo) * 0.05 or 0.5
        return np.linspace(lo - pad, hi + pad, 4)
    bins = int(np.clip(round(math.sqrt(max(n_prior, 1))), 8, 30))
    return np.linspace(lo, hi, bins + 1)


def _panel_title(key: str, label: str, ratio: float) -> str:
    name = textwrap.fill(key, 32)
    if not label:
        return name
    detail = f"{label}, range ratio {ratio:.2f}" if math.isfinite(ratio) else label
    return f"{name}\n{detail}"


def _no_data(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, textwrap.fill(text, 34), ha="center", va="center", transform=ax.transAxes,
            fontsize="small", color="0.3")


def _prior_ensemble_handles() -> tuple[list[Any], list[str]]:
    return ([Patch(facecolor="none", edgecolor="black", linewidth=1.2),
             Patch(facecolor=BLUE, alpha=0.7, edgecolor=BLUE)],
            ["Prior draws", "Accepted ensemble (weighted)"])


def _marginal(ax: Axes, result: CalibrationResult, key: str, weights: np.ndarray,
              *, labels: bool = True) -> tuple[float, float]:
    """One parameter's prior (outline) against its ensemble (filled), on the same bins; the
    x limits drawn."""
    prior, ensemble = _column(result.prior, key), _column(result.ensemble, key)
    if _categorical(prior, ensemble):
        categories = _categories(prior, ensemble)
        x = np.arange(len(categories))
        prior_share = _shares(prior, np.ones(len(prior)), categories)
        ensemble_share = _shares(ensemble, weights, categories)
        if np.isfinite(ensemble_share).any():
            ax.bar(x, ensemble_share, width=0.7, color=BLUE, alpha=0.7, edgecolor=BLUE)
        if np.isfinite(prior_share).any():
            ax.bar(x, prior_share, width=0.7, facecolor="none", edgecolor="black", linewidth=1.2)
        ax.set_xticks(x, [textwrap.shorten(_category_text(c), 14, placeholder="…")
                          for c in categories],
                      rotation=30 if len(categories) > 3 else 0,
                      ha="right" if len(categories) > 3 else "center")
        limits = (-0.5, len(categories) - 0.5)
        ax.set_ylim(0, 1.05)
        if labels:
            ax.set_xlabel("Category")
            ax.set_ylabel("Share (0-1)")
    else:
        p, e = _numbers(prior), _numbers(ensemble)
        integer = (pd.api.types.is_integer_dtype(prior) or pd.api.types.is_integer_dtype(ensemble)
                   or (FLAT[key].type is int if key in FLAT else False))
        edges = _edges([p, e], integer, len(p))
        keep = np.isfinite(e)
        if keep.any():
            ax.hist(e[keep], bins=edges, weights=weights[keep], density=True, color=BLUE,
                    alpha=0.7, edgecolor=BLUE, linewidth=0.5)
        if np.isfinite(p).any():
            ax.hist(p[np.isfinite(p)], bins=edges, density=True, histtype="step",
                    color="black", linewidth=1.2)
        limits = (float(edges[0]), float(edges[-1]))
        if labels:
            ax.set_xlabel(_axis_label(key))
            ax.set_ylabel("Density")
    ax.set_xlim(*limits)
    return limits


# -- the figures ----------------------------------------------------------------------------

def figure_marginals(result: CalibrationResult) -> Figure:
    """One panel per calibrated parameter: the prior against the weighted ensemble."""
    keys = list(result.keys)
    weights = result.weights()
    fig, axes = _new_figure(max(len(keys), 1), 3, (3.7, 2.9))
    if not keys:
        _no_data(axes[0], "no calibrated parameters")
        axes[0].set_axis_off()
    for ax, key in zip(axes, keys, strict=False):
        _marginal(ax, result, key, weights)
        ax.set_title(_panel_title(key, *_constraint(result, key)), fontsize="medium")
    handles, labels = _prior_ensemble_handles()
    m = len(result.ensemble)
    if m:
        _figure_legend(fig, handles, labels, ncol=2)
        _suptitle(fig, None, f"The calibrated parameters: accepted ensemble ({m} "
                             f"member{'s' if m != 1 else ''}, effective sample size "
                             f"{effective_sample_size(weights):.0f}) against the prior")
    else:
        _figure_legend(fig, handles[:1], labels[:1], ncol=1)
        _suptitle(fig, None, "The calibrated parameters' prior draws (no draw was accepted)")
    return fig


def _pair_parameters(result: CalibrationResult) -> tuple[list[str], str]:
    """The parameters of the pair plot, and the figure's title."""
    keys = list(result.keys)
    rows = [(key, *_constraint(result, key)) for key in keys]
    order = sorted(rows, key=lambda r: (not math.isfinite(r[2]), r[2] if math.isfinite(r[2])
                                        else 0.0, keys.index(r[0])))
    chosen = [r[0] for r in order if r[1] in CONSTRAINED]
    if len(keys) == 1:
        return keys, "The only calibrated parameter: its marginal"
    if len(chosen) >= 2:
        title = "Pairs of the parameters the targets constrain"
        if len(chosen) > MAX_PANELS:
            title = (f"Pairs of the {MAX_PANELS} most constrained of the {len(chosen)} "
                     "parameters the targets constrain")
            chosen = chosen[:MAX_PANELS]
        return chosen, title
    pair = [r[0] for r in order[:2]]
    if len(result.ensemble) == 0:
        return pair, "No accepted draws: the prior draws of the first two parameters"
    return pair, ("Fewer than two parameters are constrained: the two with the narrowest "
                  "posterior range")


def _coordinates(column: pd.Series, categorical: bool, categories: list[Any],
                 rng: np.random.Generator) -> np.ndarray:
    if not categorical:
        return _numbers(column)
    values = column.tolist()
    index = np.array([categories.index(v) if v in categories else np.nan for v in values],
                     dtype=float)
    return index + rng.uniform(-JITTER, JITTER, size=index.size)


def figure_pairs(result: CalibrationResult) -> Figure:
    """A pair plot of the constrained parameters (see `_pair_parameters` for the choice)."""
    chosen, title = _pair_parameters(result)
    k = max(len(chosen), 1)
    size = 2.4 if k > 3 else 3.0
    fig = Figure(figsize=(size * k + 0.8, size * k + 1.2), layout="constrained")
    grid = fig.subplots(k, k, squeeze=False)
    weights = result.weights()
    rng = np.random.default_rng(0)     # the jitter and the prior's subsample: fixed
    prior = result.prior
    if len(prior) > MAX_PRIOR_POINTS:
        prior = prior.iloc[np.sort(rng.choice(len(prior), MAX_PRIOR_POINTS, replace=False))]
    kinds, coords, limits = {}, {}, {}
    for i, key in enumerate(chosen):
        p, e = _column(result.prior, key), _column(result.ensemble, key)
        categorical = _categorical(p, e)
        categories = _categories(p, e) if categorical else []
        kinds[key] = (categorical, categories)
        coords[key] = (_coordinates(_column(prior, key), categorical, categories, rng),
                       _coordinates(e, categorical, categories, rng))
        # The diagonal first: its bins set the parameter's limits in every panel.
        lo, hi = _marginal(grid[i][i], result, key, weights, labels=False)
        pad = 0.0 if categorical else 0.03 * (hi - lo)
        limits[key] = (lo - pad, hi + pad)
    sizes = 10 + 50 * weights / weights.max() if weights.size else weights
    for i, y_key in enumerate(chosen):
        for j, x_key in enumerate(chosen):
            ax = grid[i][j]
            if j > i:
                fig.delaxes(ax)
                continue
            if i == j:
                ax.set_yticks([])
                label, ratio = _constraint(result, x_key)
                ax.set_title(_panel_title(x_key, label, ratio), fontsize="small")
            else:
                (px, ex), (py, ey) = coords[x_key], coords[y_key]
                ax.scatter(px, py, s=4, color=PRIOR_GREY, linewidths=0, zorder=1)
                if ex.size:
                    ax.scatter(ex, ey, s=sizes, color=BLUE, alpha=0.6, edgecolors="black",
                               linewidths=0.3, zorder=2)
                _category_ticks(ax, "y", kinds[y_key])
                ax.set_ylim(*limits[y_key])
                if j == 0:
                    ax.set_ylabel(_pair_label(y_key, kinds[y_key][0]), fontsize="small")
                else:
                    ax.tick_params(labelleft=False)
            _category_ticks(ax, "x", kinds[x_key])
            ax.set_xlim(*limits[x_key])
            if i == k - 1:
                ax.set_xlabel(_pair_label(x_key, kinds[x_key][0]), fontsize="small")
            else:
                ax.tick_params(labelbottom=False)
    if not chosen:
        _no_data(grid[0][0], "no calibrated parameters")
    handles, labels = _prior_ensemble_handles()
    if len(result.ensemble) == 0:
        handles, labels = handles[:1], labels[:1]
    if k > 1:
        handles.append(Line2D([], [], linestyle="none", marker="o", color=PRIOR_GREY,
                              markersize=4))
        labels.append("Prior draw")
        if len(result.ensemble):
            handles.append(Line2D([], [], linestyle="none", marker="o", color=BLUE, alpha=0.6,
                                  markeredgecolor="black", markersize=7))
            labels.append("Accepted member (size: weight)")
    _figure_legend(fig, handles, labels, ncol=2)
    _suptitle(fig, None, title)
    return fig


def _pair_label(key: str, categorical: bool) -> str:
    p = FLAT.get(key)
    unit = getattr(p, "unit", "") if p is not None and not categorical else ""
    return textwrap.fill(key, 28) + (f"\n({unit})" if unit else "")


def _category_ticks(ax: Axes, axis: str, kind: tuple[bool, list[Any]]) -> None:
    categorical, categories = kind
    if not categorical:
        return
    names = [textwrap.shorten(_category_text(c), 12, placeholder="…") for c in categories]
    (ax.set_xticks if axis == "x" else ax.set_yticks)(np.arange(len(categories)), names)


def _generation_column(frame: pd.DataFrame) -> str:
    return "generation" if "generation" in frame.columns else "t"


def figure_distances(result: CalibrationResult) -> Figure:
    """Distances from the targets: a histogram over the draws (rejection) or weighted
    quantiles by generation (ABC-SMC)."""
    if result.method == "rejection":
        return _distances_rejection(result)
    return _distances_by_generation(result)


def _distances_rejection(result: CalibrationResult) -> Figure:
    """Two panels sharing the count axis: the draws at distance 0 (every target met), and a
    histogram of the others on a log scale."""
    fig = Figure(figsize=(8.0, 4.6), layout="constrained")
    at_zero, ax = fig.subplots(1, 2, sharey=True, width_ratios=[1, 6])
    d = _numbers(_column(result.distances, "distance"))
    accepted = _numbers(_column(result.ensemble, "distance"))
    n = d.size
    zero = int(np.sum(d == 0))
    zero_kept = int(np.sum(accepted == 0))
    failed = int(np.sum(~np.isfinite(d)))
    positive = d[np.isfinite(d) & (d > 0)]
    tolerance = (float(result.generations["epsilon"].iloc[-1])
                 if len(result.generations) and "epsilon" in result.generations.columns
                 else math.nan)
    all_style = {"facecolor": "0.8", "edgecolor": "0.45", "linewidth": 0.5}
    kept_style = {"facecolor": BLUE, "alpha": 0.8, "edgecolor": BLUE, "hatch": "//"}
    at_zero.bar([0], [zero], width=0.6, **all_style)
    if zero_kept:
        at_zero.bar([0], [zero_kept], width=0.6, **kept_style)
    at_zero.set_xticks([0], ["0"])
    at_zero.set_xlim(-0.6, 0.6)
    at_zero.set_xlabel("Every target\nmet")
    at_zero.set_ylabel("Draws (count)")
    top = float(zero)
    if positive.size:
        high = float(positive.max())
        floor = max(float(positive.min()), high * 1e-6)
        edges = (np.geomspace(floor, high, 31) if high > floor
                 else np.geomspace(floor / 2, high * 2, 4))
        counts, _, _ = ax.hist(np.clip(positive, edges[0], edges[-1]), bins=edges, **all_style)
        top = max(top, float(np.max(counts)))
        kept = accepted[np.isfinite(accepted) & (accepted > 0)]
        if kept.size:
            ax.hist(np.clip(kept, edges[0], edges[-1]), bins=edges, **kept_style)
        ax.set_xscale("log")
        ax.set_xlabel("Distance from the targets (scaled; log scale)"
                      + (f"; below {floor:.2g} drawn at {floor:.2g}" if floor > positive.min()
                         else ""))
        if math.isfinite(tolerance) and tolerance > 0:
            ax.axvline(tolerance, color=VERMILLION, linestyle="--", linewidth=1.5)
    else:
        ax.set_xlabel("Distance from the targets (scaled)")
        ax.set_xticks([])
        _no_data(ax, "no draw at a positive, finite distance")
    # Head room for the summary, so that it covers no bar.
    at_zero.set_ylim(0, max(top, 1.0) * 1.4)
    lines = [f"{zero:,} of {n:,} draws ({zero / n:.0%}) at distance 0: every target met"
             if n else "no draws"]
    if not len(accepted):
        lines.append("none accepted")
    elif math.isfinite(tolerance) and tolerance == 0 and len(accepted) == zero:
        lines.append(f"{len(accepted):,} accepted: the draws meeting every target")
    elif math.isfinite(tolerance) and tolerance == 0:
        lines.append(f"{len(accepted):,} accepted: the first draws meeting every target "
                     "(the share kept)")
    else:
        lines.append(f"{len(accepted):,} accepted: the closest, up to the tolerance "
                     f"{tolerance:.3g}")
    if failed:
        lines.append(f"{failed:,} at an infinite distance (a missing output), not shown")
    ax.text(0.98, 0.97, "\n".join(lines), transform=ax.transAxes, ha="right", va="top",
            fontsize="small", bbox={"facecolor": "white", "edgecolor": "0.6", "alpha": 0.9})
    handles, labels = [Patch(**all_style)], ["All draws"]
    if len(accepted):
        handles.append(Patch(**kept_style))
        labels.append("Accepted draws")
    if math.isfinite(tolerance) and tolerance > 0:
        handles.append(Line2D([], [], color=VERMILLION, linestyle="--"))
        labels.append("Tolerance: draws at or below it kept")
    _figure_legend(fig, handles, labels, ncol=3)
    _suptitle(fig, None, "Distances of the prior draws from the targets (rejection)")
    return fig


def _distances_by_generation(result: CalibrationResult) -> Figure:
    table = result.distances
    column = _generation_column(table) if len(table.columns) else "generation"
    generations = sorted(pd.unique(_column(table, column))) if len(table) else []
    epsilons: dict[Any, float] = {}
    if len(result.generations) and "epsilon" in result.generations.columns:
        gens = result.generations
        epsilons = dict(zip(gens[_generation_column(gens)], gens["epsilon"].astype(float),
                            strict=True))
    fig = Figure(figsize=(max(5.5, 1.0 * len(generations) + 3.0), 4.6), layout="constrained")
    ax = fig.subplots()
    shown: list[float] = []
    ticks = []
    for i, g in enumerate(generations):
        rows = table[table[column] == g]
        d = _numbers(rows["distance"])
        w = _numbers(rows["weight"]) if "weight" in rows.columns else np.ones(d.size)
        keep = np.isfinite(d) & np.isfinite(w) & (w >= 0)
        d, w = d[keep], w[keep]
        if d.size == 0 or w.sum() <= 0:
            ticks.append(f"{g}\nno particles")
            continue
        q10, q25, q50, q75, q90 = _quantiles(d, w, (0.1, 0.25, 0.5, 0.75, 0.9))
        met = float(np.sum(w * (d == 0)) / w.sum())
        ax.add_patch(Rectangle((i - 0.3, q25), 0.6, q75 - q25, facecolor="#A6CEE3",
                               edgecolor="black", linewidth=0.8, zorder=2))
        ax.plot([i - 0.3, i + 0.3], [q50, q50], color="black", linewidth=2, zorder=3)
        for lo, hi in ((q10, q25), (q75, q90)):
            ax.plot([i, i], [lo, hi], color="black", linewidth=0.8, zorder=2)
        ax.plot([i - 0.12, i + 0.12, np.nan, i - 0.12, i + 0.12], [q10, q10, np.nan, q90, q90],
                color="black", linewidth=0.8, zorder=2)
        shown += [q10, q25, q50, q75, q90]
        ticks.append(f"{g}\n{met:.0%} at 0")
    eps = [epsilons.get(g, math.nan) for g in generations]
    finite = [(i, e) for i, e in enumerate(eps) if math.isfinite(e)]
    if finite:
        ax.plot([i for i, _ in finite], [e for _, e in finite], color=VERMILLION,
                linestyle="--", marker="D", markersize=6, linewidth=1, zorder=4)
        shown += [e for _, e in finite]
    positive = [v for v in shown if v > 0]
    if positive and min(shown) == 0:
        # Linear up to the smallest quantile drawn, but not over hundreds of decades (the
        # discrepancy of a strict target on its boundary is about 1e-308).
        ax.set_yscale("symlog", linthresh=max(min(positive), max(positive) * 1e-6))
    elif positive:
        ax.set_yscale("log")
    if not generations:
        _no_data(ax, "no generations recorded")
    ax.set_xticks(range(len(generations)), ticks)
    ax.set_xlim(-0.7, max(len(generations), 1) - 0.3)
    ax.set_xlabel("Generation (and the weighted share of its particles at distance 0)")
    ax.set_ylabel("Distance from the targets\n(scaled; 0: every target met)")
    handles = [Patch(facecolor="#A6CEE3", edgecolor="black"),
               Line2D([], [], color=VERMILLION, linestyle="--", marker="D")]
    labels = ["Particles' distances: 25-75% (box), median (line), 10-90% (whiskers); weighted",
              "Epsilon: the generation's threshold"]
    _figure_legend(fig, handles, labels, ncol=1)
    scale = ax.get_yscale()
    note = {"symlog": " (linear near 0, logarithmic above)", "log": " (log scale)"}.get(scale, "")
    _suptitle(fig, None, f"Distances by generation (ABC-SMC){note}")
    return fig


def figure_targets(result: CalibrationResult) -> Figure:
    """Per target, the share of the ensemble meeting it against the prior's share."""
    table = result.target_summary
    n = len(table)
    fig = Figure(figsize=(7.8, 1.8 + 0.6 * max(n, 1)), layout="constrained")
    ax = fig.subplots()
    y = np.arange(n)[::-1]
    prior = (_numbers(table["prior_met_share"]) if "prior_met_share" in table.columns
             else np.full(n, np.nan))
    ensemble = _numbers(table["met_share"]) if "met_share" in table.columns else np.full(n, np.nan)
    has_prior = bool(np.isfinite(prior).any())
    height = 0.38 if has_prior else 0.6
    offset = height / 2 if has_prior else 0.0
    handles, labels = [], []
    if has_prior:
        ax.barh(y + offset, np.nan_to_num(prior), height=height, facecolor="white",
                edgecolor="black", hatch="//", linewidth=0.8)
        handles.append(Patch(facecolor="white", edgecolor="black", hatch="//"))
        labels.append("Prior draws")
    ax.barh(y - offset, np.nan_to_num(ensemble), height=height, color=BLUE, edgecolor="black",
            linewidth=0.8)
    handles.append(Patch(facecolor=BLUE, edgecolor="black"))
    labels.append("Accepted ensemble (weighted)")
    for yi, value in zip(y - offset, ensemble, strict=True):
        ax.text((value if math.isfinite(value) else 0) + 0.01, yi,
                f"{value:.0%}" if math.isfinite(value) else "no accepted draws",
                va="center", fontsize="small")
    if has_prior:
        for yi, value in zip(y + offset, prior, strict=True):
            if math.isfinite(value):
                ax.text(value + 0.01, yi, f"{value:.0%}", va="center", fontsize="small",
                        color="0.3")
    names = [_target_text(row) for _, row in table.iterrows()]
    ax.set_yticks(y, names)
    ax.set_ylim(-0.7, max(n, 1) - 0.3)
    ax.set_xlim(0, 1.15)
    ax.set_xticks(np.linspace(0, 1, 6))
    ax.set_xlabel("Share meeting the target (0-1)")
    ax.set_ylabel("Target")
    if n == 0:
        _no_data(ax, "no targets")
    _figure_legend(fig, handles, labels, ncol=2)
    _suptitle(fig, None, "How often each target is met" + (
        ": the accepted ensemble against the prior draws" if has_prior else
        " by the accepted ensemble (the prior's share is not known: its draws were not run)"))
    return fig


def _target_text(row: pd.Series) -> str:
    name, description = str(row.get("target", "")), str(row.get("description", "") or "")
    text = description if description.startswith(name) else (
        f"{name}: {description}" if description else name)
    return textwrap.fill(text, 34)


BUILDERS = {"marginals": figure_marginals, "pairs": figure_pairs,
            "distances": figure_distances, "targets": figure_targets}


def draw_figures(result: CalibrationResult, folder: Path) -> list[Path]:
    """The four figures of `FIGURES` into `folder` (PNG and SVG each); the files written."""
    written: list[Path] = []
    for stem in FIGURES:
        written += save_figure(BUILDERS[stem](result), Path(folder) / stem)
    return written
