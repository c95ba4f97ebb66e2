"""dmpsim: agent-based simulation of the market for deliberative mini-publics."""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .experiments.run import RunResult, run
    from .experiments.sweeps import sweep
    from .model import DMPMarket

# The model and a run import Mesa, pandas and scipy (about a second): they are imported on first
# use (PEP 562), so that `dmpsim --version`, `--help`, `scenarios` and `validate` -- and any
# `import dmpsim` -- answer at once.
_LAZY = {"DMPMarket": ".model", "RunResult": ".experiments.run", "run": ".experiments.run",
         "sweep": ".experiments.sweeps"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


class _Package(types.ModuleType):
    """`dmpsim.sweep` is the function. Importing the deprecated module `dmpsim.sweep` would make
    the import system bind that module over it; refusing the binding (AttributeError) makes the
    import system warn (ImportWarning, hidden by default) and keep the function."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            raise AttributeError(f"dmpsim.{name} is not a module")
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

__all__ = ["DMPMarket", "RunResult", "run", "sweep", "__version__"]
