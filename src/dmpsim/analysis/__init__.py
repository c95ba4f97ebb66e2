"""Analysis of simulation output: scenario comparison and sensitivity analysis.

The submodules are imported on demand (``from dmpsim.analysis import stats``) so that importing
this package stays cheap:

- :mod:`dmpsim.analysis.stats`: bootstrap confidence intervals and paired (common-random-numbers)
  scenario comparisons;
- :mod:`dmpsim.analysis.prim`: the Patient Rule Induction Method for scenario discovery;
- :mod:`dmpsim.analysis.sensitivity`: thin wrappers over SALib (Sobol' and Morris methods);
- :mod:`dmpsim.analysis.compare`: `dmpsim compare`, scenarios run with common random numbers;
- :mod:`dmpsim.analysis.sensitivity_run`: `dmpsim sensitivity`, an experiment's SALib analysis;
- :mod:`dmpsim.analysis.discovery`: `dmpsim discover`, PRIM boxes on a sweep's results;
- :mod:`dmpsim.analysis.report`: Markdown and self-contained HTML reports;
- :mod:`dmpsim.analysis.commands`: the command-line subcommands above, and `dmpsim plot`.
"""
