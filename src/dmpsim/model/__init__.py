"""The model and nothing else: the market (a `mesa.Model`), its agents, the contract, the
parameters, the random streams, the decision rules (one module per ODD §7 submodel) and the
observation of a run. Nothing here reads files, parses command lines, plots or knows of Dask."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .market import DMPMarket
    from .observation import MODEL_SERIES

# The market imports Mesa (and with it pandas and scipy, about a second): imported on first use
# (PEP 562), so that reading parameters (`dmpsim.model.params`: `dmpsim scenarios`, `validate`,
# experiment files) does not pay for it.
_LAZY = {"DMPMarket": ".market", "MODEL_SERIES": ".observation"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["DMPMarket", "MODEL_SERIES"]
