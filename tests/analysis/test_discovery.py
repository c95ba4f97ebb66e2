"""Scenario discovery on sweep results (dmpsim.analysis.discovery): a planted box is found and
reported; a tiny real LHS sweep runs through end to end."""

from __future__ import annotations

import argparse
import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dmpsim.analysis.discovery import discover
from dmpsim.cli import analysis as commands
from dmpsim.errors import InputError
from dmpsim.viz.discovery import figure_trajectory

A, B, C = "response.integrity_weight", "pressure.clarity_effect", "learning.lesson_scale"


def planted_sweep(out: Path, n: int = 800, seed: int = 1) -> Path:
    """A runs.parquet and manifest where integrity collapses when A >= 2.5 and B <= 0.4."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(1.0, 3.5, n)
    b = rng.uniform(0.2, 0.7, n)
    c = rng.uniform(3.0, 12.0, n)
    inside = (a >= 2.5) & (b <= 0.4)
    integrity = np.where(inside, 0.55, 0.9) + rng.normal(0, 0.03, n)
    runs = pd.DataFrame({"run_id": np.arange(n), "point": np.arange(n), "replication": 0,
                         "seed": 7, A: a, B: b, C: c, "integrity_mean": integrity,
                         "public_confidence": 0.7 - 0.1 * inside, "status": "ok", "error": "",
                         "traceback": "", "elapsed": 0.01})
    runs.loc[0, ["status", "integrity_mean"]] = ["error", np.nan]
    out.mkdir(parents=True, exist_ok=True)
    runs.to_parquet(out / "runs.parquet", index=False)
    manifest = {"format": "dmpsim-sweep/1",
                "experiment": {"name": "planted", "description": "a planted box",
                               "parameters": [{"key": k} for k in (A, B, C)]}}
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    return planted_sweep(tmp_path_factory.mktemp("planted") / "sweep")


def _external_refs(path: Path) -> list[str]:
    refs: list[str] = []

    class Refs(HTMLParser):
        def handle_starttag(self, tag, attrs):
            refs.extend(v or "" for k, v in attrs if k in ("src", "href", "srcset"))
            if tag in ("script", "link", "iframe"):
                refs.append(f"<{tag}>")

    Refs().feed(path.read_text(encoding="utf-8"))
    assert refs, "no embedded figure"
    return [r for r in refs if not r.startswith(("data:", "#"))]


def test_planted_box_is_found_and_reported(planted, tmp_path):
    result = discover(planted, below=0.7, out=tmp_path / "d")
    assert len(result.boxes) == 1
    box = result.boxes[0]
    assert set(box.limits) == {A, B}
    assert box.limits[A][0] == pytest.approx(2.5, abs=0.1) and box.limits[A][1] == np.inf
    assert box.limits[B][1] == pytest.approx(0.4, abs=0.03) and box.limits[B][0] == -np.inf
    assert box.density > 0.95 and box.coverage > 0.95
    assert box.mass == pytest.approx(0.4 * 0.4, abs=0.04)
    assert len(result.y) == 799 and any("error" in n for n in result.notes)
    table = pd.read_csv(tmp_path / "d" / "boxes.csv")
    assert set(table["parameter"]) == {A, B}
    row = table.set_index("parameter").loc[A]
    assert row["low"] == pytest.approx(2.5, abs=0.1) and row["high"] == pytest.approx(3.5, abs=0.01)
    assert row["sweep_min"] == pytest.approx(1.0, abs=0.01)
    traj = pd.read_csv(tmp_path / "d" / "trajectory.csv")
    assert {"box", "step", "coverage", "density", "mass", "n_restricted"} <= set(traj.columns)
    assert traj["coverage"].is_monotonic_decreasing
    for name in ("report.md", "report.html", "discovery.json", "figures/trajectory.png",
                 "figures/trajectory.svg", "figures/box_1.png", "figures/box_1.svg"):
        assert (tmp_path / "d" / name).is_file(), name
    text = (tmp_path / "d" / "report.md").read_text(encoding="utf-8")
    assert f"`{A}` >= 2.5" in text or f"`{A}` >= 2.4" in text
    assert f"`{B}` <= 0.4" in text or f"`{B}` <= 0.39" in text
    for needle in ("Coverage", "Density", "Mass", "integrity_mean <= 0.7", "dmpsim discover",
                   "What you may and may not conclude"):
        assert needle in text, needle
    assert _external_refs(tmp_path / "d" / "report.html") == []


def test_default_case_is_the_worst_quarter(planted, tmp_path):
    result = discover(planted, out=tmp_path, figures=False)
    values = pd.read_parquet(planted / "runs.parquet")["integrity_mean"].dropna()
    assert result.cutoff == pytest.approx(values.quantile(0.25))
    assert result.y.mean() == pytest.approx(0.25, abs=0.01)
    assert "25th percentile" in result.cutoff_text
    assert result.boxes and A in result.boxes[0].limits


def test_above_and_threshold(planted, tmp_path):
    result = discover(planted, metric="public_confidence", above=0.65, threshold=0.9,
                      out=tmp_path, figures=False)
    assert result.case_rule == "public_confidence >= 0.65"
    box = result.boxes[0]
    assert box.density >= 0.9
    assert result.X.shape[1] == 3


@pytest.mark.parametrize("kwargs, match", [
    ({"below": 0.1}, "no run has integrity_mean <= 0.1"),
    ({"below": 2.0}, "every run"),
    ({"below": 0.5, "above": 0.7}, "not both"),
    ({"metric": "integrity_men"}, "did you mean"),
])
def test_bad_input_is_an_input_error(planted, kwargs, match, tmp_path):
    with pytest.raises(InputError, match=match):
        discover(planted, out=tmp_path, **kwargs)


def test_folder_without_a_sweep_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no sweep results"):
        discover(tmp_path)
    with pytest.raises(InputError, match="no such folder"):
        discover(tmp_path / "missing")


def test_trajectory_figure_is_labelled(planted):
    fig = figure_trajectory(discover(planted, below=0.7, write=False))
    axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    ax = axes[0]
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title() and ax.get_legend()
    bars = [a for a in fig.axes if a.get_label() == "<colorbar>"]
    assert bars and bars[0].get_ylabel()


def test_tiny_real_lhs_sweep_end_to_end(tmp_path, capsys):
    experiment = tmp_path / "tiny_lhs.toml"
    experiment.write_text(
        'description = "tiny LHS for discovery"\nscenario = "classroom"\nseed = 4\n'
        "replications = 1\nsteps = 24\n"
        '[set]\n"large_firms.entry_step" = 3\n'
        '[parameters]\n"large_firms.bid_rate" = { range = [0.1, 0.9] }\n'
        '"procurement.weight_price" = { range = [0.1, 0.8] }\n'
        '"procurement.rule" = ["price", "quality"]\n'
        '[design]\ntype = "lhs"\nsamples = 30\n', encoding="utf-8")
    from dmpsim.experiments.sweeps import sweep

    sweep(experiment, backend="serial", out=tmp_path / "sweep", progress=False)
    parser = argparse.ArgumentParser(prog="dmpsim")
    commands.add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["discover", str(tmp_path / "sweep"), "--max-boxes", "2"])
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    assert "Box 1: coverage" in printed and "procurement.rule" in printed
    out = tmp_path / "sweep" / "discovery-integrity_mean"
    assert (out / "report.html").is_file() and (out / "boxes.csv").is_file()
    assert _external_refs(out / "report.html") == []
    boxes = pd.read_csv(out / "boxes.csv")
    assert len(boxes) >= 1 and boxes["density"].iloc[0] > 0.25
    meta = json.loads((out / "discovery.json").read_text())
    assert meta["inputs"] == ["large_firms.bid_rate", "procurement.weight_price",
                              "procurement.rule"]
    assert meta["runs"] == 30


def test_a_weak_box_is_called_weak(tmp_path):
    """Where the outcome does not depend on the parameters, the report says the box is weak."""
    rng = np.random.default_rng(3)
    folder = planted_sweep(tmp_path / "sweep")
    runs = pd.read_parquet(folder / "runs.parquet")
    runs["integrity_mean"] = rng.normal(0.9, 0.03, len(runs))   # no planted region
    runs.to_parquet(folder / "runs.parquet", index=False)
    result = discover(folder, out=tmp_path / "d", figures=False)
    assert result.boxes[0].density < 0.25 * 1.5
    assert "This box is weak" in (tmp_path / "d" / "report.md").read_text(encoding="utf-8")
    planted_result = discover(planted_sweep(tmp_path / "p"), below=0.7, out=tmp_path / "e",
                              figures=False)
    assert "This box is weak" not in (tmp_path / "e" / "report.md").read_text(encoding="utf-8")
    assert planted_result.boxes[0].density > 0.9
