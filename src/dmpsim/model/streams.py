"""Random streams, one per purpose, spawned from the run's seed (ODD §4, Stochasticity).

A lever that changes, say, how practitioners respond must not shift the draws that decide who
commissions or who is pressed: each purpose draws from its own stream, and the draws that belong
to one commissioner's k-th process (its pressure episodes, the replies, discovery) come from that
commissioner's own streams. Two runs with one seed then share their random numbers wherever
their histories agree, so common random numbers narrow paired comparisons of every output.

Streams are numpy `SeedSequence` children of the seed; each is read through a numpy `Generator`
(for arrays) and a `random.Random` seeded from the same child (for the many scalar draws, which
are faster there).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

PURPOSES = ("commissioning", "procurement", "pressure", "responses", "discovery", "market")


@dataclass
class Stream:
    """One purpose's generator pair."""

    numpy: np.random.Generator
    scalar: random.Random

    @classmethod
    def from_sequence(cls, sequence: np.random.SeedSequence) -> Stream:
        return cls(np.random.default_rng(sequence), scalar_stream(sequence))


def root_sequence(seed: int | np.random.Generator | None) -> np.random.SeedSequence:
    """The run's root sequence: from a whole-number seed, or from a generator handed in."""
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(int(seed.integers(0, 2**63)))
    return np.random.SeedSequence(seed)


class Streams:
    """The run's streams by purpose, and per-commissioner streams for its processes."""

    def __init__(self, seed: int | np.random.Generator | None) -> None:
        root = root_sequence(seed)
        children = root.spawn(len(PURPOSES) + 1)
        for name, child in zip(PURPOSES, children, strict=False):
            setattr(self, name, Stream.from_sequence(child))
        self._per_body = children[-1]

    def for_commissioners(self, n: int) -> list[tuple[random.Random, random.Random, random.Random]]:
        """For each commissioner, its (pressure, responses, discovery) scalar streams."""
        return [tuple(scalar_stream(s) for s in body.spawn(3)) for body in self._per_body.spawn(n)]


def scalar_stream(sequence: np.random.SeedSequence) -> random.Random:
    state = sequence.generate_state(4, dtype=np.uint64)
    return random.Random(int.from_bytes(state.tobytes(), "little"))
