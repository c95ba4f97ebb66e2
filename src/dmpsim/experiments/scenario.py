"""Scenario files: TOML under `scenarios/`, named by path or by bundled name.

A scenario file has a `description` and any parameters of `dmpsim.params` as nested tables::

    description = "Tenders decided on price alone"
    [procurement]
    rule = "price"

Values it does not set take the defaults (the baseline). Dotted-key overrides (`--set
procurement.rule=price`) go on top. Every problem is reported as one line naming the file, the
key and what is wrong.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..model.params import FLAT, build_params, check_value, did_you_mean, resolve

RESERVED = {"description", "name"}


def bundled_dir(kind: str = "scenarios") -> Path:
    """Where the bundled scenario (or experiment) files are: in the wheel, or in the source tree."""
    package = Path(__file__).resolve().parent.parent   # dmpsim/, this module being in experiments/
    installed = package / "_bundled" / kind
    if installed.is_dir():
        return installed
    return package.parent.parent / kind


def bundled_names(kind: str = "scenarios") -> list[str]:
    folder = bundled_dir(kind)
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


@dataclass
class Scenario:
    """A named set of parameter values over the defaults, with where it came from."""

    name: str
    description: str
    values: dict[str, Any] = field(default_factory=dict)
    source: str = "<defaults>"
    overrides: dict[str, Any] = field(default_factory=dict)

    def effective(self) -> dict[str, Any]:
        """Every parameter's value for a run of this scenario, by dotted key."""
        if not self.overrides:
            return resolve(self.values, self.source)
        # A clash the overrides create is theirs, not the file's.
        resolve(self.values, self.source)
        return resolve({**self.values, **self.overrides}, "--set")

    def with_overrides(self, overrides: dict[str, Any] | list[str] | None) -> Scenario:
        extra = parse_overrides(overrides)
        return Scenario(self.name, self.description, dict(self.values), self.source,
                        {**self.overrides, **extra})

    def as_toml_dict(self) -> dict[str, Any]:
        """The effective scenario as nested tables, ready to write as TOML or JSON."""
        tree: dict[str, Any] = {"name": self.name, "description": self.description}
        for key, value in self.effective().items():
            node = tree
            *parents, leaf = key.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = value
        return tree


def flatten(table: dict[str, Any], source: str, prefix: str = "") -> dict[str, Any]:
    """Nested TOML tables to dotted keys, checking each key and value on the way."""
    out: dict[str, Any] = {}
    for name, value in table.items():
        key = f"{prefix}.{name}" if prefix else name
        if not prefix and name in RESERVED:
            continue
        if isinstance(value, dict):
            if key in FLAT:
                raise InputError("expected a value, got a table", source=source, key=key)
            if not any(k.startswith(key + ".") for k in FLAT):
                raise InputError(f"unknown table{did_you_mean(key, _tables())}", source=source, key=key)
            out.update(flatten(value, source, key))
        else:
            out[key] = check_value(key, value, source)
    return out


def _tables() -> list[str]:
    tables = set()
    for key in FLAT:
        parts = key.split(".")
        for i in range(1, len(parts)):
            tables.add(".".join(parts[:i]))
    return sorted(tables)


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's tables, or an InputError naming the file (missing, unreadable, malformed)."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", source=source) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read file: {exc}", source=source) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"malformed TOML: {exc}", source=source) from None


def read_scenario_file(path: Path) -> Scenario:
    source = str(path)
    table = read_toml(path)
    description = table.get("description")
    if not isinstance(description, str) or not description.strip():
        raise InputError("missing 'description' (one line saying what situation this is)",
                         source=source, key="description")
    name = table.get("name", path.stem)
    if not isinstance(name, str):
        raise InputError(f"expected text, got {name!r}", source=source, key="name")
    values = flatten(table, source)
    scenario = Scenario(name, description.strip(), values, source)
    scenario.effective()  # cross-key checks, reported against this file
    return scenario


def load_scenario(ref: str | Path | Scenario | None = None,
                  overrides: dict[str, Any] | list[str] | None = None) -> Scenario:
    """A scenario by bundled name (``"baseline"``), by path, or as given, with overrides applied."""
    if isinstance(ref, Scenario):
        scenario = ref
    else:
        ref = "baseline" if ref is None else ref
        if not isinstance(ref, str | Path):
            raise InputError(f"expected a scenario name or path, got {type(ref).__name__}",
                             key="scenario")
        path = Path(ref)
        if path.suffix == ".toml" or path.is_file() or "/" in str(ref):
            scenario = read_scenario_file(path)
        else:
            names = bundled_names()
            if str(ref) not in names:
                hint = did_you_mean(str(ref), names)
                raise InputError(f"no bundled scenario of that name{hint}; bundled: {', '.join(names)}",
                                 source=str(ref))
            scenario = read_scenario_file(bundled_dir() / f"{ref}.toml")
    scenario = scenario.with_overrides(overrides)
    scenario.effective()
    return scenario


def parse_overrides(overrides: dict[str, Any] | list[str] | None) -> dict[str, Any]:
    """Dotted-key overrides from a dict or from ``KEY=VALUE`` strings (values read as TOML)."""
    if isinstance(overrides, str | bytes):
        shown = overrides if len(overrides) <= 40 else overrides[:37] + "..."
        hint = f" (for one override: [{shown!r}])" if "=" in str(shown) else ""
        raise InputError(f"expected a dict or a list of KEY=VALUE strings, got a string "
                         f"{shown!r}{hint}", key="overrides")
    if overrides is None or (isinstance(overrides, dict | list | tuple) and not overrides):
        return {}
    if isinstance(overrides, dict):
        return {str(k): check_value(str(k), v, "override") for k, v in overrides.items()}
    if not isinstance(overrides, list | tuple):
        raise InputError(f"expected a dict or a list of KEY=VALUE strings, got "
                         f"{type(overrides).__name__}", key="overrides")
    out = {}
    for item in overrides:
        if not isinstance(item, str) or "=" not in item:
            raise InputError(f"expected KEY=VALUE, got {item!r}", source="--set")
        key, raw = (part.strip() for part in item.split("=", 1))
        if not key:
            raise InputError(f"expected KEY=VALUE, got {item!r}", source="--set")
        out[key] = check_value(key, parse_value(raw), "--set")
    return out


def parse_value(raw: str) -> Any:
    """A command-line value as TOML (numbers, true/false, quoted text), else as bare text."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


__all__ = ["Scenario", "load_scenario", "parse_overrides", "bundled_names", "bundled_dir",
           "build_params"]
