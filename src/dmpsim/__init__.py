"""dmpsim: agent-based simulation of the market for deliberative mini-publics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Bound over the submodule of the same name, so that `dmpsim.sweep(...)` is the function; the
# module's other names are reached with `from dmpsim.sweep import ...`. The module imports
# numpy, Arrow and the model only inside its functions, so binding it here costs nothing.
from .sweep import sweep  # noqa: E402

if TYPE_CHECKING:
    from .model import DMPMarket
    from .runner import RunResult, run

# The model and the runner import Mesa, pandas and scipy (about a second): they are imported on
# first use (PEP 562), so that `dmpsim --version`, `--help`, `scenarios` and `validate` -- and
# any `import dmpsim` -- answer at once.
_LAZY = {"DMPMarket": ".model", "RunResult": ".runner", "run": ".runner"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = ["DMPMarket", "RunResult", "run", "sweep", "__version__"]
