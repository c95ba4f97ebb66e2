"""The argument types every `dmpsim` command shares: each turns a flag's text into a checked
value or an `argparse.ArgumentTypeError` that argparse prints in one line (exit status 2)."""

from __future__ import annotations

import argparse
import math


def whole(text: str, minimum: int) -> int:
    """A whole number of at least `minimum`."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    return whole(text, 0)


def positive_int(text: str) -> int:
    return whole(text, 1)


def at_least_two(text: str) -> int:
    return whole(text, 2)


def where_runs_run(p: argparse.ArgumentParser) -> None:
    """--backend, --workers, --scheduler: the options of every command that runs a sweep."""
    from ..experiments.backends import BACKENDS

    p.add_argument("--backend", choices=BACKENDS, default=None,
                   help="serial, processes (default) or dask (default with --scheduler)")
    p.add_argument("--workers", type=positive_int, metavar="N",
                   help="worker processes (default: this machine's available cores)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="existing Dask scheduler: tcp://HOST:8786, or a scheduler file "
                        "(implies --backend dask)")


def months(text: str) -> int:
    """--steps: months per run, 1 .. the schema's upper bound of run.steps."""
    from ..experiments.run import max_steps

    value = positive_int(text)
    if value > max_steps():
        raise argparse.ArgumentTypeError(f"expected at most {max_steps()} months, got {text!r}")
    return value


def port(text: str) -> int:
    value = non_negative_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"expected a port number in [0, 65535], got {text!r}")
    return value


def number(text: str) -> float:
    """A finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def share(text: str) -> float:
    """A number in (0, 1]."""
    value = number(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text!r}")
    return value


def open_share(text: str) -> float:
    """A number strictly between 0 and 1."""
    value = number(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number strictly between 0 and 1, got "
                                         f"{text!r}")
    return value
