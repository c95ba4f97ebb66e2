"""The `dmpsim` command line. Bad input is reported in one line, with exit status 2."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import InputError

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
    from . import run
    from .outputs import jsonable
    from .plots import overview_figure

    result = run(args.scenario, seed=args.seed, steps=args.steps, overrides=args.set or None)
    out = Path(args.out) if args.out else Path("results") / f"{result.scenario.name}-seed{args.seed}"
    try:
        result.write(out, csv=args.csv)
        figure = overview_figure(result.model, f"{result.scenario.name} (seed {args.seed})",
                                 out / "overview.png")
    except OSError as exc:
        raise InputError(f"cannot write results: {exc.strerror or exc}", source=str(out),
                         key="--out") from None
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
    from .scenario import bundled_names, load_scenario

    for name in bundled_names():
        print(f"{name:<22} {load_scenario(name).description}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .scenario import load_scenario

    scenario = load_scenario(args.file)
    changed = len(scenario.values)
    print(f"{args.file}: valid scenario '{scenario.name}' ({changed} value(s) set over the defaults)")
    return 0


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dmpsim",
        description="Agent-based simulation of the market for deliberative mini-publics.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"dmpsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run one scenario and write its tables, run.json and a figure")
    p.add_argument("scenario", nargs="?", default="baseline",
                   help="bundled scenario name or path to a TOML file (default: baseline)")
    p.add_argument("--seed", type=_non_negative_int, default=0, help="random seed (default 0)")
    p.add_argument("--steps", type=_positive_int, default=None,
                   help="months to run (default: the scenario's run.steps)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a parameter by dotted key, e.g. procurement.rule=price")
    p.add_argument("--out", help="output folder (default results/SCENARIO-seedN)")
    p.add_argument("--csv", action="store_true", help="also write the tables as CSV")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("scenarios", help="list the bundled scenarios")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser("validate", help="check a scenario file")
    p.add_argument("file", help="scenario TOML file")
    p.set_defaults(func=cmd_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except InputError as exc:
        print(f"dmpsim: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dmpsim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
