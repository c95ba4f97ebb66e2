"""Sweep benchmark: parallel efficiency as a whole command, `mesa.batch_run`, Dask against local
processes on short runs, coordinator memory.

    python benchmarks/bench_sweep.py            # about 5 minutes on 2 cores
    python benchmarks/bench_sweep.py --quick    # about 2 minutes
    python benchmarks/bench_sweep.py --only dask --rounds 9   # one comparison (about 1 minute)

Prints, measured in one invocation on this machine, each comparison run side by side with its
reference, round after round (so that a burst of load on a shared machine falls on both), and
the median of the rounds:

1. parallel efficiency of `dmpsim sweep` as a whole command (Python's start-up, imports, the
   sweep, the merge): 16 ten-year runs of the baseline market with per-step series, `--workers
   1` against `--workers 2`; efficiency = time(1) / (2 * time(2));
2. throughput of `dmpsim.sweep` (processes backend, 2 workers) against `mesa.batch_run` with 2
   processes on the same runs (parameter values, seeds and per-step series), each in a fresh
   process, timed around the call;
3. Dask against local processes on short runs: the bundled `smoke` experiment (24 two-year runs
   of the small classroom market) on a `LocalCluster` of 2 workers and on 2 local worker
   processes; runs per second while the runs run (`run_seconds` in the manifest: from the
   workers being ready to the last run written), so that what is compared is what each run
   costs, not the seconds a cluster takes to start (printed too); then Dask with a fixed batch
   of 6 runs (two tasks per worker), and the same runs twenty times over (480), in half as many
   rounds, where a task's cost is spread over larger batches;
4. the coordinator's peak memory for a sweep of 500 and of 5,000 short runs, and that of
   `mesa.batch_run` for the same runs.

Every sweep or batch_run runs in a fresh child process, so a peak is that configuration's alone:
`resource.getrusage(RUSAGE_SELF).ru_maxrss` is the child's own peak resident memory (the
coordinator: interpreter, libraries, buffers, Arrow memory), and excludes its worker processes.
For the sweep, `tracemalloc` also reports the peak of Python allocations made during the sweep
itself (started only for the memory runs, since it slows the coordinator down).

`--only` picks comparisons by name (`command`, `batch_run`, `dask`, `memory`; repeatable or
comma-separated), e.g. to re-measure one after a change; `--rounds` sets how many rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from commands import user_environment  # noqa: E402

# The same work for every throughput comparison: the default-scale market, 10 years, four
# parameter combinations, per-step series of every model reporter (batch_run's
# data_collection_period=1). Replications are set per measurement.
THROUGHPUT = {
    "description": "benchmark: throughput",
    "scenario": "baseline",
    "seed": 42,
    "steps": 120,
    "parameters": {"procurement.rule": ["price", "quality"],
                   "procurement.weight_price": [0.3, 0.5]},
    "outputs": {"series": True, "interval": 1},
}
# Short runs, so that thousands of them fit in a benchmark: what grows is the number of runs.
MEMORY = {
    "description": "benchmark: coordinator memory",
    "scenario": "classroom",
    "seed": 43,
    "steps": 12,
    "parameters": {"procurement.rule": ["price", "quality"],
                   "procurement.weight_price": [0.3, 0.5]},
    "outputs": {"series": True, "interval": 1},
}
SMOKE = Path(__file__).resolve().parents[1] / "experiments" / "smoke.toml"
AIMS = {"efficiency": 0.9, "batch_run": 2.0, "dask": 0.9, "memory_growth": 1.10}
# The comparisons, by the name `--only` takes, in the order they run and are numbered.
SECTIONS = ("command", "batch_run", "dask", "memory")


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024**2 if sys.platform == "darwin" else peak / 1024   # bytes on macOS


def _toml(experiment: dict, replications: int) -> str:
    """An experiment dict as a TOML file's text (flat values and one table per section)."""
    def value(v: object) -> str:
        return json.dumps(v) if not isinstance(v, bool) else str(v).lower()

    lines = [f"{k} = {value(v)}" for k, v in experiment.items() if not isinstance(v, dict)]
    lines.append(f"replications = {replications}")
    for section, table in experiment.items():
        if isinstance(table, dict):
            lines.append(f"[{section}]")
            lines += [f"{json.dumps(k)} = {value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


# -- child measurements -----------------------------------------------------------------------

def child_sweep(spec: dict) -> dict:
    import tracemalloc

    import dmpsim

    experiment = spec["experiment"]
    if isinstance(experiment, dict):
        experiment = {**experiment, "replications": spec["replications"]}
    with tempfile.TemporaryDirectory() as out:
        if spec.get("tracemalloc"):
            tracemalloc.start()
        started = time.perf_counter()
        path = dmpsim.sweep(experiment, backend=spec.get("backend", "processes"),
                            workers=spec["workers"], out=Path(out) / "sweep", progress=False,
                            return_path=True, batch_size=spec.get("batch_size"))
        wall = time.perf_counter() - started
        traced = tracemalloc.get_traced_memory()[1] / 1024**2 if spec.get("tracemalloc") else None
        import pyarrow.parquet as pq

        runs = pq.read_metadata(path).num_rows
        series_path = path.parent / "series.parquet"
        series = pq.read_metadata(series_path).num_rows if series_path.exists() else 0
        session = json.loads((path.parent / "manifest.json").read_text())["sessions"][-1]
    return {"runs": runs, "series_rows": series, "wall": wall, "peak_rss_mb": _peak_rss_mb(),
            "tracemalloc_peak_mb": traced, "run_seconds": session["run_seconds"],
            "startup_seconds": session["startup_seconds"], "tasks": session["tasks"]}


def child_batch_run(spec: dict) -> dict:
    import inspect

    from mesa.batchrunner import batch_run

    from dmpsim import DMPMarket
    from dmpsim.experiments.files import load_experiment

    exp = load_experiment({**spec["experiment"], "replications": spec["replications"]})
    # What a Mesa user would pass: the scenario's values over the defaults, and the varied keys.
    parameters = {**exp.scenario.values, **exp.scenario.overrides}
    for factor in exp.factors:
        parameters[factor.key] = factor.levels()
    # The sweep's seeds: with common random numbers, replication r has one seed at every point,
    # so batch_run's product of parameter values and seeds is the very same set of runs.
    seeds = [exp.seed_for(0, r) for r in range(exp.replications)]
    with_rng = "rng" in inspect.signature(batch_run).parameters
    # Mesa 3.3 steps while steps <= max_steps (one more than asked), Mesa 3.5 while < max_steps.
    probe = batch_run(DMPMarket, {**parameters, **({} if with_rng else {"rng": [1]})},
                      max_steps=2, data_collection_period=1, display_progress=False,
                      **({"rng": [1]} if with_rng else {}))
    max_steps = exp.steps - (sum(1 for r in probe if r["RunId"] == 0) - 2)
    options = {"number_processes": spec["workers"], "max_steps": max_steps,
               "data_collection_period": 1, "display_progress": False}
    started = time.perf_counter()
    if with_rng:
        rows = batch_run(DMPMarket, parameters, rng=seeds, **options)
    else:
        rows = batch_run(DMPMarket, {**parameters, "rng": seeds}, **options)
    wall = time.perf_counter() - started
    return {"runs": len({r["RunId"] for r in rows}), "series_rows": len(rows), "wall": wall,
            "peak_rss_mb": _peak_rss_mb(), "tracemalloc_peak_mb": None}


def measure(kind: str, experiment: dict | str, replications: int, workers: int,
            trace: bool = False, backend: str = "processes", batch_size: int | None = None) -> dict:
    spec = {"kind": kind, "experiment": experiment, "replications": replications,
            "workers": workers, "tracemalloc": trace, "backend": backend, "batch_size": batch_size}
    done = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)],
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{kind} measurement failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def whole_sweep(script: Path, experiment: Path, workers: int) -> float:
    """Seconds of `dmpsim sweep EXPERIMENT --workers N` as a user starts it."""
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        done = subprocess.run([str(script), "sweep", str(experiment), "--workers", str(workers),
                               "--out", str(Path(out) / "sweep"), "--quiet"],
                              capture_output=True, text=True, check=False,
                              env=user_environment())
        wall = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"dmpsim sweep failed:\n{done.stderr}")
    return wall


def verdict(value: float, aim: float, above: bool = True) -> str:
    met = value >= aim if above else value <= aim
    return f"aim {'>=' if above else '<='} {aim:g}: {'met' if met else 'NOT met'}"


# -- report -----------------------------------------------------------------------------------

def chosen(only: list[str] | None, quick: bool) -> set[str]:
    """The comparisons to run: those `--only` names (each value may list several, with
    commas), else all of them, less the memory one with `--quick`."""
    if not only:
        return set(SECTIONS[:3] if quick else SECTIONS)
    names = {name.strip() for value in only for name in value.split(",") if name.strip()}
    unknown = names - set(SECTIONS)
    if unknown or not names:
        raise ValueError(f"--only: {'unknown comparison ' + ', '.join(sorted(unknown)) if unknown else 'no comparison named'} "
                         f"(choose from {', '.join(SECTIONS)})")
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer rounds (3 instead of 5) and no memory measurements")
    parser.add_argument("--rounds", type=int, default=None,
                        help="rounds of each comparison, median kept (default 5, --quick 3)")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help=f"run only these comparisons ({', '.join(SECTIONS)}); repeatable "
                             "or comma-separated (default: all; --quick leaves out memory)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        spec = json.loads(args.child)
        result = child_sweep(spec) if spec["kind"] == "sweep" else child_batch_run(spec)
        print(json.dumps(result))
        return

    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be at least 1")
    try:
        only = chosen(args.only, args.quick)
    except ValueError as exc:
        parser.error(str(exc))
    rounds = args.rounds or (3 if args.quick else 5)

    import mesa

    import dmpsim

    script = Path(sys.executable).parent / "dmpsim"
    timed = only - {"memory"}
    print(f"dmpsim {dmpsim.__version__}, Mesa {mesa.__version__}, Python "
          f"{platform.python_version()}, {os.cpu_count()} CPU(s), {platform.machine()}; "
          f"load average before {os.getloadavg()[0]:.2f}"
          + (f"; medians of {rounds} rounds" if timed else ""))

    if "command" in only:
        whole_command(script, rounds)
    if "batch_run" in only:
        against_batch_run(rounds, args.quick)
    if "dask" in only:
        dask_against_processes(rounds)
    if "memory" in only:
        coordinator_memory()
    print(f"Load average after: {os.getloadavg()[0]:.2f}")


def whole_command(script: Path, rounds: int) -> None:
    """1. Parallel efficiency, whole command."""
    with tempfile.TemporaryDirectory() as folder:
        experiment = Path(folder) / "sixteen.toml"
        experiment.write_text(_toml(THROUGHPUT, 4), encoding="utf-8")
        whole_sweep(script, experiment, 1)   # warm-up: file and bytecode caches
        one, two, efficiency = [], [], []
        for _ in range(rounds):
            one.append(whole_sweep(script, experiment, 1))
            two.append(whole_sweep(script, experiment, 2))
            efficiency.append(one[-1] / (2 * two[-1]))
    e = statistics.median(efficiency)
    print("1. dmpsim sweep as a whole command, 16 ten-year runs of the baseline market "
          "(per-step series):")
    print(f"   --workers 1 {statistics.median(one):5.2f} s, --workers 2 "
          f"{statistics.median(two):5.2f} s; parallel efficiency {e:.2f} "
          f"({verdict(e, AIMS['efficiency'])})")


def against_batch_run(rounds: int, quick: bool) -> None:
    """2. Against mesa.batch_run, same runs, 2 processes each, timed around the call."""
    reps = 8 if quick else 24
    ours, theirs, ratio = [], [], []
    for _ in range(rounds):
        ours.append(measure("sweep", THROUGHPUT, reps, workers=2))
        theirs.append(measure("batch_run", THROUGHPUT, reps, workers=2))
        assert ours[-1]["runs"] == theirs[-1]["runs"] == 4 * reps
        assert ours[-1]["series_rows"] == theirs[-1]["series_rows"], (ours[-1], theirs[-1])
        ratio.append(theirs[-1]["wall"] / ours[-1]["wall"])
    r = statistics.median(ratio)
    print(f"2. {4 * reps} ten-year runs (per-step series), 2 processes, in-process time of "
          "the call:")
    print(f"   dmpsim.sweep {4 * reps / statistics.median(m['wall'] for m in ours):6.2f} runs/s, "
          f"mesa.batch_run {4 * reps / statistics.median(m['wall'] for m in theirs):6.2f} "
          f"runs/s; throughput ratio sweep / batch_run {r:.2f} ({verdict(r, AIMS['batch_run'])})")
    print(f"   coordinator peak RSS: sweep {ours[-1]['peak_rss_mb']:.0f} MB, batch_run "
          f"{theirs[-1]['peak_rss_mb']:.0f} MB")


def _backends_side_by_side(experiment: dict | str, replications: int, rounds: int,
                           dask_batch: int | None = None) -> tuple[list[dict], list[dict], list[float]]:
    """Local processes then Dask (its batches automatic, or of `dask_batch` runs), 2 workers
    each, round after round; the ratio of their run phases (Dask's rate over the processes')."""
    local, dask, ratio = [], [], []
    for _ in range(rounds):
        local.append(measure("sweep", experiment, replications, workers=2, backend="processes"))
        dask.append(measure("sweep", experiment, replications, workers=2, backend="dask",
                            batch_size=dask_batch))
        ratio.append(local[-1]["run_seconds"] / dask[-1]["run_seconds"])
    return local, dask, ratio


def dask_against_processes(rounds: int) -> None:
    """3. Dask against local processes, short runs."""
    local, dask, ratio = _backends_side_by_side("smoke", 0, rounds)
    d = statistics.median(ratio)

    def rate(ms: list[dict]) -> float:
        return statistics.median(m["runs"] / m["run_seconds"] for m in ms)

    print("3. smoke (24 two-year runs of the classroom market), 2 workers, runs per second "
          "while the runs run:")
    print(f"   processes {rate(local):6.1f} runs/s ({statistics.median(m['tasks'] for m in local):.0f}"
          f" tasks), dask {rate(dask):6.1f} runs/s "
          f"({statistics.median(m['tasks'] for m in dask):.0f} tasks); ratio dask / processes "
          f"{d:.2f} ({verdict(d, AIMS['dask'])})")
    print(f"   ratio by round: {' '.join(f'{x:.2f}' for x in ratio)}")
    print(f"   start-up: processes {statistics.median(m['startup_seconds'] for m in local):.2f} s,"
          f" dask LocalCluster {statistics.median(m['startup_seconds'] for m in dask):.2f} s; "
          f"whole sweep() call {statistics.median(m['wall'] for m in local):.2f} s against "
          f"{statistics.median(m['wall'] for m in dask):.2f} s")
    # What docs/sweeps.md advises for a short sweep on Dask: two tasks per worker.
    batch = max(1, local[-1]["runs"] // (2 * 2))   # the runs over twice the 2 workers
    _, fixed, fixed_ratio = _backends_side_by_side("smoke", 0, rounds, dask_batch=batch)
    print(f"   dask with --batch-size {batch} (two tasks per worker): {rate(fixed):6.1f} runs/s; "
          f"ratio {statistics.median(fixed_ratio):.2f} (each round against processes beside it)")
    # The same short runs, twenty times as many: what a task costs is then spread over batches
    # of about half a second, and the first probes and the last small batches are a small part.
    smoke = tomllib.loads(SMOKE.read_text(encoding="utf-8"))
    longer = {**smoke, "description": "benchmark: smoke, twenty times the replications"}
    local, dask, ratio = _backends_side_by_side(longer, 20 * smoke["replications"],
                                                max(1, rounds // 2))
    print(f"   the same runs, {local[-1]['runs']} of them ({len(ratio)} rounds): processes "
          f"{rate(local):6.1f} runs/s ({statistics.median(m['tasks'] for m in local):.0f} tasks), "
          f"dask {rate(dask):6.1f} runs/s ({statistics.median(m['tasks'] for m in dask):.0f} "
          f"tasks); ratio {statistics.median(ratio):.2f}")


def coordinator_memory() -> None:
    """4. Coordinator memory."""
    print(f"4. memory: classroom scale, {MEMORY['steps']} months, 4 points, per-step series "
          "kept, 2 workers; one sweep each (a peak is not a rate: it does not vary by round)")
    memory = {}
    for reps_memory in (125, 1250):
        ours_m = measure("sweep", MEMORY, reps_memory, workers=2, trace=True)
        theirs_m = measure("batch_run", MEMORY, reps_memory, workers=2)
        memory[reps_memory] = ours_m
        print(f"   {ours_m['runs']:5d} runs ({ours_m['series_rows']:6d} series rows): sweep "
              f"coordinator peak RSS {ours_m['peak_rss_mb']:6.1f} MB (Python allocations peak "
              f"{ours_m['tracemalloc_peak_mb']:4.1f} MB); batch_run "
              f"{theirs_m['peak_rss_mb']:6.1f} MB")
    growth = memory[1250]["peak_rss_mb"] / memory[125]["peak_rss_mb"]
    print(f"   sweep coordinator peak RSS at 5,000 / at 500 runs: {growth:.3f} "
          f"({verdict(growth, AIMS['memory_growth'], above=False)})")


if __name__ == "__main__":
    main()
