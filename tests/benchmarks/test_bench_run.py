"""benchmarks/bench_run.py: the split of a run into its months and its contracts, bad options."""

from __future__ import annotations

import subprocess
import sys

import pytest
from support import ROOT, load_benchmark

from dmpsim.experiments.scenario import load_scenario

PATH = ROOT / "benchmarks" / "bench_run.py"


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("bench_run.py", "bench_run")


def test_the_idle_market_lets_no_contract(bench):
    values = load_scenario("baseline").effective()
    assert bench.dmp_model(bench.idle(values), 0, 36).all_contracts == []
    assert bench.dmp_model(values, 0, 36).all_contracts


def test_split_takes_the_idle_months_from_both_the_run_and_the_aim(bench):
    # 0.110 s a run, 0.015 s of it idle months, 1,000 contracts: 95 us each; half of a
    # 0.060-s Boltzmann run less the same months leaves 15 us.
    line = bench.per_contract([0.110, 0.111, 0.109], [0.060, 0.059, 0.061], [0.015] * 3, 1000)
    assert "1000 contracts at 95 us each" in line and "the aim leaves 15 us a contract" in line


@pytest.mark.parametrize("flag", ["--repeats", "--scaled-repeats"])
def test_bad_counts_stop_before_anything_runs(flag):
    done = subprocess.run([sys.executable, str(PATH), flag, "0"], capture_output=True, text=True,
                          check=False, timeout=60)
    assert done.returncode == 2 and f"{flag} must be at least 1" in done.stderr
    assert not done.stdout
