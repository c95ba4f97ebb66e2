"""Deprecated module paths: the names a module held before it moved, for one more release.

An alias module is two lines: its docstring and ``__getattr__ = moved(__name__, new, ...)``.
Importing it warns once (DeprecationWarning); each name is then looked up in the new modules,
in order, on first use.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from importlib import import_module
from typing import Any

#: The release in which the aliases go.
REMOVED_IN = "0.3"


def moved(old: str, *new: str) -> Callable[[str], Any]:
    """Warn that module `old` has moved to `new` and return the module `__getattr__` that finds
    its names there."""
    warnings.warn(f"{old} has moved to {' and '.join(new)}; the old path goes in dmpsim "
                  f"{REMOVED_IN}", DeprecationWarning, stacklevel=3)

    def __getattr__(name: str) -> Any:
        for module in map(import_module, new):
            if hasattr(module, name):
                return getattr(module, name)
        raise AttributeError(f"module {old!r} has no attribute {name!r}")

    return __getattr__
