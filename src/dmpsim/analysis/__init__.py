"""Analysis of simulation output: scenario comparison and sensitivity analysis.

The submodules are imported on demand (``from dmpsim.analysis import stats``); only the function
`ablate` (with the comparison layer it builds on) is imported with the package:

- :mod:`dmpsim.analysis.stats`: bootstrap confidence intervals and paired (common-random-numbers)
  scenario comparisons;
- :mod:`dmpsim.analysis.prim`: the Patient Rule Induction Method for scenario discovery;
- :mod:`dmpsim.analysis.sensitivity`: thin wrappers over SALib (Sobol' and Morris methods);
- :mod:`dmpsim.analysis.compare`: `dmpsim compare`, scenarios run with common random numbers;
- :mod:`dmpsim.analysis.ablate`: `dmpsim ablate`, a scenario with each mechanism knocked out in
  turn (the function `dmpsim.analysis.ablate` is imported here);
- :mod:`dmpsim.analysis.sensitivity_run`: `dmpsim sensitivity`, an experiment's SALib analysis;
- :mod:`dmpsim.analysis.discovery`: `dmpsim discover`, PRIM boxes on a sweep's results;
- :mod:`dmpsim.analysis.report`: Markdown and self-contained HTML reports;
- :mod:`dmpsim.analysis.commands`: the command-line subcommands above, and `dmpsim plot`.
"""

# Bound over the submodule of the same name (as `dmpsim.sweep` is), so that
# `dmpsim.analysis.ablate(...)` is the function; the module's other names are reached with
# `from dmpsim.analysis.ablate import ...`.
from .ablate import ablate

__all__ = ["ablate"]
