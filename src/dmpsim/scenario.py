"""Deprecated alias of `dmpsim.experiments.scenario` (removed in dmpsim 0.3)."""

from ._deprecated import moved

__getattr__ = moved(__name__, "dmpsim.experiments.scenario")
