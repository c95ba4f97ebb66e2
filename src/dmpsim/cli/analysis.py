"""The analysis subcommands of the `dmpsim` command line: compare, ablate, sensitivity, discover,
plot.

`add_commands(subparsers)` registers them on the parser that `dmpsim.cli` builds; each sets a
``func`` taking the parsed arguments and returning an exit code. Bad input raises
`dmpsim.errors.InputError`, which the CLI prints as one line with exit status 2.

    dmpsim compare baseline price_only_tender quality_tender --replications 20
    dmpsim compare baseline price_only_tender --ensemble results/calibrate/NAME --replications 20
    dmpsim ablate baseline --mechanisms safety_net,learning --replications 20
    dmpsim sensitivity morris_screening --method morris
    dmpsim discover results/sweeps/safety_net --metric integrity_mean
    dmpsim plot results/compare/baseline-price_only_tender-quality_tender
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import InputError
from .arguments import (
    at_least_two,
    months,
    non_negative_int,
    number,
    open_share,
    positive_int,
    share,
    where_runs_run,
)

__all__ = ["add_commands", "cmd_ablate", "cmd_compare", "cmd_discover", "cmd_plot",
           "cmd_sensitivity"]


# -- argument types ---------------------------------------------------------------------------

def _true(value: Any) -> bool:
    import pandas as pd

    return value is not None and value is not pd.NA and bool(value)


def _run_options(p: argparse.ArgumentParser) -> None:
    where_runs_run(p)
    p.add_argument("--resume", action="store_true",
                   help="finish (or reuse) the runs already in OUT/sweep")
    p.add_argument("--quiet", action="store_true", help="no progress bar, header or summary")


def _writing(out: Path, action: Any) -> Any:
    """Run `action`, reporting an unwritable output folder as one line."""
    try:
        return action()
    except OSError as exc:
        raise InputError(f"cannot write results: {exc.strerror or exc}", source=str(out),
                         key="--out") from None


def _interrupted(command: str, out: Path, args: argparse.Namespace | None = None) -> int:
    extra = ""
    if args is not None:
        import shlex

        options = []
        for flag, value in (("--backend", getattr(args, "backend", None)),
                            ("--scheduler", getattr(args, "scheduler", None)),
                            ("--workers", getattr(args, "workers", None))):
            if value:
                options += [flag, str(value)]
        extra = (" " + shlex.join(options)) if options else ""
    print(f"dmpsim: interrupted; the finished runs are in {out / 'sweep'}. Finish with the same "
          f"command and --resume:\n  {command}{extra} --resume", file=sys.stderr)
    return 130


def _ensemble_option(p: argparse.ArgumentParser, runs: str) -> None:
    p.add_argument("--ensemble", metavar="CALIBRATION_DIR",
                   help=f"output folder of dmpsim calibrate: replication k of every {runs} takes "
                        "ensemble member k's parameters and seed k, and the report adds, per "
                        "output, in what share of the members each one beats the baseline, "
                        "regret and ranking agreement")


def _print_ensemble(result: Any, outputs: list[str], against: str) -> None:
    """Across the ensemble: per scenario, the share of members beating the baseline."""
    table = result.ensemble
    if table is None:
        return
    print(f"Across the ensemble ({result.replications} members): share of members in which "
          f"each beats {against}:")
    width = max(len(n) for n in result.names)
    print(f"  {'':<{width}}  " + "  ".join(f"{m:<18}" for m in outputs))
    for name in result.names:
        if name == against:
            continue
        cells = []
        for m in outputs:
            row = table[(table["scenario"] == name) & (table["output"] == m)].iloc[0]
            share = row["share_better"] if row["direction"] else row["share_higher"]
            text = "–" if share != share else f"{share:.0%}"
            cells.append((text if row["direction"] else f"{text} higher").ljust(18))
        print(f"  {name:<{width}}  " + "  ".join(cells))


# -- compare ----------------------------------------------------------------------------------

def cmd_compare(args: argparse.Namespace) -> int:
    from ..analysis.compare import MAIN_METRICS, check_ensemble, compare, default_out
    from ..analysis.report import fmt_ci, fmt_number, shell_command
    from ..experiments.scenario import load_scenario

    if len(args.scenarios) < 2:
        raise InputError(f"a comparison needs at least two scenarios, got "
                         f"{len(args.scenarios)}", key="scenarios")
    names = [load_scenario(s).name for s in args.scenarios]
    out = Path(args.out) if args.out else default_out(names)
    baseline = args.baseline or (names[0] if names else None)
    if baseline not in names:
        raise InputError(f"{baseline!r} is not one of the scenarios compared "
                         f"({', '.join(names)})", key="--baseline")
    parts: list[Any] = ["dmpsim", "compare", *args.scenarios, "--replications",
                        args.replications, "--baseline", baseline, "--seed", args.seed]
    if args.steps is not None:
        parts += ["--steps", args.steps]
    parts += ["--out", out]
    if args.independent_seeds:
        if args.ensemble is not None:
            raise InputError("--ensemble pairs the scenarios over members and seeds alike, so "
                             "it needs common random numbers; leave out one of the two",
                             key="--independent-seeds")
        parts.append("--independent-seeds")
    if args.ensemble is not None:
        check_ensemble(args.ensemble, args.replications, args.seed)   # before the header
        parts += ["--ensemble", args.ensemble]
    command = shell_command(parts)
    if not args.quiet:
        across = (f", member k of the ensemble in {args.ensemble} in replication k"
                  if args.ensemble is not None else "")
        print(f"dmpsim compare: {', '.join(names)} (baseline {baseline}), "
              f"{args.replications} replications each{across}; results to {out}/")
    try:
        result = _writing(out, lambda: compare(
            args.scenarios, replications=args.replications, baseline=args.baseline,
            seed=args.seed, steps=args.steps, backend=args.backend, workers=args.workers,
            scheduler=args.scheduler, out=out, resume=args.resume,
            progress=False if args.quiet else None,
            common_random_numbers=not args.independent_seeds, command=command,
            ensemble=args.ensemble))
    except KeyboardInterrupt:
        return _interrupted(command, out, args)
    if args.quiet:
        return 0
    table = result.table
    print(f"{result.steps} months per run; difference from {result.baseline} "
          "[95% interval], * = interval excludes zero:")
    width = max(len(n) for n in result.names)
    shown = [m for m in MAIN_METRICS if m in ("integrity_mean", "large_firm_share",
                                              "field_experience", "public_confidence")]
    print(f"  {'':<{width}}  " + "  ".join(f"{m:<30}" for m in shown))
    for name in result.names:
        if name == result.baseline:
            continue
        cells = []
        for m in shown:
            row = table[(table["scenario"] == name) & (table["metric"] == m)].iloc[0]
            scale = float(table.loc[table["metric"] == m, "mean"].abs().max())
            flag = "*" if _true(row["significant"]) else " "
            cells.append(f"{fmt_number(row['diff'], scale, signed=True)} "
                         f"{fmt_ci(row['diff_low'], row['diff_high'], scale)}{flag}".ljust(30))
        print(f"  {name:<{width}}  " + "  ".join(cells))
    _print_ensemble(result, shown, result.baseline)
    for note in result.notes:
        print(f"Note: {note}")
    print(f"Report: {out / 'report.html'} (and report.md); tables: comparison.csv, "
          "differences.csv, runs.csv" + (", ensemble.csv" if result.ensemble is not None
                                         else ""))
    return 0


# -- ablate -----------------------------------------------------------------------------------

def cmd_ablate(args: argparse.Namespace) -> int:
    import numpy as np

    from ..analysis.ablate import ABLATION_METRICS, PATTERNS, ablate, default_out, parse_mechanisms
    from ..analysis.compare import check_ensemble
    from ..analysis.report import fmt_ci, fmt_number, shell_command
    from ..experiments.scenario import load_scenario
    from ..model.params import MECHANISMS

    chosen = parse_mechanisms(args.mechanisms)
    scenario = load_scenario(args.scenario, args.set or None)
    out = Path(args.out) if args.out else default_out(scenario.name)
    parts: list[Any] = ["dmpsim", "ablate", args.scenario]
    if args.mechanisms is not None:
        parts += ["--mechanisms", ",".join(chosen)]
    for item in args.set or []:
        parts += ["--set", item]
    parts += ["--replications", args.replications, "--seed", args.seed]
    if args.steps is not None:
        parts += ["--steps", args.steps]
    parts += ["--out", out]
    if args.ensemble is not None:
        check_ensemble(args.ensemble, args.replications, args.seed)   # before the header
        parts += ["--ensemble", args.ensemble]
    if args.no_figures:
        parts.append("--no-figures")
    command = shell_command(parts)
    if not args.quiet:
        across = (f", member k of the ensemble in {args.ensemble} in replication k"
                  if args.ensemble is not None else "")
        print(f"dmpsim ablate: {scenario.name} with {len(chosen)} mechanism(s) knocked out in "
              f"turn, {args.replications} replications per arm{across}; results to {out}/")
    try:
        result = _writing(out, lambda: ablate(
            scenario, mechanisms=chosen, replications=args.replications, seed=args.seed,
            steps=args.steps, backend=args.backend, workers=args.workers,
            scheduler=args.scheduler, out=out, resume=args.resume,
            progress=False if args.quiet else None, figures=not args.no_figures,
            command=command, ensemble=args.ensemble))
    except KeyboardInterrupt:
        return _interrupted(command, out, args)
    if args.quiet:
        return 0
    print(f"{result.steps} months per run; what each knock-out changes (knock-out minus full "
          "model, 95% interval excludes zero; at most four, the largest first):")
    width = max(len(f"{MECHANISMS[m][0]} {m}") for m in result.mechanisms)
    headline = [*ABLATION_METRICS, *PATTERNS]
    for m in result.mechanisms:
        rows = result.table[(result.table["mechanism"] == m)
                            & result.table["output"].isin(headline)
                            & result.table["excludes_zero"].fillna(False).astype(bool)]
        rows = rows.assign(_size=rows["cohens_d"].abs().fillna(rows["difference"].abs()))
        rows = rows.sort_values("_size", ascending=False)
        cells = []
        for row in rows.head(4).itertuples(index=False):
            scale = float(np.nanmax(np.abs([row.full_mean, row.knockout_mean])))
            cells.append(f"{row.output} {fmt_number(row.difference, scale, signed=True)} "
                         f"{fmt_ci(row.low, row.high, scale)}")
        more = f" (+{len(rows) - 4} more)" if len(rows) > 4 else ""
        label = f"{MECHANISMS[m][0]} {m}"
        print(f"  {label:<{width}}  " + ("; ".join(cells) + more if cells else
                                         "nothing detectable"))
    if result.comparison.ensemble is not None:
        print(f"Across the ensemble ({result.replications} members): ensemble.csv; the report's "
              "section 'Across the ensemble' has how often each knock-out raises or lowers "
              "the main outputs.")
    for note in result.notes:
        print(f"Note: {note}")
    print(f"Report: {out / 'report.html'} (and report.md); tables: ablation.csv, "
          "comparison.csv, runs.csv")
    return 0


# -- sensitivity ------------------------------------------------------------------------------

def cmd_sensitivity(args: argparse.Namespace) -> int:
    from ..analysis.report import fmt_number, shell_command
    from ..analysis.sensitivity_run import MAIN_INDEX, run_sensitivity, sensitivity_experiment

    exp, _ = sensitivity_experiment(args.experiment, args.method, args.samples,
                                    args.replications, args.steps)
    method = exp.design
    out = Path(args.out) if args.out else Path("results") / "sensitivity" / f"{exp.name}-{method}"
    key = "samples" if method == "sobol" else "trajectories"
    parts: list[Any] = ["dmpsim", "sensitivity", args.experiment, "--method", method,
                        "--samples", exp.design_options[key], "--replications",
                        exp.replications]
    if args.steps is not None:
        parts += ["--steps", args.steps]
    if args.outputs:
        parts += ["--outputs", *args.outputs]
    parts += ["--out", out]
    command = shell_command(parts)
    if not args.quiet:
        steps = exp.steps or exp.effective_steps()
        print(f"dmpsim sensitivity: {exp.name} ({method}): {exp.n_points} design points x "
              f"{exp.replications} replication(s) = {exp.n_runs} runs of {steps} months; "
              f"results to {out}/")
    try:
        result = _writing(out, lambda: run_sensitivity(
            args.experiment, method=args.method, samples=args.samples,
            replications=args.replications, steps=args.steps, outputs=args.outputs, backend=args.backend, workers=args.workers,
            scheduler=args.scheduler, out=out, resume=args.resume,
            progress=False if args.quiet else None, command=command))
    except KeyboardInterrupt:
        return _interrupted(command, out, args)
    if args.quiet:
        return 0
    main = MAIN_INDEX[method]
    for output in result.outputs:
        if output in result.skipped:
            print(f"  {output}: not analysed ({result.skipped[output]})")
            continue
        rows = result.indices[(result.indices["output"] == output)
                              & (result.indices["index"] == main)]
        top = rows.sort_values("value", ascending=False).head(3)
        scale = float(rows["value"].abs().max())
        ranked = ", ".join(f"{r.parameter} {fmt_number(r.value, scale)}"
                           for r in top.itertuples(index=False))
        print(f"  {output}: {main} {ranked}")
    for note in result.notes:
        print(f"Note: {note}")
    print(f"Report: {out / 'report.html'} (and report.md); tables: indices.csv, convergence.csv")
    return 0


# -- discover ---------------------------------------------------------------------------------

def cmd_discover(args: argparse.Namespace) -> int:
    from ..analysis.discovery import discover

    out = Path(args.out) if args.out else None
    result = _writing(out or Path(args.results_dir), lambda: discover(
        args.results_dir, metric=args.metric, below=args.below, above=args.above,
        quantile=args.quantile, threshold=args.threshold, max_boxes=args.max_boxes, out=out))
    n, cases = len(result.y), int(result.y.sum())
    print(f"dmpsim discover: {result.case_rule} in {cases} of {n} runs ({cases / n:.0%}); "
          f"inputs: {', '.join(result.inputs)}")
    if not result.boxes:
        print("No box found with these settings.")
    for box in result.boxes:
        print(f"Box {box.box_number}: coverage {box.coverage:.2f}, density {box.density:.2f}, "
              f"mass {box.mass:.2f} ({box.n_positive} of {box.n_points} runs are cases)")
        for line in box.describe().splitlines()[1:]:
            print(f"  {line.strip()}")
    for note in result.notes:
        print(f"Note: {note}")
    print(f"Report: {result.out / 'report.html'} (and report.md); tables: boxes.csv, "
          "trajectory.csv")
    return 0


# -- plot -------------------------------------------------------------------------------------

def plot_folder(results_dir: str | Path) -> Path:
    """The folder `plots.plot_results` should read: the folder itself, or the sweep inside a
    sensitivity analysis' folder (which keeps no series of its own)."""
    folder = Path(results_dir)
    own = any((folder / name).exists() for name in ("runs.parquet", "series.parquet",
                                                    "model.parquet", "parts"))
    inner = folder / "sweep"
    if folder.is_dir() and not own and ((inner / "runs.parquet").exists()
                                        or (inner / "parts").is_dir()):
        return inner
    return folder


def cmd_plot(args: argparse.Namespace) -> int:
    from ..viz.results import plot_results

    folder = plot_folder(args.results_dir)
    out = Path(args.out) if args.out else Path(args.results_dir) / "figures"
    written = _writing(out, lambda: plot_results(folder, out, formats=args.format,
                                                 metric=args.metric))
    stems = sorted({p.stem for p in written})
    print(f"dmpsim plot: {len(stems)} figure(s) ({', '.join(args.format)}) in {out}/: "
          f"{', '.join(stems)}")
    return 0


# -- registration -----------------------------------------------------------------------------

def add_commands(subparsers: Any) -> None:
    """Register compare, ablate, sensitivity, discover and plot on `subparsers`."""
    p = subparsers.add_parser(
        "compare", help="compare scenarios with common random numbers; write a report",
        description="Run each scenario with common random numbers (replication k of every "
                    "scenario uses the same seed) and report, for every summary key, the mean "
                    "with a 95% bootstrap interval, the paired difference from the baseline "
                    "with its interval and effect sizes. Writes report.md, a self-contained "
                    "report.html, comparison.csv/.parquet, differences.csv, runs.csv, "
                    "series.parquet, figures/ and the sweep (sweep/) to --out. "
                    "See docs/analysis.md.")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                   help="bundled scenario names or scenario files (two or more)")
    p.add_argument("--replications", type=at_least_two, default=20, metavar="N",
                   help="runs per scenario (default 20)")
    p.add_argument("--baseline", metavar="NAME",
                   help="the scenario the others are compared with (default: the first)")
    p.add_argument("--seed", type=non_negative_int, default=0,
                   help="experiment seed every run's seed derives from (default 0)")
    p.add_argument("--steps", type=months, metavar="MONTHS",
                   help="months per run, the same for every scenario (default: the baseline's "
                        "run.steps)")
    p.add_argument("--out", metavar="DIR",
                   help="output folder (default results/compare/NAMES)")
    p.add_argument("--independent-seeds", action="store_true",
                   help="give every run its own seed and compare unpaired (to see what common "
                        "random numbers buy; not for reports)")
    _ensemble_option(p, "scenario")
    _run_options(p)
    p.set_defaults(func=cmd_compare)

    p = subparsers.add_parser(
        "ablate", help="knock out each mechanism in turn: which mechanism produces a pattern?",
        description="Run the scenario as given and, for each mechanism, with that mechanism "
                    "switched off (mechanisms.NAME = false), with common random numbers, and "
                    "report each knock-out's paired effect (knock-out minus full model) with a "
                    "95% bootstrap interval on every summary key and on the patterns "
                    "PT1-PT10. Writes report.md, a self-contained report.html, "
                    "ablation.csv/.parquet, the comparison's tables, figures/ and the sweep "
                    "(sweep/) to --out. See docs/analysis.md.")
    p.add_argument("scenario", nargs="?", default="baseline", metavar="SCENARIO",
                   help="bundled scenario name or scenario file (default baseline)")
    p.add_argument("--mechanisms", metavar="NAME,NAME",
                   help="the mechanisms to knock out, comma-separated (default: all; "
                        "docs/ODD.md lists them)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a parameter of the scenario by dotted key, in every arm")
    p.add_argument("--replications", type=at_least_two, default=20, metavar="N",
                   help="runs per arm (default 20)")
    p.add_argument("--seed", type=non_negative_int, default=0,
                   help="experiment seed every run's seed derives from (default 0)")
    p.add_argument("--steps", type=months, metavar="MONTHS",
                   help="months per run (default: the scenario's run.steps)")
    p.add_argument("--out", metavar="DIR", help="output folder (default results/ablate/SCENARIO)")
    p.add_argument("--no-figures", action="store_true", help="do not draw the figure")
    _ensemble_option(p, "arm")
    _run_options(p)
    p.set_defaults(func=cmd_ablate)

    p = subparsers.add_parser(
        "sensitivity", help="Sobol' or Morris sensitivity analysis of an experiment's parameters",
        description="Make a Sobol' or Morris (SALib) design of an experiment's varied "
                    "parameters, run it, and report indices with confidence intervals per "
                    "output, a figure per output and a convergence check (indices from half "
                    "and from all of the design). Each design point's output is the mean over "
                    "its replications. See docs/analysis.md.")
    p.add_argument("experiment", help="bundled experiment name or experiment file")
    p.add_argument("--method", choices=("morris", "sobol"),
                   help="morris or sobol (default: the experiment's own design, if one of "
                        "these); another method than the file's rebuilds the design")
    p.add_argument("--samples", type=positive_int, metavar="N",
                   help="Sobol': base samples N, a power of two (N(D+2) points); Morris: "
                        "trajectories (D+1 points each). Default: the experiment's, else 64 "
                        "(Sobol') or 10 (Morris)")
    p.add_argument("--replications", type=positive_int, metavar="N",
                   help="replications per design point (default: the experiment's)")
    p.add_argument("--steps", type=months, metavar="MONTHS",
                   help="months per run (default: the experiment's)")
    p.add_argument("--outputs", nargs="+", metavar="KEY",
                   help="summary keys to analyse (default: integrity_mean large_firm_share "
                        "field_experience public_confidence comply_rate)")
    p.add_argument("--out", metavar="DIR",
                   help="output folder (default results/sensitivity/EXPERIMENT-METHOD)")
    _run_options(p)
    p.set_defaults(func=cmd_sensitivity)

    p = subparsers.add_parser(
        "discover", help="scenario discovery (PRIM): where in a sweep does an outcome collapse?",
        description="Read a sweep's runs.parquet and manifest, mark runs whose METRIC is at or "
                    "below a cut-off (default: its 25th percentile over the runs) as cases, "
                    "and find boxes of the varied parameters where cases concentrate (PRIM). "
                    "Reports each box's parameter ranges, coverage, density and mass. "
                    "See docs/analysis.md.")
    p.add_argument("results_dir", metavar="RESULTS_DIR",
                   help="a sweep folder (or a compare/sensitivity folder with sweep/ inside)")
    p.add_argument("--metric", default="integrity_mean", metavar="KEY",
                   help="summary key defining a case (default integrity_mean)")
    side = p.add_mutually_exclusive_group()
    side.add_argument("--below", type=number, metavar="X",
                      help="a case is a run with METRIC <= X")
    side.add_argument("--above", type=number, metavar="X",
                      help="a case is a run with METRIC >= X")
    p.add_argument("--quantile", type=open_share, default=0.25, metavar="Q",
                   help="without --below/--above, a case is METRIC <= its Q-quantile over the "
                        "runs (default 0.25: the worst quarter)")
    p.add_argument("--threshold", type=share, metavar="DENSITY",
                   help="choose the first box whose density reaches DENSITY (default: the box "
                        "that best balances coverage and density)")
    p.add_argument("--max-boxes", type=positive_int, default=1, metavar="N",
                   help="boxes to find by covering (default 1)")
    p.add_argument("--out", metavar="DIR",
                   help="output folder (default RESULTS_DIR/discovery-METRIC)")
    p.set_defaults(func=cmd_discover)

    p = subparsers.add_parser(
        "plot", help="draw the standard figures of a run, sweep or comparison (PNG and SVG)",
        description="Draw the standard figures of a results folder: a run folder (dmpsim run), "
                    "a folder of runs, a sweep (dmpsim sweep), a comparison (dmpsim compare) "
                    "or a sensitivity analysis (its sweep).")
    p.add_argument("results_dir", metavar="RESULTS_DIR", help="the results folder")
    p.add_argument("--out", metavar="DIR", help="figure folder (default RESULTS_DIR/figures)")
    p.add_argument("--metric", default="integrity_mean", metavar="KEY",
                   help="summary key of a sweep's heatmap (default integrity_mean)")
    p.add_argument("--format", nargs="+", default=["png", "svg"], choices=["png", "svg", "pdf"],
                   help="figure formats (default png svg)")
    p.set_defaults(func=cmd_plot)
