"""Whole-command times of the `dmpsim` commands a user expects to answer at once (issue 10).

    python benchmarks/commands.py            # about half a minute
    python benchmarks/commands.py --repeats 11

Each command is started as a user starts it: the `dmpsim` script of this interpreter's
environment, as a subprocess, timed from start to exit (wall clock), so that the time includes
Python's start-up and every import. One warm-up each first (it fills the OS's file cache and
Python's bytecode cache); then the commands take turns, `repeats` rounds, so that a burst of load
on a shared machine falls on all of them alike; the median of each is reported, with its limit.
`dmpsim run` writes its results into a temporary folder.

Timed in the same rounds, `python -c 'import mesa'` is the floor under `dmpsim run`; what `run`
takes beyond it is printed too. Boltzmann's example, timed in this process afterwards, gives each
figure as it would be on the machine issue 10 set its limits on (benchmarks/reference.py).
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference import boltzmann_seconds, on_issue_machine  # noqa: E402

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
RUN = COMMANDS[-1][0]

# Timed in the same rounds: a bare interpreter importing Mesa, which `dmpsim run` must do before
# it can build a market (Mesa imports pandas and scipy itself). What `run` takes beyond it is
# dmpsim's own; the floor moves with the machine, which the limit of 1.5 s does not.
MESA_FLOOR = ("python -c 'import mesa' (no limit: the floor of run)", ("-c", "import mesa"))


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


def _once(program: Path | str, arguments: tuple[str, ...], cwd: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([str(program), *arguments], cwd=cwd, capture_output=True, text=True,
                          check=False, env=user_environment())
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{Path(program).name} {' '.join(arguments)} failed "
                         f"({done.returncode}):\n{done.stderr}")
    return wall


def time_commands(repeats: int = 7) -> list[tuple[str, float, float | None]]:
    """(label, median seconds, limit seconds) for each command as a whole command, and last the
    Mesa floor (limit None), timed in the same rounds."""
    script = dmpsim_script()
    timed = [(label, script, arguments, limit) for label, arguments, limit in COMMANDS]
    timed.append((MESA_FLOOR[0], sys.executable, MESA_FLOOR[1], None))
    times: dict[str, list[float]] = {label: [] for label, _, _, _ in timed}
    with tempfile.TemporaryDirectory() as cwd:
        for _, program, arguments, _ in timed:   # warm-up
            _once(program, arguments, cwd)
        for _ in range(repeats):
            for label, program, arguments, _ in timed:
                times[label].append(_once(program, arguments, cwd))
    return [(label, statistics.median(times[label]), limit) for label, _, _, limit in timed]


def report(rows: list[tuple[str, float, float | None]], boltzmann_here: float | None = None) -> str:
    """The table of whole commands against their limits; with Boltzmann's time measured beside
    them, each also as it would be on issue 10's machine (benchmarks/reference.py)."""
    lines = []
    for label, seconds, limit in rows:
        line = f"  {label:<52} {seconds:6.2f} s"
        if boltzmann_here is not None:
            line += f"   ({on_issue_machine(seconds, boltzmann_here):5.2f} s on issue 10's machine)"
        if limit is not None:
            line += f"   (limit {limit:.1f} s: {'met' if seconds <= limit else 'NOT met'})"
        lines.append(line)
    medians = {label: median for label, median, _ in rows}
    if MESA_FLOOR[0] in medians and RUN in medians:
        lines.append(f"  {RUN} beyond importing Mesa: {medians[RUN] - medians[MESA_FLOOR[0]]:.2f} s")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="rounds after the warm-up")
    args = parser.parse_args()
    print(f"{dmpsim_script()}; Python {platform.python_version()}, {os.cpu_count()} CPU(s); "
          f"load average before {os.getloadavg()[0]:.2f}")
    rows = time_commands(args.repeats)
    here = boltzmann_seconds()
    print(f"whole commands, median of {args.repeats} after a warm-up (limit from issue 10); "
          f"Boltzmann's example beside them {here:.3f} s:")
    print(report(rows, here))
    print(f"load average after {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
