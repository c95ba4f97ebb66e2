"""The reference the benchmarks measure beside dmpsim: Mesa's own Boltzmann wealth example.

The project's machines are shared and change from day to day: on 2026-12-03 the same 2-core
machine ran Boltzmann's example in 0.058 s in the morning and 0.146 s in the afternoon, and every
figure in seconds moved with it. Issue 10 set its aims in seconds on a machine where the example
took 0.10 s (100 agents, 240 steps). A figure in seconds measured here is therefore also given
as it would be on that machine: scaled by 0.10 s over Boltzmann's time measured beside it, in the
same invocation. Both are CPU-bound Python, so the scaling carries the host's speed and not its
load; it is a first-order correction, not a measurement on that machine.
"""

from __future__ import annotations

import statistics
import time

ISSUE_MACHINE_BOLTZMANN_SECONDS = 0.10
"""Boltzmann's example (100 agents, 240 steps) on the machine issue 10's aims were set on."""


def boltzmann(seed: int, steps: int = 240) -> None:
    """Mesa's Boltzmann wealth example, 100 agents on a 10x10 grid, as its own app runs it."""
    from mesa.examples.basic.boltzmann_wealth_model import model as example

    if hasattr(example, "BoltzmannScenario"):  # Mesa >= 3.5: parameters in a Scenario
        market = example.BoltzmannWealth(example.BoltzmannScenario(n=100, width=10, height=10,
                                                                   rng=seed))
    else:
        market = example.BoltzmannWealth(n=100, width=10, height=10, seed=seed)
    for _ in range(steps):
        market.step()


def boltzmann_seconds(repeats: int = 7, seed: int = 0) -> float:
    """Median CPU seconds of Boltzmann's example (240 steps) in this process, after a warm-up."""
    boltzmann(seed, 24)
    times = []
    for i in range(repeats):
        start = time.process_time()
        boltzmann(seed + i)
        times.append(time.process_time() - start)
    return statistics.median(times)


def on_issue_machine(seconds: float, boltzmann_here: float) -> float:
    """`seconds` measured here, scaled to the machine where Boltzmann's example took 0.10 s."""
    if boltzmann_here <= 0:
        raise ValueError(f"Boltzmann's time must be positive, got {boltzmann_here!r}")
    return seconds * ISSUE_MACHINE_BOLTZMANN_SECONDS / boltzmann_here
