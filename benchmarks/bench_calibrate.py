"""What the calibration layer costs: `dmpsim calibrate` (rejection) against a plain sweep of the
same runs.

    python benchmarks/bench_calibrate.py            # about a minute on 2 cores
    python benchmarks/bench_calibrate.py --draws 400 --rounds 5

The calibration's draws are an experiment (a ``random`` design over the priors); the plain
sweep runs exactly that experiment, with the same seeds, on the same backend and workers. Each
round times, alternately, the sweep alone, the calibration without figures (sweep, distances,
acceptance, the tables and the report) and the calibration with its figures, each in a fresh
output folder, so that a burst of load falls on all three. Prints the runs per second of each
(medians over rounds) and the calibration layer's cost relative to the sweep (aim: under 5%
without figures). The calibration is a small one: the `classroom` market, 5 years, two priors
and three targets.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from dmpsim import __version__, sweep
from dmpsim.analysis.calibrate import calibrate, load_calibration


def calibration(draws: int) -> dict:
    return {
        "description": "benchmark: the calibration layer's cost",
        "name": "bench",
        "scenario": "classroom",
        "seed": 4,
        "replications": 1,
        "steps": 60,
        "priors": {"response.temperature": {"range": [0.1, 1.0]},
                   "response.integrity_weight": {"range": [1.0, 4.0]}},
        "targets": {"PT1": {"at_least": 0.6}, "comply_rate": {"at_most": 0.3},
                    "integrity_mean": {"at_least": 0.8}},
        "rejection": {"draws": draws},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    table = calibration(args.draws)
    experiment = load_calibration(table).experiment
    runs = experiment.n_runs
    timings: dict[str, list[float]] = {"sweep": [], "calibrate": [], "calibrate+figures": []}
    print(f"dmpsim {__version__}, Python {platform.python_version()}, {os.cpu_count()} CPU(s); "
          f"load average before {os.getloadavg()[0]:.2f}; {runs} runs of 60 months, "
          f"{args.workers} workers, {args.rounds} rounds")
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            for name in timings:
                out = Path(tmp) / f"{name}-{round_}"
                start = time.perf_counter()
                if name == "sweep":
                    sweep(experiment, workers=args.workers, out=out, progress=False)
                else:
                    calibrate(table, workers=args.workers, out=out, progress=False,
                              figures=name == "calibrate+figures")
                timings[name].append(time.perf_counter() - start)
    median = {name: statistics.median(times) for name, times in timings.items()}
    for name, seconds in median.items():
        print(f"  {name:18s} {seconds:6.2f} s   {runs / seconds:7.1f} runs/s")
    cost = median["calibrate"] / median["sweep"] - 1
    with_figures = median["calibrate+figures"] / median["sweep"] - 1
    print(f"calibration layer: +{100 * cost:.1f}% over the sweep without figures "
          f"(aim < 5%: {'met' if cost < 0.05 else 'NOT met'}), +{100 * with_figures:.1f}% "
          f"with figures")
    print(f"load average after {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
