"""The figures and the report of a calibration (`dmpsim.viz.calibration`,
`dmpsim.analysis.report.calibration`), from `CalibrationResult`s built by hand: a rejection
result, an ABC-SMC one with three generations, one whose ensemble is empty, and the edge cases
the figures must survive (one parameter, nothing constrained, a one-member ensemble)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import assert_self_contained

from dmpsim.analysis.abc import constraint_table
from dmpsim.analysis.report.calibration import build_report, constraint_sentence
from dmpsim.analysis.results import CalibrationResult
from dmpsim.experiments.scenario import load_scenario
from dmpsim.viz.calibration import FIGURES, draw_figures

PNG = b"\x89PNG\r\n\x1a\n"
TEMPERATURE, LESSONS, RULE = "response.temperature", "learning.lesson_scale", "procurement.rule"
KEYS = [TEMPERATURE, LESSONS, RULE]
RULES = ["price", "quality", "direct"]
PRIORS = [
    {"key": TEMPERATURE, "kind": "range", "type": "float", "lo": 0.1, "hi": 1.0},
    {"key": LESSONS, "kind": "distribution", "type": "float", "distribution": "triangular",
     "lo": 4.0, "hi": 24.0, "mode": 8.0},
    {"key": RULE, "kind": "values", "type": "str", "values": RULES},
]
N_PRIOR = 200
FOUND = {"dmpsim": "0.0-test", "python": "3.x"}
SCALES = {"scales": {"PT1": 0.1, "pressure_rate": 0.05}}      # as `calibrate` records them


def _prior(seed: int = 1, n: int = N_PRIOR) -> pd.DataFrame:
    u = np.random.default_rng(seed).random((n, 3))
    frame = pd.DataFrame({
        TEMPERATURE: 0.1 + 0.9 * u[:, 0],
        LESSONS: 4.0 + 20.0 * u[:, 1],
        RULE: np.array(RULES, dtype=object)[np.minimum((u[:, 2] * 3).astype(int), 2)],
    })
    for j, key in enumerate(KEYS):
        frame[f"u:{key}"] = u[:, j]
    return frame


def _unit(frame: pd.DataFrame) -> np.ndarray:
    return frame[[f"u:{k}" for k in KEYS]].to_numpy(float)


def _targets(prior_met: list[float], met: list[float]) -> pd.DataFrame:
    return pd.DataFrame({
        "target": ["PT1", "pressure_rate"],
        "description": ["PT1 at least 0.6", "pressure_rate between 0.1 and 0.3"],
        "scale": [0.1, 0.05],
        "prior_met_share": prior_met,
        "met_share": met,
        "mean_discrepancy": [0.0 if m == 1 else 0.0123 for m in met],
        "mean_output": [0.71, 0.22],
    })


def _result(method: str, prior: pd.DataFrame, ensemble: pd.DataFrame, targets: pd.DataFrame,
            generations: pd.DataFrame, distances: pd.DataFrame, unit_post: np.ndarray,
            weights: np.ndarray, keys: list[str] = KEYS, priors: list[dict] = PRIORS,
            settings: dict | None = None) -> CalibrationResult:
    idx = [KEYS.index(k) for k in keys]
    constraints = constraint_table(_unit(prior)[:, idx], unit_post[:, idx] if len(unit_post)
                                   else np.zeros((0, len(keys))), weights, keys)
    return CalibrationResult(
        name="patterns", description="Behavioural parameters on the patterns",
        source="calibrations/patterns.toml", method=method,
        scenario=load_scenario("classroom"), keys=list(keys), priors=priors, prior=prior,
        ensemble=ensemble, target_summary=targets, constraints=constraints,
        generations=generations, distances=distances, seed=11, replications=2, steps=120,
        settings=settings or ({"draws": N_PRIOR, "keep": None, **SCALES} if method == "rejection"
                              else {"population": 40, "generations": 3, "min_epsilon": 0.0,
                                    "sampler": "serial", **SCALES}),
        command=f"dmpsim calibrate calibrations/patterns.toml --method {method}",
        notes=["A note the workflow left."])


def _ensemble(rows: pd.DataFrame, weights: np.ndarray, distance: np.ndarray) -> pd.DataFrame:
    out = rows[KEYS].reset_index(drop=True).copy()
    out.insert(0, "member", np.arange(len(out)))
    out.insert(1, "weight", weights)
    out["distance"] = distance
    out["PT1"] = 0.7
    return out


def rejection_result() -> CalibrationResult:
    """Accepted: the draws with a low temperature (constrained); the others left open."""
    prior = _prior()
    accepted = (prior[TEMPERATURE] < 0.3).to_numpy()
    m = int(accepted.sum())
    weights = np.full(m, 1 / m)
    rng = np.random.default_rng(2)
    distance = np.where(accepted, 0.0, rng.lognormal(0, 1, N_PRIOR))
    distance[np.flatnonzero(~accepted)[0]] = np.inf     # one failed run
    generations = pd.DataFrame([{
        "generation": 0, "epsilon": 0.0, "simulations": N_PRIOR, "accepted": m,
        "acceptance_rate": m / N_PRIOR, "ess": float(m), "met_share": 1.0,
        "distance_q10": 0.0, "distance_q50": 0.0, "distance_q90": 0.0}])
    return _result("rejection", prior,
                   _ensemble(prior[accepted], weights, np.zeros(m)),
                   _targets([0.25, 0.5], [1.0, 0.875]), generations,
                   pd.DataFrame({"generation": 0, "distance": distance, "weight": 1.0}),
                   _unit(prior)[accepted], weights)


def smc_result() -> CalibrationResult:
    """Three generations; the last all at distance 0; weights unequal."""
    prior = _prior(seed=3)
    rng = np.random.default_rng(4)
    n = 40
    unit = np.column_stack([rng.uniform(0.0, 0.15, n), rng.uniform(0.2, 0.7, n),
                            rng.random(n)])
    particles = pd.DataFrame({TEMPERATURE: 0.1 + 0.9 * unit[:, 0],
                              LESSONS: 4.0 + 20.0 * unit[:, 1],
                              RULE: np.array(RULES, dtype=object)[(unit[:, 2] * 3).astype(int)]})
    weights = rng.random(n) + 0.2
    weights /= weights.sum()
    eps = [2.0, 0.5, 0.0]
    distances = pd.concat([
        pd.DataFrame({"generation": 0, "distance": rng.uniform(0, 2.0, n), "weight": 1 / n}),
        pd.DataFrame({"generation": 1, "distance": np.where(rng.random(n) < 0.4, 0.0,
                                                            rng.uniform(0, 0.5, n)),
                      "weight": 1 / n}),
        pd.DataFrame({"generation": 2, "distance": 0.0, "weight": weights}),
    ], ignore_index=True)
    generations = pd.DataFrame({
        "generation": [0, 1, 2], "epsilon": eps, "simulations": [80, 150, 400],
        "accepted": [n, n, n], "acceptance_rate": [0.5, n / 150, 0.1],
        "ess": [40.0, 31.5, 27.25], "met_share": [0.0, 0.4, 1.0],
        "distance_q10": [0.2, 0.0, 0.0], "distance_q50": [1.0, 0.1, 0.0],
        "distance_q90": [1.8, 0.45, 0.0]})
    return _result("smc", prior, _ensemble(particles, weights, np.zeros(n)),
                   _targets([np.nan, np.nan], [1.0, 1.0]), generations, distances, unit,
                   weights)


def empty_result() -> CalibrationResult:
    prior = _prior()
    ensemble = pd.DataFrame({"member": pd.Series([], dtype=int),
                             "weight": pd.Series([], dtype=float),
                             TEMPERATURE: pd.Series([], dtype=float),
                             LESSONS: pd.Series([], dtype=float),
                             RULE: pd.Series([], dtype=object),
                             "distance": pd.Series([], dtype=float)})
    distance = np.random.default_rng(5).lognormal(0, 1, N_PRIOR)
    generations = pd.DataFrame([{
        "generation": 0, "epsilon": np.nan, "simulations": N_PRIOR, "accepted": 0,
        "acceptance_rate": 0.0, "ess": 0.0, "met_share": np.nan, "distance_q10": np.nan,
        "distance_q50": np.nan, "distance_q90": np.nan}])
    return _result("rejection", prior, ensemble, _targets([0.0, 0.1], [np.nan, np.nan]),
                   generations, pd.DataFrame({"generation": 0, "distance": distance,
                                              "weight": 1.0}),
                   np.zeros((0, 3)), np.zeros(0))


def _is_png(path: Path) -> bool:
    return path.read_bytes()[:8] == PNG


def _section(markdown: str, heading: str) -> str:
    """The text of one `## heading` section."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", markdown, re.S | re.M)
    assert match, f"no section {heading!r}"
    return match.group(1)


def _row(section: str, first_cell: str) -> list[str]:
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no table row starting {first_cell!r}")


# -- figures ------------------------------------------------------------------------------

MAKERS = {"rejection": rejection_result, "smc": smc_result, "empty": empty_result}


@pytest.fixture(scope="module")
def drawn(tmp_path_factory) -> dict[str, tuple[CalibrationResult, list[Path], Path]]:
    """Each result, the figures drawn from it once, and its folder."""
    out = {}
    for name, make in MAKERS.items():
        folder = tmp_path_factory.mktemp(name)
        result = make()
        out[name] = (result, draw_figures(result, folder / "figures"), folder)
    return out


@pytest.mark.parametrize("name", list(MAKERS))
def test_every_figure_is_written_as_png(drawn, name):
    _, paths, _ = drawn[name]
    pngs = {p.stem: p for p in paths if p.suffix == ".png"}
    assert sorted(pngs) == sorted(FIGURES)
    assert all(p.is_file() for p in paths)
    assert all(_is_png(p) for p in pngs.values())
    assert {p.suffix for p in paths} == {".png", ".svg"}


def test_figures_survive_edge_cases(tmp_path):
    base = rejection_result()
    # one parameter and an ensemble of one member (so, with no spread, "constrained")
    member = base.ensemble.iloc[:1].assign(weight=1.0)
    row = int(np.flatnonzero(base.prior[TEMPERATURE] == member[TEMPERATURE].iloc[0])[0])
    one = _result("rejection", base.prior, member, base.target_summary, base.generations,
                  base.distances, _unit(base.prior)[[row]], np.ones(1), keys=[LESSONS],
                  priors=PRIORS[1:2])
    assert one.constraints["label"].tolist() == ["constrained"]
    # every parameter left open: the ensemble is the prior itself
    flat = np.full(N_PRIOR, 1 / N_PRIOR)
    everything = _result("smc", base.prior, _ensemble(base.prior, flat, np.zeros(N_PRIOR)),
                         base.target_summary, base.generations, base.distances,
                         _unit(base.prior), flat)
    assert set(everything.constraints["label"]) == {"left open"}
    # only the categorical parameter, one member
    categorical = _result("rejection", base.prior, member, base.target_summary,
                          base.generations, base.distances, _unit(base.prior)[[row]],
                          np.ones(1), keys=[RULE], priors=PRIORS[2:])
    for i, result in enumerate((one, everything, categorical)):
        paths = draw_figures(result, tmp_path / str(i))
        assert sorted(p.stem for p in paths if p.suffix == ".png") == sorted(FIGURES)
        assert all(_is_png(p) for p in paths if p.suffix == ".png")


# -- the report ---------------------------------------------------------------------------

def test_rejection_report(drawn):
    result, figures, folder = drawn["rejection"]
    report = build_report(result, figures, FOUND)
    md = report.to_markdown(folder)
    for heading in ("What was calibrated", "The priors", "The targets and how they are met",
                    "The generations", "What the targets pin down and what they leave open",
                    "The ensemble", "Figures", "Notes", "Reproducing this calibration"):
        assert f"\n## {heading}\n" in md
    # what was calibrated
    head = _section(md, "What was calibrated")
    assert "calibrations/patterns.toml" in head and "**classroom** (`classroom.toml`)" in head
    assert "rejection ABC" in head and "`draws` = 200" in head and "Seed: 11" in head
    assert "`keep` not set" in head and "scales" not in head
    assert "dmpsim calibrate calibrations/patterns.toml --method rejection" in head
    # priors
    priors = _section(md, "The priors")
    assert _row(priors, f"`{TEMPERATURE}`")[1:3] == ["uniform", "[0.1, 1]"]
    assert _row(priors, f"`{LESSONS}`")[1:4] == ["triangular (mode 8)", "[4, 24]", "lessons"]
    assert _row(priors, f"`{RULE}`")[2] == "price, quality, direct"
    # targets: the shares put in
    targets = _section(md, "The targets and how they are met")
    assert _row(targets, "PT1")[2:7] == ["0.250", "1.000", "0.000", "0.710", "0.100"]
    assert _row(targets, "pressure_rate")[2:7] == ["0.500", "0.875", "0.012", "0.220", "0.050"]
    # generations
    m = len(result.ensemble)
    gens = _section(md, "The generations")
    assert _row(gens, "0")[1:6] == ["0.000", "200", str(m), f"{m / N_PRIOR:.3f}", f"{m:.1f}"]
    # constraints: the labels, what they mean, and the sentence
    pins = _section(md, "What the targets pin down and what they leave open")
    assert _row(pins, f"`{TEMPERATURE}`")[-1] == "constrained"
    assert _row(pins, f"`{LESSONS}`")[-1] == "left open"
    sentence = (f"The targets constrain `{TEMPERATURE}`; they leave `{LESSONS}` and `{RULE}` "
                "open.")
    assert sentence in pins and constraint_sentence(result) == sentence
    assert "Below 0.5" in pins and "below 0.8" in pins and "not a statistical test" in pins
    # the ensemble
    ens = _section(md, "The ensemble")
    assert f"**{m} parameter sets**" in ens and f"{m:.1f}" in ens and "--ensemble" in ens
    assert "A note the workflow left." in _section(md, "Notes")
    assert "Versions: dmpsim 0.0-test" in md
    for stem in FIGURES:
        assert f"(figures/{stem}.png)" in md
    # HTML: self-contained, every figure embedded
    page = report.write(folder)[1]
    assert_self_contained(page)
    assert page.read_text(encoding="utf-8").count("data:image/png;base64,") == len(FIGURES)


def test_smc_report(drawn):
    result, figures, folder = drawn["smc"]
    report = build_report(result, figures, FOUND)
    md = report.to_markdown(folder)
    assert "ABC-SMC (pyabc)" in md and "`population` = 40" in md
    targets = _section(md, "The targets and how they are met")
    assert _row(targets, "PT1")[2:4] == ["–", "1.000"]          # no prior share for smc
    assert "not known here" in targets
    gens = _section(md, "The generations")
    assert [_row(gens, str(g))[1] for g in range(3)] == ["2.000", "0.500", "0.000"]
    assert [_row(gens, str(g))[5] for g in range(3)] == ["40.0", "31.5", "27.2"]
    assert _row(gens, "1")[4] == f"{40 / 150:.3f}"
    pins = _section(md, "What the targets pin down and what they leave open")
    labels = result.constraints.set_index("parameter")["label"]
    assert labels[TEMPERATURE] == "constrained" and labels[RULE] == "left open"
    assert constraint_sentence(result) in pins
    assert f"The targets constrain `{TEMPERATURE}`" in pins and f"`{RULE}` open." in pins
    assert "importance weights" in _section(md, "The ensemble")
    assert report.to_html().count("data:image/png;base64,") == len(FIGURES)


def test_empty_ensemble_report(drawn):
    result, figures, folder = drawn["empty"]
    report = build_report(result, figures, FOUND)
    md = report.to_markdown(folder)
    assert "No draw met the targets: the ensemble is empty." in md
    assert "`keep = 0.05`" in md and "`[rejection]`" in md and "`draws = 800`" in md
    assert set(result.constraints["label"]) == {"no accepted draws"}
    assert "cannot be told" in _section(md, "What the targets pin down and what they leave open")
    assert "The ensemble is empty" in _section(md, "The ensemble")
    assert _row(_section(md, "The targets and how they are met"), "PT1")[2:4] == ["0.000", "–"]
    assert_self_contained(report.write(folder)[1])


def test_constraint_sentence_forms():
    result = rejection_result()

    def said(labels: list[str]) -> str:
        result.constraints = pd.DataFrame({"parameter": ["a", "b", "c"][:len(labels)],
                                           "label": labels})
        return constraint_sentence(result)

    assert said(["constrained", "constrained", "left open"]) == (
        "The targets constrain `a` and `b`; they leave `c` open.")
    assert said(["constrained", "weakly constrained", "left open"]) == (
        "The targets constrain `a`, and weakly constrain `b`; they leave `c` open.")
    assert said(["weakly constrained", "left open"]) == (
        "The targets only weakly constrain `a`; they leave `b` open.")
    assert said(["constrained", "constrained", "constrained"]) == (
        "The targets constrain `a`, `b` and `c`; they leave none open.")
    assert said(["left open", "left open"]) == (
        "The targets constrain none of the parameters: they leave all open (`a` and `b`).")
