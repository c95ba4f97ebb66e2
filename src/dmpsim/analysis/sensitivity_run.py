"""Global sensitivity analysis of an experiment: SALib design, sweep, indices, figures, report.

`run_sensitivity("morris_screening", method="morris")` takes an experiment's varied parameters
(ranges or distributions), makes a Sobol' or Morris design of them, runs it through
`dmpsim.sweep.sweep` on any backend, and analyses each output with
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
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..experiment import Experiment, load_experiment, parse_experiment
from ..metrics import SUMMARY_KEYS
from ..model.params import FLAT, did_you_mean
from ..outputs import atomic_write_csv, atomic_write_parquet, atomic_write_text, jsonable
from . import sensitivity
from .report import Report, analysis_versions, fmt_number, shell_command, versions_line

__all__ = ["DEFAULT_OUTPUTS", "DEFAULT_SAMPLES", "SensitivityResult", "run_sensitivity",
           "sensitivity_experiment"]

DEFAULT_OUTPUTS = ("integrity_mean", "large_firm_share", "field_experience",
                   "public_confidence", "comply_rate")
#: Base samples (Sobol') or trajectories (Morris) when a design is rebuilt without --samples.
DEFAULT_SAMPLES = {"sobol": 64, "morris": 10}
#: The index each method's figure and ranking use (its confidence half-width is SALib's).
MAIN_INDEX = {"morris": "mu_star", "sobol": "ST"}


@dataclass
class SensitivityResult:
    """What `run_sensitivity` produced."""

    experiment: Experiment
    method: str
    outputs: list[str]
    indices: pd.DataFrame
    convergence: pd.DataFrame
    by_point: pd.DataFrame
    skipped: dict[str, str]
    runs: pd.DataFrame
    rebuilt: bool
    out: Path | None = None
    files: list[Path] = field(default_factory=list)
    command: str = ""
    notes: list[str] = field(default_factory=list)


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
        from ..runner import check_steps

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
                             "outputs are summary keys (dmpsim.metrics.SUMMARY_KEYS)",
                             key="--outputs")
    if len(set(chosen)) != len(chosen):
        raise InputError("lists an output more than once", key="--outputs")
    return chosen


def design_means(exp: Experiment, runs: pd.DataFrame, outputs: list[str]) -> pd.DataFrame:
    """One row per design point: the parameters and each output's mean over its replications."""
    ok = runs[runs["status"] == "ok"]
    design = exp.design_table()
    values = ok.groupby("point")[outputs].agg(lambda s: pd.to_numeric(s, errors="coerce").mean())
    counts = ok.groupby("point").size().rename("replications_ok")
    out = design.merge(values, left_on="point", right_index=True, how="left")
    out = out.merge(counts, left_on="point", right_index=True, how="left")
    out["replications_ok"] = out["replications_ok"].fillna(0).astype(int)
    return out


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
        backend, workers, scheduler, resume, progress: as for `dmpsim.sweep.sweep`.
        out: output folder (default ``results/sensitivity/<experiment>-<method>``).
        seed: seed of SALib's bootstrap of the confidence intervals.
        write, figures: write files (and draw figures) into `out`.
        command: the command line the report prints (default: the equivalent CLI call).
        work: the function each run calls (`dmpsim.sweep.sweep`'s ``work``; default the
            model). For tests with a known response surface.
    """
    from ..sweep import sweep

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

def _label(key: str) -> str:
    from ..plots import METRIC_LABELS

    return METRIC_LABELS.get(key, key)


def figure_indices(result: SensitivityResult, output: str) -> Any:
    """Bar chart of one output's indices, parameters sorted, with confidence half-widths and
    the half-design value as an open marker (the convergence check)."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    rows = result.indices[result.indices["output"] == output]
    conv = result.convergence[result.convergence["output"] == output]
    if result.method == "morris":
        shown = [("mu_star", "mu* (mean |elementary effect|)", "#0072B2", "")]
        xlabel = f"mu*: change in {_label(output)}\nacross each parameter's whole range"
        title = f"Morris screening: {_label(output).split(' (')[0]}"
    else:
        shown = [("S1", "S1 (first order)", "#56B4E9", "//"),
                 ("ST", "ST (total order)", "#D55E00", "")]
        xlabel = f"Sobol' index (share of the variance of\n{_label(output)})"
        title = f"Sobol' indices: {_label(output).split(' (')[0]}"
    main = rows[rows["index"] == MAIN_INDEX[result.method]].sort_values("value")
    params = list(main["parameter"])
    fig = Figure(figsize=(7.5, 1.9 + 0.42 * len(params) * (1 if len(shown) == 1 else 1.4)),
                 layout="constrained")
    ax = fig.subplots()
    height = 0.8 / len(shown)
    y = np.arange(len(params))
    handles, labels = [], []
    for j, (index, label, colour, hatch) in enumerate(shown):
        values = rows[rows["index"] == index].set_index("parameter").reindex(params)
        offset = (j - (len(shown) - 1) / 2) * height
        conf = values["conf"].to_numpy(dtype=float)
        ax.barh(y + offset, values["value"].to_numpy(dtype=float), height=height * 0.9,
                xerr=np.where(np.isfinite(conf), conf, 0.0), color=colour, hatch=hatch,
                edgecolor="black", linewidth=0.6, error_kw={"elinewidth": 1, "capsize": 3})
        handles.append(Patch(facecolor=colour, hatch=hatch, edgecolor="black"))
        labels.append(label)
        half = conv[conv["index"] == index].set_index("parameter").reindex(params)
        if len(conv) and half["value_half"].notna().any():
            ax.plot(half["value_half"].to_numpy(dtype=float), y + offset, linestyle="none",
                    marker="D", markerfacecolor="white", markeredgecolor="black", markersize=6)
    if len(conv):
        handles.append(Line2D([], [], linestyle="none", marker="D", markerfacecolor="white",
                              markeredgecolor="black"))
        labels.append("value from half the design")
    handles.append(Line2D([], [], color="black", linewidth=1))
    labels.append("95% confidence half-width")
    ax.set_yticks(y, params)
    ax.set_ylabel("Parameter")
    ax.set_xlabel(xlabel)
    ax.axvline(0, color="0.4", linewidth=0.8)
    ax.set_title(title)
    fig.legend(handles, labels, fontsize="small", loc="outside lower center",
               ncol=min(3, len(labels)), frameon=False)
    return fig


def write_outputs(result: SensitivityResult, figures: bool = True, seed: int = 0) -> list[Path]:
    from .. import plots

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
            written = plots.save_figure(figure_indices(result, output), out / "figures" / output)
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


def _yes_no(value: Any) -> str:
    if value is None or value is pd.NA:
        return "–"
    return "yes" if bool(value) else "no"


def _range_text(factor: Any) -> str:
    if factor.kind == "range":
        return f"uniform on [{factor.lo:g}, {factor.hi:g}]"
    if factor.distribution == "normal":
        return (f"normal (mean {factor.mean:g}, sd {factor.sd:g}) truncated to "
                f"[{factor.lo:g}, {factor.hi:g}]")
    if factor.distribution == "triangular":
        return f"triangular on [{factor.lo:g}, {factor.hi:g}], mode {factor.mode:g}"
    return f"{factor.distribution} on [{factor.lo:g}, {factor.hi:g}]"


def build_report(result: SensitivityResult, figure_paths: dict[str, Path],
                 found: dict[str, str], seed: int) -> Report:
    exp = result.experiment
    method = result.method
    opts = exp.design_options
    d = len(exp.factors)
    name = "Morris elementary effects" if method == "morris" else "Sobol' indices"
    report = Report(f"Sensitivity analysis ({name}): {exp.name}")
    if method == "morris":
        size = (f"{opts['trajectories']} trajectories of {d + 1} points ({opts['levels']} "
                "levels)")
    else:
        size = (f"N = {opts['samples']} base samples, N(D + 2) = {exp.n_points} points"
                + (" with second-order rows" if opts.get("second_order") else ""))
    steps = exp.steps or exp.effective_steps()
    report.paragraph(
        f"{exp.description}. Base scenario **{exp.scenario.name}**; {d} parameters varied; "
        f"{size}; **{exp.replications} replication(s)** per point "
        f"({'common random numbers' if exp.common_random_numbers else 'independent seeds'}); "
        f"{exp.n_runs} runs of {steps} months. Each point's output is the mean over its "
        "replications." + (" The design was rebuilt from the experiment's parameters for this "
                           "method." if result.rebuilt else ""))
    for note in result.notes:
        report.note(note)

    report.heading("How to read this")
    if method == "morris":
        report.bullets([
            "**mu\\*** (mu star): the mean absolute change in the output when one parameter "
            "moves across its whole range (elementary effects scaled to the range), the others "
            "held at a random point. It ranks parameters by influence; it is in the output's "
            "units.",
            "**sigma**: the spread of those effects. A sigma comparable to mu\\* means the "
            "parameter's effect depends on the others (interactions) or is non-linear.",
            "**conf**: SALib's 95% bootstrap half-width of mu\\*.",
            "Morris screens: it separates influential from negligible parameters with few "
            "runs; it does not apportion variance. Use a Sobol' analysis of the few parameters "
            "that matter for that.",
        ])
    else:
        report.bullets([
            "**S1** (first order): the share of the output's variance over the design that "
            "this parameter explains alone.",
            "**ST** (total order): the share it explains including all its interactions; "
            "ST - S1 is the part that is interaction. A parameter with ST near 0 can be fixed "
            "anywhere in its range without changing the output.",
            "**conf**: SALib's 95% bootstrap half-width. Indices whose interval includes 0 "
            "cannot be told from 0 at this sample size; small negative S1 values are "
            "estimation noise.",
        ])
    report.bullets([
        "**Convergence**: the indices are recomputed from the first half of the design (a "
        "valid smaller design). An index that moved by more than its half-width between half "
        "and full has not settled: use more samples before relying on it.",
    ])

    report.heading("Parameters")
    report.table(pd.DataFrame({
        "Parameter": [f"`{f.key}`" for f in exp.factors],
        "Varied as": [_range_text(f) for f in exp.factors],
        "Unit": [FLAT[f.key].unit or "–" for f in exp.factors],
        "Meaning": [FLAT[f.key].doc for f in exp.factors],
    }))
    if exp.fixed:
        report.paragraph("Fixed on top of the scenario: " + "; ".join(
            f"`{k}` = {v}" for k, v in exp.fixed.items()) + ".")

    main = MAIN_INDEX[method]
    report.heading("Results by output")
    summary_rows = []
    for output in result.outputs:
        if output in result.skipped:
            continue
        rows = result.indices[result.indices["output"] == output]
        top = rows[rows["index"] == main].sort_values("value", ascending=False)
        summary_rows.append({"Output": output,
                             "Most influential (by " + ("mu*" if main == "mu_star" else main)
                             + ")": ", ".join(f"`{p}`" for p in top["parameter"].head(3))})
    if summary_rows:
        report.table(pd.DataFrame(summary_rows), "The three most influential parameters")
    for output in result.outputs:
        report.heading(f"{output}: {SUMMARY_KEYS[output]}", 3)
        if output in result.skipped:
            report.paragraph(f"Not analysed: {result.skipped[output]}.")
            continue
        rows = result.indices[result.indices["output"] == output]
        conv = result.convergence[result.convergence["output"] == output]
        wide = rows.pivot(index="parameter", columns="index", values="value")
        confs = rows.pivot(index="parameter", columns="index", values="conf")
        order = wide[main].sort_values(ascending=False).index
        shown = ["mu_star", "sigma"] if method == "morris" else ["S1", "ST"]
        scale = float(np.nanmax(np.abs(wide[shown].to_numpy(dtype=float)))) or 1.0
        table = pd.DataFrame({"Parameter": [f"`{p}`" for p in order]})
        for index in shown:
            title = {"mu_star": "mu*", "sigma": "sigma"}.get(index, index)
            cells = []
            for p in order:
                conf = confs.at[p, index]
                text = fmt_number(wide.at[p, index], scale)
                if isinstance(conf, float) and math.isfinite(conf):
                    text += f" ± {fmt_number(conf, scale)}"
                cells.append(text)
            table[title] = cells
        if len(conv):
            half = conv[conv["index"] == main].set_index("parameter")
            table[f"{'mu*' if main == 'mu_star' else main}, half design"] = [
                fmt_number(half.at[p, "value_half"], scale) for p in order]
            table["Settled"] = [_yes_no(half.at[p, "settled"]) for p in order]
        report.table(table)
        if output in figure_paths:
            report.figure(figure_paths[output],
                          f"{name} for {output}, parameters sorted; bars with 95% half-widths, "
                          "open diamonds the value from half the design.")
    if result.skipped:
        report.heading("Outputs not analysed", 3)
        report.bullets([f"`{k}`: {v}." for k, v in result.skipped.items()])

    report.heading("What you may and may not conclude")
    report.bullets([
        "The indices rank parameters **within the ranges given** and for this base scenario, "
        "run length and set of fixed values; a parameter can matter more (or less) over wider "
        "ranges or in another market.",
        "They describe the **model's** response, not the world's: a parameter the model is "
        "insensitive to may still matter in reality if the model leaves the mechanism out, and "
        "the model is calibrated to qualitative patterns only (docs/ODD.md).",
        "Use them to decide **what to measure or argue about** (the influential parameters) "
        "and what can be left at its default (the negligible ones), and which parameters to "
        "carry into a finer Sobol' analysis or a scenario discovery (`dmpsim discover`).",
        "Indices that have not settled (see the convergence columns) or whose interval "
        "includes zero support no ranking among themselves.",
    ])

    report.heading("Reproducing this analysis")
    report.code(result.command)
    report.bullets([
        f"Experiment seed {exp.seed} (each run's seed derives from it and the run's "
        "replication" + (")" if exp.common_random_numbers else " and design point)")
        + f"; design seed {opts.get('seed', exp.seed)}; SALib bootstrap seed {seed}.",
        f"Versions: {versions_line(found)}.",
        "Files: indices.csv/.parquet, convergence.csv, outputs_by_point.csv, figures/, "
        "sensitivity.json, sweep/ (the runs and the manifest with the SALib problem).",
    ])
    return report
