"""The model and nothing else: the market (a `mesa.Model`), its agents, the contract, the
parameters, the random streams, the decision rules (one module per ODD §7 submodel) and the
observation of a run. Nothing here reads files, parses command lines, plots or knows of Dask."""

from .market import DMPMarket
from .observation import MODEL_SERIES

__all__ = ["DMPMarket", "MODEL_SERIES"]
