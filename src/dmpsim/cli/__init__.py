"""The `dmpsim` command line: `main()`, the parser and the run, scenario, sweep and app commands
(the analysis commands are in `cli/analysis.py`, the shared argument types in
`cli/arguments.py`). Bad input is reported in one line, with exit status 2."""

from __future__ import annotations

import argparse
import errno
import json
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from ..errors import InputError
from .arguments import months, non_negative_int, port, positive_int, where_runs_run

SUMMARY_LINES = (
    ("integrity_mean", "Mean integrity of completed processes", "{:.3f}"),
    ("pressure_rate", "Contracts with a pressure episode", "{:.1%}"),
    ("comply_rate", "Episodes met by complying", "{:.1%}"),
    ("pushback_rate", "Episodes met by pushing back or threatening", "{:.1%}"),
    ("withdraw_rate", "Episodes met by withdrawing", "{:.1%}"),
    ("large_firm_share", "Contract value won by large firms", "{:.1%}"),
    ("independents_active", "Independent organisations active at the end", "{}"),
    ("field_experience", "Field's experience stock at the end (processes)", "{:.0f}"),
    ("public_confidence", "Public confidence at the end", "{:.3f}"),
    ("implementation_rate", "Follow-through on recommendations", "{:.3f}"),
    ("contracts_completed", "Processes completed", "{}"),
    ("exits", "Organisations that exited", "{}"),
)


def _fmt(template: str, value: object) -> str:
    try:
        return template.format(value)
    except (TypeError, ValueError):
        return str(value)


def cmd_run(args: argparse.Namespace) -> int:
    from .overview import OverviewDrawer

    # Started first, before the model's imports: see `cli.overview`.
    with OverviewDrawer() as drawer:
        from .. import run
        from ..experiments.backends import freeze_imports
        from ..experiments.run_folder import write_run
        from ..io.atomic import check_out_folder
        from ..viz.run import overview_series

        freeze_imports()   # a full collection would walk them mid-run (0.05 s on Python 3.12)
        if args.out:
            check_out_folder(Path(args.out))   # before the run, not after it
        result = run(args.scenario, seed=args.seed, steps=args.steps, overrides=args.set or None)
        out = (Path(args.out) if args.out
               else Path("results") / f"{result.scenario.name}-seed{args.seed}")
        title = f"{result.scenario.name} (seed {args.seed})"
        figure = out / "overview.png"
        series = overview_series(result.model)
        # Written into a temporary folder renamed to `out` when complete: a failure (a full
        # disk) leaves `out` as it was.
        write_run(result, out, csv=args.csv,
                  extra=lambda folder: drawer.draw(series, title, folder / figure.name))
    from ..io.provenance import jsonable

    if args.json:
        print(json.dumps(jsonable(result.summary), indent=2))
        return 0
    print(f"dmpsim run: {result.scenario.name} — {result.scenario.description}")
    print(f"seed {result.seed}, {result.steps} months ({result.steps / 12:g} years)")
    for key, label, template in SUMMARY_LINES:
        print(f"  {label:<48} {_fmt(template, result.summary[key])}")
    print(f"Tables, run.json and {figure.name} written to {out}/")
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    from ..experiments.scenario import bundled_names, load_scenario

    for name in bundled_names():
        print(f"{name:<22} {load_scenario(name).description}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from ..experiments.scenario import load_scenario, read_toml

    path = Path(args.file)
    if path.suffix == ".toml" and path.is_file() and "priors" in read_toml(path):
        from ..analysis.calibrate import load_calibration

        cal = load_calibration(path)
        print(f"{args.file}: valid calibration '{cal.name}' ({len(cal.keys)} parameter(s), "
              f"{len(cal.targets)} target(s), {cal.draws} rejection draws x "
              f"{cal.experiment.replications} run(s))")
        return 0
    scenario = load_scenario(args.file)
    changed = len(scenario.values)
    print(f"{args.file}: valid scenario '{scenario.name}' ({changed} value(s) set over the defaults)")
    return 0


def resume_command(args: argparse.Namespace, out: Path) -> str:
    """The command that finishes an interrupted sweep: the same backend options, --resume."""
    parts = ["dmpsim", "sweep", args.experiment, "--out", str(out)]
    if args.backend:
        parts += ["--backend", args.backend]
    if args.scheduler:
        parts += ["--scheduler", args.scheduler]
    if args.workers:
        parts += ["--workers", str(args.workers)]
    if args.part_size:
        parts += ["--part-size", str(args.part_size)]
    if args.batch_size:
        parts += ["--batch-size", str(args.batch_size)]
    if args.allow_code_change:
        parts.append("--allow-code-change")
    parts.append("--resume")
    if args.retry_errors:
        parts.append("--retry-errors")
    return shlex.join(parts)


def cmd_sweep(args: argparse.Namespace) -> int:
    from ..experiments.files import load_experiment
    from ..experiments.sweeps import sweep

    for flag, given in (("--retry-errors", args.retry_errors),
                        ("--allow-code-change", args.allow_code_change)):
        if given and not args.resume:
            raise InputError("only applies with --resume (to finish a sweep already in --out)",
                             key=flag)
    experiment = load_experiment(args.experiment)
    out = Path(args.out) if args.out else Path("results") / "sweeps" / experiment.name
    if not args.dry_run:
        from ..io.atomic import check_out_folder

        check_out_folder(out)
    steps = experiment.steps or experiment.effective_steps()
    plan = (f"{experiment.n_points} design point(s) x {experiment.replications} replication(s) "
            f"= {experiment.n_runs} runs of {steps} months ({experiment.design} design)")
    if args.dry_run:
        print(f"{experiment.source}: valid experiment '{experiment.name}': {plan}")
        print(f"varied: {', '.join(experiment.keys)}")
        return 0
    if not args.quiet:
        print(f"dmpsim sweep: {experiment.name} — {experiment.description}")
        print(f"{plan}; results to {out}/")
    try:
        sweep(experiment, backend=args.backend, workers=args.workers, scheduler=args.scheduler,
              out=out, resume=args.resume, retry_errors=args.retry_errors,
              progress=False if args.quiet else None, part_size=args.part_size,
              batch_size=args.batch_size,
              allow_code_change=args.allow_code_change, return_path=True)
    except KeyboardInterrupt:
        print(f"dmpsim: interrupted; every finished run is in {out}/parts. Finish with:\n"
              f"  {resume_command(args, out)}", file=sys.stderr)
        return 130
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    counts, session = manifest["counts"], manifest["sessions"][-1]
    ran = session.get("runs_done", 0)
    rate = session.get("runs_per_second") or 0.0
    where = f"{session['backend']}, {session['workers']} worker(s)" if ran else "nothing left to run"
    print(f"{counts['done']} of {counts['total']} runs done ({counts['ok']} ok, {counts['error']} "
          f"with errors); this session {ran} runs in {session['wall_seconds']:.1f} s "
          f"({rate:.1f} runs/s; {where})")
    if counts["error"]:
        print("Runs with errors have status 'error' and the message in the 'error' column; "
              "re-run them with --resume --retry-errors.")
    tables = ", ".join(manifest["files"][k] for k in ("runs", "series") if k in manifest["files"])
    print(f"Results: {out}/ ({tables}, manifest.json)")
    return 0


def cmd_app(args: argparse.Namespace) -> int:
    if args.play:
        from ..app.play.server import serve_game

        return serve_game(args.scenario, port=args.port, host=args.host)
    from ..app import serve

    return serve(args.scenario, port=args.port, host=args.host)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dmpsim",
        description="Agent-based simulation of the market for deliberative mini-publics.",
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"dmpsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run one scenario and write its tables, run.json and a figure")
    p.add_argument("scenario", nargs="?", default="baseline",
                   help="bundled scenario name or path to a TOML file (default: baseline)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="random seed (default 0)")
    p.add_argument("--steps", type=months, default=None,
                   help="months to run (default: the scenario's run.steps)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a parameter by dotted key, e.g. procurement.rule=price")
    p.add_argument("--out", help="output folder (default results/SCENARIO-seedN)")
    p.add_argument("--csv", action="store_true", help="also write the tables as CSV")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("scenarios", help="list the bundled scenarios")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser("sweep", help="run an experiment: many runs over a design, streamed to disk",
                       description="Run every (design point, replication) of an experiment file "
                                   "and write runs.parquet (and series.parquet) to --out. "
                                   "See docs/sweeps.md.")
    p.add_argument("experiment", help="bundled experiment name (e.g. smoke) or path to a TOML file")
    where_runs_run(p)
    p.add_argument("--out", metavar="DIR", help="output folder (default results/sweeps/NAME)")
    p.add_argument("--resume", action="store_true",
                   help="finish an interrupted sweep in --out: run only what is missing")
    p.add_argument("--retry-errors", action="store_true",
                   help="with --resume, also re-run the runs recorded with an error")
    p.add_argument("--allow-code-change", action="store_true",
                   help="with --resume, continue although the model's source changed")
    p.add_argument("--quiet", action="store_true", help="no progress bar or header")
    p.add_argument("--batch-size", type=positive_int, metavar="N",
                   help="runs per task sent to a worker (default: automatic, about 0.1 s of "
                        "runs per task, 0.5 s on Dask)")
    p.add_argument("--part-size", type=positive_int, metavar="N",
                   help="finished runs per part file while running (default 200)")
    p.add_argument("--dry-run", action="store_true",
                   help="check the experiment and print its size without running it")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("app", help="start the classroom app in the browser (needs dmpsim[app])")
    p.add_argument("--scenario", default="classroom",
                   help="bundled scenario the app starts with (default classroom)")
    p.add_argument("--port", type=port, default=8765,
                   help="port on localhost (default 8765; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--play", action="store_true",
                   help="a class game: students play practitioners from their own devices")
    p.set_defaults(func=cmd_app)

    p = sub.add_parser("validate", help="check a scenario (or calibration) file")
    p.add_argument("file", help="scenario or calibration TOML file")
    p.set_defaults(func=cmd_validate)
    from . import analysis, calibration

    analysis.add_commands(sub)
    calibration.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except InputError as exc:
        print(f"dmpsim: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except OSError as exc:
        # Writing results is wrapped where it happens (naming the folder and what was kept);
        # anything else the system refuses (a full disk, a read-only folder) still gets a line.
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        code = errno.errorcode.get(exc.errno or 0, "")
        print(f"dmpsim: error: {exc.strerror or exc}{where}{' [' + code + ']' if code else ''}",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dmpsim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
