"""The `dmpsim calibrate` command: calibrate uncertain parameters on the patterns.

    dmpsim calibrate patterns                          # rejection over the priors
    dmpsim calibrate patterns --method smc --workers 2 # ABC-SMC (dmpsim[calibrate])
    dmpsim calibrate my_calibration.toml --out results/calibrate/mine --resume

`add_commands(subparsers)` registers it on the parser that `dmpsim.cli` builds. Bad input raises
`dmpsim.errors.InputError`, which the CLI prints as one line with exit status 2.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

from ..errors import InputError
from .arguments import where_runs_run

__all__ = ["METHODS", "add_commands", "cmd_calibrate"]

#: `dmpsim.analysis.calibrate.METHODS`, repeated so that building the parser (and so `dmpsim
#: --version`) does not import the analysis layer; tests/analysis/test_calibrate.py checks it.
METHODS = ("rejection", "smc")


def cmd_calibrate(args: argparse.Namespace) -> int:
    from ..analysis.calibrate import calibrate, load_calibration
    from ..analysis.report import fmt_number, shell_command

    cal = load_calibration(args.calibration)
    out = Path(args.out) if args.out else Path("results") / "calibrate" / cal.name
    command = shell_command(["dmpsim", "calibrate", args.calibration, "--method", args.method,
                             "--out", out])
    if not args.quiet:
        exp = cal.experiment
        budget = (f"{exp.n_points} draws x {exp.replications} run(s) = {exp.n_runs} runs"
                  if args.method == "rejection" else
                  f"population {cal.population}, up to {cal.generations} generations, "
                  f"{exp.replications} run(s) per particle")
        print(f"dmpsim calibrate: {cal.name} ({args.method}): {len(cal.keys)} parameters, "
              f"{len(cal.targets)} targets; {budget} of {exp.effective_steps()} months; "
              f"results to {out}/")
    try:
        result = calibrate(cal, method=args.method, backend=args.backend, workers=args.workers,
                           scheduler=args.scheduler, out=out, resume=args.resume,
                           progress=False if args.quiet else None,
                           figures=not args.no_figures, command=command)
    except OSError as exc:
        raise InputError(f"cannot write results: {exc.strerror or exc}", source=str(out),
                         key="--out") from None
    except KeyboardInterrupt:
        options = [flag_value for flag, value in (("--backend", args.backend),
                                                  ("--scheduler", args.scheduler),
                                                  ("--workers", args.workers)) if value
                   for flag_value in (flag, str(value))]
        extra = (" " + shlex.join(options)) if options else ""
        where = (f"the finished runs are in {out / 'draws'}. Finish with the same command and "
                 f"--resume:\n  {command}{extra} --resume" if args.method == "rejection" else
                 f"pyabc's history so far is in {out / 'abc.db'}.")
        print(f"dmpsim: interrupted; {where}", file=sys.stderr)
        return 130
    if args.quiet:
        return 0
    generations = result.generations
    last = generations.iloc[-1]
    print(f"  ensemble: {len(result.ensemble)} member(s) "
          f"(acceptance rate {fmt_number(float(last['acceptance_rate']))}, "
          f"ESS {fmt_number(float(last['ess']))})")
    for row in result.target_summary.itertuples(index=False):
        print(f"  {row.description}: met by {fmt_number(100 * row.met_share)}% of the ensemble")
    for label in ("constrained", "weakly constrained", "left open"):
        names = result.constraints.loc[result.constraints["label"] == label, "parameter"]
        if len(names):
            print(f"  {label}: {', '.join(names)}")
    for note in result.notes:
        print(f"  note: {note}")
    print(f"Report: {out / 'report.html'}")
    return 0


def add_commands(subparsers: Any) -> None:
    """Register calibrate on `subparsers`."""
    p = subparsers.add_parser(
        "calibrate", help="calibrate uncertain parameters on targets such as the patterns",
        description="Draw the calibration file's uncertain parameters from their priors, run "
                    "the model at each draw and keep the draws whose outputs meet the targets "
                    "(rejection), or run ABC-SMC through pyabc (smc). Writes the accepted "
                    "ensemble (ensemble.parquet, which `dmpsim compare --ensemble` takes), "
                    "calibration.json, targets.csv, constraints.csv, generations.csv, figures/, "
                    "report.md and a self-contained report.html to --out. See "
                    "docs/analysis.md.")
    p.add_argument("calibration", metavar="CALIBRATION",
                   help="bundled calibration name (e.g. patterns) or a calibration file")
    p.add_argument("--method", choices=METHODS, default="rejection",
                   help="rejection (default: the draws through the sweep machinery, resumable) "
                        "or smc (ABC-SMC through pyabc; needs dmpsim[calibrate])")
    where_runs_run(p)
    p.add_argument("--out", metavar="DIR", help="output folder (default results/calibrate/NAME)")
    p.add_argument("--resume", action="store_true",
                   help="rejection: finish (or reuse) the draws already in OUT/draws")
    p.add_argument("--no-figures", action="store_true", help="write no figures")
    p.add_argument("--quiet", action="store_true", help="no progress bar, header or summary")
    p.set_defaults(func=cmd_calibrate)
