"""Whole-command times of the `dmpsim` commands a user expects to answer at once (issue 10).

    python benchmarks/commands.py            # about half a minute
    python benchmarks/commands.py --repeats 11

Each command is started as a user starts it: the `dmpsim` script of this interpreter's
environment, as a subprocess, timed from start to exit (wall clock), so that the time includes
Python's start-up and every import. One warm-up each first (it fills the OS's file cache and
Python's bytecode cache); then the commands take turns, `repeats` rounds, so that a burst of load
on a shared machine falls on all of them alike; the median of each is reported, with its limit.
`dmpsim run` writes its results into a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# (label, arguments, limit in seconds). The commands that run no model should answer at once;
# `run` must import Mesa (the model is a mesa.Model) and run ten years of the market.
COMMANDS: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("dmpsim --version", ("--version",), 0.3),
    ("dmpsim --help", ("--help",), 0.3),
    ("dmpsim scenarios", ("scenarios",), 0.3),
    ("dmpsim validate scenarios/baseline.toml",
     ("validate", str(ROOT / "scenarios" / "baseline.toml")), 0.3),
    ("dmpsim run baseline --json", ("run", "baseline", "--json"), 1.5),
)


def dmpsim_script() -> Path:
    """The `dmpsim` console script installed beside this interpreter (the venv's)."""
    script = Path(sys.executable).parent / ("dmpsim.exe" if sys.platform == "win32" else "dmpsim")
    if not script.exists():
        raise SystemExit(f"no dmpsim script beside {sys.executable}; install dmpsim into this "
                         "environment (pip install -e .)")
    return script


def user_environment() -> dict[str, str]:
    """This environment, but with Python's bytecode cache on, as it is by default: a sandbox
    that sets PYTHONDONTWRITEBYTECODE would otherwise time the compiling of dmpsim's own
    modules (an editable install has no precompiled bytecode) on every start."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _once(script: Path, arguments: tuple[str, ...], cwd: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([str(script), *arguments], cwd=cwd, capture_output=True, text=True,
                          check=False, env=user_environment())
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"dmpsim {' '.join(arguments)} failed ({done.returncode}):\n"
                         f"{done.stderr}")
    return wall


def time_commands(repeats: int = 7) -> list[tuple[str, float, float]]:
    """(label, median seconds, limit seconds) for each command, as whole commands."""
    script = dmpsim_script()
    times: dict[str, list[float]] = {label: [] for label, _, _ in COMMANDS}
    with tempfile.TemporaryDirectory() as cwd:
        for _, arguments, _ in COMMANDS:   # warm-up
            _once(script, arguments, cwd)
        for _ in range(repeats):
            for label, arguments, _ in COMMANDS:
                times[label].append(_once(script, arguments, cwd))
    return [(label, statistics.median(times[label]), limit) for label, _, limit in COMMANDS]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="rounds after the warm-up")
    args = parser.parse_args()
    print(f"{dmpsim_script()}; Python {platform.python_version()}, {os.cpu_count()} CPU(s); "
          f"load average before {os.getloadavg()[0]:.2f}")
    print(f"whole commands, median of {args.repeats} after a warm-up (limit from issue 10):")
    for label, seconds, limit in time_commands(args.repeats):
        verdict = "met" if seconds <= limit else "NOT met"
        print(f"  {label:<44} {seconds:6.2f} s   (limit {limit:.1f} s: {verdict})")
    print(f"load average after {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
