"""Mechanism knock-outs (dmpsim.analysis.ablate, `dmpsim ablate`): arms, CRN, tables, report, CLI.

Two mechanisms, three replications of 36 months on the serial backend, so the file stays fast.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from support import assert_self_contained

import dmpsim
import dmpsim.analysis
from dmpsim.analysis.ablate import (
    ABLATION_METRICS,
    COLUMNS,
    HEADLINE,
    PATTERNS,
    Ablation,
    ablate,
    parse_mechanisms,
)
from dmpsim.cli import main
from dmpsim.errors import InputError
from dmpsim.experiments.design import run_seed
from dmpsim.experiments.scenario import load_scenario
from dmpsim.experiments.tables import SUMMARY_KEYS
from dmpsim.model.params import MECHANISMS

STEPS = 36
REPS = 3
CHOSEN = ["safety_net", "learning"]


@pytest.fixture(scope="module")
def ablation(tmp_path_factory) -> Ablation:
    out = tmp_path_factory.mktemp("ablate") / "out"
    return ablate("baseline", mechanisms=CHOSEN, replications=REPS, steps=STEPS, seed=2,
                  backend="serial", out=out, progress=False, n_resamples=1000)


def test_the_function_is_exported():
    assert dmpsim.analysis.ablate is ablate


def test_table_has_every_mechanism_and_output_with_intervals(ablation):
    table = ablation.table
    assert list(table.columns) == list(COLUMNS)
    assert ablation.mechanisms == CHOSEN and ablation.skipped == []
    assert len(table) == len(CHOSEN) * len(SUMMARY_KEYS)
    for m in CHOSEN:
        mine = table[table["mechanism"] == m]
        assert list(mine["output"]) == list(SUMMARY_KEYS)
        assert set(mine["number"]) == {MECHANISMS[m][0]}
    assert set(HEADLINE) <= set(SUMMARY_KEYS) and set(PATTERNS) == {f"PT{i}" for i in range(1, 11)}
    # The main outputs always have an estimate; an interval contains its estimate.
    main_rows = table[table["output"].isin(ABLATION_METRICS)]
    assert main_rows[["knockout_mean", "full_mean", "difference", "low", "high"]].notna().all().all()
    finite = table[table["difference"].notna()]
    assert (finite["low"] <= finite["difference"] + 1e-12).all()
    assert (finite["difference"] <= finite["high"] + 1e-12).all()
    assert np.allclose(main_rows["difference"], main_rows["knockout_mean"]
                       - main_rows["full_mean"], atol=1e-9)
    # excludes_zero says exactly whether the interval excludes zero.
    flagged = finite["excludes_zero"].astype(bool)
    assert (flagged == ((finite["low"] > 0) | (finite["high"] < 0))).all()
    effects = ablation.effects()
    assert list(effects.index) == CHOSEN and list(effects.columns) == list(HEADLINE)


def test_arms_share_seeds_and_each_knocks_out_one_mechanism(ablation):
    runs = ablation.comparison.runs
    assert set(runs["scenario"]) == {"baseline", "no_safety_net", "no_learning"}
    assert (runs["status"] == "ok").all()
    seeds = runs.groupby("replication")["seed"].nunique()
    assert (seeds == 1).all() and len(seeds) == REPS
    for rep, seed in runs.groupby("replication")["seed"].first().items():
        assert seed == run_seed(2, 0, int(rep))
    for name, off in [("baseline", None), ("no_safety_net", "safety_net"),
                      ("no_learning", "learning")]:
        mine = runs[runs["scenario"] == name]
        for m in CHOSEN:
            assert (mine[f"mechanisms.{m}"] == (m != off)).all()
    # A knock-out's run is the plain run with the switch off, seed for seed.
    row = runs[(runs["scenario"] == "no_learning") & (runs["replication"] == 1)].iloc[0]
    alone = dmpsim.run("baseline", seed=int(row["seed"]), steps=STEPS,
                       overrides={"mechanisms.learning": False})
    for key in ("integrity_mean", "comply_rate", "contracts_completed", "PT5"):
        a, b = float(alone.summary[key]), float(row[key])
        assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b)


def test_outputs_written(ablation):
    out = ablation.out
    for name in ("report.md", "report.html", "ablation.csv", "ablation.parquet", "ablation.json",
                 "comparison.csv", "runs.csv", "figures/ablation.png", "figures/ablation.svg",
                 "sweep/manifest.json"):
        assert (out / name).is_file(), name
    csv = pd.read_csv(out / "ablation.csv")
    parquet = pd.read_parquet(out / "ablation.parquet")
    assert list(csv.columns) == list(COLUMNS) == list(parquet.columns)
    assert len(csv) == len(parquet) == len(ablation.table)
    assert np.allclose(parquet["difference"], ablation.table["difference"], equal_nan=True)
    meta = json.loads((out / "ablation.json").read_text(encoding="utf-8"))
    assert [m["name"] for m in meta["mechanisms"]] == CHOSEN
    assert meta["replications"] == REPS and meta["steps"] == STEPS
    assert "dmpsim ablate baseline --mechanisms safety_net,learning" in meta["command"]


def test_report_leads_with_the_mechanism_table(ablation):
    md = (ablation.out / "report.md").read_text(encoding="utf-8")
    first_table = md.index("\n| ")
    assert md.index("Main outputs: knock-out minus full model") < first_table
    assert md.index("Patterns PT1-PT10") < md.index("## Which mechanisms produce each pattern")
    header = md[first_table:].splitlines()[1]
    assert "Mean integrity" in header and "Processes completed" in header
    assert "**M3** `safety_net`: " + MECHANISMS["safety_net"][1] in md
    assert "**M4** `learning`" in md
    assert all(f"| {p} " in md or f"| {p} |" in md for p in PATTERNS)
    assert "Appendix: every summary key, every knock-out" in md
    assert all(f"`{k}`" in md for k in SUMMARY_KEYS)


def test_html_is_self_contained(ablation):
    path = ablation.out / "report.html"
    assert_self_contained(path)
    assert "http://" not in path.read_text(encoding="utf-8").replace("http://www.w3.org", "")


def test_already_off_is_skipped_and_overrides_kept(tmp_path):
    scenario = load_scenario("baseline", {"mechanisms.learning": False,
                                          "market.n_commissioners": 60})
    result = ablate(scenario, mechanisms="learning,safety_net", replications=2, steps=24,
                    backend="serial", out=tmp_path / "o", progress=False, n_resamples=500,
                    write=False)
    assert result.mechanisms == ["safety_net"] and result.skipped == ["learning"]
    assert any("already off" in n and "learning" in n for n in result.notes)
    runs = result.comparison.runs
    assert set(runs["scenario"]) == {"baseline", "no_safety_net"}
    # The scenario's own overrides reach every arm (they go into the sweep's [set]).
    row = runs[(runs["scenario"] == "baseline") & (runs["replication"] == 0)].iloc[0]
    alone = dmpsim.run(scenario, seed=int(row["seed"]), steps=24)
    assert float(row["contracts_completed"]) == alone.summary["contracts_completed"]
    assert float(row["integrity_mean"]) == pytest.approx(alone.summary["integrity_mean"])
    with pytest.raises(InputError, match="already off"):
        ablate(scenario, mechanisms=["learning"], replications=2, steps=12, write=False,
               out=tmp_path / "p", backend="serial")


def test_unknown_mechanism_is_one_line_with_did_you_mean():
    with pytest.raises(InputError, match="did you mean 'safety_net'") as info:
        parse_mechanisms("safety_nett,learning")
    assert "\n" not in str(info.value)
    with pytest.raises(InputError, match="at least one"):
        parse_mechanisms(" , ")
    assert parse_mechanisms(None) == list(MECHANISMS)
    assert parse_mechanisms(["learning", "mechanisms.learning"]) == ["learning"]
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["ablate", "baseline", "--mechanisms", "learnin"])
    assert code == 2
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 1 and "did you mean 'learning'" in lines[0]


def test_bad_flags_exit_2():
    proc = subprocess.run([sys.executable, "-m", "dmpsim.cli", "ablate", "baseline",
                           "--replications", "1"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("dmpsim ablate: error: argument "
                                                           "--replications")
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["ablate", "no_such_scenario"]) == 2
    assert len(err.getvalue().strip().splitlines()) == 1


def test_cli_end_to_end_and_resume(tmp_path):
    out = tmp_path / "cli"
    argv = ["ablate", "baseline", "--mechanisms", "safety_net,learning", "--replications",
            str(REPS), "--steps", str(STEPS), "--seed", "2", "--backend", "serial", "--out",
            str(out), "--no-figures"]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(argv) == 0
    text = printed.getvalue()
    assert "M3 safety_net" in text and "M4 learning" in text and "report.html" in text
    first = pd.read_csv(out / "ablation.csv")
    assert not (out / "figures").exists()
    assert "dmpsim ablate baseline --mechanisms safety_net,learning" in (
        out / "report.md").read_text(encoding="utf-8")
    # The same folder again must not mix sweeps; --resume reuses the runs on disk.
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main([*argv, "--quiet"]) == 2
    assert "--resume" in err.getvalue()
    assert main([*argv, "--quiet", "--resume"]) == 0
    manifest = json.loads((out / "sweep" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["sessions"][-1]["runs_done"] == 0
    assert manifest["counts"]["done"] == 3 * REPS
    pd.testing.assert_frame_equal(pd.read_csv(out / "ablation.csv"), first)
