"""The generated parts of docs/ODD.md: the parameter table and the output tables.

Parameter defaults, units, ranges and meanings live in `dmpsim.model.params.SCHEMA`; output meanings live
in `dmpsim.experiments.tables`. This module renders them as Markdown and writes them into docs/ODD.md between
marker comments, so the document cannot drift from the code::

    <!-- BEGIN PARAMETERS -->  ...generated...  <!-- END PARAMETERS -->
    <!-- BEGIN OUTPUTS -->     ...generated...  <!-- END OUTPUTS -->

    python tools/odd_tables.py           # rewrite the generated sections of docs/ODD.md
    python tools/odd_tables.py --check   # exit 1 if they are stale

A tool of the source tree, not of the package: it writes into docs/ODD.md, which only a source
tree has, so it is not shipped in the wheel.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dmpsim.experiments import tables as metrics
from dmpsim.model.params import COMMISSIONER_KINDS, KINDS, SCHEMA, P

ODD_PATH = Path(__file__).resolve().parent.parent / "docs" / "ODD.md"
"""docs/ODD.md in the source tree (this file is tools/odd_tables.py)."""

KIND_PLACEHOLDER = "<kind>"

KIND_SECTIONS: dict[str, tuple[str, ...]] = {
    "commissioner_kinds": COMMISSIONER_KINDS,
    "practitioners": KINDS,
}
"""Sections with one subsection per kind: one table each, a column per kind."""


def shown_key(key: str) -> str:
    """A dotted key as the document writes it: a kind's trait under ``<kind>``
    (``practitioners.<kind>.markup``), any other key as it is."""
    parts = key.split(".")
    if parts[0] in KIND_SECTIONS and len(parts) == 3:
        return f"{parts[0]}.{KIND_PLACEHOLDER}.{parts[2]}"
    return key


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _number(x: float) -> str:
    return f"{x:g}"


def format_default(p: P) -> str:
    """A default as it would be written in a scenario file (TOML)."""
    v = p.default
    if isinstance(v, bool):
        return "`true`" if v else "`false`"
    if isinstance(v, str):
        return f'`"{v}"`'
    return f"`{v!r}`"


def format_range(p: P) -> str:
    """Allowed values: choices, true/false, or an inclusive interval."""
    if p.choices:
        return ", ".join(f"`{c}`" for c in p.choices)
    if p.type is bool:
        return "true / false"
    if p.lo is None and p.hi is None:
        return "any"
    lo = "(−∞" if p.lo is None else f"[{_number(p.lo)}"
    hi = "∞)" if p.hi is None else f"{_number(p.hi)}]"
    kind = "integer " if p.type is int else ""
    return f"{kind}{lo}, {hi}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _section_rows(prefix: str, node: dict[str, Any]) -> list[list[str]]:
    rows = []
    for name, value in node.items():
        key = f"{prefix}.{name}"
        if isinstance(value, P):
            rows.append([f"`{key}`", format_default(value), value.unit or "—", format_range(value),
                         value.doc])
        else:
            rows += _section_rows(key, value)
    return rows


def kind_traits(section: str) -> list[str]:
    """The traits of a kinds section, in schema order; a trait only some kinds have (a
    commissioner kind's ``share``) is listed where the kind with most traits has it."""
    node = SCHEMA[section]
    kinds = KIND_SECTIONS[section]
    traits = list(max((node[k] for k in kinds), key=len))
    for kind in kinds:
        traits += [t for t in node[kind] if t not in traits]
    return traits


def _kind_rows(section: str) -> list[list[str]]:
    node = SCHEMA[section]
    kinds = KIND_SECTIONS[section]
    rows = []
    for trait in kind_traits(section):
        having = [k for k in kinds if trait in node[k]]
        spec = node[having[0]][trait]
        meanings = {node[k][trait].doc for k in having}
        # Kinds whose meaning differs (each commissioner kind's share) are named one by one.
        meaning = spec.doc if len(meanings) == 1 else "; ".join(
            f"`{k}`: {node[k][trait].doc}" for k in having)
        rows.append([f"`{section}.{KIND_PLACEHOLDER}.{trait}`"]
                    + [format_default(node[k][trait]) if trait in node[k] else "—" for k in kinds]
                    + [spec.unit or "—", format_range(spec), meaning])
    return rows


def parameter_table() -> str:
    """Every parameter of `dmpsim.params.SCHEMA` as Markdown tables, one per section.

    The kinds of a section of `KIND_SECTIONS` (practitioner kinds, commissioner kinds) share one
    table, a column per kind: the key of a cell is ``<section>.<kind>.<trait>`` with the
    column's kind, and "—" marks a trait that kind does not have.
    """
    parts = []
    for section, node in SCHEMA.items():
        parts.append(f"#### `{section}`")
        if section in KIND_SECTIONS:
            parts.append(_table(["key", *[f"`{k}`" for k in KIND_SECTIONS[section]], "unit",
                                 "range / choices", "meaning"], _kind_rows(section)))
        else:
            parts.append(_table(["key", "default", "unit", "range / choices", "meaning"],
                                _section_rows(section, node)))
    return "\n\n".join(parts)


OUTPUT_TABLES: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("Summary (`RunResult.summary`, `run.json`)", "key", metrics.SUMMARY_KEYS),
    ("Model table (`model.parquet`): one row per month", "column", metrics.MODEL_COLUMN_DOCS),
    ("Contracts table (`contracts.parquet`): one row per ended contract", "column",
     metrics.CONTRACT_COLUMNS),
    ("Episodes table (`episodes.parquet`): one row per pressure episode", "column",
     metrics.EPISODE_COLUMN_DOCS),
    ("Practitioners table (`practitioners.parquet`): one row per organisation per year", "column",
     metrics.PRACTITIONER_COLUMNS),
)


def outputs_table() -> str:
    """The summary keys and every table's columns, with the meanings of `dmpsim.experiments.tables`."""
    parts = []
    for title, what, docs in OUTPUT_TABLES:
        parts.append(f"#### {title}")
        parts.append(_table([what, "meaning"], [[f"`{k}`", v] for k, v in docs.items()]))
    return "\n\n".join(parts)


GENERATED: dict[str, Callable[[], str]] = {
    "PARAMETERS": parameter_table,
    "OUTPUTS": outputs_table,
}
"""Marker name -> the function that renders the text between its markers."""


def markers(name: str) -> tuple[str, str]:
    return f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"


def between(text: str, name: str) -> str:
    """The text between a pair of markers, without the newline after BEGIN and before END."""
    begin, end = markers(name)
    if text.count(begin) != 1 or text.count(end) != 1:
        raise ValueError(f"expected one '{begin}' and one '{end}' in the document")
    start = text.index(begin) + len(begin)
    stop = text.index(end)
    if stop < start:
        raise ValueError(f"'{end}' comes before '{begin}'")
    return text[start:stop].removeprefix("\n").removesuffix("\n")


def replace_block(text: str, name: str, body: str) -> str:
    """`text` with the part between the markers `name` replaced by `body`."""
    between(text, name)  # checks the markers
    begin, end = markers(name)
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{body}\n{end}{tail}"


def render(text: str) -> str:
    """The document with every generated section brought up to date."""
    for name, make in GENERATED.items():
        text = replace_block(text, name, make())
    return text


def stale_sections(path: Path | str = ODD_PATH) -> list[str]:
    """Names of generated sections whose text differs from what the code renders."""
    text = Path(path).read_text(encoding="utf-8")
    return [name for name, make in GENERATED.items() if between(text, name) != make()]


def update_odd(path: Path | str = ODD_PATH) -> bool:
    """Rewrite the generated sections of the document at `path`; True if anything changed."""
    path = Path(path)
    old = path.read_text(encoding="utf-8")
    new = render(old)
    if new != old:
        path.write_text(new, encoding="utf-8")
    return new != old


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/odd_tables.py",
                                     description="Update the generated sections of docs/ODD.md.")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a generated section is stale")
    parser.add_argument("--path", default=str(ODD_PATH), help="the document (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        if args.check:
            stale = stale_sections(args.path)
            if stale:
                print(f"{args.path}: stale generated sections: {', '.join(stale)} "
                      "(run: python tools/odd_tables.py)", file=sys.stderr)
                return 1
            print(f"{args.path}: generated sections are current")
            return 0
        changed = update_odd(args.path)
    except (OSError, ValueError) as exc:
        print(f"{args.path}: {exc}", file=sys.stderr)
        return 2
    print(f"{args.path}: {'updated' if changed else 'already current'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
