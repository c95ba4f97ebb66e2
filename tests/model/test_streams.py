"""Each commissioner's own streams (ODD §4) are those numpy's SeedSequence names by index."""

from __future__ import annotations

import numpy as np
import pytest

from dmpsim.model.streams import Streams, grandchild_seeds, root_sequence, scalar_stream


def numpy_sequence(parent: np.random.SeedSequence, child: int,
                   purpose: int) -> np.random.SeedSequence:
    """The grandchild (child, purpose) as numpy itself names it: one SeedSequence each."""
    return np.random.SeedSequence(parent.entropy, spawn_key=(*parent.spawn_key, child, purpose),
                                  pool_size=parent.pool_size)


def numpy_seed(parent: np.random.SeedSequence, child: int, purpose: int) -> int:
    state = numpy_sequence(parent, child, purpose).generate_state(4, dtype=np.uint64)
    return int.from_bytes(state.tobytes(), "little")


# Seeds of one word, of several words (beyond the pool), of none (numpy draws 128 bits), and
# pools of numpy's default size and larger; spawn keys of a root and of a child's child.
@pytest.mark.parametrize("seed", [0, 1, 12345, 2**40 + 3, 2**130 + 17, None])
@pytest.mark.parametrize("pool_size", [4, 5, 8])
@pytest.mark.parametrize("depth", [1, 2])
def test_grandchild_seeds_are_numpys(seed, pool_size, depth):
    parent = np.random.SeedSequence(seed, pool_size=pool_size)
    for _ in range(depth):
        parent = parent.spawn(7)[6]
    seeds = grandchild_seeds(parent, 40, 3)
    assert len(seeds) == 40
    for child in range(40):
        assert seeds[child] == tuple(numpy_seed(parent, child, purpose) for purpose in range(3))
    # A block that starts further on, as for a commissioner beyond those counted at the start.
    assert grandchild_seeds(parent, 2, 3, first=1_234_567)[1] == tuple(
        numpy_seed(parent, 1_234_568, purpose) for purpose in range(3))


@pytest.mark.parametrize("seed", [0, 7, np.random.default_rng(3)])
def test_commissioners_streams_draw_what_numpys_sequences_give(seed):
    streams = Streams(seed, commissioners=5)
    parent = streams._per_body
    for index in (0, 4, 5, 300):  # counted at the start, and beyond
        own = streams.for_commissioner(index)
        for purpose, stream in enumerate(own):
            expected = scalar_stream(numpy_sequence(parent, index, purpose))
            assert [stream.random() for _ in range(5)] == [expected.random() for _ in range(5)]


def test_no_commissioners_counted_still_gives_their_streams():
    streams, counted = Streams(11), Streams(11, commissioners=3)
    assert [s.random() for s in streams.for_commissioner(2)] == [
        s.random() for s in counted.for_commissioner(2)]


def test_grandchild_seeds_refuses_what_it_cannot_hash_as_numpy_does():
    parent = root_sequence(0).spawn(1)[0]
    assert grandchild_seeds(parent, 0, 3) == []
    with pytest.raises(ValueError, match="below 2\\*\\*32"):
        grandchild_seeds(parent, 2, 3, first=2**32 - 1)
    listed = np.random.SeedSequence([1, 2, 3])
    with pytest.raises(ValueError, match="whole-number entropy"):
        grandchild_seeds(listed, 1, 3)
