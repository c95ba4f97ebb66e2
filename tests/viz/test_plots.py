"""Figures (dmpsim.viz): every standard figure draws from small runs, is labelled, and is saved.

Runs are short classroom runs (36 months), so the whole file stays fast; sweep and comparison
tables are synthesised.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import dmpsim
from dmpsim import viz
from dmpsim.errors import InputError
from dmpsim.io.results import load_results
from dmpsim.viz import series

STEPS = 36
SEEDS = (1, 2, 3)


# ------------------------------------------------------------------------------------------
# Fixtures: a run folder, a folder of run folders, series tables, sweep and effects tables


@pytest.fixture(scope="module")
def results() -> list[dmpsim.RunResult]:
    return [dmpsim.run("classroom", seed=s, steps=STEPS) for s in SEEDS]


@pytest.fixture(scope="module")
def run_dir(results, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "classroom-seed1"
    results[0].write(out)
    return out


@pytest.fixture(scope="module")
def runs_dir(results, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs")
    for seed, result in zip(SEEDS, results, strict=True):
        result.write(out / f"seed{seed}")
    return out


def _series(results, scenario: str | None = None) -> pd.DataFrame:
    frames = []
    for rep, result in enumerate(results):
        frame = result.model.copy()
        frame.insert(0, "run_id", f"{scenario or 'r'}-{rep}")
        frame.insert(1, "replication", rep)
        if scenario is not None:
            frame.insert(0, "scenario", scenario)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def series_dir(results, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("series")
    _series(results).to_parquet(out / "series.parquet", index=False)
    return out


@pytest.fixture(scope="module")
def compare_series(results) -> pd.DataFrame:
    # A second "scenario" made by shifting the first: only the drawing is under test here.
    other = _series(results, "quality")
    other["integrity"] = other["integrity"] * 0.9
    return pd.concat([_series(results, "baseline"), other], ignore_index=True)


def _sweep_runs(params: dict[str, list], reps: int = 3, fail: int = 0) -> pd.DataFrame:
    """A synthetic runs.parquet: integrity rises with the first parameter, falls with the second."""
    rng = np.random.default_rng(0)
    grid = pd.MultiIndex.from_product(list(params.values()), names=list(params)).to_frame(
        index=False)
    rows = []
    for point, values in grid.iterrows():
        for rep in range(reps):
            x = list(values)
            integrity = 0.6 + 0.2 * x[0] - (0.05 * x[1] if len(x) > 1 else 0.0)
            rows.append({"run_id": f"p{point}r{rep}", "point": point, "replication": rep,
                         "seed": rep, **values.to_dict(),
                         "integrity_mean": integrity + rng.normal(0, 0.02),
                         "pressure_rate": 0.4 + rng.normal(0, 0.05),
                         "independent_share": 0.7 + rng.normal(0, 0.05),
                         "public_confidence": 0.6 + rng.normal(0, 0.05),
                         "status": "ok", "error": None, "elapsed": 0.1})
    runs = pd.DataFrame(rows)
    if fail:
        runs.loc[: fail - 1, "status"] = "error"
        runs.loc[: fail - 1, "integrity_mean"] = np.nan
    return runs


def _effects_table() -> pd.DataFrame:
    return pd.DataFrame({
        "scenario": ["baseline", "price_only", "quality", "baseline", "price_only", "quality"],
        "metric": ["integrity_mean"] * 3 + ["large_firm_share"] * 3,
        "baseline": "baseline",
        "diff": [np.nan, -0.08, 0.03, np.nan, 0.12, -0.01],
        "diff_low": [np.nan, -0.12, -0.01, np.nan, 0.05, -0.04],
        "diff_high": [np.nan, -0.04, 0.07, np.nan, 0.19, 0.02],
        "significant": pd.array([pd.NA, True, False, pd.NA, True, False], dtype="boolean"),
    })


# ------------------------------------------------------------------------------------------
# What every figure must have


def _labelled(ax) -> list[str]:
    return [lab for lab in ax.get_legend_handles_labels()[1] if not lab.startswith("_")]


def assert_readable(fig: Figure) -> None:
    """Each plotting axes has an x label, a y label and a title; a colour bar has a label; an
    axes that draws more than one labelled series has a legend."""
    assert isinstance(fig, Figure)
    axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert axes
    for ax in axes:
        where = ax.get_title() or repr(ax)
        assert ax.get_xlabel(), f"{where}: no x label"
        assert ax.get_ylabel(), f"{where}: no y label"
        assert ax.get_title(), "an axes has no title"
        if len(_labelled(ax)) > 1:
            # Small multiples share one figure-level legend.
            assert ax.get_legend() is not None or fig.legends, f"{where}: several series, no legend"
    for bar in (ax for ax in fig.axes if ax.get_label() == "<colorbar>"):
        assert bar.get_ylabel(), "colour bar has no label"


# ------------------------------------------------------------------------------------------
# Builders from tables


def test_single_run_builders_are_labelled(results):
    result = results[0]
    figs = [
        viz.figure_integrity_pressure(result.model),
        viz.figure_market_share(result.model),
        viz.figure_responses(result.model, result.episodes),
        viz.figure_episodes_by_type(result.model, result.episodes),
        viz.figure_field(result.model),
    ]
    for fig in figs:
        assert_readable(fig)
    # The response bars show shares that add up to one for each kind.
    bars = figs[2].axes[0]
    ends = {}
    for patch in bars.patches:
        y = round(patch.get_y(), 6)
        ends[y] = max(ends.get(y, 0.0), patch.get_x() + patch.get_width())
    assert ends and all(v == pytest.approx(1.0) for v in ends.values())


def test_episodes_by_type_matches_the_episodes_table(results):
    result = results[0]
    fig = viz.figure_episodes_by_type(result.model, result.episodes)
    ax = fig.axes[0]
    totals: dict[float, float] = {}
    for patch in ax.patches:
        y = round(patch.get_y(), 6)
        totals[y] = totals.get(y, 0.0) + patch.get_width()
    # Bars are per year; times the run's length they give back the episode count.
    assert sum(totals.values()) * STEPS / 12 == pytest.approx(len(result.episodes))


def test_replication_bands_have_a_legend(compare_series, results):
    series = _series(results)
    fig = viz.figure_integrity_pressure(series)
    assert_readable(fig)
    assert any("10-90%" in lab for lab in _labelled(fig.axes[0])) or fig.axes[0].get_legend()
    legend_texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "10-90% of runs" in legend_texts
    assert any("median of 3 runs" in t for t in legend_texts)


def test_comparison_series_draw_one_line_per_scenario(compare_series):
    for build in (viz.figure_integrity_pressure, viz.figure_market_share,
                  viz.figure_field, viz.figure_episodes_by_type):
        assert_readable(build(compare_series))
    fig = viz.figure_series_bands(
        {name: rows for name, rows in compare_series.groupby("scenario")},
        "integrity", "Integrity (0-1)")
    assert_readable(fig)
    legends = [fig.axes[0].get_legend(), *fig.legends]
    legend = [t.get_text() for lg in legends if lg is not None for t in lg.get_texts()]
    assert {"baseline", "quality"} <= set(legend)


def test_series_bands_writes_both_formats(compare_series, tmp_path):
    fig = viz.figure_series_bands(compare_series, "field_experience",
                                    "Experience (processes)", tmp_path / "exp", rolling=1)
    assert (tmp_path / "exp.png").stat().st_size > 0
    assert (tmp_path / "exp.svg").stat().st_size > 0
    assert fig.axes[0].get_ylabel() == "Experience (processes)"


def test_sweep_heatmap_annotates_every_cell():
    runs = _sweep_runs({"procurement.weight_price": [0.0, 0.5, 1.0],
                        "governance.oversight": [0, 1]}, fail=2)
    fig = viz.figure_sweep_heatmap(runs, "procurement.weight_price", "governance.oversight")
    assert_readable(fig)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "procurement.weight_price"
    assert len(ax.texts) == 6
    ok = runs[runs["status"] == "ok"]
    expected = ok[(ok["procurement.weight_price"] == 1.0)
                  & (ok["governance.oversight"] == 0)]["integrity_mean"].mean()
    assert any(abs(float(t.get_text()) - expected) < 5e-4 for t in ax.texts)
    assert "2 failed" in ax.get_title()


def test_sweep_heatmap_bins_sampled_parameters():
    rng = np.random.default_rng(1)
    runs = pd.DataFrame({"a.x": rng.uniform(0, 1, 200), "a.y": rng.uniform(0, 1, 200),
                         "integrity_mean": rng.uniform(0.5, 0.9, 200)})
    fig = viz.figure_sweep_heatmap(runs, "a.x", "a.y")
    assert len(fig.axes[0].get_xticks()) <= 8


def test_sweep_lines_one_parameter():
    runs = _sweep_runs({"procurement.weight_price": [0.0, 0.25, 0.5, 1.0]})
    fig = viz.figure_sweep_lines(runs, "procurement.weight_price")
    assert_readable(fig)
    assert len(fig.axes) == 4
    runs["procurement.rule"] = runs["procurement.weight_price"].map(
        {0.0: "quality", 0.25: "direct", 0.5: "consortium", 1.0: "price"})
    assert_readable(viz.figure_sweep_lines(runs, "procurement.rule", ["integrity_mean"]))


def test_effects_forest_plot(tmp_path):
    table = _effects_table()
    fig = viz.figure_effects(table, tmp_path / "effects.png")
    assert_readable(fig)
    assert len(fig.axes) == 2
    assert {p.name for p in tmp_path.iterdir()} == {"effects.png", "effects.svg"}
    # The baseline's rows (no difference) are left out: two scenarios per panel.
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["price_only", "quality"]


def test_effects_from_compare_table():
    from dmpsim.analysis.stats import compare_table

    rng = np.random.default_rng(2)
    df = pd.DataFrame({"scenario": ["a"] * 6 + ["b"] * 6, "rep": list(range(6)) * 2,
                       "integrity_mean": rng.normal(0.8, 0.02, 12)})
    table = compare_table(df, "scenario", "rep", "integrity_mean", "a", n_resamples=200)
    assert_readable(viz.figure_effects(table))


def test_effects_missing_columns():
    with pytest.raises(InputError, match="diff_low"):
        viz.figure_effects(_effects_table().drop(columns="diff_low"))


# ------------------------------------------------------------------------------------------
# plot_results on folders


FIGURES = {"integrity_pressure", "market_share", "responses", "episodes_by_type", "field"}


def _stems(paths: list[Path]) -> set[str]:
    return {p.stem for p in paths}


@pytest.mark.parametrize("folder", ["run_dir", "runs_dir", "series_dir"])
def test_plot_results_draws_every_figure(folder, request, tmp_path):
    source = request.getfixturevalue(folder)
    written = viz.plot_results(source, tmp_path / "figs")
    assert _stems(written) == FIGURES
    for stem in FIGURES:
        for fmt in ("png", "svg"):
            path = tmp_path / "figs" / f"{stem}.{fmt}"
            assert path.is_file() and path.stat().st_size > 1000, path
    assert plt.get_fignums() == []  # nothing left open in pyplot


def test_build_figures_are_labelled(run_dir, runs_dir, series_dir):
    for folder in (run_dir, runs_dir, series_dir):
        figures = viz.build_figures(load_results(folder))
        assert set(figures) == FIGURES
        for fig in figures.values():
            assert_readable(fig)


def test_plot_results_default_folder_and_format(run_dir):
    written = viz.plot_results(run_dir, formats=("svg",))
    assert all(p.parent == run_dir / "figures" and p.suffix == ".svg" for p in written)


def test_comparison_series_folder(compare_series, tmp_path):
    compare_series.drop(columns="run_id").to_parquet(tmp_path / "series.parquet")
    data = load_results(tmp_path)
    # Replication k of two scenarios is two runs.
    assert data.series.groupby("scenario")["run_id"].nunique().to_dict() == {
        "baseline": 3, "quality": 3}
    for fig in viz.build_figures(data).values():
        assert_readable(fig)


def test_plot_results_two_parameter_sweep(tmp_path, results):
    runs = _sweep_runs({"procurement.weight_price": [0.0, 0.5, 1.0],
                        "funding.separate_share": [0.0, 0.5]}, reps=1)
    runs.to_parquet(tmp_path / "runs.parquet")
    # Series for the sweep's six runs, borrowed from the three classroom runs.
    series = pd.concat([results[i % 3].model.assign(run_id=rid)
                        for i, rid in enumerate(runs["run_id"])], ignore_index=True)
    series.to_parquet(tmp_path / "series.parquet")
    written = viz.plot_results(tmp_path, formats=("png",))
    assert _stems(written) == {"heatmap_integrity_mean",
                               "sweep_procurement_weight_price_by_funding_separate_share",
                               "integrity_by_point"}
    for fig in viz.build_figures(load_results(tmp_path)).values():
        assert_readable(fig)


def test_plot_results_one_parameter_sweep(tmp_path):
    _sweep_runs({"procurement.weight_price": [0.0, 0.5, 1.0]}).to_parquet(
        tmp_path / "runs.parquet")
    written = viz.plot_results(tmp_path, tmp_path / "f", metric="public_confidence")
    assert _stems(written) == {"sweep_procurement_weight_price"}


def test_plot_results_many_parameter_sweep(tmp_path):
    _sweep_runs({"a.x": [0, 1], "a.y": [0, 1], "a.z": [0, 1]}, reps=2).to_parquet(
        tmp_path / "runs.parquet")
    written = viz.plot_results(tmp_path, formats=("png",))
    assert _stems(written) == {"heatmap_integrity_mean", "sweep_a_x", "sweep_a_y", "sweep_a_z"}


# ------------------------------------------------------------------------------------------
# Bad input


def test_empty_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match=r"no model\.parquet, series\.parquet or runs\.parquet"):
        viz.plot_results(tmp_path)
    try:
        viz.plot_results(tmp_path)
    except InputError as exc:
        assert str(exc).startswith(str(tmp_path)) and "\n" not in str(exc)


def test_missing_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such folder"):
        viz.plot_results(tmp_path / "nope")


def test_unreadable_or_empty_tables(tmp_path, results):
    (tmp_path / "model.parquet").write_text("not parquet")
    with pytest.raises(InputError, match="cannot read model.parquet"):
        load_results(tmp_path)
    results[0].model.iloc[:0].to_parquet(tmp_path / "model.parquet")
    with pytest.raises(InputError, match="model.parquet has no rows"):
        load_results(tmp_path)


def test_sweep_without_parameters_or_metric(tmp_path):
    runs = _sweep_runs({"a.x": [0, 1]})
    runs.drop(columns="a.x").to_parquet(tmp_path / "runs.parquet")
    with pytest.raises(InputError, match="no varied parameter"):
        viz.plot_results(tmp_path)
    runs.to_parquet(tmp_path / "runs.parquet")
    with pytest.raises(InputError, match="no column 'nope'"):
        viz.plot_results(tmp_path, metric="nope")
    runs.assign(status="error").to_parquet(tmp_path / "runs.parquet")
    with pytest.raises(InputError, match="no successful run"):
        viz.plot_results(tmp_path)


def test_unknown_format(run_dir, tmp_path):
    with pytest.raises(InputError, match="unknown figure format"):
        viz.plot_results(run_dir, tmp_path, formats=("bmp",))


def test_overview_figure_still_works(results, tmp_path):
    out = viz.overview_figure(results[0].model, "classroom (seed 1)", tmp_path / "o.png")
    assert out.is_file()


def test_sampled_series_keep_their_time_scale():
    # A sweep may keep every third month only: windows are in months, not rows, and counts
    # are scaled by the interval, so a steady one response a month reads 12 a year either way.
    steps = np.arange(1, 37)
    full = pd.DataFrame({"step": steps, "response_comply": 1.0})
    sampled = full[full["step"] % 3 == 0]
    for frame in (full, sampled):
        matrix = series._run_matrix(frame, "response_comply", rolling=12, agg="sum")
        assert matrix.loc[36].iloc[0] == pytest.approx(12.0)


def test_the_old_module_warns_and_gives_the_same_functions():
    import importlib
    import sys

    from dmpsim.io import results as io_results

    sys.modules.pop("dmpsim.plots", None)
    with pytest.warns(DeprecationWarning, match="dmpsim.viz"):
        old = importlib.import_module("dmpsim.plots")
    for name in ("figure_series_bands", "figure_integrity_pressure", "figure_market_share",
                 "figure_responses", "figure_episodes_by_type", "figure_field",
                 "figure_sweep_heatmap", "figure_sweep_lines", "figure_effects",
                 "overview_figure", "plot_results", "build_figures", "save_figure",
                 "METRIC_LABELS"):
        assert getattr(old, name) is getattr(viz, name), name
    assert old.load_results is io_results.load_results
    assert old.ResultsData is io_results.ResultsData
