"""`dmpsim calibrate` end to end: the calibration file, the rejection method through the sweep
machinery (resume, backends, seeds), ABC-SMC through pyabc, parameter recovery on the model
itself, the output folder, and the command line's errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import dmpsim
from dmpsim.analysis.calibrate import calibrate, load_calibration, parse_calibration
from dmpsim.cli import main
from dmpsim.errors import InputError

SMALL = {
    "description": "a small calibration",
    "scenario": "classroom",
    "seed": 3,
    "replications": 2,
    "steps": 24,
    "priors": {"response.temperature": {"range": [0.1, 1.0]},
               "procurement.rule": ["price", "quality"]},
    "targets": {"integrity_mean": {"at_least": 0.8}, "pressure_rate": {"at_most": 0.5}},
    "rejection": {"draws": 10},
    "smc": {"population": 8, "generations": 2},
}


# -- a toy simulator with a known posterior -------------------------------------------------------
# Prior theta ~ U(-1, 2.6) (`response.back_down_base`, a real parameter with room for it); the
# "data" are n = 10 observations with mean YBAR and sd 1. The likelihood of the mean is
# N(theta, 1/n), so with a prior this wide (its ends 5.7 sd of the likelihood from YBAR: the
# truncation is negligible) the posterior is N(YBAR, 1/n). A run draws n observations at theta with its seed and reports
# their mean as `integrity_mean`; the target asks for YBAR within EPS.
KEY, N_OBS, YBAR, EPS = "response.back_down_base", 10, 0.8, 0.05


def toy_work(task):
    theta = task.overrides[KEY]
    draws = np.random.default_rng(task.seed).normal(theta, 1.0, N_OBS)
    return {"summary": {"integrity_mean": float(draws.mean())}}


def toy_calibration(draws: int) -> dict:
    return {"description": "toy: a normal mean", "scenario": "classroom", "seed": 5,
            "replications": 1, "steps": 1, "priors": {KEY: {"range": [-1.0, 2.6]}},
            "targets": {"integrity_mean": {"value": YBAR, "tolerance": EPS}},
            "rejection": {"draws": draws}}


def test_rejection_recovers_a_known_posterior(tmp_path):
    result = calibrate(toy_calibration(8000), backend="serial", out=tmp_path, write=False,
                       progress=False, work=toy_work)
    kept = result.ensemble[KEY].to_numpy()
    n = len(kept)
    assert n > 100
    mean, sd = kept.mean(), kept.std(ddof=1)
    # Exact ABC with tolerance EPS on the mean: the accepted theta follow the posterior given
    # |ybar - YBAR| <= EPS, whose sd is sqrt(1/n + EPS^2/3) (the uniform window adds EPS^2/3) and
    # whose mean is YBAR. Bounds: 4 standard errors of the mean and of the sd.
    sd_true = math.sqrt(1 / N_OBS + EPS**2 / 3)
    assert abs(mean - YBAR) < 4 * sd_true / math.sqrt(n)
    assert abs(sd - sd_true) < 4 * sd_true / math.sqrt(2 * (n - 1))
    # And the whole distribution: a KS test against the posterior at the 0.1% level.
    assert stats.kstest(kept, stats.norm(YBAR, sd_true).cdf).pvalue > 1e-3


def interrupted_at_run_11(task):
    from dmpsim.experiments.task import simulate

    if task.run_id == 11:
        raise KeyboardInterrupt
    return simulate(task)


def test_rejection_resumes_to_the_same_ensemble_and_backends_agree(tmp_path):
    whole = calibrate(SMALL, backend="serial", out=tmp_path / "whole", progress=False,
                      figures=False)
    with pytest.raises(KeyboardInterrupt):
        calibrate(SMALL, backend="serial", out=tmp_path / "part", progress=False,
                  figures=False, work=interrupted_at_run_11)
    on_disk = pd.read_parquet(tmp_path / "part" / "draws" / "parts")
    assert 0 < len(on_disk) < load_calibration(SMALL).experiment.n_runs
    resumed = calibrate(SMALL, backend="processes", workers=2, out=tmp_path / "part",
                        resume=True, progress=False, figures=False)
    pd.testing.assert_frame_equal(resumed.ensemble, whole.ensemble)
    pd.testing.assert_frame_equal(resumed.target_summary, whole.target_summary)
    pd.testing.assert_frame_equal(resumed.prior, whole.prior)


def test_new_targets_reuse_the_draws_on_disk(tmp_path):
    first = calibrate(SMALL, backend="serial", out=tmp_path, progress=False, figures=False)
    retargeted = {**SMALL, "targets": {"pressure_rate": {"at_most": 0.45}},
                  "rejection": {"draws": 10, "keep": 0.5}}

    def never(task):
        raise AssertionError("a run was repeated")

    second = calibrate(retargeted, backend="serial", out=tmp_path, resume=True,
                       progress=False, figures=False, work=never)
    pd.testing.assert_frame_equal(second.prior, first.prior)
    assert len(second.ensemble) == 5 and list(second.target_summary["target"]) == [
        "pressure_rate"]


def test_the_same_seed_gives_the_same_ensemble_on_dask(tmp_path):
    pytest.importorskip("dask.distributed")
    serial = calibrate(SMALL, backend="serial", out=tmp_path / "serial", write=False,
                       progress=False)
    dask = calibrate(SMALL, backend="dask", workers=2, out=tmp_path / "dask", write=False,
                     progress=False)
    pd.testing.assert_frame_equal(dask.ensemble, serial.ensemble)
    pd.testing.assert_frame_equal(dask.prior, serial.prior)


def test_outputs_on_disk(tmp_path):
    result = calibrate(SMALL, backend="serial", out=tmp_path, progress=False)
    for name in ("ensemble.parquet", "ensemble.csv", "prior.parquet", "draws.parquet",
                 "targets.csv", "constraints.csv", "generations.csv", "distances.parquet",
                 "calibration.json", "report.md", "report.html"):
        assert (tmp_path / name).is_file(), name
    record = json.loads((tmp_path / "calibration.json").read_text())
    assert record["keys"] == ["response.temperature", "procurement.rule"]
    assert record["method"] == "rejection" and record["ensemble"]["members"] == len(
        result.ensemble)
    ensemble = pd.read_parquet(tmp_path / "ensemble.parquet")
    assert ensemble["weight"].sum() == pytest.approx(1.0)
    assert (ensemble["distance"] == 0).all()      # no keep share: every target met
    assert set(ensemble["procurement.rule"]) <= {"price", "quality"}
    assert list((tmp_path / "figures").glob("*.png"))
    # The draws are a sweep: each run can be repeated alone from its row.
    draws = pd.read_parquet(tmp_path / "draws" / "runs.parquet")
    row = draws.iloc[3]
    again = dmpsim.run("classroom", seed=int(row["seed"]), steps=24, overrides={
        "response.temperature": float(row["response.temperature"]),
        "procurement.rule": row["procurement.rule"]})
    assert again.summary["integrity_mean"] == pytest.approx(row["integrity_mean"], rel=1e-12)


def test_parameter_recovery_on_the_model(tmp_path):
    """Targets computed from runs at known values calibrate back to an ensemble covering them.

    Budget adequacy drives the pressure rate (time and resources) and the integrity weight the
    compliance rate (ODD §7.3-7.4). A target is the mean of 12 runs at the truth, met within the
    run-to-run sd of a 4-run mean (each draw's outputs are the mean of its 4 runs)."""
    truth = {"commissioners.budget_adequacy": 0.8, "response.integrity_weight": 2.0}
    replications, steps = 4, 72
    runs = [dmpsim.run("classroom", seed=s, steps=steps, overrides=truth).summary
            for s in range(100, 112)]
    observed = {k: float(np.mean([r[k] for r in runs])) for k in ("pressure_rate", "comply_rate")}
    spread = {k: float(np.std([r[k] for r in runs], ddof=1)) for k in observed}
    table = {
        "description": "recover two parameters", "scenario": "classroom", "seed": 9,
        "replications": replications, "steps": steps,
        "priors": {"commissioners.budget_adequacy": {"range": [0.5, 1.3]},
                   "response.integrity_weight": {"range": [0.2, 4.0]}},
        "targets": {k: {"value": v, "tolerance": spread[k] / math.sqrt(replications)}
                    for k, v in observed.items()},
        "rejection": {"draws": 120, "keep": 0.1},
    }
    result = calibrate(table, out=tmp_path, write=False, progress=False)
    for key, value in truth.items():
        lo, hi = result.ensemble[key].quantile([0.0, 1.0])
        assert lo <= value <= hi, (key, lo, hi)
    labels = dict(zip(result.constraints["parameter"], result.constraints["label"], strict=True))
    assert set(labels.values()) <= {"constrained", "weakly constrained"}, labels


def test_a_statistic_of_the_monthly_table_is_a_target(tmp_path):
    table = {**SMALL, "statistics": {"late_confidence": {
        "column": "public_confidence", "statistic": "mean", "months": [13, 24]}},
        "targets": {"late_confidence": {"at_least": 0.5}, "integrity_mean": {"at_least": 0.8}}}
    result = calibrate(table, backend="serial", out=tmp_path, progress=False, figures=False)
    series = pd.read_parquet(tmp_path / "draws" / "series.parquet")
    late = series[series["step"] >= 13].groupby("run_id")["public_confidence"].mean()
    draws = pd.read_parquet(tmp_path / "draws.parquet")
    runs = pd.read_parquet(tmp_path / "draws" / "runs.parquet")
    expected = late.groupby(runs.set_index("run_id")["point"]).mean()
    assert np.allclose(draws["late_confidence"].to_numpy(), expected.to_numpy())
    assert set(result.target_summary["target"]) == {"late_confidence", "integrity_mean"}
    record = json.loads((tmp_path / "calibration.json").read_text())
    assert record["statistics"][0]["description"] == "mean of public_confidence, months 13-24"


def test_a_statistic_of_one_run():
    from dmpsim.analysis.statistics import Statistic

    steps, values = np.arange(1, 7), np.array([1.0, 2.0, np.nan, 4.0, 5.0, 6.0])
    assert Statistic("s", "c", "mean", (2, 4)).of(steps, values) == 3.0   # NaN left out
    assert Statistic("s", "c", "last").of(steps, values) == 6.0
    assert Statistic("s", "c", "sum", (1, 2)).of(steps, values) == 3.0
    assert math.isnan(Statistic("s", "c", "max", (10, 12)).of(steps, values))


def test_smc_runs_through_pyabc_serially_and_deterministically(tmp_path):
    pytest.importorskip("pyabc")
    first = calibrate(SMALL, method="smc", backend="serial", out=tmp_path / "a", progress=False,
                      figures=False)
    second = calibrate(SMALL, method="smc", backend="serial", out=tmp_path / "b",
                       progress=False, figures=False)
    assert (tmp_path / "a" / "abc.db").is_file()
    assert len(first.ensemble) == 8 and first.ensemble["weight"].sum() == pytest.approx(1.0)
    assert list(first.generations["generation"]) == [0, 1]
    pd.testing.assert_frame_equal(first.ensemble, second.ensemble)
    assert set(first.distances["generation"]) == {0, 1}


@pytest.mark.parametrize("change, key, problem", [
    ({"priors": {}}, "priors", "needs [priors]"),
    ({"priors": {"response.temprature": {"range": [0.1, 1.0]}}}, "priors",
     "did you mean 'response.temperature'"),
    ({"priors": {"response.temperature": {"range": [0.1, 20.0]}}}, "response.temperature",
     "outside"),
    ({"targets": {"integrity_men": {"at_least": 0.8}}}, "targets.integrity_men",
     "did you mean 'integrity_mean'"),
    ({"targets": {}}, "targets", "needs [targets]"),
    ({"rejection": {"draws": 0}}, "rejection.draws", ">= 1"),
    ({"rejection": {"keep": 1.5}}, "rejection.keep", "(0, 1]"),
    ({"rejection": {"drawz": 5}}, "rejection.drawz", "did you mean 'draws'"),
    ({"smc": {"population": 1}}, "smc.population", ">= 2"),
    ({"steps_": 3}, "steps_", "unknown key"),
    ({"statistics": {"x": {"column": "public_confidense"}}}, "statistics.x",
     "did you mean 'public_confidence'"),
    ({"statistics": {"x": {"column": "tenders", "statistic": "mode"}}}, "statistics.x",
     "statistic must be one of"),
    ({"statistics": {"x": {"column": "tenders", "months": [5, 2]}}}, "statistics.x",
     "first <= last"),
    ({"statistics": {"PT1": {"column": "tenders"}}}, "statistics.PT1", "already an output"),
    ({"statistics": {"x": {"column": "tenders", "stat": "max"}}}, "statistics.x",
     "did you mean 'statistic'"),
])
def test_bad_calibrations_are_one_line(change, key, problem):
    with pytest.raises(InputError) as caught:
        parse_calibration({**SMALL, **change}, source="c.toml")
    message = str(caught.value)
    assert message.startswith("c.toml: ") and "\n" not in message
    assert key in message and problem in message, message


def test_the_command_line(tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text('description = "cli"\nscenario = "classroom"\nsteps = 12\n'
                    '[priors]\n"response.temperature" = { range = [0.1, 1.0] }\n'
                    '[targets]\nintegrity_mean = { at_least = 0.5 }\n'
                    '[rejection]\ndraws = 4\n')
    out = tmp_path / "out"
    assert main(["calibrate", str(path), "--backend", "serial", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "ensemble: 4 member(s)" in printed and (out / "report.html").is_file()
    assert main(["calibrate", str(path), "--method", "smc", "--resume", "--out",
                 str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--resume" in err
    assert main(["calibrate", "no_such_calibration"]) == 2
    assert "bundled: patterns" in capsys.readouterr().err


def test_the_command_line_offers_the_methods_there_are():
    from dmpsim.analysis import calibrate as workflow
    from dmpsim.cli import calibration as command

    assert command.METHODS == workflow.METHODS


def test_the_bundled_calibration_is_valid(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "patterns").mkdir()     # e.g. its own output folder: a name, not a file
    cal = load_calibration("patterns")
    assert cal.experiment.scenario.name == "baseline"
    assert {t.name for t in cal.targets} >= {"PT1", "PT3", "PT5"}
    assert cal.draws >= 100 and len(cal.keys) >= 5
