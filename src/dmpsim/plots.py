"""Deprecated alias: the figures moved to `dmpsim.viz`, the reading of result folders to
`dmpsim.io.results` (removed in dmpsim 0.3)."""

from ._deprecated import moved

__getattr__ = moved(__name__, "dmpsim.viz.style", "dmpsim.viz.run", "dmpsim.viz.series",
                    "dmpsim.viz.sweeps", "dmpsim.viz.comparison", "dmpsim.viz.results",
                    "dmpsim.io.results")
