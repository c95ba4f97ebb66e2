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
"""The purposes, in the order of the seed's children. Commissioning, procurement and the market
draw from one run-wide stream each; pressure, responses and discovery are drawn per commissioner
(`Streams.for_commissioner`), from a seventh child, so that a commissioner's k-th process gets
the same numbers whoever runs it. Their run-wide children are kept in the order only so that the
seeds of the others do not move."""
SHARED = ("commissioning", "procurement", "market")


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
        children = dict(zip((*PURPOSES, "per_commissioner"), root.spawn(len(PURPOSES) + 1),
                            strict=True))
        self.commissioning = Stream.from_sequence(children["commissioning"])
        self.procurement = Stream.from_sequence(children["procurement"])
        self.market = Stream.from_sequence(children["market"])
        self._per_body = children["per_commissioner"]

    def for_commissioner(self, index: int) -> tuple[random.Random, random.Random, random.Random]:
        """The (pressure, responses, discovery) scalar streams of the commissioner at `index`.

        The same streams as the `index`-th child of the per-commissioner sequence would give
        (numpy's `SeedSequence.spawn` names children by their index), made only when that
        commissioner first signs a contract: most never do in a short run, and seeding three
        generators for each of them up front was a tenth of a run's cost.
        """
        # The grandchildren (index, 0..2) of the per-commissioner sequence, named directly
        # rather than spawned through the child: the same sequences, a third of the cost.
        parent = self._per_body
        pressure, responses, discovery = (
            scalar_stream(np.random.SeedSequence(parent.entropy,
                                                 spawn_key=(*parent.spawn_key, index, purpose),
                                                 pool_size=parent.pool_size))
            for purpose in range(3))
        return pressure, responses, discovery


def scalar_stream(sequence: np.random.SeedSequence) -> random.Random:
    state = sequence.generate_state(4, dtype=np.uint64)
    return random.Random(int.from_bytes(state.tobytes(), "little"))
