"""Comparisons and knock-outs across a calibrated ensemble (`dmpsim compare/ablate --ensemble`).

The calibration is faked: a folder with calibration.json and an equally weighted
ensemble.parquet of four members. Runs are classroom runs of six months on the serial backend.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import ROOT

from dmpsim.analysis.ablate import ablate
from dmpsim.analysis.compare import compare
from dmpsim.analysis.ensemble import ensemble_table
from dmpsim.analysis.results import BETTER
from dmpsim.cli import main
from dmpsim.errors import InputError
from dmpsim.experiments.design import run_seed
from dmpsim.experiments.scenario import Scenario, load_scenario
from dmpsim.experiments.tables import SUMMARY_KEYS

STEPS = 6
REPS = 4
SEED = 5
KEYS = ["response.temperature", "learning.lesson_scale"]
MEMBERS = {"response.temperature": [0.2, 0.35, 0.6, 1.0],
           "learning.lesson_scale": [6.0, 12.0, 20.0, 30.0]}
# Price-only tenders, and a response temperature of its own: a calibrated parameter that the
# compared scenarios set differently, so each run keeps its scenario's value.
PRICE = (ROOT / "scenarios" / "classroom.toml").read_text(encoding="utf-8").replace(
    'description = "', 'name = "classroom_price"\ndescription = "Price-only tenders; ', 1
) + '\n[procurement]\nrule = "price"\n\n[response]\ntemperature = 0.9\n'


def write_calibration(folder: Path, members: int = 4) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "calibration.json").write_text(json.dumps({"keys": KEYS}), encoding="utf-8")
    table = pd.DataFrame({"member": range(members), "weight": 1.0,
                          **{k: v[:members] for k, v in MEMBERS.items()}})
    table.to_parquet(folder / "ensemble.parquet")
    return folder


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("ensemble")
    price = root / "classroom_price.toml"
    price.write_text(PRICE, encoding="utf-8")
    return write_calibration(root / "calibration"), price


@pytest.fixture(scope="module")
def comparison(files, tmp_path_factory):
    calibration, price = files
    out = tmp_path_factory.mktemp("compare") / "out"
    return compare(["classroom", price], replications=REPS, steps=STEPS, seed=SEED,
                   backend="serial", out=out, progress=False, n_resamples=200,
                   ensemble=calibration)


def _runs(comparison) -> pd.DataFrame:
    runs = pd.read_parquet(comparison.out / "sweep" / "runs.parquet")
    return runs.assign(scenario=[comparison.names[int(p)] for p in runs["point"]])


def test_better_has_a_direction_for_every_summary_key():
    assert list(BETTER) == list(SUMMARY_KEYS)
    assert set(BETTER.values()) <= {-1, 0, 1}
    assert BETTER["integrity_mean"] == 1 and BETTER["comply_rate"] == -1
    assert BETTER["large_firm_share"] == 0 and BETTER["PT1"] == 0


def test_replication_k_takes_member_k_and_seed_k(comparison):
    runs = _runs(comparison)
    assert len(runs) == 2 * REPS and runs["status"].eq("ok").all()
    for k, rows in runs.groupby("replication"):
        k = int(k)
        # The same seed in every scenario: replication k's.
        assert rows["seed"].nunique() == 1
        assert int(rows["seed"].iloc[0]) == run_seed(SEED, 0, k, True)
        # The calibrated parameter no scenario sets is member k's in every scenario...
        assert rows["learning.lesson_scale"].eq(MEMBERS["learning.lesson_scale"][k]).all()
    # ... and the one the scenarios set differently is each scenario's own.
    temperature = runs.groupby("scenario")["response.temperature"].unique().map(list)
    assert temperature.to_dict() == {"classroom": [0.35], "classroom_price": [0.9]}
    table = comparison.runs
    assert list(table["ensemble_member"]) == list(table["replication"])
    csv = pd.read_csv(comparison.out / "runs.csv")
    assert {"ensemble_member", *KEYS} <= set(csv.columns)


def test_overridden_parameter_is_named(comparison):
    assert comparison.overridden() == ["response.temperature"]
    text = (comparison.out / "report.md").read_text(encoding="utf-8")
    assert ("The scenarios set `response.temperature` themselves (differently), so every run "
            "takes its scenario's value of it, not the ensemble member's.") in text
    assert any("`learning.lesson_scale`" in note for note in comparison.notes)
    meta = json.loads((comparison.out / "comparison.json").read_text(encoding="utf-8"))
    assert meta["ensemble"]["keys"] == KEYS
    assert meta["ensemble"]["members"] == list(range(REPS))
    assert meta["ensemble"]["overridden"] == ["response.temperature"]
    assert "--ensemble" in meta["command"]


def test_ensemble_csv_is_ensemble_table_on_the_runs(comparison):
    written = pd.read_csv(comparison.out / "ensemble.csv")
    for column in ("share_better", "ci_low", "ci_high", "regret_mean", "regret_p90",
                   "modal_ranking", "ranking_verdict", "kendall_w"):
        assert column in written.columns, column
    # Recomputed from runs.parquet alone.
    runs = _runs(comparison)
    frame = runs[["scenario", "replication", *SUMMARY_KEYS]].rename(
        columns={"replication": "member"})
    frame[list(SUMMARY_KEYS)] = frame[list(SUMMARY_KEYS)].apply(pd.to_numeric,
                                                                errors="coerce")
    expected = ensemble_table(frame, "classroom", list(SUMMARY_KEYS), BETTER)
    assert list(written["scenario"]) == list(expected["scenario"])
    assert list(written["output"]) == list(expected["output"])
    for column in ("share_better", "share_higher", "ci_low", "ci_high", "diff_mean",
                   "regret_mean", "regret_p90", "share_best", "kendall_w"):
        np.testing.assert_allclose(written[column].to_numpy(float),
                                   expected[column].to_numpy(float), equal_nan=True,
                                   err_msg=column)
    assert list(written["ranking_verdict"]) == list(expected["ranking_verdict"])
    assert written["n_members"].eq(REPS).all()
    pd.testing.assert_frame_equal(comparison.ensemble, expected)


def test_report_has_the_section_and_the_figure(comparison):
    out = comparison.out
    for name in ("figures/ensemble_differences.png", "figures/ensemble_differences.svg",
                 "figures/effects.png", "ensemble.csv"):
        assert (out / name).is_file(), name
    text = (out / "report.md").read_text(encoding="utf-8")
    for needle in ("## Across the ensemble", "Beats classroom in [95% interval]",
                   "Regret: mean", "Regret: 90th percentile", "Most common ranking",
                   "not the probability that the scenario's expected outcome is better",
                   "figures/ensemble_differences.png", "--ensemble",
                   f"{REPS} members, calibrating `response.temperature`, "
                   "`learning.lesson_scale`",
                   # The report without an ensemble is still all there.
                   "## Key results", "How the scenarios differ", "Reproducing this comparison"):
        assert needle in text, needle
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 6    # effects, ensemble, four bands


def test_a_calibrated_value_every_scenario_sets_is_refused(files, tmp_path):
    calibration, _ = files
    same = {"response.temperature": 0.5}
    base = load_scenario("classroom", same)
    price = load_scenario("classroom", {**same, "procurement.rule": "price"})
    price = Scenario("price", price.description, dict(price.values), price.source,
                     dict(price.overrides))
    with pytest.raises(InputError, match="response.temperature is calibrated in the ensemble"):
        compare([base, price], replications=2, steps=STEPS, backend="serial",
                out=tmp_path / "o", progress=False, ensemble=calibration)
    assert not (tmp_path / "o").exists()


def _main(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("command", ["compare", "ablate"])
def test_bad_ensembles_are_one_line_with_status_2(files, tmp_path, command):
    calibration, _ = files
    (tmp_path / "empty").mkdir()
    head = (["compare", "classroom", "quality_tender"] if command == "compare"
            else ["ablate", "classroom", "--mechanisms", "learning"])
    cases = [
        (["--ensemble", str(tmp_path / "missing")], "--ensemble: no such folder"),
        (["--ensemble", str(tmp_path / "empty")], "--ensemble: not a calibration's folder"),
    ]
    if command == "compare":
        cases.append((["--ensemble", str(calibration), "--independent-seeds"],
                      "--independent-seeds: --ensemble pairs the scenarios"))
    for extra, problem in cases:
        code, printed, err = _main([*head, *extra, "--out", str(tmp_path / "o")])
        lines = err.strip().splitlines()
        assert code == 2, (extra, err)
        assert len(lines) == 1 and lines[0].startswith("dmpsim: error:"), err
        assert problem in lines[0], lines[0]
        assert printed == "", printed     # found before anything is announced or run
    assert not (tmp_path / "o").exists()


def test_cli_resume_gives_the_same_ensemble_table(files, tmp_path):
    calibration, price = files
    out = tmp_path / "cli"
    argv = ["compare", "classroom", str(price), "--ensemble", str(calibration),
            "--replications", "3", "--steps", str(STEPS), "--backend", "serial",
            "--out", str(out)]
    code, printed, _ = _main(argv)
    assert code == 0
    assert "Across the ensemble (3 members)" in printed and "ensemble.csv" in printed
    first = pd.read_csv(out / "ensemble.csv")
    text = (out / "report.md").read_text(encoding="utf-8")
    assert f"--ensemble {calibration}" in text
    assert _main([*argv, "--quiet", "--resume"])[0] == 0
    manifest = json.loads((out / "sweep" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["sessions"][-1]["runs_done"] == 0
    pd.testing.assert_frame_equal(pd.read_csv(out / "ensemble.csv"), first)


def test_ablate_across_the_ensemble(files, tmp_path):
    calibration, _ = files
    result = ablate("classroom", mechanisms="learning", replications=3, steps=STEPS,
                    backend="serial", out=tmp_path / "ablate", progress=False,
                    n_resamples=200, ensemble=calibration)
    comparison = result.comparison
    assert comparison.ensemble is not None
    runs = comparison.runs
    for k, rows in runs.groupby("replication"):
        assert rows["response.temperature"].eq(MEMBERS["response.temperature"][int(k)]).all()
        assert rows["seed"].nunique() == 1
    out = result.out
    for name in ("ensemble.csv", "figures/ensemble_differences.png", "figures/ablation.png"):
        assert (out / name).is_file(), name
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "## Across the ensemble" in text and "raises / lowers" in text
    assert "--ensemble" in result.command
    meta = json.loads((out / "ablation.json").read_text(encoding="utf-8"))
    assert meta["ensemble"]["keys"] == KEYS
