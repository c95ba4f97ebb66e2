"""benchmarks/reference.py and commands.py: figures in seconds set beside Boltzmann's example."""

from __future__ import annotations

import pytest
from support import load_benchmark


@pytest.fixture(scope="module")
def reference():
    return load_benchmark("reference.py", "reference")


@pytest.fixture(scope="module")
def commands():
    return load_benchmark("commands.py", "commands")


def test_a_slower_machine_scales_down_and_a_faster_one_up(reference):
    # 3.0 h where Boltzmann takes 0.15 s is 2.0 h where it takes 0.10 s; 0.05 s doubles it.
    assert reference.on_issue_machine(3.0, 0.15) == pytest.approx(2.0)
    assert reference.on_issue_machine(3.0, 0.05) == pytest.approx(6.0)


@pytest.mark.parametrize("bad", [0.0, -0.1])
def test_a_boltzmann_time_that_is_not_positive_is_refused(reference, bad):
    with pytest.raises(ValueError, match="must be positive"):
        reference.on_issue_machine(1.0, bad)


def test_boltzmann_is_timed_in_cpu_seconds(reference):
    assert 0.0 < reference.boltzmann_seconds(repeats=1) < 60.0


def test_the_report_gives_limits_the_floor_and_what_run_adds(commands):
    rows = [("dmpsim --version", 0.12, 0.3), (commands.RUN, 1.9, 1.5),
            (commands.MESA_FLOOR[0], 1.3, None)]
    text = commands.report(rows, boltzmann_here=0.2).splitlines()
    assert "(limit 0.3 s: met)" in text[0] and "0.06 s on issue 10's machine" in text[0]
    assert "(limit 1.5 s: NOT met)" in text[1] and "0.95 s on issue 10's machine" in text[1]
    assert "(limit" not in text[2] and "0.65 s on issue 10's machine" in text[2]
    assert text[3].endswith("beyond importing Mesa: 0.60 s")


def test_without_boltzmann_the_report_gives_the_seconds_measured(commands):
    text = commands.report([("dmpsim --help", 0.4, 0.3)])
    assert "issue 10's machine" not in text and "(limit 0.3 s: NOT met)" in text
