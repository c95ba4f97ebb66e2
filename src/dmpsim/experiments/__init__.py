"""The experiment machinery: what turns a scenario into runs and runs into tables on disk.

- `scenario`: scenario files and overrides, checked against the parameter schema;
- `run`: one run of the model (`dmpsim.run`), as tables and a summary (`tables`, `patterns`);
- `run_folder`: writing one run's folder;
- `files`: experiment files (`load_experiment`), read into a `design.Experiment` (its design
  points, run ids and seeds) from `factors` (the varied parameters) and `samplers` (the
  design points);
- `sweeps`: many runs of an experiment (`dmpsim.sweep`), driven by the `coordinator`, run by
  one of the `backends`, each run a `task`, written to a resumable `store`.

Depends on the model and on `dmpsim.io`; knows nothing of analyses, figures, the CLI or the app.
See docs/architecture.md.
"""
