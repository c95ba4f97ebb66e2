"""Global sensitivity analysis of an experiment: SALib design, sweep, indices and their files.

`run_sensitivity("morris_screening", method="morris")` takes an experiment's varied parameters
(ranges or distributions), makes a Sobol' or Morris design of them, runs it through
`dmpsim.sweep` on any backend, and analyses each output with
`dmpsim.analysis.sensitivity.analyze` and `convergence`.

- *The design.* An experiment whose design is already the method asked for is run as it is
  (its own samples/trajectories, levels and seed). Otherwise (another design type, or a
  different ``samples``) the design is rebuilt from the experiment's parameters with the method
  asked for: ``samples`` is the number of base samples N for Sobol' (a power of two; N (D + 2)
  design points) and of trajectories for Morris (D + 1 points each); defaults 64 and 10. A
  factorial range (``range`` with ``num``/``step``) becomes a uniform range. Parameters given
  as a list of values (categories, true/false, or a list of numbers) cannot go into a Sobol' or
  Morris analysis here: that is an error, with the fix (a range, or fix the value under
  ``[set]`` and run one analysis per value).
- *Replications.* Each design row's output is the **mean over its replications** (those that
  finished with a value), and SALib analyses those means. The run-to-run noise of the model
  otherwise shows up as spurious sensitivity (non-zero indices for inert parameters, inflated
  Morris sigma); averaging shrinks it by the square root of the replications. With common random
  numbers (the default in experiment files) replication k of every design row shares a seed, so
  the noise is also correlated across rows, which helps Morris' differences further.
- *Outputs* (default `DEFAULT_OUTPUTS`): one analysis per summary key. An output that is
  constant over the design (e.g. large firms' share when none enters within the run) or lacks a
  value in some row is skipped and the report says why.
- *Convergence.* `sensitivity.convergence` recomputes the indices from the first half of the
  design (half the base samples or trajectories, itself a valid design) and sets them beside
  the full-design indices; an index that moved by more than its confidence half-width has not
  settled (needs 4 or more base samples or trajectories).

Files in ``out`` (default ``results/sensitivity/<experiment>-<method>``): ``indices.csv`` and
``.parquet`` (output, parameter, index, value, conf), ``convergence.csv``,
``outputs_by_point.csv`` (the design with each row's mean outputs), ``figures/<output>.png``
and ``.svg``, ``report.md``, ``report.html`` (self-contained), ``sensitivity.json`` and the sweep
folder ``sweep/``.

The figures are drawn by `dmpsim.viz.sensitivity`, the report built by
`dmpsim.analysis.report.sensitivity`; `SensitivityResult` itself is defined in
`dmpsim.analysis.results`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..experiments.design import Experiment
from ..experiments.files import load_experiment, parse_experiment
from ..experiments.tables import SUMMARY_KEYS
from ..io.atomic import atomic_write_csv, atomic_write_parquet, atomic_write_text
from ..io.provenance import jsonable
from ..model.params import FLAT, did_you_mean
from . import sensitivity
from .report import analysis_versions, shell_command
from .results import MAIN_INDEX, SensitivityResult

__all__ = ["DEFAULT_OUTPUTS", "DEFAULT_SAMPLES", "MAIN_INDEX", "SensitivityResult",
           "run_sensitivity", "sensitivity_experiment"]

DEFAULT_OUTPUTS = ("integrity_mean", "large_firm_share", "field_experience",
                   "public_confidence", "comply_rate")
#: Base samples (Sobol') or trajectories (Morris) when a design is rebuilt without --samples.
DEFAULT_SAMPLES = {"sobol": 64, "morris": 10}


# -- the design -------------------------------------------------------------------------------

def _factor_spec(factor: Any) -> dict[str, Any]:
    """A Factor as an entry of [parameters] for a sampling design."""
    if factor.kind == "range":
        return {"range": [factor.lo, factor.hi]}
    spec: dict[str, Any] = {"distribution": factor.distribution}
    if factor.distribution == "normal":
        spec.update(mean=factor.mean, sd=factor.sd, lo=factor.lo, hi=factor.hi)
    elif factor.distribution == "triangular":
        spec.update(lo=factor.lo, mode=factor.mode, hi=factor.hi)
    else:
        spec.update(lo=factor.lo, hi=factor.hi)
    return spec


def _check_samples(method: str, samples: Any) -> int:
    if isinstance(samples, bool) or not isinstance(samples, int):
        raise InputError(f"expected a whole number, got {samples!r}", key="--samples")
    if method == "sobol" and (samples < 4 or samples & (samples - 1)):
        raise InputError(f"Sobol' needs base samples N = a power of two >= 4 (runs N(D+2)), got "
                         f"{samples}", key="--samples")
    if method == "morris" and samples < 2:
        raise InputError(f"Morris needs at least 2 trajectories, got {samples}", key="--samples")
    return samples


def sensitivity_experiment(experiment: str | Path | Experiment | dict[str, Any],
                           method: str | None = None, samples: int | None = None,
                           replications: int | None = None, steps: int | None = None
                           ) -> tuple[Experiment, bool]:
    """The experiment with a `method` design of its parameters, and whether it was rebuilt.

    Raises InputError for parameters SALib cannot take (lists of values) or designs without
    varied parameters.
    """
    exp = load_experiment(experiment)
    if method is None:
        if exp.design not in sensitivity.METHODS:
            raise InputError(f"the experiment has a {exp.design} design; choose --method morris "
                             "or --method sobol", source=exp.source, key="--method")
        method = exp.design
    if method not in sensitivity.METHODS:
        raise InputError(f"unknown method {method!r}; one of morris, sobol"
                         f"{did_you_mean(str(method), list(sensitivity.METHODS))}",
                         key="--method")
    if exp.design == "tuples" or not exp.factors:
        raise InputError("a sensitivity analysis needs varied parameters with ranges "
                         f"([parameters]); this experiment has a {exp.design} design",
                         source=exp.source, key="parameters")
    for factor in exp.factors:
        if factor.kind == "values":
            shown = ", ".join(map(repr, factor.values))
            numeric = FLAT[factor.key].type in (int, float)
            fix = ("give it as range = [lo, hi]" if numeric else
                   "fix it under [set] and run one analysis per value")
            raise InputError(f"is a list of values ({shown}); Sobol' and Morris need a numeric "
                             f"range or distribution: {fix}", source=exp.source, key=factor.key)
    if samples is not None:
        samples = _check_samples(method, samples)
    if replications is not None and (isinstance(replications, bool)
                                     or not isinstance(replications, int) or replications < 1):
        raise InputError(f"expected a whole number >= 1, got {replications!r}",
                         key="--replications")
    if steps is not None:
        from ..experiments.run import check_steps

        steps = check_steps(steps, key="--steps")
    own = exp.design_options.get("samples" if method == "sobol" else "trajectories")
    same = exp.design == method and (samples is None or samples == own)
    if same and replications is None and steps is None:
        return exp, False
    size_key = "samples" if method == "sobol" else "trajectories"
    if exp.design == method:
        # Keep the file's own options (levels, second order, seed); change only what was asked.
        design: dict[str, Any] = {"type": method, **{
            k: v for k, v in exp.design_options.items()
            if k in ("samples", "second_order", "seed", "trajectories", "levels")}}
        if samples is not None:
            design[size_key] = samples
    elif method == "sobol":
        design = {"type": "sobol", "samples": samples or DEFAULT_SAMPLES["sobol"],
                  "second_order": False, "seed": exp.seed}
    else:
        design = {"type": "morris", "trajectories": samples or DEFAULT_SAMPLES["morris"],
                  "levels": 4, "seed": exp.seed}
    if "run.steps" in exp.keys and steps is not None:
        raise InputError("run.steps is varied in this experiment; leave out --steps",
                         key="--steps")
    table: dict[str, Any] = {
        "name": exp.name,
        "description": exp.description,
        "scenario": _scenario_ref(exp),
        "seed": exp.seed,
        "replications": replications or exp.replications,
        "common_random_numbers": exp.common_random_numbers,
        "set": dict(exp.fixed),
        "parameters": {f.key: _factor_spec(f) for f in exp.factors},
        "design": design,
    }
    if steps is not None or exp.steps is not None:
        table["steps"] = steps or exp.steps
    rebuilt = parse_experiment(table, source=exp.source, default_name=exp.name)
    return rebuilt, not same


def _scenario_ref(exp: Experiment) -> str:
    source = Path(exp.scenario.source)
    if source.is_file():
        return str(source.resolve())
    raise InputError("cannot rebuild the design: the base scenario is not a file",
                     source=exp.source, key="scenario")


# -- running and analysing --------------------------------------------------------------------

def _outputs(outputs: Sequence[str] | None) -> list[str]:
    chosen = list(outputs or DEFAULT_OUTPUTS)
    for key in chosen:
        if key not in SUMMARY_KEYS:
            raise InputError(f"unknown output {key!r}{did_you_mean(key, list(SUMMARY_KEYS))}; "
                             "outputs are summary keys (dmpsim.experiments.tables.SUMMARY_KEYS)",
                             key="--outputs")
    if len(set(chosen)) != len(chosen):
        raise InputError("lists an output more than once", key="--outputs")
    return chosen


def design_means(exp: Experiment, runs: pd.DataFrame, outputs: list[str]) -> pd.DataFrame:
    """One row per design point: the parameters and each output's mean over its replications."""
    return pd.concat([exp.design_table(), exp.point_means(runs, list(outputs))], axis=1)


def run_sensitivity(experiment: str | Path | Experiment | dict[str, Any], *,
                    method: str | None = None, samples: int | None = None,
                    replications: int | None = None, steps: int | None = None,
                    outputs: Sequence[str] | None = None, backend: str | None = None,
                    workers: int | None = None, scheduler: Any = None,
                    out: str | Path | None = None, resume: bool = False,
                    progress: bool | None = None, seed: int = 0, write: bool = True,
                    figures: bool = True, command: str | None = None,
                    work: Any = None) -> SensitivityResult:
    """Run a Sobol' or Morris analysis of an experiment's parameters (see the module docstring).

    Args:
        experiment: bundled name, path, dict or `Experiment`.
        method: ``"morris"`` or ``"sobol"`` (default: the experiment's own, if one of these).
        samples: Sobol' base samples (power of two) or Morris trajectories; rebuilds the design.
        replications, steps: override the experiment's.
        outputs: summary keys to analyse (default `DEFAULT_OUTPUTS`).
        backend, workers, scheduler, resume, progress: as for `dmpsim.sweep`.
        out: output folder (default ``results/sensitivity/<experiment>-<method>``).
        seed: seed of SALib's bootstrap of the confidence intervals.
        write, figures: write files (and draw figures) into `out`.
        command: the command line the report prints (default: the equivalent CLI call).
        work: the function each run calls (`dmpsim.sweep`'s ``work``; default the
            model). For tests with a known response surface.
    """
    from ..experiments.sweeps import sweep

    chosen = _outputs(outputs)
    exp, rebuilt = sensitivity_experiment(experiment, method, samples, replications, steps)
    method = exp.design
    out_dir = Path(out) if out is not None else (Path("results") / "sensitivity"
                                                 / f"{exp.name}-{method}")
    extra = {"work": work} if work is not None else {}
    runs = sweep(exp, backend=backend, workers=workers, scheduler=scheduler,
                 out=out_dir / "sweep", resume=resume, progress=progress, **extra)
    design = exp.salib_design()
    by_point = design_means(exp, runs, chosen)
    notes = []
    failed = int((runs["status"] != "ok").sum())
    if failed:
        notes.append(f"{failed} of {len(runs)} runs ended with an error; each design row's "
                     "output is the mean of its other replications.")
    n_units = design.options.get("samples" if method == "sobol" else "trajectories", 0)
    options: dict[str, Any] = ({"num_levels": design.options["levels"]} if method == "morris"
                               else {"calc_second_order": design.options["second_order"]})
    indices, conv, skipped = [], [], {}
    for output in chosen:
        y = by_point[output].to_numpy(dtype=float)
        missing = int((~np.isfinite(y)).sum())
        if missing:
            skipped[output] = (f"{missing} of {len(y)} design rows have no value (no run "
                               "finished with one), so SALib cannot analyse it")
            continue
        if np.ptp(y) == 0.0:
            skipped[output] = (f"constant ({y[0]:.4g}) over the whole design, so no parameter "
                               "moves it within these ranges and this run length")
            continue
        try:
            table = sensitivity.analyze(design.problem, method, design.unit, y, seed=seed,
                                        **options)
        except InputError as exc:
            skipped[output] = exc.problem
            continue
        indices.append(table.assign(output=output))
        if n_units >= 4:
            try:
                c = sensitivity.convergence(design.problem, method, design.unit, y, seed=seed,
                                            **options)
            except InputError as exc:
                notes.append(f"No convergence check for {output}: {exc.problem}.")
            else:
                conv.append(c.assign(output=output))
    if n_units < 4:
        notes.append(f"No convergence check: it needs at least 4 "
                     f"{'base samples' if method == 'sobol' else 'trajectories'} to halve, "
                     f"this design has {n_units}.")
    index_cols = ["output", "parameter", "index", "value", "conf"]
    all_indices = (pd.concat(indices, ignore_index=True)[index_cols] if indices
                   else pd.DataFrame(columns=index_cols))
    conv_cols = ["output", "parameter", "index", "n_half", "value_half", "conf_half", "n_full",
                 "value_full", "conf_full", "change", "settled"]
    if conv:
        convergence = pd.concat(conv, ignore_index=True)
        settled = convergence["change"].abs() <= convergence["conf_full"]
        convergence["settled"] = settled.where(convergence["conf_full"].notna()).astype("boolean")
        convergence = convergence[conv_cols]
    else:
        convergence = pd.DataFrame(columns=conv_cols)
    if command is None:
        parts: list[Any] = ["dmpsim", "sensitivity",
                            experiment if isinstance(experiment, str | Path) else exp.source,
                            "--method", method]
        key = "samples" if method == "sobol" else "trajectories"
        parts += ["--samples", design.options[key], "--replications", exp.replications]
        if exp.steps is not None:
            parts += ["--steps", exp.steps]
        parts += ["--outputs", *chosen, "--out", out_dir]
        command = shell_command(parts)
    result = SensitivityResult(exp, method, chosen, all_indices, convergence, by_point, skipped,
                               runs, rebuilt, out_dir, command=command, notes=notes)
    if write:
        result.files = write_outputs(result, figures=figures, seed=seed)
    return result


# -- outputs ----------------------------------------------------------------------------------

def write_outputs(result: SensitivityResult, figures: bool = True, seed: int = 0) -> list[Path]:
    # Figures and report import matplotlib: only when files are written.
    from ..viz.sensitivity import figure_indices
    from ..viz.style import save_figure
    from .report.sensitivity import build_report

    out = result.out
    assert out is not None
    files = [atomic_write_csv(result.indices, out / "indices.csv"),
             atomic_write_parquet(result.indices, out / "indices.parquet"),
             atomic_write_csv(result.convergence, out / "convergence.csv"),
             atomic_write_csv(result.by_point, out / "outputs_by_point.csv")]
    figure_paths: dict[str, Path] = {}
    if figures:
        for output in result.outputs:
            if output in result.skipped:
                continue
            written = save_figure(figure_indices(result, output), out / "figures" / output)
            files += written
            figure_paths[output] = written[0]
    found = analysis_versions()
    exp = result.experiment
    meta = {
        "format": "dmpsim-sensitivity/1",
        "experiment": exp.describe(),
        "method": result.method,
        "design_rebuilt": result.rebuilt,
        "outputs": result.outputs,
        "skipped": result.skipped,
        "aggregation": "mean over each design row's replications",
        "salib_seed": seed,
        "versions": found,
        "command": result.command,
        "notes": result.notes,
        "sweep": "sweep/",
    }
    files.append(atomic_write_text(json.dumps(jsonable(meta), indent=2) + "\n",
                                   out / "sensitivity.json"))
    files += build_report(result, figure_paths, found, seed).write(out)
    return files
