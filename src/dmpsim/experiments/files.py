"""Experiment files: a base scenario, the parameters to vary, a design, replications and outputs.

An experiment is a TOML file under ``experiments/`` (or anywhere, by path)::

    description = "Price-only against quality tenders, three large-firm bid rates"
    scenario = "classroom"            # bundled scenario name, or a path relative to this file
    seed = 1                          # every run's seed derives from it (see `run_seed`)
    replications = 4
    steps = 24                        # optional: default is the scenario's run.steps
    common_random_numbers = true      # replication k of every design point shares its seed

    [set]                             # fixed values on top of the scenario
    "large_firms.entry_step" = 6

    [parameters]                      # what varies: a list, a range or a distribution
    "procurement.rule" = ["price", "quality"]
    "large_firms.bid_rate" = { range = [0.2, 0.8], num = 3 }

    [design]
    type = "factorial"                # factorial | tuples | lhs | random | sobol | morris

    [outputs]
    series = true                     # keep per-step series as well as the per-run summary
    interval = 6                      # every 6th step (and the last)

docs/sweeps.md documents every key. Every problem is reported, before anything runs, as one line
naming the file, the key and what is wrong -- the same errors as scenario files, since every
value goes through `dmpsim.model.params.check_value`.

This module reads the file or table (`load_experiment`, `parse_experiment`): its top-level keys,
``[set]``, ``[design]`` and ``[outputs]``. Each entry of ``[parameters]`` becomes a factor
(`dmpsim.experiments.factors`), the design points come from `dmpsim.experiments.samplers`, and
the result is an `Experiment` (`dmpsim.experiments.design`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import InputError
from ..model.params import FLAT, check_tree, did_you_mean
from .design import DESIGN_TYPES, MAX_RUNS, Experiment, Outputs, SalibDesign
from .ensemble import Ensemble, load_ensemble
from .factors import Factor, _collect_keys, parse_factor
from .samplers import _factorial, _sample, _tuple_points, _whole
from .scenario import Scenario, bundled_dir, bundled_names, flatten, load_scenario, read_toml

TOP_KEYS = ("description", "name", "scenario", "seed", "replications", "steps",
            "common_random_numbers", "set", "parameters", "design", "outputs", "ensemble")
DESIGN_OPTIONS = {
    "factorial": ("type",),
    "tuples": ("type", "points"),
    "lhs": ("type", "samples", "seed"),
    "random": ("type", "samples", "seed"),
    "sobol": ("type", "samples", "second_order", "seed"),
    "morris": ("type", "trajectories", "levels", "seed"),
}
OUTPUT_KEYS = ("series", "interval", "columns")


def _parse_outputs(table: Any, source: str) -> Outputs:
    from ..model import MODEL_SERIES

    if table is None:
        return Outputs()
    if not isinstance(table, dict):
        raise InputError(f"expected a table, got {table!r}", source=source, key="outputs")
    for name in table:
        if name not in OUTPUT_KEYS:
            raise InputError(f"unknown key{did_you_mean(name, list(OUTPUT_KEYS))}",
                             source=source, key=f"outputs.{name}")
    series = table.get("series", False)
    if not isinstance(series, bool):
        raise InputError(f"expected true or false, got {series!r}", source=source,
                         key="outputs.series")
    interval = table.get("interval", 1)
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        raise InputError(f"expected a whole number >= 1, got {interval!r}", source=source,
                         key="outputs.interval")
    columns = table.get("columns", list(MODEL_SERIES))
    if not isinstance(columns, list) or not columns:
        raise InputError(f"expected a non-empty list of model columns, got {columns!r}",
                         source=source, key="outputs.columns")
    for column in columns:
        if column not in MODEL_SERIES:
            hint = did_you_mean(str(column), list(MODEL_SERIES))
            raise InputError(f"unknown model column {column!r}{hint}", source=source,
                             key="outputs.columns")
    if ("interval" in table or "columns" in table) and not series:
        raise InputError("interval/columns apply to per-step series; add series = true",
                         source=source, key="outputs")
    return Outputs(series, interval, tuple(columns))


def _check_name(name: Any, source: str) -> str:
    """The experiment's name names its output folder: one plain folder name."""
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"expected a short name, got {name!r}", source=source, key="name")
    name = name.strip()
    if name in (".", "..") or any(c in name for c in "/\\") or not name.isprintable():
        raise InputError(f"expected a short name usable as a folder name (no '/', '\\', "
                         f"'.' or '..'), got {name!r}", source=source, key="name")
    return name


def _resolve_scenario(ref: Any, fixed: dict[str, Any], source: str, base_dir: Path | None) -> Scenario:
    if not isinstance(ref, str) or not ref.strip():
        raise InputError("expected a bundled scenario name or a path to a scenario file, got "
                         f"{ref!r}", source=source, key="scenario")
    path = Path(ref)
    looks_like_path = path.suffix == ".toml" or "/" in ref
    if looks_like_path:
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        if not path.is_file():
            raise InputError(f"scenario file {str(path)!r} not found", source=source,
                             key="scenario")
        return load_scenario(path, fixed)
    names = bundled_names()
    if ref not in names:
        raise InputError(f"no bundled scenario {ref!r}{did_you_mean(ref, names)}; bundled: "
                         f"{', '.join(names)}", source=source, key="scenario")
    return load_scenario(ref, fixed)


def parse_experiment(table: dict[str, Any], source: str = "<experiment>",
                     base_dir: Path | None = None, default_name: str = "experiment") -> Experiment:
    """Check an experiment given as a (TOML-shaped) dict and build its design."""
    if not isinstance(table, dict):
        raise InputError(f"expected a table, got {type(table).__name__}", source=source)
    for name in table:
        if name not in TOP_KEYS:
            raise InputError(f"unknown key{did_you_mean(name, list(TOP_KEYS))}"
                             f"{' (varied parameters go under [parameters])' if name in FLAT or '.' in name else ''}",
                             source=source, key=name)
    description = table.get("description")
    if not isinstance(description, str) or not description.strip():
        raise InputError("missing 'description' (one line saying what this experiment asks)",
                         source=source, key="description")
    name = _check_name(table.get("name", default_name), source)
    seed = _whole(table, "seed", 0, source, 0)
    replications = _whole(table, "replications", 1, source, 1, maximum=MAX_RUNS)
    steps = table.get("steps")
    if steps is not None:
        from .run import check_steps

        steps = check_steps(steps, key="steps", source=source)
    crn = table.get("common_random_numbers", True)
    if not isinstance(crn, bool):
        raise InputError(f"expected true or false, got {crn!r}", source=source,
                         key="common_random_numbers")

    fixed_table = table.get("set", {})
    if not isinstance(fixed_table, dict):
        raise InputError(f"expected a table of parameter values, got {fixed_table!r}",
                         source=source, key="set")
    for reserved in ("description", "name"):
        if reserved in fixed_table:
            raise InputError(f"unknown parameter in [set]{did_you_mean(reserved, list(FLAT))}",
                             source=source, key=reserved)
    fixed = flatten(fixed_table, source)
    scenario = _resolve_scenario(table.get("scenario", "baseline"), fixed, source, base_dir)

    design_table = table.get("design", {"type": "factorial"})
    if not isinstance(design_table, dict):
        raise InputError(f"expected a table, got {design_table!r}", source=source, key="design")
    design = design_table.get("type", "factorial")
    if design not in DESIGN_TYPES:
        raise InputError(f"unknown design {design!r}; one of {', '.join(DESIGN_TYPES)}"
                         f"{did_you_mean(str(design), list(DESIGN_TYPES))}", source=source,
                         key="design.type")
    for option in design_table:
        if option not in DESIGN_OPTIONS[design]:
            allowed = [o for o in DESIGN_OPTIONS[design] if o != "type"]
            raise InputError(f"unknown option for a {design} design{did_you_mean(option, allowed)}"
                             f"{'; it takes ' + ', '.join(allowed) if allowed else ''}",
                             source=source, key=f"design.{option}")

    raw = table.get("parameters", {})
    if not isinstance(raw, dict):
        raise InputError(f"expected a table, got {raw!r}", source=source, key="parameters")
    specs = _collect_keys(raw, source, "parameters")
    for key in specs:
        if key in fixed:
            raise InputError("both fixed in [set] and varied in [parameters]; keep one",
                             source=source, key=key)
    if "run.steps" in specs and steps is not None:
        raise InputError("run.steps is varied, so leave out the experiment's 'steps'",
                         source=source, key="steps")

    options: dict[str, Any] = {}
    if design == "tuples":
        if specs:
            raise InputError("a tuples design takes its values from design.points; move them "
                             "there or use a factorial design", source=source, key="parameters")
        factors: list[Factor] = []
        keys, columns = _tuple_points(design_table.get("points"), fixed,
                                      scenario.effective(), source)
        unit = None
    else:
        if not specs:
            raise InputError(f"a {design} design needs at least one parameter to vary",
                             source=source, key="parameters")
        factors = [parse_factor(k, v, source, design) for k, v in specs.items()]
        keys = [f.key for f in factors]
        if design == "factorial":
            columns, unit = _factorial(factors, source), None
        else:
            sampling_seed = _whole(design_table, "seed", seed, source, 0, "design.seed")
            columns, unit, options = _sample(design, design_table, factors, sampling_seed, source)
    n_points = len(next(iter(columns.values()))) if columns else 1
    if n_points * replications > MAX_RUNS:
        raise InputError(f"{n_points:,} design points x {replications:,} replications = "
                         f"{n_points * replications:,} runs, more than a sweep may have "
                         f"({MAX_RUNS:,})", source=source, key="replications")
    experiment = Experiment(
        name=name, description=description.strip(), source=source, scenario=scenario,
        fixed=fixed, factors=factors, design=design, design_options=options,
        replications=replications, steps=steps, seed=seed, common_random_numbers=crn,
        outputs=_parse_outputs(table.get("outputs"), source), keys=keys, _columns=columns,
        _unit=unit, ensemble=_ensemble(table.get("ensemble"), fixed, replications, seed, source,
                                       base_dir),
    )
    _check_points(experiment)
    return experiment


def _ensemble(ref: Any, fixed: dict[str, Any], replications: int, seed: int, source: str,
              base_dir: Path | None) -> Ensemble | None:
    """The ensemble named by ``ensemble = "DIR"`` (relative to the experiment's file)."""
    if ref is None:
        return None
    if not isinstance(ref, str | Path) or not str(ref).strip():
        raise InputError(f"expected the folder of a calibration, got {ref!r}", source=source,
                         key="ensemble")
    path = Path(ref)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    ensemble = load_ensemble(path, replications, seed, source)
    for key in ensemble.keys:
        if key in fixed:
            raise InputError("both fixed in [set] and calibrated in the ensemble; keep one",
                             source=source, key=key)
    return ensemble


def _check_points(experiment: Experiment) -> None:
    """Cross-key checks (e.g. level shares summing past 1) at every design point, and for every
    ensemble member, up front."""
    base = experiment.scenario.effective()
    if experiment.ensemble is not None:
        for replication in range(experiment.replications):
            try:
                check_tree({**base, **experiment.ensemble.values(replication)}, experiment.source)
            except InputError as exc:
                raise InputError(f"ensemble member {experiment.ensemble.drawn[replication]}: "
                                 f"{exc.problem}", source=experiment.source,
                                 key=exc.key) from None
        base = {**base, **experiment.ensemble.values(0)}
    for point in range(experiment.n_points):
        values = experiment.point_values(point)
        try:
            check_tree({**base, **values}, experiment.source)
        except InputError as exc:
            shown = ", ".join(f"{k}={v!r}" for k, v in values.items())
            raise InputError(f"design point {point} ({shown}): {exc.problem}",
                             source=experiment.source, key=exc.key) from None


def load_experiment(ref: str | Path | Experiment | dict[str, Any]) -> Experiment:
    """An experiment by bundled name (``"smoke"``), by path, as a dict, or as given."""
    if isinstance(ref, Experiment):
        return ref
    if isinstance(ref, dict):
        return parse_experiment(ref)
    if not isinstance(ref, str | Path):
        raise InputError(f"expected an experiment name or path, got {type(ref).__name__}",
                         key="experiment")
    path = Path(ref)
    if not (path.suffix == ".toml" or path.is_file() or "/" in str(ref)):
        names = bundled_names("experiments")
        if str(ref) not in names:
            raise InputError(f"no bundled experiment of that name{did_you_mean(str(ref), names)};"
                             f" bundled: {', '.join(names)}", source=str(ref))
        path = bundled_dir("experiments") / f"{ref}.toml"
    return parse_experiment(read_toml(path), str(path), path.resolve().parent, path.stem)


def salib_design(experiment: str | Path | Experiment) -> SalibDesign:
    """The SALib design matrix of a Sobol' or Morris experiment, with each row's run ids."""
    return load_experiment(experiment).salib_design()


__all__ = ["DESIGN_OPTIONS", "OUTPUT_KEYS", "TOP_KEYS", "load_experiment", "parse_experiment",
           "salib_design"]
