"""dmpsim: agent-based simulation of the market for deliberative mini-publics."""

from .model import DMPMarket
from .runner import RunResult, run

__version__ = "0.1.0"

# Imported last and bound over the submodule of the same name, so that `dmpsim.sweep(...)` is
# the function; the module's other names are reached with `from dmpsim.sweep import ...`.
from .sweep import sweep  # noqa: E402

__all__ = ["DMPMarket", "RunResult", "run", "sweep", "__version__"]
