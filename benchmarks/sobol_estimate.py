"""Estimate: how long a 10^5-run Sobol' study of the bundled `global_sensitivity` design takes.

    python benchmarks/sobol_estimate.py            # about 15 s on 2 cores

Runs the bundled design scaled down (8 base samples, 8 x (8 + 2) = 80 design points, one
replication each: the same scenario, parameters and run length as the full study) through
`dmpsim.sweep` on 2 local workers, takes the rate of its run phase (from the manifest: starting
the workers is left out, as it is paid once per study), and scales it: 10^5 runs on 2 cores, and
on 32 Dask workers at the same rate per worker. Per-task costs on a cluster are not in the
figure; `benchmarks/bench_sweep.py` measures Dask against local processes.

The hours depend on the machine: the same code gave 1.7 h and 3.2 h on the same day. Boltzmann's
example, timed in this process after the sweep, gives the estimate as it would be on the machine
issue 10 set its aims on (benchmarks/reference.py), where the issue estimated 3.6 h.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import dmpsim

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference import ISSUE_MACHINE_BOLTZMANN_SECONDS, boltzmann_seconds, on_issue_machine  # noqa: E402

STUDY_RUNS = 100_000
DESIGN = Path(__file__).resolve().parents[1] / "experiments" / "global_sensitivity.toml"


def main() -> int:
    table = tomllib.loads(DESIGN.read_text(encoding="utf-8"))
    table["design"]["samples"] = 8
    table["replications"] = 1
    table["description"] = "rate probe of global_sensitivity"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "probe"
        start = time.perf_counter()
        runs = dmpsim.sweep(table, workers=2, out=out, progress=False)
        wall = time.perf_counter() - start
        session = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["sessions"][-1]
    run_seconds = session.get("run_seconds") or wall
    rate = len(runs) / run_seconds
    two_cores = STUDY_RUNS / rate / 3600
    cluster = STUDY_RUNS / (rate / 2 * 32) / 60
    print(f"{len(runs)} runs of {table['scenario']}: {run_seconds:.1f} s of run phase "
          f"({wall:.1f} s in all), {rate:.2f} runs per second on 2 workers")
    print(f"a {STUDY_RUNS:,}-run study: {two_cores:.2f} h on 2 cores (aim under 2 h: "
          f"{'met' if two_cores < 2 else 'NOT met'}); {cluster:.1f} min on 32 Dask workers at the "
          f"same rate per worker (aim under 10 min: {'met' if cluster < 10 else 'NOT met'})")
    here = boltzmann_seconds()
    print(f"Boltzmann's example beside it {here:.3f} s: on issue 10's machine "
          f"({ISSUE_MACHINE_BOLTZMANN_SECONDS:.2f} s) "
          f"{on_issue_machine(two_cores, here):.2f} h on 2 cores and "
          f"{on_issue_machine(cluster, here):.1f} min on 32 workers (the issue estimated 3.6 h)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
