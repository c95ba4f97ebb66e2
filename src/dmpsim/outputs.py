"""Deprecated alias of `dmpsim.experiments.run_folder`, `dmpsim.io.atomic` and
`dmpsim.io.provenance` (removed in dmpsim 0.3)."""

from ._deprecated import moved

__getattr__ = moved(__name__, "dmpsim.experiments.run_folder", "dmpsim.io.atomic",
                    "dmpsim.io.provenance")
