"""Deprecated alias of the experiment design modules in `dmpsim.experiments` (removed in dmpsim
0.3)."""

from ._deprecated import moved

__getattr__ = moved(__name__, "dmpsim.experiments.design", "dmpsim.experiments.factors",
                    "dmpsim.experiments.files", "dmpsim.experiments.samplers")
