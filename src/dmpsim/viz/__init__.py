"""Figures from result tables: one run, replications, parameter sweeps, scenario comparisons and
the analyses' own figures.

Knows nothing of the model object: every figure is drawn from tables (and the folders that
`dmpsim run`, the sweep layer and the analysis commands write; `dmpsim.io.results` reads them).

- `style`: labels, colour-blind-safe colours, hatches, line styles and markers, `save_figure`;
- `run`: `overview_figure`, the figure `dmpsim run` writes;
- `series`: series over time, with bands across replications, scenarios side by side;
- `sweeps`: a sweep's heatmap and lines;
- `comparison`, `ablation`, `discovery`, `sensitivity`: the analysis commands' figures;
- `results`: `plot_results`, the standard figures of a results folder (`dmpsim plot`).

The figure builders return matplotlib `Figure` objects without saving them, so that callers (and
tests) can inspect or adjust them; `save_figure` writes one as PNG and SVG (or PDF). The names
below are imported on first use, so that `import dmpsim.viz` does not load matplotlib.
"""

from __future__ import annotations

import importlib
from typing import Any

# Public name -> the module of this package that defines it.
_HOMES = {
    "overview_figure": "run",
    "figure_series_bands": "series",
    "figure_integrity_pressure": "series",
    "figure_market_share": "series",
    "figure_responses": "series",
    "figure_episodes_by_type": "series",
    "figure_field": "series",
    "figure_sweep_heatmap": "sweeps",
    "figure_sweep_lines": "sweeps",
    "figure_effects": "comparison",
    "figure_trajectory": "discovery",
    "figure_box": "discovery",
    "figure_indices": "sensitivity",
    "build_figures": "results",
    "plot_results": "results",
    "save_figure": "style",
    "METRIC_LABELS": "style",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
