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

    def __init__(self, seed: int | np.random.Generator | None, commissioners: int = 0) -> None:
        root = root_sequence(seed)
        children = dict(zip((*PURPOSES, "per_commissioner"), root.spawn(len(PURPOSES) + 1),
                            strict=True))
        self.commissioning = Stream.from_sequence(children["commissioning"])
        self.procurement = Stream.from_sequence(children["procurement"])
        self.market = Stream.from_sequence(children["market"])
        self._per_body = children["per_commissioner"]
        # Nearly every commissioner signs a contract in a 20-year run: the seeds of all their
        # streams are hashed at once, here, and each generator is made at its first contract.
        self._body_seeds = grandchild_seeds(self._per_body, commissioners, 3)

    def for_commissioner(self, index: int) -> tuple[random.Random, random.Random, random.Random]:
        """The (pressure, responses, discovery) scalar streams of the commissioner at `index`.

        The same streams as the grandchildren (index, 0..2) of the per-commissioner sequence
        would give through numpy's `SeedSequence` (which names children by their index), read
        through `random.Random` as every scalar stream is.
        """
        if index >= len(self._body_seeds):
            # A commissioner beyond those counted at the start: its own row, hashed alone.
            seeds = grandchild_seeds(self._per_body, 1, 3, first=index)[0]
        else:
            seeds = self._body_seeds[index]
        pressure, responses, discovery = (random.Random(seed) for seed in seeds)
        return pressure, responses, discovery


def scalar_stream(sequence: np.random.SeedSequence) -> random.Random:
    state = sequence.generate_state(4, dtype=np.uint64)
    return random.Random(int.from_bytes(state.tobytes(), "little"))


# numpy's SeedSequence hash (O'Neill's seed_seq mixing, numpy/random/bit_generator.pyx), on many
# sequences at once: numpy hashes one sequence per call, at about 25 microseconds a stream
# (most of it the call, not the hash), and a run makes three streams for each commissioner.
# `tests/model/test_streams.py` checks every step against numpy's own SeedSequence.
_MASK32 = 0xFFFF_FFFF
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_MULT_L, _MIX_MULT_R = 0xCA01F9DD, 0x4973F715
_XSHIFT = np.uint32(16)


def _uint32_words(value: int) -> list[int]:
    """A whole number as numpy's SeedSequence reads it: 32-bit words, least significant first."""
    words = [value & _MASK32]
    value >>= 32
    while value:
        words.append(value & _MASK32)
        value >>= 32
    return words


def grandchild_seeds(parent: np.random.SeedSequence, children: int, per_child: int,
                     first: int = 0) -> list[tuple[int, ...]]:
    """The seeds of `scalar_stream` for the grandchildren (i, j) of `parent`, i from `first` to
    `first + children - 1` and j below `per_child`: row i - first holds those of child i.

    The same numbers as `scalar_stream(SeedSequence(parent.entropy, spawn_key=(*parent.spawn_key,
    i, j), pool_size=parent.pool_size))`, hashed for every (i, j) at once.
    """
    if children <= 0:
        return []
    if not isinstance(parent.entropy, int) or first + children > 2**32 or per_child > 2**32:
        raise ValueError("grandchild_seeds needs a whole-number entropy and keys below 2**32")
    pool_size = parent.pool_size
    run_words = _uint32_words(parent.entropy)
    # A spawn key follows the run entropy, padded to the pool size so that the two do not collide.
    run_words += [0] * max(0, pool_size - len(run_words))
    fixed = run_words + [w for key in parent.spawn_key for w in _uint32_words(int(key))]
    child, purpose = np.meshgrid(np.arange(first, first + children, dtype=np.uint32),
                                 np.arange(per_child, dtype=np.uint32), indexing="ij")
    rows = child.size
    entropy = [np.full(rows, w, dtype=np.uint32) for w in fixed] + [child.ravel(), purpose.ravel()]
    pool = _mix_entropy(entropy, pool_size)
    state = _generate_state(pool, 8)  # generate_state(4, np.uint64), as scalar_stream asks
    # As numpy turns 32-bit words into 64-bit ones, and as scalar_stream reads their bytes.
    wide = np.ascontiguousarray(np.stack(state, axis=1).astype("<u4")).view("<u8").astype(np.uint64)
    seeds = [int.from_bytes(row.tobytes(), "little") for row in wide]
    return [tuple(seeds[i * per_child:(i + 1) * per_child]) for i in range(children)]


class _Hash:
    """One of numpy's two hash functions: the value mixed with a constant that moves on with
    each use (`hashmix` when mixing the entropy in, and again when drawing the state out)."""

    def __init__(self, init: int, mult: int) -> None:
        self.const, self.mult = init, mult

    def __call__(self, value: np.ndarray) -> np.ndarray:
        value = value ^ np.uint32(self.const)
        self.const = (self.const * self.mult) & _MASK32
        value = value * np.uint32(self.const)
        return value ^ (value >> _XSHIFT)


def _mix_entropy(entropy: list[np.ndarray], pool_size: int) -> list[np.ndarray]:
    hashmix = _Hash(_INIT_A, _MULT_A)

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        result = np.uint32(_MIX_MULT_L) * x - np.uint32(_MIX_MULT_R) * y
        return result ^ (result >> _XSHIFT)

    zeros = np.zeros_like(entropy[0])
    pool = [hashmix(entropy[i] if i < len(entropy) else zeros) for i in range(pool_size)]
    # Every word of the pool mixed with every other, so that late words change early ones.
    for src in range(pool_size):
        for dst in range(pool_size):
            if src != dst:
                pool[dst] = mix(pool[dst], hashmix(pool[src]))
    # Entropy beyond the pool mixed into every word of it.
    for src in range(pool_size, len(entropy)):
        for dst in range(pool_size):
            pool[dst] = mix(pool[dst], hashmix(entropy[src]))
    return pool


def _generate_state(pool: list[np.ndarray], n_words: int) -> list[np.ndarray]:
    draw = _Hash(_INIT_B, _MULT_B)
    return [draw(pool[i % len(pool)]) for i in range(n_words)]
