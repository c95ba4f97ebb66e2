"""Sensitivity analysis of an experiment (dmpsim.analysis.sensitivity_run): design, sweep,
indices, convergence, figures and report.

The model runs are tiny (classroom scenario, 12-24 months, serial backend); the check that the
pipeline recovers a known ranking replaces the model by the Ishigami function.
"""

from __future__ import annotations

import argparse
import math

import numpy as np
import pandas as pd
import pytest
from support import assert_self_contained

from dmpsim.analysis import sensitivity
from dmpsim.analysis.sensitivity_run import (
    DEFAULT_OUTPUTS,
    run_sensitivity,
    sensitivity_experiment,
)
from dmpsim.cli import analysis as commands
from dmpsim.errors import InputError
from dmpsim.viz.sensitivity import figure_indices

PARAMS = ("response.integrity_weight", "pressure.clarity_effect", "large_firms.bid_rate")

MORRIS = {
    "name": "tiny_morris",
    "description": "Tiny Morris screening for the tests",
    "scenario": "classroom",
    "seed": 3,
    "replications": 2,
    "steps": 18,
    "set": {"large_firms.entry_step": 3},
    "parameters": {
        "response.integrity_weight": {"range": [1.0, 3.5]},
        "pressure.clarity_effect": {"range": [0.2, 0.7]},
        "large_firms.bid_rate": {"range": [0.2, 0.8]},
    },
    "design": {"type": "morris", "trajectories": 4, "levels": 4},
}


@pytest.fixture(scope="module")
def morris(tmp_path_factory):
    out = tmp_path_factory.mktemp("sens") / "morris"
    return run_sensitivity(MORRIS, backend="serial", out=out, progress=False)


def test_tiny_morris_end_to_end(morris):
    out = morris.out
    for name in ("indices.csv", "indices.parquet", "convergence.csv", "outputs_by_point.csv",
                 "report.md", "report.html", "sensitivity.json", "sweep/runs.parquet",
                 "sweep/manifest.json"):
        assert (out / name).is_file(), name
    indices = pd.read_parquet(out / "indices.parquet")
    analysed = [o for o in DEFAULT_OUTPUTS if o not in morris.skipped]
    assert "integrity_mean" in analysed
    for output in analysed:
        rows = indices[indices["output"] == output]
        assert set(rows["parameter"]) == set(PARAMS)
        assert set(rows["index"]) == {"mu_star", "mu", "sigma"}
        assert (rows.loc[rows["index"] == "mu_star", "value"] >= 0).all()
        assert (out / "figures" / f"{output}.png").is_file()
        assert (out / "figures" / f"{output}.svg").is_file()
    conv = pd.read_csv(out / "convergence.csv")
    assert {"value_half", "value_full", "conf_half", "conf_full", "n_half", "n_full",
            "change", "settled"} <= set(conv.columns)
    assert set(conv["n_half"]) == {2} and set(conv["n_full"]) == {4}
    assert set(conv["parameter"]) == set(PARAMS)
    full = conv.merge(indices, on=["output", "parameter", "index"])
    assert np.allclose(full["value_full"], full["value"])
    assert_self_contained(out / "report.html")
    text = (out / "report.md").read_text(encoding="utf-8")
    for needle in ("4 trajectories", "2 replication(s)", "mean over its", "half design",
                   "dmpsim sensitivity", "Versions: dmpsim", "What you may and may not"):
        assert needle in text, needle


def test_each_point_is_the_mean_of_its_replications(morris):
    runs = morris.runs
    means = runs.groupby("point")["integrity_mean"].mean()
    assert np.allclose(morris.by_point.set_index("point")["integrity_mean"], means)
    # CRN: replication k of every design point shares a seed.
    assert runs.groupby("replication")["seed"].nunique().eq(1).all()
    assert len(morris.by_point) == 4 * (len(PARAMS) + 1)


def test_figure_is_labelled(morris):
    fig = figure_indices(morris, "integrity_mean")
    ax = fig.axes[0]
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    assert [t.get_text() for t in ax.get_yticklabels()] and fig.legends


def test_constant_output_is_skipped_with_a_reason(tmp_path):
    exp = {**MORRIS, "steps": 12, "set": {"large_firms.enabled": False},
           "replications": 1}
    result = run_sensitivity(exp, outputs=["large_firm_share", "integrity_mean"],
                             backend="serial", out=tmp_path, progress=False, figures=False)
    assert "large_firm_share" in result.skipped and "constant" in result.skipped["large_firm_share"]
    assert set(result.indices["output"]) == {"integrity_mean"}
    assert "Not analysed: constant" in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_a_factorial_experiment_is_rebuilt_for_the_method():
    factorial = {**MORRIS, "design": {"type": "factorial"},
                 "parameters": {"response.integrity_weight": {"range": [1.0, 3.0], "num": 3},
                                "learning.lesson_scale": {"range": [3.0, 12.0], "step": 3.0}}}
    exp, rebuilt = sensitivity_experiment(factorial, "morris", samples=5)
    assert rebuilt and exp.design == "morris" and exp.n_points == 5 * 3
    assert [(f.key, f.lo, f.hi) for f in exp.factors] == [
        ("response.integrity_weight", 1.0, 3.0), ("learning.lesson_scale", 3.0, 12.0)]
    assert exp.fixed == {"large_firms.entry_step": 3} and exp.steps == 18
    sobol, rebuilt = sensitivity_experiment(factorial, "sobol", samples=8, replications=1)
    assert rebuilt and sobol.n_points == 8 * (2 + 2) and sobol.replications == 1
    same, rebuilt = sensitivity_experiment(MORRIS, "morris")
    assert not rebuilt and same.n_points == 16


@pytest.mark.parametrize("change, match", [
    ({"parameters": {"procurement.rule": ["price", "quality"],
                     "large_firms.bid_rate": {"range": [0.2, 0.8]}}}, "procurement.rule"),
    ({"parameters": {"large_firms.bid_rate": [0.2, 0.5, 0.8]},
      "design": {"type": "factorial"}}, "range = \\[lo, hi\\]"),
    ({"design": {"type": "factorial"},
      "parameters": {"large_firms.bid_rate": {"range": [0.2, 0.8], "num": 2}}}, "--method"),
])
def test_what_salib_cannot_take_is_an_input_error(change, match):
    with pytest.raises(InputError, match=match):
        sensitivity_experiment({**MORRIS, **change},
                               None if "--method" in match else "morris")


def test_bad_options_are_input_errors():
    with pytest.raises(InputError, match="power of two"):
        sensitivity_experiment(MORRIS, "sobol", samples=6)
    with pytest.raises(InputError, match="did you mean"):
        run_sensitivity(MORRIS, outputs=["integrity_men"], backend="serial")
    with pytest.raises(InputError, match="unknown method"):
        sensitivity_experiment(MORRIS, "fast")


# The Ishigami function through the whole pipeline: design, sweep, row order, averaging,
# analysis. Three parameters with ranges of width 2*pi stand in for x1..x3.
ISHIGAMI_KEYS = ("response.integrity_weight", "response.leverage_weight",
                 "response.dependence_weight")


def ishigami_work(task):
    x = [task.overrides[k] - math.pi for k in ISHIGAMI_KEYS]
    y = math.sin(x[0]) + 7 * math.sin(x[1]) ** 2 + 0.1 * x[2] ** 4 * math.sin(x[0])
    return {"summary": {"integrity_mean": y}, "series": None}


def test_sobol_pipeline_recovers_the_ishigami_ranking(tmp_path):
    exp = {"description": "Ishigami", "scenario": "classroom", "seed": 5, "replications": 1,
           "parameters": {k: {"range": [0.0, 2 * math.pi]} for k in ISHIGAMI_KEYS},
           "design": {"type": "sobol", "samples": 1024}}
    result = run_sensitivity(exp, outputs=["integrity_mean"], backend="serial", out=tmp_path,
                             progress=False, work=ishigami_work, figures=False)
    wide = result.indices.pivot(index="parameter", columns="index", values="value")
    s1, st = wide["S1"], wide["ST"]
    x1, x2, x3 = ISHIGAMI_KEYS
    # Analytic: S1 = 0.31, 0.44, 0; ST = 0.56, 0.44, 0.24.
    assert st[x1] > st[x2] > st[x3] > 0.1
    assert s1[x2] > s1[x1] > s1[x3] and abs(s1[x3]) < 0.1
    assert s1[x1] == pytest.approx(0.31, abs=0.05) and st[x1] == pytest.approx(0.56, abs=0.05)
    assert s1[x2] == pytest.approx(0.44, abs=0.05) and st[x3] == pytest.approx(0.24, abs=0.05)
    # Row for row, the same numbers as SALib on its own design: nothing was reordered.
    problem = sensitivity.make_problem(["a", "b", "c"], [(-math.pi, math.pi)] * 3)
    X = sensitivity.sample(problem, "sobol", 1024, seed=5)
    Y = np.sin(X[:, 0]) + 7 * np.sin(X[:, 1]) ** 2 + 0.1 * X[:, 2] ** 4 * np.sin(X[:, 0])
    direct = sensitivity.analyze(problem, "sobol", X, Y)
    assert np.allclose(result.indices["value"], direct["value"])
    conv = result.convergence
    assert set(conv["n_half"]) == {512} and set(conv["n_full"]) == {1024}


def test_cli_sensitivity(tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="dmpsim")
    commands.add_commands(parser.add_subparsers(dest="command", required=True))
    path = tmp_path / "tiny.toml"
    path.write_text('description = "tiny"\nscenario = "classroom"\nsteps = 12\n'
                    "[parameters]\n"
                    '"pressure.time_resources" = { range = [0.2, 1.5], num = 3 }\n'
                    '"commissioners.budget_adequacy" = { range = [0.6, 1.2], num = 3 }\n',
                    encoding="utf-8")
    args = parser.parse_args(["sensitivity", str(path), "--method", "morris", "--samples", "4",
                              "--outputs", "integrity_mean", "field_experience", "--backend",
                              "serial", "--out", str(tmp_path / "out")])
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    assert "12 design points" in printed and "integrity_mean: mu_star" in printed
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "rebuilt" in report and "--method morris --samples 4" in report


def test_more_samples_keep_the_files_own_design_options():
    levels6 = {**MORRIS, "design": {"type": "morris", "trajectories": 4, "levels": 6, "seed": 9}}
    exp, rebuilt = sensitivity_experiment(levels6, "morris", samples=6)
    assert rebuilt and exp.design_options["levels"] == 6 and exp.design_options["seed"] == 9
    assert exp.n_points == 6 * (len(PARAMS) + 1)
