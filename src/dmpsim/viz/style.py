"""How every figure looks: labels, Okabe-Ito colours, hatches, line styles and markers, saving,
and the layout helpers the figure modules share.

Every figure is meant to survive print: labelled axes with units, a title, a legend where more
than one thing is drawn, Okabe-Ito colours (distinguishable with the common colour-vision
deficiencies) and, because colour alone does not survive grey-scale printing, hatches, line
styles and markers as a second cue. Figures are built on `matplotlib.figure.Figure` directly,
not through pyplot, so nothing accumulates in pyplot's figure registry however many are built.
"""

from __future__ import annotations

import math
import sys
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import matplotlib

# Files, never windows: figures are written by commands and workers that may have no display.
matplotlib.use("Agg")
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ..errors import InputError  # noqa: E402

__all__ = [
    "KIND_COLOURS",
    "KIND_HATCHES",
    "KIND_LABELS",
    "KIND_LINESTYLES",
    "KIND_MARKERS",
    "METRIC_LABELS",
    "OKABE_ITO",
    "PRESSURE_LABELS",
    "RESPONSE_COLOURS",
    "RESPONSE_HATCHES",
    "RESPONSE_LABELS",
    "RESPONSE_LINESTYLES",
    "RESPONSE_MARKERS",
    "metric_label",
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

#: Short axis labels, with units, for summary keys (`dmpsim.experiments.tables.SUMMARY_KEYS`) and model
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

FORMATS = frozenset({"png", "svg", "pdf"})

# Small multiples beyond this many groups become unreadable in print; extra groups are left out
# and the figure title says so.
MAX_PANELS = 6

MAX_GROUPS = len(OKABE_ITO)

BAND_LABEL = "10-90% of runs"


def metric_label(key: str) -> str:
    """The axis (or table) label of a summary key or model column: `METRIC_LABELS`, else the key."""
    return METRIC_LABELS.get(key, key)


def _fmt_value(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return f"{value:.4g}"
    return str(value)


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
    # Figures built here are not in pyplot's registry; a caller's pyplot figure is closed, and
    # pyplot is not imported for it (it costs a third of a second).
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)
    return written


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


def _figure_legend(fig: Figure, handles: list[Any], labels: list[str], ncol: int) -> None:
    """One legend for all panels, below them (small multiples share their series)."""
    # No more columns than fit the figure's width: a legend wider than the figure is clipped.
    # An entry takes about 0.07 inch per character at "small" size plus 0.6 inch for its key.
    widest = max((len(label) for label in labels), default=1) * 0.07 + 0.6
    fit = max(1, int(fig.get_figwidth() // widest))
    fig.legend(handles, labels, loc="outside lower center", ncol=max(1, min(ncol, fit)),
               fontsize="small", frameon=False)


def _suptitle(fig: Figure, title: str | None, default: str) -> None:
    # Wrap rather than let a long title run off a narrow figure (about 7 bold characters/inch).
    width = max(30, int(fig.get_figwidth() * 7))
    fig.suptitle(textwrap.fill(title or default, width), fontsize="large", fontweight="bold")
