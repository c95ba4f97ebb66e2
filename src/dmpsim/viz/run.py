"""The figure of one run that `dmpsim run` writes beside its tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from ..model.params import KINDS
from .style import KIND_COLOURS, KIND_HATCHES, KIND_LABELS

__all__ = ["overview_figure"]


def overview_figure(model: pd.DataFrame, title: str, out: Path) -> Path:
    """Integrity and public confidence over time, and market share by practitioner kind."""
    years = model["step"] / 12.0
    # Built on Figure directly (as every figure here): `dmpsim run` never imports pyplot.
    fig = Figure(figsize=(8, 7))
    top, bottom = fig.subplots(2, 1, sharex=True)
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
    # Fixed margins rather than tight_layout, which lays out every text once more before the
    # drawing: a third of the figure's cost, and `dmpsim run` draws it every time.
    fig.subplots_adjust(left=0.1, right=0.97, top=0.95, bottom=0.075, hspace=0.07)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    return out
