"""dmpsim: agent-based simulation of the market for deliberative mini-publics."""

from .model import DMPMarket
from .runner import RunResult, run

__version__ = "0.1.0"
__all__ = ["DMPMarket", "RunResult", "run", "__version__"]
