"""The experiment machinery: what turns a scenario into runs and runs into tables on disk.

- `scenario`: scenario files and overrides, checked against the parameter schema;
- `run`: one run of the model (`dmpsim.run`), as tables and a summary (`tables`, `patterns`);
- `run_folder`: writing one run's folder;
- `design`: experiments (factors, samplers, TOML files), one run seed per run;
- `sweeps`: many runs through a backend into a resumable store (`dmpsim.sweep`).

Depends on the model and on `dmpsim.io`; knows nothing of analyses, figures, the CLI or the app.
See docs/architecture.md.
"""
