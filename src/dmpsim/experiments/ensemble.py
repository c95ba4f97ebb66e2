"""An ensemble of parameter sets that the runs of an experiment take in turn.

A calibration (`dmpsim calibrate`) ends with an *ensemble*: the parameter sets consistent with
the targets, each with a weight, in ``ensemble.parquet`` beside ``calibration.json`` in its
output folder. An experiment that names it (``ensemble = "DIR"``, or ``dmpsim compare
--ensemble DIR``) runs replication k of every design point with member k's values on top of
the base scenario and, with common random numbers, with seed k: differences between design
points are then paired over the uncertain parameters and the random numbers alike.

Weighted members (ABC-SMC's importance weights) are first resampled to as many equally weighted
members as there are replications, by systematic resampling seeded by the experiment's seed;
equally weighted members (rejection) are taken in their order, which is the order in which
they were drawn, starting again from the first when there are more replications than members
(a member then runs again with another seed). A design point's own values win over a member's: a parameter that the
experiment varies, or that the compared scenarios set, is theirs, not the ensemble's.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..io.provenance import plain
from ..model.params import FLAT, check_value

#: The files of a calibration folder that an ensemble is read from.
ENSEMBLE_FILE = "ensemble.parquet"
RECORD_FILE = "calibration.json"


@dataclass(frozen=True)
class Ensemble:
    """Parameter sets, one per replication: ``members[k]`` holds the values of `keys` that
    replication k takes; ``drawn[k]`` is its row in the calibration's ensemble."""

    source: str
    keys: tuple[str, ...]
    members: tuple[tuple[Any, ...], ...]
    drawn: tuple[int, ...]

    def values(self, replication: int) -> dict[str, Any]:
        """The values replication `replication` takes."""
        return dict(zip(self.keys, self.members[replication], strict=True))

    def describe(self) -> dict[str, Any]:
        """For an experiment's record: where the members come from and which were taken."""
        return {"source": self.source, "keys": list(self.keys), "members": list(self.drawn),
                "values": [list(m) for m in self.members]}


def systematic_resample(weights: Sequence[float], count: int, seed: int) -> np.ndarray:
    """`count` indices drawn in proportion to `weights` by systematic resampling (one uniform
    offset, then evenly spaced: the lowest-variance of the standard schemes)."""
    w = np.asarray(weights, dtype=float)
    cumulative = np.cumsum(w / w.sum())
    cumulative[-1] = 1.0
    offset = np.random.default_rng(seed).random()
    return np.searchsorted(cumulative, (offset + np.arange(count)) / count, side="right")


def load_ensemble(folder: str | Path, replications: int, seed: int, source: str,
                  key: str = "ensemble") -> Ensemble:
    """The ensemble in a calibration folder, as `replications` members (see the module)."""
    import pandas as pd

    folder = Path(folder)
    where = str(folder)

    def fail(problem: str) -> InputError:
        return InputError(f"{problem} ({where})", source=source, key=key)

    record_path, table_path = folder / RECORD_FILE, folder / ENSEMBLE_FILE
    if not folder.is_dir():
        raise fail("no such folder: give the output folder of dmpsim calibrate")
    if not record_path.is_file() or not table_path.is_file():
        raise fail(f"not a calibration's folder: it needs {RECORD_FILE} and {ENSEMBLE_FILE}")
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        table = pd.read_parquet(table_path)
    except (OSError, ValueError) as exc:
        raise fail(f"unreadable calibration: {exc}") from None
    keys = record.get("keys") if isinstance(record, dict) else None
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
        raise fail(f"{RECORD_FILE} names no calibrated parameters ('keys')")
    for name in keys:
        if name not in FLAT:
            raise fail(f"calibrated parameter {name!r} is not a parameter of this version")
    missing = [c for c in ("weight", *keys) if c not in table.columns]
    if missing:
        raise fail(f"{ENSEMBLE_FILE} has no column {missing[0]!r}")
    if table.empty:
        raise fail("the ensemble has no members: the calibration accepted no draw")
    weights = table["weight"].to_numpy(dtype=float)
    if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
        raise fail("the members' weights must be finite, >= 0 and not all 0")
    if np.allclose(weights, weights[0]):
        # In the order drawn; more replications than members go round again (new seeds).
        drawn = np.arange(replications) % len(table)
    else:
        drawn = systematic_resample(weights, replications, seed)
    members = []
    for row in drawn:
        values = []
        for name in keys:
            value = plain(table[name].iloc[int(row)])
            if isinstance(value, float) and math.isnan(value):
                raise fail(f"member {int(row)} has no value for {name}")
            values.append(check_value(name, value, where))
        members.append(tuple(values))
    return Ensemble(where, tuple(keys), tuple(members), tuple(int(r) for r in drawn))
