"""benchmarks/bench_sweep.py: which comparisons `--only` and `--quick` pick, and bad choices."""

from __future__ import annotations

import subprocess
import sys

import pytest
from support import ROOT, load_benchmark

PATH = ROOT / "benchmarks" / "bench_sweep.py"


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("bench_sweep.py", "bench_sweep")


def test_only_picks_comparisons_by_name(bench):
    assert bench.chosen(None, quick=False) == {"command", "batch_run", "dask", "memory"}
    assert bench.chosen(None, quick=True) == {"command", "batch_run", "dask"}
    assert bench.chosen(["dask"], quick=False) == {"dask"}
    assert bench.chosen(["dask, memory", "command"], quick=True) == {"dask", "memory", "command"}
    with pytest.raises(ValueError, match="unknown comparison mesa"):
        bench.chosen(["dask,mesa"], quick=False)
    with pytest.raises(ValueError, match="no comparison named"):
        bench.chosen([","], quick=False)


def test_bad_options_stop_before_anything_runs():
    for options, message in ((["--only", "nope"], "unknown comparison nope"),
                             (["--rounds", "0"], "--rounds must be at least 1")):
        done = subprocess.run([sys.executable, str(PATH), *options], capture_output=True,
                              text=True, check=False, timeout=60)
        assert done.returncode == 2 and message in done.stderr and not done.stdout
