"""Figures of a sensitivity analysis: one output's Morris or Sobol' indices, with the
convergence check."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..analysis.results import MAIN_INDEX, SensitivityResult
from .style import metric_label

__all__ = ["figure_indices"]


def figure_indices(result: SensitivityResult, output: str) -> Figure:
    """Bar chart of one output's indices, parameters sorted, with confidence half-widths and
    the half-design value as an open marker (the convergence check)."""
    rows = result.indices[result.indices["output"] == output]
    conv = result.convergence[result.convergence["output"] == output]
    if result.method == "morris":
        shown = [("mu_star", "mu* (mean |elementary effect|)", "#0072B2", "")]
        xlabel = f"mu*: change in {metric_label(output)}\nacross each parameter's whole range"
        title = f"Morris screening: {metric_label(output).split(' (')[0]}"
    else:
        shown = [("S1", "S1 (first order)", "#56B4E9", "//"),
                 ("ST", "ST (total order)", "#D55E00", "")]
        xlabel = f"Sobol' index (share of the variance of\n{metric_label(output)})"
        title = f"Sobol' indices: {metric_label(output).split(' (')[0]}"
    main = rows[rows["index"] == MAIN_INDEX[result.method]].sort_values("value")
    params = list(main["parameter"])
    fig = Figure(figsize=(7.5, 1.9 + 0.42 * len(params) * (1 if len(shown) == 1 else 1.4)),
                 layout="constrained")
    ax = fig.subplots()
    height = 0.8 / len(shown)
    y = np.arange(len(params))
    handles, labels = [], []
    for j, (index, label, colour, hatch) in enumerate(shown):
        values = rows[rows["index"] == index].set_index("parameter").reindex(params)
        offset = (j - (len(shown) - 1) / 2) * height
        conf = values["conf"].to_numpy(dtype=float)
        ax.barh(y + offset, values["value"].to_numpy(dtype=float), height=height * 0.9,
                xerr=np.where(np.isfinite(conf), conf, 0.0), color=colour, hatch=hatch,
                edgecolor="black", linewidth=0.6, error_kw={"elinewidth": 1, "capsize": 3})
        handles.append(Patch(facecolor=colour, hatch=hatch, edgecolor="black"))
        labels.append(label)
        half = conv[conv["index"] == index].set_index("parameter").reindex(params)
        if len(conv) and half["value_half"].notna().any():
            ax.plot(half["value_half"].to_numpy(dtype=float), y + offset, linestyle="none",
                    marker="D", markerfacecolor="white", markeredgecolor="black", markersize=6)
    if len(conv):
        handles.append(Line2D([], [], linestyle="none", marker="D", markerfacecolor="white",
                              markeredgecolor="black"))
        labels.append("value from half the design")
    handles.append(Line2D([], [], color="black", linewidth=1))
    labels.append("95% confidence half-width")
    ax.set_yticks(y, params)
    ax.set_ylabel("Parameter")
    ax.set_xlabel(xlabel)
    ax.axvline(0, color="0.4", linewidth=0.8)
    ax.set_title(title)
    fig.legend(handles, labels, fontsize="small", loc="outside lower center",
               ncol=min(3, len(labels)), frameon=False)
    return fig
