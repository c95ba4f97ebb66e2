"""Deprecated: the figures moved to `dmpsim.viz`, the reading of result folders to
`dmpsim.io.results`. This alias re-exports the old names for one release."""

from __future__ import annotations

import warnings

from .io.results import GROUP_COLUMN, RUN_COLUMNS, ResultsData, load_results
from .viz.comparison import EFFECT_COLUMNS, figure_effects
from .viz.results import build_figures, plot_results
from .viz.run import overview_figure
from .viz.series import (
    RATE_WEIGHTS,
    figure_episodes_by_type,
    figure_field,
    figure_integrity_pressure,
    figure_market_share,
    figure_responses,
    figure_series_bands,
)
from .viz.style import (
    BAND_LABEL,
    FORMATS,
    GROUP_LINESTYLES,
    GROUP_MARKERS,
    KIND_COLOURS,
    KIND_HATCHES,
    KIND_LABELS,
    KIND_LINESTYLES,
    KIND_MARKERS,
    MAX_GROUPS,
    MAX_PANELS,
    METRIC_LABELS,
    OKABE_ITO,
    PRESSURE_LABELS,
    RESPONSE_COLOURS,
    RESPONSE_HATCHES,
    RESPONSE_LABELS,
    RESPONSE_LINESTYLES,
    RESPONSE_MARKERS,
    save_figure,
)
from .viz.sweeps import (
    OK_STATUSES,
    SWEEP_LINE_METRICS,
    figure_sweep_heatmap,
    figure_sweep_lines,
)

warnings.warn("dmpsim.plots is deprecated: import the figures from dmpsim.viz, and "
              "load_results and ResultsData from dmpsim.io.results", DeprecationWarning,
              stacklevel=2)

__all__ = [
    "BAND_LABEL",
    "EFFECT_COLUMNS",
    "FORMATS",
    "GROUP_COLUMN",
    "GROUP_LINESTYLES",
    "GROUP_MARKERS",
    "KIND_COLOURS",
    "KIND_HATCHES",
    "KIND_LABELS",
    "KIND_LINESTYLES",
    "KIND_MARKERS",
    "MAX_GROUPS",
    "MAX_PANELS",
    "METRIC_LABELS",
    "OKABE_ITO",
    "OK_STATUSES",
    "PRESSURE_LABELS",
    "RATE_WEIGHTS",
    "RESPONSE_COLOURS",
    "RESPONSE_HATCHES",
    "RESPONSE_LABELS",
    "RESPONSE_LINESTYLES",
    "RESPONSE_MARKERS",
    "RUN_COLUMNS",
    "SWEEP_LINE_METRICS",
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
