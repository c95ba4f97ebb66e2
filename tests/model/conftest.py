"""Fixtures the model's tests share.

`ablation`: the paired runs of the default scenario with each mechanism knocked out
(tests/knockouts.py), made once per session and read by the knock-out tests
(test_mechanisms.py) and the pattern tests (test_patterns.py).
"""

from __future__ import annotations

import pytest
from knockouts import run_all  # tests/knockouts.py


@pytest.fixture(scope="session")
def ablation():
    """{arm: {seed: summary}} and the baseline's tables {seed: (episodes, contracts,
    practitioners, model)}: 10 paired seeds, 20 years."""
    return run_all()
