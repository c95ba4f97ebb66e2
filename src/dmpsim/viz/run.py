"""The figure of one run that `dmpsim run` writes beside its tables."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..model.params import KINDS

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["draw_overview", "overview_figure", "overview_series", "prepare_drawing"]


def overview_figure(model: pd.DataFrame, title: str, out: Path) -> Path:
    """Integrity and public confidence over time, and market share by practitioner kind."""
    return draw_overview(overview_series(model), title, out)


def overview_series(model: pd.DataFrame) -> dict[str, np.ndarray]:
    """What the overview figure draws, from a run's model table, as plain arrays: years,
    integrity (12-month rolling mean), public confidence and each kind's share of value."""
    series = {
        "years": (model["step"] / 12.0).to_numpy(),
        "integrity": model["integrity"].rolling(12, min_periods=1).mean().to_numpy(),
        "public_confidence": model["public_confidence"].to_numpy(),
    }
    for kind in KINDS:
        series[f"share_value_{kind}"] = model[f"share_value_{kind}"].fillna(0.0).to_numpy()
    return series


def prepare_drawing() -> None:
    """Import what `draw_overview` draws with (matplotlib, its Agg canvas and fonts), for a
    process that has time to spare before the data come (`dmpsim.cli.overview`)."""
    from matplotlib.backends import backend_agg
    from matplotlib.figure import Figure

    from . import style  # noqa: F401

    # A first text drawn loads the font and builds its caches: do it now, on a scrap canvas.
    scrap = Figure(figsize=(1, 1))
    scrap.text(0.5, 0.5, "0.5 Year")
    backend_agg.FigureCanvasAgg(scrap).draw()


def draw_overview(series: Mapping[str, np.ndarray], title: str, out: Path) -> Path:
    """Draw and write the overview figure from `overview_series`' arrays.

    Needs matplotlib and numpy only, not pandas: `dmpsim run` draws it in a second process
    (`dmpsim.cli.overview`) that starts before the model is imported. matplotlib is imported
    here rather than with this module, so that the run's process can make the series without it.
    """
    from matplotlib.figure import Figure

    from .style import KIND_COLOURS, KIND_HATCHES, KIND_LABELS

    years = series["years"]
    # Built on Figure directly (as every figure here): `dmpsim run` never imports pyplot.
    fig = Figure(figsize=(8, 7))
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(years, series["integrity"], color="black",
             label="Integrity of completed processes (12-month mean)")
    top.plot(years, series["public_confidence"], color="#0072B2", linestyle="--",
             label="Public confidence")
    top.set_ylabel("Score (0-1)")
    top.set_ylim(0, 1.02)
    top.legend(loc="lower left")
    top.set_title(title)
    shares = np.vstack([series[f"share_value_{k}"] for k in KINDS])
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
