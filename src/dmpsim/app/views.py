"""The app's pictures, drawn with matplotlib from a live model (no Solara here).

Each view is a `LivePlot`: a figure built once for a model, whose still parts (axes, ticks,
titles, legends) are drawn once and kept as a background, and whose moving parts (lines, bars,
links) are redrawn over it each step (matplotlib "blitting"). The background is redrawn only when
something still changes (an axis grows, large firms enter). This keeps one step of the app, with
all its pictures, well under 100 ms; drawing every figure from scratch each step costs several
times that on a small machine.

    plot = IntegrityPlot(model)
    model.step()
    png_bytes = plot.render(model)

The time axis is in years and spans the whole run, so lines grow from left to right as the class
watches. Colours are those of `dmpsim.viz.style`, so the app matches the report figures.
"""

from __future__ import annotations

import io
import math
from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from PIL import Image

from ..model.params import INDEPENDENT_KINDS, KINDS, LEVELS, PRESSURE_TYPES, RESPONSES
from ..viz.style import (
    KIND_COLOURS,
    KIND_HATCHES,
    KIND_LABELS,
    PRESSURE_LABELS,
    RESPONSE_COLOURS,
    RESPONSE_LABELS,
)

if TYPE_CHECKING:
    from ..model import DMPMarket

DPI = 100
SIZE = (5.4, 3.7)          # 540 x 370 pixels: half the app's width, one grid cell high
TITLE = 12
SMALL = 9
A_COLOUR, B_COLOUR = "#000000", "#CC79A7"   # runs A and B (Okabe-Ito black and purple)
INTEGRITY_FLOOR = 0.4
PRESSURE_EDGES = (         # current contracts, by pressure episodes so far
    (0, "#BBBBBB", 0.8, "no pressure"),
    (1, "#E69F00", 1.6, "1 episode"),
    (2, "#D55E00", 2.2, "2 episodes"),
    (3, "#7A0019", 2.8, "3 or more"),
)
LEVEL_GREYS = {"local": "#D9D9D9", "regional": "#A6A6A6", "national": "#595959", "other": "#FFFFFF"}
NICE = (5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000,
        7500, 10000)


# -- data from the model ------------------------------------------------------------------------

def series(model: DMPMarket, name: str) -> np.ndarray:
    """One model reporter's values so far, month 1 first (NaN where undefined)."""
    return np.asarray(model.datacollector.model_vars[name], dtype=float)


def rolling_rate(rate: np.ndarray, weight: np.ndarray, window: int = 12) -> np.ndarray:
    """Weighted rolling mean of a monthly rate (NaN where the window holds no weight)."""
    w = np.nan_to_num(np.asarray(weight, dtype=float))
    v = np.where(w > 0, np.nan_to_num(np.asarray(rate, dtype=float)) * w, 0.0)
    cv, cw = np.cumsum(v), np.cumsum(w)
    cv[window:] = cv[window:] - cv[:-window].copy()
    cw[window:] = cw[window:] - cw[:-window].copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cw > 1e-12, cv / np.where(cw > 1e-12, cw, 1.0), np.nan)


def years(model: DMPMarket) -> np.ndarray:
    return np.arange(1, len(model.datacollector.model_vars["integrity"]) + 1) / 12.0


def horizon_years(model: DMPMarket) -> float:
    return getattr(model, "horizon", model.p.run.steps) / 12.0


def large_firm_entry(model: DMPMarket) -> int | None:
    """The month large firms entered, or None if they have not."""
    months = [p.entered_step for p in model.practitioners if p.kind == "large_firm"]
    return min(months) if months else None


def integrity_line(model: DMPMarket) -> np.ndarray:
    """Mean integrity of the processes completed in the last 12 months, month by month."""
    return rolling_rate(series(model, "integrity"), series(model, "contracts_completed"))


def shares(model: DMPMarket) -> np.ndarray:
    """Share of contract value by kind (rows in `KINDS` order) over the last 12 months."""
    return np.nan_to_num(np.vstack([series(model, f"share_value_{k}") for k in KINDS]))


def episode_counts(model: DMPMarket) -> dict[str, Counter]:
    """Pressure episodes so far: for each pressure type, a count of each response."""
    counts = {t: Counter() for t in PRESSURE_TYPES}
    for row in model.episode_rows:
        counts[row[3]][row[4]] += 1
    return counts


def nice_ceiling(value: float) -> float:
    """The first 'round' axis limit at or above `value` (so axes grow in a few jumps)."""
    for n in NICE:
        if value <= n:
            return float(n)
    return float(10 ** math.ceil(math.log10(value)))


# -- the blitting figure ------------------------------------------------------------------------

def encode_png(rgba: Any) -> bytes:
    """An RGBA buffer as PNG bytes (fast compression: the picture is re-sent every step)."""
    buf = io.BytesIO()
    Image.fromarray(np.asarray(rgba)).save(buf, format="png", compress_level=1)
    return buf.getvalue()


class LivePlot:
    """A figure for one model: still parts drawn once, moving parts redrawn each `render`.

    Subclasses build the still parts in `build`, create their moving artists with `moving`, set
    their data in `update`, and return from `still_key` anything that changes the still parts
    (`restyle` then applies it and the background is redrawn).
    """

    size: tuple[float, float] = SIZE
    alt: str = "A chart of the run"   # one line for the <img>'s alt text: what the view shows

    def __init__(self, model: DMPMarket) -> None:
        self.fig = Figure(figsize=self.size, dpi=DPI)
        self.canvas = FigureCanvasAgg(self.fig)
        self._moving: list[Artist] = []
        self._background = None
        self._key: Any = object()
        self.build(model)

    # subclass API
    def build(self, model: DMPMarket) -> None:
        raise NotImplementedError

    def update(self, model: DMPMarket) -> None:
        raise NotImplementedError

    def still_key(self, model: DMPMarket) -> Any:
        return ()

    def restyle(self, model: DMPMarket, key: Any) -> None:
        pass

    def moving(self, artist: Artist) -> Artist:
        """Register an artist that is redrawn every step (left out of the background)."""
        artist.set_animated(True)
        self._moving.append(artist)
        return artist

    # drawing
    def render(self, model: DMPMarket) -> bytes:
        """The figure for `model` now, as PNG bytes."""
        key = self.still_key(model)
        if key != self._key:
            self.restyle(model, key)
            self._moving = [a for a in self._moving if a.figure is not None]  # drop removed ones
            self.canvas.draw()   # animated (moving) artists are left out
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
            self._key = key
        else:
            self.canvas.restore_region(self._background)
        self.update(model)
        renderer = self.canvas.get_renderer()
        for artist in self._moving:
            if artist.get_visible():
                artist.draw(renderer)
        return encode_png(self.canvas.buffer_rgba())


def _style(ax, grid: bool = False) -> None:
    ax.tick_params(labelsize=SMALL)
    ax.spines[["top", "right"]].set_visible(False)
    if grid:
        ax.grid(axis="y", color="#EEEEEE", lw=0.8)
        ax.set_axisbelow(True)


def _time_axis(ax, model: DMPMarket, label: bool = True) -> None:
    end = horizon_years(model)
    ax.set_xlim(0, end)
    step = 1 if end <= 12 else 2 if end <= 24 else 5
    ax.set_xticks(np.arange(0, end + 0.01, step))
    if label:
        ax.set_xlabel("Year", fontsize=SMALL)


class EntryMark:
    """A dashed line (and label) at the month large firms entered, part of the background."""

    def __init__(self, ax, y: float = 0.98, colour: str = KIND_COLOURS["large_firm"],
                 text: str | None = " large firms enter") -> None:
        self.ax, self.y, self.colour, self.text = ax, y, colour, text
        self.artists: list[Artist] = []

    def place(self, month: int | None) -> None:
        for artist in self.artists:
            artist.remove()
        self.artists = []
        if month is None:
            return
        x = month / 12.0
        self.artists.append(self.ax.axvline(x, color=self.colour, ls="--", lw=1.2, zorder=1))
        if self.text:
            self.artists.append(self.ax.text(
                x, self.y, self.text, transform=self.ax.get_xaxis_transform(), fontsize=SMALL,
                color=self.colour, va="top", ha="left"))


def _visible_entry(model: DMPMarket) -> int | None:
    month = large_firm_entry(model)
    return month if month is not None and month <= model.steps else None


def _stack_polys(ax, moving) -> list[PolyCollection]:
    polys = []
    for kind in KINDS:
        poly = PolyCollection([], facecolors=KIND_COLOURS[kind], edgecolors="white",
                              linewidths=0.3, hatch=KIND_HATCHES[kind] or None)
        ax.add_collection(poly)
        polys.append(moving(poly))
    return polys


def _set_stack(polys: list[PolyCollection], x: np.ndarray, values: np.ndarray) -> None:
    lower = np.zeros(len(x))
    for poly, row in zip(polys, values, strict=True):
        upper = lower + row
        if len(x):
            verts = np.concatenate([np.column_stack([x, upper]),
                                    np.column_stack([x[::-1], lower[::-1]])])
            poly.set_verts([verts])
        else:
            poly.set_verts([])
        lower = upper


_ENTRY_HANDLE = Line2D([], [], color=KIND_COLOURS["large_firm"], ls="--", lw=1.2,
                       label="Large firms enter")


def _kind_patches() -> list[Patch]:
    return [Patch(facecolor=KIND_COLOURS[k], hatch=KIND_HATCHES[k], edgecolor="white",
                  label=KIND_LABELS[k]) for k in KINDS]


# -- the views ----------------------------------------------------------------------------------

class IntegrityPlot(LivePlot):
    """Integrity of completed processes: each month (dots) and over the last 12 months (line)."""

    alt = ("Line chart: mean integrity of completed processes by year, each month and over the "
           "last 12 months, with the month large firms enter marked")

    def build(self, model):
        ax = self.ax = self.fig.subplots()
        self.fig.subplots_adjust(left=0.1, right=0.97, top=0.9, bottom=0.13)
        _style(ax, grid=True)
        _time_axis(ax, model)
        ax.set_ylim(INTEGRITY_FLOOR, 1.0)
        ax.set_ylabel("Integrity (1 = untouched)", fontsize=SMALL)
        ax.set_title("Integrity of completed processes", fontsize=TITLE, loc="left")
        self.dots = self.moving(ax.plot([], [], ".", color="#999999", ms=4)[0])
        self.line = self.moving(ax.plot([], [], "-", color=A_COLOUR, lw=2.2)[0])
        ax.legend(handles=[
            Line2D([], [], ls="", marker=".", color="#999999", label="mean of one month"),
            Line2D([], [], color=A_COLOUR, lw=2.2, label="mean of the last 12 months"),
        ], loc="lower left", fontsize=SMALL, frameon=False)
        self.mark = EntryMark(ax)

    def still_key(self, model):
        return _visible_entry(model)

    def restyle(self, model, key):
        self.mark.place(key)

    def update(self, model):
        x = years(model)
        self.dots.set_data(x, np.clip(series(model, "integrity"), INTEGRITY_FLOOR, 1.0))
        self.line.set_data(x, integrity_line(model))


class MarketSharePlot(LivePlot):
    """Share of contract value won by each kind of practitioner over the last 12 months."""

    alt = ("Stacked area chart: share of contract value won by each kind of practitioner over "
           "the last 12 months, by year")

    def build(self, model):
        ax = self.ax = self.fig.subplots()
        self.fig.subplots_adjust(left=0.1, right=0.97, top=0.9, bottom=0.3)
        _style(ax)
        _time_axis(ax, model)
        ax.set_ylim(0, 1)
        ax.set_ylabel("Share of contract value", fontsize=SMALL)
        ax.set_title("Market share by kind of practitioner (last 12 months)", fontsize=TITLE,
                     loc="left")
        ax.legend(handles=[*_kind_patches(), _ENTRY_HANDLE], loc="upper center",
                  bbox_to_anchor=(0.5, -0.17), ncol=3, fontsize=SMALL, frameon=False)
        self.polys = _stack_polys(ax, self.moving)
        self.mark = EntryMark(ax, text=None)

    def still_key(self, model):
        return _visible_entry(model)

    def restyle(self, model, key):
        # The mark is drawn over the areas, so it is a moving artist once it exists.
        self.mark.place(key)
        for artist in self.mark.artists:
            if artist not in self._moving:
                self.moving(artist)

    def update(self, model):
        _set_stack(self.polys, years(model), shares(model))


class PressurePlot(LivePlot):
    """Pressure episodes so far by type (bars), split by the practitioner's response."""

    alt = ("Bar chart: pressure episodes so far by type of pressure, split by how the "
           "practitioner responded")

    def build(self, model):
        ax = self.ax = self.fig.subplots()
        self.fig.subplots_adjust(left=0.38, right=0.97, top=0.9, bottom=0.27)
        _style(ax)
        y = np.arange(len(PRESSURE_TYPES))[::-1]
        self.bars = {}
        for response in RESPONSES:
            bars = ax.barh(y, np.zeros(len(y)), color=RESPONSE_COLOURS[response], height=0.7,
                           edgecolor="white", lw=0.3)
            self.bars[response] = [self.moving(b) for b in bars]
        ax.set_yticks(y, [PRESSURE_LABELS[t] for t in PRESSURE_TYPES], fontsize=SMALL)
        ax.set_xlabel("Pressure episodes so far", fontsize=SMALL)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title("Pressure on practitioners, and their responses", fontsize=TITLE, loc="right")
        ax.legend(handles=[Patch(color=RESPONSE_COLOURS[r], label=RESPONSE_LABELS[r])
                           for r in RESPONSES],
                  loc="upper center", bbox_to_anchor=(0.3, -0.15), ncol=3, fontsize=SMALL,
                  frameon=False, handlelength=1.2, columnspacing=1.0)
        self.total = self.moving(ax.text(0.99, 0.02, "", transform=ax.transAxes, ha="right",
                                         va="bottom", fontsize=SMALL + 1))

    def still_key(self, model):
        counts = episode_counts(model)
        self._counts = counts
        top = max([sum(c.values()) for c in counts.values()] + [0])
        return nice_ceiling(max(1.0, top * 1.05))

    def restyle(self, model, key):
        self.ax.set_xlim(0, key)

    def update(self, model):
        counts = getattr(self, "_counts", None) or episode_counts(model)
        self._counts = None
        left = np.zeros(len(PRESSURE_TYPES))
        for response in RESPONSES:
            for i, t in enumerate(PRESSURE_TYPES):
                width = counts[t][response]
                bar = self.bars[response][i]
                bar.set_x(left[i])
                bar.set_width(width)
                left[i] += width
        total = int(left.sum())
        self.total.set_text(f"{total} episode{'s' if total != 1 else ''} in {model.steps} months")


class OrganisationsPlot(LivePlot):
    """Active organisations by kind, stacked (left), and the field's experience stock (right)."""

    alt = ("Two charts by year: active organisations of each kind (stacked), and the field's "
           "experience stock")

    def build(self, model):
        ax, ex = self.ax, self.ex = self.fig.subplots(1, 2)
        self.fig.subplots_adjust(left=0.11, right=0.97, top=0.9, bottom=0.3, wspace=0.42)
        for a in (ax, ex):
            _style(a, grid=True)
            _time_axis(a, model, label=False)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("Active organisations", fontsize=SMALL)
        ax.set_title("Organisations by kind", fontsize=TITLE, loc="left")
        ex.set_ylabel("Processes' worth of experience", fontsize=SMALL)
        ex.set_title("Field's experience stock", fontsize=TITLE, loc="left")
        self.polys = _stack_polys(ax, self.moving)
        self.exp = self.moving(ex.plot([], [], color=A_COLOUR, lw=2)[0])
        ax.legend(handles=_kind_patches(), loc="upper center", bbox_to_anchor=(1.25, -0.1),
                  ncol=2, fontsize=SMALL, frameon=False, handlelength=1.5, columnspacing=1.0)
        self.marks = [EntryMark(ax, text=None), EntryMark(ex, y=0.14)]

    def still_key(self, model):
        total = sum(series(model, f"active_{k}") for k in KINDS)
        active = max(float(np.max(total, initial=0.0)),
                     sum(model.active_count(k) for k in KINDS), 1.0)
        experience = max(float(series(model, "field_experience").max(initial=0.0)),
                         model.field_experience(), 1.0)
        return (nice_ceiling(active * 1.1), nice_ceiling(experience * 1.1), _visible_entry(model))

    def restyle(self, model, key):
        top, exp_top, entry = key
        self.ax.set_ylim(0, top)
        self.ex.set_ylim(0, exp_top)
        for mark in self.marks:
            mark.place(entry)
        for artist in self.marks[0].artists:   # over the areas: redrawn with them
            self.moving(artist)

    def update(self, model):
        x = years(model)
        _set_stack(self.polys, x, np.vstack([series(model, f"active_{k}") for k in KINDS]))
        self.exp.set_data(x, series(model, "field_experience"))


def _ring(n: int, radius: float, start: float = math.pi / 2) -> np.ndarray:
    if n == 0:
        return np.zeros((0, 2))
    angles = start - 2 * math.pi * np.arange(n) / n
    return np.column_stack([radius * np.cos(angles), radius * np.sin(angles)])


def market_layout(model: DMPMarket) -> tuple[dict[int, tuple[float, float]], list, list]:
    """Positions: commissioners on an outer ring by level, practitioners on an inner ring by kind."""
    bodies = sorted(model.commissioners, key=lambda c: (LEVELS.index(c.level), c.unique_id))
    firms = sorted(model.practitioners, key=lambda p: (KINDS.index(p.kind), p.unique_id))
    pos = {}
    for body, xy in zip(bodies, _ring(len(bodies), 1.0), strict=True):
        pos[body.unique_id] = (float(xy[0]), float(xy[1]))
    for firm, xy in zip(firms, _ring(len(firms), 0.5), strict=True):
        pos[firm.unique_id] = (float(xy[0]), float(xy[1]))
    return pos, bodies, firms


class MarketPicture(LivePlot):
    """The market now: commissioners (outer ring, squares), practitioners (inner ring, circles
    sized by experience; white if they have left) and the contracts running now (links coloured
    by the pressure met so far)."""

    alt = ("Network picture of the market now: commissioners on an outer ring, practitioners on "
           "an inner ring, and the contracts running now coloured by the pressure met so far")

    def build(self, model):
        fig = self.fig
        ax = self.ax = fig.add_axes((0.0, 0.0, 0.56, 0.9))
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_xlim(-1.1, 1.1)
        ax.set_ylim(-1.1, 1.1)
        self.links = []
        for n_min, colour, width, _label in PRESSURE_EDGES:
            coll = LineCollection([], colors=colour, linewidths=width, zorder=1 + n_min)
            ax.add_collection(coll)
            self.links.append((n_min, self.moving(coll)))
        self.bodies = self.moving(ax.scatter([], [], s=22, marker="s", edgecolors="#333333",
                                             linewidths=0.5, zorder=6))
        self.firms = self.moving(ax.scatter([], [], s=[], linewidths=1.0, zorder=7))
        self.gone = self.moving(ax.scatter([], [], s=30, marker="x", c="#AAAAAA", zorder=8))
        self.title = self.moving(fig.text(0.01, 0.95, "", fontsize=TITLE))
        kinds = [Line2D([], [], ls="", marker="o", ms=8, mfc=KIND_COLOURS[k], mec="#222222",
                        label=KIND_LABELS[k]) for k in KINDS]
        kinds.append(Line2D([], [], ls="", marker="o", ms=8, mfc="white", mec="#AAAAAA",
                            label="Left the market"))
        kinds += [Line2D([], [], ls="", marker="s", ms=6, mfc=LEVEL_GREYS[lv], mec="#333333",
                         label=f"{lv.capitalize()} body") for lv in LEVELS[:3]]
        links = [Line2D([], [], color=c, lw=w, label=lbl) for _n, c, w, lbl in PRESSURE_EDGES]
        fig.legend(handles=kinds, loc="upper left", bbox_to_anchor=(0.55, 0.92), fontsize=SMALL,
                   frameon=False, title="Size: experience", title_fontsize=SMALL,
                   alignment="left", handletextpad=0.3, borderaxespad=0.2, labelspacing=0.35)
        fig.legend(handles=links, loc="lower left", bbox_to_anchor=(0.55, 0.0), fontsize=SMALL,
                   frameon=False, title="Contracts now, by pressure", title_fontsize=SMALL,
                   alignment="left", handlelength=1.5, borderaxespad=0.2, labelspacing=0.35)

    def update(self, model):
        pos, bodies, firms = market_layout(model)
        for n_min, coll in self.links:
            n_max = n_min if n_min < 3 else 10**9
            coll.set_segments([(pos[c.commissioner.unique_id], pos[c.lead.unique_id])
                               for c in model.active_contracts if n_min <= c.n_episodes <= n_max])
        self.bodies.set_offsets(np.array([pos[b.unique_id] for b in bodies]).reshape(-1, 2))
        self.bodies.set_facecolor([LEVEL_GREYS[b.level] for b in bodies])
        self.firms.set_offsets(np.array([pos[f.unique_id] for f in firms]).reshape(-1, 2))
        self.firms.set_sizes([40 + 12 * math.sqrt(max(0.0, f.experience)) for f in firms])
        self.firms.set_facecolor([KIND_COLOURS[f.kind] if f.active else "white" for f in firms])
        self.firms.set_edgecolor(["#222222" if f.active else "#AAAAAA" for f in firms])
        gone = [pos[f.unique_id] for f in firms if not f.active]
        self.gone.set_offsets(np.array(gone).reshape(-1, 2))
        n = len(model.active_contracts)
        self.title.set_text(f"The market now: {n} process{'es' if n != 1 else ''} running")


class TwinPlot(LivePlot):
    """A figure of two runs, A (the app's model) and B (its twin with one lever changed)."""

    size = SIZE

    def __init__(self, a: DMPMarket, b: DMPMarket, label_a: str = "A", label_b: str = "B") -> None:
        self.b, self.label_a, self.label_b = b, label_a, label_b
        self.alt = f"{type(self).alt} ({label_a}; {label_b})"
        super().__init__(a)

    def still_key(self, model):
        return (_visible_entry(model), _visible_entry(self.b))

    def _ab_legend(self, ax, extra: tuple = ()) -> None:
        ax.legend(handles=[
            Line2D([], [], color=A_COLOUR, lw=2.2, label=self.label_a),
            Line2D([], [], color=B_COLOUR, lw=2.2, ls="--", label=self.label_b),
            *extra,
        ], loc="upper left", bbox_to_anchor=(0.0, -0.13), fontsize=SMALL, frameon=False)


_ENTRY_AB = Line2D([], [], color="#777777", lw=1.2, ls=":", label="large firms enter (A, B)")


class CompareIntegrityPlot(TwinPlot):
    """Integrity of completed processes, runs A and B on one axes (last 12 months)."""

    alt = ("Line chart: integrity of completed processes over the last 12 months by year, "
           "run A against run B")

    def build(self, model):
        ax = self.ax = self.fig.subplots()
        self.fig.subplots_adjust(left=0.1, right=0.97, top=0.9, bottom=0.3)
        _style(ax, grid=True)
        _time_axis(ax, model, label=False)
        ax.set_ylim(INTEGRITY_FLOOR, 1.0)
        ax.set_ylabel("Integrity, last 12 months", fontsize=SMALL)
        ax.set_title("Integrity of completed processes, A and B", fontsize=TITLE, loc="left")
        self.line_a = self.moving(ax.plot([], [], "-", color=A_COLOUR, lw=2.2)[0])
        self.line_b = self.moving(ax.plot([], [], "--", color=B_COLOUR, lw=2.2)[0])
        self._ab_legend(ax, (_ENTRY_AB,))
        self.marks = [EntryMark(ax, colour=A_COLOUR, text=None),
                      EntryMark(ax, colour=B_COLOUR, text=None)]

    def restyle(self, model, key):
        for mark, entry in zip(self.marks, key, strict=True):
            mark.place(entry)
            for artist in mark.artists:
                artist.set_linestyle(":")

    def update(self, model):
        self.line_a.set_data(years(model), integrity_line(model))
        self.line_b.set_data(years(self.b), integrity_line(self.b))


class CompareSharesPlot(TwinPlot):
    """Market share by kind of practitioner, run A (left) and run B (right)."""

    alt = ("Two stacked area charts: share of contract value by kind of practitioner by year, "
           "run A (left) and run B (right)")

    def build(self, model):
        sa, sb = self.sa, self.sb = self.fig.subplots(1, 2, sharey=True)
        self.fig.subplots_adjust(left=0.1, right=0.97, top=0.9, bottom=0.3, wspace=0.12)
        for a, title in ((sa, "Market share, A"), (sb, "Market share, B")):
            _style(a)
            _time_axis(a, model, label=False)
            a.set_ylim(0, 1)
            a.set_title(title, fontsize=TITLE, loc="left")
        sa.set_ylabel("Share of contract value (12 months)", fontsize=SMALL)
        self.polys_a = _stack_polys(sa, self.moving)
        self.polys_b = _stack_polys(sb, self.moving)
        sa.legend(handles=[*_kind_patches(), _ENTRY_HANDLE], loc="upper center",
                  bbox_to_anchor=(1.05, -0.1), ncol=3, fontsize=SMALL, frameon=False)
        self.marks = [EntryMark(sa, text=None), EntryMark(sb, text=None)]

    def restyle(self, model, key):
        for mark, entry in zip(self.marks, key, strict=True):
            mark.place(entry)
            for artist in mark.artists:   # over the areas: redrawn with them
                self.moving(artist)

    def update(self, model):
        _set_stack(self.polys_a, years(model), shares(model))
        _set_stack(self.polys_b, years(self.b), shares(self.b))


def independents_active(model: DMPMarket) -> np.ndarray:
    return sum(series(model, f"active_{k}") for k in INDEPENDENT_KINDS)


class CompareFieldPlot(TwinPlot):
    """Independent organisations active (left) and the field's experience stock (right), A and B."""

    alt = ("Two line charts by year, run A against run B: independent organisations active, and "
           "the field's experience stock")

    def build(self, model):
        ia, ea = self.ia, self.ea = self.fig.subplots(1, 2)
        self.fig.subplots_adjust(left=0.11, right=0.97, top=0.9, bottom=0.3, wspace=0.42)
        for a in (ia, ea):
            _style(a, grid=True)
            _time_axis(a, model, label=False)
        ia.yaxis.set_major_locator(MaxNLocator(integer=True))
        ia.set_title("Independents active", fontsize=TITLE, loc="left")
        ia.set_ylabel("Organisations", fontsize=SMALL)
        ea.set_title("Field's experience stock", fontsize=TITLE, loc="left")
        ea.set_ylabel("Processes' worth of experience", fontsize=SMALL)
        self.lines = [
            self.moving(ia.plot([], [], drawstyle="steps-post", color=A_COLOUR, lw=2.2)[0]),
            self.moving(ia.plot([], [], drawstyle="steps-post", color=B_COLOUR, lw=2.2,
                                ls="--")[0]),
            self.moving(ea.plot([], [], color=A_COLOUR, lw=2.2)[0]),
            self.moving(ea.plot([], [], color=B_COLOUR, lw=2.2, ls="--")[0]),
        ]
        self._ab_legend(ia)

    def still_key(self, model):
        tops = []
        for m in (model, self.b):
            tops.append(max(float(np.max(independents_active(m), initial=0.0)),
                            float(sum(p.active for p in m.practitioners if p.is_independent))))
        exps = [max(float(series(m, "field_experience").max(initial=0.0)), m.field_experience())
                for m in (model, self.b)]
        return (nice_ceiling(max(tops + [1.0]) * 1.1), nice_ceiling(max(exps + [1.0]) * 1.1))

    def restyle(self, model, key):
        self.ia.set_ylim(0, key[0])
        self.ea.set_ylim(0, key[1])

    def update(self, model):
        for line, m in zip(self.lines[:2], (model, self.b), strict=True):
            line.set_data(years(m), independents_active(m))
        for line, m in zip(self.lines[2:], (model, self.b), strict=True):
            line.set_data(years(m), series(m, "field_experience"))


# -- numbers ------------------------------------------------------------------------------------

def run_numbers(model: DMPMarket) -> dict[str, float]:
    """Headline numbers of a run so far (for the readout and the side-by-side table)."""
    completed = [r["integrity"] for r in model.contract_rows if r["status"] == "completed"]
    value: Counter = Counter()
    for c in model.all_contracts:
        value[c.lead.kind] += c.price
    total = sum(value.values())
    episodes = model.episode_rows
    gave_in = sum(1 for r in episodes if r[6] in ("complied", "conceded"))
    return {
        "completed": len(completed),
        "integrity": float(np.mean(completed)) if completed else math.nan,
        "gave_in": gave_in / len(episodes) if episodes else math.nan,
        "large_firm_share": value["large_firm"] / total if total else math.nan,
        "independents": sum(1 for p in model.practitioners
                            if p.active and p.kind in INDEPENDENT_KINDS),
        "large_firms": sum(1 for p in model.practitioners if p.active and p.kind == "large_firm"),
        "exits": model.exits,
        "experience": float(sum(p.experience for p in model.practitioners if p.active)),
        "episodes": len(episodes),
        "scandals": sum(1 for r in model.contract_rows if r["discovered"]),
        "confidence": float(model.confidence),
    }


NUMBER_LINES = (
    ("completed", "Processes completed", "{:.0f}"),
    ("integrity", "Mean integrity (0-1)", "{:.3f}"),
    ("episodes", "Pressure episodes", "{:.0f}"),
    ("gave_in", "... where the practitioner gave in", "{:.0%}"),
    ("large_firm_share", "Large firms' share of value", "{:.0%}"),
    ("independents", "Independents active now", "{:.0f}"),
    ("exits", "Organisations that left", "{:.0f}"),
    ("experience", "Experience stock (processes)", "{:.0f}"),
    ("scandals", "Scandals", "{:.0f}"),
    ("confidence", "Public confidence (0-1)", "{:.2f}"),
)
"""Rows of the side-by-side table: key of `run_numbers`, label, format."""


def fmt(template: str, value: float) -> str:
    """A number for the tables, with a dash for 'not yet'."""
    if isinstance(value, float) and math.isnan(value):
        return "–"
    return template.format(value)
