"""Reports as Markdown and as one self-contained HTML file, from the same list of blocks.

An analysis builds a `Report` (headings, paragraphs, lists, tables, figures, code) and writes it
with `Report.write`: ``report.md`` refers to the figure files beside it, ``report.html`` embeds
them (PNG as base64 ``data:`` URIs) with its style sheet inline, so it opens on its own, offline,
and can be sent on as one file: no scripts, fonts, style sheets, images or links outside it.

Inline markup in text is deliberately small: ```code``` and ``**bold**``. Everything else is
escaped, so user-supplied text (scenario descriptions, file names) cannot inject HTML.
"""

from __future__ import annotations

import base64
import html
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...io.atomic import atomic_write_text

__all__ = ["Report", "analysis_versions", "fmt_ci", "fmt_effect", "fmt_number",
           "frame_for_report", "markdown_cell", "shell_command", "versions_line"]

_INLINE = re.compile(r"(`[^`]+`|\*\*(?:\\\*|[^*])+\*\*)")

STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; line-height: 1.45;
       color: #111; background: #fff; margin: 0; }
main { max-width: 70rem; margin: 0 auto; padding: 1.5rem 2rem 4rem; }
h1 { font-size: 1.7rem; border-bottom: 2px solid #333; padding-bottom: .3rem; }
h2 { font-size: 1.3rem; margin-top: 2.2rem; border-bottom: 1px solid #999; }
h3 { font-size: 1.1rem; margin-top: 1.6rem; }
table { border-collapse: collapse; margin: .8rem 0 1.2rem; font-size: .86rem; }
caption { text-align: left; font-weight: bold; padding: .3rem 0; }
th, td { border: 1px solid #bbb; padding: .25rem .5rem; vertical-align: top; }
th { background: #eee; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: #f7f7f7; }
code, pre { font-family: "SFMono-Regular", Consolas, "Liberation Mono", monospace;
            font-size: .86rem; }
pre { background: #f3f3f3; border: 1px solid #ddd; padding: .6rem .8rem; overflow-x: auto;
      white-space: pre-wrap; word-break: break-all; }
figure { margin: 1.2rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: .9rem; color: #333; margin-top: .3rem; }
details { margin: .8rem 0; }
summary { cursor: pointer; font-weight: bold; }
.note { border-left: 4px solid #0072B2; background: #f2f7fb; padding: .5rem .8rem; }
@media print { main { max-width: none; padding: 0; } details { display: block; }
               figure, table { page-break-inside: avoid; } }
""".strip()


# -- number formatting ------------------------------------------------------------------------

def fmt_number(value: Any, scale: float | None = None, signed: bool = False) -> str:
    """A number for a table: digits chosen by magnitude (``scale``, default the value's own).

    Shares and scores (below 10) get three decimals, tens one, hundreds and more none, so a
    column of one quantity reads alike; missing values show as an en dash.
    """
    if value is None or value is pd.NA:
        return "–"
    if isinstance(value, int | np.integer) and not isinstance(value, bool) and scale is None:
        return f"{int(value):+,}" if signed else f"{int(value):,}"
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return ("+" if signed and x > 0 else "") + ("∞" if x > 0 else "-∞")
    size = abs(scale) if scale is not None and math.isfinite(scale) else abs(x)
    if size >= 100:
        text = f"{x:,.0f}"
    elif size >= 10:
        text = f"{x:.1f}"
    else:
        text = f"{x:.3f}"
    if signed and x > 0:
        text = "+" + text
    return text


def fmt_ci(low: Any, high: Any, scale: float | None = None) -> str:
    """``[low, high]`` formatted like `fmt_number`."""
    return f"[{fmt_number(low, scale)}, {fmt_number(high, scale)}]"


def fmt_effect(value: Any) -> str:
    """An effect size (d_z, Cohen's d): two decimals, signed."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "–"
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return "+∞" if x > 0 else "-∞"
    return f"{x:+.2f}"


def markdown_cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


# -- inline markup ----------------------------------------------------------------------------

def _inline_html(text: str) -> str:
    out = []
    for part in _INLINE.split(str(text)):
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(f"<code>{html.escape(part[1:-1])}</code>")
        elif part.startswith("**") and part.endswith("**") and len(part) > 4:
            out.append(f"<strong>{html.escape(_unescape(part[2:-2]))}</strong>")
        else:
            out.append(html.escape(_unescape(part)))
    return "".join(out)


_NUMERIC_CELL = re.compile(r"^[\s+\-–±∞\d.,%\[\]*()/]+$")


def _unescape(text: str) -> str:
    """Markdown backslash escapes (``\\*``, ``\\|``) as the characters themselves."""
    return re.sub(r"\\([*|_`\\])", r"\1", text)


# -- blocks -----------------------------------------------------------------------------------

@dataclass
class _Block:
    kind: str
    text: str = ""
    level: int = 2
    items: list[str] = field(default_factory=list)
    table: pd.DataFrame | None = None
    path: Path | None = None
    blocks: list[_Block] = field(default_factory=list)


class Report:
    """A document built block by block, rendered as Markdown or as self-contained HTML."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.blocks: list[_Block] = []
        self._stack: list[list[_Block]] = [self.blocks]

    # building
    def _add(self, block: _Block) -> Report:
        self._stack[-1].append(block)
        return self

    def heading(self, text: str, level: int = 2) -> Report:
        return self._add(_Block("heading", text=text, level=level))

    def paragraph(self, text: str) -> Report:
        return self._add(_Block("paragraph", text=text))

    def note(self, text: str) -> Report:
        """A highlighted paragraph (a caveat or a pointer the reader must not miss)."""
        return self._add(_Block("note", text=text))

    def bullets(self, items: list[str]) -> Report:
        return self._add(_Block("bullets", items=[str(i) for i in items]))

    def code(self, text: str) -> Report:
        return self._add(_Block("code", text=text))

    def table(self, frame: pd.DataFrame, caption: str = "") -> Report:
        """A table of already formatted cells (strings); the index is not shown."""
        return self._add(_Block("table", text=caption, table=frame.astype(str)))

    def figure(self, path: str | Path, caption: str) -> Report:
        """A PNG file, referenced by the Markdown and embedded in the HTML."""
        return self._add(_Block("figure", text=caption, path=Path(path)))

    def details(self, summary: str, level: int = 3) -> _Details:
        """A collapsible section in HTML (a plain section, its heading at `level`, in Markdown):
        ``with report.details(...) as section: section.table(...)``."""
        block = _Block("details", text=summary, level=level)
        self._add(block)
        return _Details(self, block)

    # rendering
    def to_markdown(self, base: str | Path | None = None) -> str:
        """Markdown; figure paths are written relative to `base` (the report's folder)."""
        lines = [f"# {self.title}", ""]
        self._markdown(self.blocks, lines, Path(base) if base is not None else None)
        return "\n".join(lines).rstrip() + "\n"

    def _markdown(self, blocks: list[_Block], lines: list[str], base: Path | None) -> None:
        for b in blocks:
            if b.kind == "heading":
                lines += [f"{'#' * b.level} {b.text}", ""]
            elif b.kind == "paragraph":
                lines += [b.text, ""]
            elif b.kind == "note":
                lines += [f"> {b.text}", ""]
            elif b.kind == "bullets":
                lines += [f"- {item}" for item in b.items] + [""]
            elif b.kind == "code":
                lines += ["```", b.text.rstrip("\n"), "```", ""]
            elif b.kind == "table":
                assert b.table is not None
                if b.text:
                    lines += [f"**{b.text}**", ""]
                cols = [markdown_cell(c) for c in b.table.columns]
                lines.append("| " + " | ".join(cols) + " |")
                aligns = ["---:" if self._numeric(b.table[c]) else "---" for c in b.table.columns]
                lines.append("| " + " | ".join(aligns) + " |")
                for row in b.table.itertuples(index=False):
                    lines.append("| " + " | ".join(markdown_cell(v) for v in row) + " |")
                lines.append("")
            elif b.kind == "figure":
                assert b.path is not None
                ref = b.path
                if base is not None:
                    try:
                        ref = b.path.resolve().relative_to(base.resolve())
                    except ValueError:
                        ref = b.path
                lines += [f"![{b.text}]({ref.as_posix()})", "", f"*{b.text}*", ""]
            elif b.kind == "details":
                lines += [f"{'#' * b.level} {b.text}", ""]
                self._markdown(b.blocks, lines, base)

    @staticmethod
    def _numeric(column: pd.Series) -> bool:
        values = [v for v in column.astype(str) if v not in ("", "–")]
        return bool(values) and all(_NUMERIC_CELL.match(v) for v in values)

    def to_html(self) -> str:
        """One HTML document: style inline, figures as data URIs, no external references."""
        body: list[str] = [f"<h1>{_inline_html(self.title)}</h1>"]
        self._html(self.blocks, body)
        return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                f"<title>{html.escape(self.title)}</title>\n<style>\n{STYLE}\n</style>\n"
                "</head>\n<body>\n<main>\n" + "\n".join(body) + "\n</main>\n</body>\n</html>\n")

    def _html(self, blocks: list[_Block], body: list[str]) -> None:
        for b in blocks:
            if b.kind == "heading":
                level = min(max(b.level, 2), 6)
                body.append(f"<h{level}>{_inline_html(b.text)}</h{level}>")
            elif b.kind == "paragraph":
                body.append(f"<p>{_inline_html(b.text)}</p>")
            elif b.kind == "note":
                body.append(f"<p class=\"note\">{_inline_html(b.text)}</p>")
            elif b.kind == "bullets":
                items = "".join(f"<li>{_inline_html(i)}</li>" for i in b.items)
                body.append(f"<ul>{items}</ul>")
            elif b.kind == "code":
                body.append(f"<pre><code>{html.escape(b.text.rstrip())}</code></pre>")
            elif b.kind == "table":
                assert b.table is not None
                numeric = [' class="num"' if self._numeric(b.table[c]) else ""
                           for c in b.table.columns]
                parts = ["<table>"]
                if b.text:
                    parts.append(f"<caption>{_inline_html(b.text)}</caption>")
                parts.append("<thead><tr>" + "".join(
                    f"<th scope=\"col\">{_inline_html(c)}</th>" for c in b.table.columns)
                    + "</tr></thead><tbody>")
                for row in b.table.itertuples(index=False):
                    cells = "".join(f"<td{num}>{_inline_html(v)}</td>"
                                    for v, num in zip(row, numeric, strict=True))
                    parts.append(f"<tr>{cells}</tr>")
                parts.append("</tbody></table>")
                body.append("".join(parts))
            elif b.kind == "figure":
                assert b.path is not None
                data = base64.b64encode(b.path.read_bytes()).decode("ascii")
                body.append(f"<figure><img src=\"data:image/png;base64,{data}\" "
                            f"alt=\"{html.escape(b.text)}\"><figcaption>{_inline_html(b.text)}"
                            "</figcaption></figure>")
            elif b.kind == "details":
                body.append(f"<details><summary>{_inline_html(b.text)}</summary>")
                self._html(b.blocks, body)
                body.append("</details>")

    def write(self, out: str | Path, stem: str = "report") -> list[Path]:
        """Write ``<stem>.md`` and ``<stem>.html`` into folder `out` (atomically)."""
        folder = Path(out)
        md = atomic_write_text(self.to_markdown(folder), folder / f"{stem}.md")
        page = atomic_write_text(self.to_html(), folder / f"{stem}.html")
        return [md, page]


class _Details:
    """Context manager: blocks added inside go into a collapsible section."""

    def __init__(self, report: Report, block: _Block) -> None:
        self.report = report
        self.block = block

    def __enter__(self) -> Report:
        self.report._stack.append(self.block.blocks)
        return self.report

    def __exit__(self, *exc: Any) -> None:
        self.report._stack.pop()


# -- what every analysis report states --------------------------------------------------------

def analysis_versions() -> dict[str, str]:
    """dmpsim, Mesa, Python and the numerical libraries an analysis used."""
    from ...io.provenance import versions

    return versions("scipy", "SALib", "matplotlib", "pyarrow")


def versions_line(found: dict[str, str]) -> str:
    names = {"dmpsim": "dmpsim", "mesa": "Mesa", "python": "Python", "numpy": "NumPy",
             "pandas": "pandas", "scipy": "SciPy", "SALib": "SALib",
             "matplotlib": "Matplotlib", "pyarrow": "PyArrow"}
    return ", ".join(f"{names.get(k, k)} {v}" for k, v in found.items())


def shell_command(parts: list[Any]) -> str:
    """A command line, quoted for a POSIX shell where needed."""
    import shlex

    return " ".join(shlex.quote(str(p)) for p in parts)


def frame_for_report(frame: pd.DataFrame, columns: dict[str, str],
                     formats: dict[str, Any] | None = None) -> pd.DataFrame:
    """Select and rename columns for a report table, formatting numbers (`fmt_number` unless a
    column has its own formatter in `formats`)."""
    formats = formats or {}
    out = pd.DataFrame(index=frame.index)
    for col, title in columns.items():
        fmt = formats.get(col)
        values = frame[col]
        if fmt is not None:
            out[title] = [fmt(v) for v in values]
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            out[title] = [fmt_number(v) for v in values]
        else:
            out[title] = ["–" if v is None or v is pd.NA or (isinstance(v, float) and
                                                            math.isnan(v)) else str(v)
                          for v in values]
    return out.reset_index(drop=True)
