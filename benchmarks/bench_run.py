"""Benchmark: one 20-year `baseline` run against Mesa's Boltzmann wealth example, the x10 market,
and the whole-command times of the CLI.

    python benchmarks/bench_run.py               # about a minute on a quiet machine
    python benchmarks/bench_run.py --profile     # and the top 20 functions of a baseline run
    python benchmarks/bench_run.py --no-commands # skip the whole-command timings

Measured in one invocation, so that the ratios compare like with like on a shared machine:

1. the model: building a `DMPMarket` of the scenario and stepping it for its months, against
   Mesa's own Boltzmann wealth example (`mesa.examples.basic.boltzmann_wealth_model`, 100
   agents, 10x10 grid, 240 steps, its DataCollector on), timed alternately, run by run, in this
   process after a warm-up; CPU time of this process, medians and minima. The aim (issue 10):
   a baseline run in at most half of Boltzmann's time. The model's time is also given as it
   would be on the machine issue 10 was measured on (benchmarks/reference.py).
2. `dmpsim.run(...)`: the model plus the tables and the summary a user gets back.
   The same market with no tenders (`commissioners.commission_rate = 0`) splits a run into its
   months' fixed cost and its contracts' cost, and sets the latter beside what the aim leaves.
3. the x10 market (ten times the commissioners and each independent kind) against x1: a ratio of
   at most 10 means cost grows no faster than linearly with the market's size.
4. whole commands (`benchmarks/commands.py`): `dmpsim --version`, `--help`, `scenarios`,
   `validate` and `run baseline --json`, as a user starts them.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

# One core: keep numerical libraries from starting thread pools.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import mesa  # noqa: E402

import dmpsim  # noqa: E402
from dmpsim.experiments.scenario import load_scenario  # noqa: E402
from dmpsim.model import DMPMarket  # noqa: E402
from dmpsim.model.params import INDEPENDENT_KINDS  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from commands import report, time_commands  # noqa: E402
from reference import ISSUE_MACHINE_BOLTZMANN_SECONDS, boltzmann, on_issue_machine  # noqa: E402

ISSUE_MODEL_SECONDS = 0.26  # a baseline run on issue 10's machine when the issue was filed

AIM_RATIO = 0.5  # a baseline run in at most half of Boltzmann's time
SCALE = 10


def scaled_overrides(scenario: str, scale: int) -> dict[str, int]:
    """Commissioners and each independent kind's count multiplied by `scale`."""
    values = load_scenario(scenario).effective()
    out = {"market.n_commissioners": values["market.n_commissioners"] * scale}
    for kind in INDEPENDENT_KINDS:
        key = f"practitioners.{kind}.count"
        out[key] = values[key] * scale
    return out


def dmp_model(values: dict, seed: int, steps: int) -> DMPMarket:
    market = DMPMarket(values, rng=seed)
    for _ in range(steps):
        market.step()
    return market


def timed(fn, *args) -> tuple[float, object]:
    """CPU seconds of `fn(*args)`, and what it returned."""
    start = time.process_time()
    result = fn(*args)
    return time.process_time() - start, result


def cpu(fn, *args) -> float:
    return timed(fn, *args)[0]


def idle(values: dict) -> dict:
    """The same market with no tenders: what its months cost with no contract to run."""
    return {**values, "commissioners.commission_rate": 0.0}


def per_contract(ours: list[float], theirs: list[float], empty: list[float],
                 contracts: int) -> str:
    """Split a run's time into its months' fixed cost and its contracts' cost, and set the
    latter beside what the aim would leave each contract (ODD §3: every contract's tender,
    phases and completion are per-contract Python)."""
    fixed = statistics.median(empty)
    each = (statistics.median(ours) - fixed) / contracts
    budget = (AIM_RATIO * statistics.median(theirs) - fixed) / contracts
    return (f"split: {fixed:.4f} s for the months with no tenders; {contracts} contracts at "
            f"{each * 1e6:.0f} us each; the aim leaves {budget * 1e6:.0f} us a contract")


def describe(label: str, times: list[float]) -> str:
    return (f"{label:<40} median {statistics.median(times):7.4f} s   min {min(times):7.4f} s"
            f"   ({len(times)} runs, CPU)")


def profile(scenario: str, seed: int, steps: int, top: int = 20) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    dmpsim.run(scenario, seed=seed, steps=steps)
    profiler.disable()
    print(f"\ncProfile of one {scenario} run ({steps} months), top {top} by own time:")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="baseline", help="scenario to time (default baseline)")
    parser.add_argument("--repeats", type=int, default=7, help="runs of each to time (default 7)")
    parser.add_argument("--scaled-repeats", type=int, default=3,
                        help="runs of the x10 market and of x1 beside it (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first run (default 0)")
    parser.add_argument("--profile", action="store_true", help="also profile one run with cProfile")
    parser.add_argument("--no-commands", action="store_true",
                        help="skip the whole-command timings")
    args = parser.parse_args(argv)
    for flag, given in (("--repeats", args.repeats), ("--scaled-repeats", args.scaled_repeats)):
        if given < 1:
            parser.error(f"{flag} must be at least 1")

    values = load_scenario(args.scenario).effective()
    steps = values["run.steps"]
    print(f"dmpsim {dmpsim.__version__}, Mesa {mesa.__version__}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPU(s) visible; {steps} months per run")

    # Warm-up: imports, caches, the allocator.
    dmp_model(values, args.seed, 24)
    boltzmann(args.seed, 24)
    ours, theirs, full, empty, contracts = [], [], [], [], []
    for i in range(args.repeats):
        seconds, market = timed(dmp_model, values, args.seed + i, steps)
        ours.append(seconds)
        contracts.append(len(market.all_contracts))
        theirs.append(cpu(boltzmann, args.seed + i))
        full.append(cpu(dmpsim.run, args.scenario, args.seed + i, steps))
        empty.append(cpu(dmp_model, idle(values), args.seed + i, steps))
    print(describe(f"{args.scenario}: model ({steps} months)", ours))
    print(describe("Mesa Boltzmann wealth (100 agents, 240 steps)", theirs))
    print(describe(f"{args.scenario}: dmpsim.run (model, tables, summary)", full))
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(f"model / Boltzmann: {ratio:.2f} (aim <= {AIM_RATIO}: {'met' if ratio <= AIM_RATIO else 'NOT met'})"
          f"; dmpsim.run / Boltzmann: {statistics.median(full) / statistics.median(theirs):.2f}")
    print(f"on issue 10's machine (Boltzmann {ISSUE_MACHINE_BOLTZMANN_SECONDS:.2f} s; "
          f"benchmarks/reference.py) the model would take "
          f"{on_issue_machine(statistics.median(ours), statistics.median(theirs)):.3f} s (the issue "
          f"measured {ISSUE_MODEL_SECONDS} s; the aim is "
          f"{AIM_RATIO * ISSUE_MACHINE_BOLTZMANN_SECONDS:.3f} s)")
    print(describe(f"{args.scenario} with no tenders: model", empty))
    print(per_contract(ours, theirs, empty, statistics.median(contracts)))

    scaled = {**values, **scaled_overrides(args.scenario, SCALE)}
    small, big = [], []
    for i in range(args.scaled_repeats):
        small.append(cpu(dmp_model, values, args.seed + i, steps))
        big.append(cpu(dmp_model, scaled, args.seed + i, steps))
    growth = statistics.median(big) / statistics.median(small)
    print(describe(f"{args.scenario} x{SCALE} market: model", big))
    print(f"x{SCALE} / x1: {growth:.2f} (linear or better: {'yes' if growth <= SCALE else 'NO'})")

    if not args.no_commands:
        print("\nwhole commands (median of runs after a warm-up; limit from issue 10):")
        print(report(time_commands(repeats=args.repeats), statistics.median(theirs)))

    if args.profile:
        profile(args.scenario, args.seed, steps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
