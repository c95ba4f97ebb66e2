"""An experiment that takes a calibrated ensemble: replication k runs member k's values with
seed k; members are resampled by weight, cycled when fewer than the replications, checked."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import dmpsim
from dmpsim.errors import InputError
from dmpsim.experiments.ensemble import load_ensemble, systematic_resample
from dmpsim.experiments.files import parse_experiment

KEYS = ["response.temperature", "learning.lesson_scale"]


def calibration_folder(path, weights=(1.0, 1.0, 1.0), keys=KEYS):
    path.mkdir(parents=True, exist_ok=True)
    (path / "calibration.json").write_text(json.dumps({"keys": keys}))
    n = len(weights)
    pd.DataFrame({"member": range(n), "weight": weights,
                  "response.temperature": np.linspace(0.2, 0.9, n),
                  "learning.lesson_scale": np.linspace(5.0, 20.0, n)}).to_parquet(
        path / "ensemble.parquet")
    return path


def experiment(folder, replications=3, **extra):
    table = {"description": "with an ensemble", "scenario": "classroom", "steps": 6,
             "replications": replications, "ensemble": str(folder),
             "design": {"type": "tuples", "points": [{"procurement.rule": "price"},
                                                     {"procurement.rule": "quality"}]}}
    return parse_experiment({**table, **extra}, source="e.toml")


def test_replication_k_runs_member_k_with_seed_k(tmp_path):
    exp = experiment(calibration_folder(tmp_path / "cal"))
    runs = dmpsim.sweep(exp, backend="serial", out=tmp_path / "sweep", progress=False)
    for k in range(3):
        rows = runs[runs["replication"] == k]
        assert rows["seed"].nunique() == 1                      # common random numbers
        assert rows["response.temperature"].tolist() == [exp.ensemble.values(k)[KEYS[0]]] * 2
    assert exp.describe()["ensemble"]["members"] == [0, 1, 2]
    again = exp.rerun(5)   # point 1, replication 2
    assert again.summary["integrity_mean"] == pytest.approx(
        runs.loc[runs["run_id"] == 5, "integrity_mean"].iloc[0], nan_ok=True)


def test_members_go_round_when_there_are_more_replications(tmp_path):
    ensemble = load_ensemble(calibration_folder(tmp_path / "cal"), 7, 0, "e.toml")
    assert ensemble.drawn == (0, 1, 2, 0, 1, 2, 0)


def test_weighted_members_are_resampled_in_proportion(tmp_path):
    counts = np.bincount(systematic_resample([0.5, 0.25, 0.25, 0.0], 1000, seed=3), minlength=4)
    assert counts.tolist() == [500, 250, 250, 0]    # systematic: exact to one draw
    ensemble = load_ensemble(calibration_folder(tmp_path / "cal", (0.7, 0.3, 0.0)), 10, 1, "e")
    assert ensemble.drawn.count(2) == 0 and ensemble.drawn.count(0) == 7


def test_the_ensemble_is_part_of_the_fingerprint(tmp_path):
    a = experiment(calibration_folder(tmp_path / "a"))
    b = experiment(calibration_folder(tmp_path / "b", (1.0, 1.0, 1.0, 1.0)))
    moved = experiment(calibration_folder(tmp_path / "c"))
    assert a.fingerprint() != b.fingerprint()
    assert a.fingerprint() == moved.fingerprint()    # where the folder is does not matter


@pytest.mark.parametrize("make, extra, key, problem", [
    (lambda p: p, {}, "ensemble", "no such folder"),
    (lambda p: p.mkdir() or p, {}, "ensemble", "not a calibration's folder"),
    (lambda p: calibration_folder(p, keys=["response.temprature"]), {}, "ensemble",
     "not a parameter"),
    (lambda p: calibration_folder(p, (0.0, 0.0, 0.0)), {}, "ensemble", "weights"),
    (calibration_folder, {"set": {"response.temperature": 0.5}}, "response.temperature",
     "both fixed in [set] and calibrated"),
    (calibration_folder, {"ensemble": 3}, "ensemble", "expected the folder"),
])
def test_bad_ensembles_are_one_line(tmp_path, make, extra, key, problem):
    folder = make(tmp_path / "cal")
    with pytest.raises(InputError) as caught:
        experiment(folder, **extra)
    message = str(caught.value)
    assert message.startswith(f"e.toml: {key}: ") and problem in message, message
