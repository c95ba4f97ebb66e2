"""Scenario comparison (dmpsim.analysis.compare): CRN design, tables, report, HTML, CLI.

Runs are short classroom runs on the serial backend, so the file stays fast.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import ROOT, assert_self_contained

import dmpsim
from dmpsim.analysis.compare import MAIN_METRICS, compare
from dmpsim.cli import analysis as commands
from dmpsim.errors import InputError
from dmpsim.experiments.design import run_seed
from dmpsim.experiments.patterns import PATTERN_FIGURES
from dmpsim.experiments.tables import SUMMARY_KEYS

STEPS = 24

# The bundled classroom scenario with price-only tenders, as a scenario file.
PRICE = (ROOT / "scenarios" / "classroom.toml").read_text(encoding="utf-8").replace(
    'description = "', 'name = "classroom_price"\ndescription = "Price-only tenders; ', 1
) + '\n[procurement]\nrule = "price"\n'


@pytest.fixture(scope="module")
def price_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scenarios") / "classroom_price.toml"
    path.write_text(PRICE, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def comparison(price_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("compare") / "out"
    return compare(["classroom", price_file], replications=4, steps=STEPS, seed=3,
                   backend="serial", out=out, progress=False, n_resamples=1000)


def test_crn_narrows_intervals_on_real_scenarios(price_file, tmp_path):
    """Same two scenarios, same number of runs: paired CRN intervals are narrower than the
    unpaired intervals of independent seeds.

    The gain shows in the outcomes that carry the imprint of the shared start (the same
    commissioners and practitioners): mean integrity and the field's experience stock, whose
    runs correlate across the scenarios (r about 0.7-0.8). For pressure and compliance rates
    the model's random streams part ways as soon as the tender rule changes who wins, so they
    gain little; the mean width over all the main outcomes is still smaller.
    """
    kwargs = dict(replications=12, steps=36, seed=0, backend="serial", progress=False,
                  write=False, n_resamples=2000)
    crn = compare(["classroom", price_file], out=tmp_path / "crn", **kwargs)
    ind = compare(["classroom", price_file], out=tmp_path / "ind",
                  common_random_numbers=False, **kwargs)
    # The two designs differ in their seeds exactly as intended.
    assert crn.runs.groupby("replication")["seed"].nunique().eq(1).all()
    assert ind.runs.groupby("replication")["seed"].nunique().eq(2).all()
    w_crn, w_ind = crn.widths(), ind.widths()
    ratio = (w_crn / w_ind)[["integrity_mean", "field_experience"]]
    assert float(np.exp(np.log(ratio).mean())) < 0.9, ratio
    assert (ratio < 1).all(), ratio
    assert w_crn[list(MAIN_METRICS)].mean() < w_ind[list(MAIN_METRICS)].mean()


def test_design_shares_seeds_and_maps_points_to_scenarios(comparison, price_file):
    runs = comparison.runs
    assert sorted(runs["scenario"].unique()) == ["classroom", "classroom_price"]
    assert (runs.groupby("scenario")["procurement.rule"].unique().map(list).to_dict()
            == {"classroom": ["quality"], "classroom_price": ["price"]})
    # Replication k of every scenario has one seed, the one run_seed gives.
    for rep, rows in runs.groupby("replication"):
        assert rows["seed"].nunique() == 1
        assert rows["seed"].iloc[0] == run_seed(3, 0, int(rep), True)
    # A row re-runs alone, with its own scenario file, to the same summary.
    row = runs[(runs["scenario"] == "classroom_price") & (runs["replication"] == 2)].iloc[0]
    again = dmpsim.run(price_file, seed=int(row["seed"]), steps=STEPS).summary
    assert again["integrity_mean"] == pytest.approx(row["integrity_mean"])
    assert again["contracts_awarded"] == row["contracts_awarded"]


def test_table_covers_every_summary_key_and_flags_follow_intervals(comparison):
    table = comparison.table
    assert set(table["metric"]) == set(SUMMARY_KEYS)
    assert list(table["scenario"].unique()) == ["classroom", "classroom_price"]
    others = table[table["scenario"] != "classroom"]
    # A pattern figure can be undefined in a 24-month run (no walk-out yet, no three-year
    # window); then its difference is too. Every other output has a difference.
    undefined = set(others.loc[others["diff"].isna(), "metric"])
    assert undefined <= set(PATTERN_FIGURES), undefined
    for metric in undefined:
        values = comparison.runs[metric]
        assert values.isna().any(), metric
    flagged = others["significant"].astype(bool)
    excludes = (others["diff_low"] > 0) | (others["diff_high"] < 0)
    assert (flagged == excludes).all()
    assert {"effect_size", "cohens_d", "ci_low", "ci_high"} <= set(table.columns)
    # The paired difference is the mean of per-replication differences.
    runs = comparison.runs
    wide = runs.pivot(index="replication", columns="scenario", values="integrity_mean")
    diff = others.set_index("metric").at["integrity_mean", "diff"]
    assert diff == pytest.approx((wide["classroom_price"] - wide["classroom"]).mean())


def test_outputs_written(comparison):
    out = comparison.out
    for name in ("report.md", "report.html", "comparison.csv", "comparison.parquet",
                 "differences.csv", "runs.csv", "series.parquet", "comparison.json",
                 "sweep/runs.parquet", "sweep/series.parquet", "sweep/manifest.json",
                 "figures/effects.png", "figures/effects.svg", "figures/integrity.png",
                 "figures/field_experience.svg"):
        assert (out / name).is_file(), name
    differences = pd.read_csv(out / "differences.csv")
    assert list(differences["parameter"]) == ["procurement.rule"]
    assert differences.loc[0, "classroom"] == "quality"
    assert differences.loc[0, "classroom_price"] == "price"
    assert len(pd.read_parquet(out / "comparison.parquet")) == 2 * len(SUMMARY_KEYS)
    series = pd.read_parquet(out / "series.parquet")
    assert {"scenario", "run_id", "replication", "step", "integrity"} <= set(series.columns)
    assert series.groupby("run_id")["step"].max().eq(STEPS).all()
    meta = json.loads((out / "comparison.json").read_text())
    assert meta["baseline"] == "classroom" and meta["replications"] == 4
    assert meta["seeds"]["seed"] == [run_seed(3, 0, k, True) for k in range(4)]


def test_report_states_what_reproduces_it(comparison):
    text = (comparison.out / "report.md").read_text(encoding="utf-8")
    for needle in ("4 replications", f"{STEPS} months", "Experiment seed: 3",
                   str(run_seed(3, 0, 0, True)), "Mesa", "Python", "dmpsim 0.1.0",
                   "dmpsim compare classroom", "--replications 4", "--steps 24",
                   "`procurement.rule` = price (baseline quality)", "How to read this",
                   "What you may and may not conclude", "common random numbers",
                   "Statistical is not substantive significance", "qualitative patterns",
                   "figures/effects.png", "Price-only tenders"):
        assert needle in text, needle


def test_html_report_is_one_self_contained_file(comparison):
    path = comparison.out / "report.html"
    assert_self_contained(path)
    text = path.read_text(encoding="utf-8")
    assert text.count("data:image/png;base64,") == 5      # effects and four band figures
    assert "<table>" in text and "classroom_price" in text


def test_self_contained_check_can_fail(tmp_path):
    page = tmp_path / "page.html"
    page.write_text('<html><body><img src="data:image/png;base64,AA=="><a href="https://x.org">'
                    "x</a></body></html>", encoding="utf-8")
    with pytest.raises(AssertionError, match="external"):
        assert_self_contained(page)


def test_different_run_lengths_use_the_baselines_and_say_so(tmp_path):
    short = tmp_path / "short.toml"
    short.write_text(PRICE.replace("steps = 120", "steps = 60").replace(
        'name = "classroom_price"', 'name = "short_price"'), encoding="utf-8")
    result = compare(["classroom", short], replications=2, backend="serial", out=tmp_path / "o",
                     progress=False, write=False, n_resamples=200)
    assert result.steps == 120
    assert result.runs["status"].eq("ok").all()
    assert any("classroom 120, short_price 60" in note for note in result.notes)
    assert "run.steps" not in set(result.differences["parameter"])


@pytest.mark.parametrize("scenarios, kwargs, match", [
    (["classroom"], {}, "at least two"),
    (["classroom", "classroom"], {}, "more than once"),
    (["classroom", "baseline"], {"baseline": "quality_tender"}, "not one of the scenarios"),
    (["classroom", "baseline"], {"replications": 1}, ">= 2"),
    (["classroom", "no_such_scenario"], {}, "no bundled scenario"),
])
def test_bad_input_is_an_input_error(scenarios, kwargs, match, tmp_path):
    with pytest.raises(InputError, match=match):
        compare(scenarios, out=tmp_path, backend="serial", **kwargs)


def test_identical_scenarios_are_refused(tmp_path):
    same = tmp_path / "same.toml"
    same.write_text((ROOT / "scenarios" / "classroom.toml").read_text().replace(
        'description = "', 'name = "twin"\ndescription = "', 1), encoding="utf-8")
    with pytest.raises(InputError, match="same parameters"):
        compare(["classroom", same], out=tmp_path / "o", backend="serial")


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="dmpsim")
    commands.add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_compare_and_plot(price_file, comparison, tmp_path, capsys):
    out = tmp_path / "cli"
    code = _cli(["compare", "classroom", str(price_file), "--replications", "2", "--steps",
                 "12", "--backend", "serial", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "classroom_price" in printed and "report.html" in printed
    assert (out / "report.html").is_file()
    # A second run into the same folder must not mix sweeps; --resume reuses them.
    with pytest.raises(InputError, match="--resume"):
        _cli(["compare", "classroom", str(price_file), "--replications", "2", "--steps", "12",
              "--backend", "serial", "--out", str(out), "--quiet"])
    assert _cli(["compare", "classroom", str(price_file), "--replications", "2", "--steps",
                 "12", "--backend", "serial", "--out", str(out), "--quiet", "--resume"]) == 0
    with pytest.raises(InputError, match="--baseline"):
        _cli(["compare", "classroom", str(price_file), "--baseline", "nope"])
    # `dmpsim plot` draws the standard figures of a comparison folder, one line per scenario.
    figures = tmp_path / "figs"
    assert _cli(["plot", str(comparison.out), "--out", str(figures)]) == 0
    for stem in ("integrity_pressure", "market_share", "responses", "episodes_by_type", "field"):
        assert (figures / f"{stem}.png").is_file() and (figures / f"{stem}.svg").is_file()
