"""Deprecated alias of the sweep machinery in `dmpsim.experiments` (removed in dmpsim 0.3).

`dmpsim.sweep` itself is the function, whether or not this alias has been imported.
"""

from ._deprecated import moved

__getattr__ = moved(__name__, "dmpsim.experiments.sweeps", "dmpsim.experiments.coordinator",
                    "dmpsim.experiments.store", "dmpsim.experiments.backends",
                    "dmpsim.experiments.task", "dmpsim.io.sweep_folder", "dmpsim.io.parquet")
