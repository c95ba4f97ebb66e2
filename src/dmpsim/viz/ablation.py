"""The figure of a mechanism ablation: the knock-outs' effects as a heat map."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from ..analysis.results import ABLATION_METRICS, HEADLINE, PATTERNS, Ablation
from ..model.params import MECHANISMS
from .comparison import ensemble_differences, figure_ensemble_differences
from .style import metric_label, save_figure

__all__ = ["draw_ensemble_figure", "draw_figure"]


def draw_figure(result: Ablation, stem: Path) -> list[Path]:
    """Heat map of the effects: mechanisms x headline outputs, coloured by Cohen's d
    (knock-out minus full model over the pooled run-to-run sd), * where the interval excludes
    zero. PNG and SVG."""
    d = result.effects(HEADLINE, "cohens_d").astype(float)
    flags = result.effects(HEADLINE, "excludes_zero")
    shown = d.clip(-2, 2).to_numpy()
    n_rows, n_cols = shown.shape
    fig = Figure(figsize=(0.5 * n_cols + 4.0, 0.3 * n_rows + 3.6), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(np.ma.masked_invalid(shown), cmap="RdBu_r",
                      norm=TwoSlopeNorm(vmin=-2, vcenter=0, vmax=2), aspect="auto")
    ax.set_facecolor("0.85")
    for i in range(n_rows):
        for j in range(n_cols):
            flag = flags.iat[i, j]
            if flag is not pd.NA and flag is not None and bool(flag):
                dark = abs(shown[i, j]) > 1.2
                ax.text(j, i, "*", ha="center", va="center", fontsize=11,
                        color="white" if dark else "black")
    labels = [f"{MECHANISMS[m][0]} {m}" for m in d.index]
    ax.set_yticks(range(n_rows), labels)
    ax.set_xticks(range(n_cols), [c if c in PATTERNS else metric_label(c).split(" (")[0]
                                  for c in d.columns], rotation=55, ha="right")
    ax.set_xlabel("Output (summary key; PT1-PT10: the pattern figures)")
    ax.set_ylabel("Mechanism knocked out")
    ax.axvline(len(ABLATION_METRICS) - 0.5, color="black", linewidth=1)
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02, extend="both")
    bar.set_label("Cohen's d of the effect\n(knock-out minus full model)")
    ax.set_title(f"Mechanism knock-outs in {result.scenario.name} ({result.replications} "
                 f"replications, {result.steps} months)\n* = the 95% interval of the paired "
                 "difference excludes zero; grey: no estimate", fontsize=10)
    return save_figure(fig, stem)


def draw_ensemble_figure(result: Ablation, stem: Path) -> list[Path]:
    """Across a calibrated ensemble: each knock-out's effect (knock-out minus full model) in
    every member, on the main outputs (`ABLATION_METRICS`), one panel per output. PNG and SVG;
    nothing without an ensemble or an effect to draw."""
    comparison = result.comparison
    if comparison.ensemble is None:
        return []
    differences = ensemble_differences(comparison, ABLATION_METRICS)
    if differences.empty:
        return []
    arms = [result.arm(m) for m in result.mechanisms]
    fig = figure_ensemble_differences(
        differences, baseline=result.full, scenarios=arms, outputs=ABLATION_METRICS,
        ncols=4 if len(arms) > 8 else 2, ylabel="Mechanism knocked out",
        xlabel=f"Knock-out minus {result.full}",
        title=f"Knock-out minus full model ({result.full}) in each of the "
              f"{result.replications} members of the ensemble (each member: its parameters "
              "and seed, one run per arm)")
    return save_figure(fig, stem)
