"""Fixtures the experiment tests share.

`smoke_sweep`: the bundled `smoke` experiment (24 runs of 24 months) swept serially in this
process, once per session: what every other way of sweeping it must match
(tests/experiments/test_sweep.py), and the finished sweep the clean-up tests damage
(tests/experiments/test_cleanup.py). Nobody writes into its folder: `finished_smoke` gives a test
a copy of its own.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from dmpsim.experiments.sweeps import sweep


@pytest.fixture(scope="session")
def smoke_sweep(tmp_path_factory) -> pd.DataFrame:
    """The runs table `sweep("smoke", backend="serial")` returns; its folder is
    `runs.attrs["out"]`. Read it only."""
    out = tmp_path_factory.mktemp("smoke") / "sweep"
    return sweep("smoke", backend="serial", out=out, progress=False)


@pytest.fixture
def finished_smoke(smoke_sweep, tmp_path) -> Path:
    """A copy of the finished smoke sweep's folder, for a test to change."""
    return Path(shutil.copytree(smoke_sweep.attrs["out"], tmp_path / "done"))
