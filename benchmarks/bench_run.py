"""Benchmark: one 20-year `baseline` run, and a market ten times its size.

    python benchmarks/bench_run.py               # timings and scaling
    python benchmarks/bench_run.py --profile     # and the top 15 functions of a baseline run

A run here is `dmpsim.run(...)`: building the market, stepping it and building the tables and
summary (not writing files). The aim (issue): one 20-year baseline run in under 0.5 s on one core.
The larger market has ten times the commissioners and ten times each independent kind's count,
for the same number of months; a cost ratio of about 10 or less means cost grows no faster than
linearly with market size.

Wall-clock times are shown with CPU times of this process: on a shared machine the CPU time is
the steadier of the two. Min is the best estimate of the cost; the median shows the noise.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time

# One core: keep numerical libraries from starting thread pools.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import dmpsim  # noqa: E402
from dmpsim.model.params import INDEPENDENT_KINDS  # noqa: E402
from dmpsim.scenario import load_scenario  # noqa: E402

TARGET_SECONDS = 0.5
SCALE = 10
LINEAR_SLACK = 1.1  # timing noise allowed on top of a ratio of exactly SCALE


def scaled_overrides(scenario: str, scale: int) -> dict[str, int]:
    """Commissioners and each independent kind's count multiplied by `scale`."""
    values = load_scenario(scenario).effective()
    out = {"market.n_commissioners": values["market.n_commissioners"] * scale}
    for kind in INDEPENDENT_KINDS:
        key = f"practitioners.{kind}.count"
        out[key] = values[key] * scale
    return out


def time_runs(repeats: int, scenario: str, seed: int, steps: int,
              overrides: dict | None = None) -> tuple[list[float], list[float], dict]:
    walls, cpus = [], []
    summary: dict = {}
    for i in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        result = dmpsim.run(scenario, seed=seed + i, steps=steps, overrides=overrides)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
        summary = result.summary
    return walls, cpus, summary


def describe(label: str, walls: list[float], cpus: list[float]) -> str:
    return (f"{label:<34} wall min {min(walls):7.3f} s  median {statistics.median(walls):7.3f} s"
            f"   cpu min {min(cpus):7.3f} s  median {statistics.median(cpus):7.3f} s"
            f"   ({len(walls)} runs)")


def profile(scenario: str, seed: int, steps: int, top: int = 15) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    dmpsim.run(scenario, seed=seed, steps=steps)
    profiler.disable()
    print(f"\ncProfile of one {scenario} run ({steps} months), top {top} by cumulative time:")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="baseline", help="scenario to time (default baseline)")
    parser.add_argument("--repeats", type=int, default=7, help="baseline runs to time (default 7)")
    parser.add_argument("--scaled-repeats", type=int, default=3,
                        help="runs of the x10 market to time (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first run (default 0)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile one baseline run with cProfile")
    args = parser.parse_args(argv)

    steps = load_scenario(args.scenario).effective()["run.steps"]
    scaled = scaled_overrides(args.scenario, SCALE)
    print(f"dmpsim {dmpsim.__version__}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPU(s) visible; {steps} months per run")

    dmpsim.run(args.scenario, seed=args.seed, steps=12)  # warm imports and caches
    walls, cpus, summary = time_runs(args.repeats, args.scenario, args.seed, steps)
    print(describe(f"{args.scenario} (x1)", walls, cpus))
    print(f"    {summary['contracts_awarded']} contracts, "
          f"{summary['independents_active']} independents active at the end")
    big_walls, big_cpus, big_summary = time_runs(args.scaled_repeats, args.scenario, args.seed,
                                                 steps, scaled)
    print(describe(f"{args.scenario} (x{SCALE} market)", big_walls, big_cpus))
    print(f"    {big_summary['contracts_awarded']} contracts, "
          f"{big_summary['independents_active']} independents active at the end; overrides "
          + ", ".join(f"{k}={v}" for k, v in scaled.items()))

    base = min(cpus)
    ratio = min(big_cpus) / base
    wall_ratio = min(big_walls) / min(walls)
    linear = ratio <= SCALE * LINEAR_SLACK
    print(f"\nseconds per run: x1 {base:.3f} s, x{SCALE} {min(big_cpus):.3f} s (cpu, min)")
    print(f"cost ratio x{SCALE}/x1: {ratio:.2f} (cpu), {wall_ratio:.2f} (wall)")
    print(f"growth no faster than linear (ratio <= ~{SCALE}): {'yes' if linear else 'NO'}")
    meets = base < TARGET_SECONDS
    print(f"aim: one 20-year {args.scenario} run under {TARGET_SECONDS} s on one core: "
          f"{'met' if meets else 'NOT met'} ({base:.3f} s)")

    if args.profile:
        profile(args.scenario, args.seed, steps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
