"""Provenance: which libraries made a result, and values made plain for JSON and tables.

One place for both, so that run folders, sweep manifests and analysis reports record the same
things the same way.
"""

from __future__ import annotations

import math
import platform
from importlib.metadata import PackageNotFoundError, version
from typing import Any

CORE = ("dmpsim", "mesa", "numpy", "pandas")
"""The libraries every result records; callers name the others they used."""


def versions(*extra: str) -> dict[str, str]:
    """Versions of dmpsim, Mesa, numpy, pandas, Python and any `extra` distributions installed.

    Read from the installed distributions' metadata, so asking imports none of them.
    """
    found = {}
    for name in (*CORE, *extra):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            if name in CORE:
                found[name] = "not installed"
    found["python"] = platform.python_version()
    return found


def plain(value: Any) -> Any:
    """A numpy or pandas scalar as the Python value it holds; anything else as it is."""
    return value.item() if hasattr(value, "item") and not isinstance(value, str) else value


def jsonable(value: Any) -> Any:
    """Plain JSON values: NaN becomes null, numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    value = plain(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
