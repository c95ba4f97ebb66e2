"""Analysis of simulation output: scenario comparison and sensitivity analysis.

The submodules are imported on demand (``from dmpsim.analysis import stats``), and so is the
function `ablate` (on first use of ``dmpsim.analysis.ablate``):

- :mod:`dmpsim.analysis.stats`: bootstrap confidence intervals and paired (common-random-numbers)
  scenario comparisons;
- :mod:`dmpsim.analysis.prim`: the Patient Rule Induction Method for scenario discovery;
- :mod:`dmpsim.analysis.sensitivity`: thin wrappers over SALib (Sobol' and Morris methods);
- :mod:`dmpsim.analysis.compare`: `dmpsim compare`, scenarios run with common random numbers;
- :mod:`dmpsim.analysis.ablate`: `dmpsim ablate`, a scenario with each mechanism knocked out in
  turn (``dmpsim.analysis.ablate`` is the function);
- :mod:`dmpsim.analysis.sensitivity_run`: `dmpsim sensitivity`, an experiment's SALib analysis;
- :mod:`dmpsim.analysis.discovery`: `dmpsim discover`, PRIM boxes on a sweep's results;
- :mod:`dmpsim.analysis.report`: Markdown and self-contained HTML reports;
- the command-line subcommands of the above, and `dmpsim plot`, are in :mod:`dmpsim.cli.analysis`.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any


class _Package(ModuleType):
    """This package, with `ablate` bound to the function rather than the submodule.

    `ablate` is imported on first use (PEP 562): it brings in pandas, scipy and the model, which
    the command line's parser (it registers the subcommands of `commands`) must not pay for.
    Importing the submodule -- by `from dmpsim.analysis.ablate import ...` as well -- binds it
    on the package; this keeps the function there instead, as an eager import would have.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "ablate" and isinstance(value, ModuleType):
            value = value.ablate
        super().__setattr__(name, value)


def __getattr__(name: str) -> Any:
    if name == "ablate":
        from .ablate import ablate

        return ablate
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


sys.modules[__name__].__class__ = _Package

__all__ = ["ablate"]
